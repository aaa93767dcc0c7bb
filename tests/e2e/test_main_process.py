"""The main process never loads TensorFlow or a runtime: every piece of model work happens in
worker processes (a model that crashes its process costs one artifact, not the run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tf

_RUN = """
import json, sys
from hub_convert.cli import main
code = main(["convert", sys.argv[1], "--output-dir", sys.argv[2], "--latency-runs", "2",
             "--targets", "tflite,onnx", "--tflite-variants", "float32"])
heavy = {"tensorflow", "keras", "tf_keras", "tensorflow_hub", "tf2onnx", "onnx", "onnxruntime",
         "onnxconverter_common", "ai_edge_litert", "h5py", "numpy"}
loaded = sorted({name.split(".")[0] for name in sys.modules} & heavy)
print("RESULT " + json.dumps({"code": code, "loaded": loaded}))
"""


def test_a_whole_conversion_loads_no_tensorflow_or_runtime_in_the_main_process(
    keras_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(keras_model), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert result == {"code": 0, "loaded": []}
    report = json.loads((out / "report.json").read_text())
    # The run really converted, validated and timed in its workers.
    assert [a["status"] for a in report["artifacts"]] == ["passed", "passed"]
    assert all(a["latency_ms"] for a in report["artifacts"])
    # Only finished files reach the output directory: no staging or partial files.
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "keras_classifier_float32.onnx",
        "keras_classifier_float32.tflite",
        "report.json",
        "report.md",
    ]
