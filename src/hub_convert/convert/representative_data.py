"""User-provided samples (``--representative-data``): load, check against the signature, split.

An ``.npz`` with one array per input name, or a directory of ``NAME.npy`` files; the first
axis of every array indexes samples. numpy only — no TensorFlow.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from ..errors import BadInputError
from ..report.plain_text import shape_text
from ..report.source_info import TensorInfo
from ..units import human
from .inputs import numpy_dtype


@dataclass
class SampleSplit:
    """Which samples calibrate the quantized variants and which validate every artifact."""

    calibration: list[dict[str, np.ndarray]]
    validation: list[dict[str, np.ndarray]]
    note: str


def _declared_bytes(stream: IO[bytes], name: str, where: str) -> int:
    """The bytes an ``.npy`` stream's header says its array holds; reads the header only."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise BadInputError(f"{where}: {name} is not a numpy array file ({exc})") from None
    if dtype.hasobject:
        raise BadInputError(
            f"{where}: array {name!r} holds Python objects (pickled data), which hub-convert "
            "does not load; save numeric arrays"
        )
    return math.prod(shape) * dtype.itemsize


def check_file(path: Path, limit: int | None) -> None:
    """Check that ``path`` holds numpy arrays, from their headers alone, and that they fit in
    ``limit`` bytes (a compressed ``.npz`` can hold a 64 GiB array in a few megabytes).

    Nothing is loaded: this runs in the main process, before any work starts.
    """
    where = f"--representative-data {path}"
    if not path.exists():
        raise BadInputError(f"{where}: no such file or directory")
    sizes: dict[str, int] = {}
    try:
        if path.is_dir():
            files = _npy_files(path, where)
            for file in files:
                with file.open("rb") as stream:
                    sizes[file.stem] = _declared_bytes(stream, file.name, where)
        elif path.suffix != ".npz":
            raise BadInputError(f"{where}: expected an .npz file or a directory of .npy files")
        else:
            with zipfile.ZipFile(path) as bundle:
                for member in bundle.namelist():
                    with bundle.open(member) as stream:
                        sizes[member.removesuffix(".npy")] = _declared_bytes(stream, member, where)
    except (OSError, zipfile.BadZipFile, EOFError, NotImplementedError) as exc:
        raise BadInputError(f"{where}: cannot read it as numpy data ({exc})") from None
    if not sizes:
        raise BadInputError(f"{where}: the .npz holds no arrays")
    total = sum(sizes.values())
    if limit is not None and total > limit:
        name, largest = max(sizes.items(), key=lambda item: item[1])
        raise BadInputError(
            f"{where}: the arrays would take {human(total)} in memory ({name!r}: "
            f"{human(largest)}), over the {human(limit)} allowed (half of --max-memory); "
            "pass fewer samples or raise --max-memory"
        )


def _npy_files(path: Path, where: str) -> list[Path]:
    """The ``NAME.npy`` files of a directory of representative data, one per input."""
    files = sorted(path.glob("*.npy"))
    if not files:
        raise BadInputError(f"{where}: no .npy files; name one file per input, e.g. images.npy")
    return files


