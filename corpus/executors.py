"""The executor that runs one stage of a build: datatrove's local, Ray or Slurm executor, as
``executor.kind`` says, logging into the run's ``logs/<stage>/`` (its completion markers make a
killed build resume where it stopped)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor, RayPipelineExecutor, SlurmPipelineExecutor

from kinyu.base.config import ConfigError
from kinyu.base.layout import CorpusRun
from kinyu.corpus.config import CorpusConfig


@dataclass
class Stage:
    """One datatrove pipeline of a build and the number of tasks it is split into."""

    name: str
    pipeline: list
    tasks: int


def make_executor(cfg: CorpusConfig, stage: Stage, run: CorpusRun, depends=None):
    """The executor of ``stage``; ``depends``: the previous stage's executor (Ray and Slurm)."""
    logging_dir = str(run.stage_logs(stage.name))
    e = cfg.executor
    workers = min(e.workers, stage.tasks)
    common = dict(tasks=stage.tasks, workers=workers, logging_dir=logging_dir, depends=depends)
    if e.kind == "local":
        return LocalPipelineExecutor(stage.pipeline, **common)
    if e.kind == "ray":
        if e.ray_address is not None:
            connect_ray(e.ray_address)
        # unset: datatrove's first Ray call starts a local Ray in this process (or uses one already started)
        return RayPipelineExecutor(stage.pipeline, cpus_per_task=e.ray_cpus_per_task, **common)
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
