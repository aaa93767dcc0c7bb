"""The original model as TensorFlow sees it: signatures, IO specs, op inventory, reference outputs.

Runs inside a worker process (imports TensorFlow lazily). Everything it returns is plain data.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BadInputError
from ..report.source_info import TensorInfo
from ..units import human
from ..workers import memory_limit
from . import rederive
from . import representative_data as representative
from .graph_facts import GraphFacts, read_graph_facts
from .inputs import INPUT_NOTE, InputSpec, shape_candidates, synthetic_samples
from .samples import Samples
from .specs import FixedShapeModel, PreparedSource, PrepareSpec, Selection, StageMark
from .tf_errors import describe_failure
from .tf_errors import one_line as _first_line

DEFAULT_SIGNATURE = "serving_default"
DEFAULT_TAGS = ("serve",)
# TF1 Hub modules: the inference graph is the empty tag set, the main signature "default".
TF1_HUB_SIGNATURE = "default"


def read_meta_graphs(saved_model_dir: Path) -> Any:
    """The SavedModel protobuf (tag sets, signature defs, graph and function library)."""
    from google.protobuf import text_format
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    binary = saved_model_dir / "saved_model.pb"
    try:
        if binary.is_file():
            proto.ParseFromString(binary.read_bytes())
        else:
            text_format.Parse((saved_model_dir / "saved_model.pbtxt").read_text(), proto)
    except Exception as exc:  # protobuf raises DecodeError / ParseError
        raise BadInputError(
            f"{saved_model_dir}: saved_model.pb is not a valid SavedModel ({exc}); "
            "re-export the model"
        ) from exc
    return proto


def choose_tags(proto: Any, requested: tuple[str, ...] | None, where: str) -> list[str]:
    """The tag set to load: the requested one, else ``serve``, else the only one there is."""
    tag_sets = [sorted(mg.meta_info_def.tags) for mg in proto.meta_graphs]
    shown = "; ".join(",".join(t) or "(empty)" for t in tag_sets)
    if requested is not None:
        if sorted(requested) in tag_sets:
            return sorted(requested)
        raise BadInputError(
            f"{where}: no MetaGraph with tags {','.join(requested) or '(empty)'}; "
            f"available tag sets: {shown}; pass one with --tags"
        )
    if sorted(DEFAULT_TAGS) in tag_sets:
        return sorted(DEFAULT_TAGS)
    if len(tag_sets) == 1:
        return tag_sets[0]
    if [] in tag_sets:  # a TF1 Hub module ({} for inference, {"train"}), e.g. from a handle
        return []
    raise BadInputError(f"{where}: several tag sets ({shown}); choose one with --tags")


def graph_op_counts(graph_def: Any) -> Counter[str]:
    """Op types in a GraphDef's top graph and in every function of its library."""
    counts: Counter[str] = Counter(node.op for node in graph_def.node)
    for function in graph_def.library.function:
        counts.update(node.op for node in function.node_def)
    return counts


# Structural ops that every graph has; listing them as "converted" would say nothing.
INFRASTRUCTURE_OPS = frozenset(
    {
        "Placeholder",
        "Const",
        "Identity",
        "IdentityN",
        "NoOp",
        "PartitionedCall",
        "StatefulPartitionedCall",
        "ReadVariableOp",
        "VarHandleOp",
        "_Arg",
        "_Retval",
    }
)


def converted_op_types(graph_def: Any) -> list[str]:
    """The op types a converter has to handle in ``graph_def``, structural ops left out."""
    return converted_op_types_of(graph_op_counts(graph_def))


def converted_op_types_of(op_counts: Mapping[str, int]) -> list[str]:
    """The op types among ``op_counts`` a converter has to handle."""
    return sorted(set(op_counts) - INFRASTRUCTURE_OPS)


def count_ops(meta_graph: Any, signature: str) -> dict[str, int]:
    """Op types the ``signature`` of a MetaGraph reaches, through the functions it calls
    (Keras 3 hides its ops there): what a converter sees when the signature cannot be frozen.
    The saver's SaveV2 / RestoreV2 and other functions nothing calls are not counted."""
    graph_def = meta_graph.graph_def
    nodes = {node.name: node for node in graph_def.node}
    functions = {function.signature.name: function for function in graph_def.library.function}
    outputs = meta_graph.signature_def[signature].outputs.values()
    stack = [info.name.lstrip("^").split(":")[0] for info in outputs if info.name]
    seen_nodes: set[str] = set()
    seen_functions: set[str] = set()
    counts: Counter[str] = Counter()

    def called(node: Any) -> list[str]:
        names = []
        for value in node.attr.values():
            if value.HasField("func"):
                names.append(value.func.name)
            names += [f.name for f in value.list.func]
        return names

    def visit_function(name: str) -> None:
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen_functions or current not in functions:
                continue
            seen_functions.add(current)
            for node in functions[current].node_def:
                counts[node.op] += 1
                pending += called(node)

    while stack:
        name = stack.pop()
        if name in seen_nodes or name not in nodes:
            continue
        seen_nodes.add(name)
        node = nodes[name]
        counts[node.op] += 1
        for function in called(node):
            visit_function(function)
        stack += [reference.lstrip("^").split(":")[0] for reference in node.input]
    return dict(sorted(counts.items()))


