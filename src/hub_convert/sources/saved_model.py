"""SavedModel detection (no TensorFlow import)."""

from __future__ import annotations

from pathlib import Path


def is_saved_model_dir(path: Path) -> bool:
    return (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()
