"""Keras files: .keras (Keras 3) and .h5 (Keras 2) become SavedModels; Lambda needs consent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from hub_convert.errors import BadInputError
from hub_convert.sources import resolve
from source_fixtures import (
    error_line,
    keras2_h5_file,
    keras3_file,
    keras_config_file,
    keras_layer,
    statuses,
)

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("keras_files")
    return {
        "plain.keras": keras3_file(root / "plain.keras", with_lambda=False),
        "lambda.keras": keras3_file(root / "lambda.keras", with_lambda=True),
        "plain.h5": keras2_h5_file(root / "plain.h5", with_lambda=False),
        "lambda.h5": keras2_h5_file(root / "lambda.h5", with_lambda=True),
    }


@pytest.mark.parametrize("name", ["lambda.keras", "lambda.h5"])
def test_lambda_layer_is_refused_in_the_main_process(
    keras_files: dict[str, Path], tmp_path: Path, name: str
) -> None:
    with pytest.raises(BadInputError) as caught:
        resolve(str(keras_files[name]), work_dir=tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{keras_files[name]}: layer 'times_two' is a Lambda layer")
    assert "--allow-unsafe" in message


@pytest.mark.parametrize(
    ("name", "kind", "loader"),
    [("plain.keras", "keras", "keras 3."), ("plain.h5", "h5", "tf_keras 2.")],
)
def test_exported_saved_model_computes_what_keras_computes(
    keras_files: dict[str, Path], tmp_path: Path, name: str, kind: str, loader: str
) -> None:
    import tensorflow as tf

    source = resolve(str(keras_files[name]), work_dir=tmp_path)
    assert source.kind == kind
    assert source.stem == "plain"
    assert source.materializer is not None
    extra = source.materializer(source.saved_model_dir)
    assert extra["loaded_with"].startswith(loader)
    if kind == "keras":
        import keras

        assert source.provenance["keras_version"] == keras.__version__
        model = keras.saving.load_model(keras_files[name])
    else:
        import tf_keras

        assert source.provenance["keras_version"] == tf_keras.__version__
        model = tf_keras.models.load_model(keras_files[name], compile=False)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    serving = tf.saved_model.load(str(source.saved_model_dir)).signatures["serving_default"]
    (got,) = serving(features=tf.constant(x)).values()
    np.testing.assert_allclose(got.numpy(), np.asarray(model(x)), atol=1e-6)


def test_class_keras_cannot_import_fails_clearly_even_when_allowed(tmp_path: Path) -> None:
    layers = [keras_layer("Dense", "dense"), keras_layer("Attention2", "attn", "my_pkg.layers")]
    path = keras_config_file(tmp_path / "custom.keras", layers)
    source = resolve(str(path), work_dir=tmp_path / "work", allow_unsafe=True)
    assert source.materializer is not None
    with pytest.raises(BadInputError, match="Keras could not load the model") as caught:
        source.materializer(source.saved_model_dir)
    assert str(caught.value).startswith(f"{path}: ")
    assert not source.saved_model_dir.exists()


def test_cli_refuses_lambda_without_allow_unsafe(
    keras_files: dict[str, Path], tmp_path: Path
) -> None:
    run = run_cli("convert", keras_files["lambda.keras"], "--output-dir", tmp_path / "out")
    assert run.exit_code == 2
    line = error_line(run.stderr)
    assert str(keras_files["lambda.keras"]) in line and "'times_two'" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "kind"), [("lambda.keras", "keras"), ("lambda.h5", "h5")])
def test_cli_converts_lambda_with_allow_unsafe(
    keras_files: dict[str, Path], tmp_path: Path, name: str, kind: str
) -> None:
    out = tmp_path / "out"
    run = run_cli(
        "convert",
        keras_files[name],
        "--output-dir",
        out,
        "--allow-unsafe",
        "--tflite-variants",
        "float32",
    )
    assert run.exit_code == 0, run.stderr
    assert statuses(run.report) == {("tflite", "float32"): "passed", ("onnx", "float32"): "passed"}
    source = run.report["source"]
    assert source["kind"] == kind
    assert source["provenance"]["file"] == name
    assert source["provenance"]["unsafe_loading"] == "allowed (--allow-unsafe)"
    assert source["provenance"]["keras_version"].startswith("3." if kind == "keras" else "2.")
    assert (out / "lambda_float32.tflite").is_file()
    assert (out / "lambda_float32.onnx").is_file()
