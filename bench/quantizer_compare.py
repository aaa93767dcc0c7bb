"""TFLite dynamic and float16 files two ways, side by side: TensorFlow's converter from the
fixed-shape SavedModel (what hub-convert does) and ai-edge-quantizer from the float32 file.

One ``hub-convert convert MODEL --targets tflite --debug`` run supplies what both need and what
judges them: its kept work directory holds the fixed-shape export every TFLite variant is
converted from, the float32 file, and the validation samples with the original's outputs
(samples.npz); report.json gives each variant's tolerance. Then one Python process times,
interleaved for ``--repeats`` rounds (so both share the machine's load), TensorFlow's dynamic
and float16 conversions and ai-edge-quantizer's ``dynamic_wi8_afp32`` and float16 weight-only
(``float_casting``: ai-edge-quantizer 0.10 has no float16 recipe, only this algorithm) from the
float32 bytes; the importer's own first cost is timed once. Each file is then compared on the
same samples with hub-convert's own drift measures and tolerances: size, operators, Flex,
weight types, verdict, worst cosine and max abs, XNNPACK coverage, LiteRT latency.

Usage: python bench/quantizer_compare.py MODEL [--repeats N] [--json FILE] [hub-convert options]
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PATH": f"{BIN}:/usr/bin:/bin",
    "HOME": os.environ.get("HOME", "/tmp"),
}
KEPT = re.compile(r"work directory kept for debugging: (\S+)")
# (variant, who makes it, file tag): TensorFlow's converter first, the others compared with it.
WAYS = (
    ("dynamic", "TF converter", "tf"),
    ("dynamic", "ai-edge-quantizer dynamic_wi8_afp32", "wi8"),
    ("dynamic", "ai-edge-quantizer dynamic_legacy_wi8_afp32", "legacy"),
    ("float16", "TF converter", "tf"),
    ("float16", "ai-edge-quantizer float_casting", "fp16"),
)

# Run in a fresh process: TensorFlow and ai-edge-quantizer imported once, as in a worker.
TIME_BOTH = r"""
import contextlib, io, json, sys, time
from pathlib import Path
work, repeats = Path(sys.argv[1]), int(sys.argv[2])
float32 = next(work.glob("*_float32.tflite")).read_bytes()
import tensorflow as tf
from hub_convert.convert.targets.tflite_saved_model import converter_for
from hub_convert.convert.targets.tflite_variants import configure
started = time.perf_counter()
from ai_edge_quantizer import quantizer, recipe
from ai_edge_quantizer.algorithm_manager import AlgorithmName
from ai_edge_quantizer.qtyping import TFLOperationName
from ai_edge_quantizer.recipe_manager import RecipeManager
import_seconds = time.perf_counter() - started

def float16_recipe():
    manager = RecipeManager()
    manager.add_weight_only_config(
        regex=".*", operation_name=TFLOperationName.ALL_SUPPORTED, num_bits=16,
        algorithm_key=AlgorithmName.FLOAT_CASTING,
    )
    return manager.get_quantization_recipe()

def tf_converter(variant):
    converter = converter_for(work / "fixed_shape", "serving_default", {"serve"})
    configure(converter, variant, False, None, False)
    return bytes(converter.convert())

RECIPES = {
    "wi8": recipe.dynamic_wi8_afp32, "legacy": recipe.dynamic_legacy_wi8_afp32,
    "fp16": float16_recipe,
}

def quantized(tag):
    making = quantizer.Quantizer(float32)
    making.load_quantization_recipe(RECIPES[tag]())
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return bytes(making.quantize().quantized_model)

seconds = {}
ways = json.loads(sys.argv[3])
for _ in range(repeats):
    for variant, way, tag in ways:
        began = time.perf_counter()
        model = tf_converter(variant) if tag == "tf" else quantized(tag)
        seconds.setdefault(f"{way}|{variant}", []).append(time.perf_counter() - began)
        (work / f"compare_{tag}_{variant}.tflite").write_bytes(model)
