"""Run one contender process and measure it from outside: RSS samples, CPU, wall time.

A sampler thread reads the RSS of the process and all its descendants with psutil every
``SAMPLE_SECONDS``; CPU of the whole tree (start-up included) comes from
``getrusage(RUSAGE_CHILDREN)`` around the run, which counts every descendant once reaped.
The crawl window, in-crawl CPU and progress come from inside (``contenders/stats.py``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.2


@dataclass
class ProcessRun:
    """What was seen from outside one contender run."""

    command: list[str]
    returncode: int
    wall_s: float
    tree_cpu_s: float
    #: (wall time, RSS bytes of the whole tree, {pid: RSS bytes})
    samples: list[tuple[float, int, dict[int, int]]] = field(default_factory=list)
    timed_out: bool = False

    def peak_rss(self, pids: set[int] | None = None) -> int:
        """Return the peak RSS in bytes of ``pids`` (the largest of them), or of the tree."""
        if not pids:
            return max((s[1] for s in self.samples), default=0)
        return max((rss for _, _, per in self.samples for pid, rss in per.items() if pid in pids),
                   default=0)  # fmt: skip

    def peak_rss_until(self, until: float, pids: set[int]) -> int:
        """Return the peak RSS of ``pids`` among samples taken up to wall time ``until``."""
        return max(
            (rss for t, _, per in self.samples if t <= until for pid, rss in per.items()
             if pid in pids),
            default=0,
        )  # fmt: skip


def _sample(root: psutil.Process, out: list, stop: threading.Event) -> None:
    while not stop.is_set():
        per: dict[int, int] = {}
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        for proc in procs:
            try:
                per[proc.pid] = proc.memory_info().rss
            except psutil.Error:
                pass
        if per:
            out.append((time.time(), sum(per.values()), per))
        stop.wait(SAMPLE_SECONDS)


def run_process(
    command: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float
) -> ProcessRun:
    """Run ``command`` to completion (killed after ``timeout`` s), sampling its RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    samples: list = []
    stop = threading.Event()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        sampler = threading.Thread(
            target=_sample, args=(psutil.Process(process.pid), samples, stop), daemon=True
        )
        sampler.start()
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, 15)  # the contender's own process group, started above
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        stop.set()
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ProcessRun(command, process.returncode, time.monotonic() - started, cpu, samples,
                      timed_out)  # fmt: skip


def read_crawl_stats(stats_dir: Path) -> list[dict]:
    """Return the records the ``BenchStats`` extension wrote, one per crawling process."""
    return [json.loads(p.read_text()) for p in sorted(stats_dir.glob("stats-*.json"))]


def directory_bytes(path: Path) -> int:
    """Return the total size of the files under ``path`` (0 when it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
