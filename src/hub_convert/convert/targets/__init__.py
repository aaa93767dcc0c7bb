"""One module per target format, each with the same three names:

- ``produce(jobs) -> list[Candidate]``: convert, check and stage the file of every job (TFLite:
  one conversion per variant; ONNX: one tf2onnx conversion, every variant derived from it);
- ``load(path) -> SampleRunner``: the runtime that validates and times the staged file;
- ``RUNTIME``: that runtime's name, as reports say it.

Adding a target: a module here, its name in ``report.Target``, defaults in ``tolerances.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from ...report.artifact import OpCoverage
from ...report.mixed_precision import MixedPrecision
from ...report.vocabulary import MadeBy, Target
from ..specs import ConversionJob

if TYPE_CHECKING:  # numpy only for the names: a Candidate is unpickled in the main process too
    import numpy as np

Sample = dict[str, "np.ndarray"]
SampleRunner = Callable[[Sample], Sample]


@dataclass
class Candidate:
    """A converted file staged for validation, or the reason there is none."""

    job: ConversionJob
    staged: Path | None
    coverage: OpCoverage
    conversion_seconds: float
    made_by: MadeBy | None = None  # the tool that wrote the file (TFLite)
    error: str | None = None
    not_runnable: str | None = None  # why this machine cannot run the file (Flex ops)
    input_shapes: dict[str, list[int | None]] = field(default_factory=dict)
    weight_types: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # conversion attempts that failed
    # ONNX outputs of unknown rank: shaped from the samples before validation (onnx.finish)
    pending_output_shapes: list[str] = field(default_factory=list)
    mixed_precision: MixedPrecision | None = None  # int8-mixed: the layers kept in float


class TargetModule(Protocol):
    """The three names every target module has (see the module docstring)."""

    RUNTIME: str

    def produce(self, jobs: list[ConversionJob]) -> list[Candidate]: ...

    def load(self, path: Path) -> SampleRunner: ...


def module_for(target: Target) -> TargetModule:
    """The target's module, imported on first use (each pulls in its converter and runtime)."""
    return cast(TargetModule, importlib.import_module(f".{target}", __name__))
