"""Progress lines while the main process waits on a long worker step: "still converting onnx
float32 (2 min 10 s)" every ``PROGRESS_EVERY`` seconds, so a big model's run shows it is alive."""

from __future__ import annotations

import concurrent.futures
import os
import time
from collections.abc import Callable
from typing import Any

# How often (seconds); tests shorten it through the environment variable.
PROGRESS_EVERY = 30.0
PROGRESS_EVERY_ENV = "HUB_CONVERT_PROGRESS_SECONDS"


def progress_every() -> float:
    try:
        return max(0.1, float(os.environ.get(PROGRESS_EVERY_ENV) or PROGRESS_EVERY))
    except ValueError:
        return PROGRESS_EVERY


def elapsed(seconds: float) -> str:
    """``130`` → ``2 min 10 s``."""
    whole = int(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


def wait_logging_progress(
    future: concurrent.futures.Future[Any],
    doing: str,
    log: Callable[[str], None],
    since: float | None = None,
) -> None:
    """Return when ``future`` is done, logging "still <doing> (elapsed)" meanwhile; ``since``
    (``time.monotonic()``) when the step began, if before now."""
    since = time.monotonic() if since is None else since
    every = progress_every()
    while not concurrent.futures.wait([future], timeout=every).done:
        log(f"  still {doing} ({elapsed(time.monotonic() - since)})")
