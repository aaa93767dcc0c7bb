"""Every shape an ONNX file claims: each file run at a second shape (see second_shape.py)
against the original at that shape, in one worker task that loads the original once.

A file that declares a dimension open and breaks at another value of it fails: it claims a
shape it cannot take. When the original refuses every shape tried, the file is still run: a
batch of 2 that neither takes fails it (the batch is fixed inside, whatever the signature
claims); an image size that neither takes is the model's own limit (strides, a fixed size
inside), said but never a failed file."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...report.device import ShapeCheck
from ..samples import Samples
from ..signature import load_signature, run_reference
from ..targets import onnx
from ..tasks import output_to
from ..tf_errors import one_line
from ..validate import compare_outputs, status_from_drift
from .second_shape import SecondShape, second_shapes
from .second_shape_reference import RecordedShapes
from .shape_specs import ShapeCheckSpec, ShapeFile


@dataclass
class _Reference:
    shape: SecondShape
    outputs: dict[str, Any] | None  # None: the original refuses every shape tried
    refused: str | None = None
    batch_refused: bool = False  # one of the refused shapes changed the batch alone


def check_other_shapes(spec: ShapeCheckSpec) -> tuple[dict[str, ShapeCheck], bool]:
    """Per file name, its run at a second shape (files with no open dimension are left out);
    and whether the original had to be loaded here (a shape prepare did not record)."""
    samples = Samples.load(spec.samples_path)
    results: dict[str, ShapeCheck] = {}
    references: dict[str, _Reference | None] = {}
    recorded = RecordedShapes.load(spec.recorded_path) if spec.recorded_path else RecordedShapes()
    loaded: list[Any] = []

    def run_original(shape: SecondShape) -> dict[str, Any] | str:
        outcome = recorded.outcome(shape)
        if outcome is not None:
            return outcome
        if not loaded:  # a shape prepare did not record: the original loaded here, once
            loaded.append(load_signature(spec.saved_model_dir, list(spec.tags), spec.signature)[1])
        try:
            [outputs] = run_reference(loaded[0], [shape.feed])
        except Exception as exc:
            return one_line(exc)
        return outputs

    with output_to(spec.log_path):
        for item in spec.files:
            key = json.dumps(item.input_shapes, sort_keys=True)
            if key not in references:
                shapes = second_shapes(samples, item.input_shapes)
                references[key] = _reference(run_original, shapes) if shapes else None
            reference = references[key]
            if reference is not None:
                results[item.file_name] = _check(
                    item, reference, samples, spec.order_depends_on, spec.random_outputs
                )
    return results, bool(loaded)


def _reference(
    run_original: Callable[[SecondShape], dict[str, Any] | str], shapes: list[SecondShape]
) -> _Reference:
    refused = ""
    batch_refused = False
    for shape in shapes:
        outputs = run_original(shape)
        if isinstance(outputs, str):  # the original refuses it: try the next shape
            refused = refused or outputs
            batch_refused = batch_refused or shape.changed == ("batch",)
            continue
        return _Reference(shape=shape, outputs=outputs)
    return _Reference(
        shape=shapes[-1] if batch_refused else shapes[0],
        outputs=None,
        refused=refused,
        batch_refused=batch_refused,
    )


def _claims(shape: SecondShape) -> str:
    return f"the file declares its {' and '.join(shape.changed)} open"


def _check(
    item: ShapeFile,
    reference: _Reference,
    samples: Samples,
    order: dict[str, str],
    random_outputs: tuple[str, ...] = (),
) -> ShapeCheck:
    shape = reference.shape
    shown = shape.described()
    try:
        got = onnx.load(item.path)(shape.feed)
    except Exception as exc:
        if reference.outputs is None and reference.batch_refused:
            problem = (
                f"{_claims(shape)} but breaks at {shown}: {onnx.RUNTIME}: {one_line(exc)}; the "
                f"original's signature claims it too and refuses it ({reference.refused}): "
                "the batch is fixed inside the model, whatever its signature says"
            )
            return ShapeCheck(shapes=shape.shapes(), passed=False, problem=problem)
        if reference.outputs is None:  # an image size the model itself refuses: no defect
            note = (
                f"neither the original nor the file takes {shown} (the original: "
                f"{reference.refused}): the model fixes that size inside, not the conversion"
            )
            return ShapeCheck(shapes=shape.shapes(), passed=True, problem=note)
        problem = f"{_claims(shape)} but breaks at {shown}: {onnx.RUNTIME}: {one_line(exc)}"
        return ShapeCheck(shapes=shape.shapes(), passed=False, problem=problem)
    if reference.outputs is None:
        note = (
            f"ran at {shown}; not compared: the original refuses that shape ({reference.refused})"
        )
        return ShapeCheck(shapes=shape.shapes(), passed=True, problem=note)
    compared = [name for name in samples.output_names if name not in random_outputs]
    unrepeatable = (
        f"outputs {', '.join(random_outputs)} not compared: the original is not deterministic"
        if random_outputs
        else None
    )
    at_shape = Samples(samples.input_names, compared, [shape.feed], [reference.outputs])
    drift = compare_outputs(at_shape, [got], item.tolerance, order)
    status, reason = status_from_drift(drift)
    if status == "drift":
        worst = [d for d in drift if d.compared and not d.within_tolerance]
        described = ", ".join(_drift_words(d.output, d.max_abs, d.problem) for d in worst)
        problem = f"{_claims(shape)} but differs from the original at {shown}: {described}"
        return ShapeCheck(shapes=shape.shapes(), passed=False, problem=problem)
    if status == "not-validated":
        return ShapeCheck(shapes=shape.shapes(), passed=True, problem=f"not compared: {reason}")
    return ShapeCheck(shapes=shape.shapes(), passed=True, problem=unrepeatable)


def _drift_words(output: str, max_abs: float | None, problem: str | None) -> str:
    if problem:
        return f"output {output!r}: {problem}"
    return f"output {output!r} max abs {max_abs:.3g}" if max_abs is not None else repr(output)
