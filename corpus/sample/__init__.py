"""kinyu's embedded sample corpus: fictional Japanese financial documents written for kinyu.

``sample_dir()`` is the committed data folder that the README's main command, the tests and the
demo run on. ``data/MANIFEST.json`` lists every file with its kind, format, encoding and what the
corpus pipeline is expected to do with it (``expect``):

- ``keep``: good Japanese financial prose (有価証券報告書, 決算短信, 統合報告書, IR news, market comment)
- ``quarantine:<kind>``: the file cannot be read as text; kind is encrypted, corrupt, empty, binary
  or undecodable
- ``drop:<kind>``: readable, but not training text; kind is table, navigation, english, mojibake or toc
- ``exact_duplicate_of:<file>`` / ``near_duplicate_of:<file>``: dropped by deduplication in favour
  of ``<file>``

``general/`` holds a few paragraphs of everyday (non-financial) Japanese, also written for kinyu:
the general-domain bits-per-character set beside the financial validation split, so that
evaluation can show forgetting (``general_dir()``).

The files are made by ``python -m testkit.sample.generate`` (needs reportlab) and committed, so
using them needs nothing beyond kinyu itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
MANIFEST_NAME = "MANIFEST.json"

QUARANTINE_KINDS = ("encrypted", "corrupt", "empty", "binary", "undecodable")
DROP_KINDS = ("table", "navigation", "english", "mojibake", "toc")


def sample_dir() -> Path:
    """The folder holding the committed sample files and ``MANIFEST.json``."""
    if not (DATA_DIR / MANIFEST_NAME).is_file():
        raise FileNotFoundError(
            f"sample corpus missing: {DATA_DIR / MANIFEST_NAME} not found (is corpus/sample/data/* installed "
            "as package data?); regenerate it with `python -m testkit.sample.generate`"
        )
    return DATA_DIR


def general_dir() -> Path:
    """Everyday Japanese text (not financial), for general-domain bits per character."""
    return Path(__file__).resolve().parent / "general"


@dataclass(frozen=True)
class SampleFile:
    """One manifest entry: a sample file and the outcome expected for it."""

    file: str
    kind: str
    format: str
    encoding: str | None
    declared_charset: str | None
    expect: str
    title: str = ""
    documents: int = 1
    contains: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False)
    directory: Path = DATA_DIR

    @property
    def path(self) -> Path:
        return self.directory / self.file

    @property
    def action(self) -> str:
        """keep | quarantine | drop | exact_duplicate_of | near_duplicate_of"""
        return self.expect.split(":", 1)[0]

    @property
    def reason(self) -> str | None:
        """The reason kind (quarantine/drop) or the original file (duplicates); None for keep."""
        return self.expect.split(":", 1)[1] if ":" in self.expect else None


def load_manifest(directory: str | Path | None = None) -> list[SampleFile]:
    """Every entry of ``MANIFEST.json`` in ``directory`` (default: the committed sample folder)."""
    directory = Path(directory) if directory is not None else sample_dir()
    raw = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    known = {"file", "kind", "format", "encoding", "declared_charset", "expect", "title", "documents",
             "contains", "must_not_contain", "notes"}
    out = []
    for item in raw["files"]:
        out.append(
            SampleFile(
                file=item["file"],
                kind=item["kind"],
                format=item["format"],
                encoding=item["encoding"],
                declared_charset=item["declared_charset"],
                expect=item["expect"],
                title=item.get("title", ""),
                documents=item.get("documents", 1),
                contains=tuple(item.get("contains", ())),
                must_not_contain=tuple(item.get("must_not_contain", ())),
                notes=item.get("notes", ""),
                extra={k: v for k, v in item.items() if k not in known},
                directory=directory,
            )
        )
    return out


def sample_files(action: str | None = None) -> list[SampleFile]:
    """The committed sample files, optionally only those whose expected ``action`` matches."""
    files = load_manifest()
    return [f for f in files if action is None or f.action == action]


def __getattr__(name: str):
    # SAMPLE_FILES is read on first use, so importing kinyu.corpus.sample never touches the disk
    if name == "SAMPLE_FILES":
        return sample_files()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
