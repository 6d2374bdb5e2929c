"""The run folders' layouts: every file and folder name a stage writes, and the stages after it read.

One owner for each name, so a stage never spells another's folders:

CORPUS_RUN (``kinyu corpus build``) :class:`CorpusRun`::

    config.yaml  manifest.json  report.html  quarantine.jsonl
    docs/                    kept documents, ``${rank}.jsonl.gz``
    removed/<step>/          dropped documents or line blocks, per step
    stats/<stage>.json       merged datatrove stats; stats/summary.json, stats/histograms.json,
                             stats/archives.json (per WARC/ZIP input: its records and their fates)
    logs/<stage>/            the executor's logging dir (completion markers: resumption)
    tokenizer/tokenizer.json
    tokens/train/  tokens/validation/
    work/                    intermediate stage outputs (quarantine/, filtered/, dedup/, ...)

TRAIN_RUN (``kinyu train``) :class:`TrainRun`::

    manifest.json  metrics.jsonl  data_order.jsonl  tensorboard/  eval/ (the sweep's default EVAL_OUT)
    checkpoints/step_NNNNNN/{deepspeed/, hf/, state.json}
    checkpoints/latest       a text file: the name of the newest complete checkpoint

``checkpoints/latest`` is a file, so that it is replaced atomically and reads the same on every
file system; :func:`resolve_checkpoint_path` turns a path through it (``.../checkpoints/latest/hf``)
into the checkpoint it names, for every command that takes a checkpoint path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from kinyu.base.runs import MANIFEST, atomic_write_text

RANK_FILE = "${rank}.jsonl.gz"  # datatrove's output_filename of every jsonl folder of a run
TOKEN_SPLITS = ("train", "validation")
CORPUS_TOKENIZER = "tokenizer/tokenizer.json"  # run-relative: as shard metadata and the manifest name it

CHECKPOINTS = "checkpoints"
CHECKPOINT_PREFIX = "step_"
LATEST = "latest"
STAGING_PREFIX = ".tmp_"  # a checkpoint being written; renamed to its name when complete
_CHECKPOINT_NAME = re.compile(rf"^{CHECKPOINT_PREFIX}(\d+)$")


def _below(*parts: str) -> property:
    """A fixed path below the folder: ``run.docs`` is ``run.path / "docs"``."""
    return property(lambda self: self.path.joinpath(*parts), doc="/".join(parts))


@dataclass(frozen=True)
class _Folder:
    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))


@dataclass(frozen=True)
class CorpusRun(_Folder):
    """The folder ``kinyu corpus build`` writes."""

    manifest = _below(MANIFEST)
    config = _below("config.yaml")
    report = _below("report.html")
    docs = _below("docs")
    removed = _below("removed")
    quarantine = _below("quarantine.jsonl")
    stats = _below("stats")
    summary = _below("stats", "summary.json")
    histograms = _below("stats", "histograms.json")
    logs = _below("logs")
    tokenizer_dir = _below("tokenizer")
    tokenizer_file = _below(CORPUS_TOKENIZER)
    tokens_dir = _below("tokens")
    work = _below("work")
    # the extract stage's quarantined inputs, per task (merged into quarantine.jsonl at the end)
    quarantine_parts = _below("work", "quarantine")
    # the extract stage's rows per archive read (WARC, ZIP), per task; merged into stats/archives.json
    archive_parts = _below("work", "archives")
    archives = _below("stats", "archives.json")
    # held (flock) by the build writing into the folder; its text names that build
    lock = _below("build.lock")

    def removed_steps(self) -> list[Path]:
        """``removed/<step>/`` folders, by name."""
        return sorted(p for p in self.removed.iterdir() if p.is_dir()) if self.removed.is_dir() else []

    def stage_stats(self, stage: str) -> Path:
        return self.stats / f"{stage}.json"

    def stats_stages(self) -> list[str]:
        """The stages with merged stats in ``stats/``, by name (the summary and histograms are not stages)."""
        reserved = {self.summary.stem, self.histograms.stem, self.archives.stem}
        return sorted(p.stem for p in self.stats.glob("*.json") if p.stem not in reserved)

    def stage_logs(self, stage: str) -> Path:
        return self.logs / stage

    def tokens(self, split: str) -> Path:
        """``tokens/train`` or ``tokens/validation``."""
        if split not in TOKEN_SPLITS:
            raise ValueError(f"token split must be one of {TOKEN_SPLITS}, got {split!r}")
        return self.tokens_dir / split

    def shard_metadata(self) -> list[Path]:
        """Every ``tokens/<split>/*.ds.metadata`` file, sorted."""
        return sorted(self.tokens_dir.glob("*/*.ds.metadata"))

    def outputs(self) -> list[Path]:
        """The folders that are the build's result (what must not change when only the code around it does)."""
        return [self.docs, self.removed, self.tokens_dir]


