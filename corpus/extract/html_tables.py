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

from kinyu.corpus.tables import escape_cell, is_figure, render

# a caption row: the unit of the table's figures (「(単位:百万円)」「(単位 千円)」「(百万円)」)
RE_UNIT_CAPTION = re.compile(r"単位|^[(（]\s*(?:千円|百万円|億円|円|千株|株|%|人)\s*[)）]$")
# header rows are those above the first row of figures; more than this is a table whose figures
# come late (a text table with a number in its last rows): the header is its first row then
MAX_HEADER_ROWS = 6
HEADER_PATH_SEPARATOR = " / "
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


def _own_rows(table) -> list:
    """The ``<tr>`` of this table, not of tables nested in its cells."""
    rows = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag == "tr")
    return rows


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
    for r, tr in enumerate(_own_rows(table)):
        row: list[tuple[int, str] | None] = []
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
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


def _drop_empty(cells: list[list[tuple[int, str]]], marked: list[bool]):
    keep_rows = [i for i, row in enumerate(cells) if any(text for _, text in row)]
    cells = [cells[i] for i in keep_rows]
    marked = [marked[i] for i in keep_rows]
    if not cells:
        return cells, marked
    keep_cols = [j for j in range(len(cells[0])) if any(row[j][1] for row in cells)]
    # a column that repeats its left neighbour's cell in every row is a span's copy, not a column
    # of its own (a grid split only for a header elsewhere that was dropped as empty)
    distinct = [j for k, j in enumerate(keep_cols) if k == 0 or any(row[j][0] != row[keep_cols[k - 1]][0] for row in cells)]
    return [[row[j] for j in distinct] for row in cells], marked


def _first_figure_column(cells) -> int | None:
    """The first column that holds figures: left of it are the label columns."""
    for j in range(len(cells[0])):
        figures = sum(1 for row in cells if is_figure(row[j][1]))
        if figures and figures >= 0.3 * sum(1 for row in cells if row[j][1]):
            return j
    return None


def _label_columns(cells, figure_col: int) -> int:
    """How many leading columns make the row label: those left of the figures that hold one text
    per row (a label indented by empty cells, 「流動資産」 then 「現金及び預金」 one column right),
    but not columns of their own (an officer table's 役職名 | 氏名 | 生年月日 | 略歴 before its
    所有株式数): the widest such prefix, at least the first column."""
    for k in range(figure_col, 1, -1):
        rows = [row for row in cells if any(row[j][1] for j in range(k))]
        one_text = sum(1 for row in rows if len({row[j][0] for j in range(k) if row[j][1]}) <= 1)
        if one_text >= 0.9 * len(rows):
            return k
    return 1


def _label(row, label_cols: range) -> str:
    """The row's label: the distinct texts of its label columns, left to right."""
    texts, seen = [], set()
    for j in label_cols:
        number, text = row[j]
        if text and number not in seen:
            texts.append(text)
        seen.add(number)
    return " ".join(texts)


def _path(texts: list[str]) -> str:
    """Header texts of one column, top-down, a repeat (a row span) said once."""
    out: list[str] = []
    for t in texts:
        if t and (not out or out[-1] != t):
            out.append(t)
    return HEADER_PATH_SEPARATOR.join(out)


def table_markdown(table) -> str | None:
    """The Markdown of one ``<table>`` element (see the module docstring), or None when it holds
    no text."""
    cells, marked = grid(table)
    cells, marked = _drop_empty(cells, marked)
    if not cells or not cells[0]:
        return None
    width = len(cells[0])
    figure_col = _first_figure_column(cells) if width > 1 else None
    label_end = _label_columns(cells, figure_col) if figure_col else 1
    label_cols, value_cols = range(0, label_end), range(label_end, width)

    def has_figures(row) -> bool:
        return any(is_figure(row[j][1]) for j in value_cols)

    if any(marked):
        n_header = next((i for i, m in enumerate(marked) if not m), len(cells))
    elif figure_col is not None:
        # the header: the leading rows with text over the figures, above the first row of
        # figures; a row with a label and nothing over the figures (「投資その他の資産」) is a
        # heading row of the body
        n_header = next(
            (i for i, row in enumerate(cells) if has_figures(row) or not any(row[j][1] for j in value_cols)), len(cells)
        )
        if n_header > MAX_HEADER_ROWS:
            n_header = 1
    else:
        # no figures, no header markup: the first row that is no caption is the header (「年月 |
        # 沿革」, 「【提出書類】 | 有価証券報告書」 over a cover page's form fields)
        n_header = next((i + 1 for i, row in enumerate(cells) if len({t for _, t in row if t}) > 1), 0)
    captions, header_rows = [], []
    for row in cells[:n_header]:
        texts = {text for _, text in row if text}
        if len(texts) == 1 and (RE_UNIT_CAPTION.search(next(iter(texts))) or figure_col is None):
            captions.append(escape_cell(next(iter(texts))))
        else:
            header_rows.append(row)
    body = cells[n_header:]
    if width == 1 or not body:
        # one column, or nothing under the header: lines of text, not a table
        lines = [*captions]
        lines += [" ".join(t for t in dict.fromkeys(text for _, text in row) if t) for row in header_rows + body]
        return "\n".join(line for line in lines if line) or None
    rows = [[escape_cell(_label(row, label_cols))] + [escape_cell(row[j][1]) for j in value_cols] for row in body]
    if not header_rows:
        header = [""] * (1 + len(value_cols))
    else:
        header = [escape_cell(_path([_label(row, label_cols) for row in header_rows]))]
        header += [escape_cell(_path([row[j][1] for row in header_rows])) for j in value_cols]
    return render(header, rows, captions)
