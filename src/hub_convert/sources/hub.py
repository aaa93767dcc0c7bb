"""TF Hub and Kaggle handles: any http(s) URL that serves a TF Hub compressed tarball.

``resolve`` (main process) only checks the URL. The download happens in a worker, through
``tensorflow_hub``'s own resolver (it imports TensorFlow): it fetches
``<handle>?tf-hub-format=compressed`` into ``$TFHUB_CACHE_DIR/<sha1 of the handle>``
(default ``<tmp>/tfhub_modules``), guarded by a ``.lock`` file so that concurrent runs share
one download, and returns the cached directory; a second run finds it there and downloads
nothing. The SavedModel directory of the run is a symbolic link to that cache entry: models
can be gigabytes, and the converters only read.
"""

from __future__ import annotations

import http.client
import logging
import os
import sys
import tarfile
import tempfile
import urllib.error
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from ..errors import BadInputError
from . import tf1_hub
from .archive import archive_stem
from .saved_model import is_saved_model_dir
from .source_model import SourceModel

HANDLE_PREFIXES = ("http://", "https://")
# tensorflow_hub picks the HTTP resolver from this variable; UNCOMPRESSED would return a
# gs:// location instead of a local cache directory.
_LOAD_FORMAT_ENV = "TFHUB_MODEL_LOAD_FORMAT"


def cache_dir() -> Path:
    """Where tensorflow_hub keeps downloads: ``$TFHUB_CACHE_DIR``, else ``<tmp>/tfhub_modules``."""
    return Path(os.environ.get("TFHUB_CACHE_DIR") or Path(tempfile.gettempdir(), "tfhub_modules"))


def is_handle(model: str) -> bool:
    """True for an http(s) URL: tfhub.dev, kaggle.com/models, or any server of tarballs."""
    return model.lower().startswith(HANDLE_PREFIXES)


def handle_stem(handle: str) -> str:
    """A readable base name for the output files from the handle's last path parts.

    ``https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/classification/5`` →
    ``mobilenet_v2_100_224_classification_5``; Kaggle's
    ``/models/<owner>/<model>/<framework>/<variation>/<version>`` →
    ``<model>_<variation>_<version>``.
    """
    url = urlsplit(handle)
    parts = [unquote(p) for p in url.path.split("/") if p]
    host = (url.hostname or "").lower()
    if host.endswith("kaggle.com") and len(parts) >= 6 and parts[0] == "models":
        return "_".join((parts[2], parts[4], parts[5]))
    if parts and parts[-1].isdigit():
        return "_".join(parts[-3:])
    if parts:
        return archive_stem(Path(parts[-1]))
    return host or "model"


def handle_source(handle: str, work_dir: Path) -> SourceModel:
    """A SourceModel whose SavedModel the worker fetches through tensorflow_hub."""
    url = urlsplit(handle)
    if url.scheme.lower() not in ("http", "https") or not url.hostname:
        raise BadInputError(
            f"{handle}: not a TF Hub handle; pass an http(s) URL such as "
            "https://tfhub.dev/google/... or https://www.kaggle.com/models/..."
        )
    return SourceModel(
        kind="hub",
        display_path=handle,
        saved_model_dir=work_dir / "hub_model",
        size_bytes=0,  # unknown until downloaded
        provenance={"handle": handle},
        materializer=HubMaterializer(handle),
        stem=handle_stem(handle),
    )


