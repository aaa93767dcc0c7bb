"""Where the time of a run goes: each stage's start and duration, for the report and the log.

Main process only. Stages that run in a worker are timed there (``StageMark``, wall-clock
epoch seconds, comparable across processes) and added here; the rest are timed here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..convert.specs import StageMark
from ..report.run_info import StageTime, Timings
from ..report.vocabulary import Stage, Target, Variant


class Clock:
    """The run's stages, timed from the moment the clock was made."""

    def __init__(self) -> None:
        self.started_at = time.time()
        self.stages: list[StageTime] = []

    def elapsed(self) -> float:
        return time.time() - self.started_at

    @contextmanager
    def stage(
        self, stage: Stage, target: Target | None = None, variant: Variant | None = None
    ) -> Iterator[None]:
        """Time the body as ``stage``; recorded whether or not it raises."""
        began = time.time()
        try:
            yield
        finally:
            self._add(stage, target, variant, began, time.time() - began)

    def add(
        self, mark: StageMark, target: Target | None = None, variant: Variant | None = None
    ) -> None:
        """A stage timed in a worker."""
        self._add(mark.stage, target, variant, mark.started_at, mark.seconds)

    def seconds(self, stage: Stage) -> float:
        """Total seconds recorded for ``stage``."""
        return sum(s.seconds for s in self.stages if s.stage == stage)

    def _add(
        self,
        stage: Stage,
        target: Target | None,
        variant: Variant | None,
        began: float,
        seconds: float,
    ) -> None:
        self.stages.append(
            StageTime(
                stage=stage,
                target=target,
                variant=variant,
                start_seconds=max(0.0, began - self.started_at),
                seconds=max(0.0, seconds),
            )
        )

    def timings(self, workers: int) -> Timings:
        stages = sorted(self.stages, key=lambda s: s.start_seconds)
        return Timings(total_seconds=self.elapsed(), workers=workers, stages=stages)
