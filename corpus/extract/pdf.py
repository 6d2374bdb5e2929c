"""PDF text with pdfminer.six or pypdfium2, and the Japanese layout repair both need.

pdfminer.six reads vertical (縦書き) columns in order only with ``detect_vertical=True``
(measured on the MHLW 告示: the default gives one character per line, columns shuffled).
pypdfium2 parses pages several times faster, but its own text (``get_text_range``) runs the
columns of vertical text into each other, puts a 告示's title column last and reorders a line's
text objects. So the pypdfium2 path takes only pdfium's characters and their boxes, in
content-stream order and boxed as pdfminer boxes them (``pdfium_page_chars``), and gives them
to pdfminer's layout analysis, ported to plain tuples (``kinyu.corpus.extract.pdf_layout``):
lines, boxes and reading order as pdfminer's, vertical columns right to left. Tables (a label
column and aligned figure columns) are found on either backend's characters and written as
Markdown tables in their place (``kinyu.corpus.extract.pdf_tables``; ``extract.pdf_tables``),
the rest laid out as before. Both backends' pages then go through the same ``repair_layout``,
which leaves table lines as they are.
"""

from __future__ import annotations

import ctypes
import io
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTPage, LTTextBoxVertical, LTTextContainer
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError

from kinyu.corpus.extract.limits import ExtractionError
from kinyu.corpus.extract.pdf_layout import Char, LayoutParams, layout_boxes
from kinyu.corpus.extract.pdf_tables import find_tables, place


class PdfError(ExtractionError):
    pass


@dataclass
class PdfText:
    """A PDF's pages of text (lines in reading order, each ending in a newline)."""

    pages: list[str]
    warnings: list[str] = field(default_factory=list)
    incomplete: str | None = None  # pypdfium2: why some of the file's text is missing


def _check_page_limit(pages_seen: int, page_limit: int) -> None:
    if page_limit and pages_seen > page_limit:
        raise PdfError("too_many_pages", f"more than {page_limit} pages (extract.pdf_max_pages)")


def extract_pdfminer(
    data: bytes,
    detect_vertical: bool = True,
    max_pages: int = 0,
    boxes_flow: float | None = None,
    page_limit: int = 0,
    tables: bool = True,
    progress: Callable[[int], None] | None = None,
) -> PdfText:
    """Pages of text (pdfminer.six). ``max_pages``: read only the first pages; ``page_limit``: a
    longer PDF raises ``too_many_pages``; ``progress(pages_done)`` is called after each page;
    ``tables``: tables as Markdown (``pdf_tables``)."""
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
        # pdfminer's extract_pages, the layout analysis run here (after the tables are found on
        # the page's characters and taken out of it)
        resources = PDFResourceManager(caching=True)
        device = PDFPageAggregator(resources, laparams=None)
        interpreter = PDFPageInterpreter(resources, device)
        for page in PDFPage.get_pages(io.BytesIO(data), maxpages=max_pages, caching=True):
            _check_page_limit(len(pages) + 1, page_limit)
            interpreter.process_page(page)
            pages.append(_pdfminer_page_text(device.get_result(), laparams, tables))
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


def _pdfminer_page_text(layout: LTPage, laparams: LAParams, tables: bool) -> str:
    """An unanalysed pdfminer page's text: its tables as Markdown in their place (found on its
    characters, as on pypdfium2's), the rest through pdfminer's layout analysis."""
    found = []
    if tables:
        objs = [o for o in layout if isinstance(o, LTChar)]
        found = find_tables([(o.get_text(), o.x0, o.y0, o.x1, o.y1) for o in objs])
        if found:
            taken = {id(objs[i]) for t in found for i in t.chars}
            layout._objs = [o for o in layout._objs if id(o) not in taken]
    layout.analyze(laparams)
    boxes = [
        ((0, -el.x1, -el.y0) if isinstance(el, LTTextBoxVertical) else (1, -el.y0, el.x0), [el.get_text()])
        for el in layout
        if isinstance(el, LTTextContainer)
    ]
    if not found:
        return "".join(text for _, (text,) in boxes)
    return "".join(place(boxes, found, table_end="\n"))


def encrypted_detail(e: Exception) -> str:
    """Why an encrypted PDF was not read, in words (pdfminer's exceptions often carry no message)."""
    said = str(e).strip()
    if isinstance(e, PDFPasswordIncorrect) or "Password" in type(e).__name__:
        why = "the PDF is encrypted with a password and opening it without one failed"
    else:
        why = "the PDF is encrypted with a method pdfminer cannot decrypt"
    return f"{why} ({type(e).__name__}{': ' + said if said else ''}); decrypt it first (qpdf --decrypt --password=PW in.pdf out.pdf)"


