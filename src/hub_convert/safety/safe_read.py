"""Reading untrusted files with bounds: sizes, decompression and JSON nesting. No TensorFlow.

A 200 kB gzip stream inflates to gigabytes, a zip entry can claim any size, and JSON nested
100,000 deep exhausts any recursive reader (Python's ``json``, Keras, our own walkers). So
bytes are read and inflated up to a limit, and JSON is parsed only after its nesting depth
has been counted without recursion. Every refusal is a one-line BadInputError.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from itertools import accumulate
from pathlib import Path
from typing import Any

from ..errors import BadInputError
from ..units import human

MAX_JSON_BYTES = 64 << 20  # the largest TF.js model.json seen is a few MB
MAX_JSON_DEPTH = 200  # Keras configs nest about 6 levels per nested model
_GZIP_MAGIC = b"\x1f\x8b"
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_CHUNK = 1 << 20
_OPENING = frozenset(b"[{")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _too_big(where: str, what: str, limit: int) -> BadInputError:
    return BadInputError(
        f"{where}: {what} is larger than {human(limit)}, more than any model file needs; "
        "refused (a decompression bomb?)"
    )


def read_file(path: Path, limit: int, where: str) -> bytes:
    """The file's bytes, refusing a file over ``limit`` before reading it."""
    try:
        if path.stat().st_size > limit:
            raise _too_big(where, "the file", limit)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise BadInputError(f"{where}: cannot read the file ({exc.strerror})") from None
    if len(data) > limit:  # it grew since stat
        raise _too_big(where, "the file", limit)
    return data


def gunzip(data: bytes, limit: int, where: str) -> bytes:
    """Inflate gzip ``data`` (members one after another, as gzip does) up to ``limit`` bytes."""
    out = bytearray()
    rest = data
    try:
        while rest:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk = inflater.decompress(rest, _CHUNK)
            while True:
                out += chunk
                if len(out) > limit:
                    raise _too_big(where, "the decompressed data", limit)
                if inflater.eof or not inflater.unconsumed_tail:
                    break
                chunk = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            if not inflater.eof:
                raise zlib.error("the stream is truncated")
            rest = inflater.unused_data
            if rest and not rest.startswith(_GZIP_MAGIC):
                break  # trailing garbage after the last member: gzip ignores it too
    except zlib.error as exc:
        raise BadInputError(
            f"{where}: gzip data is corrupt ({exc}); re-compress or pass the plain file"
        ) from None
    return bytes(out)


def read_maybe_gzipped(path: Path, limit: int, where: str) -> bytes:
    """The file's bytes, inflated when they start with the gzip signature (bounded both ways)."""
    data = read_file(path, limit, where)
    return gunzip(data, limit, where) if data[:2] == _GZIP_MAGIC else data


def read_zip_member(bundle: zipfile.ZipFile, name: str, limit: int, where: str) -> bytes:
    """One entry of a zip archive, inflated up to ``limit`` bytes whatever its header claims."""
    with bundle.open(name) as entry:
        data = entry.read(limit + 1)
    if len(data) > limit:
        raise _too_big(where, name, limit)
    return data


def json_depth(raw: bytes) -> int:
    """How deeply ``raw`` JSON nests arrays and objects, counted without recursion (and
    without numpy: ``hub-convert publish`` reads policy files too, and installs light)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    steps = (1 if byte in _OPENING else -1 for byte in brackets)
    return max(accumulate(steps, initial=0))


def parse_json(
    raw: bytes, where: str, *, what: str = "JSON", fix: str = "", max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Parse UTF-8 JSON whose nesting is at most ``max_depth``; one-line errors otherwise
    (``what`` the file should have been, ``fix`` what to do about malformed JSON)."""
    depth = json_depth(raw)
    if depth > max_depth:
        raise BadInputError(
            f"{where}: JSON nested {depth} levels deep, more than the {max_depth} any model "
            "needs; refused"
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInputError(f"{where}: not UTF-8 text, so not {what}") from None
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{where}: malformed JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
            + (f"; {fix}" if fix else "")
        ) from None
    except RecursionError:  # depth counting missed a form of nesting: still one line
        raise BadInputError(f"{where}: JSON nested too deeply; refused") from None
