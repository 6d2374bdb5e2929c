"""The shared real documents as the quality steps receive them (tests and benchmarks only).

Every text goes through the project's own extraction (kinyu.corpus.extract.decode, kinyu.corpus.extract.html, kinyu.corpus.extract.pdf)
and normaliser (kinyu.corpus.normalize), i.e. exactly what the quality steps see in a build. chABSA
sentences (real 有価証券報告書 prose, stored without their final 「。」) are joined per company
into one document, a sentence per line, with 「。」 restored.

``source_text("mhlw-pdf/000602943.pdf", pages=6)`` is how the labelled filter evaluation set
(tests/data/filters_eval) names its sources: a path under ``real/``, and for a PDF optionally
the number of leading pages to read. ``filings-u4/<split>/<書類管理番号>/<file>.html`` names a
section of a filings-u4 report: its split is unpacked once into a temporary folder (the
archives stay as they are in ``../shared``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from kinyu.corpus.extract.decode import decode_bytes
from kinyu.corpus.extract.html import extract_html
from kinyu.corpus.normalize import normalize_japanese
from kinyu.corpus.extract.pdf import extract_pdfium, extract_pdfminer, repair_layout
from testkit.shared import shared_data_dir, shared_real_dir

__all__ = ["shared_real_dir", "chabsa_documents", "edinet_sections", "wikipedia_documents", "source_text"]


def _chabsa_text(data: dict, add_period: bool) -> str:
    sentences = [s["sentence"].strip() for s in data["sentences"] if s["sentence"].strip()]
    if add_period:
        sentences = [s if s.endswith(("。", "!", "?", "！", "？")) else s + "。" for s in sentences]
    return normalize_japanese("\n".join(sentences))


def chabsa_documents(add_period: bool = True) -> list[tuple[str, str]]:
    """(company file stem, text) per chABSA file, sorted by file name."""
    paths = sorted((shared_real_dir() / "chabsa-json").glob("*.json"))
    return [(p.stem, _chabsa_text(json.loads(p.read_text(encoding="utf-8")), add_period)) for p in paths]


def html_text(data: bytes, tables: str = "markdown") -> str:
    """Decoded, extracted (trafilatura, tables included: ``tables`` is the extract config's
    ``html_table_format``) and normalised HTML."""
    return normalize_japanese(extract_html(decode_bytes(data).text, include_tables=True, table_format=tables)[0])


def edinet_sections(pattern: str = "edinet-asr-html/*.html", tables: str = "markdown") -> list[tuple[str, str]]:
    """(file name, extracted + normalised text) for the HTML files under ``real/`` matching ``pattern``."""
    return [(p.name, html_text(p.read_bytes(), tables)) for p in sorted(shared_real_dir().glob(pattern))]


def wikipedia_documents(per_doc: int = 20) -> list[tuple[str, str]]:
    """Japanese Wikipedia sentences (general, non-financial prose), ``per_doc`` to a document."""
    path = shared_real_dir() / "wikipedia-ner-ja" / "ner_dev.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    texts = [normalize_japanese(item["text"]) for item in items]
    return [(f"wiki-{i // per_doc:04d}", "\n".join(texts[i : i + per_doc])) for i in range(0, len(texts), per_doc)]


def pdf_pages(data: bytes, pages: int = 0, vertical: bool = True, backend: str = "pdfminer", tables: bool = True) -> list[str]:
    """The pages' raw text from one backend (``pdfminer`` or ``pypdfium2``), as the extractor reads
    them (``tables``: extract.pdf_tables)."""
    if backend == "pdfminer":
        return extract_pdfminer(data, detect_vertical=vertical, max_pages=pages, tables=tables).pages
    if backend == "pypdfium2":  # with the extractor's fallback for text that pdfium leaves out
        result = extract_pdfium(data, max_pages=pages, detect_vertical=vertical, tables=tables)
        return result.pages if result.incomplete is None else pdf_pages(data, pages, vertical, "pdfminer", tables)
    raise ValueError(f"unknown PDF backend {backend!r}")


@lru_cache(maxsize=64)
def filings_u4_file(rel: str) -> Path:
    """``<split>/<書類管理番号>/<file>``: the section file, from its split unpacked once."""
    import tempfile

    from kinyu.base import u4

    split = rel.split("/", 1)[0]
    reports = _u4_reports(split, Path(tempfile.gettempdir()) / "kinyu-testkit-filings-u4")
    return reports / rel.split("/", 1)[1]


@lru_cache(maxsize=None)
def _u4_reports(split: str, root: Path) -> Path:
    from kinyu.base import u4

    return u4.unpack(shared_data_dir() / "filings-u4", root, split)


def source_text(source: str, pages: int = 0, vertical: bool = True, backend: str = "pdfminer", tables: str = "markdown") -> str:
    """The text the quality steps would receive for the file ``real/<source>``.

    PDFs: ``backend`` (pdfminer.six, the labelled set's reference, or pypdfium2; vertical-text
    detection unless ``vertical`` is False) and the layout repair of the PDF extractor
    (``pages`` > 0: only the first ``pages`` pages), tables as Markdown unless ``tables`` is
    ``"trafilatura"`` (their text as before tables were kept); HTML: decode + trafilatura
    (``tables``: extract.html_table_format); ``.txt``:
    decode; chABSA ``.json``: the company document. Then the Japanese normaliser.
    """
    path = filings_u4_file(source.split("/", 1)[1]) if source.startswith("filings-u4/") else shared_real_dir() / source
    data = path.read_bytes()
    if path.suffix == ".pdf":
        text, _ = repair_layout(pdf_pages(data, pages, vertical, backend, tables == "markdown"))
        return normalize_japanese(text)
    if path.suffix in (".html", ".htm", ".xhtml"):
        return html_text(data, tables)
    if path.suffix == ".json" and path.parent.name == "chabsa-json":
        return _chabsa_text(json.loads(data.decode("utf-8")), add_period=True)
    if path.suffix == ".txt":
        return normalize_japanese(decode_bytes(data).text)
    raise ValueError(f"no extraction for {source!r} (pdf, html/htm/xhtml, chabsa json, txt)")
