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

The extractors write tables with ``grid_markdown`` (a grid of cells, spans expanded) and
``render`` (HTML: ``kinyu.corpus.extract.html_tables``; PDF: ``kinyu.corpus.extract.pdf_tables``);
the filters find them again with ``table_blocks``: a block of ``|``-lines with a header, a
separator and rows of one column count. Anything else made of ``|``-lines (trafilatura's
headerless rows, broken PDF columns) is not a table here and is judged as residue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEPARATOR_CELL = "---"
# note marks before a figure: 「※2」「※3 , ※4」「(注)3」「(注1)」「注1」「*1」
_NOTE_MARK = r"(?:※\s*\d*|\(注\s*\d*\)\s*\d*|注\s*\d+|\*\d*)"
# A figure cell: sign, digits with separators, a unit or % after, note marks before; or a
# dash/「－」 for nil (a lone △ is a template's placeholder). Not a date or a period 「2019年3月」.
# Full-width ％ and brackets too: the extractors read tables before NFKC.
# the units a figure may carry (「12.5％」「1,000株」「3店」)
_FIGURE_UNIT = r"(?:%|％|倍|円|千円|百万円|億円|株|千株|百株|人|名|件|年|ヶ月|か月|回|社|台|店|点|㎡|m2|千㎡|ha|%ポイント|％ポイント|ポイント|pt)"
RE_FIGURE = re.compile(
    rf"^(?:{_NOTE_MARK}\s*[,、]?\s*)*"
    rf"(?:[△▲\-−+±＋－]?\s*[(（]?[\d,]*\d(?:\.\d+)?[)）]?\s*{_FIGURE_UNIT}?"
    r"(?:\s*[(（]\s*(?:[\d,]*\d(?:\.\d+)?|[-−―ー－—‐])\s*[)）])?"  # a part of it in brackets: 「74(74)」「34.0(17.0)」「374(―)」
    r"|[-−―ー－—‐△▲]{1,2})$"
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


def table_lines(blocks: list[TableBlock]) -> set[int]:
    """The indices of every line inside ``blocks``."""
    return {j for block in blocks for j in range(block.start, block.end)}


def labelled_share(lines: list[str], block: TableBlock) -> float:
    """Share of the block's rows that carry text: a cell that is neither empty nor a figure (a
    label, or a cell of prose beside an item number 「| | (2) | 市場低迷の長期化や…可能性があります |」).
    A row of bare figures has none."""
    rows = [split_row(lines[j]) for j in block.rows]
    return sum(1 for r in rows if any(c and not is_figure(c) for c in r)) / max(len(rows), 1)


def header_labels(lines: list[str], block: TableBlock) -> bool:
    """Whether the table is read by columns: one row of figures under a header line that names
    them (「| 従業員数(人) | 平均年齢(歳) | … |」 over the figures, a segment's regions over their
    sales). With two rows or more, rows of bare figures cannot be told apart: no labels."""
    named = sum(1 for c in split_row(lines[block.start]) if c and not is_figure(c))
    return len(block.rows) == 1 and named >= 2


DASHES = frozenset("-―—‐－ー")


def _is_prose_cell(cell: str) -> bool:
    # a clause in a cell is content, not a label: 「1交付する再編対象会社の新株予約権の数…とする。」
    return "。" in cell


def filled_share(lines: list[str], block: TableBlock) -> float:
    """Share of the block's rows with something beside their label: a second cell, a figure, or
    a cell of prose. An empty form, a statement template's 「| | 営業外費用合計 | |」, has labels
    and nothing beside them; a form's row of dashes (「| - | - | - |」) has nothing at all."""
    rows = [split_row(lines[j]) for j in block.rows]

    def filled(r: list[str]) -> bool:
        # a lone sign is a template's placeholder for a figure (「| 配当金の支払額 | △ | △ |」);
        # a dash beside a label is the filing's nil (「| 非上場株式 | - | - |」), alone it is blank
        cells = [c for c in r if c and c not in ("△", "▲")]
        if all(c in DASHES for c in cells):
            return False
        return len(cells) >= 2 or any(_is_prose_cell(c) or is_figure(c) for c in cells)

    return sum(1 for r in rows if filled(r)) / max(len(rows), 1)


# --- a grid of cells -> the Markdown table (HTML: html_tables.grid; PDF: pdf_tables) -------

# a caption row: the unit of the table's figures (「(単位:百万円)」「(単位 千円)」「(百万円)」)
RE_UNIT_CAPTION = re.compile(r"単位|^[(（]\s*(?:千円|百万円|億円|円|千株|株|%|人)\s*[)）]$")
# header rows are those above the first row of figures; more than this is a table whose figures
# come late (a text table with a number in its last rows): the header is its first row then
MAX_HEADER_ROWS = 6
HEADER_PATH_SEPARATOR = " / "


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
    cells = [[row[j] for j in distinct] for row in cells]
    return _merge_unit_columns(cells), marked


# a unit alone in a cell of its own right of its figure (「0.76 | ％」, 「12 | 倍」)
_RE_BARE_UNIT = re.compile(rf"^{_FIGURE_UNIT}$")


def _merge_unit_columns(cells):
    """A column that holds only units beside the figures left of it (a ratio row of
    「0.76 | ％ | 0.68 | ％」 in a table whose other rows span both columns with one figure) is
    part of those figures: each unit joins its figure, the column goes."""
    def joined(row, j):  # column j-1 with column j's own unit, if it has one
        (number, figure), (own, unit) = row[j - 1], row[j]
        return (number, figure + unit) if unit and own != number else (number, figure)

    j = 1
    while j < len(cells[0]):
        own = [row for row in cells if row[j][1] and row[j][0] != row[j - 1][0]]
        if own and all(_RE_BARE_UNIT.match(row[j][1]) and is_figure(row[j - 1][1]) for row in own):
            cells = [[*row[: j - 1], joined(row, j), *row[j + 1:]] for row in cells]
        else:
            j += 1
    return cells


# a calendar year over a column (「2019年」「2020年」 under 「3月31日に終了した1年間」): a header, not a figure
RE_YEAR = re.compile(r"^(?:19|20)\d\d年$")


def _is_figures(text: str) -> bool:
    """A figure, or figures on lines of one cell (「4,999 1,008」: 本社 and 柏崎工場 in one row)."""
    return is_figure(text) or (" " in text and all(is_figure(part) for part in text.split()))


def _is_numbering(cells, j: int) -> bool:
    """Whether column ``j`` numbers the rows (「1」「2」「3」… beside 評価指標 | 目標値): part of the
    label, not a column of figures."""
    texts = [row[j][1] for row in cells if row[j][1]]
    if len(texts) < 2 or not all(t.isdecimal() and len(t) <= 3 for t in texts):
        return False
    numbers = [int(t) for t in texts]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers))) and j + 1 < len(cells[0])


