"""Why a worker died, from its exit signal and the output it left (main process, no TensorFlow).

A worker that dies leaves no exception, only a signal and whatever it wrote to stderr before
it died. Only that evidence says "out of memory":

- ``SIGKILL`` that the pool did not send (its timeouts are reported as such): what the kernel's
  OOM killer sends when the machine or container runs out of memory;
- an allocation failure in its last output. Under ``--max-memory`` (``RLIMIT_DATA``) an
  allocation fails instead; C++ that does not catch it aborts. Measured with TensorFlow 2.21:
  the TFLite converter over its limit prints "terminate called after throwing an instance of
  'std::bad_alloc'" and dies with SIGABRT; LLVM's own allocator prints "LLVM ERROR: out of
  memory".

Any other SIGSEGV, SIGABRT, SIGBUS, SIGFPE or SIGILL is a crash: memory advice would send the
user the wrong way. What the output says about where it died (the Python frame faulthandler
printed, the op MLIR named) is read conservatively: nothing is guessed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..report.plain_text import printable
from ..units import GIB, human
from .memory_limit import looks_exhausted

# A task's output is read from its end: a converter prints thousands of lines before it dies.
TAIL_BYTES = 256 << 10
_ALLOCATION_FAILED = (
    "LLVM ERROR: out of memory",
    "Cannot allocate memory",
    "failed to allocate",
)
# faulthandler's traceback: 'Fatal Python error: Segmentation fault' then the frames, innermost
# first: '  File ".../tensorflow/lite/python/convert.py", line 319 in convert'.
_FATAL_PYTHON = re.compile(r"^Fatal Python error: (?P<what>[^\n]+)$", re.MULTILINE)
_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line \d+ in (?P<function>\S+)$', re.MULTILINE)
# Which code a frame belongs to, by the path of its file (the innermost that matches wins).
_WHO = (
    ("/tensorflow/compiler/mlir/lite/", "the TFLite converter"),
    ("/tensorflow/lite/python/", "the TFLite converter"),
    ("/ai_edge_litert/", "LiteRT (running the converted file)"),
    ("/tf2onnx/", "tf2onnx"),
    ("/onnxruntime/", "onnxruntime (running the converted file)"),
)
# MLIR before it gives up: 'LLVM ERROR: Failed to infer result type(s):' followed by
# '"tfl.reshape"(...) {...} : (...) -> ( ??? )'; and a diagnostic's
# 'see current operation: %174 = "tfl.concatenation"(%173, %128) {...}'.
_LLVM_ERROR = re.compile(r"^LLVM ERROR: (?P<message>[^\n]+)$", re.MULTILINE)
_INFER_FAILED_OP = re.compile(
    r"^LLVM ERROR: Failed to infer result type\(s\):\s*\n\"(?P<op>[A-Za-z0-9_.]+)\"\(",
    re.MULTILINE,
)
_CURRENT_OP = re.compile(r'see current operation: (?:%\S+ = )?"(?P<op>[A-Za-z0-9_.]+)"\(')
# An MLIR location naming a TensorFlow node: loc("model/attention/MatMul") or loc(fused[...]).
_LOCATION = re.compile(r'loc\((?:fused\[)?"(?P<node>[^"]{1,300})"')
# TensorFlow's fatal log line: 'F0000 00:00:1795337643.580392 9157 file.cc:737] Check failed: ...'
_TF_FATAL = re.compile(r"^F\d{4} \S+ +\d+ \S+:\d+\] (?P<message>[^\n]+)$", re.MULTILINE)


@dataclass(frozen=True)
class WorkerDeath:
    """What killed a worker, and what its last output said about it."""

    signal_name: str  # "SIGSEGV", or "exit code 1" for a process that exited
    out_of_memory: bool
    who: str | None = None  # "the TFLite converter", from the Python frame it died in
    op: str | None = None  # the op MLIR named before dying ("tfl.reshape")
    node: str | None = None  # the TensorFlow node of that op's location
    said: str | None = None  # the fatal message itself ("Check failed: ...")

    def describe(self, limit: int | None) -> str:
        """One line for the report: what died, where, and what to do (memory advice only
        for a memory death). ``limit``: the workers' --max-memory, when one was set."""
        who = self.who or "the worker process"
        if self.out_of_memory:
            return f"{who} ran out of memory ({self.signal_name}){_memory_advice(self, limit)}"
        where = ""
        if self.op is not None:
            where = f" while converting {self.op}"
            if self.node is not None:
                where += f" (node '{self.node}')"
        said = f": {self.said}" if self.said else ""
        return f"{who} crashed ({self.signal_name}){where}{said}"


