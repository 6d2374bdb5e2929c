"""Setting up a build's run folder: a new folder gets the resolved ``config.yaml``; an existing one
is resumed only when it was started with the same config, and ``--overwrite`` removes only a
folder that is a kinyu corpus run (the layout: ``kinyu.base.layout.CorpusRun``)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import IO, Callable, Iterator

import yaml

from kinyu.base.config import dump_yaml
from kinyu.base.errors import UserError
from kinyu.base.layout import CorpusRun, manifest_stage
from kinyu.base.runs import NotARunFolder, atomic_write_text, remove_run_folder
from kinyu.corpus.config import CorpusConfig


class RunFolderError(UserError):
    """An output folder that this build may not write into (another config's run, or not a run)."""


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _saved_config(run: CorpusRun) -> dict | None:
    """The folder's ``config.yaml`` when it is a corpus build's config, else None."""
    try:
        data = yaml.safe_load(run.config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    names = {f.name for f in fields(CorpusConfig)}
    if isinstance(data, dict) and names <= set(data) and isinstance(data.get("executor"), dict):
        return data
    return None


def corpus_run_evidence(path: str | Path) -> str | None:
    """Why ``path`` is a kinyu corpus run ("its config.yaml", "its manifest.json"), or None when it is not."""
    run = CorpusRun(path)
    if run.config.is_file() and _saved_config(run) is not None:
        return f"its {run.config.name} of a corpus build"
    if manifest_stage(run.path) == "corpus":
        return f"its {run.manifest.name} of a corpus build"
    return None


def prepare_run(cfg: CorpusConfig, overwrite: bool = False, say: Callable[[str], None] = _stderr) -> CorpusRun:
    """Create the run folder, or check that an existing one was started with the same config.

    ``overwrite`` first removes the folder, only when it is a kinyu corpus run (``say`` reports
    what was removed); any other non-empty folder is refused, with or without ``overwrite``.
    """
    run = CorpusRun(cfg.output)
    config_text = dump_yaml(cfg)
    out = run.path.resolve()
    for p in cfg.input.resolved_paths():
        given = Path(p).resolve()
        if given == out or out in given.parents:
            raise RunFolderError(f"--output {run.path} holds the input {p}: the build would write into (and --overwrite "
                                 "delete) its own input. Choose an output folder outside the inputs.")
        if given.is_dir() and given in out.parents:
            raise RunFolderError(f"--output {run.path} is inside the input folder {p}: a rerun would read the run's own "
                                 "outputs as inputs. Choose an output folder outside the inputs.")
    if run.path.exists() and not run.path.is_dir():
        raise RunFolderError(f"{run.path} exists and is not a folder; choose another --output")
    evidence = corpus_run_evidence(run.path) if run.path.is_dir() else None
    if overwrite and run.path.is_dir():
        try:
            removed = remove_run_folder(run.path, evidence, "corpus run")
        except NotARunFolder as e:
            raise RunFolderError(f"{e} (--overwrite only removes kinyu corpus runs)") from None
        if removed:
            say(f"--overwrite: {removed}")
        evidence = None
    if evidence and run.config.is_file():
        before = _saved_config(run)
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
    elif evidence:
        raise RunFolderError(f"{run.path} is a corpus run without its config.yaml, so resuming it cannot be checked; "
                             "use --overwrite to start it again, or another --output")
    elif run.path.is_dir() and any(run.path.iterdir()):
        raise RunFolderError(
            f"{run.path} exists and is not a kinyu corpus run (no config.yaml or manifest.json of a corpus build); "
            "choose another --output" + (" (--overwrite removes only kinyu corpus runs)" if not overwrite else "")
        )
    run.path.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run.config, config_text)
    return run


class RunLocked(RunFolderError):
    """Another build is writing into the output folder (it holds the folder's lock)."""


def _take_lock(path: Path) -> IO | None:
    """``path`` opened and exclusively flock-ed, or None when another process holds it. The kernel
    drops a flock when its holder dies, even by ``kill -9``: a lock file nobody holds is stale."""
    f = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def _holder(path: Path) -> str:
    """Who wrote the lock file ``path``: 'pid N on host H since T (command)', or '' when unknown."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {info['pid']} on host {info['host']} since {info['started']} ({info['command']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _lock_or_refuse(run: CorpusRun) -> IO:
    held = _take_lock(run.lock)
    if held is None:
        who = _holder(run.lock) or "a process that has not said who it is yet"
        raise RunLocked(f"{run.path} is being written by another build: {who}. Wait for it to end, or use another --output")
    return held


def _sign(held: IO, run: CorpusRun, say: Callable[[str], None]) -> None:
    """Write this build into the lock file ``held``, after saying whose stale lock it takes over."""
    stale = _holder(run.lock)
    if stale:
        say(f"{run.lock}: the build that held it last ({stale}) did not finish and is gone; taking the folder over to resume it")
    held.seek(0)
    held.truncate()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    held.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started,
                           "command": " ".join(sys.argv)[:300]}) + "\n")
    held.flush()


@contextlib.contextmanager
def locked_run(cfg: CorpusConfig, overwrite: bool = False, say: Callable[[str], None] = _stderr) -> Iterator[CorpusRun]:
    """:func:`prepare_run` under the run folder's lock, held until the block ends: a second build
    into the same folder is refused at once (it neither checks nor removes a running build's folder),
    and a lock left by a killed build is taken over. The lock file stays, empty, after a clean end."""
    run = CorpusRun(cfg.output)
    held = _lock_or_refuse(run) if run.lock.is_file() else None
    try:
        run = prepare_run(cfg, overwrite, say)
        if held is None or os.fstat(held.fileno()).st_nlink == 0:  # a new folder, or --overwrite removed the lock file
            if held is not None:
                held.close()
            held = _lock_or_refuse(run)
        _sign(held, run, say)
        yield run
        held.seek(0)
        held.truncate()  # a clean end: nothing stale to report next time
    finally:
        if held is not None:
            held.close()
