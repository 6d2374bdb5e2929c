"""The prose of the sample corpus, written for kinyu: every company, person and figure is fictional.

The texts are data, one file per document in ``texts/`` (``name:``, ``genre:`` and ``title:``
lines, ``---``, then the body) and ``texts/_other.json`` (the table rows, edits, records and
strings that are not documents). Each body is plain text: blocks are separated by a blank line,
and a block that starts with ``# `` is a heading. ``generate.py`` renders the same bodies as PDF,
HTML or text; ``texts.YUHO_MINATO`` is the document in ``texts/yuho_minato.txt``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

TEXTS_DIR = Path(__file__).resolve().parent / "texts"


@dataclass(frozen=True)
class SampleText:
    name: str  # file stem
    genre: str  # yuho | tanshin | togo | ir_news | market
    title: str
    body: str

    def blocks(self) -> list[tuple[str, str]]:
        """``[("h" | "p", text), ...]`` in reading order."""
        out = []
        for block in self.body.strip().split("\n\n"):
            block = block.strip()
            if block.startswith("# "):
                out.append(("h", block[2:].strip()))
            elif block:
                out.append(("p", block))
        return out

    def plain(self) -> str:
        """Title, then every block, one per paragraph (how the .txt files are written)."""
        return self.title + "\n\n" + "\n\n".join(text for _, text in self.blocks()) + "\n"


def read_text_file(path: Path) -> SampleText:
    header, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    fields = dict(line.split(": ", 1) for line in header.splitlines())
    return SampleText(name=fields["name"], genre=fields["genre"], title=fields["title"], body=body)


def _load() -> dict[str, object]:
    texts: dict[str, object] = {p.stem.upper(): read_text_file(p) for p in sorted(TEXTS_DIR.glob("*.txt"))}
    for key, value in json.loads((TEXTS_DIR / "_other.json").read_text(encoding="utf-8")).items():
        # rows and edits are pairs/tuples in the generator
        texts[key] = [tuple(v) if isinstance(v, list) else v for v in value] if isinstance(value, list) else value
    return texts


globals().update(_load())
