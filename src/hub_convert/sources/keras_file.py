"""Keras model files: ``.keras`` (Keras 3 zip) and ``.h5`` (Keras 2, HDF5), exported to a
SavedModel by a materializer (keras_export.py).

Loading a Keras file can run code from the file (a ``Lambda`` layer, a class outside Keras).
So ``resolve`` reads the model config first, without TensorFlow (keras_inspect.py), and
refuses both unless the user passes ``--allow-unsafe``. The worker then loads with safe mode
on (unless allowed) and writes the SavedModel with ``model.export()`` (a ``serve`` endpoint
and a ``serving_default`` signature, variables only).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

from ..errors import BadInputError
from .archive import sha256_file
from .keras_export import KerasMaterializer
from .keras_inspect import inspect_h5_file, inspect_keras_file
from .source_model import SourceModel

KERAS_SUFFIXES = (".keras",)
H5_SUFFIXES = (".h5", ".hdf5")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_hdf5(path: Path) -> bool:
    """True for a file that starts with the HDF5 signature."""
    with path.open("rb") as handle:
        return handle.read(len(HDF5_MAGIC)) == HDF5_MAGIC


def is_keras_zip(path: Path) -> bool:
    """True for a zip laid out as Keras 3 saves ``.keras`` files (config.json at the top)."""
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "config.json" in names and bool({"metadata.json", "model.weights.h5"} & names)


def keras_source(
    path: Path,
    display_path: str,
    work_dir: Path,
    *,
    kind: Literal["keras", "h5"],
    allow_unsafe: bool,
) -> SourceModel:
    """A ``keras`` (.keras) or ``h5`` source, checked for unsafe content unless allowed."""
    if kind == "keras":
        info = inspect_keras_file(path, display_path)
    else:
        info = inspect_h5_file(path, display_path)
    if info.missing:  # whatever --allow-unsafe says: the code is not in the file
        raise BadInputError(f"{display_path}: {info.missing[0].message()}")
    if info.unsafe and not allow_unsafe:
        first = info.unsafe[0]
        more = f" (and {len(info.unsafe) - 1} more)" if len(info.unsafe) > 1 else ""
        raise BadInputError(
            f"{display_path}: layer {first.layer!r} {first.problem}{more}; refused, as Keras "
            "safe mode does: pass --allow-unsafe if you trust this file (a class outside "
            "Keras must also be importable), or export a SavedModel with model.export()"
        )
    provenance = {"file": path.name, "sha256": sha256_file(path)}
    if info.keras_version:
        provenance["keras_version"] = info.keras_version
    if info.unsafe:
        provenance["unsafe_loading"] = "allowed (--allow-unsafe)"
    return SourceModel(
        kind=kind,
        display_path=display_path,
        saved_model_dir=work_dir / "keras_saved_model",
        size_bytes=path.stat().st_size,
        provenance=provenance,
        materializer=KerasMaterializer(
            path.resolve(),
            display_path,
            kind=kind,
            keras_major=info.keras_major,
            allow_unsafe=allow_unsafe,
        ),
        stem=path.stem,
        unsafe_ops=tuple(info.unsafe_ops),
    )
