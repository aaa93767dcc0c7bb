"""The canonical form every source kind ends as. Converters never ask where a model came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SourceModel:
    """A SavedModel directory on disk plus what is known about its origin."""

    kind: str
    display_path: str
    saved_model_dir: Path
    size_bytes: int
    provenance: dict[str, str] = field(default_factory=dict)
