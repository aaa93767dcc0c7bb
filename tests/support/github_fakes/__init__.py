"""A small GitHub on 127.0.0.1 for publishing tests (pytest-httpserver + werkzeug).

One server (server.py) plays four parts, each with the state and the checks of the real thing
that the tests rely on:

- the REST API (``GITHUB_API_URL``, rest.py): /user, /graphql viewer, issue comments with
  Link-header pagination, the 65,536-character body limit, read-only tokens (403), releases
  and assets,
- the release upload host (``upload_url``, rest.py), refusing a taken asset name with 422,
- the Actions results service (results_service.py: Twirp JSON CreateArtifact /
  FinalizeArtifact / ListArtifacts / DeleteArtifact, runtime token),
- the blob store (results_service.py: Azure Put Block / Put Block List on the signed URL).

Faults (5xx, rate limits) are injected per route. The names tests use are gathered here.
"""

from .publishing import (
    Published,
    Sleeps,
    fast_retry,
    publish_to_fake,
    read_outputs,
    runner_env,
    write_report_dir,
)
from .records import (
    BOT_LOGIN,
    GITHUB_TOKEN,
    REPOSITORY,
    RUNTIME_JOB_ID,
    RUNTIME_RUN_ID,
    SAS_SIGNATURE,
    TWIRP,
    Asset,
    Comment,
    Release,
    Seen,
    StoredArtifact,
    run_scope,
    runtime_token,
)
from .server import FakeGitHub, fake_server, fresh_fake

__all__ = [
    "BOT_LOGIN",
    "GITHUB_TOKEN",
    "REPOSITORY",
    "RUNTIME_JOB_ID",
    "RUNTIME_RUN_ID",
    "SAS_SIGNATURE",
    "TWIRP",
    "Asset",
    "Comment",
    "FakeGitHub",
    "Published",
    "Release",
    "Seen",
    "Sleeps",
    "StoredArtifact",
    "fake_server",
    "fast_retry",
    "fresh_fake",
    "publish_to_fake",
    "read_outputs",
    "run_scope",
    "runner_env",
    "runtime_token",
    "write_report_dir",
]
