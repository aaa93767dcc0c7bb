"""A TFLite conversion whose worker dies: crash or out of memory said apart, the crash retried.

No small graph crashes TensorFlow 2.21's converter (tried: fused composite ops, attention
einsums and batch matmuls, op arguments from inputs, deep nesting, every constant type, empty
tensors). So the crash here is a real SIGSEGV delivered to the worker while its task converts:
the pool, the output the dying worker leaves, the classification, the retry from the SavedModel
and the report are the real ones.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from support.cli import CliRun, run_cli

QUICK = ("--targets", "tflite", "--tflite-variants", "float32", "--latency-runs", "0")


def _holder_of(path: Path) -> int | None:
    """The process that has ``path`` open (the worker converting into it)."""
    target = str(path)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == target:
                    return int(proc.name)
        except OSError:
            continue
    return None


def _segfault_first_conversion(scratch: Path, stop: threading.Event, killed: list[str]) -> None:
    """Send SIGSEGV to the worker of the first TFLite conversion once its task has started."""
    while not stop.is_set():
        for output in scratch.glob("*/*_float32.tflite.output"):
            pid = _holder_of(output)
            if pid is not None:
                os.kill(pid, signal.SIGSEGV)
                killed.append(output.read_text(errors="replace"))
                return
        time.sleep(0.01)


@pytest.fixture(scope="module")
def crashed_once(classifier_model: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """The classifier converted while its first TFLite conversion's worker is killed."""
    scratch = tmp_path_factory.mktemp("scratch")
    out = tmp_path_factory.mktemp("crashed") / "out"
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_segfault_first_conversion, args=(scratch, stop, killed))
    killer.start()
    try:
        run = run_cli(
            "convert",
            classifier_model,
            "--output-dir",
            out,
            "--jobs",
            "1",
            *QUICK,
            env={"TMPDIR": str(scratch)},
        )
    finally:
        stop.set()
        killer.join()
    assert killed, "the conversion ended before its worker could be killed"
    return run


@pytest.mark.tf
def test_a_crash_is_retried_from_the_saved_model(crashed_once: CliRun) -> None:
    run = crashed_once
    assert run.exit_code == 0, run.stderr
    artifact = run.artifact("tflite", "float32")
    assert artifact["status"] == "passed"
    (first,) = artifact["attempts"]
    assert first.startswith("from the signature at the validation shape: ")
    assert "crashed (SIGSEGV)" in first
    assert any(
        note.startswith("converted from the SavedModel (tflite_convert's path) after")
        for note in artifact["notes"]
    )
    assert "trying again from the SavedModel" in run.stdout + run.stderr


@pytest.mark.tf
def test_a_crash_gets_no_memory_advice(crashed_once: CliRun) -> None:
    artifact = crashed_once.artifact("tflite", "float32")
    said = " ".join([*artifact["attempts"], *artifact["notes"]])
    assert "memory" not in said
    assert "--max-memory" not in crashed_once.stdout + crashed_once.stderr


@pytest.mark.tf
def test_the_code_it_died_in_is_named(crashed_once: CliRun) -> None:
    """faulthandler's traceback, in the output the killed worker left, names whose code the
    signal landed in (the converter, or LiteRT validating the file it made)."""
    (first,) = crashed_once.artifact("tflite", "float32")["attempts"]
    who = first.removeprefix("from the signature at the validation shape: ")
    assert who.split(" crashed (SIGSEGV)")[0] in (
        "the TFLite converter",
        "LiteRT (running the converted file)",
    )
