"""The one table format of kinyu's text: Markdown, with each column's full header path.

A table is written as

    (単位:百万円)
    | 科目 | 前連結会計年度 / 2019年3月31日 | 当連結会計年度 / 2020年3月31日 |
    | --- | --- | --- |
    | 現金及び預金 | 12,345 | △1,234 |

- a caption line above it (the unit, 「(単位:百万円)」), when the source has one;
- one header line: every column's header path from the top header row down (「増減 / 金額」,
  「増減 / 率」), a spanned header repeated in each column it spans, so that a reader (or a model)
  never has to look up which column a figure belongs to;
- the separator line ``| --- |``, one cell per column: what makes the block a table;
- one line per row, its label first (a label spanned over rows is repeated on each).

Why one header line and not one per header row: Markdown has one; a table renderer shows the
others as data rows; and a flat path keeps a row line and its header line enough to read a
figure, at any window boundary a tokenizer cuts. Measured on the U4 gold cells
(``benchmarks/tables.py``).

The extractors write tables with ``render`` (HTML: ``kinyu.corpus.extract.html_tables``); the
filters find them again with ``table_blocks``: a block of ``|``-lines with a header, a
separator and rows of one column count. Anything else made of ``|``-lines (trafilatura's
headerless rows, broken PDF columns) is not a table here and is judged as residue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEPARATOR_CELL = "---"
# A figure cell: sign, digits with separators, a unit or % after; note marks before
# (「※2 196,655」「(注)3 1,234」); or a dash/「－」 for nil. Not a date or a period 「2019年3月」.
# note marks before a figure: 「※2」「※3 , ※4」「(注)3」「(注1)」「注1」「*1」
_NOTE_MARK = r"(?:※\s*\d*|\(注\s*\d*\)\s*\d*|注\s*\d+|\*\d*)"
RE_FIGURE = re.compile(
    rf"^(?:{_NOTE_MARK}\s*[,、]?\s*)*"
    r"(?:[△▲\-−+±]?\s*\(?[\d,]*\d(?:\.\d+)?\)?\s*(?:%|倍|円|千円|百万円|億円|株|千株|百株|人|名|件|年|ヶ月|か月|回|社|台|店|㎡|m2|千㎡|ha|%ポイント|ポイント|pt)?"
    r"|[-−―ー－—‐]{1,2})$"
)


def is_figure(text: str) -> bool:
    """A cell that is a figure (or nil), not a label."""
    return bool(text) and RE_FIGURE.match(text) is not None
# an unescaped | (a cell's own | is written \|)
_RE_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_RE_SEPARATOR = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+\s*$")


def escape_cell(text: str) -> str:
    """A cell's text on one line, its own ``|`` escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def render_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render(header: list[str], rows: list[list[str]], captions: list[str] = ()) -> str:
    """Captions, the header line, the separator and the rows (cells already escaped)."""
    lines = [*captions, render_row(header), render_row([SEPARATOR_CELL] * len(header))]
    lines += [render_row(row) for row in rows]
    return "\n".join(lines)


def split_row(line: str) -> list[str]:
    """The cells of a ``| a | b |`` line (stripped), or [] for a line that is not one."""
    s = line.strip()
    if len(s) < 2 or s[0] != "|" or s[-1] != "|" or s.endswith("\\|"):
        return []
    return [c.strip() for c in _RE_CELL_SPLIT.split(s[1:-1])]


def is_separator(line: str) -> bool:
    return line.startswith("|") and "---" in line and _RE_SEPARATOR.match(line.strip()) is not None


@dataclass(frozen=True)
class TableBlock:
    """Lines ``start`` (the header line) to ``end`` (exclusive) of a text's lines are one table:
    ``start + 1`` is the separator, the rest are rows; ``columns`` cells each."""

    start: int
    end: int
    columns: int

    @property
    def rows(self) -> range:
        return range(self.start + 2, self.end)


def has_table(text: str) -> bool:
    """Cheap test: could ``text`` hold a table at all (a separator cell)?"""
    return "| --- |" in text or "|---|" in text


def table_blocks(lines: list[str]) -> list[TableBlock]:
    """The tables among ``lines``: a header line, a separator with as many cells, and at least
    one row with as many cells. Rows end at the first line that is not such a row."""
    blocks = []
    i, n = 1, len(lines)
    while i < n:
        if not is_separator(lines[i]):
            i += 1
            continue
        columns = len(split_row(lines[i]))
        if len(split_row(lines[i - 1])) != columns:
            i += 1
            continue
        end = i + 1
        while end < n and len(split_row(lines[end])) == columns:
            if is_separator(lines[end]):
                end -= 1  # the line above it is the header of the next table
                break
            end += 1
        if end > i + 1:
            blocks.append(TableBlock(i - 1, end, columns))
        i = end
    return blocks


def labelled_share(lines: list[str], block: TableBlock) -> float:
    """Share of the block's rows that carry text: a cell that is neither empty nor a figure (a
    label, or a cell of prose beside an item number 「| | (2) | 市場低迷の長期化や…可能性があります |」).
    A row of bare figures has none."""
    rows = [split_row(lines[j]) for j in block.rows]
    return sum(1 for r in rows if any(c and not is_figure(c) for c in r)) / max(len(rows), 1)


def table_line_mask(lines: list[str]) -> list[bool]:
    """Per line, whether it belongs to a table (header, separator or row)."""
    mask = [False] * len(lines)
    for block in table_blocks(lines):
        for j in range(block.start, block.end):
            mask[j] = True
    return mask
