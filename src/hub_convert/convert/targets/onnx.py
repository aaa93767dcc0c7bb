"""ONNX: convert a SavedModel signature with tf2onnx, check it, run it with onnxruntime.

tf2onnx logs ``Tensorflow op [node: Op] is not supported`` for an op it cannot map and still
returns a model (the TF op left in the graph). Those log records are collected here; a model
counts only if it also passes ``onnx.checker`` and loads in onnxruntime.

Big models: a protobuf message cannot reach 2 GiB, and tf2onnx's usual path freezes the whole
graph into one. Above ``model_size.external_data_threshold()`` bytes of weights the model is
converted with tf2onnx's ``large_model`` (its ``compress_graph_def`` takes the big constants out
of the GraphDef, ``ExternalTensorStorage`` collects them by name) and written the standard ONNX
way: ``NAME.onnx`` holds the graph, ``NAME.onnx.data`` beside it every tensor over 1 KiB, each
with its ``location``, ``offset`` and ``length``. onnxruntime, ``onnx.load`` and
``onnx.checker`` (given the path) find the data file next to the model. Every variant of such a
model is written the same way.
"""

from __future__ import annotations

import gc
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...report.artifact import OpCoverage, UnsupportedOp
from ...units import human
from ...workers import model_size
from ..original import converted_op_types
from ..specs import ConversionJob
from . import Candidate, SampleRunner
from .onnx_inline import inline_tf1_loop_calls

RUNTIME = "onnxruntime"

_UNSUPPORTED_MESSAGE = "Tensorflow op [%s: %s] is not supported"
# ONNX names every value once, but a TF1 Hub module's signature often calls both its input
# and its output "default". Such an output gets this suffix in the file, and the metadata
# entry below maps it back to the signature's name for validation.
RENAMED_OUTPUT_SUFFIX = "_output"
RENAMED_OUTPUTS_KEY = "hub_convert.renamed_outputs"


@dataclass
class OnnxConversion:
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
    inline_tf1_loop_calls(graph_def)  # else tf2onnx cannot rewrite TF1 while loops
    renames, renamed_outputs = _distinct_output_names(renames, inputs, outputs)
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


def data_file(path: Path) -> Path:
    """Where a model's external data lives: ``NAME.onnx.data`` beside ``NAME.onnx``."""
    return path.with_name(path.name + ".data")


def _tensors(model: Any) -> Iterator[Any]:
    """Every TensorProto of the model: initializers and node attributes, subgraphs included."""

    def visit(graph: Any) -> Iterator[Any]:
        yield from graph.initializer
        for node in graph.node:
            for attribute in node.attribute:
                if attribute.HasField("t"):
                    yield attribute.t
                yield from attribute.tensors
                if attribute.HasField("g"):
                    yield from visit(attribute.g)
                for sub in attribute.graphs:
                    yield from visit(sub)

    yield from visit(model.graph)


def write_external(model: Any, storage: dict[str, bytes], path: Path) -> None:
    """Write tf2onnx's large model as ``path`` + ``data_file(path)``: its set-aside tensors one
    after another in the data file (each dropped from ``storage`` once written, so the weights
    are held once), their entries pointing there."""
    from onnx.external_data_helper import uses_external_data

    data_path = data_file(path)
    placed: dict[str, tuple[int, int]] = {}
    with data_path.open("wb") as data:
        for tensor in _tensors(model):
            if not uses_external_data(tensor):
                continue
            location = next(e.value for e in tensor.external_data if e.key == "location")
            if location not in placed:
                raw = storage.pop(location)
                data.seek(-data.tell() % 4096, 1)  # page-aligned, as onnx.save aligns them
                placed[location] = (data.tell(), len(raw))
                data.write(raw)
                del raw
            offset, length = placed[location]
            del tensor.external_data[:]
            for key, value in (
                ("location", data_path.name),
                ("offset", offset),
                ("length", length),
            ):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, str(value)
    path.write_bytes(model.SerializeToString())


def uses_external_data(path: Path) -> bool:
    """Whether the ONNX file at ``path`` keeps its weights in a data file."""
    return data_file(path).exists()


def copy_model(source: Path, target: Path) -> None:
    """Copy an ONNX model, with its external data under the target's own data file name."""
    if not uses_external_data(source):
        shutil.copyfile(source, target)
        return
    import onnx

    model = onnx.load(str(source), load_external_data=False)
    for tensor in _tensors(model):
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = data_file(target).name
    shutil.copyfile(data_file(source), data_file(target))
    target.write_bytes(model.SerializeToString())


