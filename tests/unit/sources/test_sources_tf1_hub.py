"""TF1 Hub format: a real hub.Module-style SavedModel (empty tags, ``default`` signature)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_cli
from support.source_fixtures import statuses, tf1_hub_module, zip_of

pytestmark = pytest.mark.tf


def test_tf1_hub_module_in_an_archive_converts_end_to_end(tmp_path: Path) -> None:
    """Archive extraction, TF1 detection, empty tags + ``default``, TFLite and ONNX.

    Input and output are both called ``default``, as in TF1 text-embedding modules.
    """
    module = tf1_hub_module(tmp_path / "module")
    archive = zip_of(module, tmp_path / "nnlm-tiny.zip", folder="nnlm-tiny")
    out = tmp_path / "out"
    run = run_cli("convert", archive, "--output-dir", out, "--tflite-variants", "float32")
    assert run.exit_code == 0, run.stderr
    assert statuses(run.report) == {("tflite", "float32"): "passed", ("onnx", "float32"): "passed"}
    source = run.report["source"]
    assert source["kind"] == "archive"
    assert source["provenance"]["archive"] == "nnlm-tiny.zip"
    assert source["provenance"]["archive_contents"] == "tf1_hub"
    assert source["provenance"]["archive_folder"] == "nnlm-tiny"
    assert (source["tags"], source["signature"]) == ([], "default")
    assert [t["name"] for t in source["inputs"]] == ["default"]
    assert [t["name"] for t in source["outputs"]] == ["default"]
    assert (out / "nnlm-tiny_float32.tflite").is_file()


def test_forced_tf1_hub_kind_for_a_module_without_module_def(tmp_path: Path) -> None:
    """--source-kind tf1_hub: the TF1 defaults for a SavedModel that lacks tfhub_module.pb."""
    module = tf1_hub_module(tmp_path / "bare", with_module_def=False)
    run = run_cli(
        "convert",
        module,
        "--output-dir",
        tmp_path / "out",
        "--source-kind",
        "tf1_hub",
        "--targets",
        "tflite",
        "--tflite-variants",
        "float32",
    )
    assert run.exit_code == 0, run.stderr
    assert statuses(run.report) == {("tflite", "float32"): "passed"}
    assert run.report["source"]["kind"] == "tf1_hub"
    assert run.report["source"]["tags"] == []
