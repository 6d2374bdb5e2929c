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
import zlib
from dataclasses import dataclass
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


# the run's writer (orjson) refuses to write more than 254 levels: a record's metadata deeper than
# this would fail the whole extract stage in the writer, so it is left out (the text is kept)
MAX_METADATA_DEPTH = 200


def _depth(value: Any) -> int:
    """How many levels of lists and mappings ``value`` nests (without recursion: it may be deep)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


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
        if _depth(record["metadata"]) <= MAX_METADATA_DEPTH:
            meta["record_metadata"] = record["metadata"]
        else:
            meta["record_metadata_dropped"] = f"nested more than {MAX_METADATA_DEPTH} levels deep"
    doc.text = text
    meta["extractor"] = EXTRACTOR[position]
    return doc


def _unreadable(doc_id: str, base_meta: dict, detail: str) -> Document:
    return quarantined(Document(text="", id=doc_id, metadata=dict(base_meta)), "corrupt", detail[:500])


@dataclass(frozen=True)
class StreamLimits:
    """What one JSONL file may inflate to, read as a stream (the ZIP limits' idea for a gzip file):
    a line over ``max_line_bytes`` is quarantined alone (``too_large``); past ``max_total_bytes``
    inflated, or a ratio over ``max_ratio`` once a MiB is inflated, reading stops (``gzip_bomb``)
    and the records read so far are kept."""

    max_line_bytes: int = 64 << 20
    max_ratio: float = 200.0
    max_total_bytes: int = 16 << 30


_MIB = 1 << 20
_SKIP_CHUNK = 1 << 20  # the rest of an over-long line is read past in pieces this big, never held
_SKIP_CHECK = 64 << 20  # ... and the gzip limits are checked every this many bytes of it


def _position_doc(doc_id: str, lineno: int, base_meta: dict) -> Document:
    return Document(text="", id=f"{doc_id}#{lineno}", metadata={**base_meta, "line": lineno})


def _skip_line(f) -> tuple[int, bool]:
    """Read past up to _SKIP_CHECK bytes of the rest of a line: (bytes read, whether the line ended),
    so that the caller checks the gzip limits as it goes."""
    skipped = 0
    while skipped <= _SKIP_CHECK:
        chunk = f.readline(_SKIP_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped, True
    return skipped, False


def _bomb(raw, inflated: int, limits: StreamLimits) -> str | None:
    """Why a gzip stream that has inflated ``inflated`` bytes from ``raw.tell()`` compressed ones is
    not read further, or None."""
    if inflated > limits.max_total_bytes:
        return f"inflates past {limits.max_total_bytes >> 20} MiB (input.zip_max_total_mb)"
    compressed = max(raw.tell(), 1)
    if inflated > _MIB and inflated / compressed > limits.max_ratio:
        return f"inflates {inflated / compressed:.0f}x ({compressed} -> {inflated} bytes so far) > input.zip_max_ratio {limits.max_ratio:g}"
    return None


def _lines(path: str, limits: StreamLimits) -> Iterator[tuple[int, bytes | None, str | None]]:
    """(line number, line without its newline, None), a too-long line as (n, None, "too_large: ..."),
    and a last (n, None, "gzip_bomb: ..." / "corrupt: ...") when reading stops early."""
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        f = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
        lineno, inflated = 0, 0
        try:
            while True:
                line = f.readline(limits.max_line_bytes + 1)
                if not line:
                    return
                lineno += 1
                inflated += len(line)
                too_long = len(line) > limits.max_line_bytes and not line.endswith(b"\n")
                ended = not too_long
                while not ended and not (gz and _bomb(raw, inflated, limits)):
                    skipped, ended = _skip_line(f)
                    inflated += skipped
                if gz and (why := _bomb(raw, inflated, limits)):
                    yield lineno, None, f"gzip_bomb: {why}; the {lineno - 1} line(s) before it are read"
                    return
                if too_long:
                    yield lineno, None, f"too_large: over {limits.max_line_bytes} bytes (input.max_file_mb): not parsed"
                else:
                    yield lineno, line[:-1] if line.endswith(b"\n") else line, None
        except (OSError, EOFError, zlib.error) as e:  # a damaged or cut gzip stream: what came before is kept
            yield lineno + 1, None, f"corrupt: unreadable from this line on: {type(e).__name__}: {e}"


def jsonl_documents(doc_id: str, path: str, base_meta: dict, text_keys: tuple[str, ...] = DEFAULT_TEXT_KEYS,
                    limits: StreamLimits = StreamLimits()) -> Iterator[Document]:
    """The documents of a JSONL (or gzipped JSONL) file, read as a stream: one per non-empty line."""
    for lineno, line, problem in _lines(path, limits):
        if problem is not None:
            reason, _, detail = problem.partition(": ")
            yield quarantined(_position_doc(doc_id, lineno, base_meta), reason, f"line {lineno}: {detail}"[:500])
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as e:
            yield quarantined(_position_doc(doc_id, lineno, base_meta), "bad_jsonl_record", f"line {lineno}: {_parse_error(e)}")
            continue
        yield record_document(doc_id, lineno, record, base_meta, text_keys, "line", "bad_jsonl_record")


def _parse_error(e: Exception) -> str:
    if isinstance(e, RecursionError):  # json's C parser recurses once per level: 100,000 nested lists end here
        return "RecursionError: nested too deep to parse"
    return f"{type(e).__name__}: {e}"


def json_documents(doc_id: str, data: bytes, base_meta: dict, text_keys: tuple[str, ...] = DEFAULT_TEXT_KEYS) -> Iterator[Document]:
    """The documents of a JSON file: an object is one document, a list one per element."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        yield _unreadable(doc_id, base_meta, f"not valid JSON: {_parse_error(e)}")
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
