"""How many worker processes a run starts: a small model gets one (a second TensorFlow import
costs more than the conversions it would take over); --jobs always wins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub_convert.run.config import build_config
from hub_convert.run.pipeline import SMALL_MODEL_BYTES, worker_count
from hub_convert.sources.source_model import SourceModel


def _count(tmp_path: Path, size: int, **options: str) -> int:
    values = {"model": str(tmp_path), "output-dir": str(tmp_path / "out"), **options}
    config = build_config(values, label=lambda name: f"--{name}", command="hub-convert")
    source = SourceModel("saved_model", str(tmp_path), tmp_path, size_bytes=size)
    return worker_count(config, source)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 cores")
def test_one_worker_for_a_small_model_one_per_core_otherwise(tmp_path: Path) -> None:
    cores = len(os.sched_getaffinity(0))
    assert _count(tmp_path, SMALL_MODEL_BYTES - 1) == 1
    assert _count(tmp_path, SMALL_MODEL_BYTES) == min(cores, 4)
    assert _count(tmp_path, 0) == min(cores, 4)  # size not known yet (a Hub handle)
    assert _count(tmp_path, 10 * SMALL_MODEL_BYTES, **{"tflite-variants": "float32"}) == 2


def test_jobs_option_decides(tmp_path: Path) -> None:
    assert _count(tmp_path, 100, jobs="3") == 3
    assert _count(tmp_path, 10 * SMALL_MODEL_BYTES, jobs="1") == 1
