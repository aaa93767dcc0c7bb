"""The validation (and calibration) samples, and the original model's outputs on them.

With ``representative_data`` the samples are the user's (checked against the signature);
otherwise they are synthetic and seeded, at the first shape the model accepts (see inputs.py).
Runs inside a worker process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BadInputError
from ..report.source_info import TensorInfo
from ..units import human
from ..workers import memory_limit
from . import representative_data as representative
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


def choose_validation_inputs(
    function: Any, inputs: list[TensorInfo], spec: PrepareSpec, facts: GraphFacts | None
) -> ValidationInputs:
    """The validation and calibration samples, the original's outputs on the validation ones;
    each input's ``validation_shape`` is set to the shape chosen."""
    if spec.representative_data is not None:
        return _from_representative_data(function, inputs, spec, spec.representative_data)
    return _synthetic(function, inputs, spec, facts)


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
    function: Any, inputs: list[TensorInfo], spec: PrepareSpec, facts: GraphFacts | None
) -> ValidationInputs:
    samples, reference, specs, notes = _run_synthetic(function, inputs, spec, facts)
    for info, input_spec in zip(inputs, specs, strict=True):
        info.validation_shape = list(input_spec.shape)
    chosen = ValidationInputs(samples, reference, notes, data_source="synthetic")
    if spec.calibration_samples:
        # Another seed: calibration never sees the validation samples.
        chosen.calibration = synthetic_samples(specs, spec.calibration_samples, spec.seed + 1)
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
