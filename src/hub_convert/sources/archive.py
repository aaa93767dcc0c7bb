"""Local archives (.tar.gz / .tgz / .tar / .zip) holding a model: safe extraction. No TensorFlow.

An archive comes from somewhere else, so nothing in it may land outside the extraction
directory, and a small file may not unpack into a disk-filling one. tar members go through
Python's own ``data`` extraction filter (PEP 706: no ``..``, no absolute link targets, no
links out, no device files or fifos) plus the count and size caps below; zip has no such
filter, so every member is checked here before anything is written.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from ..errors import BadInputError

# Caps on what one archive may unpack to. A real model is far below both; an archive above
# them is a mistake or a bomb. Read at call time, so a test (or a caller) can lower them.
MAX_UNCOMPRESSED_BYTES = 20 * 2**30
MAX_FILES = 100_000

TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")
ZIP_SUFFIXES = (".zip",)
# Folders that archivers add beside the real content (macOS Finder's zip).
_JUNK_NAMES = frozenset({"__MACOSX", ".DS_Store"})


class UnsafeArchiveError(Exception):
    """A member that would escape the target, or a cap exceeded (message names the member)."""


def has_archive_suffix(path: Path) -> bool:
    """True for the file names this module handles."""
    name = path.name.lower()
    return name.endswith(TAR_SUFFIXES + ZIP_SUFFIXES)


def archive_stem(path: Path) -> str:
    """``mobilenet.tar.gz`` → ``mobilenet``: the base name for the output files."""
    name = path.name
    for suffix in TAR_SUFFIXES + ZIP_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return path.stem


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (archives and weights can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def extract_archive(
    archive: Path,
    target: Path,
    *,
    max_bytes: int | None = None,
    max_files: int | None = None,
) -> None:
    """Unpack ``archive`` into the new directory ``target``, or raise BadInputError.

    The error names the archive and the offending member. On any failure ``target`` is
    removed, so nothing half-extracted is left behind.
    """
    caps = _Caps(
        MAX_UNCOMPRESSED_BYTES if max_bytes is None else max_bytes,
        MAX_FILES if max_files is None else max_files,
    )
    target.mkdir(parents=True)
    try:
        if is_zip(archive):
            _extract_zip(archive, target, caps)
        else:
            _extract_tar(archive, target, caps)
    except UnsafeArchiveError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise BadInputError(
            f"{archive}: refused to extract: {exc}; the archive may be malicious, "
            "re-create it from the model directory"
        ) from None
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise BadInputError(
            f"{archive}: not a readable .tar.gz/.tgz/.tar/.zip archive ({_one_line(exc)}); "
            "check that the file downloaded completely"
        ) from None
    except RuntimeError as exc:  # zipfile: encrypted members
        shutil.rmtree(target, ignore_errors=True)
        raise BadInputError(
            f"{archive}: cannot extract ({exc}); use an unencrypted archive"
        ) from None


def is_zip(path: Path) -> bool:
    """Zip by name; by content when the name says neither (a tar may end with a zip)."""
    name = path.name.lower()
    if name.endswith(ZIP_SUFFIXES):
        return True
    if name.endswith(TAR_SUFFIXES):
        return False
    return zipfile.is_zipfile(path)


def find_model_root(extracted: Path) -> Path | None:
    """The directory holding the model: the archive's root, or its one top-level folder.

    A model is a SavedModel (``saved_model.pb``) or a TF.js model (``model.json``).
    """
    if _holds_model(extracted):
        return extracted
    entries = [p for p in extracted.iterdir() if p.name not in _JUNK_NAMES]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0] if _holds_model(entries[0]) else None
    return None


def _holds_model(path: Path) -> bool:
    names = ("saved_model.pb", "saved_model.pbtxt", "model.json", "model.json.gz")
    return any((path / name).is_file() for name in names)


class _Caps:
    """Counts members and declared bytes; raises once either cap is passed."""

    def __init__(self, max_bytes: int, max_files: int) -> None:
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.files = 0
        self.bytes = 0

    def add(self, name: str, size: int) -> None:
        self.files += 1
        self.bytes += size
        if self.files > self.max_files:
            raise UnsafeArchiveError(f"more than {self.max_files} entries (at {name!r})")
        if self.bytes > self.max_bytes:
            raise UnsafeArchiveError(f"more than {self.max_bytes} bytes uncompressed (at {name!r})")


def _extract_tar(archive: Path, target: Path, caps: _Caps) -> None:
    def member_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
        # The data filter would strip a leading "/" and extract the member inside the
        # target; an absolute name in a model archive is still a sign of a crafted file.
        if member.name.startswith(("/", "\\")) or PurePosixPath(member.name).is_absolute():
            raise UnsafeArchiveError(f"absolute path {member.name!r}")
        caps.add(member.name, member.size if member.isfile() else 0)
        try:
            return tarfile.data_filter(member, dest)
        except tarfile.FilterError as exc:
            raise UnsafeArchiveError(_filter_reason(exc)) from None

    # "r:*" detects gzip/bz2/xz; random access (not "r|*") so a bad member stops the
    # extraction before any later member is read.
    with tarfile.open(archive, "r:*") as tar:
        tar.extractall(target, filter=member_filter)


def _filter_reason(exc: tarfile.FilterError) -> str:
    name = exc.tarinfo.name
    if isinstance(exc, tarfile.OutsideDestinationError):
        return f"{name!r} would be written outside the extraction directory"
    if isinstance(exc, tarfile.AbsolutePathError):
        return f"absolute path {name!r}"
    if isinstance(exc, tarfile.AbsoluteLinkError | tarfile.LinkOutsideDestinationError):
        return f"link {name!r} points outside the archive ({exc.tarinfo.linkname!r})"
    if isinstance(exc, tarfile.SpecialFileError):
        return f"{name!r} is a device file or fifo"
    return f"{name!r}: {exc}"


def _extract_zip(archive: Path, target: Path, caps: _Caps) -> None:
    root = target.resolve()
    with zipfile.ZipFile(archive) as bundle:
        members = bundle.infolist()
        # Check every member first: a refused archive writes nothing at all.
        for info in members:
            _check_zip_member(info, root)
            caps.add(info.filename, info.file_size)
        for info in members:
            destination = root / info.filename
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(info) as source, destination.open("wb") as sink:
                # ZipExtFile stops at the declared size and checks the CRC, so the caps
                # computed from ``file_size`` bound what is written.
                shutil.copyfileobj(source, sink, 1 << 20)


def _check_zip_member(info: zipfile.ZipInfo, root: Path) -> None:
    name = info.filename
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"absolute path {name!r}")
    if "\\" in name or ".." in PurePosixPath(name).parts:
        raise UnsafeArchiveError(f"{name!r} would be written outside the extraction directory")
    if not (root / name).resolve().is_relative_to(root):
        raise UnsafeArchiveError(f"{name!r} would be written outside the extraction directory")
    # The Unix file type sits in the high bits of external_attr; 0 when the archiver did
    # not record one (Windows tools, ZipFile.writestr): a plain file.
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        kind = "a symbolic link" if file_type == stat.S_IFLNK else "a device file or fifo"
        raise UnsafeArchiveError(f"{name!r} is {kind}")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
