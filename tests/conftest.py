"""Shared fixtures: tiny models and conversions, built once per test session, and the fake
GitHub server (the CLI runner is support/cli.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from support import models
from support.cli import CliRun, run_cli
from support.github_fakes import FakeGitHub, fake_server, fresh_fake

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def _build(builder: Any, root: Path, name: str) -> Path:
    path = root / name
    if not path.exists():
        builder(path)
    return path


@pytest.fixture(scope="session")
def keras_model(model_dir: Path) -> Path:
    return _build(models.keras_classifier, model_dir, "keras_classifier")


@pytest.fixture(scope="session")
def two_signature_model(model_dir: Path) -> Path:
    return _build(models.two_signature_module, model_dir, "two_signatures")


@pytest.fixture(scope="session")
def multi_io_model(model_dir: Path) -> Path:
    return _build(models.two_input_two_output, model_dir, "multi_io")


@pytest.fixture(scope="session")
def lgamma_model(model_dir: Path) -> Path:
    return _build(models.lgamma_model, model_dir, "lgamma")


@pytest.fixture(scope="session")
def keras_run(keras_model: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """One full default conversion of the Keras model, shared by the tests that read it."""
    out = tmp_path_factory.mktemp("keras_out")
    return run_cli("convert", keras_model, "--output-dir", out)


@pytest.fixture(scope="session")
def classifier_model(model_dir: Path) -> Path:
    return _build(models.peaked_classifier, model_dir, "classifier")


@pytest.fixture(scope="session")
def determinant_model(model_dir: Path) -> Path:
    return _build(models.determinant, model_dir, "determinant")


@pytest.fixture(scope="session")
def classifier_data(model_dir: Path) -> Path:
    """Representative data for the classifier: 48 samples, no batch axis per sample."""
    import numpy as np

    path = model_dir / "classifier_data.npz"
    if not path.exists():
        rng = np.random.default_rng(5)
        np.savez(path, features=rng.normal(0.0, 1.0, size=(48, 16)).astype(np.float32))
    return path


@pytest.fixture(scope="session")
def determinant_run(determinant_model: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """The determinant model converted once (TFLite float32 with Flex, ONNX; no latency),
    shared by the tests that read its report."""
    out = tmp_path_factory.mktemp("determinant_out")
    return run_cli(
        "convert", determinant_model, "--output-dir", out, "--tflite-variants", "float32",
        "--latency-runs", "0",
    )  # fmt: skip


@pytest.fixture(scope="session")
def mixed_case_model(model_dir: Path) -> Path:
    return _build(models.mixed_case_names, model_dir, "mixed_case")


@pytest.fixture(scope="session")
def server() -> Iterator[HTTPServer]:
    """One HTTP server on 127.0.0.1 playing GitHub, the results service and the blob store."""
    with fake_server() as running:
        yield running


@pytest.fixture
def fake(server: HTTPServer) -> FakeGitHub:
    """The fake GitHub on ``server`` with empty state for each test."""
    return fresh_fake(server)
