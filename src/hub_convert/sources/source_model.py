"""The canonical form every source kind ends as. Converters never ask where a model came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..report.source_info import UnsafeOp
from ..report.vocabulary import SourceKind


class Materializer(Protocol):
    """Work that needs TensorFlow to produce the SavedModel (a Hub download, a Keras or
    TF.js export). Runs inside a worker process; must be a picklable object whose class is
    importable. Writes the SavedModel at ``target`` and returns provenance to add."""

    def __call__(self, target: Path) -> dict[str, str]: ...


@dataclass(frozen=True)
class SourceModel:
    """A SavedModel directory (existing, or produced by ``materializer``) and its origin.

    ``default_tags`` / ``default_signature`` are what this kind uses when the user gives no
    ``--tags`` / ``--signature`` (a TF1 Hub module: empty tags and ``default``).
    """

    kind: SourceKind
    display_path: str
    saved_model_dir: Path
    size_bytes: int
    provenance: dict[str, str] = field(default_factory=dict)
    materializer: Materializer | None = None
    default_tags: tuple[str, ...] | None = None
    default_signature: str | None = None
    stem: str | None = None  # base name of the output files; default: the directory name
    # Found in the input before any TensorFlow (TF.js graph, Keras config); the SavedModel's
    # own graphs are scanned in a worker (run/stages.py).
    unsafe_ops: tuple[UnsafeOp, ...] = ()
