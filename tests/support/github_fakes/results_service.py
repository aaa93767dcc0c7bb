"""The fake Actions results service (Twirp JSON, runtime token) and its blob store (Azure
Put Block / Put Block List on the signed URL).

Artifact names are unique per workflow run, whichever job uploads (409 already_exists for a
taken one); CreateArtifact needs version 7 with a mime_type; FinalizeArtifact checks the
declared size and ``sha256:`` digest against the bytes the blob store received. Blocks
uploaded concurrently arrive concurrently (``block_delays`` holds some back,
``max_blocks_in_flight`` records how many overlapped).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any

from werkzeug import Request, Response

from .records import (
    RUNTIME_JOB_ID,
    RUNTIME_RUN_ID,
    SAS_SIGNATURE,
    TWIRP,
    Seen,
    StoredArtifact,
    json_response,
    run_scope,
    runtime_token,
)


class ResultsService:
    """Twirp and blob routes and their state; mixed into FakeGitHub, which sets what is
    declared here."""

    base_url: str
    _ids: itertools.count[int]
    _lock: threading.Lock

    def _start_results_service(self) -> None:
        self.artifacts: dict[str, StoredArtifact] = {}
        self.deleted_artifacts: list[StoredArtifact] = []
        # Workflow runs whose runtime tokens the results service accepts: (run, job) ids.
        self.runtime_runs: list[tuple[str, str]] = [(RUNTIME_RUN_ID, RUNTIME_JOB_ID)]
        # Where CreateArtifact's signed URLs point: this server, unless a test moves the blob
        # store elsewhere (a closed port, for connection errors).
        self.blob_base_url = self.base_url
        # Put Block requests: seconds each one waits, by arrival order (1st, 2nd, ...); the
        # block ids in the order their uploads completed; the most that were in flight at once.
        self.block_delays: list[float] = []
        self.blocks_completed: list[str] = []
        self.max_blocks_in_flight = 0
        self._blocks_arrived = 0
        self._blocks_in_flight = 0

    def job_env(self, job: str, run: str = RUNTIME_RUN_ID) -> dict[str, str]:
        """The runtime token of another job of a workflow run (a matrix entry), accepted here."""
        self.runtime_runs.append((run, job))
        return {"ACTIONS_RUNTIME_TOKEN": runtime_token(run_scope(run, job))}

    # -- routes ------------------------------------------------------------------------------

    def handle_twirp(self, request: Request, seen: Seen) -> Response:
        """Answer a Twirp call of the results service (runtime token, JSON only)."""
        ids = self._runtime_ids(request.headers.get("Authorization", ""))
        if ids is None:
            return json_response({"code": "unauthenticated", "msg": "bad runtime token"}, 401)
        if request.headers.get("Content-Type") != "application/json":
            return json_response({"code": "malformed", "msg": "JSON only"}, 400)
        payload = seen.json()
        method = request.path.removeprefix(TWIRP)
        run, job = (
            payload.get("workflow_run_backend_id"),
            payload.get("workflow_job_run_backend_id"),
        )
        # DeleteArtifact and GetSignedArtifactURL name the artifact by its own job's ids: any
        # job of the token's run.
        by_artifact = method in ("DeleteArtifact", "GetSignedArtifactURL")
        if run != ids[0] or (not by_artifact and job != ids[1]):
            return json_response({"code": "invalid_argument", "msg": "unknown backend ids"}, 400)
        with self._lock:
            if method == "CreateArtifact":
                return self._create_artifact(payload, ids)
            if method == "FinalizeArtifact":
                return self._finalize_artifact(payload)
            if method == "ListArtifacts":
                return self._list_artifacts(payload)
            if method == "DeleteArtifact":
                return self._delete_artifact(payload)
            if method == "GetSignedArtifactURL":
                return self._signed_download_url(payload)
        return json_response({"code": "bad_route", "msg": method}, 404)

    @staticmethod
    def _key(run: str, name: str) -> str:
        # Artifact names are unique per workflow run; later runs are stored as "run/name".
        return name if run == RUNTIME_RUN_ID else f"{run}/{name}"

    def _create_artifact(self, payload: dict[str, Any], ids: tuple[str, str]) -> Response:
        if payload.get("version") != 7 or not payload.get("mime_type"):
            message = "expected version 7 with a mime_type, as @actions/artifact 6.2+ sends"
            return json_response({"code": "invalid_argument", "msg": message}, 400)
        name = self._key(ids[0], payload["name"])
        if name in self.artifacts:
            message = "an artifact with this name already exists on the workflow run"
            return json_response({"code": "already_exists", "msg": message}, 409)
        self.artifacts[name] = StoredArtifact(
            name,
            payload.get("expires_at"),
            mime_type=payload["mime_type"],
            run=ids[0],
            job=ids[1],
            database_id=next(self._ids),
        )
        url = (
            f"{self.blob_base_url}/blob/artifacts/{name}.zip"
            f"?sv=2023-11-03&se=2026-11-30T00%3A00%3A00Z&sig={SAS_SIGNATURE}"
        )
        return json_response({"ok": True, "signed_upload_url": url})

    def _finalize_artifact(self, payload: dict[str, Any]) -> Response:
        artifact = self.artifacts.get(
            self._key(payload["workflow_run_backend_id"], payload["name"])
        )
        if artifact is None or artifact.blob is None:
            return json_response({"code": "not_found", "msg": "nothing uploaded"}, 404)
        artifact.finalize_request = payload
        digest = "sha256:" + hashlib.sha256(artifact.blob).hexdigest()
        if payload.get("size") != str(len(artifact.blob)) or payload.get("hash") != digest:
            return json_response({"code": "invalid_argument", "msg": "size or hash mismatch"}, 400)
        artifact.artifact_id = artifact.database_id
        return json_response({"ok": True, "artifact_id": str(artifact.artifact_id)})

    def _list_artifacts(self, payload: dict[str, Any]) -> Response:
        run = payload["workflow_run_backend_id"]
        wanted = payload.get("name_filter")
        wanted_id = payload.get("id_filter")  # an Int64Value: a string in proto3 JSON
        listed = [
            {
                "workflow_run_backend_id": artifact.run,
                "workflow_job_run_backend_id": artifact.job,
                "database_id": str(artifact.database_id),
                "name": name,
                "size": str(len(artifact.blob or b"")),
            }
            for artifact in self.artifacts.values()
            if artifact.run == run
            and wanted in (None, name := artifact.name.rsplit("/", 1)[-1])
            and wanted_id in (None, str(artifact.database_id))
        ]
        return json_response({"artifacts": listed} if listed else {})  # proto3 JSON: [] left out

    def _signed_download_url(self, payload: dict[str, Any]) -> Response:
        """GetSignedArtifactURL, as @actions/artifact's downloadArtifact asks before the GET."""
        key = self._key(payload["workflow_run_backend_id"], payload["name"])
        if key not in self.artifacts:
            return json_response({"code": "not_found", "msg": "artifact not found"}, 404)
        url = f"{self.blob_base_url}/blob/artifacts/{key}.zip?sv=2023-11-03&sig={SAS_SIGNATURE}"
        return json_response({"signed_url": url})

    def _delete_artifact(self, payload: dict[str, Any]) -> Response:
        key = self._key(payload["workflow_run_backend_id"], payload["name"])
        artifact = self.artifacts.get(key)
        if artifact is None or artifact.job != payload["workflow_job_run_backend_id"]:
            return json_response({"code": "not_found", "msg": "artifact not found"}, 404)
        self.deleted_artifacts.append(self.artifacts.pop(key))
        return json_response({"ok": True, "artifact_id": str(artifact.database_id)})

    def _runtime_ids(self, authorization: str) -> tuple[str, str] | None:
        """(run, job) backend ids of a known runtime token's Actions.Results scope."""
        for run, job in self.runtime_runs:
            if authorization == f"Bearer {runtime_token(run_scope(run, job))}":
                return run, job
        return None

    def handle_blob(self, request: Request, seen: Seen) -> Response:
        """Answer a Put Block / Put Block List on a signed blob URL."""
        if request.args.get("sig") != SAS_SIGNATURE:
            return Response("AuthenticationFailed", status=403)
        if "Authorization" in request.headers:
            # The SAS is the credential; a bearer token here would leak the runtime token.
            return Response("Authorization header not allowed with a SAS", status=400)
        name = request.path.removeprefix("/blob/artifacts/").removesuffix(".zip")
        artifact = self.artifacts[name]
        if request.method == "GET" and artifact.blob is not None:
            return Response(artifact.blob, status=200, content_type="application/zip")
        if request.method != "PUT":
            return Response(status=405)
        if request.args.get("comp") == "block":
            self._put_block(artifact, request.args["blockid"], seen.body)
            return Response(status=201)
        if request.args.get("comp") == "blocklist":
            ids = [e.text or "" for e in ET.fromstring(seen.body)]
            artifact.blob = b"".join(artifact.blocks[i] for i in ids)
            artifact.blob_content_type = request.headers.get("x-ms-blob-content-type")
            return Response(status=201)
        return Response(status=400)

    def _put_block(self, artifact: StoredArtifact, block_id: str, data: bytes) -> None:
        with self._lock:
            arrival = self._blocks_arrived
            self._blocks_arrived += 1
            self._blocks_in_flight += 1
            self.max_blocks_in_flight = max(self.max_blocks_in_flight, self._blocks_in_flight)
        try:
            if arrival < len(self.block_delays):
                time.sleep(self.block_delays[arrival])
            artifact.blocks[block_id] = data
        finally:
            with self._lock:
                self._blocks_in_flight -= 1
                self.blocks_completed.append(block_id)