def _distinct_output_names(
    renames: dict[str, str], inputs: list[str], outputs: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """tf2onnx's renames with no output named like an input; and {onnx name: signature name}."""
    taken = {renames.get(name, name) for name in inputs}
    result = dict(renames)
    renamed: dict[str, str] = {}
    for tensor in outputs:
        wanted = name = renames.get(tensor, tensor)
        while name in taken:
            name += RENAMED_OUTPUT_SUFFIX
        if name != wanted:
            result[tensor] = name
            renamed[name] = wanted
        taken.add(name)
    return result, renamed


def restore_input_names(model: Any, names: list[str]) -> None:
    """Rename graph inputs that differ from a signature input name only by case."""
    by_lower = {name.lower(): name for name in names}
    renames = {
        graph_input.name: by_lower[graph_input.name.lower()]
        for graph_input in model.graph.input
        if graph_input.name not in names and graph_input.name.lower() in by_lower
    }
    if not renames:
        return
    for graph_input in model.graph.input:
        graph_input.name = renames.get(graph_input.name, graph_input.name)

    def visit(graph: Any) -> None:
        for node in graph.node:
            for index, name in enumerate(node.input):
                if name in renames:
                    node.input[index] = renames[name]
            for attribute in node.attribute:
                if attribute.HasField("g"):
                    visit(attribute.g)
                for sub in attribute.graphs:
                    visit(sub)

    visit(model.graph)


def _unsupported(collector: _UnsupportedOpCollector) -> list[UnsupportedOp]:
    return [
        UnsupportedOp(op=op, nodes=sorted(nodes)) for op, nodes in sorted(collector.nodes.items())
    ]


def check(model: Any) -> str | None:
    """``onnx.checker`` with full shape inference; the error text, or None when valid.
    ``model``: a ModelProto or the path of a file (external data found beside it)."""
    import onnx

    try:
        onnx.checker.check_model(str(model) if isinstance(model, Path) else model, full_check=True)
    except Exception as exc:
        return f"onnx.checker: {str(exc).strip().splitlines()[0]}"
    return None


def operator_counts(model: Any) -> dict[str, int]:
    """Op types in the graph (``domain::Op`` outside the default domain), subgraphs included."""
    counts: Counter[str] = Counter()

    def visit(graph: Any) -> None:
        for node in graph.node:
            counts[f"{node.domain}::{node.op_type}" if node.domain else node.op_type] += 1
            for attribute in node.attribute:
                if attribute.g is not None and len(attribute.g.node):
                    visit(attribute.g)
                for sub in attribute.graphs:
                    visit(sub)

    visit(model.graph)
    return dict(sorted(counts.items()))


def input_shapes(model: Any) -> dict[str, list[int | None]]:
    """The graph inputs' shapes; None for a symbolic or unknown dimension."""
    shapes: dict[str, list[int | None]] = {}
    initializers = {init.name for init in model.graph.initializer}
    for graph_input in model.graph.input:
        if graph_input.name in initializers:
            continue
        dims = graph_input.type.tensor_type.shape.dim
        shapes[graph_input.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return shapes


def load(path: Path) -> SampleRunner:
    """Run one sample through onnxruntime (CPU), outputs keyed by the signature's names."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    output_names = [o.name for o in session.get_outputs()]
    input_names = {i.name for i in session.get_inputs()}
    renamed = json.loads(session.get_modelmeta().custom_metadata_map.get(RENAMED_OUTPUTS_KEY, "{}"))
    keys = [renamed.get(name, name) for name in output_names]

    def run(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = {name: value for name, value in sample.items() if name in input_names}
        values = session.run(output_names, feed)
        return dict(zip(keys, (np.asarray(v) for v in values), strict=True))

    return run


def derive(float32_path: Path, variant: str, target: Path, *, float16_io: bool) -> None:
    """Write ``variant`` of the float32 ONNX model at ``target``.

    float16: onnxconverter-common's converter; inputs and outputs stay float32 unless
    ``float16_io``. dynamic: onnxruntime's dynamic quantization (int8 weights, activations
    quantized at run time).
    """
    import onnx

    external = uses_external_data(float32_path)
    if variant == "float32":
        copy_model(float32_path, target)
    elif variant == "float16":
        from onnxconverter_common import float16

        if external:  # shape inference from the path: the in-memory one stops at 2 GiB
            model = float16.convert_float_to_float16_model_path(
                str(float32_path), keep_io_types=not float16_io
            )
        else:
            model = float16.convert_float_to_float16(
                onnx.load(str(float32_path)), keep_io_types=not float16_io
            )
        onnx.save_model(
            model,
            str(target),
            save_as_external_data=external,
            all_tensors_to_one_file=True,
            location=data_file(target).name,
        )
    elif variant == "dynamic":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # onnxruntime names the data file NAME.onnx.data, as data_file() does.
        quantize_dynamic(
            str(float32_path),
            str(target),
            weight_type=QuantType.QInt8,
            use_external_data_format=external,
        )
    else:
        raise ValueError(f"unknown ONNX variant {variant!r}")


def produce(jobs: list[ConversionJob]) -> list[Candidate]:
    """One tf2onnx conversion; every variant derived from it, checked and staged.

    A model counts only if tf2onnx left no TensorFlow op in it and it passes
    ``onnx.checker``; onnxruntime loading it is checked when it is validated.
    """
    first = jobs[0]
    started = time.perf_counter()
    weights = model_size.weight_bytes_on_disk(first.saved_model_dir)
    large = weights > model_size.external_data_threshold()
    conversion = convert(
        first.saved_model_dir,
        first.tags,
        first.signature,
        first.opset,
        sorted(first.shapes),
        large_model=large,
    )
    seconds = time.perf_counter() - started
    unsupported_names = {u.op for u in conversion.unsupported}
    coverage = OpCoverage(
        converted_ops=[op for op in conversion.source_ops if op not in unsupported_names],
        unsupported_ops=conversion.unsupported,
    )
    if conversion.model is None:
        error = conversion.error or "tf2onnx returned no model"
        return [Candidate(job, None, coverage, seconds, error=error) for job in jobs]
    problems = []
    if conversion.unsupported:
        problems.append(
            "tf2onnx could not convert "
            + ", ".join(f"{u.op} (at {', '.join(u.nodes[:3])})" for u in conversion.unsupported)
            + " and left the TensorFlow op in the graph"
        )
    float32_path = first.staging_dir / "tf2onnx_float32.onnx"
    if conversion.external is not None:
        write_external(conversion.model, conversion.external, float32_path)
    else:
        float32_path.write_bytes(conversion.model.SerializeToString())
    checker_error = check(float32_path)
    if checker_error:
        problems.append(checker_error)
    if problems:
        coverage.output_op_counts = operator_counts(conversion.model)
        error = "; ".join(problems)
        return [Candidate(job, None, coverage, seconds, error=error) for job in jobs]
    large_note = None
    if conversion.external is not None:
        large_note = (
            f"{human(weights)} of weights, over the {human(model_size.external_data_threshold())}"
            " external-data threshold: converted with tf2onnx's large_model, the weights written"
            " as ONNX external data in {data} beside the .onnx (keep the two files together)"
        )
    del conversion
    return [_derive_candidate(job, float32_path, coverage, seconds, large_note) for job in jobs]


def _derive_candidate(
    job: ConversionJob,
    float32_path: Path,
    base_coverage: OpCoverage,
    tf2onnx_seconds: float,
    large_note: str | None,
) -> Candidate:
    """Derive one variant from the float32 model, stage it, check it."""
    import onnx

    started = time.perf_counter()
    try:
        derive(float32_path, job.variant, job.staged_path, float16_io=job.onnx_float16_io)
    except Exception as exc:
        error = f"deriving the {job.variant} model failed: {type(exc).__name__}: {exc}"
        return Candidate(job, None, base_coverage, tf2onnx_seconds, error=error)
    seconds = tf2onnx_seconds + time.perf_counter() - started
    model = onnx.load(str(job.staged_path), load_external_data=False)  # the graph, not weights
    coverage = base_coverage.model_copy(update={"output_op_counts": operator_counts(model)})
    checker_error = check(job.staged_path)
    if checker_error:
        return Candidate(job, None, coverage, seconds, error=checker_error)
    return Candidate(
        job,
        job.staged_path,
        coverage,
        seconds,
        input_shapes=input_shapes(model),
        notes=[large_note.format(data=data_file(job.staged_path).name)] if large_note else [],
    )
