"""Why a worker died: memory only on evidence, the code and op it died in when its output
says so. The outputs are the toolchain's own formats (TensorFlow 2.21's converter over its
RLIMIT_DATA, MLIR's fatal errors, faulthandler's traceback)."""

from __future__ import annotations

import signal
from pathlib import Path

from hub_convert.workers.death import append_output, classify, read_tail, signal_name

GIB = 1 << 30
# The TFLite converter over its RLIMIT_DATA (measured with TensorFlow 2.21: 128 MiB of weights,
# the limit 450 MB over what the process held before converting).
CONVERTER_OUT_OF_MEMORY = """\
I0000 00:00:1796607884.757202   15533 mlir_graph_optimization_pass.cc:437] MLIR V1 optimization
terminate called after throwing an instance of 'std::bad_alloc'
  what():  std::bad_alloc
Fatal Python error: Aborted

Thread 0x00007f425dd1eb80 (most recent call first):
  File "/sp/tensorflow/compiler/mlir/lite/python/wrap_converter.py", line 30 in wrapped_convert
  File "/sp/tensorflow/lite/python/convert.py", line 319 in convert
  File "/sp/hub_convert/convert/targets/tflite.py", line 130 in convert_with
"""
CONVERTER_SEGFAULT = """\
I0000 00:00:1796607884.757202   15533 mlir_graph_optimization_pass.cc:437] MLIR V1 optimization
Fatal Python error: Segmentation fault

Current thread 0x00007f425dd1eb80 (most recent call first):
  File "/sp/tensorflow/compiler/mlir/lite/python/wrap_converter.py", line 30 in wrapped_convert
  File "/sp/tensorflow/lite/python/convert.py", line 319 in convert
"""
# MLIR's fatal error when an op's result types cannot be inferred (its remark names the node).
INFER_FAILED = """\
loc("model/attention/Reshape_1"): remark: location of op
LLVM ERROR: Failed to infer result type(s):
"tfl.reshape"(...) {} : (tensor<1x?x64xf32>, tensor<3xi32>) -> ( ??? )
Fatal Python error: Aborted

Current thread 0x00007f425dd1eb80 (most recent call first):
  File "/sp/tensorflow/lite/python/convert.py", line 319 in convert
"""
LITERT_SEGFAULT = """\
Fatal Python error: Segmentation fault

Current thread 0x00007f425dd1eb80 (most recent call first):
  File "/sp/ai_edge_litert/interpreter.py", line 941 in invoke
  File "/sp/hub_convert/convert/targets/tflite_runner.py", line 50 in run
"""
CHECK_FAILED = (
    "F0000 00:00:1795337643.580392 9157 tensor_shape.cc:587] Check failed: d < dims() (4 vs. 4)\n"
    "Fatal Python error: Aborted\n"
)


def test_a_converter_over_its_limit_is_out_of_memory_with_advice() -> None:
    death = classify(-signal.SIGABRT, CONVERTER_OUT_OF_MEMORY)
    assert death.out_of_memory
    assert death.who == "the TFLite converter"
    line = death.describe(2 * GIB)
    assert line.startswith("the TFLite converter ran out of memory (SIGABRT) within the worker's")
    assert "--max-memory 4G" in line


def test_a_segfault_is_a_crash_without_memory_advice() -> None:
    death = classify(-signal.SIGSEGV, CONVERTER_SEGFAULT)
    assert not death.out_of_memory
    line = death.describe(2 * GIB)
    assert line == "the TFLite converter crashed (SIGSEGV)"
    assert "memory" not in line


def test_the_op_mlir_named_before_dying() -> None:
    death = classify(-signal.SIGABRT, INFER_FAILED)
    assert not death.out_of_memory
    assert death.op == "tfl.reshape"
    assert death.node == "model/attention/Reshape_1"
    assert death.describe(None) == (
        "the TFLite converter crashed (SIGABRT) while converting tfl.reshape "
        "(node 'model/attention/Reshape_1'): Failed to infer result type(s):"
    )


def test_the_current_operation_of_an_mlir_diagnostic() -> None:
    output = (
        'see current operation: %174 = "tfl.concatenation"(%173, %128) {axis = 3 : i32} '
        ": (tensor<?x?x?x256xf32>, tensor<?x38x38x512xf32>) -> tensor<?x38x38x768xf32>\n"
    )
    death = classify(-signal.SIGSEGV, output)
    assert death.op == "tfl.concatenation"
    assert death.node is None  # no location on that line: none is guessed


def test_nothing_is_guessed_from_an_empty_output() -> None:
    death = classify(-signal.SIGSEGV, "")
    assert (death.who, death.op, death.node, death.said) == (None, None, None, None)
    assert death.describe(GIB) == "the worker process crashed (SIGSEGV)"


def test_sigkill_is_the_oom_killer() -> None:
    death = classify(-signal.SIGKILL, "")
    assert death.out_of_memory
    assert "OOM killer" in death.describe(GIB)
    assert "--jobs 1" in death.describe(GIB)


def test_litert_and_a_failed_check_are_named() -> None:
    death = classify(-signal.SIGSEGV, LITERT_SEGFAULT)
    assert death.who == "LiteRT (running the converted file)"
    check = classify(-signal.SIGABRT, CHECK_FAILED)
    assert check.said == "Check failed: d < dims() (4 vs. 4)"
    assert not check.out_of_memory


def test_signal_names() -> None:
    assert signal_name(-11) == "SIGSEGV"
    assert signal_name(1) == "exit code 1"


def test_a_task_output_is_read_from_its_end_and_moved_to_the_log(tmp_path: Path) -> None:
    output = tmp_path / "model_float32.tflite.output"
    output.write_text("x" * 300_000 + CONVERTER_SEGFAULT)
    tail = read_tail(output)
    assert tail.endswith(CONVERTER_SEGFAULT)
    assert len(tail) < 300_000
    log = tmp_path / "tensorflow.log"
    log.write_text("before\n")
    append_output(output, log)
    assert not output.exists()
    assert log.read_text().startswith("before\n") and log.read_text().endswith(CONVERTER_SEGFAULT)
    assert read_tail(tmp_path / "missing") == ""


def test_a_link_left_in_place_of_the_output_is_not_followed(tmp_path: Path) -> None:
    """The worker runs model code: a symlink or hard link it leaves as its output file is
    neither read nor copied into the log (the main process may read what the worker cannot)."""
    secret = tmp_path / "secret"
    secret.write_text("F0000 00:00:1.0 1 x.cc:1] the secret\n")
    log = tmp_path / "tensorflow.log"
    for name, link in (("symlink", Path.symlink_to), ("hardlink", Path.hardlink_to)):
        output = tmp_path / f"{name}.output"
        link(output, secret)
        assert read_tail(output) == ""
        append_output(output, log)
        assert not output.exists()
    assert secret.exists()
    assert not log.exists() or "secret" not in log.read_text()
