"""The fixed evaluation sets every variant of an ablation or study is scored on, chosen before any
variant is built.

- **finance**: held-out financial *documents*: a share of the input files, picked by a hash of
  each file's stable id (``input root/relative path``), taken out before any filter runs, so no
  variant's filters decide what it is scored on. Their text is what kinyu's extraction and
  normalisation give (no quality filter, no dedup). A held-out document with a near-copy among
  the training-side inputs (character 5-gram Jaccard >= ``leak_jaccard``: an amended filing, the
  next year's version of a notice) is dropped from the held-out set, since a model that saw the
  copy would be scored on memorised text. Unreadable files (quarantined) have no text to score.
- **general**: general Japanese held out from any training (``general_texts``: e.g.
  ``../shared/data/general-ja/heldout``), a fixed sample by document-id hash.

Each set is a folder with ``texts.jsonl`` (``{"id", "source", "text"}``), readable by
``kinyu eval --bpc-texts``; ``manifest.json`` says what went in and what was dropped, with hashes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from kinyu.base.config import option

@dataclass
class EvalSetsConfig:
    heldout_fraction: float = option(0.2, "share of the input files held out as the financial evaluation set (by hash of the file id)")
    leak_jaccard: float = option(0.5, "drop a held-out document with a near-copy (char 5-gram Jaccard >= this) among the training inputs")
    finance_max_chars: int | None = option(None, "score at most this many characters of held-out financial text (whole documents, by id hash); empty = all")
    general_texts: str | None = option(None, "folder of general Japanese held-out text (*.jsonl/*.txt), e.g. ../shared/data/general-ja/heldout; "
                                             "empty = the embedded general sample")
    general_max_docs: int = option(200, "general documents scored (picked by id hash)")
    seed: int = option(0, "seeds the held-out pick (the same files on every machine)")

    def problems(self) -> list[str]:
        found = []
        if not 0.0 < self.heldout_fraction < 1.0:
            found.append(f"heldout_fraction must be in (0, 1), got {self.heldout_fraction}")
        if not 0.0 < self.leak_jaccard <= 1.0:
            found.append(f"leak_jaccard must be in (0, 1], got {self.leak_jaccard}")
        if self.general_max_docs < 1:
            found.append("general_max_docs must be >= 1")
        return found


@dataclass(frozen=True)
class EvalSets:
    """Where the fixed sets are, and the input files left for training."""

    def bpc_texts(self) -> list[str]:
        """``NAME=FOLDER`` for ``EvalConfig.bpc_texts``: every set that holds text."""
        sets = {"finance": self.finance, "finance_kept": self.finance_kept, "general": self.general}
        return [f"{n}={p}" for n, p in sets.items() if self.manifest[n]["documents"]]

    finance: Path  # folder with texts.jsonl: the held-out documents as extracted
    finance_kept: Path  # the same documents after the configured quality filters
    general: Path
    exclude: list[str]  # input.exclude globs that leave the held-out files out of every variant's build
    manifest: dict


def file_of(doc_id: str) -> str:
    """The input file of a document id ("<input root>/<relative path>", "#<line>" for jsonl records)."""
    return doc_id.split("#", 1)[0]


def rank(key: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
