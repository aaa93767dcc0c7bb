"""SavedModel directories, TF2 or TF1 Hub format: detection and SourceModel (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

from ..fsutil import tree_size
from ..report.vocabulary import SourceKind
from . import tf1_hub
from .source_model import SourceModel


def is_saved_model_dir(path: Path) -> bool:
    """True for a directory holding ``saved_model.pb`` (or its text form)."""
    return (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()


def directory_source(
    path: Path, display_path: str, *, kind: SourceKind | None = None, stem: str | None = None
) -> SourceModel:
    """A SavedModel directory used in place: ``saved_model``, or ``tf1_hub`` when it is one.

    ``kind`` forces the choice (``--source-kind``): ``tf1_hub`` gives a TF1-format SavedModel
    without ``tfhub_module.pb`` the TF1 defaults (empty tags, ``default`` signature).
    """
    if kind is None:
        kind = "tf1_hub" if tf1_hub.is_tf1_hub_module(path) else "saved_model"
    tf1 = kind == "tf1_hub"
    return SourceModel(
        kind=kind,
        display_path=display_path,
        saved_model_dir=path.resolve(),
        size_bytes=tree_size(path),
        default_tags=tf1_hub.TAGS if tf1 else None,
        default_signature=tf1_hub.SIGNATURE if tf1 else None,
        stem=stem,
    )
