"""Under ``--debug``, the workers' log shown as it grows, each line made inert.

Workers write TensorFlow's, the converters' and their own output (C++ included) to the run's
log file. That output quotes the model's node and layer names, which are the author's strings:
printed straight to a runner's log, a name holding ``##[set-output …]`` or a line starting with
``::`` would be a workflow command. So even under ``--debug`` the workers write to the file, and
this thread copies its new complete lines to stderr through ``log_text.inert_lines``.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TextIO

from ..log_text import inert_line

_POLL_SECONDS = 0.2
_CHUNK = 1 << 16


class LogEcho:
    """Copies lines appended to ``path`` to ``stream`` while the ``with`` block runs, and the
    rest (a last partial line included) when it ends."""

    def __init__(self, path: Path, stream: TextIO | None = None) -> None:
        self._path = path
        self._stream = stream
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="log-echo", daemon=True)
        self._offset = 0
        self._partial = b""

    def __enter__(self) -> LogEcho:
        # The workers create the file (as their own user); until then there is nothing to show.
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._copy(final=True)

    def _follow(self) -> None:
        while not self._stop.wait(_POLL_SECONDS):
            self._copy(final=False)

    def _copy(self, *, final: bool) -> None:
        try:
            with self._path.open("rb") as log:
                log.seek(self._offset)
                while chunk := log.read(_CHUNK):
                    self._offset += len(chunk)
                    self._partial += chunk
        except OSError:
            return
        *lines, self._partial = self._partial.split(b"\n")
        if final and self._partial:
            lines, self._partial = [*lines, self._partial], b""
        if not lines:
            return
        stream = self._stream if self._stream is not None else sys.stderr
        for line in lines:
            stream.write(inert_line(line.decode("utf-8", errors="replace")) + "\n")
        stream.flush()
