"""A small GitHub on 127.0.0.1 for publishing tests (pytest-httpserver + werkzeug).

One server plays four parts, each with the state and the checks of the real thing that the
tests rely on:

- the REST API (``GITHUB_API_URL``): /user, /graphql viewer, issue comments with Link-header
  pagination, the 65,536-character body limit, read-only tokens (403), releases and assets,
- the release upload host (``upload_url``), refusing a taken asset name with 422 already_exists,
- the Actions results service (Twirp JSON CreateArtifact / FinalizeArtifact / ListArtifacts /
  DeleteArtifact, runtime token): artifact names unique per workflow run, whichever job uploads
  (409 ``already_exists`` for a taken one), CreateArtifact only at version 7 with a mime_type,
- the blob store (Azure Put Block / Put Block List on the signed URL).

FinalizeArtifact checks the declared size and ``sha256:`` digest against the bytes the blob
store received, as the real service does. Faults (5xx, rate limits) are injected per route.
The server is threaded, as the real ones are: blocks uploaded concurrently arrive concurrently
(``block_delays`` holds some back, ``max_blocks_in_flight`` records how many overlapped).
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from hub_convert.github.context import GitHubContext
from hub_convert.github.publisher import PublishResult, publish
from hub_convert.github.retry import RetryPolicy
from hub_convert.github.settings import PublishSettings
from hub_convert.github.workflow_commands import WorkflowCommands
from hub_convert.report.render import render_report
from hub_convert.report.schema import Report

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


class FakeGitHub:
    """The fake services on ``server``; ``base_url`` is GITHUB_API_URL and ACTIONS_RESULTS_URL."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.base_url = server.url_for("/").rstrip("/")
        self.token = GITHUB_TOKEN
        self.login = BOT_LOGIN
        # Installation tokens (GITHUB_TOKEN) get 403 on GET /user; PATs get their user.
        self.rest_user_allowed = False
        self.read_only = False
        self.comment_limit = 65_536
        self.comments: dict[int, list[Comment]] = {}
        # Pull requests by number: their head commit.
        self.pull_heads: dict[int, str] = {}
        self.releases: list[Release] = []
        self.artifacts: dict[str, StoredArtifact] = {}
        self.deleted_artifacts: list[StoredArtifact] = []
        # Workflow runs whose runtime tokens the results service accepts: (run, job) ids.
        self.runtime_runs: list[tuple[str, str]] = [(RUNTIME_RUN_ID, RUNTIME_JOB_ID)]
        self.seen: list[Seen] = []
        self.faults: list[Fault] = []
        self.competing_uploads: set[str] = set()
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
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    # -- set-up helpers -------------------------------------------------------------------

    def add_comment(self, number: int, body: str, login: str | None = None) -> Comment:
        comment = Comment(next(self._ids), body, login or self.login)
        self.comments.setdefault(number, []).append(comment)
        return comment

    def add_release(self, tag: str) -> Release:
        release = Release(next(self._ids), tag)
        self.releases.append(release)
        return release

    def add_asset(self, release: Release, name: str, data: bytes, content_type: str) -> Asset:
        asset = Asset(next(self._ids), name, content_type, data)
        release.assets.append(asset)
        return asset

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` ``method`` requests matching regex ``path`` with ``status``."""
        self.faults.append(
            Fault(
                method,
                re.compile(path),
                status,
                times,
                body or {"message": "Server Error"},
                headers or {},
            )
        )

    def job_env(self, job: str, run: str = RUNTIME_RUN_ID) -> dict[str, str]:
        """The runtime token of another job of a workflow run (a matrix entry), accepted here."""
        self.runtime_runs.append((run, job))
        return {"ACTIONS_RUNTIME_TOKEN": runtime_token(run_scope(run, job))}

    def race_upload(self, name: str) -> None:
        """Another job uploads asset ``name`` just before our next upload of it."""
        self.competing_uploads.add(name)

    # -- inspection helpers -----------------------------------------------------------------

    def requests(self, method: str, path_regex: str) -> list[Seen]:
        pattern = re.compile(path_regex)
        return [s for s in self.seen if s.method == method and pattern.search(s.path)]

    def release(self, tag: str) -> Release:
        return next(r for r in self.releases if r.tag == tag)

    # -- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(
            json.dumps(data), status=status, headers=headers or {}, content_type="application/json"
        )

    def _comment_json(self, comment: Comment) -> dict[str, Any]:
        return {
            "id": comment.id,
            "url": f"{self.base_url}/repos/{REPOSITORY}/issues/comments/{comment.id}",
            "html_url": f"https://github.example/{REPOSITORY}/pull/1#issuecomment-{comment.id}",
            "body": comment.body,
            "user": {"login": comment.login, "id": 1, "type": "Bot"},
            "created_at": "2026-11-21T00:00:00Z",
            "updated_at": "2026-11-21T00:00:00Z",
        }

    def _release_json(self, release: Release) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{REPOSITORY}/releases/{release.id}"
        return {
            "id": release.id,
            "tag_name": release.tag,
            "name": release.tag,
            "url": url,
            "assets_url": f"{url}/assets",
            "upload_url": (
                f"{self.base_url}/uploads/repos/{REPOSITORY}/releases/{release.id}/assets"
                "{?name,label}"
            ),
            "html_url": f"https://github.example/{REPOSITORY}/releases/tag/{release.tag}",
            "draft": False,
            "prerelease": False,
            "assets": [self._asset_json(a) for a in release.assets],
        }

    def _asset_json(self, asset: Asset) -> dict[str, Any]:
        return {
            "id": asset.id,
            "name": asset.name,
            "label": "",
            "url": f"{self.base_url}/repos/{REPOSITORY}/releases/assets/{asset.id}",
            "browser_download_url": f"https://github.example/download/{asset.id}/{asset.name}",
            "content_type": asset.content_type,
            "size": len(asset.data),
            "state": "uploaded",
        }

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization", "") in (
            f"token {self.token}",
            f"Bearer {self.token}",
        )

    def _handle(self, request: Request) -> Response:
        seen = Seen(
            request.method,
            request.path,
            parse_qs(request.query_string.decode()),
            dict(request.headers),
            request.get_data(),
        )
        with self._lock:
            self.seen.append(seen)
            for fault in self.faults:
                if (
                    fault.times > 0
                    and fault.method == request.method
                    and fault.path.search(request.path)
                ):
                    fault.times -= 1
                    return self._json(fault.body, fault.status, fault.headers)
        if request.path.startswith(TWIRP):
            return self._twirp(request, seen)
        if request.path.startswith("/blob/"):
            return self._blob(request, seen)
        if not self._authorized(request):
            return self._json({"message": "Bad credentials"}, 401)
        return self._rest(request, seen)

    # -- REST API ------------------------------------------------------------------------------

    def _rest(self, request: Request, seen: Seen) -> Response:
        method, path = request.method, request.path
        repo = f"/repos/{REPOSITORY}"
        forbidden = self._json(
            {"message": "Resource not accessible by integration", "status": "403"}, 403
        )
        if method == "GET" and path == "/user":
            if not self.rest_user_allowed:
                return forbidden
            return self._json({"login": self.login, "id": 1, "type": "User"})
        if method == "POST" and path == "/graphql":
            return self._json({"data": {"viewer": {"login": self.login.removesuffix("[bot]")}}})
        if match := re.fullmatch(rf"{repo}/issues/(\d+)/comments", path):
            number = int(match[1])
            if method == "GET":
                return self._comment_page(request, number)
            if method == "POST":
                if self.read_only:
                    return forbidden
                body = seen.json()["body"]
                if len(body) > self.comment_limit:
                    return self._too_long()
                comment = self.add_comment(number, body)
                return self._json(self._comment_json(comment), 201)
        if match := re.fullmatch(rf"{repo}/issues/comments/(\d+)", path):
            found = self._find_comment(int(match[1]))
            if found is None:
                return self._json({"message": "Not Found"}, 404)
            if self.read_only or found.login != self.login:
                return forbidden
            if method == "PATCH":
                body = seen.json()["body"]
                if len(body) > self.comment_limit:
                    return self._too_long()
                found.body = body
                return self._json(self._comment_json(found))
            if method == "DELETE":
                for comments in self.comments.values():
                    if found in comments:
                        comments.remove(found)
                return Response(status=204)
        if method == "GET" and (match := re.fullmatch(rf"{repo}/pulls/(\d+)", path)):
            head = self.pull_heads.get(int(match[1]))
            if head is None:
                return self._json({"message": "Not Found"}, 404)
            return self._json(
                {"number": int(match[1]), "state": "open", "head": {"sha": head, "ref": "topic"}}
            )
        if method == "GET" and (match := re.fullmatch(rf"{repo}/releases/tags/(.+)", path)):
            for release in self.releases:
                if release.tag == match[1]:
                    return self._json(self._release_json(release))
            return self._json({"message": "Not Found"}, 404)
        if match := re.fullmatch(rf"{repo}/releases/(\d+)(/assets)?", path):
            by_id = next((r for r in self.releases if r.id == int(match[1])), None)
            if by_id is None:
                return self._json({"message": "Not Found"}, 404)
            if match[2]:
                return self._json([self._asset_json(a) for a in by_id.assets])
            return self._json(self._release_json(by_id))
        if method == "DELETE" and (match := re.fullmatch(rf"{repo}/releases/assets/(\d+)", path)):
            for release in self.releases:
                for asset in list(release.assets):
                    if asset.id == int(match[1]):
                        release.assets.remove(asset)
                        return Response(status=204)
            return self._json({"message": "Not Found"}, 404)
        if method == "POST" and (
            match := re.fullmatch(rf"/uploads{repo}/releases/(\d+)/assets", path)
        ):
            return self._upload_asset(request, seen, int(match[1]))
        return self._json({"message": f"fake GitHub has no route {method} {path}"}, 404)

    def _too_long(self) -> Response:
        return self._json(
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "IssueComment",
                        "code": "custom",
                        "field": "body",
                        "message": f"body is too long (maximum is {self.comment_limit} characters)",
                    }
                ],
            },
            422,
        )

    def _find_comment(self, comment_id: int) -> Comment | None:
        for comments in self.comments.values():
            for comment in comments:
                if comment.id == comment_id:
                    return comment
        return None

    def _comment_page(self, request: Request, number: int) -> Response:
        comments = self.comments.get(number, [])
        per_page = int(request.args.get("per_page", "30"))
        page = int(request.args.get("page", "1"))
        chunk = comments[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(comments) // per_page))
        links = []
        base = f"{self.base_url}{request.path}"
        if page < last:
            links.append(
                f'<{base}?{urlencode({"per_page": per_page, "page": page + 1})}>; rel="next"'
            )
            links.append(f'<{base}?{urlencode({"per_page": per_page, "page": last})}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return self._json([self._comment_json(c) for c in chunk], 200, headers)

    def _upload_asset(self, request: Request, seen: Seen, release_id: int) -> Response:
        release = next(r for r in self.releases if r.id == release_id)
        name = request.args["name"]
        if name in self.competing_uploads:
            self.competing_uploads.discard(name)
            self.add_asset(release, name, b"from another job", "application/octet-stream")
        if any(a.name == name for a in release.assets):
            return self._json(
                {
                    "message": "Validation Failed",
                    "errors": [
                        {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
                    ],
                },
                422,
            )
        declared = int(request.headers.get("Content-Length", "-1"))
        if declared != len(seen.body):
            return self._json({"message": "Content-Length mismatch"}, 400)
        asset = self.add_asset(release, name, seen.body, request.headers.get("Content-Type", ""))
        return self._json(self._asset_json(asset), 201)

    # -- results service and blob store --------------------------------------------------------

    def _twirp(self, request: Request, seen: Seen) -> Response:
        ids = self._runtime_ids(request.headers.get("Authorization", ""))
        if ids is None:
            return self._json({"code": "unauthenticated", "msg": "bad runtime token"}, 401)
        if request.headers.get("Content-Type") != "application/json":
            return self._json({"code": "malformed", "msg": "JSON only"}, 400)
        payload = seen.json()
        method = request.path.removeprefix(TWIRP)
        run, job = (
            payload.get("workflow_run_backend_id"),
            payload.get("workflow_job_run_backend_id"),
        )
        # DeleteArtifact names the artifact by its own job's ids: any job of the token's run.
        if run != ids[0] or (method != "DeleteArtifact" and job != ids[1]):
            return self._json({"code": "invalid_argument", "msg": "unknown backend ids"}, 400)
        with self._lock:
            if method == "CreateArtifact":
                return self._create_artifact(payload, ids)
            if method == "FinalizeArtifact":
                return self._finalize_artifact(payload)
            if method == "ListArtifacts":
                return self._list_artifacts(payload)
            if method == "DeleteArtifact":
                return self._delete_artifact(payload)
        return self._json({"code": "bad_route", "msg": method}, 404)

    @staticmethod
    def _key(run: str, name: str) -> str:
        # Artifact names are unique per workflow run; later runs are stored as "run/name".
        return name if run == RUNTIME_RUN_ID else f"{run}/{name}"

    def _create_artifact(self, payload: dict[str, Any], ids: tuple[str, str]) -> Response:
        if payload.get("version") != 7 or not payload.get("mime_type"):
            message = "expected version 7 with a mime_type, as @actions/artifact 6.2+ sends"
            return self._json({"code": "invalid_argument", "msg": message}, 400)
        name = self._key(ids[0], payload["name"])
        if name in self.artifacts:
            message = "an artifact with this name already exists on the workflow run"
            return self._json({"code": "already_exists", "msg": message}, 409)
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
        return self._json({"ok": True, "signed_upload_url": url})

    def _finalize_artifact(self, payload: dict[str, Any]) -> Response:
        artifact = self.artifacts.get(
            self._key(payload["workflow_run_backend_id"], payload["name"])
        )
        if artifact is None or artifact.blob is None:
            return self._json({"code": "not_found", "msg": "nothing uploaded"}, 404)
        artifact.finalize_request = payload
        digest = "sha256:" + hashlib.sha256(artifact.blob).hexdigest()
        if payload.get("size") != str(len(artifact.blob)) or payload.get("hash") != digest:
            return self._json({"code": "invalid_argument", "msg": "size or hash mismatch"}, 400)
        artifact.artifact_id = artifact.database_id
        return self._json({"ok": True, "artifact_id": str(artifact.artifact_id)})

    def _list_artifacts(self, payload: dict[str, Any]) -> Response:
        run = payload["workflow_run_backend_id"]
        wanted = payload.get("name_filter")
        listed = [
            {
                "workflow_run_backend_id": artifact.run,
                "workflow_job_run_backend_id": artifact.job,
                "database_id": str(artifact.database_id),
                "name": name,
                "size": str(len(artifact.blob or b"")),
            }
            for artifact in self.artifacts.values()
            if artifact.run == run and wanted in (None, name := artifact.name.rsplit("/", 1)[-1])
        ]
        return self._json({"artifacts": listed} if listed else {})  # proto3 JSON: [] left out

    def _delete_artifact(self, payload: dict[str, Any]) -> Response:
        key = self._key(payload["workflow_run_backend_id"], payload["name"])
        artifact = self.artifacts.get(key)
        if artifact is None or artifact.job != payload["workflow_job_run_backend_id"]:
            return self._json({"code": "not_found", "msg": "artifact not found"}, 404)
        self.deleted_artifacts.append(self.artifacts.pop(key))
        return self._json({"ok": True, "artifact_id": str(artifact.database_id)})

    def _runtime_ids(self, authorization: str) -> tuple[str, str] | None:
        """(run, job) backend ids of a known runtime token's Actions.Results scope."""
        for run, job in self.runtime_runs:
            if authorization == f"Bearer {runtime_token(run_scope(run, job))}":
                return run, job
        return None

    def _blob(self, request: Request, seen: Seen) -> Response:
        if request.args.get("sig") != SAS_SIGNATURE:
            return Response("AuthenticationFailed", status=403)
        if "Authorization" in request.headers:
            # The SAS is the credential; a bearer token here would leak the runtime token.
            return Response("Authorization header not allowed with a SAS", status=400)
        name = request.path.removeprefix("/blob/artifacts/").removesuffix(".zip")
        artifact = self.artifacts[name]
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


# -- test set-up helpers ---------------------------------------------------------------------


@contextmanager
def fake_server() -> Iterator[HTTPServer]:
    """An HTTP server on an ephemeral 127.0.0.1 port (shared by a module: stopping one takes
    half a second), stopped afterwards."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def fresh_fake(server: HTTPServer) -> FakeGitHub:
    """A FakeGitHub with empty state on ``server`` (earlier handlers and logs dropped)."""
    server.clear()
    return FakeGitHub(server)


class Sleeps(list[float]):
    """Records the delays a RetryPolicy asked for, instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fast_retry(sleeps: Sleeps | None = None, attempts: int = 4) -> RetryPolicy:
    """Retries without waiting (delays recorded) and without PyGithub's write pacing."""
    return RetryPolicy(
        attempts=attempts,
        base_delay=1.0,
        jitter=0.0,
        write_interval=0.0,
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def write_report_dir(root: Path, report: Report, *, model_files: bool = True) -> Path:
    """An output directory as `hub-convert convert` leaves it: report.json plus model files."""
    out = root / "out"
    out.mkdir(parents=True, exist_ok=True)
    for artifact in report.artifacts:
        if model_files and artifact.path and artifact.status != "failed":
            (out / Path(artifact.path).name).write_bytes(
                f"{artifact.target}-{artifact.variant}-".encode() * 64
            )
    (out / "report.json").write_text(report.to_json(), encoding="utf-8")
    (out / "report.md").write_text(render_report(report), encoding="utf-8")
    return out


def runner_env(
    fake: FakeGitHub,
    root: Path,
    *,
    event_name: str = "pull_request",
    payload: dict[str, Any] | None = None,
    runtime: bool = False,
    extra_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment the runner gives a container action, pointed at the fake."""
    event = root / "event.json"
    if payload is None and event_name == "pull_request":
        payload = {"pull_request": {"number": 7}, "number": 7}
    event.write_text(json.dumps(payload or {}), encoding="utf-8")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "convert",
        "GITHUB_ACTION": "__org_hub-convert-action",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "GITHUB_WORKSPACE": str(root),
        "GITHUB_OUTPUT": str(root / "github_output"),
        "GITHUB_STEP_SUMMARY": str(root / "step_summary.md"),
        "GITHUB_TOKEN": fake.token,
    }
    if runtime:
        env["ACTIONS_RUNTIME_TOKEN"] = runtime_token()
        env["ACTIONS_RESULTS_URL"] = fake.base_url + "/"
    return env | (extra_env or {})


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file written in the name<<DELIMITER form."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines) and lines[i]:
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return outputs


@dataclass
class Published:
    """What one publish() run left behind: its result, log, outputs and step summary."""

    result: PublishResult
    log: str
    outputs: dict[str, str]
    summary: str


def publish_to_fake(
    fake: FakeGitHub,
    root: Path,
    report: Report,
    *,
    sleeps: Sleeps | None = None,
    event_name: str = "pull_request",
    payload: dict[str, Any] | None = None,
    runtime: bool = False,
    model_files: bool = True,
    extra_env: dict[str, str] | None = None,
    **settings: Any,
) -> Published:
    """Run publish() for ``report`` as the action would, against ``fake``."""
    out = write_report_dir(root, report, model_files=model_files)
    env = runner_env(
        fake, root, event_name=event_name, payload=payload, runtime=runtime, extra_env=extra_env
    )
    log = io.StringIO()
    commands = WorkflowCommands.from_env(env, stream=log)
    options = PublishSettings(token=fake.token, retry=fast_retry(sleeps), **settings)
    result = publish(report, out, options, GitHubContext.from_env(env), commands)
    output_file, summary_file = Path(env["GITHUB_OUTPUT"]), Path(env["GITHUB_STEP_SUMMARY"])
    return Published(
        result,
        log.getvalue(),
        read_outputs(output_file) if output_file.exists() else {},
        summary_file.read_text(encoding="utf-8") if summary_file.exists() else "",
    )
