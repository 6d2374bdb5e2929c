"""Web archives (WARC/ARC, plain or gzip) into documents: one per capture, streamed record by record.

Read with warcio, the library datatrove's own ``WarcReader`` uses. FastWARC parses the records about
12x faster (531 vs 43 MiB/s of payload on the 200 MiB WARC of ``benchmarks/warc.py``), but warcio's
4 s there are under 5 % of the 89 CPU seconds the extraction of those pages takes, so the faster
parser would hardly change a build's speed.

What becomes of each record (``ArchiveTally`` counts them per archive):

- ``response`` / ``resource`` / ``conversion`` (WET text): a document. Its payload goes to the
  extractors by content type (HTML/XHTML, PDF, plain text; ``WARC-Identified-Payload-Type`` first,
  then the HTTP ``Content-Type``, then the payload's first bytes when the type says nothing).
  Metadata: ``url``, ``warc_record_id``, ``warc_date``, ``content_type``, ``http_status``, and
  ``http_charset`` (the header's charset, which decoding tries before the page's own declaration).
- not kept, with a reason (``record_skip``, dropped by ``kinyu.corpus.select.records``): a non-200
  HTTP status (``http_404``, ``http_301``), a content type that is not text (``not_text``), a
  ``revisit`` record (the payload is stored by reference only).
- quarantined: a payload the crawler cut (``WARC-Truncated``) or that the file cuts short
  (``truncated``), one over ``input.max_file_mb`` (``too_large``), one that does not decode
  (``corrupt``); a file that cannot be parsed past some record (``corrupt_archive``: one document
  for the rest of the file, since nothing after it can be found).
- ``warcinfo``, ``request``, ``metadata`` records: not documents; counted per archive by type.
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from dataclasses import dataclass, field

from datatrove.data import Document, Media, MediaType
from warcio.limitreader import LimitReader

from kinyu.base.runs import sha256_bytes

WARC_EXT = (".warc", ".warc.gz", ".arc", ".arc.gz")

# content type -> the extractor's format
MIME_FORMATS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/xml+xhtml": "html",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "text/plain": "text",
}
# types that say nothing about the payload: its first bytes decide
UNTYPED = ("", "application/octet-stream", "binary/octet-stream", "unk", "unknown", "application/unknown")
DOCUMENT_RECORDS = ("response", "resource", "conversion", "revisit")


def is_warc(name: str, head: bytes) -> bool:
    """A WARC/ARC file, by extension or by its first bytes (also inside gzip)."""
    if name.lower().endswith(WARC_EXT):
        return True
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith(b"WARC/")


@dataclass
class ArchiveTally:
    """One archive's records: how many were read, how many became documents, the others by type."""

    archive: str  # the path as given
    id: str
    kind: str  # warc | zip
    records: int = 0
    documents: int = 0
    other: Counter = field(default_factory=Counter)

    def row(self) -> dict:
        return {"archive": self.archive, "id": self.id, "kind": self.kind, "records": self.records,
                "documents": self.documents, "not_documents": dict(sorted(self.other.items()))}


def media_type(value: str | None) -> tuple[str, str | None]:
    """``text/html; charset=Shift_JIS`` -> (``text/html``, ``Shift_JIS``)."""
    if not value:
        return "", None
    mime, *params = value.split(";")
    charset = None
    for p in params:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset" and v.strip():
            charset = v.strip().strip("\"'")
    return mime.strip().lower(), charset


def sniff_payload(head: bytes) -> str | None:
    if head.lstrip()[:5].startswith(b"%PDF"):
        return "pdf"
    lowered = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in lowered[:512]:
        return "html"
    return None


def skipped(doc: Document, reason: str, detail: str) -> Document:
    """Mark a record that is not a document to keep (``kinyu.corpus.select.records`` drops it)."""
    doc.metadata["record_skip"] = {"reason": reason, "detail": detail}
    doc.media = []
    return doc


def _quarantined(doc: Document, reason: str, detail: str) -> Document:
    doc.metadata["quarantine"] = {"reason": reason, "detail": detail}
    doc.media = []
    return doc


def _left_unread(rec) -> int:
    """Drain the record's payload (warcio would read through it anyway to reach the next record);
    the bytes its Content-Length promised that the file does not have."""
    stream = rec.raw_stream
    try:
        while stream.read(1 << 16):
            pass
    except (OSError, EOFError, zlib.error, ValueError):
        pass
    return getattr(stream, "limit", 0) or 0


def _skip(doc: Document, rec, reason: str, detail: str) -> Document:
    """A record not to keep, unless the file cuts it short: then it is quarantined like any other."""
    left = _left_unread(rec)
    if left > 0:
        return _quarantined(doc, "truncated", f"record ends {left} bytes short of its Content-Length {rec.length} (file cut short)")
    return skipped(doc, reason, detail)


def _header(headers, name: str) -> str | None:
    return headers.get_header(name) if headers is not None else None


