"""Median single-inference latency of the original and of each converted file, on this CPU."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .samples import Samples
from .specs import LatencySpec


def _tensorflow_runner(spec: LatencySpec, sample: dict[str, np.ndarray]) -> Callable[[], object]:
    import tensorflow as tf

    from .signature import load_signature

    _, function = load_signature(spec.path, list(spec.tags), spec.signature)
    feed = {name: tf.constant(value) for name, value in sample.items()}

    def call() -> object:
        return {k: v.numpy() for k, v in function(**feed).items()}

    return call


class StillBusy(Exception):
    """Conversions still ran when the wait for a quiet machine ran out: not measured."""


def wait_for_signal(signal: Path, limit: float) -> None:
    """Return once ``signal`` exists; StillBusy after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not signal.exists():
        if time.monotonic() > deadline:
            raise StillBusy(
                f"conversions still ran after {limit:.0f} s; not timed while they compete"
            )
        time.sleep(0.01)


def measure(spec: LatencySpec) -> float:
    """Median wall-clock milliseconds of one inference, each runtime with default threading.

    Every runtime is timed the same way: numpy arrays in, numpy arrays out. With
    ``spec.measure_after`` the runtime is loaded while conversions may still run, and timed
    only once the main process says none does.
    """
    sample = Samples.load(spec.samples_path).inputs[0]
    call: Callable[[], object]
    if spec.runtime == "tensorflow":
        call = _tensorflow_runner(spec, sample)
    else:
        from .targets import module_for

        run = module_for(spec.runtime).load(spec.path)

        def call() -> object:
            return run(sample)

    if spec.measure_after is not None:
        wait_for_signal(spec.measure_after, spec.wait_limit)
    for _ in range(spec.warmup):
        call()
    timings = []
    for _ in range(spec.runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return float(np.median(timings) * 1000.0)
