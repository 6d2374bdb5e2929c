"""Tables on a PDF page, from the characters both backends give, as kinyu's Markdown tables.

A PDF has no table markup: a table is text set in aligned columns. The fee schedules of the
shared MHLW PDFs (点数表) have no ruling lines at all (pdfminer finds none on 8 of their 9
horizontal files): an item's label, a gap of many ems, its points right-aligned to the text's
right edge (「ロ 15日分以上21日分以下の場合 … 67点」). A financial statement page (the sample's
連結損益計算書) has a label column and right-aligned figure columns under header rows
(「前連結会計年度」 over 「（自 2023年４月１日」 over 「至 2024年３月31日）」). So tables are found
from the characters' boxes, on the same tuples for both backends (``pdf_layout.Char``):

1. characters into text rows (boxes that overlap vertically), a row into chunks where the gap
   exceeds ``CHUNK_GAP`` ems;
2. a *figure row*: a label chunk, then only figures (``kinyu.corpus.tables.is_figure``), the
   first of them ``VALUE_GAP`` ems or more right of the label;
3. a table: ``MIN_ROWS`` or more figure rows in a run (rows no more than ``ROW_GAP`` row heights
   apart), with up to ``MAX_HEADINGS`` label-only rows between them (「ロ ８日分以上28日分以下の
   場合」 over its sub-items), and the rows right above the first that stand only over the figure
   columns as its header rows (a unit 「（単位：百万円）」 becomes its caption);
4. the value columns: the figure chunks' x ranges, overlapping ones merged; a header chunk goes
   to each column it overlaps (a spanned header repeated);
5. the grid goes through ``kinyu.corpus.tables.grid_markdown``, the same as an HTML table's.

The table's characters are taken out of the page's layout analysis and its Markdown put in its
place in the reading order (``place``). A page of vertical text (縦書き) has no tables here.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter

from kinyu.corpus.extract.pdf_layout import Char, LayoutParams, _Line
from kinyu.corpus.tables import is_figure, grid_markdown

CHUNK_GAP = 1.5  # ems: a wider gap between characters of a row separates two chunks (cells)
VALUE_GAP = 2.0  # ems: the gap between a row's label and its first figure, at least
ROW_GAP = 3.0  # row heights: rows further apart (baseline to baseline) are not one table
MIN_ROWS = 2
MAX_HEADINGS = 2
MAX_WRAPPED = 3  # lines of a label wrapped above its figures' line, at most
MAX_HEADER_ROWS = 6
VERTICAL_SHARE = 0.2  # a page with more of its characters in vertical runs is not searched
_X0 = itemgetter(1)


@dataclass
class PdfTable:
    """A table found on a page: its box (PDF points, y upwards), its Markdown lines and the
    indexes of its characters in the page's list."""

    x0: float
    y0: float
    x1: float
    y1: float
    lines: list[str]
    chars: set[int]

    @property
    def key(self) -> tuple[int, float, float]:
        """Its place among the page's text boxes (``pdf_layout._box_key`` of a horizontal box)."""
        return (1, -self.y0, self.x0)


class _Row:
    """A text row: its characters (indexes), its band (y0, y1), its height and its chunks (x0,
    x1, characters), whose text is made only when asked for (most rows are one chunk of prose,
    which no table needs)."""

    __slots__ = ("idx", "y0", "y1", "h", "spans", "_chunks", "_chars", "_wm")

    def __init__(self, idx: list[int], band: tuple[float, float], chars: list[Char], word_margin: float):
        self.idx = idx
        self.y0, self.y1 = band
        self.h = (band[1] - band[0]) or 1.0
        cs = sorted([chars[i] for i in idx], key=_X0)
        gap = CHUNK_GAP * self.h
        spans: list[list] = []  # [x0, x1, first, end] over cs
        for k, c in enumerate(cs):
            if spans and c[1] - spans[-1][1] <= gap:
                last = spans[-1]
                if c[3] > last[1]:
                    last[1] = c[3]
                last[3] = k + 1
            else:
                spans.append([c[1], c[3], k, k + 1])
        self.spans = spans
        self._chunks = None
        self._chars = cs
        self._wm = word_margin

    @property
    def chunks(self) -> list[tuple[float, float, str]]:
        """(x0, x1, text) of each chunk with text."""
        if self._chunks is None:
            out = []
            for x0, x1, a, b in self.spans:
                text = _Line(False, self._chars[a:b], self._wm).text().strip()
                if text:
                    out.append((x0, x1, text))
            self._chunks = out
        return self._chunks

    def is_figure_row(self) -> bool:
        if len(self.spans) < 2:
            return False
        c = self.chunks
        return (
            len(c) >= 2
            and not is_figure(c[0][2])
            and all(is_figure(t) for _, _, t in c[1:])
            and c[1][0] - c[0][1] >= VALUE_GAP * self.h
        )


