"""Release assets against a fake GitHub releases API and upload host."""

from __future__ import annotations

import json
from pathlib import Path

from hub_convert.report.render import render_report
from hub_convert.report.schema import Report
from support.github_fakes import (
    FakeGitHub,
    Sleeps,
    publish_to_fake,
)
from support.report_factory import sample_report

UPLOADS = r"^/uploads/repos/octo/models/releases/\d+/assets$"


def assets_by_name(fake: FakeGitHub, tag: str) -> dict[str, tuple[str, bytes]]:
    return {a.name: (a.content_type, a.data) for a in fake.release(tag).assets}


def test_assets_replace_same_named_ones_with_content_types(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    release = fake.add_release("v1")
    stale = fake.add_asset(release, "tiny_float32.tflite", b"old model", "application/x-old")
    fake.add_asset(release, "report.md", b"old report", "text/plain")
    fake.add_asset(release, "notes.txt", b"keep me", "text/plain")
    report = sample_report()

    published = publish_to_fake(fake, tmp_path, report, event_name="push", release_tag="v1")

    out = tmp_path / "out"
    assert assets_by_name(fake, "v1") == {
        "notes.txt": ("text/plain", b"keep me"),
        "tiny_float32.tflite": (
            "application/octet-stream",
            (out / "tiny_float32.tflite").read_bytes(),
        ),
        "tiny_float32.onnx": ("application/octet-stream", (out / "tiny_float32.onnx").read_bytes()),
        "report.md": ("text/markdown", render_report(report).encode()),
        "report.json": ("application/json", report.to_json().encode()),
    }
    assert fake.requests("DELETE", rf"/releases/assets/{stale.id}$")
    assert published.result.ok
    urls = json.loads(published.outputs["release-assets"])
    assert len(urls) == 4 and all(u.startswith("https://github.example/download/") for u in urls)
    assert "::group::Upload release assets (release tag v1)" in published.log


def test_name_taken_during_upload_is_refreshed_deleted_and_retried_once(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.add_release("v1")
    fake.race_upload("tiny_float32.onnx")

    published = publish_to_fake(
        fake, tmp_path, sample_report(), event_name="push", release_tag="v1"
    )

    assert published.result.ok
    onnx = [a for a in fake.release("v1").assets if a.name == "tiny_float32.onnx"]
    assert len(onnx) == 1
    assert onnx[0].data == (tmp_path / "out" / "tiny_float32.onnx").read_bytes()
    onnx_uploads = [s for s in fake.requests("POST", UPLOADS) if s.query["name"] == [onnx[0].name]]
    assert len(onnx_uploads) == 2
    assert len(fake.requests("GET", r"/releases/\d+/assets$")) == 2


def test_release_event_finds_the_release_by_id(fake: FakeGitHub, tmp_path: Path) -> None:
    release = fake.add_release("v2")
    payload = {"action": "published", "release": {"id": release.id, "tag_name": "v2"}}

    published = publish_to_fake(
        fake, tmp_path, sample_report(), event_name="release", payload=payload
    )

    assert published.result.ok
    assert set(assets_by_name(fake, "v2")) == {
        "tiny_float32.tflite",
        "tiny_float32.onnx",
        "report.md",
        "report.json",
    }
    assert not fake.requests("GET", r"/releases/tags/")


def test_failed_artifacts_are_not_uploaded(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_release("v1")

    publish_to_fake(
        fake, tmp_path, sample_report(passed=False), event_name="push", release_tag="v1"
    )

    assert set(assets_by_name(fake, "v1")) == {"tiny_float32.tflite", "report.md", "report.json"}


def test_upload_server_error_is_retried(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_release("v1")
    fake.fail("POST", UPLOADS, 502)
    sleeps = Sleeps()

    published = publish_to_fake(
        fake, tmp_path, sample_report(), event_name="push", release_tag="v1", sleeps=sleeps
    )

    assert published.result.ok
    assert sleeps == [1.0]
    assert len(fake.release("v1").assets) == 4


def test_unknown_release_tag_is_an_error_annotation(fake: FakeGitHub, tmp_path: Path) -> None:
    published = publish_to_fake(
        fake, tmp_path, sample_report(), event_name="push", release_tag="v9"
    )

    assert not published.result.ok
    [error] = [line for line in published.log.splitlines() if line.startswith("::error")]
    assert "find release 'v9' failed: HTTP 404" in error
    assert published.outputs["release-assets"] == "[]"


def test_files_outside_the_report_directory_are_never_uploaded(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # report.json may come from an untrusted job: its paths must not reach the runner's files.
    (tmp_path / "secret.txt").write_text("runner secret")
    base = sample_report()
    tflite = base.artifacts[0].model_copy(update={"path": "../secret.txt"})
    onnx = base.artifacts[1].model_copy(update={"path": str(tmp_path / "secret.txt")})
    report = Report.model_validate(base.model_dump() | {"artifacts": [tflite, onnx]})
    fake.add_release("v1")

    published = publish_to_fake(
        fake, tmp_path, report, event_name="push", release_tag="v1", model_files=False
    )

    assert set(assets_by_name(fake, "v1")) == {"report.md", "report.json"}
    assert all(b"runner secret" not in a.data for a in fake.release("v1").assets)
    assert published.log.count("::warning") == 2


def test_onnx_external_data_is_a_second_asset(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_release("v1")
    report = sample_report()
    onnx = next(a for a in report.artifacts if a.target == "onnx")
    assert onnx.path is not None
    onnx.external_data = onnx.path + ".data"
    weights = b"\x00\x01" * 4096
    data = tmp_path / "out" / "tiny_float32.onnx.data"
    data.parent.mkdir(parents=True)
    data.write_bytes(weights)

    published = publish_to_fake(fake, tmp_path, report, event_name="push", release_tag="v1")

    assert published.result.ok
    assets = assets_by_name(fake, "v1")
    assert assets["tiny_float32.onnx.data"] == ("application/octet-stream", weights)
    assert "tiny_float32.onnx" in assets
    assert len(json.loads(published.outputs["release-assets"])) == 5