class _Pdfium:
    """The pdfium calls of the character reader, declared with plain ``void*`` handles.

    Built from pypdfium2's own bindings (the same library; only the declared types differ): a
    handle comes back as an int, so that text objects can be compared and looked up by address,
    and each call skips pypdfium2's per-argument type checks (~0.1 us of ~0.4 us per call, and
    there are several calls per character).
    """

    def __init__(self):
        c = ctypes

        def fn(name, restype, *argtypes):
            return c.CFUNCTYPE(restype, *argtypes)(c.cast(getattr(pdfium_c, name), c.c_void_p).value)

        vp, i, d, f = c.c_void_p, c.c_int, c.POINTER(c.c_double), c.POINTER(c.c_float)
        self.count_chars = fn("FPDFText_CountChars", i, vp)
        self.unicode = fn("FPDFText_GetUnicode", c.c_uint, vp, i)
        self.is_generated = fn("FPDFText_IsGenerated", i, vp, i)
        self.loose_box = fn("FPDFText_GetLooseCharBox", c.c_int, vp, i, vp)  # FS_RECTF*
        self.text_object = fn("FPDFText_GetTextObject", vp, vp, i)
        self.origin = fn("FPDFText_GetCharOrigin", i, vp, i, d, d)
        self.count_objects = fn("FPDFPage_CountObjects", i, vp)
        self.get_object = fn("FPDFPage_GetObject", vp, vp, i)
        self.form_count = fn("FPDFFormObj_CountObjects", i, vp)
        self.form_object = fn("FPDFFormObj_GetObject", vp, vp, c.c_ulong)
        self.object_type = fn("FPDFPageObj_GetType", i, vp)
        self.bounds = fn("FPDFPageObj_GetBounds", i, vp, f, f, f, f)
        self.font_size_of = fn("FPDFTextObj_GetFontSize", i, vp, f)
        self.font_of = fn("FPDFTextObj_GetFont", vp, vp)
        self.is_embedded = fn("FPDFFont_GetIsEmbedded", i, vp)
        self.descent = fn("FPDFFont_GetDescent", i, vp, c.c_float, f)
        self.matrix_of = fn("FPDFPageObj_GetMatrix", i, vp, c.POINTER(pdfium_c.FS_MATRIX))


_PDFIUM: _Pdfium | None = None
_TEXT, _FORM = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_FORM
# pdfium leaves out of its text page every text object whose box has no width (CPDF_TextPage::
# ProcessTextObject). Vertical runs in some non-embedded CID fonts come out that way (jo.pdf: 48
# of the page's 65 objects; the signature column of the sample's 縦書き message), glyphs that the
# font pdfium draws in place of a non-embedded one lacks (the sample 決算短信's "%" headers), and
# spaces (no ink; harmless, and rotated ones are put back: _blank_box). A page is taken to have
# lost text from an estimated _LOST_GLYPHS glyphs on (the 告示 000907845 loses one rotated "（"
# of thousands, read by pdfium nonetheless).
_NO_WIDTH = 0.01
_LOST_GLYPHS = 3


def _em_size(api: _Pdfium, obj: int, size: ctypes.c_float, m, embedded: dict) -> tuple[float | None, float | None, bool]:
    """A text object's em (font size through its matrix) along x and y (None for rotated text),
    and whether its font is embedded (``embedded``: a cache by font handle)."""
    font = api.font_of(obj)
    is_embedded = embedded.get(font)
    if is_embedded is None:
        is_embedded = embedded[font] = bool(font and api.is_embedded(font) == 1)
    if api.font_size_of(obj, size) and api.matrix_of(obj, m) and not (m.b or m.c):
        return size.value * abs(m.a), size.value * abs(m.d), is_embedded
    return None, None, is_embedded


