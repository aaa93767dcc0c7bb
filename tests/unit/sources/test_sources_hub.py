"""TF Hub handles: a real tarball served on 127.0.0.1, fetched by tensorflow_hub's own resolver.

The server stands in for tfhub.dev / Kaggle: tensorflow_hub asks for
``<handle>?tf-hub-format=compressed`` and unpacks the answer into ``TFHUB_CACHE_DIR``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from hub_convert.errors import BadInputError
from hub_convert.sources import resolve
from hub_convert.sources.hub import HubMaterializer
from support.cli import run_cli
from support.source_fixtures import error_line, statuses, tar_gz_of, tiny_saved_model

pytestmark = pytest.mark.tf

QUERY = {"tf-hub-format": "compressed"}


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("hub_model")
    model = tiny_saved_model(root / "tiny")
    return tar_gz_of(model, root / "tiny.tar.gz").read_bytes()


def test_handle_is_downloaded_into_the_cache_and_converted(
    httpserver: HTTPServer, tarball: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/models/tiny/1", query_string=QUERY).respond_with_data(
        tarball, content_type="application/x-gzip"
    )
    handle = httpserver.url_for("/models/tiny/1")
    cache = tmp_path / "tfhub_cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache))
    run = run_cli(
        "convert", handle, "--output-dir", tmp_path / "out", "--tflite-variants", "float32"
    )
    assert run.exit_code == 0, run.stderr
    assert statuses(run.report) == {("tflite", "float32"): "passed", ("onnx", "float32"): "passed"}
    source = run.report["source"]
    assert (source["kind"], source["path"]) == ("hub", handle)
    assert source["provenance"]["handle"] == handle
    cached = Path(source["provenance"]["cache_path"])
    assert cached.parent == cache
    assert (cached / "saved_model.pb").is_file(), "the cache outlives the run"
    assert source["size_bytes"] > 0
    assert (tmp_path / "out" / "models_tiny_1_float32.tflite").is_file()
    # tensorflow_hub's own progress records reach the run's log.
    assert f"tensorflow_hub: Downloading TF-Hub Module '{handle}'" in run.stderr
    assert f"{handle}: downloaded to {cached}" in run.stderr
    assert len(httpserver.log) == 1


def test_second_resolve_comes_from_the_cache(
    httpserver: HTTPServer,
    tarball: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    httpserver.expect_request("/models/tiny/2", query_string=QUERY).respond_with_data(tarball)
    handle = httpserver.url_for("/models/tiny/2")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    provenances = []
    for run in ("first", "second"):
        source = resolve(handle, work_dir=tmp_path / run)
        assert source.materializer is not None
        provenances.append(source.materializer(source.saved_model_dir))
        assert (source.saved_model_dir / "saved_model.pb").is_file()
    assert provenances[0] == provenances[1]
    assert len(httpserver.log) == 1, "the second run downloaded nothing"
    assert f"{handle}: found in the TF Hub cache at" in capfd.readouterr().err
    assert not list((tmp_path / "cache").glob("*.lock")), "no lock file is left behind"


def test_tarball_without_a_saved_model(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "model.tflite").write_bytes(b"TFL3")
    data = tar_gz_of(tmp_path / "content", tmp_path / "x.tar.gz").read_bytes()
    httpserver.expect_request("/lite/1", query_string=QUERY).respond_with_data(data)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    handle = httpserver.url_for("/lite/1")
    with pytest.raises(BadInputError, match=r"holds no saved_model\.pb"):
        HubMaterializer(handle)(tmp_path / "work" / "model")


def test_answer_that_is_not_a_tarball(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/page/1", query_string=QUERY).respond_with_data(
        "<html>sign in</html>", content_type="text/html"
    )
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    handle = httpserver.url_for("/page/1")
    with pytest.raises(BadInputError, match="not a usable TF Hub tarball") as caught:
        HubMaterializer(handle)(tmp_path / "work" / "model")
    assert str(caught.value).startswith(handle)


def test_truncated_download(
    httpserver: HTTPServer, tarball: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/cut/1", query_string=QUERY).respond_with_data(
        tarball[: len(tarball) // 2]
    )
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    handle = httpserver.url_for("/cut/1")
    with pytest.raises(BadInputError, match="not a usable TF Hub tarball") as caught:
        HubMaterializer(handle)(tmp_path / "work" / "model")
    assert str(caught.value).startswith(handle)
    assert not (tmp_path / "work" / "model").exists()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [], "no partial cache entry"


def test_missing_handle_fails_with_url_and_status(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/models/missing/3").respond_with_data("no such model", status=404)
    handle = httpserver.url_for("/models/missing/3")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    run = run_cli("convert", handle, "--output-dir", tmp_path / "out")
    assert run.exit_code == 2, run.stderr
    line = error_line(run.stderr)
    assert f"{handle}?tf-hub-format=compressed" in line
    assert "HTTP 404" in line
    assert not (tmp_path / "out").exists()
    assert json.dumps(sorted(p.name for p in (tmp_path / "cache").iterdir())) == "[]"
