"""A report.json as an attacker would write it: every free string of the schema is hostile.

Built from a report that makes every part of the template render (a drifting, a failed and a
passing artifact, notes, warnings, provenance, flex and unsupported ops, latency, calibration),
then every string value and every key of a free mapping is replaced by a numbered payload
that tries each way out of Markdown: code spans and fences, raw HTML, HTML comments (another
model's sticky marker), mentions, references, links and autolinks, table cells, block markers.
Only the vocabulary (kind, target, variant, status, fail-on rules) keeps its values: a report
outside it is refused, which a test checks on its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub_convert.report.artifact import (
    Artifact,
    OpCoverage,
    OrderInsensitive,
    OutputDrift,
    Rederived,
    Tolerance,
    UnsupportedOp,
)
from hub_convert.report.device import (
    DeviceView,
    MobilePartitions,
    OpLeftOut,
    ShapeCheck,
    XnnpackCoverage,
)
from hub_convert.report.localization import KeepInFloat, LayerError, Localization
from hub_convert.report.mixed_precision import MixedPrecision
from hub_convert.report.run_info import DifferingOutput, Nondeterminism
from hub_convert.report.schema import Report
from support.report_factory import sample_report

OTHER_MARKER = "<!-- hub-convert:other-model -->"
INJECTED = "::error::injected"
PAYLOAD = (
    "x` `` ``` ~~~ </details> <img src=x onerror=alert(1)> " + OTHER_MARKER + " @octocat "
    "#1 GH-2 [link](https://evil) https://evil www.evil.com user@evil.com <https://evil> "
    "a|b a\\|b *b* _i_ $m$ &amp; ![i](https://evil/i.png) <script>alert(2)</script>"
)
# Line starts that would open blocks, a fence, a blank line, and the marker on its own line.
MULTILINE = (
    "# heading\n> quote\n- item\n1. one\n```\n~~~\n</details>\n\n"
    + OTHER_MARKER
    + "\n@octocat #3 https://evil\n"
    + INJECTED
)
_VOCABULARY = {"kind", "target", "variant", "status", "fail_on", "provider", "suitability"}
_FREE_MAPPINGS = {
    "op_counts",
    "provenance",
    "versions",
    "output_op_counts",
    "weight_types",
    "input_shapes",
    "shapes",
}


def hostile(number: int) -> str:
    """A payload that starts with a backtick (a code span must be padded) and spans lines."""
    return f"`{number} {PAYLOAD}\n{MULTILINE}"


def _rich_report(*, synthetic: bool) -> Report:
    report = sample_report(passed=False)
    source = report.source
    source.available_signatures = ["serving_default", "other_signature"]
    source.tags = ["serve", "gpu"]
    source.provenance = {"generatedBy": "TensorFlow.js tfjs-layers v4", "convertedBy": "tfjs"}
    source.fixed_dimensions = ["x: dimension 0 fixed to 1"]
    tflite, onnx = report.artifacts
    tflite.status = "drift"
    tflite.notes = ["no int8 weight"]
    tflite.drift = [
        OutputDrift(output="y", within_tolerance=False, problem="NaN in 1 values"),
        OutputDrift(
            output="z",
            max_abs=1.0,
            cosine=0.5,
            within_tolerance=False,
            failed_checks=["max abs 1 > bound 1e-4"],
        ),
        OutputDrift(output="v", within_tolerance=False, compared=False, problem="no values"),
    ]
    tflite.coverage = OpCoverage(
        converted_ops=["MatMul"], flex_ops=["Erf"], output_op_counts={"FULLY_CONNECTED": 1}
    )
    tflite.weight_types = {"float32": 2}
    tflite.input_shapes = {"x": [1, 4]}
    assert onnx.coverage is not None
    onnx.coverage.unsupported_ops = [UnsupportedOp(op="Lgamma", nodes=["a", "b", "c", "d"])]
    dynamic = Artifact(
        target="tflite",
        variant="dynamic",
        path="out/tiny_dynamic.tflite",
        size_bytes=512,
        status="passed",
        tolerance=Tolerance(min_cosine=0.99),
        drift=[
            OutputDrift(
                output="w",
                max_abs=1e-3,
                cosine=0.9999,
                within_tolerance=True,
                failed_checks=["max abs 1e-3 > bound 1e-4"],
                order_insensitive=OrderInsensitive(
                    depends_on="TopK at detections/TopKV2",
                    method="sorted rows",
                    max_abs=0.0,
                    cosine=1.0,
                    within_tolerance=True,
                ),
                nonfinite="2 NaN",
            ),
            OutputDrift(
                output="state",
                max_abs=3e-4,
                cosine=1.0,
                within_tolerance=True,
                failed_checks=["max abs 3e-4 > 2e-4"],
                within_as_a_whole="as a whole: cosine 1 - 1e-10, PSNR 99 dB",
            ),
            OutputDrift(
                output="boxes",
                max_abs=500.0,
                cosine=0.8,
                within_tolerance=True,
                failed_checks=["max abs 500 > bound 0.05"],
                rederived=Rederived(
                    from_outputs=["heat", "sizes"],
                    decided_by="TopKV2 (node detections/TopKV2)",
                    max_abs=0.0,
                    cosine=1.0,
                    within_tolerance=True,
                ),
            ),
        ],
        attempts=["builtins: refused"],
        latency_ms=0.5,
        speedup_vs_tensorflow=2.0,
    )
    report.artifacts.append(dynamic)
    tflite.device = DeviceView(
        xnnpack=XnnpackCoverage(
            delegated_ops=1, total_ops=2, left_out=[OpLeftOut(op="TOPK_V2", nodes=["t"])]
        ),
        gpu="not checked: no GPU",
        fixed_shapes="batch fixed at 1 (x: 1×4)",
        problems=["XNNPACK not checked: error"],
    )
    onnx.device = DeviceView(
        mobile=[
            MobilePartitions(
                provider=provider,
                supported_nodes=3,
                total_nodes=4,
                partitions=2,
                unsupported_ops=[OpLeftOut(op="Erf", nodes=["e"])],
                suitability="MAYBE",
            )
            for provider in ("NNAPI", "CoreML NeuralNetwork", "CoreML MLProgram")
        ],
        opset=17,
        min_onnxruntime="1.12",
        mobile_note="shapes fixed",
        shape_checks=[ShapeCheck(shapes={"x": [2, 4]}, passed=False, problem="Reshape failed")],
        checked_on="tiny_float32.onnx",
    )
    layer = LayerError(
        node="n",
        op="CONV_2D",
        relative_error=0.3,
        introduced=0.2,
        max_abs=5.0,
        cosine=0.9,
        within_tolerance=False,
    )
    tflite.localization = Localization(
        tensors=5,
        mapped=4,
        first_over=layer,
        worst=[layer, layer.model_copy()],
        notes=["advice"],
        node_data="nd.json",
        keep_in_float=KeepInFloat(
            layers=["k1", "k2"],
            within_tolerance=True,
            worst_cosine=0.999,
            size_ratio=1.1,
            tried=2,
            quantizer="q",
        ),
    )
    dynamic.localization = Localization(tensors=0, mapped=0, error="RuntimeError: failed")
    dynamic.mixed_precision = MixedPrecision(
        kept=[layer.model_copy()], tried=3, int8_size_bytes=400, note="closest written"
    )
    validation = report.validation
    validation.warnings = ["int8 calibrated on random data"]
    validation.calibration = "100 random samples"
    validation.input_choices = ["tokens: indices below 5000"]
    validation.nondeterminism = Nondeterminism(
        outputs=[DifferingOutput(output="y", max_abs=0.5), DifferingOutput(output="s")],
        random_ops=["RandomUniform at dropout/random_uniform"],
    )
    validation.latency_runs = 5
    validation.tensorflow_latency_ms = 1.0
    validation.data_source = "synthetic" if synthetic else "data/samples.npz"
    return report


def _poison(node: Any, numbers: list[int], key: str | None = None) -> Any:
    if key in _VOCABULARY:
        return node
    if key == "data_source" and node == "synthetic":
        return node  # the synthetic case renders input_note instead
    if isinstance(node, dict):
        free = key in _FREE_MAPPINGS
        return {
            (_next(numbers) if free else k): _poison(v, numbers, None if free else k)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_poison(item, numbers) for item in node]
    if isinstance(node, str):
        return _next(numbers)
    return node


def _next(numbers: list[int]) -> str:
    numbers.append(len(numbers) + 1)
    return hostile(numbers[-1])


def crafted_report_json(path: Path, *, synthetic: bool = True) -> Path:
    """Write the hostile report.json to ``path`` (a file name in an existing directory)."""
    data = json.loads(_rich_report(synthetic=synthetic).to_json())
    path.write_text(json.dumps(_poison(data, []), indent=2), encoding="utf-8")
    return path


def code_values(report: Report, *, details: bool = True) -> list[str]:
    """The values the template shows as code: each must come out as one whole code span.

    Without ``details`` the per-output drift table and the op lists are left out.
    """
    source = report.source
    values = [source.path, source.signature, ",".join(source.tags)]
    values += [s for s in source.available_signatures if s != source.signature]
    values += list(source.provenance.values())
    values += [t.name for t in source.inputs + source.outputs]
    if details:
        values += list(source.op_counts)
        if report.validation.data_source != "synthetic":
            values.append(report.validation.data_source)
    for artifact in report.artifacts:
        worst = artifact.worst_drift()
        values += [d.output for d in artifact.drift] if details else [worst.output] if worst else []
        shown = artifact.drift if details else [worst] if worst else []
        values += [name for d in shown if d.rederived for name in d.rederived.from_outputs]
        if artifact.file_name:
            values.append(artifact.file_name)
        if artifact.coverage and details:
            values += artifact.coverage.flex_ops + list(artifact.coverage.output_op_counts)
            values += [u.op for u in artifact.coverage.unsupported_ops]
        device = artifact.device
        if device and details:  # the device section is part of the details
            values += [o.op for o in device.xnnpack.left_out] if device.xnnpack else []
            values += [u.op for m in device.mobile for u in m.unsupported_ops]
            values += [name for check in device.shape_checks for name in check.shapes]
        found = artifact.localization
        if found:  # shown with or without details
            layers = [found.first_over] if found.first_over else []
            values += [name for layer in layers + found.worst for name in (layer.node, layer.op)]
            values += found.keep_in_float.layers if found.keep_in_float else []
            values += [found.node_data] if found.node_data else []
        mixed = artifact.mixed_precision
        if mixed and artifact.size_bytes:
            values += [name for layer in mixed.kept for name in (layer.node, layer.op)]
    random = report.validation.nondeterminism
    if random:
        values += [d.output for d in random.outputs] + random.random_ops
    return values


def text_values(report: Report, *, details: bool = True) -> list[str]:
    """Values the template shows as text: each must read as it is (escapes undone)."""
    source, validation = report.source, report.validation
    values = [source.path, report.verdict.line, *report.verdict.failures, *validation.warnings]
    values += list(source.provenance) + source.fixed_dimensions
    values += [t.dtype for t in source.inputs + source.outputs]
    values += [report.environment.python, report.environment.platform]
    values += [f"{k} {v}" for k, v in sorted(report.environment.versions.items())]
    values += [report.tool_version, report.created_at, *validation.input_choices]
    if details and validation.calibration:
        values.append(validation.calibration)
    if details and validation.data_source == "synthetic":
        values.append(validation.input_note)
    for artifact in report.artifacts:
        worst = artifact.worst_drift()
        shown = artifact.drift if details else [worst] if worst else []
        values += artifact.notes + [d.problem for d in shown if d.problem]
        values += [check for d in shown for check in d.failed_checks if not d.within_tolerance]
        if details:
            for d in artifact.drift:
                if d.within_as_a_whole:
                    values += [*d.failed_checks, d.within_as_a_whole]
                elif d.rederived:
                    values.append(d.rederived.decided_by)
                elif d.order_insensitive and d.within_tolerance and d.failed_checks:
                    values += [d.order_insensitive.method, d.order_insensitive.depends_on]
                values += [d.nonfinite] if d.nonfinite else []
        device = artifact.device
        if device and details:
            values += [device.fixed_shapes] if device.fixed_shapes else []
            values += [device.gpu] if device.gpu else []
            values += [device.mobile_note] if device.mobile_note else []
            values += [device.checked_on] if device.checked_on else []
            values += device.problems + [c.problem for c in device.shape_checks if c.problem]
        found = artifact.localization
        if found:
            values += found.notes + ([found.error] if found.error else [])
            fix = found.keep_in_float
            values += [fix.quantizer] if fix and fix.quantizer else []
        mixed = artifact.mixed_precision
        if mixed and mixed.note and artifact.size_bytes:
            values.append(mixed.note)
    return values
