"""Loading the shared real data the filter thresholds were measured on (tests, benchmarks).

chABSA sentences (real 有価証券報告書 prose, stored without their final 「。」) are joined per
company into one document, a sentence per line, with 「。」 restored; EDINET HTML sections go
through the project's own extraction (corpus.html) and normaliser (corpus.normalize), i.e.
exactly what the quality steps receive in a build.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from corpus.normalize import normalize_japanese


def shared_real_dir() -> Path:
    root = os.environ.get("KINYU_SHARED_DATA")
    base = Path(root) if root else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return base / "real"


def chabsa_documents(folder: Path | None = None, add_period: bool = True) -> list[tuple[str, str]]:
    """(company file stem, text) per chABSA file, sorted by file name."""
    folder = folder or shared_real_dir() / "chabsa-json"
    docs = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        sentences = [s["sentence"].strip() for s in data["sentences"] if s["sentence"].strip()]
        if add_period:
            sentences = [s if s.endswith(("。", "!", "?", "！", "？")) else s + "。" for s in sentences]
        docs.append((path.stem, normalize_japanese("\n".join(sentences))))
    return docs


def edinet_sections(pattern: str = "edinet-asr-html/*.html") -> list[tuple[str, str]]:
    """(file name, extracted + normalised text) for the EDINET HTML files matching ``pattern``."""
    from corpus.decode import decode_bytes
    from corpus.html import extract_html

    out = []
    for path in sorted(shared_real_dir().glob(pattern)):
        html = decode_bytes(path.read_bytes()).text
        text, _ = extract_html(html, include_tables=True)
        out.append((path.name, normalize_japanese(text)))
    return out


def wikipedia_documents(per_doc: int = 20) -> list[tuple[str, str]]:
    """Japanese Wikipedia sentences (general, non-financial prose), ``per_doc`` to a document."""
    path = shared_real_dir() / "wikipedia-ner-ja" / "ner_dev.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    texts = [normalize_japanese(item["text"]) for item in items]
    return [(f"wiki-{i // per_doc:04d}", "\n".join(texts[i : i + per_doc])) for i in range(0, len(texts), per_doc)]
