"""Keras files: .keras (Keras 3) and .h5 (Keras 2) become SavedModels; Lambda needs consent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hub_convert.errors import BadInputError
from hub_convert.sources import resolve
from support.cli import CliRun, run_cli
from support.cli_batch import run_cli_batch
from support.source_fixtures import (
    error_line,
    keras2_h5_file,
    keras2_h5_function_activation,
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


@pytest.fixture(scope="module")
def cli_runs(
    keras_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, ...], CliRun]:
    """The CLI runs of this module that start a worker, two at a time (independent runs,
    each into its own directory): keyed by (Lambda file,) or (writer, options)."""
    root = tmp_path_factory.mktemp("keras_cli")
    commands: dict[tuple[str, ...], tuple[str | Path, ...]] = {}
    for name in ("lambda.keras", "lambda.h5"):
        commands[(name,)] = (
            keras_files[name], "--output-dir", root / f"out_{name}", "--allow-unsafe",
            "--tflite-variants", "float32",
        )  # fmt: skip
    for written_by in ("tf_keras", "keras 2.10"):
        directory = root / written_by.replace(" ", "_")
        directory.mkdir()
        model = keras2_h5_function_activation(directory / "activation.h5", written_by=written_by)
        for extra in ((), ("--allow-unsafe",)):
            out = directory / f"out{len(extra)}"
            commands[(written_by, *extra)] = (model, "--output-dir", out, *extra)
    return run_cli_batch({key: ("convert", *command) for key, command in commands.items()})


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
    cli_runs: dict[tuple[str, ...], CliRun], name: str, kind: str
) -> None:
    run = cli_runs[(name,)]
    out = run.output_dir
    assert run.exit_code == 0, run.stderr
    assert statuses(run.report) == {("tflite", "float32"): "passed", ("onnx", "float32"): "passed"}
    source = run.report["source"]
    assert source["kind"] == kind
    assert source["provenance"]["file"] == name
    assert source["provenance"]["unsafe_loading"] == "allowed (--allow-unsafe)"
    assert source["provenance"]["keras_version"].startswith("3." if kind == "keras" else "2.")
    assert (out / "lambda_float32.tflite").is_file()
    assert (out / "lambda_float32.onnx").is_file()


@pytest.mark.parametrize("allow_unsafe", [False, True], ids=["default", "allow-unsafe"])
@pytest.mark.parametrize("written_by", ["tf_keras", "keras 2.10"])
def test_a_function_the_file_names_but_cannot_hold_is_one_line_with_advice_that_fits(
    cli_runs: dict[tuple[str, ...], CliRun], allow_unsafe: bool, written_by: str
) -> None:
    """A plain Python activation is written by name only: no option can load it, so the
    error names the layer and the function, and does not suggest --allow-unsafe. tf_keras's
    form is found in the config before loading; Keras 2.10's bare name when Keras fails."""
    extra = ("--allow-unsafe",) if allow_unsafe else ()
    run = cli_runs[(written_by, *extra)]
    model = run.output_dir.parent / "activation.h5"
    out = run.output_dir

    assert run.exit_code == 2
    assert error_line(run.stderr) == (
        f"hub-convert: error: {model}: layer 'conv' uses the function 'scaled_relu' as its "
        "activation, which the file names but does not contain (it was code in the program "
        "that saved it); load the model there, with that function as a custom object, and "
        "export a SavedModel with model.export(DIR)"
    )
    assert not out.exists()


def test_keras_2_lambda_names_are_found_before_loading() -> None:
    """DeepLC's published .h5 files (Keras 2.10): `"activation": "<lambda>"`."""
    from hub_convert.sources.keras_inspect import MissingFunction, missing_functions

    layer = {"class_name": "Conv1D", "config": {"name": "conv1d_462", "trainable": True}}
    layer["config"]["activation"] = "<lambda>"
    model = {"class_name": "Functional", "config": {"name": "m", "layers": [layer]}}

    found = list(missing_functions(model))

    assert found == [MissingFunction("conv1d_462", "<lambda>", "activation")]
    assert found[0].message().startswith("layer 'conv1d_462' uses a Python lambda as its ")
    layer["config"]["activation"] = "relu"
    assert list(missing_functions(model)) == []
