"""Checkpoint files a resume can trust: their sizes and sha256 at save, checked before anything is loaded.

``checksums.json`` is written last into the staging folder (before it is renamed into place), so a
checkpoint without one is not complete. A resume checks every file of the checkpoint against it
(sizes and the listing before any work, the sha256s split across the ranks once they are up), and
scans every torch file of ``deepspeed/`` for pickled globals (without unpickling it) and
refuses any beyond the few classes DeepSpeed's own optimiser state holds; only then is the folder
handed to DeepSpeed, whose loader calls ``torch.load(weights_only=False)``: ``weights_only_loading``
makes that a ``weights_only=True`` load too. Nothing here imports DeepSpeed (``check_inputs`` runs
before the accelerator is chosen).
"""

from __future__ import annotations

import importlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import torch

from kinyu.base.layout import Checkpoint, TrainRun
from kinyu.base.runs import atomic_write_json, sha256_file

# what DeepSpeed's checkpoints pickle besides tensors and plain containers (ZeRO 1-3, fp32 and bf16, as saved
# by DeepSpeed 0.19): torch.load(weights_only=True) accepts these and nothing else
DEEPSPEED_GLOBALS = (
    "deepspeed.runtime.zero.config.ZeroStageEnum",
    "deepspeed.utils.tensor_fragment.fragment_address",
    "deepspeed.runtime.fp16.loss_scaler.LossScaler",
    "deepspeed.runtime.fp16.loss_scaler.DynamicLossScaler",
)


def _files(ckpt: Checkpoint) -> list[str]:
    """Every file of the checkpoint but checksums.json, as sorted POSIX paths relative to it."""
    found = (p for p in ckpt.path.rglob("*") if p.is_file() or p.is_symlink())
    return sorted(p.relative_to(ckpt.path).as_posix() for p in found if p != ckpt.checksums)


def file_checksums(ckpt: Checkpoint, rank: int = 0, world: int = 1) -> dict[str, dict]:
    """{file: {"bytes", "sha256"}} of every ``world``-th file from ``rank`` (the ranks of a run share the hashing)."""
    return {rel: {"bytes": (ckpt.path / rel).stat().st_size, "sha256": sha256_file(ckpt.path / rel)}
            for rel in _files(ckpt)[rank::world]}


def write_checksums(ckpt: Checkpoint, files: dict[str, dict] | None = None) -> None:
    """Record the size and sha256 of every file (``files`` when the ranks computed them; call it last, once
    everything else is written)."""
    files = file_checksums(ckpt) if files is None else files
    atomic_write_json(ckpt.checksums, {"algorithm": "sha256", "files": dict(sorted(files.items()))})