class HubMaterializer:
    """Download (or find in the cache) a handle, and link the run's SavedModel dir to it.

    Progress: tensorflow_hub reports the download through absl logging at INFO level, which
    is off by default, and the worker's stderr goes to the TensorFlow log while a job runs.
    The materializer therefore keeps the worker's real stderr, taken when it is unpickled in
    the worker (before the job redirects fd 2), and forwards those records to it.
    """

    def __init__(self, handle: str) -> None:
        self.handle = handle
        self._console_fd: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_console_fd"] = None  # a file descriptor means nothing in another process
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        try:
            self._console_fd = os.dup(2)
        except OSError:  # no stderr at all: progress goes wherever sys.stderr goes
            self._console_fd = None

    def __call__(self, target: Path) -> dict[str, str]:
        """Resolve the handle into the cache; make ``target`` a link to the SavedModel."""
        with self._console() as console:
            cached = self._resolve(console)
        if not is_saved_model_dir(cached):
            raise BadInputError(
                f"{self.handle}: the download (cached at {cached}) holds no saved_model.pb; "
                "hub-convert takes TF Hub handles of SavedModels and TF1 Hub modules"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(cached, target_is_directory=True)
        provenance = {"cache_path": str(cached)}
        if tf1_hub.is_tf1_hub_module(cached):
            provenance["format"] = "tf1_hub"
        return provenance

    @contextmanager
    def _console(self) -> Iterator[IO[str]]:
        fd, self._console_fd = self._console_fd, None
        if fd is None:
            yield sys.stderr
            return
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as stream:
            yield stream

    def _resolve(self, console: IO[str]) -> Path:
        hub = import_tensorflow_hub()
        import tensorflow as tf

        saved_format = os.environ.get(_LOAD_FORMAT_ENV)
        os.environ[_LOAD_FORMAT_ENV] = "COMPRESSED"
        try:
            with _forward_absl_info(console) as progress:
                resolved = Path(hub.resolve(self.handle)).resolve()
        except urllib.error.HTTPError as exc:
            raise BadInputError(
                f"{self.handle}: HTTP {exc.code} {exc.reason} from {exc.url}; check the "
                "handle's address and version (open it in a browser)"
            ) from None
        except urllib.error.URLError as exc:
            raise BadInputError(
                f"{self.handle}: cannot reach the server ({exc.reason}); check the address, "
                "the network and any proxy settings"
            ) from None
        except http.client.HTTPException as exc:  # e.g. IncompleteRead: the body broke off
            raise BadInputError(
                f"{self.handle}: the download broke off ({type(exc).__name__}); try again"
            ) from None
        except (tarfile.TarError, zlib.error, EOFError, ValueError) as exc:
            # A truncated gzip stream; tensorflow_hub's "Unexpected object type in tar
            # archive" (links, devices) and "Relative path ... is invalid" (..).
            raise BadInputError(
                f"{self.handle}: the server's answer is not a usable TF Hub tarball ({exc})"
            ) from None
        except OSError as exc:
            if "does not appear to be a valid module" not in str(exc):
                raise BadInputError(
                    f"{self.handle}: cannot store the download ({exc}); set TFHUB_CACHE_DIR "
                    "to a writable directory with enough space"
                ) from None
            raise BadInputError(  # tensorflow_hub's words for "not a tarball at all"
                f"{self.handle}: the server's answer is not a usable TF Hub tarball ({exc})"
            ) from None
        except tf.errors.OpError as exc:  # the cache directory: permissions, disk full
            raise BadInputError(
                f"{self.handle}: cannot write the TF Hub cache ({exc.message}); set "
                "TFHUB_CACHE_DIR to a writable directory"
            ) from None
        finally:
            if saved_format is None:
                os.environ.pop(_LOAD_FORMAT_ENV, None)
            else:
                os.environ[_LOAD_FORMAT_ENV] = saved_format
        how = "downloaded to" if progress.downloaded else "found in the TF Hub cache at"
        console.write(f"  {self.handle}: {how} {resolved}\n")
        console.flush()
        return resolved


def import_tensorflow_hub() -> Any:
    """``import tensorflow_hub``, without the DeprecationWarning its ``pkg_resources`` import
    raises (tensorflow_hub 0.16.1 needs pkg_resources: setuptools is pinned below 81 for it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        import tensorflow_hub
    return tensorflow_hub


class _ProgressHandler(logging.Handler):
    """Writes tensorflow_hub's absl records to the run's log; notes whether it downloaded."""

    def __init__(self, console: IO[str]) -> None:
        super().__init__(logging.INFO)
        self.console = console
        self.downloaded = False

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Downloading TF-Hub Module"):
            self.downloaded = True
        try:
            self.console.write(f"  tensorflow_hub: {message}\n")
            self.console.flush()
        except (OSError, ValueError):  # a closed console must not fail the download
            pass


@contextmanager
def _forward_absl_info(console: IO[str]) -> Iterator[_ProgressHandler]:
    """Send absl INFO records (tensorflow_hub's progress) to ``console`` while in the block."""
    logger = logging.getLogger("absl")
    handler = _ProgressHandler(console)
    saved = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # once here is enough: not again through the root logger
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
