"""The validation (and calibration) samples, and the original model's outputs on them.

With ``representative_data`` the samples are the user's (checked against the signature);
otherwise they are synthetic and seeded, at the first shape the model accepts (see inputs.py).
Runs inside a worker process.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BadInputError
from ..report.source_info import TensorInfo
from ..units import human
from ..workers import memory_limit
from . import representative_data as representative
from .composite_inputs import CompositeInput
from .composite_samples import COMPOSITE_SIZES, CompositeLayout, layout_for
from .graph_facts import GraphFacts
from .inputs import InputSpec, shape_candidates, synthetic_samples
from .signature import run_reference
from .specs import PrepareSpec
from .tf_errors import describe_failure
from .tf_errors import one_line as _first_line

Sample = dict[str, np.ndarray]


@dataclass
class ValidationInputs:
    """The samples to validate on, the original's outputs on them, and the calibration set."""

    samples: list[Sample]
    reference: list[dict[str, Any]]
    fixed_dimensions: list[str]  # how each dynamic dimension got its size
    data_source: str  # "synthetic", or the representative data's path
    calibration: list[Sample] = field(default_factory=list)
    calibration_note: str | None = None
    warnings: list[str] = field(default_factory=list)
    composite_notes: list[str] = field(default_factory=list)  # what each sparse input got


def choose_validation_inputs(
    function: Any,
    inputs: list[TensorInfo],
    spec: PrepareSpec,
    facts: GraphFacts | None,
    composites: list[CompositeInput] | None = None,
) -> ValidationInputs:
    """The validation and calibration samples, the original's outputs on the validation ones;
    each input's ``validation_shape`` is set to the shape chosen. The parts of each
    SparseTensor / RaggedTensor input in ``composites`` are made together, coherent."""
    if spec.representative_data is not None:
        return _from_representative_data(function, inputs, spec, spec.representative_data)
    return _synthetic(function, inputs, spec, facts, composites or [])


def _from_representative_data(
    function: Any, inputs: list[TensorInfo], spec: PrepareSpec, path: Path
) -> ValidationInputs:
    notes: list[str] = []
    where = f"--representative-data {path}"
    arrays = representative.open_arrays(path)
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
    chosen = ValidationInputs(
        samples=chosen_split.validation,
        reference=[],
        fixed_dimensions=notes,
        data_source=str(path),
    )
    if spec.calibration_samples:
        chosen.calibration = chosen_split.calibration
        chosen.calibration_note = f"representative data {path}: {chosen_split.note}"
    try:
        chosen.reference = run_reference(function, chosen.samples)
    except Exception as exc:
        raise BadInputError(
            f"{spec.display_path}: the original model fails on {where}: {_first_line(exc)}"
        ) from None
    return chosen


def _synthetic(
    function: Any,
    inputs: list[TensorInfo],
    spec: PrepareSpec,
    facts: GraphFacts | None,
    composites: list[CompositeInput],
) -> ValidationInputs:
    samples, reference, specs, notes, layouts = _run_synthetic(
        function, inputs, spec, facts, composites
    )
    for info, input_spec in zip(inputs, specs, strict=True):
        info.validation_shape = list(input_spec.shape)
    chosen = ValidationInputs(samples, reference, notes, data_source="synthetic")
    chosen.composite_notes = [layout.note() for layout in layouts]
    if spec.calibration_samples:
        # Another seed: calibration never sees the validation samples.
        chosen.calibration = synthetic_samples(
            specs, spec.calibration_samples, spec.seed + 1, layouts
        )
        chosen.calibration_note = (
            f"{spec.calibration_samples} synthetic samples (seed {spec.seed + 1})"
        )
        chosen.warnings.append(
            "Quantized variants were calibrated on random synthetic inputs: their drift "
            "here says little about accuracy on real data. Pass --representative-data "
            "with real samples."
        )
    return chosen


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


