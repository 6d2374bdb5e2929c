"""Setting up a build's run folder: a new folder gets the resolved ``config.yaml``; an existing one
is resumed only when it was started with the same config (the layout: ``kinyu.base.layout.CorpusRun``)."""

from __future__ import annotations

import shutil

import yaml

from kinyu.base.config import dump_yaml
from kinyu.base.layout import CorpusRun
from kinyu.base.runs import atomic_write_text
from kinyu.corpus.config import CorpusConfig


class RunFolderError(ValueError):
    """An output folder that this build may not write into (another config's run, or not a run)."""


def prepare_run(cfg: CorpusConfig, overwrite: bool = False) -> CorpusRun:
    """Create the run folder, or check that an existing one was started with the same config."""
    run = CorpusRun(cfg.output)
    config_text = dump_yaml(cfg)
    if run.path.exists() and overwrite:
        shutil.rmtree(run.path)
    if run.config.is_file():
        before = yaml.safe_load(run.config.read_text(encoding="utf-8"))
        now = yaml.safe_load(config_text)
        # the output depends on the executor's task count only: resuming with more or fewer
        # workers, or on another executor (a local run finished on Slurm), is fine; any other
        # change would mix two configs in one folder
        before["executor"] = {"tasks": before["executor"].get("tasks")}
        now["executor"] = {"tasks": now["executor"].get("tasks")}
        if before != now:
            changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
            raise RunFolderError(
                f"{run.path} was built with a different config (sections {changed} differ; see {run.config}); resuming "
                "would mix outputs. Use another --output, or --overwrite to start this folder again."
            )
    elif run.path.exists() and any(run.path.iterdir()):
        raise RunFolderError(f"{run.path} exists and is not a kinyu corpus run; choose another --output")
    run.path.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run.config, config_text)
    return run
