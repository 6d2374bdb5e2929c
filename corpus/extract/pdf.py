"""PDF text with pdfminer.six or pypdfium2, and the Japanese layout repair both need.

pdfminer.six reads vertical (縦書き) columns in order only with ``detect_vertical=True``
(measured on the MHLW 告示: the default gives one character per line, columns shuffled).
pypdfium2 is about 10x faster per page and is the choice for large crawls.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import pypdfium2 as pdfium
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTTextContainer
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError

from kinyu.corpus.extract.limits import ExtractionError


class PdfError(ExtractionError):
    pass


@dataclass
class PdfText:
    pages: list[str]
    warnings: list[str] = field(default_factory=list)


def _check_page_limit(pages_seen: int, page_limit: int) -> None:
    if page_limit and pages_seen > page_limit:
        raise PdfError("too_many_pages", f"more than {page_limit} pages (extract.pdf_max_pages)")


def extract_pdfminer(
    data: bytes,
    detect_vertical: bool = True,
    max_pages: int = 0,
    boxes_flow: float | None = None,
    page_limit: int = 0,
    progress: Callable[[int], None] | None = None,
) -> PdfText:
    """Pages of text (pdfminer.six). ``max_pages``: read only the first pages; ``page_limit``: a
    longer PDF raises ``too_many_pages``; ``progress(pages_done)`` is called after each page."""
    warnings: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record):  # pdfminer reports recovered corruption only as log warnings
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage()[:200])

    handler = _Collect()
    pdf_logger = logging.getLogger("pdfminer")
    pdf_logger.addHandler(handler)
    try:
        pages = []
        # boxes_flow=None: text boxes in plain reading order (vertical boxes right to left, then
        # horizontal ones top to bottom). pdfminer's default box grouping breaks distance ties
        # by id(), i.e. memory addresses, so the same PDF came out in different orders in
        # different processes (measured on the MHLW 告示); None is deterministic.
        laparams = LAParams(detect_vertical=detect_vertical, boxes_flow=boxes_flow)
        for layout in extract_pages(io.BytesIO(data), laparams=laparams, maxpages=max_pages):
            _check_page_limit(len(pages) + 1, page_limit)
            pages.append("".join(el.get_text() for el in layout if isinstance(el, LTTextContainer)))
            if progress:
                progress(len(pages))
    except PdfError:
        raise
    except (PDFPasswordIncorrect, PDFEncryptionError) as e:
        raise PdfError("encrypted", encrypted_detail(e)) from None
    except PDFSyntaxError as e:
        raise PdfError("corrupt", f"PDFSyntaxError: {e}") from None
    except Exception as e:  # pdfminer raises many ad-hoc types on broken files
        name = type(e).__name__
        if "Password" in name or "Encrypt" in name:
            raise PdfError("encrypted", encrypted_detail(e)) from None
        raise PdfError("corrupt", f"{name}: {e}") from None
    finally:
        pdf_logger.removeHandler(handler)
    return PdfText(pages, warnings)


def encrypted_detail(e: Exception) -> str:
    """Why an encrypted PDF was not read, in words (pdfminer's exceptions often carry no message)."""
    said = str(e).strip()
    if isinstance(e, PDFPasswordIncorrect) or "Password" in type(e).__name__:
        why = "the PDF is encrypted with a password and opening it without one failed"
    else:
        why = "the PDF is encrypted with a method pdfminer cannot decrypt"
    return f"{why} ({type(e).__name__}{': ' + said if said else ''}); decrypt it first (qpdf --decrypt --password=PW in.pdf out.pdf)"


def extract_pdfium(data: bytes, max_pages: int = 0, page_limit: int = 0, progress: Callable[[int], None] | None = None) -> PdfText:
    """Pages of text (pypdfium2); the arguments as for ``extract_pdfminer``."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise PdfError("encrypted", msg) from None
        raise PdfError("corrupt", msg) from None
    try:
        _check_page_limit(len(pdf), page_limit)
        pages = []
        for i in range(min(len(pdf), max_pages) if max_pages else len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n"))
            textpage.close()
            page.close()
            if progress:
                progress(len(pages))
    finally:
        pdf.close()
    return PdfText(pages)


# --- layout repair -------------------------------------------------------------------------

_RE_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-－–—‐]\s*)?(?:\d{1,4}|[０-９]{1,4}|[ivxlcIVXLC]{1,6})(?:\s*[-－–—‐])?\s*$"
    r"|^\s*(?:\d{1,4})\s*/\s*\d{1,4}\s*$"
    r"|^\s*(?:p\.|page)\s*\d{1,4}\s*$",
    re.I,
)
_RE_DIGITS = re.compile(r"[0-9０-９]+")
_SENTENCE_END = tuple("。．！？!?」』）)】")
_JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f々〆〇ー、。「」『』（）・]")


def _edge_key(line: str) -> str:
    """Running headers differ only in page numbers and dates: compare them with digits masked."""
    return _RE_DIGITS.sub("#", line.strip())


def remove_running_lines(pages: list[list[str]], edge: int = 2, min_share: float = 0.5) -> tuple[list[list[str]], int]:
    """Drop page numbers and lines repeated at the top/bottom ``edge`` lines of many pages."""
    n = len(pages)
    counts: Counter[str] = Counter()
    if n >= 2:
        for lines in pages:
            content = [ln for ln in lines if ln.strip()]
            keys = {_edge_key(ln) for ln in content[:edge] + content[-edge:]}
            counts.update(keys)
    repeated = {k for k, c in counts.items() if c >= max(2, min_share * n) and k}
    removed = 0
    out = []
    for lines in pages:
        content_idx = [i for i, ln in enumerate(lines) if ln.strip()]
        edges = set(content_idx[:edge] + content_idx[-edge:])
        kept = []
        for i, ln in enumerate(lines):
            if i in edges and (_RE_PAGE_NUMBER.match(ln) or _edge_key(ln) in repeated):
                removed += 1
                continue
            kept.append(ln)
        out.append(kept)
    return out, removed


def undo_letter_spacing(line: str) -> str:
    """``保 医 発 0 3 0 5`` -> ``保医発0305``: a line made mostly of single characters and spaces."""
    tokens = line.split()
    if len(tokens) >= 4 and sum(len(t) == 1 for t in tokens) >= 0.8 * len(tokens):
        return "".join(tokens)
    return line


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Re-join hard-wrapped lines of a page into paragraphs.

    A line that fills (nearly) the full text width and does not end a sentence continues on
    the next line. Japanese joins without a space, Latin text with one.
    """
    lengths = [len(ln.strip()) for ln in lines if ln.strip()]
    if not lengths:
        return []
    full = statistics.quantiles(lengths, n=10)[-1] if len(lengths) >= 3 else max(lengths)
    out: list[str] = []
    carry = ""
    for ln in lines:
        s = ln.strip()
        if not s:
            if carry:
                out.append(carry)
                carry = ""
            out.append("")
            continue
        if carry:
            sep = "" if (_JA.match(carry[-1]) or _JA.match(s[0])) else " "
            carry = carry + sep + s
        else:
            carry = s
        wrapped = len(s) >= 0.85 * full and not s.endswith(_SENTENCE_END)
        if not wrapped:
            out.append(carry)
            carry = ""
    if carry:
        out.append(carry)
    return out


def repair_layout(pages: list[str], join_lines: bool = True, drop_running: bool = True) -> tuple[str, dict]:
    """Pages of raw PDF text -> one document text, with counters of what was repaired."""
    split = [[undo_letter_spacing(ln) for ln in p.replace("\x0c", "\n").split("\n")] for p in pages]
    removed = 0
    if drop_running:
        split, removed = remove_running_lines(split)
    texts = []
    for lines in split:
        lines = join_wrapped_lines(lines) if join_lines else lines
        texts.append("\n".join(lines).strip())
    text = "\n\n".join(t for t in texts if t)
    return text, {"running_lines_removed": removed}
