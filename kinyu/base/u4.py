"""NTCIR-18 U4 table QA (``filings-u4``): its reports, its questions and gold cells, and what a
gold cell is in its table.

The data (see ``filings-u4/MANIFEST.md``): ``reports-<split>.tar.xz`` unpack to
``reports/<doc>/<doc>-<section>.html``, in which every ``<table>`` carries a ``table-id`` and
every ``<td>``/``<th>`` a ``cell-id`` (``<doc>-<section>-tab<n>-r<row>c<col>``; ``c`` counts the
row's own cells, not grid columns); ``questions/<split>-questions.json.xz`` maps a qid to
``{question, doc_id, table_id, cell_id, value}``.

``gold_cells`` reads a gold cell's context from the HTML itself, independent of any extractor:
its displayed text, its row label (the first non-empty text left of it in its grid row that is
not a figure) and its column header (the first non-empty text above it in its grid column that is
neither a figure nor a unit caption). The table benchmark (``benchmarks/tables.py``) and the
tests check a corpus's text against these.
"""

from __future__ import annotations

import json
import lzma
import re
import tarfile
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kinyu.base.errors import PathNotFound, UserError

SPLITS = ("train", "valid", "test")
# the splits kinyu evaluates on (``kinyu eval``'s U4 tasks) and decontaminates a corpus against;
# the train split is training data only, never evaluation data
EVAL_SPLITS = ("valid", "test")
# a figure: what a row label or a column header is not (「1,234」「△12.3%」「※2 196,655」「－」)
# (a sign inside its brackets 「(△326,876)」; a unit after 「14,263百万円」; a part in brackets 「34.0(17.0)」)
_UNITS = r"(?:%|円|千円|百万円|億円|兆円|株|千株|百万株|人|名|倍|ドル|千ドル|百万ドル)"
_RE_FIGURE = re.compile(rf"^(?:※\d*|\(注\d*\)|\*\d*)*[△▲\-−+]?\(?[△▲\-−+]?[\d,]*\d(?:\.\d+)?\)?{_UNITS}?(?:\([\d,]*\d(?:\.\d+)?\)|\([-−―ー－—‐]\))?$|^[-−―ー－—‐]+$")
# a unit caption: what a column header is not (「(単位:百万円)」, 「(百万円)」 over the figures, 「百万円」)
_RE_UNIT_ALONE = re.compile(rf"^[(（]?(?:単位[:：]?)?{_UNITS}[)）]?$")
_RE_SEPARATOR = re.compile(r"^\|(?::?-{3,}:?\|)+$")  # a Markdown separator line, compact()
_RE_CELL_ID = re.compile(r"^(?P<doc>[^-]+)-(?P<section>\d+)-tab\d+-r\d+c\d+$")


def compact(text: str) -> str:
    """NFKC with all white space removed: how a cell's text and a line of a corpus are compared
    (the corpus is NFKC; spaces between a figure's sign and digits are the source's layout)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def is_figure(text: str) -> bool:
    return bool(_RE_FIGURE.match(compact(text)))


def is_unit_caption(text: str) -> bool:
    return "単位" in text or bool(_RE_UNIT_ALONE.match(compact(text)))


def reports_dir(root: Path, split: str) -> Path:
    """Where ``split``'s reports are once unpacked under ``root`` (``root/<split>/reports``)."""
    return Path(root) / split / "reports"


def archive(shared: Path, split: str) -> Path:
    """``shared/reports-<split>.tar.xz``; a missing one (or a split that is not one) is an error that
    says what is there."""
    if split not in SPLITS:
        raise UserError(f"U4 split {split!r} is not one of {', '.join(SPLITS)}")
    path = Path(shared) / f"reports-{split}.tar.xz"
    if not path.is_file():
        found = sorted(p.name for p in Path(shared).glob("reports-*.tar.xz")) if Path(shared).is_dir() else []
        raise PathNotFound(f"{path} not found" + (f" (there: {', '.join(found)})" if found else
                                f": is {shared} the filings-u4 folder (../shared/data/filings-u4)?"))
    return path


