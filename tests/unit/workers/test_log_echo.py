"""Under --debug the workers' log reaches stderr line by line, with no workflow command in it."""

from __future__ import annotations

import io
import time
from pathlib import Path

from hub_convert.workers.log_echo import LogEcho


def test_lines_appended_while_it_runs_are_shown_inert(tmp_path: Path) -> None:
    log, shown = tmp_path / "tensorflow.log", io.StringIO()
    with LogEcho(log, shown):
        time.sleep(0.3)  # the file does not exist yet: nothing to show, no error
        with log.open("ab") as out:
            out.write(b"converting node ##[set-output name=verdict;]passed\n")
            out.write(b"  ::add-mask::everything\n")
            out.write(b"\xff not utf-8\n")
        deadline = time.monotonic() + 10
        while "not utf-8" not in shown.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shown.getvalue().splitlines() == [
            "converting node ## [set-output name=verdict;]passed",
            "  : :add-mask::everything",
            "\ufffd not utf-8",
        ]
        with log.open("ab") as out:
            out.write(b"Fatal Python error: Segmentation fault\nno line break at the end")

    assert shown.getvalue().splitlines()[3:] == [
        "Fatal Python error: Segmentation fault",
        "no line break at the end",
    ]
