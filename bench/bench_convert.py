"""Benchmark: hub-convert against the bare converters, side by side, on the same models.

Three ways to get float32 TFLite and ONNX files, each run as its own command:

- **bare pair**: ``tflite_convert`` (float32), then ``python -m tf2onnx.convert`` — what a user
  scripts without hub-convert, with one variant and no validation;
- **one process**: one Python process writing float32, dynamic and float16 TFLite and float32
  ONNX (TFLiteConverter.from_saved_model, tf2onnx), no validation — the same four files as
  hub-convert's defaults, made as cheaply as a script can;
- **hub-convert**: ``hub-convert convert MODEL -o DIR`` with its defaults (those four files,
  each validated against the original, latency measured, the report written).

Models: the demo model, MobileNetV2 (``keras.applications.MobileNetV2(weights=None)``
exported as a SavedModel) and, with ``--big``, a Dense-heavy model of about 1 GB; all built
at bench time into ``bench/build/``. Each command runs ``--repeats`` times (default 3, 1 for
the big model), the three interleaved so that they share the machine's load; the table gives
medians. Memory is the peak of the RSS, and the peak of the PSS, summed over the command's
process tree, sampled at about 20 Hz with psutil (RSS counts shared library pages once per
process, PSS once in all: see measure.TreeMemory); CPU is user + system time of the whole tree.
Nothing is asserted.

Then the TFLite dynamic and float16 files both ways (quantizer_compare.py): TensorFlow's
converter from the SavedModel, as hub-convert did before, and ai-edge-quantizer from the float32
file, as it does now: seconds per file (interleaved rounds), size, operators, verdict and drift
on hub-convert's own samples, XNNPACK share, latency. On the bench's MobileNetV2 (random weights:
its outputs are all 0.001, so only the times and files mean something) and, when the corpus
cache has it, nsfwjs's MobileNetV2 (trained weights).

Usage: python bench/bench_convert.py [--models demo,mobilenet_v2] [--big] [--repeats N]
                                     [--json FILE] [--keep] [--no-quantizers]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import psutil

import quantizer_compare
from measure import Sample, measure

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "bench" / "build"
BIN = Path(sys.executable).parent
ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PATH": f"{BIN}:/usr/bin:/bin",
    "HOME": os.environ.get("HOME", "/tmp"),
}

BUILD_MODEL = """
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras
kind, out = sys.argv[1:3]
keras.utils.set_random_seed(7)
if kind == "mobilenet_v2":
    model = keras.applications.MobileNetV2(weights=None)
else:  # big: about 1 GB on disk (Keras 3's export writes each of its 0.5 GB of weights twice)
    inputs = keras.Input(shape=(4096,), name="features")
    x = inputs
    for _ in range(7):
        x = keras.layers.Dense(4096, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="scores")(x)
    model = keras.Model(inputs, outputs, name="big_dense")
model.export(out, verbose=False)
"""

ONE_PROCESS = """
import sys
import tensorflow as tf
from tf2onnx import tf_loader
from tf2onnx.convert import _convert_common

model, out = sys.argv[1:3]
for variant in ("float32", "dynamic", "float16"):
    converter = tf.lite.TFLiteConverter.from_saved_model(model)
    if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    open(f"{out}/model_{variant}.tflite", "wb").write(converter.convert())