def unpack(shared: Path, root: Path, split: str, progress=None) -> Path:
    """Unpack ``shared/reports-<split>.tar.xz`` under ``root/<split>`` once (the archive stays as
    it is); return the reports folder.

    Unpacked into a hidden folder beside it, renamed when complete: a killed unpack leaves no
    half folder that a rerun would take for done. ``progress(done_files, name)`` is called per
    file unpacked (the archive's member count is unknown until the xz stream is read to its end).
    """
    out = reports_dir(root, split)
    if out.is_dir() and any(out.iterdir()):
        return out
    source = archive(shared, split)
    tmp = Path(root) / f".{split}.unpacking"
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    done = 0
    with tarfile.open(source) as tar:
        for member in tar:  # streamed: one pass over the xz data
            tar.extract(member, tmp, filter="data")
            if member.isfile():
                done += 1
                if progress is not None:
                    progress(done, member.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():  # an empty reports/ folder
        out.rmdir()
    (tmp / "reports").rename(out)
    tmp.rmdir()
    return out


def questions(shared: Path, split: str) -> dict[str, dict]:
    """The split's questions with their gold cell (``cell_id``, ``value``) where it is known: the
    test split's questions carry none, its public gold standard (1,303 of 2,898) does."""
    folder = Path(shared) / "questions"
    with lzma.open(folder / f"{split}-questions.json.xz", "rt", encoding="utf-8") as f:
        items = json.load(f)
    for path in sorted(folder.glob(f"{split}-gold_standard*.json.xz")):
        with lzma.open(path, "rt", encoding="utf-8") as f:
            for qid, gold in json.load(f).items():
                if qid in items:
                    items[qid] = {**items[qid], **gold}
    return {qid: item for qid, item in items.items() if item.get("cell_id")}


def is_u4_folder(path: Path) -> bool:
    """A ``filings-u4`` folder: ``questions/`` and at least one ``reports-<split>.tar.xz``."""
    path = Path(path)
    return (path / "questions").is_dir() and any((path / f"reports-{s}.tar.xz").is_file() for s in SPLITS)


def eval_split_problem(split: str) -> str | None:
    """The one rule of the U4 splits kinyu evaluates on (``EvalConfig.u4_split``, :func:`check_eval_split`)."""
    if split not in EVAL_SPLITS:
        return (f"U4 split {split!r} cannot be evaluated on: use one of {', '.join(EVAL_SPLITS)}"
                + (" (train is training data only)" if split == "train" else ""))
    return None


def check_eval_split(split: str) -> str:
    if problem := eval_split_problem(split):
        raise UserError(problem)
    return split


def section_trees(shared: Path, split: str, names=None):
    """``(file name, lxml tree)`` of the split's section files, read from ``reports-<split>.tar.xz``
    without unpacking it, in archive order; ``names``: the file names to parse (None: all)."""
    import lxml.html

    with tarfile.open(Path(shared) / f"reports-{split}.tar.xz") as tar:
        for member in tar:
            name = Path(member.name).name
            if not member.isfile() or not name.endswith(".html") or (names is not None and name not in names):
                continue
            data = tar.extractfile(member).read()
            yield name, lxml.html.fromstring(data, parser=lxml.html.HTMLParser(encoding="utf-8"))


def table_of(tree, table_id: str):
    found = tree.xpath(f'//table[@table-id="{table_id}"]')
    return found[0] if found else None


def table_text(table) -> str:
    """A table's text on one line, row by row, each cell once (a span is not repeated): the
    order every renderer keeps (kinyu's Markdown, trafilatura's rows), so that decontamination
    matches the table however a corpus wrote it."""
    out = []
    for row in grid(table, cell_text):
        last = object()
        for cid, text in row:
            if text and cid != last:
                out.append(text)
            last = cid
    return " ".join(out)


def benchmark_texts(shared: Path, splits=EVAL_SPLITS):
    """``(item id, text)`` of the evaluated splits: each question, and each table a question
    points at (:func:`table_text`) - what decontamination removes from a corpus."""
    for split in splits:
        items = questions(shared, check_eval_split(split))
        tables: dict[str, set[str]] = {}
        for qid, item in items.items():
            yield f"u4:{split}:{qid}:question", item["question"]
            tables.setdefault(section_file(Path(), item["cell_id"]).name, set()).add(item["table_id"])
        for name, tree in section_trees(shared, split, set(tables)):
            for tid in sorted(tables[name]):
                table = table_of(tree, tid)
                if table is not None:
                    yield f"u4:{split}:{tid}:table", table_text(table)


def section_file(reports: Path, cell_id: str) -> Path:
    m = _RE_CELL_ID.match(cell_id)
    if not m:
        raise ValueError(f"not a U4 cell id: {cell_id}")
    return Path(reports) / m["doc"] / f"{m['doc']}-{m['section']}.html"


@dataclass(frozen=True)
class GoldCell:
    qid: str
    cell_id: str
    table_id: str
    file: str  # the section file's name (<doc>-<section>.html)
    text: str  # the cell as displayed, compact()
    row_label: str  # compact(); "" when the row has none left of the cell
    column_header: str  # compact(); "" when the column has none above the cell


def cell_text(cell) -> str:
    """A cell's text as displayed: NFKC, white space runs as one space (a note mark 「※4」 and
    its figure stay apart, as the source's layout has them)."""
    return " ".join(unicodedata.normalize("NFKC", "".join(cell.itertext())).split())


def grid(table, text=None) -> list[list[tuple[str | None, str]]]:
    """(cell-id, text) per grid slot, spans expanded; rows of this table only. ``text`` reads a
    cell (default: :func:`compact` of its text). The yardstick's own reading of the HTML, apart
    from the renderer it judges (``kinyu.corpus.extract.html_tables.grid``)."""
    read = text or (lambda cell: compact("".join(cell.itertext())))
    rows = [tr for tr in table.iter("tr") if next(tr.iterancestors("table")) is table]
    out: list[list[tuple[str | None, str]]] = []
    pending: dict[tuple[int, int], tuple[str | None, str]] = {}
    for r, tr in enumerate(rows):
        row: list[tuple[str | None, str]] = []
        col = 0
        for cell in (c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")):
            while (r, col) in pending:
                row.append(pending.pop((r, col)))
                col += 1
            slot = (cell.get("cell-id"), read(cell))
            span_c = max(1, min(int(cell.get("colspan", "1") or 1), 1000))
            span_r = max(1, min(int(cell.get("rowspan", "1") or 1), 1000))
            for c in range(col, col + span_c):
                row.append(slot)
                for d in range(1, span_r):
                    pending[(r + d, c)] = slot
            col += span_c
        while (r, col) in pending:
            row.append(pending.pop((r, col)))
            col += 1
        out.append(row)
    return out


def _context(grid, cell_id: str) -> tuple[str, str, str] | None:
    for r, row in enumerate(grid):
        for c, (cid, text) in enumerate(row):
            if cid != cell_id:
                continue
            label = next((t for k, t in row[:c] if t and k != cell_id and not is_figure(t)), "")
            header = ""
            for above in grid[:r]:
                if c < len(above):
                    k, t = above[c]
                    if t and k != cell_id and not is_figure(t) and not is_unit_caption(t):
                        header = t
                        break
            return text, label, header
    return None


def cell_context(table, cell_id: str, compact_grid=None) -> tuple[str, str, str] | None:
    """``(text, row label, column header)`` of a cell of ``table``, compact() (see the module doc);
    ``compact_grid``: the table's :func:`grid`, when the caller has it."""
    return _context(compact_grid if compact_grid is not None else grid(table), cell_id)


def gold_cells(reports: Path, items: dict[str, dict]) -> list[GoldCell]:
    """The context of every question's gold cell whose section file exists (three files of the
    snapshot are missing, see the MANIFEST), in qid order of the file."""
    import lxml.html

    by_file: dict[Path, list[tuple[str, dict]]] = {}
    for qid, item in items.items():
        by_file.setdefault(section_file(reports, item["cell_id"]), []).append((qid, item))
    out = []
    for path in sorted(by_file):
        if not path.exists():
            continue
        tree = lxml.html.fromstring(path.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))
        grids: dict[str, list] = {}
        for qid, item in by_file[path]:
            tid = item["table_id"]
            if tid not in grids:
                tables = tree.xpath(f'//table[@table-id="{tid}"]')
                grids[tid] = grid(tables[0]) if tables else []
            ctx = _context(grids[tid], item["cell_id"])
            if ctx is not None:
                out.append(GoldCell(qid, item["cell_id"], tid, path.name, *ctx))
    return out


def every_cell(reports: Path, per_table: int = 30, seed: int = 0) -> list[GoldCell]:
    """Beyond the questions: every figure cell of every table of the reports (up to ``per_table``
    per table, drawn with ``seed``) that has a row label and a column header, read as
    :func:`gold_cells` reads a gold cell (``qid`` empty). A denser yardstick for tuning a renderer:
    thousands of tables' layouts, not only the ones the questions ask about."""
    import random

    import lxml.html

    rng = random.Random(seed)
    out = []
    for path in sorted(Path(reports).glob("*/*.html")):
        tree = lxml.html.fromstring(path.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))
        for table in tree.xpath("//table[@table-id]"):
            g = grid(table)
            ids = list(dict.fromkeys(cid for row in g for cid, text in row if cid and text and is_figure(text)))
            if len(ids) > per_table:
                ids = rng.sample(ids, per_table)
            for cid in ids:
                ctx = _context(g, cid)
                if ctx is not None and ctx[1] and ctx[2]:
                    out.append(GoldCell("", cid, table.get("table-id"), path.name, *ctx))
    return out