print(json.dumps({"import_seconds": import_seconds, "seconds": seconds}))
"""


def kept_work_dir(model: str, extra: list[str], out: Path) -> tuple[Path, dict[str, Any]]:
    """hub-convert's work directory for ``model`` (TFLite float32/dynamic/float16, no latency,
    kept by --debug) and its report."""
    command = [str(BIN / "hub-convert"), "convert", model, "-o", str(out), "--targets", "tflite"]
    command += ["--tflite-variants", "float32,dynamic,float16", "--latency-runs", "0", "--debug"]
    done = subprocess.run(
        [*command, *extra], capture_output=True, text=True, env=ENV, cwd=ROOT, check=False
    )
    kept = KEPT.search(done.stderr)
    if kept is None or not (out / "report.json").exists():
        raise SystemExit(f"hub-convert failed on {model} (exit {done.returncode}):\n{done.stderr}")
    return Path(kept[1]), json.loads((out / "report.json").read_text())


def judge(path: Path, work: Path, tolerance: dict[str, Any]) -> dict[str, Any]:
    """One file against the original's outputs on the run's samples, as hub-convert judges."""
    import time

    from hub_convert.convert.device.xnnpack import xnnpack_coverage
    from hub_convert.convert.samples import Samples
    from hub_convert.convert.targets.tflite_file import (
        constant_tensor_types,
        flex_ops,
        operator_counts,
    )
    from hub_convert.convert.targets.tflite_runner import load
    from hub_convert.convert.validate import compare_outputs, status_from_drift
    from hub_convert.report.artifact import Tolerance

    samples = Samples.load(work / "samples.npz")
    counts = operator_counts(path)
    result: dict[str, Any] = {
        "size_bytes": path.stat().st_size,
        "operators": counts,
        "flex": flex_ops(counts),
        "weight_types": constant_tensor_types(path),
    }
    try:
        run = load(path)
        outputs = [run(sample) for sample in samples.inputs]
    except Exception as exc:  # what the comparison is for: a file LiteRT refuses
        result["status"] = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
        return result
    drift = compare_outputs(samples, outputs, Tolerance.model_validate(tolerance))
    result["status"] = status_from_drift(drift)[0]
    result["cosine"] = min((d.cosine for d in drift if d.cosine is not None), default=None)
    result["max_abs"] = max((d.max_abs for d in drift if d.max_abs is not None), default=None)
    coverage = xnnpack_coverage(path)
    result["xnnpack"] = f"{coverage.delegated_ops}/{coverage.total_ops}"
    timings = []
    for _ in range(3):
        for sample in samples.inputs[:2]:
            began = time.perf_counter()
            run(sample)
            timings.append(time.perf_counter() - began)
    result["latency_ms"] = statistics.median(timings) * 1000
    return result


def compare(model: str, repeats: int, extra: list[str], out: Path) -> dict[str, Any]:
    """Both ways for ``model``: times (medians of interleaved rounds) and each file judged."""
    work, report = kept_work_dir(model, extra, out)
    try:
        done = subprocess.run(
            [sys.executable, "-c", TIME_BOTH, str(work), str(repeats), json.dumps(WAYS)],
            capture_output=True,
            text=True,
            env=ENV,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"timing failed on {model}:\n{done.stderr[-3000:]}")
        timed = json.loads(done.stdout.strip().splitlines()[-1])
        tolerances = {a["variant"]: a["tolerance"] for a in report["artifacts"]}
        float32 = next(a for a in report["artifacts"] if a["variant"] == "float32")
        files: dict[str, Any] = {"float32": {"status": float32["status"]}}
        for variant, way, tag in WAYS:
            path = work / f"compare_{tag}_{variant}.tflite"
            judged = judge(path, work, tolerances[variant])
            judged["seconds"] = statistics.median(timed["seconds"][f"{way}|{variant}"])
            judged["runs"] = timed["seconds"][f"{way}|{variant}"]
            files[f"{way}|{variant}"] = judged
            shutil.copy(path, out / path.name)  # kept beside hub-convert's files, to look at
        return {
            "model": model,
            "repeats": repeats,
            "import_seconds": timed["import_seconds"],
            "float32": f"{float32['status']}, converted in {float32['conversion_seconds']} s",
            "files": files,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _ops_only_in(one: dict[str, int], other: dict[str, int]) -> str:
    extra = sorted(set(one) - set(other))
    return ", ".join(extra) or "none"


def markdown(result: dict[str, Any]) -> str:
    """The side-by-side table of one model."""
    files = result["files"]
    lines = [
        f"**{Path(result['model']).name}**: dynamic and float16 from the SavedModel (TF "
        f"converter) or from the float32 file (ai-edge-quantizer), median of "
        f"{result['repeats']} interleaved round(s); ai-edge-quantizer's import "
        f"{result['import_seconds']:.2f} s once per process; hub-convert's float32 file: "
        f"{result['float32']}:",
        "",
        "| variant | made by | seconds | size | ops not in TF's file | weights "
        "| verdict | worst cosine | max abs | XNNPACK | latency |",
        "|---|---|---:|---:|---|---|---|---:|---:|---:|---:|",
    ]
    for variant, way, _ in WAYS:
        f = files[f"{way}|{variant}"]
        g = files[f"TF converter|{variant}"]
        cosine = f"{f['cosine']:.7f}" if f.get("cosine") is not None else "–"
        max_abs = f"{f['max_abs']:.2e}" if f.get("max_abs") is not None else "–"
        latency = f"{f['latency_ms']:.2f} ms" if "latency_ms" in f else "–"
        weights = ", ".join(f"{k} {v}" for k, v in f["weight_types"].items())
        lines.append(
            f"| {variant} | {way} | {f['seconds']:.2f} s | {f['size_bytes'] / 2**20:.2f} MiB "
            f"| {_ops_only_in(f['operators'], g['operators'])} | {weights} "
            f"| {f['status']} | {cosine} | {max_abs} | {f.get('xnnpack', '–')} | {latency} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--out", type=Path, default=Path("/tmp/hub-convert-quantizer-compare"))
    args, extra = parser.parse_known_args()  # the rest: hub-convert's options
    shutil.rmtree(args.out, ignore_errors=True)
    result = compare(args.model, args.repeats, extra, args.out)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result) + "\n")


if __name__ == "__main__":
    main()
