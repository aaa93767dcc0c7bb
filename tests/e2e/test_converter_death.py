"""A TFLite conversion whose worker dies: crash or out of memory said apart, the crash retried.

The converter's crash is real: TensorFlow 2.21's canonicalization of a concat of scalar
multiplications (HoistCwiseBinaryOutOfConcat) keys the concat's other operands by value, so an
operand given twice leaves a null operand in the concat it builds, and the converter dies with
SIGSEGV, from the signature and from the SavedModel alike (MediaPipe FaceMesh with attention, a
published TF.js model, has such a concat: zeros_like_1 twelve times). The retry that helps is
shown with a real SIGSEGV delivered to the worker while its task converts: the pool, the output
the dying worker leaves, the classification, the retry and the report are the real ones.
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


def concat_with_a_repeated_operand(directory: Path) -> Path:
    """The smallest graph found that kills TensorFlow 2.21's TFLite converter: a concat of
    two scalar multiplications and one other value given twice (TensorFlow runs it)."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            zeros = tf.zeros_like(x[:, 2:3])
            row = tf.concat([x[:, 0:1] * 0.5, x[:, 1:2] * 0.25, zeros, zeros], axis=1)
            return {"row": row}

    model = Model()
    tf.saved_model.save(model, str(directory), signatures={"serving_default": model.serve})
    return directory


@pytest.fixture(scope="module")
def converter_crash(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """A model the converter crashes on, by both paths."""
    model = concat_with_a_repeated_operand(tmp_path_factory.mktemp("crash") / "model")
    out = tmp_path_factory.mktemp("crash_out") / "out"
    return run_cli("convert", model, "--output-dir", out, "--jobs", "1", *QUICK)


@pytest.mark.tf
def test_a_converter_crash_is_named_retried_and_not_called_memory(
    converter_crash: CliRun,
) -> None:
    run = converter_crash
    assert run.exit_code == 1, run.stderr
    artifact = run.artifact("tflite", "float32")
    assert artifact["status"] == "failed"
    assert artifact["attempts"] == [
        "from the signature at the validation shape: the TFLite converter crashed (SIGSEGV)"
    ]
    assert artifact["reason"] == (
        "the TFLite converter crashed (SIGSEGV) converting from the SavedModel, as it did from "
        "the signature at the validation shape; its output shows no failed allocation, so "
        "likely the TFLite converter's bug: report it upstream with the model"
    )
    assert "trying again from the SavedModel" in run.stdout + run.stderr
    assert "--max-memory" not in run.stdout + run.stderr + artifact["reason"]


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
            "--debug",  # the workers' output on stderr, the dying one's included
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
def test_the_dying_worker_leaves_its_traceback(crashed_once: CliRun) -> None:
    """faulthandler's traceback, in the output the killed worker left, reaches the log. (Whose
    code a signal sent from outside lands in is chance: the converter, LiteRT or the task's own
    Python; the converter's own crash above names it deterministically.)"""
    assert "Fatal Python error: Segmentation fault" in crashed_once.stderr