def _blank_box(api: _Pdfium, obj: int) -> tuple[float, float, float, float] | None:
    """Where pdfminer would put a rotated text object that pdfium does not read because it draws
    no ink: a rotated space, as vertical text (the MHLW 告示) puts between its entries, which
    decides where pdfminer's vertical lines end. The em box over a half-em advance (a space's
    usual width) from the object's origin, through its matrix. None for unrotated objects (an
    empty one, no glyph at all, which pdfminer does not see, looks the same to pdfium's API) and
    for fonts that are not embedded (the glyph may be one that pdfium's stand-in font lacks)."""
    size, descent, m = ctypes.c_float(), ctypes.c_float(), pdfium_c.FS_MATRIX()
    if not (api.font_size_of(obj, size) and api.matrix_of(obj, m)) or not (m.b or m.c):
        return None
    fs = size.value
    font = api.font_of(obj)
    if not font or api.is_embedded(font) != 1:
        return None
    d = descent.value / fs if font and fs and api.descent(font, fs, descent) else 0.0
    xs, ys = [], []
    for tx, ty in ((0.0, d * fs), (fs / 2, d * fs), (0.0, (d + 1) * fs), (fs / 2, (d + 1) * fs)):
        xs.append(m.a * tx + m.c * ty + m.e)
        ys.append(m.b * tx + m.d * ty + m.f)
    return min(xs), min(ys), max(xs), max(ys)


def _left_out_glyphs(api: _Pdfium, obj: int, extent: float) -> float:
    """About how many glyphs a text object that pdfium leaves out holds: its extent in ems (a
    point-sized one: one glyph, unless its font is embedded, where it is a space)."""
    size, m = ctypes.c_float(), pdfium_c.FS_MATRIX()
    if extent >= _NO_WIDTH:
        if api.font_size_of(obj, size) and api.matrix_of(obj, m):
            em = size.value * abs(m.a * m.d - m.b * m.c) ** 0.5
            return max(1.0, extent / em) if em > 0 else 1.0
        return 1.0
    font = api.font_of(obj)
    return 0.0 if font and api.is_embedded(font) == 1 else 1.0


def _stream_order(api: _Pdfium, page: int, read: set[int]) -> tuple[dict[int, int], list[tuple[int, tuple]], bool]:
    """Content-stream position of the page's text objects in ``read`` (those with characters in
    the text page), form XObjects entered; the rotated blanks pdfium leaves out (position, box:
    ``_blank_box``); and whether it left text out (``_LOST_GLYPHS``)."""
    order: dict[int, int] = {}
    blanks: list[tuple[int, tuple]] = []
    position = 0
    lost = 0.0
    l, b, r, t = (ctypes.c_float() for _ in range(4))
    stack = [(api.count_objects(page), api.get_object, page, 0)]
    while stack:
        count, get, parent, i = stack.pop()
        while i < count:
            obj = get(parent, i)
            i += 1
            position += 1
            if obj in read:
                order[obj] = position
                continue
            kind = api.object_type(obj)
            if kind == _TEXT:
                if api.bounds(obj, l, b, r, t) and r.value - l.value < _NO_WIDTH:
                    box = None if t.value - b.value >= _NO_WIDTH else _blank_box(api, obj)
                    if box:
                        blanks.append((position, box))
                    else:
                        lost += _left_out_glyphs(api, obj, t.value - b.value)
            elif kind == _FORM:
                stack.append((count, get, parent, i))
                count, get, parent, i = api.form_count(obj), api.form_object, obj, 0
    return order, blanks, lost >= _LOST_GLYPHS


def _rotated(rotation: int, mediabox: tuple[float, float, float, float]):
    """pdfminer's page matrix: boxes in the coordinates of the page as displayed (``/Rotate``),
    and the page's box there."""
    x0, y0, x1, y1 = mediabox
    w, h = abs(x1 - x0), abs(y1 - y0)
    return _to_page(rotation, mediabox), ((0.0, 0.0, h, w) if rotation in (90, 270) else (0.0, 0.0, w, h))


def _to_page(rotation: int, mediabox: tuple[float, float, float, float]):
    x0, y0, x1, y1 = mediabox
    if rotation == 90:
        return lambda a0, b0, a1, b1: (b0 - y0, x1 - a1, b1 - y0, x1 - a0)
    if rotation == 180:
        return lambda a0, b0, a1, b1: (x1 - a1, y1 - b1, x1 - a0, y1 - b0)
    if rotation == 270:
        return lambda a0, b0, a1, b1: (y1 - b1, a0 - x0, y1 - b0, a1 - x0)
    return lambda a0, b0, a1, b1: (a0 - x0, b0 - y0, a1 - x0, b1 - y0)