def open_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays by name (memory-mapped where the format allows). BadInputError if unusable."""
    where = f"--representative-data {path}"
    if not path.exists():
        raise BadInputError(f"{where}: no such file or directory")
    try:
        if path.is_dir():
            files = _npy_files(path, where)
            return {f.stem: np.load(f, mmap_mode="r", allow_pickle=False) for f in files}
        if path.suffix != ".npz":
            raise BadInputError(f"{where}: expected an .npz file or a directory of .npy files")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except BadInputError:
        raise
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{where}: cannot read it as numpy data ({exc})") from exc
    if not arrays:
        raise BadInputError(f"{where}: the .npz holds no arrays")
    return arrays


def _sample_shape(array: np.ndarray, info: TensorInfo) -> tuple[int, ...]:
    """The shape fed per sample (``sample()`` adds a batch axis of 1 when the data has none)."""
    declared = info.shape
    per_sample = tuple(int(d) for d in array.shape[1:])
    if len(per_sample) == len(declared):
        return per_sample  # each sample already has the model's batch axis
    if len(per_sample) + 1 == len(declared):
        return (1, *per_sample)  # samples without a batch axis: fed one at a time
    raise BadInputError(
        f"array '{info.name}' has shape {list(array.shape)}: after the sample axis it must "
        f"match the input's shape {shape_text(declared)} (with or without its batch axis)"
    )


def check(
    arrays: dict[str, np.ndarray],
    inputs: list[TensorInfo],
    requested: dict[str, tuple[int, ...]],
    where: str,
) -> tuple[dict[str, tuple[int, ...]], int]:
    """Check names, dtypes and shapes; return the per-sample shape of each input and the count."""
    names = {t.name for t in inputs}
    missing = sorted(names - set(arrays))
    extra = sorted(set(arrays) - names)
    problems = []
    if missing:
        problems.append(f"no array for input(s) {', '.join(missing)}")
    if extra:
        problems.append(f"array(s) {', '.join(extra)} match no input")
    if problems:
        raise BadInputError(
            f"{where}: {'; '.join(problems)} (signature inputs: {', '.join(sorted(names))})"
        )
    shapes: dict[str, tuple[int, ...]] = {}
    counts = {}
    for info in inputs:
        array = arrays[info.name]
        want = numpy_dtype(info.dtype)
        text = want.kind == "O" and array.dtype.kind in "USO"
        if array.dtype != want and array.dtype.kind != want.kind and not text:
            raise BadInputError(
                f"{where}: array '{info.name}' is {array.dtype}, the input is {info.dtype}"
            )
        if array.ndim == 0 or array.shape[0] == 0:
            raise BadInputError(f"{where}: array '{info.name}' has no samples")
        try:
            shape = _sample_shape(array, info)
        except BadInputError as exc:
            raise BadInputError(f"{where}: {exc}") from None
        for axis, (got, declared) in enumerate(zip(shape, info.shape, strict=True)):
            if declared is not None and got != declared:
                raise BadInputError(
                    f"{where}: array '{info.name}' gives samples of shape {list(shape)}, but "
                    f"dimension {axis} of the input is {declared} ({shape_text(info.shape)})"
                )
        if info.name in requested and tuple(requested[info.name]) != shape:
            raise BadInputError(
                f"{where}: array '{info.name}' gives samples of shape {list(shape)}, "
                f"but --input-shape says {list(requested[info.name])}"
            )
        shapes[info.name] = shape
        counts[info.name] = int(array.shape[0])
    if len(set(counts.values())) > 1:
        listing = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
        raise BadInputError(f"{where}: inputs have different sample counts ({listing})")
    return shapes, next(iter(counts.values()))


def sample(
    arrays: dict[str, np.ndarray], inputs: list[TensorInfo], index: int
) -> dict[str, np.ndarray]:
    """Sample ``index`` as the model takes it (batch axis added when the data has none)."""
    result = {}
    for info in inputs:
        array = arrays[info.name]
        value = np.asarray(array[index], dtype=numpy_dtype(info.dtype))
        if value.ndim + 1 == len(info.shape):
            value = value[np.newaxis, ...]
        result[info.name] = value
    return result


def split(
    arrays: dict[str, np.ndarray],
    inputs: list[TensorInfo],
    count: int,
    *,
    validation: int,
    calibration: int,
) -> SampleSplit:
    """Validation takes the last samples; calibration the ones before, never the same ones
    unless there are too few to keep them apart (the note says so)."""
    if count > validation:
        val_idx = list(range(count - validation, count))
        cal_idx = list(range(0, min(calibration, count - validation)))
        note = (
            f"{len(cal_idx)} samples for calibration, the last {len(val_idx)} (disjoint) "
            "for validation"
        )
    else:
        val_idx = list(range(count))
        cal_idx = list(range(min(calibration, count)))
        note = (
            f"only {count} samples: calibration and validation use the same samples; "
            f"give more than {validation} to keep them apart"
        )
    return SampleSplit(
        calibration=[sample(arrays, inputs, i) for i in cal_idx],
        validation=[sample(arrays, inputs, i) for i in val_idx],
        note=note,
    )
