"""Extraction steps: one per input format. Each fills ``doc.text`` for its format and passes
every other document through untouched; a file it cannot read is marked for quarantine with a
reason (the ``QuarantineGate`` then takes it out), so one bad file never stops a run. PDF and
HTML extraction run under a per-document wall-clock limit (``kinyu.corpus.extract.limits``).
"""

from __future__ import annotations

import time

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from kinyu.corpus.extract.config import ExtractConfig
from kinyu.corpus.extract.decode import decode_bytes
from kinyu.corpus.extract.html import extract_html
from kinyu.corpus.extract.limits import ExtractionError, TimeLimitedWorker
from kinyu.corpus.extract.pdf import PdfError, PdfText, extract_pdfium, extract_pdfminer, repair_layout
from kinyu.corpus.extract.readers import quarantined
from kinyu.base.runs import package_versions


_VERSIONS = package_versions(("pdfminer.six", "pypdfium2", "trafilatura"))
# a pypdfium2 failure with these reasons is the document's, not pypdfium2's: no pdfminer.six retry
NO_FALLBACK = ("timeout", "too_many_pages")
# metadata["extractor"]: which library (and version) made the text
EXTRACTOR_NAMES = {
    "pdfminer": f"pdfminer.six {_VERSIONS['pdfminer.six'] or 'unknown'}",
    "pypdfium2": f"pypdfium2 {_VERSIONS['pypdfium2'] or 'unknown'}",
    "html": f"trafilatura {_VERSIONS['trafilatura'] or 'unknown'}",
}


class FormatExtractor(PipelineStep):
    """Base: handle documents of ``fmt`` that still carry raw bytes and are not quarantined."""

    fmt = ""
    type = "🛢 - EXTRACTOR"

    def __init__(self, timeout_s: float = 0):
        super().__init__()
        self.timeout_s = timeout_s
        self._worker: TimeLimitedWorker | None = None

    def extract(self, doc: Document, data: bytes) -> None:
        raise NotImplementedError

    def limited(self, fn, *args, progress: bool = False, timeout_s: float | None = None):
        """``fn(*args)`` under the per-document limit (a killable child process); in this
        process when ``timeout_s`` is 0. ``fn`` must be a module-level function. ``timeout_s``:
        what is left of the document's limit (a second attempt at the same document)."""
        if not self.timeout_s:
            return fn(*args)
        if self._worker is None:
            self._worker = TimeLimitedWorker(self.timeout_s)
        return self._worker.call(fn, *args, progress=progress, timeout_s=timeout_s)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        try:
            yield from self._extract_all(data)
        finally:
            if self._worker is not None:
                self._worker.close()
                self._worker = None

    def _extract_all(self, data: DocumentsPipeline) -> DocumentsPipeline:
        for doc in data:
            if doc.metadata.get("format") != self.fmt or "quarantine" in doc.metadata or not doc.media:
                yield doc
                continue
            raw = doc.media[0].media_bytes or b""
            doc.media = []  # the bytes are not needed after this step and must not be written out
            with self.track_time():
                try:
                    self.extract(doc, raw)
                    self.stat_update("extracted")
                except ExtractionError as e:
                    quarantined(doc, e.reason, e.detail)
                    self.stat_update(f"failed_{e.reason}")
                except Exception as e:  # an extractor bug on one file must not end the run
                    quarantined(doc, "extractor_error", f"{type(e).__name__}: {e}"[:500])
                    self.stat_update("failed_extractor_error")
            yield doc


