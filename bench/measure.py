"""Measuring a command: wall time, CPU of its process tree, and the peaks of its tree's summed
RSS and PSS, sampled in a thread with psutil."""

from __future__ import annotations

import contextlib
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass
class Sample:
    """One run of a command (or of several in turn): its wall time, CPU and memory peaks."""

    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    peak_pss_bytes: int


class TreeMemory:
    """Peak RSS and peak PSS, each summed over a process and all its descendants, sampled in
    a thread.

    RSS counts a page every process maps in each of them: the shared libraries TensorFlow
    loads (330 MB of pages in a worker that imported it) are counted once per process. PSS
    splits each shared page between the processes that map it, so its sum is the memory the
    machine holds; for one process at a time (the bare pair) the two are the same.

    Reading a TensorFlow process's PSS costs about 9 ms of CPU (its smaps), its RSS 0.01 ms:
    PSS is read every ``pss_every``-th sample only, so that the sampler does not take a
    quarter of a core from the command it measures.
    """

    def __init__(self, pid: int, interval: float = 0.05, pss_every: int = 10) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.peak_pss = 0
        self.pss_every = pss_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sample = 0
        while not self._stop.is_set():
            with_pss = sample % self.pss_every == 0
            sample += 1
            total = total_pss = 0
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                processes = []
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    if with_pss:
                        memory = process.memory_full_info()
                        total += memory.rss
                        total_pss += memory.pss
                    else:
                        total += process.memory_info().rss
            self.peak = max(self.peak, total)
            self.peak_pss = max(self.peak_pss, total_pss)
            self._stop.wait(self.interval)

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self._thread.join()
        return self.peak, self.peak_pss


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(commands: list[list[str]], log: Path, env: dict[str, str], cwd: Path) -> Sample:
    """Run ``commands`` one after another; wall and CPU summed, memory the largest peak."""
    wall = cpu = 0.0
    peak = peak_pss = 0
    for argv in commands:
        cpu_before = _children_cpu()
        started = time.perf_counter()
        with log.open("ab") as out:
            process = subprocess.Popen(argv, stdout=out, stderr=out, env=env, cwd=cwd)
            memory = TreeMemory(process.pid)
            code = process.wait()
        wall += time.perf_counter() - started
        rss, pss = memory.stop()
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        cpu += _children_cpu() - cpu_before
        if code != 0:
            raise SystemExit(f"{' '.join(argv)} failed (exit {code}); see {log}")
    return Sample(wall, cpu, peak, peak_pss)