def _candidates(
    inputs: list[TensorInfo], spec: PrepareSpec, composites: list[CompositeInput]
) -> Iterator[tuple[dict[str, tuple[int, ...]], list[str], list[CompositeLayout]]]:
    """Shapes to try for every input, with notes, and each composite input's layout: the
    dense inputs' candidates (inputs.py) beside the composites' own sizes."""
    parts = {name: c for c in composites for name in c.components}
    for name in sorted(set(spec.input_shapes) & set(parts)):
        raise BadInputError(
            f"--input-shape {name}: {name} is a part of input {parts[name].name} (a "
            f"{parts[name].kind} tensor), whose parts are sized together; drop it, or give "
            "real inputs with --representative-data"
        )
    dense = [t for t in inputs if t.name not in parts]
    declared = {t.name: t.shape for t in inputs}
    candidates = list(shape_candidates(dense, spec.input_shapes, spec.display_path))
    steps = max(len(candidates), len(COMPOSITE_SIZES) if composites else 0)
    for step in range(steps):
        shapes, notes = candidates[min(step, len(candidates) - 1)]
        try:
            layouts = [layout_for(c, _rank_hint(c, declared), step) for c in composites]
        except ValueError as exc:
            raise BadInputError(f"{spec.display_path}: {exc}") from exc
        shapes = {**shapes, **{n: s for layout in layouts for n, s in layout.shapes.items()}}
        yield shapes, list(notes), layouts


def _rank_hint(composite: CompositeInput, declared: dict[str, list[int | None]]) -> int | None:
    """A SparseTensor of unknown rank: the rank its dense_shape part declares."""
    if composite.kind != "sparse":
        return None
    dense_shape = declared.get(composite.components[2], [])
    return dense_shape[0] if len(dense_shape) == 1 else None


def _run_synthetic(
    function: Any,
    inputs: list[TensorInfo],
    spec: PrepareSpec,
    facts: GraphFacts | None,
    composites: list[CompositeInput],
) -> tuple[
    list[dict[str, np.ndarray]],
    list[dict[str, Any]],
    list[InputSpec],
    list[str],
    list[CompositeLayout],
]:
    """(samples, the original's outputs, the input specs, notes, composite layouts) at the
    first candidate shape the original model accepts; BadInputError naming the error when it
    accepts none."""
    first_error: str | None = None
    tried: list[str] = []
    empty: tuple[Any, ...] | None = None  # the first size the model accepted with an empty output
    for shapes, notes, layouts in _candidates(inputs, spec, composites):
        specs = _synthetic_specs(inputs, shapes, facts)
        check_sample_size(specs, spec.samples + spec.calibration_samples, spec.display_path)
        try:
            samples = synthetic_samples(specs, spec.samples, spec.seed, layouts)
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
            empty = empty or (samples, reference, specs, notes, layouts)
            first_error = first_error or f"output {hollow!r} is empty at that size"
            tried.append(", ".join(f"{n} {list(d)}" for n, d in shapes.items()))
            continue
        if tried:
            notes.append(
                f"smaller or larger sizes were refused by the model or left an output empty "
                f"({first_error})"
            )
        return samples, reference, specs, notes, layouts
    if empty is not None:  # no size fills every output: compare what there is, and say so
        return (
            empty[0],
            empty[1],
            empty[2],
            [*empty[3], f"no size tried fills every output ({first_error})"],
            empty[4],
        )
    parts = {name for c in composites for name in c.components}
    sizable = any(t.name not in parts for t in inputs)  # --input-shape cannot size a part
    advice = "give working shapes with --input-shape, or " if sizable else "give "
    raise BadInputError(
        f"{spec.display_path}: the original model fails on the validation inputs "
        f"({'; '.join(tried[:3])}): {first_error}; {advice}real inputs with "
        "--representative-data"
    )


def _empty_output(reference: list[dict[str, Any]]) -> str | None:
    """The name of an output with no elements in some sample, or None."""
    for sample in reference:
        for name, value in sample.items():
            if np.asarray(value).size == 0:
                return str(name)
    return None