def _vertical_share(chars: list[Char]) -> float:
    """Share of consecutive characters (in stream order) where the next one stands right below."""
    if len(chars) < 2:
        return 0.0
    down = 0
    prev = chars[0]
    for c in chars[1:]:
        _, ax0, ay0, _, ay1 = prev
        h = ay1 - ay0
        if h > 0 and -0.3 * h < c[1] - ax0 < 0.3 * h and ay0 - h < c[4] <= ay0 + 0.5 * h:
            down += 1
        prev = c
    return down / (len(chars) - 1)


def _rows(chars: list[Char], word_margin: float, blanks: list[int]) -> list[_Row]:
    """Text rows top to bottom: characters whose boxes overlap vertically by half a height
    (white space left out, its indexes put in ``blanks``)."""
    centre = [-(c[2] + c[4]) for c in chars]
    groups: list[list[int]] = []
    bands: list[tuple[float, float]] = []
    lo = hi = 0.0
    row: list[int] | None = None
    for i in sorted(range(len(chars)), key=centre.__getitem__):
        text, _, y0, _, y1 = chars[i]
        if text.isspace():
            blanks.append(i)
            continue
        if y1 <= y0:
            continue
        if row is not None:
            # overlap with the row's band by half the smaller height (min/max inlined: per character)
            overlap = (hi if hi < y1 else y1) - (lo if lo > y0 else y0)
            if overlap >= 0.5 * (hi - lo if hi - lo < y1 - y0 else y1 - y0):
                row.append(i)
                if y0 < lo:
                    lo = y0
                if y1 > hi:
                    hi = y1
                continue
            bands.append((lo, hi))
        row = [i]
        groups.append(row)
        lo, hi = y0, y1
    if row is not None:
        bands.append((lo, hi))
    return [_Row(g, b, chars, word_margin) for g, b in zip(groups, bands)]


def _close(upper: _Row, lower: _Row) -> bool:
    return upper.y0 - lower.y0 <= ROW_GAP * max(upper.h, lower.h)


def _columns(rows: list[_Row]) -> list[tuple[float, float]]:
    """The value columns: the x ranges of the figure chunks, overlapping ranges merged."""
    spans = sorted((x0, x1) for r in rows for x0, x1, _ in r.chunks[1:])
    cols: list[list[float]] = []
    for x0, x1 in spans:
        if cols and x0 <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], x1)
        else:
            cols.append([x0, x1])
    return [(a, b) for a, b in cols]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def _table(header: list[_Row], body: list[_Row]) -> tuple[str, list[_Row]] | None:
    figure_rows = [r for r in body if r.is_figure_row()]
    cols = _columns(figure_rows)
    label_end = max(r.chunks[0][1] for r in figure_rows)
    if any(r.chunks[0][1] > cols[0][0] for r in body):
        return None  # a label reaching into the figures: not columns
    # header rows stand over the figure columns only: each chunk right of every label, over a column
    above: list[_Row] = []
    for r in reversed(header):
        if not all(x0 > label_end and any(_overlap(x0, x1, *c) > 0 for c in cols) for x0, x1, _ in r.chunks):
            break
        above.insert(0, r)
    header = above
    cells: list[list[tuple[int, str]]] = []
    number = 0
    for r in [*header, *body]:
        row = [(0, "")] * (1 + len(cols))
        for k, (x0, x1, text) in enumerate(r.chunks):
            number += 1
            if r in body and k == 0:
                row[0] = (number, text)
                continue
            hits = [j for j, (c0, c1) in enumerate(cols) if _overlap(x0, x1, c0, c1) > 0]
            if not hits:  # between columns: the nearest one
                centre = (x0 + x1) / 2
                hits = [min(range(len(cols)), key=lambda j: abs((cols[j][0] + cols[j][1]) / 2 - centre))]
            if r in body:
                hits = [max(hits, key=lambda j: _overlap(x0, x1, *cols[j]))]
            for j in hits:
                if row[1 + j][1]:
                    row[1 + j] = (number, row[1 + j][1] + " " + text)
                else:
                    row[1 + j] = (number, text)
        cells.append(row)
    markdown = grid_markdown(cells, [False] * len(cells))
    if not markdown or "| --- |" not in markdown:
        return None
    return markdown, [*header, *body]


def _wraps(line: _Row, row: _Row, value_x0: float) -> bool:
    """Whether ``line`` (a row of one chunk above ``row``) is a line of ``row``'s label that wraps
    at the right edge of the text: it reaches into the figure column (the text's full width), ends
    no sentence, and starts no further right than the row's label."""
    if len(line.chunks) != 1:
        return False
    x0, x1, text = line.chunks[0]
    return x1 >= value_x0 - line.h and not text.endswith("。") and x0 <= row.chunks[0][0] + line.h


