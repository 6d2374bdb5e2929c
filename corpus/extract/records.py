"""Record files: one document per record of a JSONL, JSON or Parquet input, with the same
provenance as any other input (``source``, ``sha256``, ``format``, ``bytes``) plus the record's
position (``line`` of a JSONL file, ``record`` of a JSON list, ``row`` of a Parquet file).

The text is the first of ``text_keys`` found in the record, as datatrove's readers take their
``text_key``, except that a key is a path: ``a.b`` a nested field, ``a[].b`` the ``b`` of every
element of the list ``a``, joined by newlines. The default ``["text", "sentences[].sentence"]``
reads ``{"text": ...}`` records and chABSA's company files (``{"header": ..., "sentences":
[{"sentence": ...}, ...]}``: one document per company). A record's ``id`` (a string or number)
is kept as ``record_id`` and a ``metadata`` mapping as ``record_metadata``, as datatrove's
readers do; the document id stays the file's id and position, stable across machines.

A record without text is quarantined on its own (``bad_record``, ``bad_jsonl_record`` for
JSONL); a file that does not parse is quarantined whole (``corrupt``).
"""

from __future__ import annotations

import gzip
import io
import json
from typing import Any, Iterator

from datatrove.data import Document

DEFAULT_TEXT_KEYS = ("text", "sentences[].sentence")
JOIN = "\n"


def quarantined(doc: Document, reason: str, detail: str) -> Document:
    """Mark ``doc`` for the quarantine list (``reason``, ``detail``) and drop its raw bytes."""
    doc.metadata["quarantine"] = {"reason": reason, "detail": detail}
    doc.media = []
    return doc


class MissingField(KeyError):
    """None of the text fields is in the record."""


def field_text(record: Any, path: str) -> str | None:
    """The text at ``path`` in ``record`` (see the module doc), or None when its first key is
    absent (the next path is tried); TypeError/KeyError when the path exists but holds no text."""
    values = [record]
    for depth, part in enumerate(path.split(".")):
        each = part.endswith("[]")
        key = part[:-2] if each else part
        found = []
        for value in values:
            if not isinstance(value, dict) or key not in value:
                if depth == 0:
                    return None
                raise KeyError(f"{path!r}: an element has no {key!r}")
            item = value[key]
            if each:
                if not isinstance(item, list):
                    raise TypeError(f"{path!r}: {key!r} is {type(item).__name__}, not a list")
                found.extend(item)
            else:
                found.append(item)
        values = found
    for v in values:
        if not isinstance(v, str):
            raise TypeError(f"{path!r} is {type(v).__name__}, not a string")
    return JOIN.join(values)


def record_text(record: Any, text_keys: tuple[str, ...]) -> str:
    """The text of ``record``: its first field of ``text_keys``."""
    for path in text_keys:
        text = field_text(record, path)
        if text is not None:
            return text
    keys = ", ".join(map(str, record)) if isinstance(record, dict) else f"a {type(record).__name__}, not an object"
    raise MissingField(f"none of the text fields {list(text_keys)} (input.text_keys) in the record; it has: {keys}")


def _detail(e: Exception) -> str:
    return f"{type(e).__name__}: {e.args[0] if isinstance(e, KeyError) and e.args else e}"


EXTRACTOR = {"line": "jsonl", "record": "json", "row": "parquet"}  # metadata["extractor"] by position key


def record_document(doc_id: str, pos: int | None, record: Any, base_meta: dict, text_keys: tuple[str, ...], position: str,
                    bad_reason: str = "bad_record") -> Document:
    """The document of one record at ``pos`` (None: the file is this one record, and the document
    takes the file's id): text from ``text_keys``, the record's id and metadata kept; a record
    without text is quarantined with ``bad_reason``."""
    meta = dict(base_meta) if pos is None else {**base_meta, position: pos}
    doc = Document(text="", id=doc_id if pos is None else f"{doc_id}#{pos}", metadata=meta)
    try:
        text = record_text(record, text_keys)
    except (KeyError, TypeError, ValueError) as e:
        return quarantined(doc, bad_reason, ("" if pos is None else f"{position} {pos}: ") + _detail(e))
    if isinstance(record.get("id"), (str, int)):
        meta["record_id"] = str(record["id"])
    if isinstance(record.get("metadata"), dict):
        meta["record_metadata"] = record["metadata"]
    doc.text = text
    meta["extractor"] = EXTRACTOR[position]
    return doc


def _unreadable(doc_id: str, base_meta: dict, detail: str) -> Document:
    return quarantined(Document(text="", id=doc_id, metadata=dict(base_meta)), "corrupt", detail[:500])


def jsonl_documents(doc_id: str, data: bytes, base_meta: dict, text_keys: tuple[str, ...] = DEFAULT_TEXT_KEYS) -> Iterator[Document]:
    """The documents of a JSONL (or gzipped JSONL) file: one per non-empty line."""
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            doc = Document(text="", id=f"{doc_id}#{lineno}", metadata={**base_meta, "line": lineno})
            yield quarantined(doc, "bad_jsonl_record", f"line {lineno}: {type(e).__name__}: {e}")
            continue
        yield record_document(doc_id, lineno, record, base_meta, text_keys, "line", "bad_jsonl_record")


def json_documents(doc_id: str, data: bytes, base_meta: dict, text_keys: tuple[str, ...] = DEFAULT_TEXT_KEYS) -> Iterator[Document]:
    """The documents of a JSON file: an object is one document, a list one per element."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        yield _unreadable(doc_id, base_meta, f"not valid JSON: {type(e).__name__}: {e}")
        return
    if isinstance(parsed, list):
        for i, record in enumerate(parsed, start=1):
            yield record_document(doc_id, i, record, base_meta, text_keys, "record")
    else:
        yield record_document(doc_id, None, parsed, base_meta, text_keys, "record")


def parquet_documents(doc_id: str, data: bytes, base_meta: dict, text_keys: tuple[str, ...] = DEFAULT_TEXT_KEYS,
                      batch_rows: int = 1024) -> Iterator[Document]:
    """The documents of a Parquet file: one per row (read in batches of ``batch_rows``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        batches = pq.ParquetFile(io.BytesIO(data)).iter_batches(batch_size=batch_rows)
        row = 0
        for batch in batches:
            for record in batch.to_pylist():
                row += 1
                yield record_document(doc_id, row, record, base_meta, text_keys, "row")
    except (pa.ArrowException, OSError, ValueError) as e:
        yield _unreadable(doc_id, base_meta, f"not a readable Parquet file: {type(e).__name__}: {e}")


def looks_like_chabsa(path: str, head_bytes: int = 4096) -> bool:
    """A chABSA company file (``sentences`` with ``opinions``): also the chabsa task's data."""
    if not path.lower().endswith(".json"):
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(head_bytes)
    except OSError:
        return False
    return b'"sentences"' in head and b'"opinions"' in head
