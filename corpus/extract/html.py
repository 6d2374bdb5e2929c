"""Main text of Japanese HTML/XHTML with trafilatura, after removing what a reader never sees.

EDINET inline-XBRL filings carry an ``ix:header`` (XBRL contexts, hidden facts) inside a
``display:none`` block; on real 有価証券報告書 cover pages it is >99% of what trafilatura
returns otherwise. We drop hidden content from the tree before trafilatura sees it.
"""

from __future__ import annotations

import re

import lxml.html
import trafilatura

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


def extract_html(html: str, include_tables: bool = True, favor_recall: bool = False) -> tuple[str, dict]:
    """Decoded HTML -> main text (trafilatura), with what was removed as counters."""
    tree = _parse(html)
    hidden = drop_hidden(tree)
    text = trafilatura.extract(
        tree,
        output_format="txt",
        include_tables=include_tables,
        include_comments=False,
        include_links=False,
        include_images=False,
        favor_recall=favor_recall,
        deduplicate=False,
        with_metadata=False,
    )
    return text or "", {"hidden_elements_removed": hidden}
