"""Big models end to end: build a SavedModel (a stack of dense layers) of about SIZE gigabytes
of float32 weights, run ``hub-convert convert`` on it, and print the wall time, the peak memory
summed over the run's processes, and what happened to every artifact. Never part of
``make test`` (``make big``).

Memory is sampled every 0.25 s over hub-convert and all its descendants: the sum of their
resident sets (RSS, which counts a shared library once per process) and of their proportional
sets (PSS, which shares such pages among the processes: what the machine really spends).

Usage: python bench/big_model.py [--size-gb 1.0] [--keep DIR] [-- HUB_CONVERT_OPTIONS...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
GIB = 1 << 30

# A stack of square dense layers: each WIDTH x WIDTH float32 kernel is 256 MiB. A tf.Module,
# not a Keras model: Keras 3's model.export() writes every variable twice (2 GiB on disk for
# 1 GiB of weights).
BUILD_SNIPPET = """
import sys
import tensorflow as tf
layers, width, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

class Stack(tf.Module):
    def __init__(self):
        super().__init__()
        def init(shape, i):  # a seed per layer: identical kernels would be deduplicated
            return tf.random.stateless_normal(shape, seed=[i, 0], stddev=width**-0.5)
        self.kernels = [
            tf.Variable(init((width, width), i), name=f"kernel_{i}") for i in range(layers)
        ]
        self.head = tf.Variable(init((width, 10), layers), name="head")

    @tf.function(input_signature=[tf.TensorSpec([None, width], tf.float32, name="features")])
    def serve(self, features):
        x = features
        for kernel in self.kernels:
            x = tf.nn.relu(tf.matmul(x, kernel))
        return {"logits": tf.matmul(x, self.head)}

stack = Stack()
tf.saved_model.save(stack, out, signatures={"serving_default": stack.serve})
"""
WIDTH = 8192


def build(directory: Path, size_gb: float) -> None:
    layers = max(1, math.ceil(size_gb * GIB / (WIDTH * WIDTH * 4)))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run(
        [sys.executable, "-c", BUILD_SNIPPET, str(layers), str(WIDTH), str(directory)],
        check=True,
        env=env,
    )


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss_pss(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss


class Sampler(threading.Thread):
    """The peak, over time, of the summed RSS and PSS of a process tree."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_rss = self.peak_pss = self.peak_processes = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            pids = _descendants(self.root)
            sizes = [_rss_pss(pid) for pid in pids]
            self.peak_rss = max(self.peak_rss, sum(r for r, _ in sizes))
            self.peak_pss = max(self.peak_pss, sum(p for _, p in sizes))
            self.peak_processes = max(self.peak_processes, len(pids))
            self.stopped.wait(0.25)


def convert(model: Path, output: Path, options: list[str]) -> dict[str, object]:
    argv = [str(BIN / "hub-convert"), "convert", str(model), "-o", str(output), *options]
    started = time.perf_counter()
    process = subprocess.Popen(argv)
    sampler = Sampler(process.pid)
    sampler.start()
    code = process.wait()
    wall = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    return {
        "exit": code,
        "wall_s": round(wall, 1),
        "peak_rss_sum_gib": round(sampler.peak_rss / GIB, 2),
        "peak_pss_sum_gib": round(sampler.peak_pss / GIB, 2),
        "processes": sampler.peak_processes,
    }


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the model here, keep it")
    parser.add_argument("options", nargs="*", help="hub-convert options, after --")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hub-convert-big-"))
    try:
        model = args.keep or work / "big_model"
        if not (model / "saved_model.pb").exists():
            started = time.perf_counter()
            build(model, args.size_gb)
            print(f"built {model} in {time.perf_counter() - started:.0f} s", flush=True)
        print(f"model: {tree_bytes(model) / GIB:.2f} GiB on disk", flush=True)
        output = work / "out"
        result = convert(model, output, args.options)
        report_path = output / "report.json"
        if report_path.exists():
            report = json.loads(report_path.read_text())
            result["artifacts"] = [
                {
                    "artifact": f"{a['target']} {a['variant']}",
                    "status": a["status"],
                    "size_gib": round((a.get("size_bytes") or 0) / GIB, 3),
                    "reason": (a.get("reason") or "")[:300],
                }
                for a in report["artifacts"]
            ]
            result["files"] = sorted(p.name for p in output.iterdir())
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a kept model lives in --keep, outside it


if __name__ == "__main__":
    main()
