"""Bad input: one line naming the problem, exit 2, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import CliRun, run_cli
from support.cli_batch import run_cli_batch


def _assert_clean_error(run_stderr: str, *needles: str) -> None:
    lines = [line for line in run_stderr.splitlines() if line.startswith("hub-convert: error: ")]
    assert len(lines) == 1, run_stderr
    assert lines[0] == run_stderr.rstrip("\n").splitlines()[-1], "the error is the last line"
    assert "Traceback" not in run_stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


INPUT_SHAPES = [
    ("pixels=1x32x32x3", "no input named 'pixels'"),
    ("image=1x32x32", "rank 3 does not match"),
    ("image=1x64x64x3", "dimension 1 is fixed to 32"),
]


@pytest.fixture(scope="module")
def refused_in_a_worker(
    keras_model: Path, two_signature_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CliRun]:
    """The runs whose bad input only a worker can see (it reads the model), started two at a
    time: each run's output directory is its own; the test named after each reads it."""
    root = tmp_path_factory.mktemp("refused_in_a_worker")
    earlier = root / "earlier"
    earlier.mkdir()
    (earlier / "report.json").write_text("earlier")
    corrupt = root / "corrupt"
    corrupt.mkdir()
    (corrupt / "saved_model.pb").write_bytes(b"\x00not a protobuf\xff" * 10)
    commands: dict[str, tuple[str | Path, ...]] = {
        "signature": (
            two_signature_model,
            "--output-dir",
            root / "signature",
            "--signature",
            "nope",
        ),
        # Into a directory an earlier run filled: a refused run leaves it as it was.
        "tags": (keras_model, "--output-dir", earlier, "--tags", "train"),
        "corrupt": (corrupt, "--output-dir", root / "corrupt_out"),
    }
    for index, (shape, _) in enumerate(INPUT_SHAPES):
        commands[shape] = (
            keras_model,
            "--output-dir",
            root / f"shape{index}",
            "--input-shape",
            shape,
        )
    return run_cli_batch({name: ("convert", *command) for name, command in commands.items()})


def test_missing_path(tmp_path: Path) -> None:
    run = run_cli("convert", tmp_path / "nope", "--output-dir", tmp_path / "out")
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, "nope", "no such file or directory")
    assert not (tmp_path / "out").exists()


def test_directory_that_is_not_a_saved_model(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    run = run_cli("convert", tmp_path / "empty", "--output-dir", tmp_path / "out")
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, "empty", "saved_model.pb")


@pytest.mark.parametrize(
    ("shape", "needle"),
    [
        ("image:1x2", "is not NAME=DIMxDIM"),
        ("image=1xx2", "is not NAME=DIMxDIM"),
        ("image=0x3", "zero"),
    ],
)
def test_malformed_input_shape(tmp_path: Path, shape: str, needle: str) -> None:
    run = run_cli("convert", tmp_path, "--output-dir", tmp_path / "out", "--input-shape", shape)
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, "--input-shape", needle)


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--targets", "tflite,coreml", "unknown value 'coreml'"),
        ("--tflite-variants", "int4", "unknown value 'int4'"),
        ("--samples", "many", "not a whole number"),
        ("--samples", "0", "at least 1"),
        ("--max-drift", "float32=big", "not a number"),
        ("--fail-on", "warnings", "unknown value 'warnings'"),
    ],
)
def test_bad_option_values(tmp_path: Path, option: str, value: str, needle: str) -> None:
    run = run_cli("convert", tmp_path, "--output-dir", tmp_path / "out", option, value)
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, option, needle)


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli("convert", tmp_path, "--output-dir", tmp_path / "out", "--colour", "blue")
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, "--colour")


@pytest.mark.tf
def test_unknown_signature_lists_known_ones(refused_in_a_worker: dict[str, CliRun]) -> None:
    run = refused_in_a_worker["signature"]
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, "no signature 'nope'", "serving_default, square")
    assert not run.output_dir.exists()


@pytest.mark.tf
def test_unknown_tags_list_available_tag_sets(refused_in_a_worker: dict[str, CliRun]) -> None:
    run = refused_in_a_worker["tags"]
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, "no MetaGraph with tags train", "available tag sets: serve")


@pytest.mark.tf
@pytest.mark.parametrize(("shape", "needle"), INPUT_SHAPES)
def test_input_shape_checked_against_signature(
    refused_in_a_worker: dict[str, CliRun], shape: str, needle: str
) -> None:
    run = refused_in_a_worker[shape]
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, needle)
    assert not run.output_dir.exists()


@pytest.mark.tf
def test_earlier_outputs_survive_a_bad_run(refused_in_a_worker: dict[str, CliRun]) -> None:
    run = refused_in_a_worker["tags"]
    out = run.output_dir
    assert run.exit_code == 2
    assert (out / "report.json").read_text() == "earlier"
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


def test_output_dir_that_is_a_file(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"")
    (tmp_path / "taken").write_text("keep me")
    run = run_cli("convert", model, "--output-dir", tmp_path / "taken")
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, "taken", "not a directory")
    assert (tmp_path / "taken").read_text() == "keep me"


@pytest.mark.tf
def test_corrupt_saved_model_pb(refused_in_a_worker: dict[str, CliRun]) -> None:
    run = refused_in_a_worker["corrupt"]
    assert run.exit_code == 2
    _assert_clean_error(run.stderr, "saved_model.pb is not a valid SavedModel")