# --- a corpus's text against the gold cells ---------------------------------------------------
# A gold cell is found "with label" when its displayed value stands on one line with its row
# label, "with label and header" when its column header is also among the header lines of the
# same table: the lines of the |-block above a Markdown separator, or, in a block without one
# (a headerless renderer), the block's lines above the value's line.


def _block(lines: list[str], i: int) -> tuple[int, int]:
    lo = i
    while lo > 0 and "|" in lines[lo - 1]:
        lo -= 1
    hi = i
    while hi + 1 < len(lines) and "|" in lines[hi + 1]:
        hi += 1
    return lo, hi


def _header_lines(lines: list[str], i: int) -> list[str]:
    lo, _ = _block(lines, i)
    above = lines[lo:i]
    seps = [k for k, line in enumerate(above) if _RE_SEPARATOR.match(line)]
    return above[: seps[-1]] if seps else above


def judge(cell: GoldCell, lines: list[str] | None) -> str:
    """``ok``, or the cause of the miss."""
    if lines is None:
        return "document dropped"
    hits = [i for i, line in enumerate(lines) if cell.text in line]
    if not hits:
        return "value absent"
    # the value and its label apart on the line: a short value may stand inside its label
    # (「-」 in 「TAK-831(注7)」, 「1」 in 「第1回」), so either is taken out before the other is sought
    labelled = [i for i in hits if cell.row_label in lines[i].replace(cell.text, "", 1)
                or cell.row_label in lines[i] and cell.text in lines[i].replace(cell.row_label, "", 1)]
    if not labelled:
        return "value not on a line with its label"
    if not any(cell.column_header in h for i in labelled for h in _header_lines(lines, i)):
        return "column header not in the table's header lines"
    return "ok"


def score(cells: list[GoldCell], texts: dict[str, str]) -> dict:
    compacted = {name: [compact(line) for line in text.split("\n")] for name, text in texts.items()}
    causes: Counter = Counter()
    label_ok = anywhere = 0
    for cell in cells:
        lines = compacted.get(cell.file)
        verdict = judge(cell, lines)
        causes[verdict] += 1
        anywhere += verdict not in ("document dropped", "value absent")
        label_ok += verdict in ("ok", "column header not in the table's header lines")
    n = len(cells)
    return {"cells": n, "label+header": causes["ok"] / n, "label": label_ok / n, "anywhere": anywhere / n,
            "causes": {k: v for k, v in causes.most_common() if k != "ok"}}
