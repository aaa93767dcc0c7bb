"""Client for the Actions results service's artifact API, as the runner exposes it to containers.

Protocol spoken: ``github.actions.results.api.v1.ArtifactService`` over Twirp with JSON bodies
(proto field names), artifact **version 7** — what ``@actions/artifact`` 6.2+
(actions/upload-artifact v7) sends, read from actions/toolkit ``packages/artifact``
(``src/internal/upload/upload-artifact.ts``, ``src/generated/results/api/v1/artifact.ts``):

- ``POST {ACTIONS_RESULTS_URL}/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact``
  ``{workflow_run_backend_id, workflow_job_run_backend_id, name, version: 7,
  mime_type: "application/zip", expires_at?}`` → ``{ok, signed_upload_url}``
  (``mime_type`` is a ``google.protobuf.StringValue``: a plain string in JSON)
- upload the zip to ``signed_upload_url`` (an Azure block blob; see ``blob_upload``)
- ``POST .../FinalizeArtifact`` ``{workflow_run_backend_id, workflow_job_run_backend_id, name,
  size: "<int64 as string>", hash: "sha256:<hex>"}`` → ``{ok, artifact_id}``
- replacing an artifact, as ``deleteArtifactInternal`` (``src/internal/delete/delete-artifact.ts``)
  does for actions/upload-artifact's ``overwrite``: ``POST .../ListArtifacts``
  ``{workflow_run_backend_id, workflow_job_run_backend_id, name_filter: "<name>"}`` →
  ``{artifacts: [{workflow_run_backend_id, workflow_job_run_backend_id, database_id, name, ...}]}``
  (every artifact of the run by that name, whichever job uploaded it), then ``POST
  .../DeleteArtifact`` with the newest one's own backend ids and name → ``{ok, artifact_id}``.

A name already taken in the run is refused by CreateArtifact with HTTP 409 (Twirp
``already_exists``: "an artifact with this name already exists on the workflow run").

The backend ids come from the runtime token's ``scp`` claim, ``Actions.Results:<run>:<job>``.
Requests carry ``Authorization: Bearer <ACTIONS_RUNTIME_TOKEN>``; the blob store never sees it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import requests

from .. import __version__
from ..errors import PublishError
from .redaction import url_secrets
from .retry import HttpStatusError, RetryPolicy, call_with_retry

SERVICE = "github.actions.results.api.v1.ArtifactService"
ARTIFACT_VERSION = 7
# What the toolkit's getMimeType gives ``<name>.zip``; also the blob's content type.
ZIP_MIME_TYPE = "application/zip"


@dataclass(frozen=True)
class BackendIds:
    """The run and job the artifact belongs to, in the results service's terms."""

    workflow_run_backend_id: str
    workflow_job_run_backend_id: str


@dataclass(frozen=True)
class ListedArtifact:
    """An artifact of the run as ListArtifacts returns it: whose job, which name, its id."""

    ids: BackendIds
    name: str
    database_id: int


