"""Main text of Japanese HTML/XHTML with trafilatura, after removing what a reader never sees.

EDINET inline-XBRL filings carry an ``ix:header`` (XBRL contexts, hidden facts) inside a
``display:none`` block; on real 有価証券報告書 cover pages it is >99% of what trafilatura
returns otherwise. We drop hidden content from the tree before trafilatura sees it.
"""

from __future__ import annotations

import re

import lxml.html
import trafilatura

from kinyu.corpus.extract.html_tables import own_rows, row_cells, table_markdown
from kinyu.corpus.extract.limits import ExtractionError

_RE_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)
_RE_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


class HtmlError(ExtractionError):
    pass


def _parse(html: str):
    # lxml refuses str input that carries an encoding declaration; the text is decoded already
    html = _RE_XML_DECL.sub("", html.lstrip("\ufeff"), count=1)
    try:
        return lxml.html.fromstring(html)
    except Exception as e:  # lxml.etree.ParserError, ValueError on empty documents
        raise HtmlError("unparsable_html", f"{type(e).__name__}: {e}") from None


def drop_hidden(tree) -> int:
    """Remove ``ix:header``, ``<script>/<style>``-like hidden blocks and ``display:none`` elements."""
    doomed = []
    for el in tree.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in ("ix:header", "ix:hidden", "xbrli:context") or tag.lower().endswith("}header") and "inlinexbrl" in tag.lower():
            doomed.append(el)
            continue
        style = el.get("style") if tag else None
        if style and _RE_HIDDEN_STYLE.search(style):
            doomed.append(el)
        elif tag and el.get("hidden") is not None:
            doomed.append(el)
    removed = 0
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            # keep the tail text: it belongs to the parent, not to the hidden element
            if el.tail and el.tail.strip():
                prev = el.getprevious()
                if prev is not None:
                    prev.tail = (prev.tail or "") + el.tail
                else:
                    parent.text = (parent.text or "") + el.tail
            parent.remove(el)
            removed += 1
    return removed


# A table's place in the tree while trafilatura reads the prose: a paragraph of one word, which
# trafilatura keeps where it keeps the text around it, replaced by the table's Markdown after.
_MARKER = "kinyutable{:05d}x"
_RE_MARKER = re.compile(r"^kinyutable(\d{5})x$", re.M)


def _is_frame(table) -> bool:
    """A table around tables that is no table itself: one row or one column of cells. (A table
    of rows with a small table in a cell, an officer's 略歴 inside 役員の状況, is a table: its
    inner tables are read as text of their cell.)"""
    if next(table.iterdescendants("table"), None) is None:
        return False
    # spacer rows of empty cells (a row of 14 empty <td> above each framed table) frame nothing
    rows = [tr for tr in own_rows(table) if not _is_empty_row(tr)]
    return len(rows) <= 1 or all(len(row_cells(tr)) <= 1 for tr in rows)


def _is_empty_row(tr) -> bool:
    return not "".join(tr.itertext()).strip() and next(tr.iterdescendants("table", "img"), None) is None


def _unwrap_layout_tables(tree) -> None:
    """A layout frame (``_is_frame``) gives way to its cells' contents, so that the tables inside
    are read as tables (innermost frames first)."""
    while True:
        frames = [t for t in tree.iter("table") if _is_frame(t)]
        if not frames:
            return
        frame = frames[-1]
        div = frame.makeelement("div", {})
        # the frame's own cells only: iter("td") would walk into the tables inside and empty their cells
        for cell in (c for tr in own_rows(frame) for c in row_cells(tr)):
            inner = frame.makeelement("div", {})
            inner.text = cell.text
            for child in list(cell):
                inner.append(child)
            div.append(inner)
        div.tail = frame.tail
        frame.getparent().replace(frame, div)


def _anchor(table) -> str:
    """The last characters of the text before ``table`` (white space removed): where to put the
    table back if trafilatura's output lost its marker."""
    before = table.xpath("preceding::text()[normalize-space()][1]")
    return "".join(str(before[0]).split())[-12:] if before else ""


def _tables_to_markers(tree) -> tuple[list[str], list[str]]:
    """Replace every table by a marker paragraph; return the tables' Markdown and anchors
    (``_anchor``) by marker number."""
    _unwrap_layout_tables(tree)
    rendered, anchors = [], []
    # outermost first: a table inside a table's cell is read as that cell's text
    for table in [t for t in tree.iter("table") if next(t.iterancestors("table"), None) is None]:
        markdown = table_markdown(table)
        p = table.makeelement("p", {})
        anchors.append(_anchor(table) if markdown else "")
        p.text = _MARKER.format(len(rendered)) if markdown else ""
        p.tail = table.tail
        rendered.append(markdown or "")
        table.getparent().replace(table, p)
    return rendered, anchors


def _put_back_lost_tables(text: str, rendered: list[str], anchors: list[str]) -> str:
    """Markers trafilatura's output lacks (its fallback extractors, which it uses on a page whose
    main text it finds too short, drop one-word paragraphs: 60 tables of a 有報 第4 section): each
    such table goes after the first line, past the table before it, that holds the end of the
    text before it, else after the table before it, else at the end."""
    found = {int(m) for m in _RE_MARKER.findall(text)}
    lost = [k for k, md in enumerate(rendered) if md and k not in found]
    if not lost:
        return text
    lines = text.split("\n")
    compact = ["".join(line.split()) for line in lines]
    place: dict[int, list[int]] = {}  # line index -> tables to insert after it
    floor = -1
    for k, md in enumerate(rendered):
        if not md:
            continue
        if k in found:
            floor = next((i for i, line in enumerate(lines) if line == _MARKER.format(k)), floor)
            continue
        hit = next((i for i in range(floor + 1, len(lines)) if anchors[k] and anchors[k] in compact[i]), None)
        at = hit if hit is not None else (floor if floor >= 0 else len(lines) - 1)
        place.setdefault(at, []).append(k)
        floor = max(floor, at)
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        out += [_MARKER.format(k) for k in place.get(i, [])]
    if not lines:
        out = [_MARKER.format(k) for k in lost]
    return "\n".join(out)


def extract_html(html: str, include_tables: bool = True, favor_recall: bool = False,
                 table_format: str = "markdown") -> tuple[str, dict]:
    """Decoded HTML -> main text (trafilatura), with what was removed as counters.

    ``table_format="markdown"``: tables as ``kinyu.corpus.tables`` writes them, in their place
    in the text; ``"trafilatura"``: trafilatura's own rows."""
    tree = _parse(html)
    hidden = drop_hidden(tree)
    rendered, anchors = _tables_to_markers(tree) if include_tables and table_format == "markdown" else (None, None)
    text = trafilatura.extract(
        tree,
        output_format="txt",
        include_tables=include_tables and rendered is None,
        include_comments=False,
        include_links=False,
        include_images=False,
        favor_recall=favor_recall,
        deduplicate=False,
        with_metadata=False,
    )
    text = text or ""
    info = {"hidden_elements_removed": hidden}
    if rendered is not None:
        text = _RE_MARKER.sub(lambda m: rendered[int(m.group(1))], _put_back_lost_tables(text, rendered, anchors))
        info["tables"] = sum(1 for t in rendered if t)
    return text, info
