"""TensorFlow's errors in one line: the op's own message and the node it names (worker only).

A failing graph raises e.g. ``InvalidArgumentError`` whose text is "Graph execution error:",
"Detected at node X defined at (most recent call last):", the Python frames, the op's
message, a Python traceback for a ``py_function``, and ``[[{{node X}}]] [Op:__inference_...]``.
Users need the message and the node. Tracing a ``tf.function`` (e.g. at a fixed input
shape for the TFLite converter) raises instead "in user code:", the Python frames, and the
exception indented under them, whose message quotes the whole NodeDef
(``'{{node X}} = Conv2D[T=..., ...](a, b)'``).
"""

from __future__ import annotations

import math
import re

from ..workers import memory_limit

_NODE_RE = re.compile(r"Detected at node '?([^\s']+)'?|\{\{node ([^}]+)\}\}")
_IN_USER_CODE = "in user code:"
# The exception line a traced function's error ends with, indented under its frames.
_TRACED_EXCEPTION_RE = re.compile(r"^\s+((?:\w+\.)*\w*(?:Error|Exception)): (.+)$")
# A quoted NodeDef: "'{{node X}} = Op[attrs](inputs)'" -> "node X (Op)".
_QUOTED_NODE_DEF_RE = re.compile(r"'\{\{node ([^}]+)\}\} = (\w+)(?:\[.*?\])?\(.*?\)'")
# Shape errors that mean the input is too small for a convolution, pooling or cropping.
_TOO_SMALL = ("Negative dimension size", "output dimensions must be positive")
_TOO_SMALL_HINT = "; the input is too small for this layer: pass a larger one with --input-shape"
# TensorFlow's allocator naming the tensor it could not allocate, and its dtypes' sizes.
_OOM_TENSOR_RE = re.compile(
    r"OOM when allocating tensor with shape\[(?P<shape>[\d, ]*)\] and type (?P<dtype>\w+)"
)
_DTYPE_BYTES = {"double": 8, "int64": 8, "uint64": 8, "complex128": 16, "complex64": 8}
_DTYPE_BYTES |= {"half": 2, "bfloat16": 2, "int16": 2, "uint16": 2}
_DTYPE_BYTES |= {"bool": 1, "int8": 1, "uint8": 1, "qint8": 1, "quint8": 1}
_NOT_THE_MESSAGE = (
    "Graph execution error",
    "Detected at node",
    "<stack traces unavailable>",
    'File "',
    "[[",
    "Traceback",
)


def one_line(exc: BaseException) -> str:
    """TensorFlow's error in one line: its message and the node, without the stack it prints
    ("Graph execution error:" / "Detected at node …" / the Python frames)."""
    message = str(getattr(exc, "message", None) or exc)
    if message.lstrip().startswith(_IN_USER_CODE):
        traced = _traced_one_line(message)
        if traced:
            return traced
    lines = [
        line.strip()
        for line in message.splitlines()
        if line.strip() and not line[:1].isspace() and not line.startswith(_NOT_THE_MESSAGE)
    ]
    text = lines[0] if lines else message.strip().splitlines()[0] if message.strip() else ""
    node = _NODE_RE.search(message)
    where = f" (node {node.group(1) or node.group(2)})" if node else ""
    return f"{type(exc).__name__}: {text[:300]}{where}"


def _traced_one_line(message: str) -> str | None:
    """A traced function's error: the exception under "in user code:", its NodeDef shortened
    to the node and op, with what to do when the input shape is too small."""
    found = [m for m in map(_TRACED_EXCEPTION_RE.match, message.splitlines()) if m]
    if not found:
        return None
    kind, text = found[-1].group(1).rsplit(".", 1)[-1], found[-1].group(2).strip()
    text = _QUOTED_NODE_DEF_RE.sub(lambda m: f"node {m.group(1)} ({m.group(2)})", text)
    hint = ""
    if text.startswith(_TOO_SMALL):
        text, hint = text.rstrip("."), _TOO_SMALL_HINT
    return f"{kind}: {text[:400]}{hint}"


def describe_failure(doing: str, exc: BaseException) -> str:
    """What failed while ``doing`` something, in one line; memory exhaustion says so."""
    if memory_limit.looks_exhausted(exc):
        needed = _oom_tensor_bytes(str(exc))
        return f"{memory_limit.exhausted(doing, needed)} ({one_line(exc)})"
    return f"{doing} failed: {one_line(exc)}"


def _oom_tensor_bytes(message: str) -> int | None:
    """The bytes of the tensor TensorFlow's allocator refused ("OOM when allocating tensor
    with shape[1,1099511627776] and type float"), None when the message names none."""
    found = _OOM_TENSOR_RE.search(message)
    if not found:
        return None
    elements = math.prod(int(d) for d in found["shape"].split(",") if d.strip().isdigit())
    return elements * _DTYPE_BYTES.get(found["dtype"], 4)
