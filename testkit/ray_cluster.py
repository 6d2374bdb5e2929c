"""A one-node Ray cluster (``ray start --head``) on this machine for tests, stopped afterwards.

``ray start --block`` runs as our child in its own process group: stopping it stops the Ray
processes it started (and only those; ``ray stop`` would stop every Ray on the machine).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testkit.slurm import free_port


def ray_binary() -> str | None:
    """The ``ray`` CLI of this interpreter's environment (the venv may not be on PATH)."""
    beside = Path(sys.executable).with_name("ray")
    return str(beside) if beside.is_file() else shutil.which("ray")


@contextmanager
def local_ray_head(cpus: int = 2, env: dict[str, str] | None = None, timeout: float = 120) -> Iterator[str]:
    """Start a Ray head on this machine; yield its address (``HOST:PORT``) once it accepts drivers;
    stop it and its processes.

    ``env`` becomes the environment of the head and so of its workers (e.g. a PYTHONPATH).
    """
    ray = ray_binary()
    if ray is None:
        raise FileNotFoundError("the ray CLI was not found (pip install 'kinyu[ray]')")
    temp_dir = tempfile.mkdtemp(prefix="kray-")  # short: Ray's AF_UNIX socket paths live under it
    port = free_port()
    # no token auth (recent Rays turn it on when ~/.ray/auth_token exists): a driver reads its token
    # mode when `import ray` runs, which in a shared pytest process may have happened long before
    env = {**(env if env is not None else os.environ), "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    # every listening port chosen free, so that another Ray on the machine (default ports) is no obstacle
    command = [
        ray, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port),
        "--num-cpus", str(cpus), "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", temp_dir,
        "--ray-client-server-port", str(free_port()), "--dashboard-port", str(free_port()),
        "--dashboard-agent-listen-port", str(free_port()), "--dashboard-agent-grpc-port", str(free_port()),
        "--min-worker-port", "0", "--max-worker-port", "0",
    ]
    log_path = Path(temp_dir) / "ray-start.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while "Ray runtime started" not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray start --head did not come up:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        _stop(proc)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # `ray start --block` then stops what it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of this head only: its own process group
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait()
