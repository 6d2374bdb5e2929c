"""The executor that runs one stage of a build: datatrove's local, Ray or Slurm executor, as
``executor.kind`` says, logging into the run's ``logs/<stage>/`` (its completion markers make a
killed build resume where it stopped).

Quiet by default: what datatrove prints to the console (loguru's console sink, added in every
task, and the executor's own messages) goes to ``logs/<stage>/console.log`` instead, beside the
task logs datatrove writes anyway (``logs/<stage>/logs/task_NNNNN.log``); ``quiet=False`` (the
CLI's ``-v``) prints it as datatrove does. Ctrl-C belongs to the process that started the build:
the local executor's worker processes and Ray's ignore SIGINT, so that one Ctrl-C stops the build
with one message instead of a traceback per process (the parent ends the workers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import multiprocess.util
from datatrove.executor import LocalPipelineExecutor, RayPipelineExecutor, SlurmPipelineExecutor
from datatrove.utils.logging import logger, setup_default_logger

from kinyu.base.config import ConfigError
from kinyu.base.layout import CorpusRun
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.extract.limits import die_with_parent


CONSOLE_LOG = "console.log"  # below a stage's logging dir: what datatrove would have printed


@dataclass
class Stage:
    """One datatrove pipeline of a build and the number of tasks it is split into; ``progress``:
    what its progress display counts (``files``, ``docs``, or ``tasks`` when no step reports)."""

    name: str
    pipeline: list
    tasks: int
    progress: str = "tasks"


@contextlib.contextmanager
def console_to_file(path: str | Path):
    """Send this process's ``sys.stderr`` and loguru's console output to ``path`` (appended) for
    the duration; a loguru sink datatrove adds meanwhile (``add_task_logger``) writes there too."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = sys.stderr
    f = open(path, "a", encoding="utf-8", buffering=1)
    sys.stderr = f
    logger.remove()
    setup_default_logger()  # datatrove's console sink, now on the file
    try:
        yield
    finally:
        sys.stderr = saved
        logger.remove()
        setup_default_logger()  # back on the console
        # on a full disk closing fails too: the error the block raised is the one to report
        with contextlib.suppress(OSError):
            f.close()


class _TaskConsole:
    """What each task of a kinyu build does besides datatrove's: in a worker process (not the one
    that started the build), ignore Ctrl-C and, when ``quiet``, print to ``logs/<stage>/console.log``."""

    def _kinyu_setup(self, quiet: bool) -> None:
        self.kinyu_quiet = quiet
        self.kinyu_driver_pid = os.getpid()

    @contextlib.contextmanager
    def _worker_console(self):
        if os.getpid() == getattr(self, "kinyu_driver_pid", os.getpid()) or getattr(self, "_kinyu_in_task", False):
            yield  # the process that started the build has set its console up already (or an outer call did)
            return
        with contextlib.suppress(ValueError):  # not the main thread of the worker: Ray handles its signals
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        self._kinyu_in_task = True
        try:
            if self.kinyu_quiet:
                with console_to_file(self.logging_dir.resolve_paths(CONSOLE_LOG)):
                    yield
            else:
                yield
        finally:
            self._kinyu_in_task = False

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        with self._worker_console():
            return super()._run_for_rank(rank, local_rank, node_rank)


class _ForkedDieWithBuild:
    """The owner of a ``multiprocess`` after-fork hook (its registry holds weak references)."""

    def __init__(self):
        self.parent_pid = os.getpid()


def _forked_die_with_build(owner: _ForkedDieWithBuild) -> None:
    die_with_parent(owner.parent_pid)


_FORK_HOOK: _ForkedDieWithBuild | None = None


def children_die_with_build() -> None:
    """Every process ``multiprocess`` forks from this one dies with it: datatrove's executor forks
    its Manager server so, which outlived a ``kill -9`` of the build (and held the run folder's
    lock, inherited with the fork, so that the rerun was refused)."""
    global _FORK_HOOK
    if _FORK_HOOK is None or _FORK_HOOK.parent_pid != os.getpid():
        _FORK_HOOK = _ForkedDieWithBuild()
        multiprocess.util.register_after_fork(_FORK_HOOK, _forked_die_with_build)