def record_document(source: str, doc_id: str, number: int, rec, max_payload_bytes: int) -> Document | None:
    """The document of one WARC record (None for warcinfo/request/metadata records)."""
    kind = rec.rec_type
    if kind not in DOCUMENT_RECORDS:  # warcinfo, request, metadata, an ARC file's arc_header
        return None
    h = rec.rec_headers
    meta = {
        "source": source,
        "archive": source,
        "record": number,
        "warc_type": kind,
        "url": _header(h, "WARC-Target-URI") or _header(h, "uri"),
        "warc_record_id": _header(h, "WARC-Record-ID"),
        "warc_date": _header(h, "WARC-Date") or _header(h, "archive-date"),
    }
    http = rec.http_headers
    status = http.get_statuscode() if http is not None and kind != "revisit" else None
    content_type = _header(http, "Content-Type") if http is not None else _header(h, "Content-Type")
    mime, charset = media_type(content_type)
    identified, _ = media_type(_header(h, "WARC-Identified-Payload-Type"))
    meta["content_type"] = content_type
    if status is not None:
        meta["http_status"] = int(status) if str(status).isdigit() else status
    if charset:
        meta["http_charset"] = charset
    meta["bytes"] = rec.length
    doc = Document(text="", id=f"{doc_id}#{number}", metadata=meta)
    if rec.length is None or not isinstance(getattr(rec, "raw_stream", None), LimitReader):
        return _quarantined(doc, "truncated", "record headers end without a Content-Length (file cut short)")
    if kind == "revisit":
        profile = (_header(h, "WARC-Profile") or "").rsplit("/", 1)[-1]
        refers = _header(h, "WARC-Refers-To") or _header(h, "WARC-Refers-To-Target-URI") or "?"
        return _skip(doc, rec, "revisit", f"{profile or 'revisit'}: payload stored in {refers}")
    if status is not None and str(status) != "200":
        location = _header(http, "Location")
        return _skip(doc, rec, f"http_{status}", http.statusline + (f" -> {location}" if location else ""))
    if kind == "conversion" and not mime:
        mime = "text/plain"
    fmt = MIME_FORMATS.get(identified) or MIME_FORMATS.get(mime)
    if fmt is None and identified not in UNTYPED:
        return _skip(doc, rec, "not_text", f"payload type {identified}")
    if fmt is None and mime not in UNTYPED:
        return _skip(doc, rec, "not_text", f"content type {mime}")
    if fmt:
        meta["format"] = fmt
    cut = _header(h, "WARC-Truncated")
    if cut:
        return _quarantined(doc, "truncated", f"WARC-Truncated: {cut} (the crawler stopped before the end of the payload)")
    if rec.length is not None and rec.length > max_payload_bytes + 65536:
        return _quarantined(doc, "too_large", f"record of {rec.length} bytes > limit {max_payload_bytes} (input.max_file_mb)")
    try:
        data = rec.content_stream().read(max_payload_bytes + 1)
    except (OSError, EOFError, zlib.error, ValueError) as e:  # a Content-Encoding that does not decode
        return _quarantined(doc, "corrupt", f"payload does not decode: {type(e).__name__}: {e}"[:500])
    meta["bytes"] = len(data)
    meta["sha256"] = sha256_bytes(data)
    if len(data) > max_payload_bytes:
        return _quarantined(doc, "too_large", f"payload over {max_payload_bytes} bytes (input.max_file_mb)")
    left = getattr(rec.raw_stream, "limit", 0) or 0
    if left > 0:
        return _quarantined(doc, "truncated", f"record ends {left} bytes short of its Content-Length {rec.length} (file cut short)")
    if fmt is None:
        fmt = sniff_payload(data[:2048])
        if fmt is None:
            return skipped(doc, "not_text", f"content type {mime or 'none'}, payload neither HTML nor PDF")
    meta["format"] = fmt
    doc.media = [Media(id=doc.id, type=MediaType.DOCUMENT, url=meta["url"] or source, media_bytes=data)]
    return doc


def read_warc(path: str, doc_id: str, max_payload_bytes: int, tally: ArchiveTally, source: str | None = None):
    """Documents of one WARC/ARC file, one record at a time (memory: one payload); ``source``: the
    path as the outputs name it (default ``path``; an escaped name when ``path`` is not UTF-8)."""
    from warcio.archiveiterator import ArchiveIterator

    opened, path = path, source or path
    with open(opened, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        records = ArchiveIterator(f)
        number, first_format = 0, None
        while True:
            try:
                rec = next(records)
            except StopIteration:
                break
            except Exception as e:  # noqa: BLE001 - warcio raises anything on a damaged header
                yield _rest_unreadable(path, doc_id, number + 1, tally, "corrupt_archive",
                                       f"record {number + 1} and everything after it unreadable: {type(e).__name__}: {e}")
                return
            first_format = first_format or rec.format
            if rec.format != first_format:  # warcio reads any text line as an ARC header: damage in a WARC
                yield _rest_unreadable(path, doc_id, number + 1, tally, "corrupt_archive",
                                       f"record {number + 1} and everything after it unreadable: not a {first_format} record")
                return
            number += 1
            tally.records += 1
            doc = record_document(path, doc_id, number, rec, max_payload_bytes)
            if doc is None:
                tally.other[rec.rec_type] += 1
                continue
            tally.documents += 1
            yield doc
        # a file cut inside a record's headers (or its gzip member) ends the iteration quietly:
        # the bytes after the last record read are that record, lost but for this document
        end = getattr(records, "offset", size)
        if end < size:
            f.seek(end)
            if f.read(1 << 20).strip():
                yield _rest_unreadable(path, doc_id, number + 1, tally, "truncated",
                                       f"{size - end} bytes after record {number} do not parse as a record (file cut short)")


def _rest_unreadable(path: str, doc_id: str, number: int, tally: ArchiveTally, reason: str, detail: str) -> Document:
    """One quarantined document for what cannot be read of the file from record ``number`` on."""
    tally.records += 1
    tally.documents += 1
    doc = Document(text="", id=f"{doc_id}#{number}", metadata={"source": path, "archive": path, "record": number})
    return _quarantined(doc, reason, detail[:500])
