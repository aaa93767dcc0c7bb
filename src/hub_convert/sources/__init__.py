"""Turn the ``model`` argument into a ``SourceModel``. Path checks only: no TensorFlow here."""

from __future__ import annotations

from pathlib import Path

from ..errors import BadInputError
from ..fsutil import tree_size
from ..source_model import SourceModel
from .saved_model import is_saved_model_dir


def resolve(model: str, *, work_dir: Path) -> SourceModel:
    """Find out what ``model`` is and return it as a SourceModel, or fail with exit 2.

    ``work_dir`` is a private temporary directory for extracted or exported models.
    """
    path = Path(model).expanduser()
    if not path.exists():
        raise BadInputError(f"{model}: no such file or directory; pass a SavedModel directory")
    if path.is_dir():
        if is_saved_model_dir(path):
            return SourceModel(
                kind="saved_model",
                display_path=model,
                saved_model_dir=path.resolve(),
                size_bytes=tree_size(path),
            )
        raise BadInputError(
            f"{model}: directory has no saved_model.pb; pass a TensorFlow SavedModel directory"
        )
    raise BadInputError(
        f"{model}: not a SavedModel directory (got a file); pass the directory that "
        "contains saved_model.pb"
    )
