"""Workflow artifact upload through a fake Actions results service and blob store."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub_convert.errors import PublishError
from hub_convert.github.blob_upload import upload_block_blob
from hub_convert.github.results_service import BackendIds, ResultsService, backend_ids_from_token
from hub_convert.github.retry import RequestFailed
from support.github_fakes import (
    RUNTIME_JOB_ID,
    RUNTIME_RUN_ID,
    SAS_SIGNATURE,
    TWIRP,
    FakeGitHub,
    Sleeps,
    fast_retry,
    publish_to_fake,
    runtime_token,
)
from support.report_factory import sample_report

RUN_URL = "https://github.example/octo/models/actions/runs/4242"


def test_output_directory_becomes_a_finalized_artifact(fake: FakeGitHub, tmp_path: Path) -> None:
    published = publish_to_fake(
        fake, tmp_path, sample_report(), runtime=True, upload_artifact=True, retention_days=5
    )

    name = published.outputs["artifact-name"]
    assert re.fullmatch(r"hub-convert-models-tiny-convert-[0-9a-f]{8}", name)
    stored = fake.artifacts[name]
    assert stored.zip_names() == [
        "report.json",
        "report.md",
        "tiny_float32.onnx",
        "tiny_float32.tflite",
    ]
    out = tmp_path / "out"
    assert stored.zip_read("tiny_float32.tflite") == (out / "tiny_float32.tflite").read_bytes()
    assert stored.blob is not None and stored.blob_content_type == "application/zip"
    # CreateArtifact as @actions/artifact 6.2+ sends it (upload/upload-artifact.ts).
    [create] = fake.requests("POST", r"/CreateArtifact$")
    assert create.json()["version"] == 7
    assert create.json()["mime_type"] == stored.mime_type == "application/zip"
    # The fake only finalizes when size and sha256 match the bytes the blob store received.
    assert stored.finalize_request == {
        "workflow_run_backend_id": RUNTIME_RUN_ID,
        "workflow_job_run_backend_id": RUNTIME_JOB_ID,
        "name": name,
        "size": str(len(stored.blob)),
        "hash": "sha256:" + hashlib.sha256(stored.blob).hexdigest(),
    }
    assert published.result.artifact_id == stored.artifact_id
    assert published.result.artifact_url == f"{RUN_URL}/artifacts/{stored.artifact_id}"
    assert published.outputs["artifact-url"] == published.result.artifact_url
    assert stored.expires_at is not None
    expires = datetime.strptime(stored.expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(days=5))) < timedelta(minutes=5)
    # The runtime token goes to the results service only, never to the blob store.
    for seen in fake.requests("POST", TWIRP):
        assert seen.headers["Authorization"] == f"Bearer {runtime_token()}"
    blob_requests = fake.requests("PUT", r"^/blob/")
    assert blob_requests and all("Authorization" not in s.headers for s in blob_requests)
    assert f"::add-mask::{runtime_token()}" in published.log
    # The signature reaches the log only to be masked.
    assert f"::add-mask::{SAS_SIGNATURE}" in published.log
    assert all(
        line.startswith("::add-mask::")
        for line in published.log.splitlines()
        if SAS_SIGNATURE in line
    )
    # The comment links the converted files.
    assert f"[converted files]({published.result.artifact_url})" in fake.comments[7][0].body


def test_large_file_is_sent_in_blocks_and_hashed(fake: FakeGitHub, tmp_path: Path) -> None:
    service = ResultsService(fake.base_url, runtime_token(), fast_retry())
    ids = BackendIds(RUNTIME_RUN_ID, RUNTIME_JOB_ID)
    payload = tmp_path / "model.zip"
    payload.write_bytes(bytes(range(256)) * 22)  # 5,632 bytes
    url = service.create_artifact(ids, "blocks", None)

    uploaded = upload_block_blob(url, payload, policy=fast_retry(), block_size=1000)
    artifact_id = service.finalize_artifact(ids, "blocks", uploaded.size, uploaded.sha256)

    blocks = fake.requests("PUT", r"^/blob/")
    assert [s.query["comp"][0] for s in blocks] == ["block"] * 6 + ["blocklist"]
    assert max(len(s.body) for s in blocks[:-1]) == 1000
    assert fake.artifacts["blocks"].blob == payload.read_bytes()
    assert artifact_id == fake.artifacts["blocks"].artifact_id


def test_blocks_go_up_concurrently_and_are_committed_in_file_order(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    service = ResultsService(fake.base_url, runtime_token(), fast_retry())
    ids = BackendIds(RUNTIME_RUN_ID, RUNTIME_JOB_ID)
    payload = tmp_path / "model.zip"
    payload.write_bytes(b"".join(hashlib.sha256(bytes([i])).digest() for i in range(188))[:6000])
    url = service.create_artifact(ids, "concurrent", None)
    # The first block to reach the store is held back: it completes after the others.
    fake.block_delays = [0.6] + [0.05] * 5

    uploaded = upload_block_blob(url, payload, policy=fast_retry(), block_size=1000, concurrency=4)
    artifact_id = service.finalize_artifact(ids, "concurrent", uploaded.size, uploaded.sha256)

    assert 2 <= fake.max_blocks_in_flight <= 4
    [commit] = fake.requests("PUT", r"^/blob/.*")[-1:]
    assert commit.query["comp"] == ["blocklist"]
    committed = [e.text for e in ET.fromstring(commit.body)]
    assert len(committed) == 6 and sorted(fake.blocks_completed) == sorted(committed)
    assert fake.blocks_completed != committed  # arrived out of order, committed in order
    stored = fake.artifacts["concurrent"]
    assert stored.blob == payload.read_bytes()
    assert uploaded.sha256 == hashlib.sha256(payload.read_bytes()).hexdigest()
    assert uploaded.size == payload.stat().st_size == 6000
    assert artifact_id == stored.artifact_id  # the fake finalizes only on a matching sha256


def test_a_block_that_fails_for_good_stops_the_upload(fake: FakeGitHub, tmp_path: Path) -> None:
    service = ResultsService(fake.base_url, runtime_token(), fast_retry())
    url = service.create_artifact(BackendIds(RUNTIME_RUN_ID, RUNTIME_JOB_ID), "broken", None)
    payload = tmp_path / "model.zip"
    payload.write_bytes(bytes(5000))
    fake.fail("PUT", r"^/blob/", 403, body={"message": "AuthorizationFailure"})

    with pytest.raises(RequestFailed, match=r"blob upload \(block \d\) failed: HTTP 403"):
        upload_block_blob(url, payload, policy=fast_retry(), block_size=1000)

    assert all(s.query["comp"] == ["block"] for s in fake.requests("PUT", r"^/blob/"))
    assert fake.artifacts["broken"].blob is None


def test_blob_and_service_errors_are_retried(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.fail("PUT", r"^/blob/", 503)
    fake.fail("POST", r"/FinalizeArtifact$", 500, body={"code": "internal", "msg": "try again"})
    sleeps = Sleeps()

    published = publish_to_fake(
        fake, tmp_path, sample_report(), runtime=True, upload_artifact=True, sleeps=sleeps
    )

    assert published.result.ok
    assert published.result.artifact_id is not None
    assert sleeps == [1.0, 1.0]


def test_missing_runtime_token_skips_upload_with_a_notice(fake: FakeGitHub, tmp_path: Path) -> None:
    published = publish_to_fake(fake, tmp_path, sample_report(), upload_artifact=True)

    assert published.result.ok
    assert not fake.requests("POST", TWIRP)
    [notice] = [line for line in published.log.splitlines() if line.startswith("::notice")]
    assert "upload-artifact skipped" in notice and "ACTIONS_RUNTIME_TOKEN" in notice
    assert len(fake.comments[7]) == 1  # the rest of publishing goes on


def test_backend_ids_come_from_the_results_scope() -> None:
    assert backend_ids_from_token(runtime_token()) == BackendIds(RUNTIME_RUN_ID, RUNTIME_JOB_ID)
    with pytest.raises(PublishError, match=r"no Actions\.Results scope"):
        backend_ids_from_token(runtime_token("Actions.GenericRead:abc"))
    with pytest.raises(PublishError, match="not a JWT"):
        backend_ids_from_token("opaque-token")
