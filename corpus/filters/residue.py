"""The line-cleaning residue filter (``quality.residue``): documents that the line cleaner took
almost all of, or left with nothing but table rows. Its two signals, ``removed_share`` and
``table_share``, are computed here (from what the line cleaner recorded and from the text)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.analysis import get_analysis, round4
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class ResidueConfig:
    """Documents that the line cleaner took almost all of: what is left of a table, a form or a
    template (captions, 「該当事項はありません。」, 「○年○月末現在」) is not a document."""

    enabled: bool = option(True, "run the residue filter")
    # Share of a document's characters that line cleaning removed. On the labelled evaluation set
    # (tests/data/filters_eval): tables, cover pages and placeholder templates lose 0.78-1.0,
    # while documents labelled keep lose at most 0.52 (a 決算 section cut through its tables) and
    # the whole EDINET 第4【提出会社の状況】 sections 0.34-0.44. 0.75.
    max_removed_share: float = option(0.75, "drop when line cleaning removed more than this share of the characters")
    # Share of the characters left that sit in |-table rows (the line cleaner keeps a row whose
    # cell holds a sentence). Cross-shareholding tables give each stock a sentence of rationale:
    # what is left of them is 1.0 table rows; documents labelled keep reach 0.68 (a risk table
    # with its lead paragraph), whole EDINET 第4 sections 0.07-0.33. 0.9.
    max_table_share: float = option(0.9, "drop when more than this share of the remaining characters is |-table rows")


def removed_share(quality: dict) -> float | None:
    """Share of a document's characters that line cleaning removed (None: the cleaner did not run)."""
    removed = quality.get("removed_chars")
    return None if removed is None else round4(removed / max(removed + quality["chars"], 1))


def table_share(text: str, tables: set[int] = frozenset()) -> float:
    """Share of the characters of the non-blank lines that sit in |-table rows (two or more |)
    outside the tables (line indices ``tables``, ``kinyu.corpus.tables``): rows that are left of
    a table, not a table."""
    lines = [(i, line) for i, line in enumerate(text.split("\n")) if line.strip()]
    in_rows = sum(len(line) for i, line in lines if line.count("|") >= 2 and i not in tables)
    return round4(in_rows / max(sum(len(line) for _, line in lines), 1))


class ResidueFilter(QualityFilter):
    """Drops what is left of tables, forms and templates after line cleaning: documents that the
    line cleaner took almost all of (a financial statement or a cover page leaves its captions and
    stock phrases, 「前事業年度(自…至…)」「該当事項はありません。」), and documents left with
    nothing but table rows (a cross-shareholding table keeps its rows of stock, number and
    rationale). They read as text but are no document. Does nothing when the line cleaner did
    not run (no ``removed_chars`` signal)."""

    name = "🧹 Line-cleaning residue"
    config_class = ResidueConfig

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        share = removed_share(q)
        if share is None:
            return True
        q["removed_share"] = share
        self.stat_update("removed_share", value=share, unit="doc")
        if share > self.config.max_removed_share:
            return False, "mostly_removed"
        if "|" in doc.text:
            q["table_share"] = table_share(doc.text, get_analysis(doc).table_line_indices())
            if q["table_share"] > self.config.max_table_share:
                return False, "only_table_rows"
        return True
