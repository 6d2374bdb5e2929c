"""Measuring a command's process tree: wall time, CPU time and peak RSS (the benchmarks)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]


def run_measured(cmd: list[str], log=None) -> tuple[float, float, int, str]:
    """Run ``cmd``; (wall seconds, CPU seconds of its process tree, peak RSS in bytes of the
    largest process of the tree, stdout).

    The tree is sampled every 50 ms with psutil: datatrove's local executor starts its workers
    through a forkserver, so they are not children that ``wait4``/``RUSAGE_CHILDREN`` would see.
    CPU is each process's last sampled user+system time (the last <50 ms of a process is missed).
    """
    out = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=log, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    root = psutil.Process(proc.pid)
    peak_rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in tree:
            try:
                with p.oneshot():
                    rss, times = p.memory_info().rss, p.cpu_times()
            except psutil.Error:
                continue
            peak_rss[p.pid] = max(peak_rss.get(p.pid, 0), rss)
            cpu[p.pid] = times.user + times.system
        time.sleep(0.05)
    proc.wait()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}); see the log")
    out.seek(0)
    return wall, sum(cpu.values()), max(peak_rss.values(), default=0), out.read().decode()
