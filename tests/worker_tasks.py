"""Real misbehaving tasks for the worker-pool tests (importable by spawned workers)."""

from __future__ import annotations

import os
import time


def answer(value: int) -> int:
    return value * 2


def abort() -> None:
    os.abort()  # what a C++ CHECK failure in a converter does


def hang() -> None:
    time.sleep(3600)


def raise_value_error() -> None:
    raise ValueError("converter said no")


def environment_variable(name: str) -> str | None:
    return os.environ.get(name)
