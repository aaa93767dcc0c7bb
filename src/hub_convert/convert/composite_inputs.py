"""Which of a signature's flat inputs are the parts of one SparseTensor or RaggedTensor.

A SavedModel signature takes only dense tensors: a SparseTensor argument is fed as three
(indices, values, dense_shape), a RaggedTensor as its flat values and row splits. Fed
independently random, the parts disagree (indices beyond dense_shape, row splits that do not
end at the number of values) and the original model refuses them. The structure is read from
the protobuf, where TensorFlow keeps it:

- a TF1 SignatureDef marks a SparseTensor input with a ``coo_sparse`` encoding (loaded, its
  parts are named ``<key>_indices``, ``<key>_values``, ``<key>_dense_shape``) and another
  composite with a ``composite_tensor`` encoding (``<key>_component_<n>``);
- a TF2 signature is a wrapper around the exported function, whose input signature (with its
  SparseTensorSpec / RaggedTensorSpec) the SavedObjectGraph keeps. The wrapper takes the
  parts by name, sorted; its call passes them in the order of that signature flattened,
  composites expanded: the call's inputs say which name is which part.

Runs inside a worker process (imports TensorFlow lazily).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

CompositeKind = Literal["sparse", "ragged", "other"]
_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")


@dataclass(frozen=True)
class CompositeInput:
    """One SparseTensor or RaggedTensor argument of a signature, as its flat inputs.

    ``components`` are the flat input names in TensorFlow's order: indices, values,
    dense_shape for a SparseTensor; flat values then row splits (outermost first) for a
    RaggedTensor. ``shape`` is the declared shape of the whole tensor (None: unknown rank).
    """

    name: str
    kind: CompositeKind
    components: tuple[str, ...]
    shape: tuple[int | None, ...] | None
    ragged_rank: int = 0


def read_composite_inputs(
    meta_graph: Any, signature_key: str, input_names: list[str]
) -> list[CompositeInput]:
    """The signature's SparseTensor / RaggedTensor arguments whose parts are all among
    ``input_names`` (the loaded signature's inputs); none when the protobuf does not say."""
    try:
        found = list(_from_signature_def(meta_graph.signature_def[signature_key]))
        if not found:
            found = list(_from_object_graph(meta_graph, signature_key))
    except Exception:  # a spec this TensorFlow cannot decode: each part is made on its own
        return []
    names = set(input_names)
    return [c for c in found if set(c.components) <= names]


def _from_signature_def(signature_def: Any) -> Iterator[CompositeInput]:
    for key, info in sorted(signature_def.inputs.items()):
        encoding = info.WhichOneof("encoding")
        if encoding == "coo_sparse":
            sparse = (f"{key}_indices", f"{key}_values", f"{key}_dense_shape")
            yield CompositeInput(key, "sparse", sparse, _proto_dims(info.tensor_shape))
        elif encoding == "composite_tensor":
            spec = _decode_type_spec(info.composite_tensor.type_spec)
            count = len(_flat_components(spec))
            parts = tuple(f"{key}_component_{n}" for n in range(count))
            yield _describe(key, spec, parts)


def _from_object_graph(meta_graph: Any, signature_key: str) -> Iterator[CompositeInput]:
    from tensorflow.python.saved_model import nested_structure_coder
    from tensorflow.python.util import nest

    graph = meta_graph.object_graph_def
    wrapper = _signature_function(graph, signature_key)
    if wrapper is None:
        return
    call = _call(meta_graph.graph_def.library, wrapper.concrete_function_name)
    if call is None or call.attr["f"].func.name not in graph.concrete_functions:
        return
    inner = call.attr["f"].func.name
    # Arguments first, captured variables after them.
    keywords = [name.split(":")[0] for name in call.input if not name.startswith("^")]
    structure = nested_structure_coder.decode_proto(
        graph.concrete_functions[inner].canonicalized_input_signature
    )
    found: list[CompositeInput] = []
    position = 0
    for leaf in nest.flatten(structure):
        count = _tensor_count(leaf)
        parts = tuple(keywords[position : position + count])
        position += count
        if count and not _is_tensor_spec(leaf):
            found.append(_describe(parts[0], leaf, parts))
    signature_inputs = len(meta_graph.signature_def[signature_key].inputs)
    if position == signature_inputs:  # otherwise the flattening is not what TensorFlow did
        yield from found


def _signature_function(graph: Any, signature_key: str) -> Any:
    """The bare concrete function the SavedObjectGraph's signature map holds for the key."""
    for node in graph.nodes:
        if node.WhichOneof("kind") != "user_object":
            continue
        if node.user_object.identifier != "signature_map":
            continue
        for child in node.children:
            target = graph.nodes[child.node_id]
            if child.local_name == signature_key and target.HasField("bare_concrete_function"):
                return target.bare_concrete_function
    return None


def _call(library: Any, wrapper_name: str) -> Any:
    """The signature wrapper's call of the exported function (the one with the real specs)."""
    for function in library.function:
        if function.signature.name != wrapper_name:
            continue
        calls = [n for n in function.node_def if n.op in _CALL_OPS]
        return calls[0] if len(calls) == 1 else None
    return None


def _describe(name: str, spec: Any, parts: tuple[str, ...]) -> CompositeInput:
    import tensorflow as tf

    shape = _spec_dims(spec.shape) if hasattr(spec, "shape") else None
    if isinstance(spec, tf.SparseTensorSpec):
        return CompositeInput(name, "sparse", parts, shape)
    if isinstance(spec, tf.RaggedTensorSpec):
        return CompositeInput(name, "ragged", parts, shape, ragged_rank=spec.ragged_rank)
    return CompositeInput(name, "other", parts, shape)


def _flat_components(spec: Any) -> list[Any]:
    from tensorflow.python.util import nest

    return [s for s in nest.flatten(spec, expand_composites=True) if _is_tensor_spec(s)]


def _tensor_count(leaf: Any) -> int:
    """How many of the wrapper's flat inputs one leaf of the input signature became."""
    if _is_tensor_spec(leaf):
        return 1
    import tensorflow as tf

    if isinstance(leaf, tf.TypeSpec):
        return len(_flat_components(leaf))
    return 0  # a Python value: no input


def _is_tensor_spec(value: Any) -> bool:
    import tensorflow as tf

    return isinstance(value, tf.TensorSpec)


def _decode_type_spec(proto: Any) -> Any:
    from tensorflow.core.protobuf import struct_pb2
    from tensorflow.python.saved_model import nested_structure_coder

    value = struct_pb2.StructuredValue()
    value.type_spec_value.CopyFrom(proto)
    return nested_structure_coder.decode_proto(value)


def _spec_dims(shape: Any) -> tuple[int | None, ...] | None:
    if shape.rank is None:
        return None
    return tuple(None if d is None else int(d) for d in shape.as_list())


def _proto_dims(shape: Any) -> tuple[int | None, ...] | None:
    if shape.unknown_rank:
        return None
    return tuple(None if d.size < 0 else int(d.size) for d in shape.dim)
