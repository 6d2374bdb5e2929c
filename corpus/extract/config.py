"""The extract section of the corpus config (``extract.*``): how PDF and HTML become text.

It lives with the extractors it configures (``kinyu.corpus.extract.extractors``), which import it
from here; ``kinyu.corpus.config.CorpusConfig`` holds it as its ``extract`` field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kinyu.base.config import option


@dataclass
class ExtractConfig:
    # measured on every shared PDF (benchmarks/corpus_extract.py): the final text >= 0.99 similar to
    # pdfminer's on every file, the same keep/drop decisions on the labelled set's 145 PDF segments,
    # the same quarantine reasons; 163 vs 28 pages/s per core through the whole extract stage
    pdf_backend: Literal["pdfminer", "pypdfium2"] = option("pypdfium2", "pypdfium2: pdfium's characters through pdfminer's layout analysis (vertical 縦書き columns in order), ~6x pdfminer's pages/s; pdfminer: pdfminer.six alone")
    pdf_fallback: bool = option(True, "pypdfium2 failing on a file (unreadable, crash, text it leaves out): read that file with pdfminer (metadata extract_fallback)")
    pdf_detect_vertical: bool = option(True, "find vertical 縦書き lines (pdfminer LAParams(detect_vertical); both backends)")
    pdf_boxes_flow: float | None = option(None, "pdfminer LAParams(boxes_flow); none = reading-order sort, deterministic (pdfminer's grouping is not); pypdfium2 implements none only")
    pdf_join_lines: bool = option(True, "re-join hard-wrapped lines")
    pdf_drop_running_lines: bool = option(True, "drop running headers/footers and page numbers")
    # kinyu.corpus.extract.pdf_tables: rows of a label and right-aligned figures (a statement, a
    # fee schedule's 点数) found on the characters of both backends, written as html tables are
    pdf_tables: bool = option(True, "tables (a label column and aligned figure columns) as Markdown tables, each row with its label and each column its header path; false: their text as pdfminer lays it out")
    html_include_tables: bool = option(True, "keep tables (false: the text around them only)")
    # markdown: kinyu's rendering (kinyu.corpus.tables: one header line with each column's full
    # header path, every row with its label, the unit as a caption), which the filters judge as
    # tables; trafilatura: its own raw rows (headers on lines of their own, spans not repeated),
    # which they judge as residue. On the U4 gold cells of filings-u4 valid (benchmarks/tables.py).
    html_table_format: Literal["markdown", "trafilatura"] = option("markdown", "how tables are written: markdown (one header line with each column's header path, each row with its label) or trafilatura (its raw rows)")
    # measured on real 有報 sections (shared edinet-asr-html): favor_recall=True returned 3,272 of
    # 52,140 characters of S100J1VI-0104010 and 23,886 of 132,963 of S100IYG9-0104010
    html_favor_recall: bool = option(False, "trafilatura favor_recall; off, since on EDINET filings it loses most sections")
    min_chars: int = option(1, "drop documents shorter than this after normalisation")
    timeout_s: float = option(120.0, "wall-clock limit per PDF/HTML extraction; past it the document is quarantined as 'timeout' (0 = none)")
    pdf_max_pages: int = option(5000, "PDFs with more pages are quarantined as 'too_many_pages' (0 = no cap)")

    def problems(self) -> list[str]:
        found = []
        if self.pdf_backend == "pypdfium2" and self.pdf_boxes_flow is not None:
            found.append("pdf_boxes_flow: pypdfium2 orders text boxes as boxes_flow none only (--extract.pdf_backend pdfminer for a number)")
        found += [f"{name} must be >= 0 (0 = no limit)" for name in ("timeout_s", "pdf_max_pages") if getattr(self, name) < 0]
        return found
