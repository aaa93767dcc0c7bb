"""A frozen GraphDef (``.pb``, TF1's most common published form): written as a SavedModel in a
worker, so that it takes the same path as every other kind.

Inputs are the graph's Placeholders; outputs its sinks (what no other node reads, constants
and no-ops left out), as ``tflite_convert`` and ``tf2onnx`` would be told them. Importing a
GraphDef runs none of its ops: the SavedModel written here is scanned for unsafe ops before
TensorFlow runs it (run/stages.py), as every kind is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInputError
from .source_model import SourceModel

SUFFIXES = (".pb",)
# Nodes that are never a model's output, though nothing reads them.
_NOT_OUTPUTS = frozenset({"Const", "NoOp", "Placeholder", "PlaceholderWithDefault", "Assert"})


def looks_like_frozen_graph(path: Path) -> bool:
    """A ``.pb`` file other than a SavedModel's own ``saved_model.pb``."""
    name = path.name.lower()
    return path.is_file() and name.endswith(SUFFIXES) and name != "saved_model.pb"


def frozen_graph_source(path: Path, display_path: str, work_dir: Path) -> SourceModel:
    """The frozen graph as a SourceModel whose SavedModel a worker writes."""
    if not path.is_file():
        raise BadInputError(f"{display_path}: --source-kind frozen_graph needs a .pb file")
    return SourceModel(
        kind="frozen_graph",
        display_path=display_path,
        saved_model_dir=work_dir / "frozen_graph_saved_model",
        size_bytes=path.stat().st_size,
        materializer=FrozenGraphMaterializer(path.resolve(), display_path),
        stem=path.name.rsplit(".", 1)[0],
    )


def _key(name: str) -> str:
    """A signature key from a node name (``input/image`` -> ``input_image``)."""
    return re.sub(r"\W", "_", name).strip("_") or "tensor"


@dataclass(frozen=True)
class FrozenGraphMaterializer:
    """Writes the GraphDef at ``graph_path`` as a SavedModel with one ``serving_default``
    signature: its Placeholders in, its sinks out."""

    graph_path: Path
    display_path: str

    def __call__(self, target: Path) -> dict[str, str]:
        import tensorflow as tf

        v1 = tf.compat.v1
        graph_def = v1.GraphDef()
        try:
            graph_def.ParseFromString(self.graph_path.read_bytes())
        except Exception:
            raise BadInputError(
                f"{self.display_path}: not a TensorFlow GraphDef; pass a frozen graph (.pb) "
                "written by TensorFlow, or a SavedModel directory"
            ) from None
        read = {i.lstrip("^").split(":")[0] for node in graph_def.node for i in node.input}
        placeholders = [n.name for n in graph_def.node if n.op == "Placeholder"]
        sinks = [n.name for n in graph_def.node if n.name not in read and n.op not in _NOT_OUTPUTS]
        if not placeholders or not sinks:
            raise BadInputError(
                f"{self.display_path}: a GraphDef with {len(placeholders)} Placeholder(s) and "
                f"{len(sinks)} output node(s); hub-convert needs at least one of each"
            )
        graph = tf.Graph()
        with graph.as_default():
            try:
                v1.import_graph_def(graph_def, name="")
            except Exception as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise BadInputError(
                    f"{self.display_path}: TensorFlow cannot import this GraphDef ({first}); "
                    "it may need a newer TensorFlow or ops from another library"
                ) from None
            inputs = {_key(n): graph.get_tensor_by_name(f"{n}:0") for n in placeholders}
            outputs = {}
            for name in sinks:
                operation = graph.get_operation_by_name(name)
                for index, tensor in enumerate(operation.outputs):
                    suffix = f"_{index}" if len(operation.outputs) > 1 else ""
                    outputs[_key(name) + suffix] = tensor
            if not outputs:
                raise BadInputError(f"{self.display_path}: the graph's sinks have no outputs")
            signature = v1.saved_model.predict_signature_def(inputs, outputs)
            with v1.Session(graph=graph) as session:
                builder = v1.saved_model.Builder(str(target))
                builder.add_meta_graph_and_variables(
                    session, ["serve"], signature_def_map={"serving_default": signature}
                )
                builder.save()
        return {
            "frozen_graph_inputs": ", ".join(placeholders),
            "frozen_graph_outputs": ", ".join(sinks),
        }
