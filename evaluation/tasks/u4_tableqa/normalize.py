"""NTCIR-18 U4 table QA's answer normalisation, reimplemented, and the unit of a table cell.

Upstream (``nlp-for-japanese-securities-reports/ntcir18-u4``, ``table_qa/src/normalize.py``,
applied by ``eval_tqa.py`` to the answer and to the gold ``value`` before comparing them as
strings) - re-expressed here, not copied:

1. NFKC; every white space character removed; thousands commas removed;
2. the triangles ``▲ △ ▴ ▵`` become ``-`` (a negative);
3. place names: ``0百万円`` -> ``0``, else ``百万円`` -> ``000000``, ``千円`` -> ``000``, ``千`` -> ``000``
   (the first that ends the text, applied to all its occurrences, as upstream's ``replace``);
4. a number followed by ``%`` becomes the ratio (``64.62%`` -> ``0.6462``);
5. a number followed by units of ``円株個倍人年`` loses them; a number is then written with four
   decimals (``3597951000000`` -> ``3597951000000.0000``), ``-0.0000`` as ``0.0000``. "A number"
   is what Python's ``float`` reads, as upstream tests it.

Two kinyu rules on top (``kinyu_rules``, on by default), both for answers copied from the table
as it is shown, which upstream's gold writes otherwise:

- a value that is only a dash of any kind (``-`` ``－`` ``―`` ``ー`` ``—`` ...) is the nil value ``-``
  (the gold writes nil as ``－``, the filings show ``―`` or ``－`` in the same kind of cell);
- a date 「2020年5月15日」 (「1949年11月1日生」) is its ISO form ``2020-05-15``, as the gold writes dates.

``kinyu_rules=False`` is upstream exactly.

:func:`cell_value` is what a cell of a table shows, read as the answer it stands for: its note
marks (``※4``) dropped and its figure scaled by the unit it stands under (``3,597,951`` under
``(単位：百万円)`` -> ``3597951000000``); :func:`cell_unit` finds that unit in the cell's row,
its column's header, the table's caption rows or the text just before the table. Together they
check the normalisation against upstream's gold (``tests/test_u4_tableqa.py``, the README figure).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

TRIANGLES = "▲△▴▵"
NIL_DASHES = frozenset("-−―ー－—‐‒–─━")
_UNIT_CHARS = "円株個倍人年"
NIL = "-"
# a date as filings write it, the task's gold as ISO (「2020年5月15日」 -> 2020-05-15; 「1949年11月1日生」)
_RE_DATE = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:生)?$")
_RE_SECOND_FIGURE = re.compile(r"^([-△▲]?[\d,.]+) \( ?[-△▲]?[\d,.]+ ?\)$")


def _is_num(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def normalize_answer(text: str, kinyu_rules: bool = True) -> str:
    """The form an answer and a gold value are compared in (see the module docstring)."""
    s = "".join(unicodedata.normalize("NFKC", str(text)).split()).replace(",", "")
    for t in TRIANGLES:
        s = s.replace(t, "-")
    if kinyu_rules:
        if s and all(ch in NIL_DASHES for ch in s):
            return NIL
        date = _RE_DATE.match(s)
        if date:
            return f"{int(date['y']):04d}-{int(date['m']):02d}-{int(date['d']):02d}"
    if s == "0百万円":
        s = "0"
    elif s.endswith("百万円"):
        s = s.replace("百万円", "000000")
    elif s.endswith("千円"):
        s = s.replace("千円", "000")
    elif s.endswith("千"):
        s = s.replace("千", "000")
    if s.endswith("%") and _is_num(s[:-1]):
        s = str(float(s[:-1]) / 100)
    number = s.rstrip(_UNIT_CHARS)
    if _is_num(number):
        s = format(float(number), ".4f")
    return "0.0000" if s == "-0.0000" else s


def same_answer(answer: str, gold: str, kinyu_rules: bool = True) -> bool:
    return normalize_answer(answer, kinyu_rules) == normalize_answer(gold, kinyu_rules)


# --- what a cell shows, as the value it stands for --------------------------------------------

# a note mark before or after a figure: 「※4」「※1,2」「(注)2」「(注2)」「*3」「注1」
_RE_NOTE = re.compile(r"^(?:※[\d,]*|\(注\d*\)\d*|注\d+|\*\d*)$")
_RE_NUMBER = re.compile(r"^(?P<sign>[-△▲▴▵]?)\(?(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?\)?$")
# a unit as tables state it: 「(単位：百万円)」「(百万円)」「金額(千円)」「(%)」「千株」
_RE_UNIT = re.compile(r"(百万円|千円|億円|百万株|千株|百万|千|円|株|%)")
_RE_UNIT_STATED = re.compile(r"単位[:：\s]*(百万円|千円|億円|百万株|千株|百万|千|円|株|%)|[(（]\s*(百万円|千円|億円|百万株|千株|円|株|%)\s*[)）]")
SCALES = {"百万円": 10**6, "千円": 10**3, "億円": 10**8, "百万株": 10**6, "千株": 10**3, "百万": 10**6, "千": 10**3}


def stated_unit(text: str) -> str | None:
    """The unit a caption, header or label states (``(単位：百万円)`` -> ``百万円``), or None."""
    m = _RE_UNIT_STATED.search(unicodedata.normalize("NFKC", text))
    return next(g for g in m.groups() if g) if m else None


def strip_notes(text: str) -> str:
    """A cell's text (NFKC, spaced as displayed) without the note marks before or after its value
    (「※1 , ※3 345,617」 -> 「345,617」)."""
    tokens = unicodedata.normalize("NFKC", text).split()
    while len(tokens) > 1 and (_RE_NOTE.match(tokens[0]) or tokens[0] in (",", "、")):
        tokens = tokens[1:]
    while len(tokens) > 1 and _RE_NOTE.match(tokens[-1]):
        tokens = tokens[:-1]
    return " ".join(tokens)


def cell_value(text: str, unit: str | None = None) -> str:
    """The answer a cell showing ``text`` stands for under ``unit``: note marks dropped, a figure
    scaled (``百万円``, ``千円``, ``千株`` ...) or marked as a percentage; other text as it is."""
    tokens = strip_notes(text).split()
    paren = _RE_SECOND_FIGURE.match(" ".join(tokens))
    if paren:  # 「142.1 ( 98.4 )」: a figure with a second one in brackets (a comparison) reads as the first
        tokens = [paren[1]]
    value = "".join(tokens)
    m = _RE_NUMBER.match(value)
    if not m or unit is None:
        return value if m or not tokens else " ".join(tokens)
    sign = "-" if m["sign"] else ""
    number = m["digits"].replace(",", "") + (m["frac"] or "")
    if unit == "%":
        return f"{sign}{number}%"
    scale = SCALES.get(unit)
    if scale is None:
        return f"{sign}{number}"
    try:
        scaled = Decimal(number) * scale
    except InvalidOperation:
        return value
    return f"{sign}{scaled.normalize():f}"


def _stated_in(texts) -> str | None:
    for t in texts:
        unit = stated_unit(t) if t else None
        if unit:
            return unit
    return None


_DITTO = frozenset("〃″々")


def _bare_unit(text: str) -> str | None:
    t = unicodedata.normalize("NFKC", text).strip()
    return t if _RE_UNIT.fullmatch(t) else None


def _is_caption(text: str) -> bool:
    """A unit caption: 「(単位：百万円)」 or a bracketed unit alone 「(百万円)」."""
    return "単位" in text or _RE_UNIT_STATED.fullmatch(unicodedata.normalize("NFKC", text).strip()) is not None


def _alone(row) -> str | None:
    texts = {t for _, t in row if t}
    return next(iter(texts)) if len(texts) == 1 else None


def cell_unit(table, cell_id: str, rows=None) -> str | None:
    """The unit the cell ``cell_id`` of the lxml ``table`` stands under: a unit cell right of it
    (「651 | 百万円」, 「〃」 repeating the one above), else stated in its row (「売上高 (百万円)」 or a
    unit column), its column's header cells, a caption cell of the table (「(単位：百万円)」, 「(百万円)」 alone), else
    the last unit stated before the table in its section file (a statement split over two tables
    states it once, above the first); None if none. ``rows``: the table's ``grid(table, cell_text)``
    when the caller has it."""
    from kinyu.base.u4 import cell_text, grid

    rows = rows if rows is not None else grid(table, cell_text)
    for r, row in enumerate(rows):
        cols = [c for c, (cid, _) in enumerate(row) if cid == cell_id]
        if not cols:
            continue
        c, end = cols[0], cols[-1] + 1
        if end < len(row):
            right = row[end][1]
            if right in _DITTO:
                right = next((rows[i][end][1] for i in range(r - 1, -1, -1)
                              if end < len(rows[i]) and rows[i][end][1] not in _DITTO), "")
            if _bare_unit(right):
                return _bare_unit(right)
        left = [t for k, t in row[:c] if k != cell_id]
        above = [rows[i][c][1] for i in range(r - 1, -1, -1) if c < len(rows[i]) and rows[i][c][0] != cell_id]
        # a caption: a 「単位」 cell anywhere, or a bracketed unit alone on its row
        captions = [t for row_ in rows for _, t in row_ if t and "単位" in t]
        captions += [t for row_ in rows if (t := _alone(row_)) and _is_caption(t)]
        unit = _stated_in(reversed(left)) or _stated_in(above) or _stated_in(captions)
        if unit:
            return unit
        before = table.xpath("preceding::text()[normalize-space()][position() <= 400]")
        if before and _is_caption(before[-1]):
            return stated_unit(before[-1])
        return _stated_in(t for t in reversed(before) if "単位" in t)
    return None


def _miss_kind(value: str, gold: str) -> str:
    a, b = normalize_answer(value), normalize_answer(gold)
    try:
        x, y = float(a), float(b)
    except ValueError:
        return "text differs"
    if x == -y:
        return "sign differs (the gold's sign is not the cell's △)"
    if x and y and x != y and (abs(y / x) in (10**3, 10**6, 10**8, 10**2) or abs(x / y) in (10**3, 10**6, 10**8, 10**2)):
        return "scale differs (unit not found or not the gold's)"
    return "number differs"


def gold_check(reports, items: dict[str, dict]) -> dict:
    """How often a gold cell's displayed text, read with its unit (:func:`cell_value`), normalises
    to the gold ``value``: ``{"questions", "cells", "same", "same_upstream_rules", "misses": {kind: n},
    "examples": {kind: [(text, unit, value, gold), ...]}}``. Questions whose section file or
    cell is absent count as misses of their own kind."""
    from collections import Counter, defaultdict

    import lxml.html

    from kinyu.base.u4 import cell_text, section_file

    by_file: dict = defaultdict(list)
    for qid, item in items.items():
        by_file[section_file(reports, item["cell_id"])].append(item)
    same = same_upstream = cells = 0
    misses: Counter = Counter()
    examples: dict = defaultdict(list)
    for path, its in sorted(by_file.items()):
        if not path.exists():
            misses["section file absent"] += len(its)
            continue
        tree = lxml.html.fromstring(path.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))
        for item in its:
            table = tree.xpath(f'//table[@table-id="{item["table_id"]}"]')
            cell = tree.xpath(f'//*[@cell-id="{item["cell_id"]}"]')
            if not table or not cell:
                misses["cell absent"] += 1
                continue
            cells += 1
            text = cell_text(cell[0])
            unit = cell_unit(table[0], item["cell_id"])
            value = cell_value(text, unit)
            same_upstream += same_answer(value, item["value"], kinyu_rules=False)
            if same_answer(value, item["value"]):
                same += 1
                continue
            kind = _miss_kind(value, item["value"])
            misses[kind] += 1
            if len(examples[kind]) < 5:
                examples[kind].append((text, unit, value, item["value"]))
    return {"questions": len(items), "cells": cells, "same": same, "same_upstream_rules": same_upstream,
            "misses": dict(misses.most_common()), "examples": dict(examples)}