def _wrapped_above(rows: list[_Row], i: int, floor: int, value_x0: float) -> list[_Row]:
    """The wrapped lines of row ``i``'s label right above it (none above row ``floor``)."""
    out: list[_Row] = []
    k = i - 1
    while k >= floor and len(out) < MAX_WRAPPED and _close(rows[k], rows[k + 1]) and _wraps(rows[k], rows[i], value_x0):
        out.insert(0, rows[k])
        k -= 1
    return out


def _join_label(lines: list[_Row], row: _Row) -> None:
    """Put ``lines`` (its label's wrapped lines) in front of ``row``'s label."""
    if not lines:
        return
    x0, x1, label = row.chunks[0]
    text = ""
    for part in [ln.chunks[0][2] for ln in lines] + [label]:
        text += part if not text or (ord(text[-1]) > 0x7F and ord(part[0]) > 0x7F) else " " + part
    row.chunks[0] = (min(x0, *(ln.chunks[0][0] for ln in lines)), x1, text)
    row.idx = [c for ln in lines for c in ln.idx] + row.idx


def find_tables(chars: list[Char], params: LayoutParams = LayoutParams()) -> list[PdfTable]:
    """The tables on a page of characters (see the module docstring)."""
    if len(chars) < 4 or _vertical_share(chars) > VERTICAL_SHARE:
        return []
    blanks: list[int] = []
    rows = _rows(chars, params.word_margin, blanks)
    if sum(1 for r in rows if r.is_figure_row()) < MIN_ROWS:
        return []
    tables: list[PdfTable] = []
    i, n = 0, len(rows)
    prev_end = 0  # rows up to here belong to the previous table
    while i < n:
        if not rows[i].is_figure_row():
            i += 1
            continue
        value_x0 = rows[i].chunks[1][0]
        # the first lines of the first row's label, wrapped above it
        wrapped = _wrapped_above(rows, i, prev_end, value_x0)
        _join_label(wrapped, rows[i])
        start = i - len(wrapped)
        body = [rows[i]]
        pending: list[_Row] = []
        wrapping: list[_Row] = []
        j = i + 1
        while j < n and _close(rows[j - 1], rows[j]):
            r = rows[j]
            if r.is_figure_row():
                if wrapping and not all(_wraps(w, r, value_x0) for w in wrapping):
                    break
                _join_label(wrapping, r)
                body += pending + [r]
                pending, wrapping = [], []
                value_x0 = min(value_x0, r.chunks[1][0])
            elif wrapping or (len(r.chunks) == 1 and r.chunks[0][1] >= value_x0 - r.h):
                # a label's line wrapped at the right edge: the start of the next row's label
                if len(wrapping) >= MAX_WRAPPED or len(r.chunks) != 1:
                    break
                wrapping.append(r)
            elif len(r.chunks) == 1 and len(pending) < MAX_HEADINGS and r.chunks[0][1] < value_x0 - VALUE_GAP * r.h:
                pending.append(r)
            else:
                break
            j += 1
        j -= len(wrapping)
        end = j - len(pending)
        if sum(1 for r in body if r.is_figure_row()) >= MIN_ROWS:
            header: list[_Row] = []
            k = start - 1
            while k >= prev_end and len(header) < MAX_HEADER_ROWS and _close(rows[k], (header[0] if header else rows[start])):
                header.insert(0, rows[k])
                k -= 1
            made = _table(header, body)
            if made:
                markdown, used = made
                idx = {c for r in used for c in r.idx}
                boxes = [chars[c] for c in idx]
                t = PdfTable(
                    min(c[1] for c in boxes), min(c[2] for c in boxes), max(c[3] for c in boxes), max(c[4] for c in boxes),
                    markdown.split("\n"), idx,
                )
                # the spaces between its cells (「　受取利息」's indent) go with it
                t.chars |= {
                    c for c in blanks if t.x0 <= (chars[c][1] + chars[c][3]) / 2 <= t.x1 and t.y0 <= (chars[c][2] + chars[c][4]) / 2 <= t.y1
                }
                tables.append(t)
                prev_end = end
        i = max(end, i + 1)
    return tables


def place(boxes: list[tuple[tuple, list[str]]], tables: list[PdfTable], table_end: str = "") -> list[str]:
    """The page's lines: its text boxes (sort key, lines), already in reading order, with each
    table's lines (each followed by ``table_end``) before the first box that sorts after it
    (the order of ``boxes_flow=None``; with another, the table goes where that order puts it),
    a blank line before and after it: a paragraph of its own."""
    out: list[str] = []
    pending = sorted(tables, key=lambda t: t.key)
    k = 0
    for key, lines in boxes:
        while k < len(pending) and pending[k].key < key:
            out.extend(line + table_end for line in ["", *pending[k].lines, ""])
            k += 1
        out.extend(lines)
    for t in pending[k:]:
        out.extend(line + table_end for line in ["", *t.lines, ""])
    return out
