"""The items of the U4 table-QA tasks: a question of NTCIR-18 U4's table QA and its table as
kinyu renders it (:func:`kinyu.corpus.extract.html_tables.table_markdown`), from a ``filings-u4``
folder's ``valid`` or ``test`` split (the train split is training data only:
:func:`kinyu.base.u4.check_eval_split` refuses it). The reports are read from the split's archive,
not unpacked; items follow the questions file's order.

- ``u4_tableqa`` (generative): the model writes the value; scored by :func:`scoring.exact_match`
  with U4's normalisation (``normalize.py``).
- ``u4_tableqa_mc`` (likelihood): the gold cell as it is displayed against up to
  ``DISTRACTORS`` other cells of the same table, from the gold cell's column first, then its row
  (figures against figures, text against text, each a different value once normalised, shown in
  the prompt's table where possible), drawn and shuffled with a generator seeded by the question
  id: fixed per item. An item without any such cell is not a multiple-choice item.

A table is cut when it is large: its caption and header lines stay, and of its rows at most
``MAX_ROWS`` around the gold cell's row (``CONTEXT_ROWS`` above, the rest below); rows left out
are said in one line (「(… N 行省略 …)」). A table wider than ``MAX_TABLE_CHARS`` keeps fewer rows
(down to the gold row alone); a row is never cut inside.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from kinyu.base import u4
from kinyu.corpus.extract.html_tables import table_markdown
from kinyu.corpus.tables import is_separator
from kinyu.evaluation.tasks.u4_tableqa.normalize import cell_unit, cell_value, normalize_answer, strip_notes

MAX_ROWS = 16
CONTEXT_ROWS = 6
MAX_TABLE_CHARS = 2500
DISTRACTORS = 3
OMITTED = "(… {n} 行省略 …)"


def _gold_line(lines: list[str], text: str, label: str) -> int | None:
    hits = [i for i, line in enumerate(lines) if text and text in u4.compact(line)]
    labelled = [i for i in hits if label and label in u4.compact(lines[i]).replace(text, "", 1)]
    return (labelled or hits or [None])[0]


def _window(body: list[str], gold: int | None, rows: int) -> tuple[int, int]:
    if len(body) <= rows:
        return 0, len(body)
    g = 0 if gold is None else gold
    lo = max(0, min(g - min(CONTEXT_ROWS, rows - 1), len(body) - rows))
    return lo, lo + rows


def table_prompt(markdown: str, text: str, label: str) -> tuple[str, bool]:
    """The table as the prompt shows it (cut as the module docstring says) and whether it was cut."""
    lines = markdown.split("\n")
    sep = next((i for i, line in enumerate(lines) if is_separator(line)), None)
    head, body = (lines[: sep + 1], lines[sep + 1 :]) if sep is not None else ([], lines)
    gold = _gold_line(body, text, label)
    rows = MAX_ROWS
    while True:
        lo, hi = _window(body, gold, rows)
        kept = [*head] + ([OMITTED.format(n=lo)] if lo else []) + body[lo:hi] + ([OMITTED.format(n=len(body) - hi)] if hi < len(body) else [])
        out = "\n".join(kept)
        if len(out) <= MAX_TABLE_CHARS or rows == 1:
            return out, (lo, hi) != (0, len(body))
        rows = max(1, rows // 2)


def _distractors(qid: str, grid, cell_id: str, gold_text: str, shown: str, unit) -> list[str]:
    from kinyu.base.u4 import is_figure

    pos = next(((r, c) for r, row in enumerate(grid) for c, (cid, _) in enumerate(row) if cid == cell_id), None)
    if pos is None:
        return []
    r, c = pos
    column = [row[c] for i, row in enumerate(grid) if i != r and c < len(row)]
    same_row = [slot for j, slot in enumerate(grid[r]) if j != c]
    figure = is_figure(gold_text)
    seen = {normalize_answer(cell_value(gold_text, unit))}
    shown_compact = u4.compact(shown)
    # in this order: the column's cells shown in the prompt's table, the row's shown, then the
    # column's and the row's left out by a cut
    pools: list[list[str]] = [[], [], [], []]
    for in_row, slots in ((0, column), (1, same_row)):
        for cid, text in slots:
            if not text or cid == cell_id or is_figure(text) != figure or u4.is_unit_caption(text):
                continue
            key = normalize_answer(cell_value(text, unit))
            if key in seen:
                continue
            seen.add(key)
            pools[in_row + (0 if u4.compact(text) in shown_compact else 2)].append(strip_notes(text))
    rng = random.Random(f"u4_tableqa_mc:{qid}")
    picked: list[str] = []
    for pool in pools:
        rng.shuffle(pool)
        picked += pool[: DISTRACTORS - len(picked)]
    return picked


def _table(tree, table_id: str) -> dict | None:
    table = u4.table_of(tree, table_id)
    if table is None:
        return None
    return {"element": table, "markdown": table_markdown(table) or "", "shown": u4.grid(table, u4.cell_text),
            "compact": u4.grid(table)}


def _doc(qid: str, item: dict, tree, table: dict | None) -> dict[str, Any] | None:
    cells = tree.xpath(f'//*[@cell-id="{item["cell_id"]}"]')
    if table is None or not cells:
        return None
    gold_text = strip_notes(u4.cell_text(cells[0]))
    ctx = u4.cell_context(table["element"], item["cell_id"], table["compact"])
    label = ctx[1] if ctx else ""
    shown, cut = table_prompt(table["markdown"], u4.compact(gold_text), label)
    unit = cell_unit(table["element"], item["cell_id"], table["shown"])
    wrong = _distractors(qid, table["shown"], item["cell_id"], gold_text, shown, unit)
    choices = [gold_text, *wrong]
    random.Random(f"u4_tableqa_mc:order:{qid}").shuffle(choices)
    return {
        "id": qid,
        "question": item["question"],
        "table": shown,
        "table_cut": cut,
        "table_id": item["table_id"],
        "cell_id": item["cell_id"],
        "value": item["value"],  # the gold, as the task writes it
        "cell_text": gold_text,  # the gold cell as the table shows it, note marks dropped
        "unit": unit or "",
        "choices": choices,
        "label": choices.index(gold_text),
    }


def read_u4_docs(folder: str | Path, split: str) -> list[dict[str, Any]]:
    """Every question of ``split`` whose table and cell are in the reports (three section files
    are missing from the snapshot, see its MANIFEST), in the questions file's order."""
    items = u4.questions(Path(folder), u4.check_eval_split(split))
    by_file: dict[str, list[str]] = {}
    for qid, item in items.items():
        by_file.setdefault(u4.section_file(Path(), item["cell_id"]).name, []).append(qid)
    docs: dict[str, dict] = {}
    for name, tree in u4.section_trees(Path(folder), split, set(by_file)):
        tables: dict[str, dict | None] = {}
        for qid in by_file[name]:
            tid = items[qid]["table_id"]
            if tid not in tables:
                tables[tid] = _table(tree, tid)
            doc = _doc(qid, items[qid], tree, tables[tid])
            if doc is not None:
                docs[qid] = doc
    return [docs[qid] for qid in items if qid in docs]


def multiple_choice(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items that have at least one distractor (``u4_tableqa_mc``)."""
    return [d for d in docs if len(d["choices"]) > 1]