def choose_signature(available: list[str], requested: str | None, where: str) -> str:
    if not available:
        raise BadInputError(
            f"{where}: the SavedModel has no signatures; export it with a serving signature "
            "(Keras: model.export(); tf.saved_model.save(obj, dir, signatures=...))"
        )
    if requested is not None:
        if requested in available:
            return requested
        raise BadInputError(
            f"{where}: no signature {requested!r}; available: {', '.join(available)}"
        )
    if DEFAULT_SIGNATURE in available:
        return DEFAULT_SIGNATURE
    if len(available) == 1:
        return available[0]
    if TF1_HUB_SIGNATURE in available:  # a TF1 Hub module's main signature
        return TF1_HUB_SIGNATURE
    raise BadInputError(
        f"{where}: no {DEFAULT_SIGNATURE!r} signature; choose one with --signature "
        f"from: {', '.join(available)}"
    )


def _dims(shape: Any) -> list[int | None]:
    return (
        [None if d is None else int(d) for d in shape.as_list()] if shape.rank is not None else []
    )


def load_signature(saved_model_dir: Path, tags: list[str], signature: str) -> Any:
    """Load the SavedModel and return (loaded object, signature function)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(saved_model_dir), tags=tags)
    return loaded, loaded.signatures[signature]


def signature_io(function: Any) -> tuple[list[TensorInfo], list[TensorInfo]]:
    """Inputs and outputs of a signature function, sorted by name."""
    args, kwargs = function.structured_input_signature
    if args:
        raise BadInputError("signature takes positional inputs; hub-convert needs named inputs")
    inputs = [
        TensorInfo(name=name, dtype=spec.dtype.name, shape=_dims(spec.shape))
        for name, spec in sorted(kwargs.items())
    ]
    structured = function.structured_outputs
    if not isinstance(structured, dict):
        structured = {"output_0": structured}
    outputs = [
        TensorInfo(name=name, dtype=spec.dtype.name, shape=_dims(spec.shape))
        for name, spec in sorted(structured.items())
    ]
    return inputs, outputs


def run_reference(function: Any, samples: list[dict[str, np.ndarray]]) -> list[dict[str, Any]]:
    """The original model's outputs for each sample, as numpy arrays."""
    import tensorflow as tf

    results = []
    for sample in samples:
        outputs = function(**{name: tf.constant(value) for name, value in sample.items()})
        if not isinstance(outputs, dict):
            outputs = {"output_0": outputs}
        results.append({name: np.asarray(tensor.numpy()) for name, tensor in outputs.items()})
    return results


def check_sample_size(specs: list[InputSpec], count: int, where: str) -> None:
    """Refuse synthetic samples that would take over a quarter of this worker's memory limit
    (the model needs the rest), before allocating them."""
    limit = memory_limit.current()
    if limit is None:
        return
    sizes = {s.name: math.prod(s.shape) * _item_bytes(s.dtype) * count for s in specs}
    if sum(sizes.values()) > limit // 4:
        name = max(sizes, key=lambda n: sizes[n])
        shape = "x".join(str(d) for s in specs if s.name == name for d in s.shape)
        raise BadInputError(
            f"{where}: {count} samples of input {name} at {shape} need "
            f"{human(sum(sizes.values()))}, over the "
            f"{human(limit // 4)} allowed (a quarter of --max-memory); choose a "
            "smaller --input-shape or fewer --samples"
        )


def _item_bytes(dtype: str) -> int:
    # Floats are drawn as float64 before the cast: count that. Strings are object pointers.
    try:
        return max(8, np.dtype(dtype).itemsize)
    except TypeError:
        return 8


def _synthetic_specs(
    inputs: list[TensorInfo], shapes: dict[str, tuple[int, ...]], facts: GraphFacts | None
) -> list[InputSpec]:
    limits = facts.index_limits if facts else {}
    return [InputSpec(t.name, t.dtype, shapes[t.name], limits.get(t.name)) for t in inputs]


