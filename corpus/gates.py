"""Small routing filters of the build: quarantine, empty documents, the validation split, and
where dropped documents are written."""

from __future__ import annotations

import hashlib
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers import JsonlWriter
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.base.layout import RANK_FILE


def removed_writer(removed_folder: str | Path, step: str) -> JsonlWriter:
    """The exclusion writer of one step: ``<removed_folder>/<step>/${rank}.jsonl.gz``."""
    return JsonlWriter(f"{str(removed_folder).rstrip('/')}/{step}", output_filename=RANK_FILE)


class QuarantineGate(BaseFilter):
    """Drop inputs that could not be read (encrypted, corrupt, empty, binary, undecodable, too
    large, unsupported), so that they land in the quarantine list with their reason instead of
    failing the run. Everything readable passes."""

    name = "🚧 Quarantine"

    def __init__(self, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = doc.metadata.get("quarantine")
        if q:
            return False, q["reason"]
        return True


class EmptyTextFilter(BaseFilter):
    """Drop documents whose extracted, normalised text is shorter than ``min_chars``: a readable
    file with nothing to learn from (a page of images, an empty template) is a drop, not a
    quarantine."""

    name = "🕳 Empty text"

    def __init__(self, min_chars: int = 1, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.min_chars = min_chars

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if len(doc.text.strip()) < self.min_chars:
            return False, "empty_after_extraction"
        return True


def validation_bucket(doc_id: str, seed: int) -> float:
    """A stable number in [0, 1) from the document id: the split never depends on order or tasks."""
    h = hashlib.sha256(f"{seed}:{doc_id}".encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") / 2**64


class ValidationSplit(BaseFilter):
    """Keep the documents of one side of the deterministic train/validation split (by id hash)."""

    name = "✂️ Split"

    def __init__(self, side: str, fraction: float, seed: int = 0):
        super().__init__()
        if side not in ("train", "validation"):
            raise ValueError(f"side must be train or validation, not {side!r}")
        self.side = side
        self.fraction = fraction
        self.seed = seed

    def filter(self, doc: Document) -> bool:
        is_val = validation_bucket(doc.id, self.seed) < self.fraction
        return is_val if self.side == "validation" else not is_val
