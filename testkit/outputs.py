"""The result of a corpus build as file hashes: what two builds must share to be the same."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kinyu.base.layout import CorpusRun


def output_digest(run: str | Path) -> dict[str, str]:
    """sha256 of every file of the run's outputs (``docs/``, ``removed/``, ``tokens/``), by run-relative path."""
    run = CorpusRun(run)
    return {
        str(p.relative_to(run.path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for part in run.outputs()
        for p in sorted(part.rglob("*"))
        if p.is_file()
    }
