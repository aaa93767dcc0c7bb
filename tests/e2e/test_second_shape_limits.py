"""The second shape an ONNX file is run at is one the original takes, where it takes one: an
image size halved (224 → 112) breaks models whose maps must agree at strides of 32, so a
multiple of 32 (192) is tried next. A size the original refuses too is the model's own limit,
which the file keeps faithfully: it is said, never a failed file."""

from __future__ import annotations

import pytest

from hub_convert.run.shape_stage import RELOADED
from support.cli import CliRun
from support.cli_batch import run_cli_batch
from support.models.device_models import image_size_functions, saved_model

pytestmark = pytest.mark.tf

QUICK = ("--latency-runs", "0", "--targets", "onnx", "--input-shape", "x=1x224x224x3")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliRun]:
    root = tmp_path_factory.mktemp("second_shape_limits")
    functions = image_size_functions()
    return run_cli_batch(
        {
            name: ("convert", saved_model(function, root / name), "--output-dir",
                   root / f"out_{name}", *QUICK)
            for name, function in functions.items()
        }
    )  # fmt: skip


def test_a_size_the_original_takes_is_found_when_half_is_refused(
    runs: dict[str, CliRun],
) -> None:
    run = runs["multiple_of_32"]

    assert run.exit_code == 0, run.stderr
    artifact = run.artifact("onnx", "float32")
    assert artifact["status"] == "passed"
    [check] = artifact["device"]["shape_checks"]
    assert check["passed"] is True and check["problem"] is None  # compared, and it matched
    assert check["shapes"] == {"x": [1, 192, 192, 3]}


def test_a_size_neither_takes_is_the_models_limit_not_a_failed_file(
    runs: dict[str, CliRun],
) -> None:
    run = runs["size_224_inside"]

    assert run.exit_code == 0, run.stderr
    artifact = run.artifact("onnx", "float32")
    assert artifact["status"] == "passed"
    [check] = artifact["device"]["shape_checks"]
    assert check["passed"] is True
    assert check["problem"].startswith("neither the original nor the file takes ")
    assert "not the conversion" in check["problem"]


def test_the_second_shape_check_loads_no_model_of_its_own(runs: dict[str, CliRun]) -> None:
    # prepare ran the original at the shapes the check tries, refused ones included
    for run in runs.values():
        assert "second shapes checked in" in run.stderr
        assert "(the original's outputs recorded while preparing)" in run.stderr
        assert RELOADED not in run.stderr