class LocalExecutor(_TaskConsole, LocalPipelineExecutor):
    """datatrove's ``LocalPipelineExecutor`` with the console handling of a kinyu build, whose
    processes die with the build (the pool's workers and the Manager datatrove starts)."""

    def __init__(self, *args, quiet: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self._kinyu_setup(quiet)

    def run(self):
        children_die_with_build()
        return super().run()

    def _launch_run_for_rank(self, rank: int, ranks_q, completed=None, completed_lock=None):
        if os.getpid() != self.kinyu_driver_pid:
            # a pool worker, forked by multiprocess's forkserver: that server ends when the build
            # does, and then this worker (and its extraction child, which dies with it)
            die_with_parent()
        with self._worker_console():  # also its "N/M tasks completed" line, logged after the task
            return super()._launch_run_for_rank(rank, ranks_q, completed, completed_lock)


class RayExecutor(_TaskConsole, RayPipelineExecutor):
    """datatrove's ``RayPipelineExecutor`` with the console handling of a kinyu build."""

    def __init__(self, *args, quiet: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self._kinyu_setup(quiet)


def make_executor(cfg: CorpusConfig, stage: Stage, run: CorpusRun, depends=None, quiet: bool = True):
    """The executor of ``stage``; ``depends``: the previous stage's executor (Ray and Slurm);
    ``quiet``: datatrove's console output to ``logs/<stage>/console.log`` (local and Ray; a Slurm
    task logs into ``logs/<stage>/slurm_logs/`` anyway)."""
    logging_dir = str(run.stage_logs(stage.name))
    e = cfg.executor
    workers = min(e.workers, stage.tasks)
    common = dict(tasks=stage.tasks, workers=workers, logging_dir=logging_dir, depends=depends)
    if e.kind == "local":
        return LocalExecutor(stage.pipeline, quiet=quiet, **common)
    if e.kind == "ray":
        if e.ray_address is not None:
            connect_ray(e.ray_address)
        # unset: datatrove's first Ray call starts a local Ray in this process (or uses one already started)
        return RayExecutor(stage.pipeline, cpus_per_task=e.ray_cpus_per_task, quiet=quiet, **common)
    return SlurmPipelineExecutor(
        stage.pipeline,
        time=e.slurm_time,
        partition=e.slurm_partition,
        cpus_per_task=e.slurm_cpus_per_task,
        mem_per_cpu_gb=e.slurm_mem_per_cpu_gb,
        job_name=f"{e.slurm_job_name}-{stage.name}",
        qos="",  # datatrove would ask for a QOS named "normal", which many clusters lack; set one in slurm_sbatch_args
        sbatch_args=dict(e.slurm_sbatch_args),
        venv_path=slurm_activate_script(e.slurm_venv),
        **common,
    )


def slurm_activate_script(venv: str | None) -> str | None:
    """The ``bin/activate`` each Slurm job sources: of ``venv``, or else of the venv running kinyu
    (None outside a venv: the jobs then rely on the PATH that sbatch exports)."""
    if venv is None:
        if sys.prefix == sys.base_prefix:
            return None
        venv = sys.prefix
    path = Path(venv).expanduser().resolve()
    script = path / "bin" / "activate" if path.is_dir() else path
    if not script.is_file():
        raise ConfigError(f"executor.slurm_venv: {venv} is neither a venv folder nor its bin/activate script")
    return str(script)


def connect_ray(address: str) -> None:
    """Attach this process to the Ray cluster at ``address`` before datatrove submits to it
    (a Ray this process has already joined is kept)."""
    import ray  # optional extra: kinyu[ray]

    if not ray.is_initialized():
        ray.init(address=address)
