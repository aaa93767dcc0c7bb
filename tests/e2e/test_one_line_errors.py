"""Models that fail at run time and unusable outputs or inputs: one line, not a traceback.

The original model failing on valid inputs is bad input (exit 2) naming the model and the
node; the output directory is left exactly as an earlier run left it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import unsafe_models
from support.adversarial import assert_one_line_error, earlier_outputs, snapshot
from support.cli import CliRun, run_cli
from support.cli_batch import run_cli_batch

Snapshot = dict[str, bytes] | None

QUICK = ("--targets", "tflite", "--tflite-variants", "float32", "--latency-runs", "0")


@pytest.fixture(scope="module")
def failing_runs(
    classifier_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[CliRun, Snapshot]]:
    """Every model of this module that fails at run time, built, then all converted two at a
    time (independent runs), each into an output directory holding an earlier run's files:
    (the run, that directory before it)."""
    cases = {
        name: tmp_path_factory.mktemp("failing")
        for name in ("abort", "assert", "missing variables", "py_function", "strings", "allocates")
    }
    missing_variables = cases["missing variables"] / "model"
    shutil.copytree(classifier_model, missing_variables)
    shutil.rmtree(missing_variables / "variables")
    canary = cases["py_function"] / "canary"
    models: dict[str, tuple[Path, tuple[str, ...]]] = {
        "abort": (unsafe_models.aborts_tensorflow(cases["abort"] / "model"), ()),
        "assert": (unsafe_models.asserts_positive(cases["assert"] / "model"), ()),
        "missing variables": (missing_variables, ()),
        "py_function": (
            unsafe_models.calls_py_function(cases["py_function"] / "model", canary),
            ("--allow-unsafe-ops",),
        ),
        "strings": (unsafe_models.parses_strings(cases["strings"] / "model"), ()),
        # 4 TB: more than any machine, whatever the limit.
        "allocates": (unsafe_models.allocates(cases["allocates"] / "model", 10**12), ()),
    }
    befores: dict[str, Snapshot] = {}
    commands: dict[str, tuple[str | Path, ...]] = {}
    for name, (model, options) in models.items():
        out = cases[name] / "out"
        befores[name] = earlier_outputs(out)
        commands[name] = ("convert", model, "--output-dir", out, "--jobs", "1", *QUICK, *options)
    runs = run_cli_batch(commands)
    return {name: (run, befores[name]) for name, run in runs.items()}


def _failed(failing_runs: dict[str, tuple[CliRun, Snapshot]], name: str) -> CliRun:
    """The run of ``name``, checked to have left its output directory as it was."""
    run, before = failing_runs[name]
    assert snapshot(run.output_dir) == before, "the output directory changed"
    return run


@pytest.mark.tf
def test_a_node_that_kills_tensorflow_is_named(
    failing_runs: dict[str, tuple[CliRun, Snapshot]],
) -> None:
    """The worker dies with a signal while running the original: the model is run again with
    TensorFlow logging each node it starts, and the error names the one it died in."""
    run = _failed(failing_runs, "abort")
    line = assert_one_line_error(
        run,
        2,
        "model: loading the model in TensorFlow the worker process died (killed by signal SIGABRT",
        "; TensorFlow was running node '",
        "/Abort' (Abort) when it died: ",
        "kernel gave up",
    )
    assert "running the model again to see which node it dies in" in run.stderr + run.stdout
    assert line.count("TensorFlow was running node") == 1


@pytest.mark.tf
def test_assert_in_the_graph_fires(failing_runs: dict[str, tuple[CliRun, Snapshot]]) -> None:
    run = _failed(failing_runs, "assert")
    assert_one_line_error(
        run,
        2,
        "model: the original model fails",
        "assertion failed",
        "x must be positive",
        "(node assert_positive/",
    )


@pytest.mark.tf
def test_missing_variable_files(failing_runs: dict[str, tuple[CliRun, Snapshot]]) -> None:
    run = _failed(failing_runs, "missing variables")

    assert_one_line_error(
        run, 2, "model: loading the model in TensorFlow failed", "variables/variables"
    )


@pytest.mark.tf
def test_py_function_without_its_callback(failing_runs: dict[str, tuple[CliRun, Snapshot]]) -> None:
    run = _failed(failing_runs, "py_function")

    assert_one_line_error(run, 2, "Could not find callback", "(node EagerPyFunc)")
    assert not (run.output_dir.parent / "canary").exists()


@pytest.mark.tf
def test_string_input_the_model_cannot_parse(
    failing_runs: dict[str, tuple[CliRun, Snapshot]],
) -> None:
    run = _failed(failing_runs, "strings")
    assert_one_line_error(
        run, 2, "StringToNumberOp could not correctly convert string", "(node StringToNumber)"
    )


@pytest.mark.tf
def test_graph_that_allocates_too_much(failing_runs: dict[str, tuple[CliRun, Snapshot]]) -> None:
    """4 TB of zeros: more than the machine has, so no --max-memory could help: the line says
    what the model asked for instead of advising a larger limit."""
    run = _failed(failing_runs, "allocates")
    line = assert_one_line_error(
        run, 2, "ran out of memory: one tensor of", "more than this machine's", "(node zeros)"
    )
    assert "--max-memory" not in line


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """An output directory holding an earlier run's files that nobody can write to (root
    included: the immutable attribute where chmod is not enough)."""
    out = tmp_path / "out"
    earlier_outputs(out)
    out.chmod(0o555)
    immutable = False
    try:
        (out / ".probe").touch()
    except PermissionError:
        pass
    else:
        (out / ".probe").unlink()
        immutable = subprocess.run(["chattr", "+i", str(out)], capture_output=True).returncode == 0
        if not immutable:
            pytest.skip("cannot make a directory read-only here")
    yield out
    if immutable:
        subprocess.run(["chattr", "-i", str(out)], check=True)
    out.chmod(0o755)


def test_read_only_output_directory(read_only: Path, tmp_path: Path) -> None:
    before = snapshot(read_only)
    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"")

    run = run_cli("convert", model, "--output-dir", read_only)

    assert_one_line_error(run, 2, f"--output-dir {read_only}: cannot write there")
    assert snapshot(read_only) == before


def test_policy_file_that_is_not_utf8(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_bytes(b"fail-on: [error]\n# caf\xe9\n")
    run = run_cli("convert", tmp_path, "--output-dir", tmp_path / "out", "--policy", policy)
    assert_one_line_error(run, 2, "not UTF-8 text")
    assert not (tmp_path / "out").exists()


def test_policy_file_nested_too_deeply(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("fail-on: " + "[" * 100_000 + "]" * 100_000)
    run = run_cli("convert", tmp_path, "--output-dir", tmp_path / "out", "--policy", policy)
    assert_one_line_error(run, 2, "nested too deeply")


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("data.npz", b"just text, not numpy\n", "cannot read it as numpy data"),
        ("data.npz", b"caf\xe9 \xff\xfe", "cannot read it as numpy data"),
        (os.fsdecode(b"caf\xe9.npz"), b"PK\x03\x04 broken", "cannot read it as numpy data"),
        ("data.txt", b"1,2,3\n", "expected an .npz file"),
        ("dir/x.npy", b"garbage", "x.npy is not a numpy array file"),
    ],
)
def test_representative_data_that_is_not_numpy(
    name: str, content: bytes, needle: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    data = path.parent if name.startswith("dir/") else path
    out = tmp_path / "out"
    before = earlier_outputs(out)

    run = run_cli("convert", tmp_path, "--output-dir", out, "--representative-data", data)

    assert_one_line_error(run, 2, "--representative-data", needle)
    assert snapshot(out) == before
