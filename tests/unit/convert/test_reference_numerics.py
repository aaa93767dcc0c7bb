"""The original model runs on TensorFlow's Eigen kernels, not oneDNN's.

On hm-centernet (corpus) TensorFlow's oneDNN path moved the `tower_0_wh` output by 7.2 at a
peak of 388, where LiteRT, onnxruntime and TensorFlow with oneDNN off agree within 0.016: the
float32 files were reported `drift` against the one runtime that differed. So workers start
TensorFlow with TF_ENABLE_ONEDNN_OPTS=0 unless the user set it.
"""

from __future__ import annotations

import os

import pytest

from hub_convert.convert.tasks import initialize_worker
from hub_convert.workers.pool import WorkerPool
from support import worker_tasks

pytestmark = pytest.mark.tf


def test_workers_run_tensorflow_without_onednn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    with WorkerPool(1, 120, initialize_worker, (None, None)) as pool:
        assert pool.result(pool.submit(worker_tasks.onednn_enabled)) is False


def test_a_user_setting_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    with WorkerPool(1, 120, initialize_worker, (None, None)) as pool:
        assert pool.result(pool.submit(worker_tasks.onednn_enabled)) is (
            os.uname().machine in ("x86_64", "aarch64")
        )
