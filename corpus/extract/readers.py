"""Read any mix of files and folders into documents that carry their raw bytes and provenance.

Web archives (``kinyu.corpus.extract.warc``) and ZIP bundles (``kinyu.corpus.extract.archives``)
are dispatched here and read record by record: one document per capture or member.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline, Media, MediaType
from datatrove.pipeline.readers.base import BaseReader

from kinyu.base.runs import atomic_write_text, sha256_bytes, sha256_file
from kinyu.corpus.extract import records
from kinyu.corpus.extract.archives import ZipLimits, is_zip, read_zip
from kinyu.corpus.extract.records import quarantined  # noqa: F401 - where the extractors import it from
from kinyu.corpus.extract.walk import InputFile, InputListing, walk_inputs  # noqa: F401 - InputFile: where callers import it from (tests, workflows)
from kinyu.corpus.extract.warc import ArchiveTally, is_warc, read_warc

PDF_EXT = (".pdf",)
HTML_EXT = (".html", ".htm", ".xhtml", ".xht", ".shtml")
TEXT_EXT = (".txt", ".text", ".md")
JSONL_EXT = (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")
JSON_EXT = (".json",)
PARQUET_EXT = (".parquet", ".pq")
RECORD_FORMATS = ("jsonl", "json", "parquet")  # one document per record: kinyu.corpus.extract.records

DEFAULT_EXCLUDE = (".*", "MANIFEST.json", "MANIFEST.md", "*.tmp")


def list_input_files(paths: list[str], exclude: tuple[str, ...] = DEFAULT_EXCLUDE, follow_symlinks: bool = False) -> list[InputFile]:
    """The files a build reads under ``paths``, sorted by id (:func:`kinyu.corpus.extract.walk.walk_inputs`:
    what is not read, and why, is in its ``skipped``)."""
    return walk_inputs(paths, exclude, follow_symlinks).files


def input_files(cfg) -> list[InputFile]:
    """The files the build of ``cfg`` (a CorpusConfig) reads."""
    return list_input_files(cfg.input.resolved_paths(), tuple(cfg.input.exclude), cfg.input.follow_symlinks)


# Extraction seconds per byte, relative to HTML: measured on the shared real data
# (pdfminer.six: ~13 s/MB on MHLW PDFs; trafilatura: ~0.75 s/MB on EDINET HTML). Compressed
# archives hold about 5 bytes of HTML per byte (gzip on the shared EDINET pages: 5-8x).
_COST_PER_BYTE = {".pdf": 15, ".warc.gz": 5, ".arc.gz": 5, ".zip": 5}


def estimated_cost(f: InputFile) -> int:
    name = f.path.lower()
    factor = next((c for ext, c in _COST_PER_BYTE.items() if name.endswith(ext)), 1)
    return f.size * factor + 1


def shard_files(files: list[InputFile], rank: int, world_size: int) -> list[InputFile]:
    """Longest-processing-time assignment by estimated extraction cost: balanced tasks, the
    same on every machine (depends only on file names, sizes and extensions)."""
    loads = [0] * world_size
    assigned: list[list[InputFile]] = [[] for _ in range(world_size)]
    for f in sorted(files, key=lambda f: (-estimated_cost(f), f.doc_id)):
        i = min(range(world_size), key=lambda k: (loads[k], k))
        assigned[i].append(f)
        loads[i] += estimated_cost(f)
    return sorted(assigned[rank], key=lambda f: f.doc_id)


def read_jsonl_gz(folder: str | Path):
    """Records of a run folder's datatrove jsonl.gz files (docs/, removed/<step>/, ...), in file order."""
    for path in sorted(Path(folder).glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def sniff_format(path: str, head: bytes) -> str:
    """pdf, html, text, jsonl, or a container: warc (WARC/ARC) or zip; else unknown."""
    name = path.lower()
    if head.startswith(b"%PDF"):
        return "pdf"
    if is_warc(name, head):
        return "warc"
    if is_zip(name, head):
        return "zip"
    if head.startswith(b"PAR1") or name.endswith(PARQUET_EXT):
        return "parquet"
    if name.endswith(JSONL_EXT):
        return "jsonl"
    if name.endswith(JSON_EXT):
        return "json"
    if name.endswith(PDF_EXT):
        return "pdf"  # a .pdf that does not start with %PDF: the extractor will say why
    if name.endswith(HTML_EXT):
        return "html"
    if name.endswith(TEXT_EXT):
        return "text"
    lowered = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")):
        return "html"
    return "unknown"


class RawFileReader(BaseReader):
    """Yield one document per input file (one per record for jsonl, per capture for a WARC, per
    member for a ZIP), with raw bytes attached.

    Text is empty until an extractor fills it. Metadata: ``source`` (path; ``X.zip!/member`` for
    a ZIP member), ``sha256`` of the raw bytes, ``format``, ``bytes``; a WARC capture also its
    ``url``, record id, date and content type. Files over ``max_file_bytes`` are not read; they
    are marked for quarantine with their size, so nothing disappears silently (archives are
    streamed, and the limit holds for each record or member instead). JSONL, JSON and Parquet
    files give one document per record, with its text already (``text_keys``:
    :mod:`kinyu.corpus.extract.records`). ``archive_log``: a folder where each task writes one row
    per archive it read (records, documents, other records by type) for the per-archive accounting.
    """

    name = "📂 Raw files"
    type = "📖 - READER"

    def __init__(self, paths: list[str], max_file_bytes: int = 64 << 20, exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
                 zip_limits: ZipLimits | None = None, archive_log: str | None = None,
                 text_keys: tuple[str, ...] = records.DEFAULT_TEXT_KEYS, follow_symlinks: bool = False):
        super().__init__()
        self.paths = list(paths)
        self.max_file_bytes = max_file_bytes
        self.exclude = tuple(exclude)
        self.zip_limits = zip_limits or ZipLimits(max_member_bytes=max_file_bytes)
        self.archive_log = archive_log
        self._tallies: list[ArchiveTally] = []
        self.text_keys = tuple(text_keys)
        self.follow_symlinks = follow_symlinks

    def _archive_docs(self, f: InputFile, kind: str):
        tally = ArchiveTally(f.source, f.doc_id, kind)
        self._tallies.append(tally)
        self.stat_update(f"archives_{kind}")
        if kind == "warc":
            yield from read_warc(f.path, f.doc_id, self.max_file_bytes, tally, f.source)
        else:
            yield from read_zip(f.path, f.doc_id, self.zip_limits, tally, f.source)
        for record_type, n in tally.other.items():
            self.stat_update(f"{kind}_{record_type}_not_documents", value=n)

    def _stream_limits(self) -> records.StreamLimits:
        return records.StreamLimits(self.max_file_bytes, self.zip_limits.max_ratio, self.zip_limits.max_total_bytes)

    def read_file(self, f: InputFile):
        meta = {"source": f.source, "bytes": f.size}
        with open(f.path, "rb") as fh:
            head = fh.read(2048)
        container = sniff_format(f.path, head)
        if container in ("warc", "zip"):
            yield from self._archive_docs(f, container)
            return
        if f.size > self.max_file_bytes:
            meta["sha256"] = sha256_file(f.path)
            meta["format"] = sniff_format(f.path, b"")
            yield quarantined(
                Document(text="", id=f.doc_id, metadata=meta),
                "too_large",
                f"{f.size} bytes > limit {self.max_file_bytes} (input.max_file_mb)",
            )
            return
        if container == "jsonl":  # streamed: a gzipped file may inflate far past its size on disk
            meta["sha256"] = sha256_file(f.path)
            meta["format"] = "jsonl"
            yield from records.jsonl_documents(f.doc_id, f.path, meta, self.text_keys, self._stream_limits())
            return
        data = Path(f.path).read_bytes()
        meta["sha256"] = sha256_bytes(data)
        meta["format"] = fmt = sniff_format(f.path, data[:2048])
        if fmt in RECORD_FORMATS:
            read = {"json": records.json_documents, "parquet": records.parquet_documents}[fmt]
            yield from read(f.doc_id, data, meta, self.text_keys)
            return
        doc = Document(text="", id=f.doc_id, metadata=meta)
        if fmt == "unknown":
            yield quarantined(doc, "unsupported_format", "not PDF, HTML, text, JSON, JSONL, Parquet, WARC or ZIP (by extension and content)")
            return
        doc.media = [Media(id=f.doc_id, type=MediaType.DOCUMENT, url=f.source, media_bytes=data)]
        yield doc

    def _skipped_docs(self, listing: InputListing):
        """One quarantined document per entry of the inputs that is not read (a FIFO, a link that
        leaves the inputs, ...): counted and listed like any unreadable input."""
        for s in listing.skipped:
            self.stat_update("skipped_inputs")
            yield quarantined(Document(text="", id=s.doc_id, metadata={"source": s.path, "bytes": None}), s.reason, s.detail)

    def _write_archive_log(self, rank: int) -> None:
        if self.archive_log is None:
            return
        out = Path(self.archive_log) / f"{rank:05d}.jsonl"
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, "".join(json.dumps(t.row(), ensure_ascii=False) + "\n" for t in self._tallies))

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        listing = walk_inputs(self.paths, self.exclude, self.follow_symlinks)
        files = shard_files(listing.files, rank, world_size)
        self._tallies = []
        if rank == 0:  # the entries not read, once per build
            if listing.links:
                self.stat_update("symlinks_read", value=listing.links)
            for doc in self._skipped_docs(listing):
                self.stat_update("documents")
                yield doc
        for f in files:
            docs = self.read_file(f)  # lazily: an archive streams one record at a time
            while True:
                with self.track_time():
                    doc = next(docs, None)
                if doc is None:
                    break
                self.stat_update("documents")
                yield doc
            self.stat_update("files")
        self._write_archive_log(rank)
