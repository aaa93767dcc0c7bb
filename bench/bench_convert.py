"""Benchmark: hub-convert against the bare converters run side by side, on the same model.

Bare tools: TFLiteConverter (float32, dynamic, float16) and ``python -m tf2onnx.convert``,
each in its own process, one after another — what a user would script without hub-convert.
hub-convert does the same conversions plus loading, reference runs and validation of every
file, with its worker processes. Reported as ratios (hub-convert / bare); never asserted.

Usage: python bench/bench_convert.py [SAVED_MODEL_DIR]   (default: the demo model)
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

TFLITE_SNIPPET = """
import sys, tensorflow as tf
model, variant, out = sys.argv[1:4]
c = tf.lite.TFLiteConverter.from_saved_model(model)
if variant != "float32":
    c.optimizations = [tf.lite.Optimize.DEFAULT]
if variant == "float16":
    c.target_spec.supported_types = [tf.float16]
open(out, "wb").write(c.convert())
"""


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv,
        check=True,
        capture_output=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - started


def children_max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "examples/build/tiny_classifier"
    if not (model / "saved_model.pb").exists():
        subprocess.run(
            [sys.executable, str(ROOT / "examples/make_demo_model.py"), str(model)], check=True
        )
    work = Path(tempfile.mkdtemp(prefix="hub-convert-bench-"))
    try:
        bare = 0.0
        for variant in ("float32", "dynamic", "float16"):
            bare += timed(
                [
                    sys.executable,
                    "-c",
                    TFLITE_SNIPPET,
                    str(model),
                    variant,
                    str(work / f"{variant}.tflite"),
                ]
            )
        bare += timed(
            [
                sys.executable,
                "-m",
                "tf2onnx.convert",
                "--saved-model",
                str(model),
                "--opset",
                "17",
                "--output",
                str(work / "model.onnx"),
            ]
        )
        bare_rss = children_max_rss_mib()
        ours = timed(
            [str(BIN / "hub-convert"), "convert", str(model), "--output-dir", str(work / "out")]
        )
        ours_rss = children_max_rss_mib()  # max over all children so far, hub-convert included
        result = {
            "model": str(model),
            "bare_tools_seconds": round(bare, 2),
            "hub_convert_seconds": round(ours, 2),
            "time_ratio": round(ours / bare, 2),
            "bare_tools_peak_rss_mib": round(bare_rss, 1),
            "peak_rss_mib_any_process": round(ours_rss, 1),
            "note": "hub-convert also loads the model, runs it on 8 samples and validates 4 files",
        }
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