def pdfium_page_chars(page: "pdfium.PdfPage", textpage: "pdfium.PdfTextPage") -> tuple[list[Char], tuple, bool]:
    """The page's characters for the layout analysis, as pdfminer sees them; the page's box;
    and whether pdfium left text of the page out (``_stream_order``).

    In content-stream order (pdfium's text page reorders text objects within a line; pdfminer's
    line building, which ``layout_lines`` follows, sees the stream order), without pdfium's
    generated spaces and line breaks. Boxes as pdfminer's: along the advance pdfium's *loose*
    box (from the glyph origin over its advance), across it the font's em (pdfium's loose box
    spans the font's ascent to descent, a little less: line spacing that pdfminer groups into one
    box would not group); in vertical runs (glyphs of one text object stacked downwards, whose
    loose box can be the ink's) the em square above the glyph's origin (its bottom left there).
    """
    global _PDFIUM
    api = _PDFIUM = _PDFIUM or _Pdfium()
    tp = ctypes.cast(textpage.raw, ctypes.c_void_p).value
    rect, size, m = (ctypes.c_float * 4)(), ctypes.c_float(), pdfium_c.FS_MATRIX()  # rect: FS_RECTF
    box = ctypes.addressof(rect)
    unicode, is_generated, loose_box, text_object = api.unicode, api.is_generated, api.loose_box, api.text_object
    ems: dict[int, tuple] = {}  # text object -> its em (x, y), its font embedded
    embedded: dict[int, bool] = {}  # font -> embedded
    rows: list[tuple] = []  # (text object, char index, text, x0, y0, x1, y1)
    vertical: list[int] = []  # rows in vertical runs
    obj0 = prev = None
    em_x = em_y = None
    is_embedded = True
    for k in range(api.count_chars(tp)):
        u = unicode(tp, k)
        if u <= 0x20:
            if u in (0x20, 0x0D, 0x0A, 0x02) and is_generated(tp, k) == 1:
                continue  # pdfium's own spaces and line breaks: the layout analysis decides those
            if u == 0x02:  # pdfium's mark for a hyphen that ends a line
                u = 0x2D
            elif u == 0:  # no Unicode for the glyph
                continue
        elif u >= 0xFFFE:
            continue
        loose_box(tp, k, box)
        x0, top, x1, y0 = rect[:]
        obj = text_object(tp, k)
        if obj != obj0:
            em = ems.get(obj)
            if em is None:
                em = ems[obj] = _em_size(api, obj, size, m, embedded)
            em_x, em_y, is_embedded = em
            obj0, prev = obj, None
        row = (obj, k, chr(u), x0, y0, x1, y0 + em_y if em_y else top)
        if prev is not None and not is_embedded and prev[5] > x0 > prev[3] and abs(y0 - prev[4]) < 0.01 * (em_y or 1):
            # a font that is not embedded: pdfium's box spans the width of the glyph it draws in
            # its stead, pdfminer's the advance the PDF gives; where the two disagree, the box
            # ran into the next glyph of the run (a half-width digit 0.63 em wide for 0.5 em)
            rows[-1] = prev = (*prev[:5], x0, prev[6])
        if prev is not None and em_x is not None:
            # a vertical run: the glyph right below the previous one of its text object
            h = max(row[6] - y0, prev[6] - prev[4])
            if h > 0 and abs(x0 - prev[3]) < 0.1 * h and row[6] < prev[6] - 0.3 * h:
                if not vertical or vertical[-1] != len(rows) - 1:
                    vertical.append(len(rows) - 1)
                vertical.append(len(rows))
        rows.append(row)
        prev = row
    if vertical:
        _em_boxes_of_vertical_runs(api, tp, rows, vertical, ems)
    order, blanks, lost = _stream_order(api, ctypes.cast(page.raw, ctypes.c_void_p).value, set(ems))
    last = float("inf")  # characters of an object not in the page's list (if any) go last
    keys = [order.get(row[0], last) for row in rows]
    if blanks or any(a > b for a, b in zip(keys, keys[1:])):
        rows = [(position, -1, " ", *box_) for position, box_ in blanks] + rows
        keys = [position for position, _ in blanks] + keys
        rows = [row for _, _, row in sorted(zip(keys, [row[1] for row in rows], rows), key=lambda t: (t[0], t[1]))]
    rotation, mediabox = page.get_rotation(), page.get_mediabox()
    to_page, page_box = _rotated(rotation, mediabox)
    if rotation == 0 and mediabox[0] == 0 and mediabox[1] == 0:
        return [row[2:] for row in rows], page_box, lost
    return [(row[2], *to_page(row[3], row[4], row[5], row[6])) for row in rows], page_box, lost


def _em_boxes_of_vertical_runs(api: _Pdfium, tp: int, rows: list[tuple], vertical: list[int], ems: dict) -> None:
    x, y = ctypes.c_double(), ctypes.c_double()
    for j in vertical:
        obj, k, text = rows[j][:3]
        em_x, em_y, _ = ems[obj]
        if api.origin(tp, k, x, y):
            rows[j] = (obj, k, text, x.value, y.value, x.value + em_x, y.value + em_y)


