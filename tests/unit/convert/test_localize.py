"""Where a drifting file drifts: a float16 file of a net with one overflowing conv is
localized to that conv, in TFLite and in ONNX, by one real run of hub-convert."""

from __future__ import annotations

from typing import Any

import pytest

from support.cli import CliRun, run_cli
from support.models.broken_layer import BROKEN_SCOPE, float16_overflow

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    root = tmp_path_factory.mktemp("localize")
    model = float16_overflow(root / "net")
    return run_cli(
        "convert", model, "--output-dir", root / "out", "--latency-runs", "0",
        *("--tflite-variants", "float32,float16", "--onnx-variants", "float32,float16"),
    )  # fmt: skip


def _localization(run: CliRun, target: str, variant: str) -> dict[str, Any]:
    artifact = run.artifact(target, variant)
    assert artifact["status"] == "drift", artifact["reason"]
    localization = artifact["localization"]
    assert localization is not None and localization["error"] is None, localization
    return localization


@pytest.mark.parametrize("target", ["tflite", "onnx"])
def test_the_overflowing_conv_is_the_first_layer_over_the_tolerance(
    broken_run: CliRun, target: str
) -> None:
    found = _localization(broken_run, target, "float16")

    assert found["first_over"]["node"].startswith(f"{BROKEN_SCOPE}/"), found["first_over"]
    assert found["worst"][0]["node"].startswith(f"{BROKEN_SCOPE}/"), found["worst"]
    # the convs and what follows them map; nothing before the broken conv is over
    assert found["mapped"] >= 4 and found["mapped"] <= found["tensors"]


def test_files_that_pass_cost_no_localization(broken_run: CliRun) -> None:
    for target in ("tflite", "onnx"):
        artifact = broken_run.artifact(target, "float32")
        assert artifact["status"] == "passed"
        assert artifact["localization"] is None


def test_the_log_names_the_layer(broken_run: CliRun) -> None:
    lines = [line for line in broken_run.stderr.splitlines() if "first over the tolerance" in line]
    assert len(lines) == 2 and all(f" at {BROKEN_SCOPE}/" in line for line in lines), lines