def _is_spanning(row) -> bool:
    """One cell across the whole row: a note or a heading, not a row of cells."""
    return len(row) > 1 and bool(row[0][1]) and all(number == row[0][0] for number, _ in row)


def _first_figure_column(cells) -> int | None:
    """The first column that holds figures (not a column of row numbers): left of it are the
    label columns. Where no column of the whole table is 30 % figures, the share is counted over
    the block of rows with numbers that ends the table: a tall header over one row of figures
    (a derivative table's 契約額 / うち1年超 / 公正価値) is no table of text."""
    # rows with a number (a nil dash alone makes no row of figures: a ratings table's 「－」), when
    # they are all the rows from the first of them on: a header block over a block of figures
    numbered = [any(is_figure(text) and any(ch.isdigit() for ch in text) for _, text in row) for row in cells]
    first = numbered.index(True) if any(numbered) else len(cells)
    # a note across the table's width under its figures (「(注)1. …」) ends no block of figures
    rest = [i for i in range(first, len(cells)) if not _is_spanning(cells[i])]
    body = [cells[i] for i in rest] if all(numbered[i] for i in rest) else []
    columns = [j for j in range(len(cells[0])) if not _is_numbering(cells, j)]
    for rows in (cells, body):  # the whole table first: a text table's odd figure is no column
        for j in columns:
            figures = sum(1 for row in rows if is_figure(row[j][1]))
            if figures and figures >= 0.3 * sum(1 for row in rows if row[j][1]):
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


def _names_values(row) -> bool:
    """A row with nothing in its first column and text right of it: names the columns it is over."""
    return not row[0][1] and any(text for _, text in row[1:])


