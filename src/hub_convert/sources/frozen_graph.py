"""A frozen GraphDef (``.pb``, TF1's most common published form): written as a SavedModel in a
worker, so that it takes the same path as every other kind.

Its inputs and outputs are chosen by frozen_graph_io.py (the Placeholders and the sinks, or
``--inputs`` / ``--outputs``), as ``tflite_convert`` and ``tf2onnx`` would be told them. An
input that is not a Placeholder (a PlaceholderWithDefault, any node's output) becomes one, and
the graph is cut to what the outputs need, so an iterator upstream of a fed tensor is gone.
Importing a GraphDef runs none of its ops: the SavedModel written here is scanned for unsafe
ops before TensorFlow runs it (run/stages.py), as every kind is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInputError
from .frozen_graph_checks import fixed_number
from .frozen_graph_io import GraphIO, TensorRef, choose_io
from .source_model import SourceModel

SUFFIXES = (".pb",)


def looks_like_frozen_graph(path: Path) -> bool:
    """A ``.pb`` file other than a SavedModel's own ``saved_model.pb``."""
    name = path.name.lower()
    return path.is_file() and name.endswith(SUFFIXES) and name != "saved_model.pb"


def frozen_graph_source(
    path: Path,
    display_path: str,
    work_dir: Path,
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
) -> SourceModel:
    """The frozen graph as a SourceModel whose SavedModel a worker writes; ``inputs`` and
    ``outputs`` name its tensors (empty: chosen from the graph)."""
    if not path.is_file():
        raise BadInputError(f"{display_path}: --source-kind frozen_graph needs a .pb file")
    return SourceModel(
        kind="frozen_graph",
        display_path=display_path,
        saved_model_dir=work_dir / "frozen_graph_saved_model",
        size_bytes=path.stat().st_size,
        materializer=FrozenGraphMaterializer(path.resolve(), display_path, inputs, outputs),
        stem=path.name.rsplit(".", 1)[0],
    )


def _key(name: str) -> str:
    """A signature key from a tensor name (``input/image`` -> ``input_image``)."""
    return re.sub(r"\W", "_", name).strip("_") or "tensor"


@dataclass(frozen=True)
class FrozenGraphMaterializer:
    """Writes the GraphDef at ``graph_path`` as a SavedModel with one ``serving_default``
    signature: its chosen inputs in, its chosen outputs out."""

    graph_path: Path
    display_path: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    def __call__(self, target: Path) -> dict[str, str]:
        import tensorflow as tf

        v1 = tf.compat.v1
        graph_def = v1.GraphDef()
        try:
            graph_def.ParseFromString(self.graph_path.read_bytes())
        except Exception:
            if _is_saved_model_proto(self.graph_path.read_bytes()):
                raise BadInputError(
                    f"{self.display_path}: a SavedModel's saved_model.pb under another name, "
                    "not a frozen graph; pass the SavedModel directory (saved_model.pb beside "
                    "its variables/)"
                ) from None
            raise BadInputError(
                f"{self.display_path}: not a TensorFlow GraphDef; pass a frozen graph (.pb) "
                "written by TensorFlow, or a SavedModel directory"
            ) from None
        chosen = choose_io(graph_def, self.inputs, self.outputs, self.display_path)
        original = self._imported(graph_def)
        replaced = (*chosen.inputs, *chosen.fixed)
        tensors = {ref: self._tensor(original, ref) for ref in replaced}
        nodes = {
            ref: self._replacement(ref, tensors[ref], chosen.fixed.get(ref)) for ref in replaced
        }
        cut = _cut(graph_def, chosen, _fed_names(graph_def, replaced), nodes)
        graph = self._imported(cut)
        with graph.as_default():
            inputs = _unique_keys(
                (str(ref), graph.get_tensor_by_name(name + ":0"))
                for ref, name in _fed_names(graph_def, chosen.inputs).items()
            )
            outputs = _unique_keys(self._output_tensors(graph, chosen))
            signature = v1.saved_model.predict_signature_def(inputs, outputs)
            with v1.Session(graph=graph) as session:
                builder = v1.saved_model.Builder(str(target))
                builder.add_meta_graph_and_variables(
                    session, ["serve"], signature_def_map={"serving_default": signature}
                )
                builder.save()
        return chosen.notes

    def _imported(self, graph_def: Any) -> Any:
        """A tf.Graph of ``graph_def``; BadInputError in one line when TensorFlow refuses it."""
        import tensorflow as tf

        graph = tf.Graph()
        with graph.as_default():
            try:
                tf.compat.v1.import_graph_def(graph_def, name="")
            except Exception as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise BadInputError(
                    f"{self.display_path}: TensorFlow cannot import this GraphDef ({first}); "
                    "it may need a newer TensorFlow or ops from another library"
                ) from None
        return graph

    def _output_tensors(self, graph: Any, chosen: GraphIO) -> list[tuple[str, Any]]:
        """(name, tensor) of every output: each of a node's outputs when only its name is given."""
        tensors: list[tuple[str, Any]] = []
        for output in chosen.outputs:
            if isinstance(output, TensorRef):
                tensors.append((str(output), self._tensor(graph, output)))
                continue
            operation = graph.get_operation_by_name(output)
            many = len(operation.outputs) > 1
            tensors += [
                (f"{output}_{index}" if many else output, tensor)
                for index, tensor in enumerate(operation.outputs)
            ]
        if not tensors:
            raise BadInputError(f"{self.display_path}: the chosen output nodes have no outputs")
        return tensors

    def _replacement(self, ref: TensorRef, tensor: Any, value: str | None) -> Any:
        """The NodeDef that stands for ``tensor``: a Placeholder, or with ``value`` (``--inputs
        NAME=VALUE``) a constant of the tensor's dtype and shape holding it."""
        import numpy as np
        import tensorflow as tf

        node = tf.compat.v1.NodeDef(op="Placeholder" if value is None else "Const")
        node.attr["dtype"].type = tensor.dtype.as_datatype_enum
        if value is None:
            node.attr["shape"].shape.CopyFrom(tensor.shape.as_proto())
            return node
        if not tensor.shape.is_fully_defined():
            raise BadInputError(
                f"{self.display_path}: --inputs {ref}={value}: its shape {tensor.shape} is not "
                "fully known, so no fixed value can stand for it; feed it instead (--inputs "
                f"{ref})"
            )
        if not (tensor.dtype.is_bool or tensor.dtype.is_floating or tensor.dtype.is_integer):
            raise BadInputError(
                f"{self.display_path}: --inputs {ref}={value}: a {tensor.dtype.name} tensor; "
                "only bool and number tensors take a fixed value: feed it instead"
            )
        label = f"{self.display_path}: --inputs {ref}={value}"
        number = fixed_number(label, value, tensor.dtype, tensor.shape.as_list())
        dtype = tensor.dtype.as_numpy_dtype
        array = np.full(tensor.shape.as_list(), number, dtype=dtype)
        if not np.all(array == number):
            raise BadInputError(
                f"{self.display_path}: --inputs {ref}={value}: not a {tensor.dtype.name} value; "
                "give one (true/false for bool, a whole number for integers)"
            )
        node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(array))
        return node

    def _tensor(self, graph: Any, ref: TensorRef) -> Any:
        operation = graph.get_operation_by_name(ref.node)
        if ref.index >= len(operation.outputs):
            raise BadInputError(
                f"{self.display_path}: {ref}: {ref.node} ({operation.type}) has "
                f"{len(operation.outputs)} output(s); index them from 0"
            )
        return operation.outputs[ref.index]


