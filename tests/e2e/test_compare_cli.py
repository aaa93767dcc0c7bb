"""``hub-convert convert HEAD --base BASE``: both models really converted, the report leads
with what changed (sizes, ops, a breaking input change, behaviour), the base report cached."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from support import models
from support.cli import run_cli
from support.process_probe import probe_env, workers_of_run

pytestmark = pytest.mark.tf

FAST = ("--tflite-variants", "float32", "--latency-runs", "2")


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(base, head): the head's hidden layer is wider, has a Tanh more, and its input batch
    is fixed to 1 (callers sending batches of 2 now fail)."""
    root = tmp_path_factory.mktemp("versions")
    base = models.versioned_classifier(root / "base")
    head = models.versioned_classifier(root / "head", hidden=48, tanh=True, batch=1)
    return base, head


def test_report_leads_with_the_changes_and_caches_the_base_report(
    tmp_path: Path, versions: tuple[Path, Path]
) -> None:
    base, head = versions
    cache = tmp_path / "cache"
    probe = tmp_path / "probe"
    first = run_cli(
        "convert", head, "--output-dir", tmp_path / "out", "--base", base,
        "--base-cache", cache, *FAST,
        env=probe_env(probe, [Path(tempfile.gettempdir())]),
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    # No worker that ran the head model runs anything of the base (a hostile head model could
    # forge the base's numbers from it); the base's behaviour run shares the base's workers.
    workers = workers_of_run(probe)
    head_side = {w.pid for w in workers if w.opened_under(head)}
    base_side = {w.pid for w in workers if w.opened_under(base)}
    behaviour = {w.pid for w in workers if any(p.endswith("/head_samples.npz") for p in w.opened)}
    assert head_side and base_side and behaviour
    assert not head_side & base_side
    assert behaviour <= base_side
    assert sum(w.imported_tensorflow for w in workers) == 2  # one worker a side, tiny models
    comparison = first.report["comparison"]
    assert comparison["status"] == "changed"
    assert comparison["base_report_cached"] is False
    (signature,) = [c for c in comparison["signature_changes"] if c["io"] == "input"]
    assert (signature["name"], signature["change"], signature["breaking"]) == (
        "features",
        "shape",
        True,
    )
    assert comparison["source_ops_added"] == ["Tanh"]
    rows = {(a["target"], a["variant"]): a for a in comparison["artifacts"]}
    tflite = rows[("tflite", "float32")]
    assert tflite["ops_added"] == ["TANH"]
    assert tflite["base_status"] == tflite["head_status"] == "passed"
    assert tflite["head_size_bytes"] > tflite["base_size_bytes"]  # 16x48 weights, not 16x32
    assert tflite["base_latency_ms"] and tflite["head_latency_ms"]
    # Behaviour: both originals on the head's 8 inputs; other weights, so far apart.
    behaviour = comparison["behaviour"]
    assert behaviour["compared"] and behaviour["samples"] == 8
    (output,) = behaviour["outputs"]
    assert output["output"] == "probabilities"
    assert 0 < output["max_abs"] <= 1 and output["cosine"] < 0.99
    assert 0 <= output["top1_agreement"] < 1
    # report.md leads with the diff, the base report's digest is the cached file's.
    markdown = (first.output_dir / "report.md").read_text()
    assert markdown.index("### Changes from the base") < markdown.index("passed validation")
    assert "**Breaking change**" in markdown
    assert "| input `features` | shape | `features: float32 [?, 16]` |" in markdown
    assert "+`TANH`" in markdown
    (cached,) = cache.iterdir()
    import hashlib

    entry = json.loads(cached.read_text())
    digest = hashlib.sha256(entry["report"].encode()).hexdigest()
    assert comparison["base_report_sha256"] == digest == entry["report_sha256"]


def test_identical_base_is_one_line_and_not_converted(
    tmp_path: Path, versions: tuple[Path, Path]
) -> None:
    _, head = versions
    same = tmp_path / "same"
    shutil.copytree(head, same)
    run = run_cli(
        "convert", head, "--output-dir", tmp_path / "out", "--base", same, "--targets", "onnx",
        "--latency-runs", "0",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "[base]" not in run.stderr
    comparison = run.report["comparison"]
    assert comparison["status"] == "unchanged"
    assert comparison["base_content_sha256"] == comparison["head_content_sha256"]
    markdown = (run.output_dir / "report.md").read_text()
    assert "**Unchanged** since the base" in markdown
    assert "### Changes from the base" not in markdown


def test_missing_base_is_bad_input_before_anything_is_written(
    tmp_path: Path, versions: tuple[Path, Path]
) -> None:
    _, head = versions
    run = run_cli("convert", head, "--output-dir", tmp_path / "out", "--base", tmp_path / "nowhere")
    assert run.exit_code == 2
    assert run.stderr.strip().count("\n") == 0
    assert "--base" in run.stderr and "no such file or directory" in run.stderr
    assert not (tmp_path / "out").exists()
