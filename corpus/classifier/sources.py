"""Documents to train or measure the classifier on: the kept documents of corpus runs, jsonl(.gz)
files of ``{"text": ...}`` records, or plain text files, each normalised as the build normalises."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from kinyu.base.config import ConfigError
from kinyu.base.layout import CorpusRun
from kinyu.corpus.extract.readers import read_jsonl_gz
from kinyu.corpus.normalize import normalize_japanese

_JSONL = (".jsonl", ".jsonl.gz", ".ndjson")
_TEXT = (".txt",)


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if f.lower().endswith(_JSONL + _TEXT)]
    return out


def _jsonl(path: Path):
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                rec = json.loads(line)
                if isinstance(rec.get("text"), str):
                    yield str(rec.get("id") or f"{path.name}#{n}"), rec["text"]


def iter_texts(sources: list[str]):
    """``(id, normalised text)`` of every document of ``sources``, in a fixed order."""
    for source in sources:
        root = Path(source)
        if not root.exists():
            raise ConfigError(f"classifier source not found: {source}")
        run = CorpusRun(root)
        if root.is_dir() and run.docs.is_dir():
            for rec in read_jsonl_gz(run.docs):
                yield rec["id"], rec["text"]
            continue
        files = _files(root)
        if not files:
            raise ConfigError(f"classifier source {source}: no corpus run (docs/), jsonl or .txt files in it")
        for path in files:
            if path.name.lower().endswith(_TEXT):
                yield path.as_posix(), normalize_japanese(path.read_text(encoding="utf-8", errors="replace"))
            else:
                for doc_id, text in _jsonl(path):
                    yield doc_id, normalize_japanese(text)