def backend_ids_from_token(token: str) -> BackendIds:
    """Read ``Actions.Results:<run>:<job>`` from the runtime token's ``scp`` claim.

    The token is a JWT; we only read its payload (the service verifies the signature).
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise PublishError("ACTIONS_RUNTIME_TOKEN is not a JWT; cannot upload the artifact")
    payload_b64 = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload_b64))
    except ValueError as exc:
        raise PublishError("ACTIONS_RUNTIME_TOKEN has an unreadable payload") from exc
    scope = claims.get("scp") if isinstance(claims, dict) else None
    for entry in str(scope or "").split(" "):
        fields = entry.split(":")
        if len(fields) == 3 and fields[0] == "Actions.Results" and fields[1] and fields[2]:
            return BackendIds(fields[1], fields[2])
    raise PublishError(
        "ACTIONS_RUNTIME_TOKEN has no Actions.Results scope; cannot upload the artifact"
    )


def rfc3339(moment: datetime) -> str:
    """A protobuf JSON Timestamp (UTC, ``Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ResultsService:
    """ArtifactService calls, each retried on 5xx, 429 and network errors (not on 409).

    ``mask`` is called with each secret part of the signed upload URL the moment it arrives
    (``WorkflowCommands.add_mask``), before anything could log it.
    """

    def __init__(
        self,
        results_url: str,
        runtime_token: str,
        policy: RetryPolicy,
        *,
        timeout: float = 60.0,
        mask: Callable[[str], None] | None = None,
    ) -> None:
        self._base = results_url
        self._policy = policy
        self._timeout = timeout
        self._mask = mask
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {runtime_token}",
                "User-Agent": f"hub-convert/{__version__}",
                "Content-Type": "application/json",
            }
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._session.close()

    def _call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        # Like @actions/artifact: an absolute path on the results host, whatever path the URL has.
        url = urljoin(self._base, f"/twirp/{SERVICE}/{method}")

        def post() -> dict[str, Any]:
            response = self._session.post(url, data=json.dumps(payload), timeout=self._timeout)
            if not response.ok:
                try:
                    detail = response.json()
                    message = f"{detail.get('code', '')} {detail.get('msg', '')}".strip()
                except ValueError:
                    message = response.text[:200]
                raise HttpStatusError(
                    response.status_code, message or response.reason, dict(response.headers)
                )
            body = response.json()
            if not isinstance(body, dict):
                raise PublishError(f"{method}: unexpected answer from the results service")
            return body

        return call_with_retry(post, policy=self._policy, what=f"{method} (results service)")

    def create_artifact(
        self, ids: BackendIds, name: str, expires_at: datetime | None = None
    ) -> str:
        """Register artifact ``name`` for this job; returns the signed blob URL to upload to."""
        payload: dict[str, Any] = {
            "workflow_run_backend_id": ids.workflow_run_backend_id,
            "workflow_job_run_backend_id": ids.workflow_job_run_backend_id,
            "name": name,
            "version": ARTIFACT_VERSION,
            "mime_type": ZIP_MIME_TYPE,
        }
        if expires_at is not None:
            payload["expires_at"] = rfc3339(expires_at)
        body = self._call("CreateArtifact", payload)
        url = body.get("signed_upload_url")
        if isinstance(url, str) and self._mask is not None:
            for secret in url_secrets(url):
                self._mask(secret)
        if not body.get("ok") or not isinstance(url, str) or not url:
            raise PublishError("CreateArtifact: the results service did not accept the artifact")
        return url

    def list_artifacts(self, ids: BackendIds, name: str) -> list[ListedArtifact]:
        """The run's artifacts named ``name`` (any job's), found by ListArtifacts' name filter."""
        body = self._call(
            "ListArtifacts",
            {
                "workflow_run_backend_id": ids.workflow_run_backend_id,
                "workflow_job_run_backend_id": ids.workflow_job_run_backend_id,
                "name_filter": name,  # a google.protobuf.StringValue: a plain string in JSON
            },
        )
        listed = body.get("artifacts") or []  # proto3 JSON may leave an empty list out
        if not isinstance(listed, list):
            raise PublishError("ListArtifacts: unexpected answer from the results service")
        found = []
        for entry in listed:
            try:
                found.append(
                    ListedArtifact(
                        BackendIds(
                            str(entry["workflow_run_backend_id"]),
                            str(entry["workflow_job_run_backend_id"]),
                        ),
                        str(entry["name"]),
                        int(entry["database_id"]),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise PublishError("ListArtifacts: an artifact without ids or name") from exc
        # The filter is the service's; only an exact name is ever deleted.
        return [artifact for artifact in found if artifact.name == name]

    def delete_artifact(self, artifact: ListedArtifact) -> int:
        """Delete a listed artifact (under its own job's backend ids); returns its id."""
        body = self._call(
            "DeleteArtifact",
            {
                "workflow_run_backend_id": artifact.ids.workflow_run_backend_id,
                "workflow_job_run_backend_id": artifact.ids.workflow_job_run_backend_id,
                "name": artifact.name,
            },
        )
        if not body.get("ok"):
            raise PublishError(f"DeleteArtifact: the results service kept {artifact.name!r}")
        try:
            return int(body.get("artifact_id", artifact.database_id))
        except (TypeError, ValueError):
            return artifact.database_id

    def finalize_artifact(self, ids: BackendIds, name: str, size: int, sha256_hex: str) -> int:
        """Mark the uploaded blob complete with its size and digest; returns the artifact id."""
        body = self._call(
            "FinalizeArtifact",
            {
                "workflow_run_backend_id": ids.workflow_run_backend_id,
                "workflow_job_run_backend_id": ids.workflow_job_run_backend_id,
                "name": name,
                "size": str(size),  # int64 is a string in protobuf JSON
                "hash": f"sha256:{sha256_hex}",
            },
        )
        if not body.get("ok"):
            raise PublishError("FinalizeArtifact: the results service did not accept the upload")
        try:
            return int(body.get("artifact_id", 0))
        except (TypeError, ValueError) as exc:
            raise PublishError("FinalizeArtifact: the results service sent no artifact id") from exc