graph_def, inputs, outputs, tables, renames = tf_loader.from_saved_model(
    model, None, None, ["serve"], ["serving_default"], None, False,
    return_initialized_tables=True, return_tensors_to_rename=True,
)
onnx_model, _ = _convert_common(
    graph_def, name=model, opset=17, input_names=inputs, output_names=outputs,
    tensors_to_rename=renames, initialized_tables=tables,
)
open(f"{out}/model_float32.onnx", "wb").write(onnx_model.SerializeToString())
"""


def bare_pair(model: Path, out: Path) -> list[list[str]]:
    return [
        [
            str(BIN / "tflite_convert"),
            "--saved_model_dir",
            str(model),
            "--output_file",
            str(out / "model.tflite"),
        ],
        [
            sys.executable,
            "-m",
            "tf2onnx.convert",
            "--saved-model",
            str(model),
            "--opset",
            "17",
            "--output",
            str(out / "model.onnx"),
        ],
    ]


def one_process(model: Path, out: Path) -> list[list[str]]:
    return [[sys.executable, "-c", ONE_PROCESS, str(model), str(out)]]


def hub_convert(model: Path, out: Path) -> list[list[str]]:
    return [[str(BIN / "hub-convert"), "convert", str(model), "--output-dir", str(out / "out")]]


def hub_convert_one_worker(model: Path, out: Path) -> list[list[str]]:
    return [[*hub_convert(model, out)[0], "--jobs", "1"]]


CONTENDERS = {
    "bare pair": bare_pair,
    "one process": one_process,
    "hub-convert": hub_convert,
    "hub-convert --jobs 1": hub_convert_one_worker,
}
DESCRIPTIONS = {
    "bare pair": "`tflite_convert` (float32) then `python -m tf2onnx.convert`, no validation",
    "one process": "one Python process: float32, dynamic, float16 TFLite + ONNX, no validation",
    "hub-convert": "`hub-convert convert` defaults: the same 4 files, validated, latency, report",
    "hub-convert --jobs 1": "the same with one worker process",
}


def build_model(name: str) -> Path:
    if name == "demo":
        target = ROOT / "examples/build/tiny_classifier"
        if not (target / "saved_model.pb").exists():
            subprocess.run(
                [sys.executable, str(ROOT / "examples/make_demo_model.py"), str(target)],
                check=True,
                env=ENV,
            )
        return target
    target = BUILD / name
    if not (target / "saved_model.pb").exists():
        print(f"building {name} in {target} …", file=sys.stderr, flush=True)
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([sys.executable, "-c", BUILD_MODEL, name, str(target)], check=True, env=ENV)
    return target


def quantizer_models() -> list[Path]:
    """The models the dynamic/float16 comparison runs on: the bench's MobileNetV2, and the
    corpus's trained one when its cache holds it (make corpus fetches it)."""
    trained = ROOT / "corpus/.cache/models/nsfwjs-mobilenet-v2/model.json"
    return [build_model("mobilenet_v2"), *([trained] if trained.exists() else [])]


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def bench_model(name: str, repeats: int, work: Path) -> dict[str, object]:
    model = build_model(name)
    samples: dict[str, list[Sample]] = {contender: [] for contender in CONTENDERS}
    log = work / f"{name}.log"
    for repeat in range(repeats):
        for contender, commands in CONTENDERS.items():
            out = work / f"{name}-{contender.replace(' ', '_').replace('-', '')}-{repeat}"
            out.mkdir()
            sample = measure(commands(model, out), log, ENV, ROOT)
            samples[contender].append(sample)
            print(
                f"{name} #{repeat + 1} {contender}: {sample.wall_seconds:.1f} s wall, "
                f"{sample.cpu_seconds:.1f} s CPU, {sample.peak_rss_bytes / 2**30:.2f} GiB RSS, "
                f"{sample.peak_pss_bytes / 2**30:.2f} GiB PSS",
                file=sys.stderr,
                flush=True,
            )
            shutil.rmtree(out, ignore_errors=True)
    medians = {
        contender: Sample(
            statistics.median(s.wall_seconds for s in runs),
            statistics.median(s.cpu_seconds for s in runs),
            int(statistics.median(s.peak_rss_bytes for s in runs)),
            int(statistics.median(s.peak_pss_bytes for s in runs)),
        )
        for contender, runs in samples.items()
    }
    return {
        "model": name,
        "size_bytes": tree_size(model),
        "repeats": repeats,
        "medians": {contender: asdict(sample) for contender, sample in medians.items()},
        "runs": {c: [asdict(s) for s in runs] for c, runs in samples.items()},
    }


DEVICE_LINE = re.compile(r"^\s+(\S+\.(?:tflite|onnx)): .* \((\d+\.\d+) s\)$")
SHAPES_LINE = re.compile(r"second shapes checked in (\d+\.\d+) s")


