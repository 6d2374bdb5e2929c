"""HTML tables as kinyu's Markdown tables (``kinyu.corpus.tables``): every row with its label,
every column with its full header path.

EDINET/TDnet inline-XBRL tables are layout grids: spacer rows and columns of empty cells, the
row label spanned over indentation columns (``colspan="7"``), the unit as a row of its own
(「(単位:百万円)」), two or three header rows with spans (「株主資本」 over 「資本剰余金」 over
「資本準備金」), ``<td>`` everywhere (no ``<th>``). trafilatura writes such a table as its raw rows:
the headers on lines of their own, the spans not repeated, so a figure's column is found only by
counting cells. Here the grid is expanded (spans repeated), emptied rows and columns dropped,
the label columns merged into one, the leading rows above the first row of figures made the
header, and each column's header texts joined top-down into its path.

A table without figures and without ``<th>``/``<thead>`` (沿革's 「年月 | 沿革」, a cover page's
【提出書類】 form) takes its first row of two or more texts as the header, the single-text rows
above it (「【表紙】」) as captions.
"""

from __future__ import annotations

import re

from kinyu.corpus.tables import grid_markdown

_RE_SIGN_SPACE = re.compile(r"([△▲])\s+(?=\d)")


# elements that end a line inside a cell (a career history's table, <br>, paragraphs)
_BREAKS = frozenset(("br", "p", "div", "li", "tr", "td", "th", "table"))


def _cell_text(cell) -> str:
    # one space where the source breaks a line inside the cell (none between inline spans)
    pieces: list[str] = []

    def walk(el) -> None:
        pieces.append(el.text or "")
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            brk = " " if tag in _BREAKS else ""
            pieces.append(brk)
            walk(child)
            pieces.append(brk)
            pieces.append(child.tail or "")

    walk(cell)
    text = " ".join("".join(pieces).split())
    # the source's line breaks between a sign and its figure (「<span>△</span> <span>2,361</span>」)
    return _RE_SIGN_SPACE.sub(r"\1", text) if "△" in text or "▲" in text else text


def own_rows(table) -> list:
    """The ``<tr>`` of this table, not of tables nested in its cells."""
    rows = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag == "tr")
    return rows


def row_cells(tr) -> list:
    """The ``<td>``/``<th>`` of a row."""
    return [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]


def _span(cell, name: str) -> int:
    try:
        return max(1, min(int(cell.get(name, "1")), 1000))
    except ValueError:
        return 1


def grid(table) -> tuple[list[list[tuple[int, str]]], list[bool]]:
    """The table as a grid of (cell number, text), spans expanded (a spanned cell's number and
    text in each slot it covers), and per row whether it is a header row by markup (all ``<th>``
    or inside ``<thead>``)."""
    out: list[list[tuple[int, str] | None]] = []
    marked: list[bool] = []
    pending: dict[tuple[int, int], tuple[int, str]] = {}  # (row, col) -> cell still spanning down
    number = 0
    for r, tr in enumerate(own_rows(table)):
        row: list[tuple[int, str] | None] = []
        cells = row_cells(tr)
        marked.append(bool(cells) and (all(c.tag == "th" for c in cells) or tr.getparent().tag == "thead"))
        col = 0
        for cell in cells:
            while (r, col) in pending:
                row.append(pending.pop((r, col)))
                col += 1
            number += 1
            slot = (number, _cell_text(cell))
            colspan, rowspan = _span(cell, "colspan"), _span(cell, "rowspan")
            for c in range(col, col + colspan):
                row.append(slot)
                for down in range(1, rowspan):
                    pending[(r + down, c)] = slot
            col += colspan
        while (r, col) in pending:
            row.append(pending.pop((r, col)))
            col += 1
        out.append(row)
    width = max((len(row) for row in out), default=0)
    empty = (0, "")
    return [[*row, *[empty] * (width - len(row))] for row in out], marked


def table_markdown(table) -> str | None:
    """The Markdown of one ``<table>`` element (see the module docstring), or None when it holds
    no text."""
    return grid_markdown(*grid(table))
