"""A private single-node Slurm cluster on this machine, for tests: munged, slurmctld and slurmd.

Everything lives in one temporary folder (config, munge key and socket, state, spool, logs) and
talks on free loopback ports, so a system Slurm or munge, if any, is left alone. Needs Debian's
``slurm-wlm`` and ``munge`` and root (SlurmUser=root: jobs run as the user who submits them).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# the daemons are in sbin, which a non-login PATH may lack
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")


def missing_binaries() -> list[str]:
    return [name for name in DAEMONS if shutil.which(name, path=SEARCH_PATH) is None]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _real_memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 * 9 // 10  # slurmd drains a node that claims more than it has
    raise RuntimeError("no MemTotal in /proc/meminfo")


SLURM_CONF = """\
ClusterName=kinyu-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
MailProg=/bin/true
# a container has no cgroups: track job processes by parent pid, no task binding, no accounting
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# FIFO with a scheduling pass on every submit and job end; a failed job cancels its dependents
SchedulerType=sched/builtin
SchedulerParameters=kill_invalid_depend
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName={partition} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


@dataclass
class SlurmCluster:
    root: Path
    conf: Path
    partition: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def command(self, *args: str, check: bool = True) -> str:
        """Run a Slurm client command (squeue, sinfo, scontrol, sbatch ...) against this cluster."""
        proc = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout

    def queued_jobs(self) -> list[str]:
        """``JOBID NAME STATE REASON`` of every job still pending or running."""
        return [line for line in self.command("squeue", "-h", "-o", "%i %j %T %r").splitlines() if line.strip()]

    def wait_until_empty(self, timeout: float) -> None:
        """Block until no job is pending or running; raise with the queue after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while jobs := self.queued_jobs():
            if time.monotonic() > deadline:
                raise TimeoutError(f"Slurm jobs still queued after {timeout:.0f} s:\n" + "\n".join(jobs))
            time.sleep(1)

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for log in sorted((self.root / "log").glob("*.log")):
            out.append(f"--- {log.name}")
            out.extend(log.read_text(errors="replace").splitlines()[-lines:])
        return "\n".join(out)


def _start(cluster: SlurmCluster, name: str, *args: str) -> None:
    log = open(cluster.root / "log" / f"{name}.out", "wb")
    cluster.processes[name] = subprocess.Popen(
        [shutil.which(name, path=SEARCH_PATH), *args], env=cluster.env, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()


def _wait_for(what: str, ready, cluster: SlurmCluster, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        for name, proc in cluster.processes.items():
            if proc.poll() is not None:
                out = (cluster.root / "log" / f"{name}.out").read_text(errors="replace")
                raise RuntimeError(f"{name} exited with {proc.returncode} while waiting for {what}:\n{out}\n{cluster.log_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s:\n{cluster.log_tail()}")
        time.sleep(0.5)


def _stop(cluster: SlurmCluster) -> None:
    if "slurmctld" in cluster.processes and cluster.processes["slurmctld"].poll() is None:
        # job steps (slurmstepd) are not our children: cancel them through Slurm before it goes
        cluster.command("scancel", "--partition", cluster.partition, check=False)
        try:
            cluster.wait_until_empty(timeout=30)
        except (TimeoutError, RuntimeError, subprocess.TimeoutExpired):
            pass
    for name in ("slurmd", "slurmctld", "munged"):  # reverse start order
        proc = cluster.processes.get(name)
        if proc is None or proc.poll() is not None:
            continue
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def local_slurm_cluster(partition: str = "kinyu", cpus: int | None = None) -> Iterator[SlurmCluster]:
    """Start munged, slurmctld and slurmd for ``localhost``; yield once the node is idle; stop them all.

    ``cluster.env`` (``SLURM_CONF`` set) is what clients need; the caller puts it in ``os.environ``
    for code that runs sbatch itself.
    """
    missing = missing_binaries()
    if missing:
        raise FileNotFoundError(f"Slurm/munge binaries not found: {missing} (apt-get install slurm-wlm munge)")
    # munged wants every folder above its socket searchable by all
    root = Path(tempfile.mkdtemp(prefix="kinyu-slurm-"))
    root.chmod(0o755)
    for sub in ("munge", "state", "spool", "log"):
        (root / sub).mkdir()
    (root / "munge").chmod(0o755)
    key = root / "munge.key"
    key.write_bytes(os.urandom(128))
    key.chmod(0o600)
    conf = root / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            root=root,
            ctld_port=free_port(),
            slurmd_port=free_port(),
            cpus=cpus or os.cpu_count() or 1,
            memory=_real_memory_mb(),
            partition=partition,
        )
    )
    env = {**os.environ, "SLURM_CONF": str(conf), "PATH": SEARCH_PATH}
    cluster = SlurmCluster(root=root, conf=conf, partition=partition, env=env)
    socket_path = root / "munge" / "munge.socket"
    try:
        _start(
            cluster, "munged", "--foreground", f"--socket={socket_path}", f"--key-file={key}",
            f"--pid-file={root / 'munge' / 'munged.pid'}", f"--log-file={root / 'log' / 'munged.log'}",
            f"--seed-file={root / 'munge' / 'munged.seed'}",
        )
        _wait_for("munged", socket_path.exists, cluster)
        _start(cluster, "slurmctld", "-D", "-f", str(conf))
        _wait_for("slurmctld", lambda: subprocess.run(["scontrol", "ping"], env=env, capture_output=True).returncode == 0, cluster)
        _start(cluster, "slurmd", "-D", "-f", str(conf), "-N", "localhost")
        _wait_for("node localhost", lambda: cluster.command("sinfo", "-h", "-N", "-o", "%t", check=False).strip() == "idle", cluster)
        yield cluster
    finally:
        _stop(cluster)
        shutil.rmtree(root, ignore_errors=True)