def bench_device_stage(name: str, work: Path) -> dict[str, object]:
    """The device stage's seconds per artifact (XNNPACK / NNAPI / CoreML views, as its log
    lines give them) and the second-shape check of the ONNX files, from one default run."""
    out = work / f"{name}-device"
    done = subprocess.run(
        [str(BIN / "hub-convert"), "convert", str(build_model(name)), "-o", str(out)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    views = {m[1]: float(m[2]) for m in map(DEVICE_LINE.match, done.stderr.splitlines()) if m}
    shapes = SHAPES_LINE.search(done.stderr)
    shutil.rmtree(out, ignore_errors=True)
    return {"views": views, "second_shapes": float(shapes[1]) if shapes else None}


def device_markdown(name: str, device: dict[str, object]) -> str:
    views = device["views"]
    assert isinstance(views, dict)
    shown = ", ".join(f"{file} {seconds:.2f} s" for file, seconds in views.items())
    shapes = device["second_shapes"]
    return (
        f"**{name}**, device stage per artifact (budget 1 s): {shown or 'none logged'}; "
        "ONNX second-shape check (the original loaded again): "
        + (f"{shapes:.2f} s" if isinstance(shapes, float) else "not run")
    )


def paired_ratio(runs: list[dict[str, float]], base: list[dict[str, float]], key: str) -> float:
    """The median over repeats of this run's value / the bare pair's in the same repeat: runs
    of one repeat follow each other, so they share the machine's load."""
    return statistics.median(run[key] / other[key] for run, other in zip(runs, base, strict=True))


def markdown(result: dict[str, object]) -> str:
    medians = result["medians"]
    runs = result["runs"]
    assert isinstance(medians, dict) and isinstance(runs, dict)
    base = runs["bare pair"]
    size = int(result["size_bytes"])  # type: ignore[call-overload]
    lines = [
        f"**{result['model']}** ({size / 2**20:.0f} MiB SavedModel), median of "
        f"{result['repeats']} run(s); × bare: the median of each repeat's ratio to the bare pair:",
        "",
        "| what | wall | × bare | CPU | × bare | peak RSS (summed) | × bare "
        "| peak PSS (summed) | × bare |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for contender, sample in medians.items():
        lines.append(
            f"| {DESCRIPTIONS[contender]} | {sample['wall_seconds']:.1f} s "
            f"| {paired_ratio(runs[contender], base, 'wall_seconds'):.2f} "
            f"| {sample['cpu_seconds']:.1f} s "
            f"| {paired_ratio(runs[contender], base, 'cpu_seconds'):.2f} "
            f"| {sample['peak_rss_bytes'] / 2**30:.2f} GiB "
            f"| {paired_ratio(runs[contender], base, 'peak_rss_bytes'):.2f} "
            f"| {sample['peak_pss_bytes'] / 2**30:.2f} GiB "
            f"| {paired_ratio(runs[contender], base, 'peak_pss_bytes'):.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="demo,mobilenet_v2")
    parser.add_argument("--big", action="store_true", help="also the ~1 GB Dense model")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-repeats", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the measurements here too")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument(
        "--no-quantizers",
        action="store_true",
        help="skip the dynamic/float16 comparison (TF converter vs ai-edge-quantizer)",
    )
    parser.add_argument(
        "--only", help="comma-separated contenders to run (default: all): " + ", ".join(CONTENDERS)
    )
    args = parser.parse_args()
    if args.only:
        chosen = [c.strip() for c in args.only.split(",")]
        for name in [c for c in CONTENDERS if c not in chosen and c != "bare pair"]:
            del CONTENDERS[name]
    names = [n for n in args.models.split(",") if n]
    if args.big:
        names.append("big")
    work = Path(tempfile.mkdtemp(prefix="hub-convert-bench-"))
    results = []
    quantizers: list[dict[str, object]] = []
    try:
        for name in names:
            repeats = args.big_repeats if name == "big" else args.repeats
            results.append(bench_model(name, repeats, work))
            if name != "big":
                results[-1]["device"] = bench_device_stage(name, work)
        if not args.no_quantizers:
            for model in quantizer_models():
                out = work / f"quantizers-{len(quantizers)}"
                quantizers.append(quantizer_compare.compare(str(model), args.repeats, [], out))
    finally:
        if args.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    cores = len(os.sched_getaffinity(0))
    print(
        f"{cores} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; load average "
        f"{os.getloadavg()[0]:.1f} at the end\n"
    )
    for result in results:
        print(markdown(result) + "\n")
        if "device" in result:
            print(device_markdown(str(result["model"]), result["device"]) + "\n")  # type: ignore[arg-type]
    for compared in quantizers:
        print(quantizer_compare.markdown(compared) + "\n")
    if args.json:
        args.json.write_text(json.dumps([*results, *quantizers], indent=2) + "\n")


if __name__ == "__main__":
    main()