@dataclass(frozen=True)
class Checkpoint(_Folder):
    """One checkpoint folder ``checkpoints/step_NNNNNN``."""

    hf = _below("hf")
    deepspeed = _below("deepspeed")
    state = _below("state.json")
    checksums = _below("checksums.json")  # size and sha256 of every other file; written last

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def step(self) -> int:
        step = checkpoint_step(self.name)
        if step is None:
            raise ValueError(f"{self.path}: not a checkpoint folder name ({CHECKPOINT_PREFIX}NNNNNN)")
        return step


def checkpoint_name(step: int) -> str:
    """``step_000500`` for step 500 (six digits; more when the step needs them)."""
    if step < 0:
        raise ValueError(f"a checkpoint step is >= 0, got {step}")
    return f"{CHECKPOINT_PREFIX}{step:06d}"


def checkpoint_step(name: str) -> int | None:
    """The step of a checkpoint folder name, or None for any other name (``latest``, ``.tmp_…``)."""
    m = _CHECKPOINT_NAME.match(name)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class TrainRun(_Folder):
    """The folder ``kinyu train`` writes."""

    manifest = _below(MANIFEST)
    metrics = _below("metrics.jsonl")
    checkpoints = _below(CHECKPOINTS)
    latest_file = _below(CHECKPOINTS, LATEST)
    data_order = _below("data_order.jsonl")
    tensorboard = _below("tensorboard")
    eval = _below("eval")  # the default EVAL_OUT of `kinyu eval sweep`

    def checkpoint(self, step: int) -> Checkpoint:
        return Checkpoint(self.checkpoints / checkpoint_name(step))

    def staging(self, step: int) -> Path:
        """Where checkpoint ``step`` is written before it is renamed into place."""
        return self.checkpoints / f"{STAGING_PREFIX}{checkpoint_name(step)}"

    def staged(self) -> list[Path]:
        """Leftovers of saves that a stop interrupted."""
        return sorted(self.checkpoints.glob(f"{STAGING_PREFIX}*"))

    def list_checkpoints(self) -> list[Checkpoint]:
        """Checkpoint folders (complete or not), by step."""
        if not self.checkpoints.is_dir():
            return []
        found = [Checkpoint(p) for p in self.checkpoints.iterdir() if p.is_dir() and checkpoint_step(p.name) is not None]
        return sorted(found, key=lambda c: c.step)

    def has_checkpoint(self) -> bool:
        return self.latest_file.is_file()

    def latest(self) -> Checkpoint:
        """The checkpoint ``checkpoints/latest`` names; FileNotFoundError when there is none yet."""
        name = self.latest_file.read_text(encoding="utf-8").strip()
        if checkpoint_step(name) is None:
            raise ValueError(f"{self.latest_file}: names {name!r}, not a checkpoint ({CHECKPOINT_PREFIX}NNNNNN)")
        return Checkpoint(self.checkpoints / name)

    def set_latest(self, checkpoint: Checkpoint) -> None:
        """Point ``checkpoints/latest`` at ``checkpoint`` (temp file + rename: never half written)."""
        atomic_write_text(self.latest_file, checkpoint.name + "\n")


def latest_checkpoint(run: str | Path) -> Checkpoint:
    """The newest complete checkpoint of a TRAIN_RUN (FileNotFoundError when there is none)."""
    return TrainRun(run).latest()


def resolve_checkpoint_path(path: str | Path) -> Path:
    """``path`` with a ``checkpoints/latest`` part replaced by the checkpoint it names
    (``RUN/checkpoints/latest/hf`` -> ``RUN/checkpoints/step_000040/hf``); any other path as given."""
    path = Path(path)
    parts = path.parts
    for i in range(1, len(parts)):
        if parts[i] == LATEST and parts[i - 1] == CHECKPOINTS:
            run = TrainRun(Path(*parts[: i - 1]))
            if run.latest_file.is_file():
                return run.latest().path.joinpath(*parts[i + 1 :])
    return path


def manifest_stage(path: str | Path) -> str | None:
    """The ``stage`` a run folder's ``manifest.json`` names ("corpus", "train", ...), or None."""
    try:
        stage = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8")).get("stage")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return None
    return stage if isinstance(stage, str) else None


def train_run_evidence(path: str | Path) -> str | None:
    """Why ``path`` is a kinyu training run (its manifest), or None: what may be removed to start it again."""
    return f"its {MANIFEST} of a training run" if manifest_stage(path) == "train" else None