def _memory_advice(death: WorkerDeath, limit: int | None) -> str:
    if death.signal_name == "SIGKILL":
        return (
            ": the kernel's OOM killer sends SIGKILL when the machine runs out of memory; "
            "run fewer workers (--jobs 1) or give the machine more memory"
        )
    if limit is None:
        return " with no --max-memory limit set: the machine's memory"
    more = -(-2 * limit // GIB)
    return (
        f" within the worker's {human(limit)} limit; raise it with --max-memory "
        f"(e.g. --max-memory {more}G)"
    )


def signal_name(exitcode: int | None) -> str:
    """``-11`` → ``SIGSEGV``; a normal exit → ``exit code N``."""
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def classify(exitcode: int | None, output: str) -> WorkerDeath:
    """Why a worker with ``exitcode`` died, from the ``output`` it left (its stderr's tail)."""
    name = signal_name(exitcode)
    out_of_memory = exitcode == -signal.SIGKILL or _allocation_failed(output)
    infer = _INFER_FAILED_OP.search(output)
    current = list(_CURRENT_OP.finditer(output))
    op = infer["op"] if infer else current[-1]["op"] if current else None
    node = None
    if op is not None:
        # Only a location on the line that names the op, or the remark MLIR prints just
        # before "Failed to infer" ("loc(...): remark: location of op"), is that op's.
        line_start = output.rfind("\n", 0, (infer or current[-1]).start()) + 1
        before = output[max(0, line_start - 400) : (infer or current[-1]).end()]
        locations = [m["node"] for m in _LOCATION.finditer(before)]
        node = locations[-1] if locations else None
    return WorkerDeath(
        signal_name=name,
        out_of_memory=out_of_memory,
        who=_who(output),
        op=printable(op, 80) if op else None,
        node=printable(node, 200) if node else None,
        said=None if out_of_memory else _said(output),
    )


def read_tail(path: Path) -> str:
    """The last ``TAIL_BYTES`` of a task's output file ("" when there is none)."""
    file = _open_output(path)
    if file is None:
        return ""
    with file:
        file.seek(0, 2)
        file.seek(max(0, file.tell() - TAIL_BYTES))
        return file.read().decode("utf-8", "replace")


def _open_output(path: Path) -> BinaryIO | None:
    """``path`` opened for reading if it is a plain file with one name. The worker that wrote
    it runs model code and may have put a link to another file in its place, which the main
    process would then copy into the log."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _allocation_failed(output: str) -> bool:
    return looks_exhausted(output) or any(sign in output for sign in _ALLOCATION_FAILED)


def _who(output: str) -> str | None:
    """Whose code the innermost Python frame of faulthandler's last traceback was in."""
    fatal = list(_FATAL_PYTHON.finditer(output))
    if not fatal:
        return None
    for frame in _FRAME.finditer(output, fatal[-1].end()):
        path = frame["file"].replace("\\", "/")
        for part, who in _WHO:
            if part in path:
                return who
    return None


def _said(output: str) -> str | None:
    """The fatal message the C++ code printed last (a failed CHECK, an LLVM error)."""
    found = [*(_TF_FATAL.finditer(output)), *(_LLVM_ERROR.finditer(output))]
    if not found:
        return None
    last = max(found, key=lambda match: match.start())
    return printable(last["message"], 200)


def append_output(path: Path, log_path: Path | None) -> None:
    """Move a task's output file to the end of the run's log (to stderr without one)."""
    output = _open_output(path)
    try:
        if output is not None:
            with output:
                if log_path is None:
                    sys.stderr.flush()
                    shutil.copyfileobj(output, sys.stderr.buffer)
                    sys.stderr.buffer.flush()
                else:
                    with log_path.open("ab") as log:
                        shutil.copyfileobj(output, log)
        path.unlink(missing_ok=True)
    except OSError:
        pass