def _run_synthetic(
    function: Any, inputs: list[TensorInfo], spec: PrepareSpec, facts: GraphFacts | None
) -> tuple[list[dict[str, np.ndarray]], list[dict[str, Any]], list[InputSpec], list[str]]:
    """(samples, the original's outputs, the input specs, notes) at the first candidate shape
    the original model accepts; BadInputError naming the error when it accepts none."""
    first_error: str | None = None
    tried: list[str] = []
    empty: tuple[Any, ...] | None = None  # the first size the model accepted with an empty output
    for shapes, notes in shape_candidates(inputs, spec.input_shapes, spec.display_path):
        specs = _synthetic_specs(inputs, shapes, facts)
        check_sample_size(specs, spec.samples + spec.calibration_samples, spec.display_path)
        try:
            samples = synthetic_samples(specs, spec.samples, spec.seed)
        except ValueError as exc:
            raise BadInputError(f"{spec.display_path}: {exc}") from exc
        try:
            reference = run_reference(function, samples)
        except Exception as exc:  # tf.errors.OpError and friends: the model refused the inputs
            if memory_limit.looks_exhausted(exc):  # a smaller size would not help
                doing = "running the model on the validation inputs"
                raise BadInputError(
                    f"{spec.display_path}: {describe_failure(doing, exc)}"
                ) from None
            first_error = first_error or _first_line(exc)
            tried.append(", ".join(f"{n} {list(d)}" for n, d in shapes.items()))
            continue
        hollow = _empty_output(reference)
        if hollow is not None:  # e.g. a crop larger than the input: it runs, and checks nothing
            empty = empty or (samples, reference, specs, notes)
            first_error = first_error or f"output {hollow!r} is empty at that size"
            tried.append(", ".join(f"{n} {list(d)}" for n, d in shapes.items()))
            continue
        if tried:
            notes.append(
                f"smaller or larger sizes were refused by the model or left an output empty "
                f"({first_error})"
            )
        return samples, reference, specs, notes
    if empty is not None:  # no size fills every output: compare what there is, and say so
        return (
            empty[0],
            empty[1],
            empty[2],
            [*empty[3], f"no size tried fills every output ({first_error})"],
        )
    raise BadInputError(
        f"{spec.display_path}: the original model fails on the validation inputs "
        f"({'; '.join(tried[:3])}): {first_error}; give working shapes with --input-shape, "
        "or real inputs with --representative-data"
    )


def _empty_output(reference: list[dict[str, Any]]) -> str | None:
    """The name of an output with no elements in some sample, or None."""
    for sample in reference:
        for name, value in sample.items():
            if np.asarray(value).size == 0:
                return str(name)
    return None


def _select(
    proto: Any, tags: tuple[str, ...] | None, signature: str | None, where: str
) -> tuple[Selection, Any]:
    chosen_tags = choose_tags(proto, tags, where)
    meta_graph = next(
        mg for mg in proto.meta_graphs if sorted(mg.meta_info_def.tags) == chosen_tags
    )
    # "__saved_model_init_op" and friends are TF's own bookkeeping, not callable signatures.
    available = sorted(k for k in meta_graph.signature_def if not k.startswith("__"))
    chosen = choose_signature(available, signature, where)
    input_names = sorted(meta_graph.signature_def[chosen].inputs)
    return Selection(chosen_tags, chosen, available, input_names), meta_graph


def select(
    saved_model_dir: Path, tags: tuple[str, ...] | None, signature: str | None, where: str
) -> Selection:
    """The tag set and signature to convert, read from the protobuf (nothing loaded or run):
    what a conversion that does not need the samples can start from."""
    return _select(read_meta_graphs(saved_model_dir), tags, signature, where)[0]


