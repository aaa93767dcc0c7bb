"""What the fake GitHub stores and records: its fixed names, requests, comments, releases
and workflow artifacts."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Response

OWNER, REPO = "octo", "models"
REPOSITORY = f"{OWNER}/{REPO}"
GITHUB_TOKEN = "ghs_fake_github_token_0123456789"
BOT_LOGIN = "github-actions[bot]"
RUNTIME_RUN_ID = "run-backend-1f2e"
RUNTIME_JOB_ID = "job-backend-3c4d"
SAS_SIGNATURE = "sig-secret-value"
TWIRP = "/twirp/github.actions.results.api.v1.ArtifactService/"


def run_scope(run: str, job: str) -> str:
    """The ``scp`` claim of a runtime token for one workflow run's job."""
    return f"Actions.ExampleScope Actions.Results:{run}:{job}"


def runtime_token(scope: str | None = None) -> str:
    """An unsigned JWT shaped like ACTIONS_RUNTIME_TOKEN, with the Actions.Results scope."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    scp = scope or run_scope(RUNTIME_RUN_ID, RUNTIME_JOB_ID)
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'scp': scp})}.c2ln"


@dataclass
class Seen:
    """A request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    times: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Comment:
    id: int
    body: str
    login: str


@dataclass
class Asset:
    id: int
    name: str
    content_type: str
    data: bytes


@dataclass
class Release:
    id: int
    tag: str
    assets: list[Asset] = field(default_factory=list)


@dataclass
class StoredArtifact:
    name: str
    expires_at: str | None
    mime_type: str | None = None
    run: str = RUNTIME_RUN_ID
    job: str = RUNTIME_JOB_ID
    """The backend ids of the workflow run and the job that created it."""
    database_id: int = 0
    blocks: dict[str, bytes] = field(default_factory=dict)
    blob: bytes | None = None
    blob_content_type: str | None = None
    artifact_id: int | None = None
    finalize_request: dict[str, Any] | None = None

    def zip_names(self) -> list[str]:
        assert self.blob is not None
        return sorted(zipfile.ZipFile(io.BytesIO(self.blob)).namelist())

    def zip_read(self, name: str) -> bytes:
        assert self.blob is not None
        return zipfile.ZipFile(io.BytesIO(self.blob)).read(name)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, as both GitHub's REST API and the Twirp results service send."""
    return Response(
        json.dumps(data), status=status, headers=headers or {}, content_type="application/json"
    )
