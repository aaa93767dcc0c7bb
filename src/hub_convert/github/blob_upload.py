"""Upload a file to a signed Azure Blob Storage URL as a block blob, hashing it on the way.

The file is read block by block in order, hashed as it is read, and each block is sent by a
small pool of threads (Put Block), as ``@actions/artifact``'s ``BlockBlobClient.uploadStream``
sends 8 MiB blocks with a bounded concurrency (actions/toolkit ``packages/artifact``,
``src/internal/upload/blob-upload.ts``, ``src/internal/shared/config.ts``). At most
``concurrency`` blocks are in flight, so memory holds ``concurrency + 1`` blocks, never the file.
Each block is retried on its own; Put Block List then commits them in file order, whatever
order they arrived in. The SAS in the URL is the only credential: no Authorization header is
sent, and the URL is never logged.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import requests

from .. import __version__
from .retry import HttpStatusError, RetryPolicy, call_with_retry

BLOCK_SIZE = 8 * 1024 * 1024
# Blocks sent at once. @actions/artifact defaults to 5 (getConcurrency); 4 keeps a runner's
# memory use at ~40 MiB and is as fast on its network.
CONCURRENCY = 4
_AZURE_VERSION = "2023-11-03"


@dataclass(frozen=True)
class BlobUploadResult:
    """Bytes sent and their SHA-256 (hex)."""

    size: int
    sha256: str


class _Abandoned(Exception):
    """Another block failed for good: stop retrying this one."""


def _with_query(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def _block_id(index: int) -> str:
    # Azure requires every block id of a blob to have the same length before encoding.
    return base64.b64encode(f"block-{index:08d}".encode("ascii")).decode("ascii")


class _BlobClient:
    """PUTs to the blob store from several threads, one ``requests.Session`` per thread."""

    def __init__(self, policy: RetryPolicy, timeout: float) -> None:
        self._policy = policy
        self._timeout = timeout
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self.failed = threading.Event()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(
                {"User-Agent": f"hub-convert/{__version__}", "x-ms-version": _AZURE_VERSION}
            )
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def put(self, url: str, data: bytes, headers: dict[str, str], what: str) -> None:
        def attempt() -> None:
            if self.failed.is_set():
                raise _Abandoned(what)
            response = self._session().put(url, data=data, headers=headers, timeout=self._timeout)
            if response.status_code not in (200, 201):
                raise HttpStatusError(
                    response.status_code,
                    response.reason or "blob store error",
                    dict(response.headers),
                )

        try:
            call_with_retry(attempt, policy=self._policy, what=what)
        except _Abandoned:
            raise
        except BaseException:
            self.failed.set()
            raise

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()


def _first_failure(done: set[Future[None]]) -> None:
    """Raise the error of a finished block, preferring a real failure to an abandoned one."""
    errors = [error for future in done if (error := future.exception()) is not None]
    if errors:
        raise next((e for e in errors if not isinstance(e, _Abandoned)), errors[0])


def upload_block_blob(
    signed_url: str,
    path: Path,
    *,
    policy: RetryPolicy,
    content_type: str = "application/zip",
    block_size: int = BLOCK_SIZE,
    concurrency: int = CONCURRENCY,
    timeout: float = 300.0,
) -> BlobUploadResult:
    """Upload ``path`` to ``signed_url``; return its size and SHA-256.

    Raises RequestFailed (the first block that failed for good) or OSError (reading ``path``).
    """
    digest = hashlib.sha256()
    size = 0
    block_ids: list[str] = []
    client = _BlobClient(policy, timeout)
    pending: set[Future[None]] = set()
    try:
        with (
            ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="blob-upload") as pool,
            path.open("rb") as handle,
        ):
            try:
                while True:
                    if len(pending) >= max(1, concurrency):
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        _first_failure(done)
                    chunk = handle.read(block_size)
                    if not chunk:
                        break
                    block_id = _block_id(len(block_ids))
                    digest.update(chunk)
                    size += len(chunk)
                    url = _with_query(signed_url, comp="block", blockid=block_id)
                    what = f"blob upload (block {len(block_ids) + 1})"
                    headers = {"Content-Type": "application/octet-stream"}
                    pending.add(pool.submit(client.put, url, chunk, headers, what))
                    block_ids.append(block_id)
                done, pending = wait(pending)
                _first_failure(done)
            except BaseException:
                client.failed.set()  # blocks still retrying give up at their next attempt
                raise
        block_list = "".join(f"<Latest>{escape(b)}</Latest>" for b in block_ids)
        client.put(
            _with_query(signed_url, comp="blocklist"),
            f'<?xml version="1.0" encoding="utf-8"?><BlockList>{block_list}</BlockList>'.encode(),
            {"Content-Type": "application/xml", "x-ms-blob-content-type": content_type},
            "blob upload (commit block list)",
        )
    finally:
        client.close()
    return BlobUploadResult(size=size, sha256=digest.hexdigest())
