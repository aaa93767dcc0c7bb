"""Which node TensorFlow was running when its process died (main process, no TensorFlow).

A worker killed by a signal (a SIGSEGV in a kernel, a CHECK failure's SIGABRT) leaves no
Python exception to name the node. The model is then run once more in a fresh worker with
TensorFlow's executor logging each node it starts (``TF_CPP_VMODULE=executor=1``, one
inter-op thread so that nodes start one at a time) into a file; the last node started — on
the thread of the fatal log line when there is one — is where it died.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..report.plain_text import printable

# Set in the worker before TensorFlow is imported (convert/worker.initialize_worker).
TRACE_ENVIRONMENT = {
    "TF_CPP_VMODULE": "executor=1",
    "TF_CPP_MIN_LOG_LEVEL": "0",
    "TF_NUM_INTEROP_THREADS": "1",
}
# The trace is read from its end: a big model's run logs many thousands of nodes.
TAIL_BYTES = 4 << 20

# I0000 00:00:1795337643.580364    9157 executor.cc:879] Process node: 4 step -84 {{node a/b}}
# = Abort[error_msg="boom", ...](inputs) device: ...
_NODE = re.compile(
    r"^I\d{4} \S+ +(?P<thread>\d+) executor\.cc:\d+\] Process node: \d+ step -?\d+ "
    r"\{\{node (?P<name>[^}]*)\}\} = (?P<op>[A-Za-z0-9_]+)(?:\[(?P<attrs>.*))?$"
)
# F0000 00:00:1795337643.580392    9157 control_flow_ops.cc:737] Abort_op intentional failure
_FATAL = re.compile(r"^F\d{4} \S+ +(?P<thread>\d+) \S+:\d+\] (?P<message>.*)$")
_FUSED = re.compile(r"fused_ops=\[([^\]]*)\]")


@dataclass(frozen=True)
class CrashSite:
    node: str
    op: str
    fused: tuple[str, ...] = ()
    fatal: str | None = None

    def describe(self) -> str:
        """``TensorFlow was running node 'a/b' (Conv2D fused with BiasAdd, Add) when it died``"""
        op = self.op
        if self.fused:
            op += " fusing " + ", ".join(self.fused)
        said = f": {self.fatal}" if self.fatal else ""
        return f"TensorFlow was running node '{self.node}' ({op}) when it died{said}"


def read_crash_site(trace: Path) -> CrashSite | None:
    """The last node started in ``trace`` (on the fatal line's thread, if one was logged)."""
    try:
        with trace.open("rb") as file:
            file.seek(0, 2)
            file.seek(max(0, file.tell() - TAIL_BYTES))
            text = file.read().decode("utf-8", "replace")
    except OSError:
        return None
    return crash_site(text)


def crash_site(log: str) -> CrashSite | None:
    nodes: list[tuple[str, re.Match[str]]] = []
    fatal: re.Match[str] | None = None
    for line in log.splitlines():
        if (node := _NODE.match(line)) is not None:
            nodes.append((node["thread"], node))
        elif fatal is None and (found := _FATAL.match(line)) is not None:
            fatal = found
    if fatal is not None:
        on_thread = [node for thread, node in nodes if thread == fatal["thread"]]
        nodes = [(fatal["thread"], on_thread[-1])] if on_thread else nodes
    if not nodes:
        return None
    last = nodes[-1][1]
    fused = _FUSED.search(last["attrs"] or "")
    names = tuple(n.strip().strip('"') for n in fused[1].split(",")) if fused else ()
    return CrashSite(
        node=printable(last["name"], 200),
        op=printable(last["op"], 80),
        fused=tuple(printable(n, 40) for n in names if n)[:8],
        fatal=printable(fatal["message"], 200) if fatal else None,
    )