class PdfExtractor(FormatExtractor):
    """PDF -> text with pypdfium2 (default) or pdfminer.six (``extract.pdf_backend pdfminer``).

    pypdfium2 reads the characters and their boxes; pdfminer.six's layout analysis, ported to
    them (``kinyu.corpus.extract.pdf_layout``), makes the lines and their reading order, vertical
    (縦書き) columns right to left included. Where pypdfium2 fails on a file (it cannot open or
    read it, it crashes, or it leaves out text objects it cannot measure) the document is read
    again with pdfminer.six, within what is left of the time limit; ``metadata["extractor"]``
    names the library that made the text and ``metadata["extract_fallback"]`` says why
    pypdfium2's was not used. Then one Japanese layout repair for both: running
    headers/footers and page numbers removed, hard-wrapped lines re-joined without spaces,
    letter-spacing undone. Encrypted and corrupt files are quarantined; a PDF whose pages
    carry no text layer (a scan) is quarantined as ``no_text``, one with more than
    ``max_pages`` pages (0: no cap) as ``too_many_pages``, one whose extraction takes more
    than ``timeout_s`` seconds (0: no limit) as ``timeout``.
    """

    name = "📄 PDF"
    fmt = "pdf"

    def __init__(self, config: ExtractConfig | None = None):
        self.config = config or ExtractConfig()
        super().__init__(self.config.timeout_s)  # pdf_backend is one of its Literal's values: checked when the config loads

    def _pdfminer(self, data: bytes, timeout_s: float | None = None) -> PdfText:
        x = self.config
        return self.limited(
            extract_pdfminer, data, x.pdf_detect_vertical, 0, x.pdf_boxes_flow, x.pdf_max_pages, x.pdf_tables, progress=True, timeout_s=timeout_s
        )

    def read_pages(self, data: bytes) -> tuple[PdfText, str, str | None]:
        """The pages' text, the backend that made it, and why pypdfium2's was not used (if so)."""
        x = self.config
        if x.pdf_backend == "pdfminer":
            return self._pdfminer(data), "pdfminer", None
        start = time.monotonic()
        try:
            result = self.limited(extract_pdfium, data, 0, x.pdf_max_pages, x.pdf_detect_vertical, x.pdf_tables, progress=True)
        except ExtractionError as e:
            if e.reason in NO_FALLBACK or not x.pdf_fallback:
                raise
            why = f"{e.reason}: {e.detail}"
        except Exception as e:  # a pypdfium2 error on one file
            if not x.pdf_fallback:
                raise
            why = f"{type(e).__name__}: {e}"
        else:
            if result.incomplete is None:
                return result, "pypdfium2", None
            if not x.pdf_fallback:
                result.warnings.append(result.incomplete)
                return result, "pypdfium2", None
            why = f"incomplete: {result.incomplete}"
        why = f"pypdfium2 {why}"[:300]
        left = None
        if self.timeout_s:
            left = self.timeout_s - (time.monotonic() - start)
            if left <= 0:
                raise PdfError("timeout", f"stopped after {self.timeout_s:g} s (extract.timeout_s); {why}")
        try:
            return self._pdfminer(data, left), "pdfminer", why
        except ExtractionError as e:
            raise type(e)(e.reason, f"{e.detail} (after {why})"[:500]) from None

    def extract(self, doc: Document, data: bytes) -> None:
        if not data:
            raise PdfError("empty", "0 bytes")
        if not data.lstrip()[:5].startswith(b"%PDF"):
            raise PdfError("corrupt", "no %PDF header")
        result, backend, fallback = self.read_pages(data)
        doc.metadata["extractor"] = EXTRACTOR_NAMES[backend]
        if fallback:
            doc.metadata["extract_fallback"] = fallback
        pages = result.pages
        empty_pages = sum(1 for p in pages if not p.strip())
        doc.metadata["pages"] = len(pages)
        self.stat_update("pages", value=len(pages))
        self.stat_update(f"pages_{backend}", value=len(pages))
        if result.warnings:
            doc.metadata["extract_warnings"] = sorted(set(result.warnings))[:5]
        truncated = b"%%EOF" not in data[-2048:]
        if truncated:
            doc.metadata["extract_warnings"] = doc.metadata.get("extract_warnings", []) + ["no %%EOF marker: file truncated"]
        if not pages or empty_pages == len(pages):
            if truncated:
                raise PdfError("corrupt", f"truncated (no %%EOF marker); {len(pages)} page(s) readable, none with text")
            raise PdfError("no_text", f"{len(pages)} page(s) without a text layer (scanned image? run OCR first)")
        if empty_pages:
            doc.metadata["pages_without_text"] = empty_pages
        doc.text, repairs = repair_layout(pages, self.config.pdf_join_lines, self.config.pdf_drop_running_lines)
        doc.metadata.update(repairs)


class HtmlExtractor(FormatExtractor):
    """HTML/XHTML -> main text with trafilatura, after decoding (BOM, the HTTP header's charset for
    a page from a web archive, the document's declaration, detection).

    Hidden content (EDINET ``ix:header``, ``display:none``) is removed first. Empty, binary and
    undecodable files are quarantined with the reason; an extraction past ``timeout_s`` as ``timeout``.
    """

    name = "🌐 HTML"
    fmt = "html"

    def __init__(self, config: ExtractConfig | None = None):
        self.config = config or ExtractConfig()
        super().__init__(self.config.timeout_s)

    def extract(self, doc: Document, data: bytes) -> None:
        decoded = decode_bytes(data, doc.metadata.get("http_charset"))
        doc.metadata["encoding"] = decoded.encoding
        doc.metadata["encoding_source"] = decoded.how
        doc.text, info = self.limited(extract_html, decoded.text, self.config.html_include_tables, self.config.html_favor_recall,
                                      self.config.html_table_format)
        doc.metadata["extractor"] = EXTRACTOR_NAMES["html"]
        doc.metadata.update(info)


class PlainTextDecoder(FormatExtractor):
    """Plain text files: decode (BOM, HTTP header charset, detection over UTF-8, CP932, EUC-JP,
    ISO-2022-JP) and keep as is."""

    name = "📝 Text"
    fmt = "text"

    def extract(self, doc: Document, data: bytes) -> None:
        decoded = decode_bytes(data, doc.metadata.get("http_charset"))
        doc.metadata["encoding"] = decoded.encoding
        doc.metadata["encoding_source"] = decoded.how
        doc.metadata["extractor"] = "text"
        doc.text = decoded.text