def prepare(spec: PrepareSpec) -> PreparedSource:
    """Inspect the model, choose the validation (and calibration) inputs, record the outputs.

    With ``representative_data`` the samples are the user's (checked against the signature);
    otherwise they are synthetic and seeded, at shapes the model accepts (see inputs.py).
    Calibration samples are written to ``calibration_path`` when ``calibration_samples`` > 0.
    """
    display_path = spec.display_path
    began = time.time()
    selection, meta_graph = _select(
        read_meta_graphs(spec.saved_model_dir), spec.tags, spec.signature, display_path
    )
    chosen_tags, chosen, available = selection.tags, selection.signature, selection.available
    try:
        loaded, function = load_signature(spec.saved_model_dir, chosen_tags, chosen)
    except Exception as exc:  # missing variables, a restore or initializer function that fails
        doing = "loading the model in TensorFlow"
        raise BadInputError(f"{display_path}: {describe_failure(doing, exc)}") from None
    inputs, outputs = signature_io(function)
    unknown = sorted(set(spec.input_shapes) - {t.name for t in inputs})
    if unknown:
        raise BadInputError(
            f"--input-shape: no input named {unknown[0]!r} in signature {chosen!r}; "
            f"inputs: {', '.join(t.name for t in inputs)}"
        )
    facts = read_graph_facts(function, [t.name for t in inputs])
    marks = [StageMark.since("load", began)]
    began = time.time()
    notes: list[str] = []
    warnings: list[str] = []
    calibration: list[dict[str, np.ndarray]] = []
    calibration_note = None
    data_source = "synthetic"
    if spec.representative_data is not None:
        where = f"--representative-data {spec.representative_data}"
        arrays = representative.open_arrays(spec.representative_data)
        shapes, count = representative.check(arrays, inputs, spec.input_shapes, where)
        for info in inputs:
            info.validation_shape = list(shapes[info.name])
            notes += [
                f"{info.name}[{axis}] = {shapes[info.name][axis]} (from the representative data)"
                for axis, declared in enumerate(info.shape)
                if declared is None
            ]
        chosen_split = representative.split(
            arrays, inputs, count, validation=spec.samples, calibration=spec.calibration_samples
        )
        sample_inputs = chosen_split.validation
        data_source = str(spec.representative_data)
        if spec.calibration_samples:
            calibration = chosen_split.calibration
            calibration_note = (
                f"representative data {spec.representative_data}: {chosen_split.note}"
            )
        try:
            reference = run_reference(function, sample_inputs)
        except Exception as exc:
            raise BadInputError(
                f"{display_path}: the original model fails on {where}: {_first_line(exc)}"
            ) from None
    else:
        sample_inputs, reference, specs, notes = _run_synthetic(function, inputs, spec, facts)
        for info, input_spec in zip(inputs, specs, strict=True):
            info.validation_shape = list(input_spec.shape)
        if spec.calibration_samples:
            # Another seed: calibration never sees the validation samples.
            calibration = synthetic_samples(specs, spec.calibration_samples, spec.seed + 1)
            calibration_note = (
                f"{spec.calibration_samples} synthetic samples (seed {spec.seed + 1})"
            )
            warnings.append(
                "Quantized variants were calibrated on random synthetic inputs: their drift "
                "here says little about accuracy on real data. Pass --representative-data "
                "with real samples."
            )
    if calibration and spec.calibration_path is not None:
        Samples([t.name for t in inputs], [], calibration, [{} for _ in calibration]).save(
            spec.calibration_path
        )
    Samples(
        input_names=[t.name for t in inputs],
        output_names=[t.name for t in outputs],
        inputs=sample_inputs,
        outputs=reference,
    ).save(spec.samples_path)
    cut_graphs = rederive.reproducing(facts.cut_graphs, sample_inputs, reference) if facts else {}
    marks.append(StageMark.since("reference", began))
    fixed_shape = None
    if spec.fixed_shape_dir is not None:  # saved while the model is loaded, once for all variants
        from .targets.tflite import export_fixed_shape

        began = time.time()
        shapes = {t.name: tuple(t.validation_shape or ()) for t in inputs}
        frozen = converted_op_types_of(facts.op_counts) if facts else None
        try:
            source_ops = export_fixed_shape(loaded, function, shapes, spec.fixed_shape_dir, frozen)
        except Exception:  # e.g. tracing fails at that shape: each TFLite
            # variant then tries the signature itself and fails as an artifact with the
            # cause, rather than the whole run stopping here for what only TFLite needs.
            source_ops = None
        if source_ops is not None:
            fixed_shape = FixedShapeModel(spec.fixed_shape_dir, source_ops)
        marks.append(StageMark.since("export", began))
    del loaded
    index_notes = facts.index_notes if facts and data_source == "synthetic" else {}
    return PreparedSource(
        signature=chosen,
        available_signatures=available,
        tags=chosen_tags,
        inputs=inputs,
        outputs=outputs,
        op_counts=facts.op_counts if facts else count_ops(meta_graph, chosen),
        input_note=INPUT_NOTE,
        fixed_dimensions=notes,
        input_choices=[f"{name}: {note}" for name, note in sorted(index_notes.items())],
        sample_count=len(sample_inputs),
        data_source=data_source,
        calibration_note=calibration_note,
        warnings=warnings,
        order_depends_on=facts.order_depends_on if facts else {},
        cut_graphs=cut_graphs,
        fixed_shape=fixed_shape,
        marks=marks,
    )
