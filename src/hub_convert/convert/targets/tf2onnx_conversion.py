"""The tf2onnx conversion of a SavedModel signature, with the ops tf2onnx could not map.

tf2onnx logs ``Tensorflow op [node: Op] is not supported`` for an op it cannot map and still
returns a model (the TF op left in the graph). Those log records are collected here.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...report.artifact import UnsupportedOp
from ..op_types import converted_op_types
from .onnx_inline import inline_tf1_loop_calls
from .onnx_load_failure import capture_stderr, load_failure, unmapped_ops
from .onnx_names import RENAMED_OUTPUTS_KEY, distinct_output_names, restore_input_names

_UNSUPPORTED_MESSAGE = "Tensorflow op [%s: %s] is not supported"


@dataclass
class OnnxConversion:
    """What tf2onnx returned: the model or the error, and the ops it could not map."""

    model: Any | None  # onnx.ModelProto
    source_ops: list[str] = field(default_factory=list)
    unsupported: list[UnsupportedOp] = field(default_factory=list)
    error: str | None = None
    # large_model: tensor name -> bytes, the weights the model's tensors refer to by location
    external: dict[str, bytes] | None = None


class _UnsupportedOpCollector(logging.Handler):
    """tf2onnx's log records: ops it could not map, and the errors and warnings that explain
    a failure ("rewrite failed, so just fast fail it" is raised after the cause is logged)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.nodes: dict[str, list[str]] = {}
        self.causes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == _UNSUPPORTED_MESSAGE and isinstance(record.args, tuple):
            node, op = (str(a) for a in record.args)
            self.nodes.setdefault(op, []).append(node)
            return
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not break the conversion
            message = str(record.msg)
        first = message.split(", details:", 1)[0].strip().splitlines()
        if first and first[0] not in self.causes:
            self.causes.append(first[0][:500])

    def explain(self, error: BaseException) -> str:
        """tf2onnx's exception, with what it logged before raising it."""
        lines = str(error).strip().splitlines()
        text = f"tf2onnx failed: {lines[0] if lines else type(error).__name__}"
        if self.causes:
            text += "; tf2onnx logged: " + "; ".join(self.causes[-3:])
        return text


@contextmanager
def _collect_unsupported() -> Iterator[_UnsupportedOpCollector]:
    collector = _UnsupportedOpCollector()
    logger = logging.getLogger("tf2onnx")
    logger.addHandler(collector)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)


def convert(
    saved_model_dir: Path,
    tags: list[str],
    signature: str,
    opset: int,
    input_names: list[str] | None = None,
    *,
    large_model: bool = False,
) -> OnnxConversion:
    """Convert the signature the way ``python -m tf2onnx.convert --saved-model`` does
    (``--large_model`` when ``large_model``: the weights come back apart from the model).

    ``input_names`` (the signature's) are restored on the ONNX inputs: TensorFlow lower-cases
    the placeholders of a mixed-case signature key and tf2onnx names inputs after them.
    """
    import tensorflow as tf
    from tf2onnx import tf_loader
    from tf2onnx.convert import _convert_common

    if large_model and not hasattr(np, "product"):
        # tf2onnx 1.17.0's large-model path (graph.py, Node.get_value_attr) calls
        # numpy.product, which numpy 2 removed; numpy.prod is the same function.
        setattr(np, "product", np.prod)  # noqa: B010

    try:
        with capture_stderr() as logged:
            graph_def, inputs, outputs, tables, renames = tf_loader.from_saved_model(
                str(saved_model_dir),
                None,
                None,
                tags,
                [signature],
                None,
                large_model,
                return_initialized_tables=True,
                return_tensors_to_rename=True,
            )
    except Exception as exc:
        unmapped = unmapped_ops(saved_model_dir, tags, signature)
        return OnnxConversion(
            model=None,
            unsupported=[UnsupportedOp(op=op) for op in unmapped],
            error=load_failure(exc, logged, unmapped),
        )
    inline_tf1_loop_calls(graph_def)  # else tf2onnx cannot rewrite TF1 while loops
    renames, renamed_outputs = distinct_output_names(renames, inputs, outputs)
    source_ops = converted_op_types(graph_def)
    with _collect_unsupported() as collector, tf.device("/cpu:0"):
        try:
            model, external = _convert_common(
                graph_def,
                name=str(saved_model_dir),
                large_model=large_model,
                opset=opset,
                input_names=inputs,
                output_names=outputs,
                tensors_to_rename=renames,
                initialized_tables=tables,
                optimizers=collecting_optimizers(),
            )
        except Exception as exc:
            return OnnxConversion(
                model=None,
                source_ops=source_ops,
                unsupported=_unsupported(collector),
                error=collector.explain(exc),
            )
    if input_names:
        restore_input_names(model, input_names)
    if renamed_outputs:
        entry = model.metadata_props.add()
        entry.key, entry.value = RENAMED_OUTPUTS_KEY, json.dumps(renamed_outputs)
    return OnnxConversion(
        model=model,
        source_ops=source_ops,
        unsupported=_unsupported(collector),
        external=external.name_to_tensor_data if external is not None else None,
    )


def collecting_optimizers() -> dict[str, Callable[[], Any]]:
    """tf2onnx's own optimizers, in its order, each started after a garbage collection.

    ``optimize_graph`` deep-copies the whole graph, weights included, before each of its
    optimizers, on every pass, and drops the old copy. A copy's nodes and graph refer to each
    other, so only a full collection frees it, and with TensorFlow's objects in the heap
    Python seldom runs one: on MobileNetV2 (14 MB of weights) the copies took 780 MB, and
    the conversion peaked at 1.4 GB against 0.97 GB with a collection before each optimizer
    (the worker freezes TensorFlow's objects out of the collector, so a collection is cheap).
    The optimizers and their order are tf2onnx's (tests/unit/convert/test_onnx_optimizers.py).
    """
    from tf2onnx import optimizer

    def collected_first(factory: Callable[[], Any]) -> Callable[[], Any]:
        def make() -> Any:
            gc.collect()
            return factory()

        return make

    return {name: collected_first(factory) for name, factory in optimizer._get_optimizers().items()}


def _unsupported(collector: _UnsupportedOpCollector) -> list[UnsupportedOp]:
    return [
        UnsupportedOp(op=op, nodes=sorted(nodes)) for op, nodes in sorted(collector.nodes.items())
    ]
