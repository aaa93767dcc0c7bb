"""Big models, on a small one: the thresholds that decide the big-model paths are lowered
through the environment, so the demo model takes the real paths end to end — tf2onnx's
large_model, ONNX external data written, checked and run by onnxruntime, published beside the
.onnx; a TFLite variant over the flatbuffer limit failing with the reason while the variants
that fit convert; progress lines while a worker converts. A real model of a gigabyte or more
is converted by ``make big`` (bench/big_model.py), never here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from hub_convert.units import GIB
from hub_convert.workers import model_size
from hub_convert.workers.progress import elapsed
from support.cli import CliRun, run_cli

pytestmark = pytest.mark.tf

# The demo model's signature captures 9,384 bytes of float32 variables: a limit of 8,000 bytes
# leaves its float32 TFLite file over it, its float16 (4,692 bytes) and dynamic ones under it.
FLATBUFFER_LIMIT = 8000


@pytest.fixture(scope="module")
def big_paths_run(keras_model: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    out = tmp_path_factory.mktemp("big") / "out"
    return run_cli(
        "convert",
        keras_model,
        "--output-dir",
        out,
        "--tflite-variants",
        "float32,float16,dynamic",
        "--onnx-variants",
        "float32,float16,dynamic",
        "--latency-runs",
        "1",
        env={
            model_size.EXTERNAL_DATA_THRESHOLD_ENV: "1000",
            model_size.FLATBUFFER_LIMIT_ENV: str(FLATBUFFER_LIMIT),
            "HUB_CONVERT_PROGRESS_SECONDS": "0.2",
        },
    )


@pytest.mark.parametrize("variant", ["float32", "float16", "dynamic"])
def test_onnx_over_the_threshold_is_written_with_external_data(
    big_paths_run: CliRun, variant: str, tmp_path: Path
) -> None:
    import onnx
    import onnxruntime as ort
    from onnx.external_data_helper import uses_external_data

    artifact = big_paths_run.artifact("onnx", variant)
    assert artifact["status"] == "passed", artifact["reason"]
    model_path = Path(artifact["path"])
    data_path = Path(artifact["external_data"])
    assert data_path == model_path.with_name(model_path.name + ".data")
    assert artifact["size_bytes"] == model_path.stat().st_size + data_path.stat().st_size
    assert any("external data" in note for note in artifact["notes"])
    # The .onnx itself holds no big weight: each points into the data file.
    model = onnx.load(str(model_path), load_external_data=False)
    external = [t for t in model.graph.initializer if uses_external_data(t)]
    assert external, "no tensor kept in external data"
    for tensor in external:
        entries = {e.key: e.value for e in tensor.external_data}
        assert entries["location"] == data_path.name
        assert int(entries["offset"]) + int(entries["length"]) <= data_path.stat().st_size
    # The pair is self-contained: copied anywhere, onnxruntime runs it.
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(model_path, moved / model_path.name)
    shutil.copy(data_path, moved / data_path.name)
    session = ort.InferenceSession(str(moved / model_path.name), providers=["CPUExecutionProvider"])
    feed = {
        i.name: np.zeros([d if isinstance(d, int) else 1 for d in i.shape], np.float32)
        for i in session.get_inputs()
    }
    (probabilities,) = session.run(None, feed)
    assert np.isclose(probabilities.sum(), 1.0, atol=1e-2)  # the demo ends in a softmax
    # Without its data file the .onnx does not load: the weights really are there.
    (moved / data_path.name).unlink()
    with pytest.raises(Exception, match=r"\.onnx\.data|external|No such file"):
        ort.InferenceSession(str(moved / model_path.name), providers=["CPUExecutionProvider"])


def test_tflite_over_the_flatbuffer_limit_fails_with_the_reason(big_paths_run: CliRun) -> None:
    float32 = big_paths_run.artifact("tflite", "float32")
    assert float32["status"] == "failed"
    assert float32["reason"].startswith("the TFLite flatbuffer format cannot hold 7.81 KiB")
    assert "use the float16 or dynamic or int8 variant" in float32["reason"]
    assert float32["path"] is None
    assert not list(big_paths_run.output_dir.glob("*_float32.tflite"))
    assert "Traceback" not in big_paths_run.stderr + big_paths_run.stdout
    # The variants whose weights fit still convert and validate.
    for variant in ("float16", "dynamic"):
        artifact = big_paths_run.artifact("tflite", variant)
        assert artifact["status"] == "passed", artifact["reason"]
        assert Path(artifact["path"]).is_file()
    assert big_paths_run.exit_code == 1  # a failed artifact fails the default policy


def test_long_steps_log_progress(big_paths_run: CliRun) -> None:
    """Every 0.2 s here (30 s by default). Which steps outlast that on the demo model depends
    on the machine, but the first always does: the workers import TensorFlow before it."""
    lines = big_paths_run.stderr.splitlines()
    progress = [line for line in lines if line.startswith("  still ")]
    assert any(
        line.startswith("  still starting the workers (importing TensorFlow)") for line in progress
    ), lines
    assert all(
        re.fullmatch(r"  still [^()]+(\([^()]*\))?[^()]* \((\d+ min )?\d+ s\)", line)
        for line in progress
    )


def test_real_converter_size_error_becomes_the_reason() -> None:
    from hub_convert.convert.targets.tflite_errors import too_big_reason

    # Recorded from a real run (TF 2.21): a Keras 3 export of 4 Dense(8192) layers, whose
    # frozen GraphDef TFLiteConverter could not serialize.
    recorded = "Failed to serialize proto"
    reason = too_big_reason(recorded, "float32", 2 * GIB + 1)
    assert reason is not None
    assert reason.startswith("the TFLite flatbuffer format cannot hold 2 GiB or more")
    assert reason.endswith("(TensorFlow: Failed to serialize proto)")
    assert (
        too_big_reason("'tf.Lgamma' op is neither a custom op nor a flex op", "float32", 0) is None
    )


def test_workers_from_memory() -> None:
    gib = GIB
    # A 7 GiB runner with 2 cores: a 1 GiB model gets one worker, a small one two.
    assert model_size.workers_that_fit(2, gib, 7 * gib, 0.75) == 1
    assert model_size.workers_that_fit(2, 20 << 20, 7 * gib, 0.75) == 2
    assert model_size.workers_that_fit(2, 0, None, 0.75) == 2
    assert elapsed(130) == "2 min 10 s"
    assert elapsed(42.9) == "42 s"