def _listed(ckpt: Checkpoint) -> dict[str, dict] | str:
    """checksums.json's {file: {"bytes", "sha256"}}, or what is wrong with it."""
    if not ckpt.checksums.is_file():
        return (f"{ckpt.checksums} is missing: the checkpoint is incomplete (or was written before kinyu "
                "recorded checksums), so its files cannot be checked")
    try:
        listed = json.loads(ckpt.checksums.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        listed = None
    well_formed = isinstance(listed, dict) and all(
        isinstance(v, dict) and isinstance(v.get("bytes"), int) and isinstance(v.get("sha256"), str)
        and not Path(rel).is_absolute() and ".." not in Path(rel).parts for rel, v in listed.items())
    return listed if well_formed else f"{ckpt.checksums} is damaged (not the JSON kinyu writes)"


def listing_problem(ckpt: Checkpoint) -> str | None:
    """The cheap half of the check: checksums.json there and whole, every file it lists there at its size,
    no file it does not list. The first problem, or None."""
    listed = _listed(ckpt)
    if isinstance(listed, str):
        return listed
    for rel, want in sorted(listed.items()):
        path = ckpt.path / rel
        if path.is_symlink() or not path.is_file():
            return f"{path} is missing" if not path.is_symlink() else f"{path} is a link, not the file that was saved"
        size = path.stat().st_size
        if size != want["bytes"]:
            cut = "truncated" if size < want["bytes"] else "longer than it was"
            return f"{path} is {cut}: {size:,} bytes, {want['bytes']:,} when saved"
    extra = sorted(set(_files(ckpt)) - set(listed))
    if extra:
        return f"{ckpt.path / extra[0]} was not written by the save (not in checksums.json)"
    return None


def hash_problem(ckpt: Checkpoint, rank: int = 0, world: int = 1) -> str | None:
    """The sha256 half (after listing_problem passed): the first listed file whose content changed, among the
    files this rank hashes (every ``world``-th from ``rank``: the ranks of a run share the reading)."""
    listed = _listed(ckpt)
    if isinstance(listed, str):
        return listed
    for rel, want in sorted(listed.items())[rank::world]:
        if sha256_file(ckpt.path / rel) != want["sha256"]:
            return f"{ckpt.path / rel} changed since it was saved (its sha256 differs; same size)"
    return None


def checksum_problem(ckpt: Checkpoint) -> str | None:
    """What is wrong with the files of ``ckpt`` against its checksums.json (the first problem), or None."""
    return listing_problem(ckpt) or hash_problem(ckpt)


def pickle_problem(ckpt: Checkpoint) -> str | None:
    """A torch file of deepspeed/ that is not a whole torch file, or that pickles anything beyond tensors,
    plain containers and DEEPSPEED_GLOBALS. Scanned, not unpickled: nothing in the file runs."""
    for path in sorted(ckpt.deepspeed.rglob("*.pt")):
        try:
            unsafe = set(torch.serialization.get_unsafe_globals_in_checkpoint(path)) - set(DEEPSPEED_GLOBALS)
        except Exception as e:  # noqa: BLE001 - any failure to read the archive: cut off, not a torch file
            return f"{path} is not a complete torch file ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
        if unsafe:
            return (f"{path} pickles {', '.join(sorted(unsafe))}, which torch.load(weights_only=True) refuses "
                    "(loading it could run code; kinyu never writes it)")
    return None


def previous_good(run: TrainRun, before: Checkpoint) -> Checkpoint | None:
    """The newest resumable checkpoint older than ``before`` whose files all verify."""
    for ckpt in reversed([c for c in run.list_checkpoints() if c.step < before.step]):
        if ckpt.deepspeed.is_dir() and checksum_problem(ckpt) is None and pickle_problem(ckpt) is None:
            return ckpt
    return None


def resume_problem(run: TrainRun, ckpt: Checkpoint) -> str | None:
    """The checks before any work (no hashing: ``hash_problem`` runs on every rank's share before the load): one
    line on why ``ckpt`` must not be resumed and what to resume from instead, or None."""
    problem = listing_problem(ckpt) or pickle_problem(ckpt)
    return None if problem is None else refusal(run, ckpt, problem)


def refusal(run: TrainRun, ckpt: Checkpoint, problem: str) -> str:
    """The one line that refuses ``ckpt`` for ``problem`` and names the newest earlier checkpoint that verifies."""
    good = previous_good(run, ckpt)
    fix = (f"the previous checkpoint {good.name} verifies: resume from it with `kinyu train --resume {run.path} "
           f"--resume-from {good.name}` (and delete {ckpt.path} if it cannot be repaired)" if good is not None
           else "no earlier checkpoint of this run verifies: start the run again")
    return f"--resume {run.path}: checkpoint {ckpt.name} is damaged, not loaded: {problem}; {fix}"


def _deepspeed_classes() -> list:
    classes = []
    for name in DEEPSPEED_GLOBALS:
        module, _, attr = name.rpartition(".")
        try:
            classes.append(getattr(importlib.import_module(module), attr))
        except (ImportError, AttributeError):  # another DeepSpeed version: it does not pickle what it lacks
            pass
    return classes


@contextmanager
def weights_only_loading() -> Iterator[None]:
    """Every torch.load inside (DeepSpeed's ``weights_only=False`` ones too) is a ``weights_only=True`` load
    that accepts DEEPSPEED_GLOBALS."""
    before = os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD")
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    try:
        with torch.serialization.safe_globals(_deepspeed_classes()):
            yield
    finally:
        if before is None:
            os.environ.pop("TORCH_FORCE_WEIGHTS_ONLY_LOAD", None)
        else:
            os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = before