def extract_pdfium(
    data: bytes,
    max_pages: int = 0,
    page_limit: int = 0,
    detect_vertical: bool = True,
    tables: bool = True,
    progress: Callable[[int], None] | None = None,
) -> PdfText:
    """Pages of text (pypdfium2's characters, pdfminer's layout analysis: ``pdf_layout``); the
    arguments as for ``extract_pdfminer``. ``PdfText.incomplete`` says why the text misses some
    of the file's (text objects that pdfium leaves out), for a fallback to pdfminer."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise PdfError("encrypted", f"the PDF is encrypted with a password and opening it without one failed (pdfium: {msg}); "
                                        "decrypt it first (qpdf --decrypt --password=PW in.pdf out.pdf)") from None
        raise PdfError("corrupt", msg) from None
    params = LayoutParams(detect_vertical=detect_vertical)
    try:
        _check_page_limit(len(pdf), page_limit)
        pages = []
        lost_on = None
        for i in range(min(len(pdf), max_pages) if max_pages else len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                chars, page_box, lost = pdfium_page_chars(page, textpage)
            finally:
                textpage.close()
                page.close()
            if lost and lost_on is None:
                lost_on = i + 1
            pages.append(_page_text(chars, page_box, params, tables))
            if progress:
                progress(len(pages))
    finally:
        pdf.close()
    incomplete = f"page {lost_on}: text objects without width, which pdfium does not read" if lost_on else None
    return PdfText(pages, incomplete=incomplete)


def _page_text(chars: list[Char], page_box: tuple, params: LayoutParams, tables: bool) -> str:
    """A page's text from its characters (pypdfium2's, or pdfminer's where it has tables): its
    tables as Markdown in their place (``pdf_tables``), the other characters' lines as pdfminer
    makes them."""
    found = find_tables(chars, params) if tables else []
    if found:
        taken = set().union(*(t.chars for t in found))
        chars = [c for i, c in enumerate(chars) if i not in taken]
    boxes, empties = layout_boxes(chars, page_box, params)
    return "".join(line + "\n" for line in [*place(boxes, found), *empties])


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
_JA_CLASS = _JA.pattern[1:-1]
# spaces between Japanese characters: layout (a PDF's character gaps), not text (the normaliser drops them)
_JA_SPACES = re.compile(f"(?<=[{_JA_CLASS}]) +(?=[{_JA_CLASS}])")


def _width(line: str) -> int:
    """A line's length in characters, spaces between Japanese characters not counted: whether
    a gap of 0.1 em gets a space is a rounding tie in text set at 1.1 em pitch (the 告示), so
    the same width of column can come out with a space after every character or after some."""
    return len(_JA_SPACES.sub("", line.strip()))


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
            if i in edges and not _is_table_line(ln) and (_RE_PAGE_NUMBER.match(ln) or _edge_key(ln) in repeated):
                removed += 1
                continue
            kept.append(ln)
        out.append(kept)
    return out, removed


def _is_table_line(line: str) -> bool:
    """A line of a Markdown table (``pdf_tables``): the layout repair leaves it as it is."""
    s = line.strip()
    return len(s) > 1 and s[0] == "|" and s[-1] == "|"


def undo_letter_spacing(line: str) -> str:
    """``保 医 発 0 3 0 5`` -> ``保医発0305``: a line made mostly of single characters and spaces."""
    if _is_table_line(line):
        return line
    tokens = line.split()
    if len(tokens) >= 4 and sum(len(t) == 1 for t in tokens) >= 0.8 * len(tokens):
        return "".join(tokens)
    return line


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Re-join hard-wrapped lines of a page into paragraphs.

    A line that fills (nearly) the full text width (``_width``) and does not end a sentence
    continues on the next line. Japanese joins without a space, Latin text with one.
    """
    lengths = [_width(ln) for ln in lines if ln.strip() and not _is_table_line(ln)]
    if not lengths:
        return [ln.strip() for ln in lines]
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
        if _is_table_line(s):  # a table's lines stay as they are, none joined to the text
            if carry:
                out.append(carry)
                carry = ""
            out.append(s)
            continue
        if carry:
            sep = "" if (_JA.match(carry[-1]) or _JA.match(s[0])) else " "
            carry = carry + sep + s
        else:
            carry = s
        wrapped = _width(s) >= 0.85 * full and not s.endswith(_SENTENCE_END)
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