def _is_saved_model_proto(data: bytes) -> bool:
    """Whether ``data`` parses as a SavedModel protobuf holding a MetaGraph."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model = saved_model_pb2.SavedModel()
    try:
        saved_model.ParseFromString(data)
    except Exception:
        return False
    return len(saved_model.meta_graphs) > 0


def _fed_names(graph_def: Any, inputs: tuple[TensorRef, ...]) -> dict[TensorRef, str]:
    """The node that stands for each replaced tensor in the cut graph: a placeholder node keeps
    its name; any other tensor gets a new node beside the one that computed it."""
    ops = {node.name: node.op for node in graph_def.node}
    names: dict[TensorRef, str] = {}
    for ref in inputs:
        if ref.index == 0 and ops[ref.node] in ("Placeholder", "PlaceholderWithDefault"):
            names[ref] = ref.node
            continue
        name = f"{ref.node}_fed_{ref.index}"
        while name in ops:
            name += "_"
        names[ref] = name
    return names


def _cut(
    graph_def: Any, chosen: GraphIO, fed: dict[TensorRef, str], nodes: dict[TensorRef, Any]
) -> Any:
    """``graph_def`` with each input a Placeholder and each fixed tensor a constant (what read
    it reads that), cut to the nodes the outputs need: a replaced tensor's own inputs (an
    iterator, a default) are left out."""
    import tensorflow as tf

    v1 = tf.compat.v1
    cut = v1.GraphDef()
    cut.CopyFrom(graph_def)
    existing = {node.name: node for node in cut.node}
    renamed: dict[TensorRef, str] = {}
    for ref, replacement in nodes.items():
        replacement.name = fed[ref]
        if replacement.name in existing:
            existing[replacement.name].CopyFrom(replacement)
            continue
        renamed[ref] = replacement.name
    # One pass over the nodes for every replaced tensor at once: a pass per tensor made
    # thousands of --inputs cost thousands of passes over the graph.
    for node in cut.node:
        node.input[:] = [
            edge if edge.startswith("^") else renamed.get(TensorRef.parse(edge), edge)
            for edge in node.input
        ]
    cut.node.extend(nodes[ref] for ref in renamed)
    needed = {o if isinstance(o, str) else o.node for o in chosen.outputs}
    return v1.graph_util.extract_sub_graph(cut, sorted(needed))


def _unique_keys(named: Any) -> dict[str, Any]:
    """Signature keys from tensor names, made unique with a numeric suffix."""
    keys: dict[str, Any] = {}
    for name, tensor in named:
        key = base = _key(name)
        count = 1
        while key in keys:
            count += 1
            key = f"{base}_{count}"
        keys[key] = tensor
    return keys
