"""Upload a file to a signed Azure Blob Storage URL as a block blob, hashing it on the way.

The file is read block by block (Put Block), so memory holds one block, never the file; each
block is retried on its own; Put Block List then commits them in order. The SAS in the URL is
the only credential: no Authorization header is sent, and the URL is never logged.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import requests

from .. import __version__
from .retry import HttpStatusError, RetryPolicy, call_with_retry

BLOCK_SIZE = 8 * 1024 * 1024
_AZURE_VERSION = "2023-11-03"


@dataclass(frozen=True)
class BlobUploadResult:
    """Bytes sent and their SHA-256 (hex)."""

    size: int
    sha256: str


def _with_query(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def _block_id(index: int) -> str:
    # Azure requires every block id of a blob to have the same length before encoding.
    return base64.b64encode(f"block-{index:08d}".encode("ascii")).decode("ascii")


def upload_block_blob(
    signed_url: str,
    path: Path,
    *,
    policy: RetryPolicy,
    content_type: str = "application/zip",
    block_size: int = BLOCK_SIZE,
    timeout: float = 300.0,
) -> BlobUploadResult:
    """Upload ``path`` to ``signed_url``; return its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    block_ids: list[str] = []
    with requests.Session() as session:
        session.headers.update(
            {"User-Agent": f"hub-convert/{__version__}", "x-ms-version": _AZURE_VERSION}
        )

        def put(url: str, data: bytes, headers: dict[str, str], what: str) -> None:
            def attempt() -> None:
                response = session.put(url, data=data, headers=headers, timeout=timeout)
                if response.status_code not in (200, 201):
                    raise HttpStatusError(
                        response.status_code,
                        response.reason or "blob store error",
                        dict(response.headers),
                    )

            call_with_retry(attempt, policy=policy, what=what)

        with path.open("rb") as handle:
            while chunk := handle.read(block_size):
                block_id = _block_id(len(block_ids))
                digest.update(chunk)
                size += len(chunk)
                put(
                    _with_query(signed_url, comp="block", blockid=block_id),
                    chunk,
                    {"Content-Type": "application/octet-stream"},
                    f"blob upload (block {len(block_ids) + 1})",
                )
                block_ids.append(block_id)
        block_list = "".join(f"<Latest>{escape(b)}</Latest>" for b in block_ids)
        put(
            _with_query(signed_url, comp="blocklist"),
            f'<?xml version="1.0" encoding="utf-8"?><BlockList>{block_list}</BlockList>'.encode(),
            {"Content-Type": "application/xml", "x-ms-blob-content-type": content_type},
            "blob upload (commit block list)",
        )
    return BlobUploadResult(size=size, sha256=digest.hexdigest())
