"""Attach the output directory to the workflow run as an artifact, from inside the container.

Docker actions cannot call ``actions/upload-artifact``; the runner hands them
``ACTIONS_RUNTIME_TOKEN`` and ``ACTIONS_RESULTS_URL`` instead. The directory is zipped into a
temporary file (outside the workspace), then CreateArtifact → blob upload → FinalizeArtifact
(see ``results_service`` for the protocol version). With ``overwrite`` an artifact of the same
name in the run is deleted first, as actions/upload-artifact's ``overwrite: true`` does; without
it the service's 409 for a taken name becomes one line naming the artifact and what to do.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import BadInputError, PublishError
from .blob_upload import upload_block_blob
from .results_service import ZIP_MIME_TYPE, BackendIds, ResultsService, backend_ids_from_token
from .retry import RequestFailed, RetryPolicy

# What to do about a taken name, in the Action's words (``hub-convert publish`` passes its own).
DUPLICATE_HINT = "set `overwrite: true` to replace it, or choose another `artifact-name`"

# Characters actions/upload-artifact refuses in artifact names.
_FORBIDDEN_NAME_CHARS = '":<>|*?\r\n\\/'


def validate_artifact_name(name: str, label: str = "artifact-name") -> str:
    """Return ``name`` stripped, or raise BadInputError naming the character GitHub refuses."""
    name = name.strip()
    if not name:
        raise BadInputError(f"{label}: must not be empty")
    for char in _FORBIDDEN_NAME_CHARS:
        if char in name:
            raise BadInputError(
                f"{label}: {name!r} contains {char!r}, which GitHub does not allow "
                f'(not allowed: " : < > | * ? \\ / and line breaks)'
            )
    return name


@dataclass(frozen=True)
class UploadedArtifact:
    """A finalized workflow artifact."""

    artifact_id: int
    name: str
    size: int
    sha256: str
    files: int
    replaced: int | None = None
    """Id of the artifact of the same name deleted first (``overwrite``), if there was one."""


class ArtifactNameTaken(PublishError):
    """CreateArtifact refused the name: the run already has an artifact by that name (409)."""


def delete_existing_artifact(service: ResultsService, ids: BackendIds, name: str) -> int | None:
    """Delete the run's artifact named ``name``, whichever job uploaded it; its id, or None.

    As ``deleteArtifactInternal`` in actions/toolkit: ListArtifacts by name, the newest one
    (highest database id) deleted with its own backend ids.
    """
    listed = service.list_artifacts(ids, name)
    if not listed:
        return None
    return service.delete_artifact(max(listed, key=lambda artifact: artifact.database_id))


def artifact_files(directory: Path) -> list[Path]:
    """Regular files under ``directory``, sorted; symlinks and in-progress ``.partial`` skipped."""
    files = []
    for path in sorted(directory.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if path.name.startswith(".") and path.name.endswith(".partial"):
            continue  # an atomic write still in progress (fsutil.produce_atomic)
        files.append(path)
    return files


def zip_directory(directory: Path, destination: Path, files: list[Path], level: int = 6) -> None:
    """Write ``files`` (under ``directory``) to the zip ``destination``, streamed from disk."""
    with zipfile.ZipFile(
        destination,
        "w",
        compression=zipfile.ZIP_DEFLATED,
        compresslevel=level,
        strict_timestamps=False,
    ) as archive:
        for path in files:
            archive.write(path, path.relative_to(directory).as_posix())


def upload_directory_artifact(
    directory: Path,
    *,
    name: str,
    results_url: str,
    runtime_token: str,
    retention_days: int | None,
    policy: RetryPolicy,
    compression_level: int = 6,
    mask: Callable[[str], None] | None = None,
    overwrite: bool = False,
    duplicate_hint: str = DUPLICATE_HINT,
    log: Callable[[str], None] | None = None,
) -> UploadedArtifact:
    """Upload every file under ``directory`` as workflow artifact ``name`` (one zip).

    ``mask`` receives the signed upload URL's secrets as soon as the service sends the URL
    (pass ``WorkflowCommands.add_mask``). ``overwrite`` deletes an artifact of the same name
    first; a failed deletion is logged, not raised (as actions/upload-artifact does), and the
    upload goes on. Raises ArtifactNameTaken for a taken name (message ends with
    ``duplicate_hint``), else PublishError (RequestFailed for HTTP failures) with a one-line
    message, its URLs' query strings redacted.
    """
    files = artifact_files(directory)
    if not files:
        raise PublishError(f"{directory}: no files to upload as an artifact")
    ids = backend_ids_from_token(runtime_token)
    expires = datetime.now(UTC) + timedelta(days=retention_days) if retention_days else None
    service = ResultsService(results_url, runtime_token, policy, mask=mask)
    try:
        with tempfile.TemporaryDirectory(prefix="hub-convert-artifact-") as tmp:
            # Zip first: a local failure (disk full) then leaves no half-created artifact.
            archive = Path(tmp) / f"{name}.zip"
            zip_directory(directory, archive, files, compression_level)
            replaced = None
            if overwrite:
                try:
                    replaced = delete_existing_artifact(service, ids, name)
                except PublishError as exc:
                    if log is not None:
                        log(f"could not delete the earlier artifact {name!r} ({exc}); uploading")
            try:
                signed_url = service.create_artifact(ids, name, expires)
            except RequestFailed as exc:
                if exc.status != 409:
                    raise
                raise ArtifactNameTaken(
                    f"workflow artifact {name!r} already exists in this workflow run "
                    f"(HTTP 409 from the results service); {duplicate_hint}"
                ) from exc
            uploaded = upload_block_blob(
                signed_url, archive, policy=policy, content_type=ZIP_MIME_TYPE
            )
        artifact_id = service.finalize_artifact(ids, name, uploaded.size, uploaded.sha256)
    finally:
        service.close()
    return UploadedArtifact(
        artifact_id=artifact_id,
        name=name,
        size=uploaded.size,
        sha256=uploaded.sha256,
        files=len(files),
        replaced=replaced,
    )
