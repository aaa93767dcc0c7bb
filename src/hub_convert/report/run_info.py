"""The report's sections about the run: validation setup, environment, verdict and timings."""

from __future__ import annotations

from pydantic import Field

from .limits import MAX_ITEMS, MAX_NOTES, Count, FiniteFloat, Name, PathText, Text
from .strict_model import StrictModel
from .vocabulary import Stage, Target, Variant


class DifferingOutput(StrictModel):
    """An output the original gave differently in two runs on the same sample."""

    output: Name
    max_abs: FiniteFloat | None = Field(
        default=None,
        description="Largest difference between the two runs; None when not a finite number "
        "(shapes differ, NaN in one run only, strings).",
    )


class Nondeterminism(StrictModel):
    """The original is not deterministic: two runs on the same validation sample differ."""

    outputs: list[DifferingOutput] = Field(max_length=MAX_ITEMS)
    random_ops: list[Text] = Field(
        default_factory=list,
        max_length=MAX_NOTES,
        description="Stateful random ops on those outputs' paths ('RandomUniform at <node>'); "
        "empty when none was found (randomness from elsewhere, e.g. a seed variable).",
    )


class ValidationSetup(StrictModel):
    """How the converted files were validated: samples, inputs, calibration, latency runs."""

    samples: Count
    seed: Count
    input_note: Text
    data_source: PathText = Field(
        default="synthetic", description="'synthetic', or the representative data file used."
    )
    calibration: Text | None = Field(
        default=None, description="How quantized variants were calibrated, when any was."
    )
    input_choices: list[Text] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Inputs whose values were chosen from the graph (e.g. embedding indices).",
    )
    nondeterminism: Nondeterminism | None = Field(
        default=None,
        description="Set when the original gave different outputs in two runs on the same "
        "sample (the first; every sample when a stateful random op is on an output's path): "
        "files compared on those outputs are not-validated. None: the runs were equal.",
    )
    latency_runs: Count = 0
    tensorflow_latency_ms: FiniteFloat | None = None
    warnings: list[Text] = Field(default_factory=list, max_length=MAX_NOTES)


class Environment(StrictModel):
    """Where the run happened: Python, platform and the versions of the libraries used."""

    python: Name
    platform: Name
    versions: dict[Name, Name] = Field(max_length=MAX_NOTES)


class Verdict(StrictModel):
    """Whether the run passed its fail rules, in one line, and each failure."""

    passed: bool
    line: Text
    failures: list[Text] = Field(default_factory=list, max_length=MAX_NOTES)


class StageTime(StrictModel):
    """One stage of the run: when it started (seconds after the run began) and how long it took
    (wall clock). Stages in different worker processes overlap."""

    stage: Stage
    target: Target | None = None
    variant: Variant | None = None
    start_seconds: float = Field(ge=0, allow_inf_nan=False)
    seconds: float = Field(ge=0, allow_inf_nan=False)


class Timings(StrictModel):
    """Where the time of the run went. Optional: reports written before it have none."""

    total_seconds: float = Field(ge=0, allow_inf_nan=False)
    workers: Count = Field(description="Worker processes that ran the stages.")
    stages: list[StageTime] = Field(default_factory=list, max_length=MAX_NOTES)