def grid_markdown(cells: list[list[tuple[int, str]]], marked: list[bool]) -> str | None:
    """A table's grid of (cell number, text) rows, spans expanded (a spanned cell's number and
    text in each slot it covers), and per row whether the source marks it a header row -> its
    Markdown: empty rows and columns dropped, the label columns left of the first column of
    figures merged into one label, the rows above the first row of figures (or the marked ones)
    the header, each column's header texts joined top-down into its path, a row of only the unit
    (「(単位:百万円)」) a caption. None when it holds no text."""
    cells, marked = _drop_empty(cells, marked)
    if not cells or not cells[0]:
        return None
    width = len(cells[0])
    figure_col = _first_figure_column(cells) if width > 1 else None
    label_end = _label_columns(cells, figure_col) if figure_col else 1
    label_cols, value_cols = range(0, label_end), range(label_end, width)

    def has_figures(row) -> bool:
        # a row of years without a label (「| | 2019年 | 2020年 | 増減 |」) is a header row
        unlabelled = not any(row[j][1] for j in label_cols)
        return any(_is_figures(row[j][1]) and not (unlabelled and RE_YEAR.match(row[j][1])) for j in value_cols)

    if any(marked):
        n_header = next((i for i, m in enumerate(marked) if not m), len(cells))
    elif figure_col is not None:
        # the header: the leading rows with text over the figures, above the first row of
        # figures; a row with a label and nothing over the figures (「投資その他の資産」) is a
        # heading row of the body
        def over_values(row) -> bool:
            return any(row[j][1] for j in value_cols)

        # rows of a label alone above a header row are the title of its label column (「配当」 over
        # 決議内容 | 株式の種類 | 配当金の総額); above the first figures, a heading of the body
        titles = next((i for i, row in enumerate(cells) if over_values(row)), len(cells))
        if titles == len(cells) or has_figures(cells[titles]):
            titles = 0
        n_header = next((i for i in range(titles, len(cells)) if has_figures(cells[i]) or not over_values(cells[i])), len(cells))
        if n_header - titles > MAX_HEADER_ROWS:
            n_header = 1
    else:
        # no figures, no header markup: the first row that is no caption is the header (「年月 |
        # 沿革」, 「【提出書類】 | 有価証券報告書」 over a cover page's form fields); a row that names only the
        # value column (「| | 第2回新株予約権 |」 over 付与日 | 2016年7月5日) is a header too
        n_header = next((i + 1 for i, row in enumerate(cells) if len({t for _, t in row if t}) > 1 or _names_values(row)), 0)
    # a text table's single-text rows are captions (「【表紙】」 over a form), unless its header row
    # has an empty corner: then they are titles over its columns (「2008年5月15日決議」 spanned over
    # 「| | 事業年度末現在 | 提出日の前月末現在 |」), part of every column's path as in a table of figures
    titled = figure_col is not None or (n_header > 0 and _names_values(cells[n_header - 1]))
    captions, header_rows, as_text = [], [], []  # as_text: every row as a line, in the source's order
    for row in cells[:n_header]:
        texts = {text for _, text in row if text}
        if len(texts) == 1 and (RE_UNIT_CAPTION.search(next(iter(texts))) or not titled):
            captions.append(escape_cell(next(iter(texts))))
            as_text.append(captions[-1])
        else:
            header_rows.append(row)
            as_text.append(" ".join(t for t in dict.fromkeys(text for _, text in row) if t))
    body = cells[n_header:]
    if width == 1 or not body:
        # one column, or nothing under the header: lines of text, not a table
        lines = as_text + [" ".join(t for t in dict.fromkeys(text for _, text in row) if t) for row in body]
        return "\n".join(line for line in lines if line) or None
    # notes across the table's width under its last row (「(注)1. …」): lines under the table
    notes = []
    while len(body) > 1 and _is_spanning(body[-1]):
        notes.insert(0, escape_cell(body.pop()[0][1]))
    # a heading across the width inside the body (「【資産の部】」): its label, once, not in every cell
    # and a label spanned into a value column (「危険債権」 over the column of 「①」) said once, as its label
    def value(row, j) -> str:
        return "" if _is_spanning(row) or row[j][0] == row[label_end - 1][0] else escape_cell(row[j][1])

    rows = [[escape_cell(_label(row, label_cols))] + [value(row, j) for j in value_cols] for row in body]
    if not header_rows:
        header = [""] * (1 + len(value_cols))
    else:
        header = [escape_cell(_path([_label(row, label_cols) for row in header_rows]))]
        header += [escape_cell(_path([row[j][1] for row in header_rows])) for j in value_cols]
    return "\n".join([render(header, rows, captions), *notes])
