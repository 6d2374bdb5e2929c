"""Content-addressed cache of extraction results: rebuilds skip PDF/HTML extraction.

The key is everything that decides what extraction produces: the raw bytes' sha256, the format
(and, for a page from a web archive, the charset of its HTTP header),
the extraction settings, the versions of the libraries that do the work, and a hash of the
source of kinyu's own extraction modules (so an edited or upgraded kinyu never serves stale
text, whatever its version string says). Change a quality-filter threshold and every key still
matches; change ``extract.*`` (or upgrade pdfminer.six) and the affected keys change, nothing
else. Unreadable files are cached with their quarantine reason too, except time-outs and crashes,
which depend on the machine, not the file. Normalisation is not cached: it is cheap and runs on
every build. A cache hit yields exactly what a cold run would have produced.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import tempfile
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from kinyu.base.runs import current_umask, package_versions

# set by the lookup on a miss and removed by the store step; never written out
KEY_MARK = "_kinyu_cache_key"

# the metadata that extraction and normalisation add (what a hit must restore)
_EXTRACTED_FIELDS = (
    "extractor",
    "extract_fallback",
    "pages",
    "pages_without_text",
    "extract_warnings",
    "running_lines_removed",
    "encoding",
    "encoding_source",
    "hidden_elements_removed",
    "tables",
    "quarantine",
)

# what each format's extraction depends on: its settings (by prefix), its libraries, and the
# corpus modules whose code produces it
_FORMAT_DEPENDENCIES = {
    "pdf": ("pdf_", ("pdfminer.six", "pypdfium2"), ("extractors", "pdf", "pdf_layout", "pdf_tables", "kinyu.corpus.tables", "limits")),
    "html": ("html_", ("trafilatura", "lxml", "lxml_html_clean", "charset-normalizer"), ("extractors", "html", "html_tables", "kinyu.corpus.tables", "decode", "limits")),
    "text": (None, ("charset-normalizer",), ("extractors", "decode")),
}

# quarantine reasons that say something about the run (load, limits), not about the file
UNCACHED_REASONS = ("timeout", "extractor_crash")


def default_cache_dir() -> Path:
    return Path(os.environ.get("KINYU_CACHE_DIR", Path.home() / ".cache" / "kinyu" / "extract"))


_CORPUS_DIR = Path(__file__).resolve().parent


def code_fingerprint(modules: tuple[str, ...]) -> str:
    """sha256 of the source of ``corpus.<module>`` for each module (the code that extracts); a
    dotted name is a module outside the extract package (the table format, ``kinyu.corpus.tables``)."""
    h = hashlib.sha256()
    for name in modules:
        path = Path(importlib.util.find_spec(name).origin) if "." in name else _CORPUS_DIR / f"{name}.py"
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def format_fingerprints(extract: dict) -> dict[str, str]:
    """One fingerprint per format: only its own settings, libraries and code (and kinyu's
    version), so that switching the PDF backend leaves the HTML entries valid."""
    out = {}
    for fmt, (prefix, libraries, modules) in _FORMAT_DEPENDENCIES.items():
        settings = {k: v for k, v in extract.items() if prefix and k.startswith(prefix)}
        versions = {name: v or "-" for name, v in package_versions(("kinyu", *libraries)).items()}
        blob = json.dumps({"format": fmt, "settings": settings, "versions": versions, "code": code_fingerprint(modules)}, sort_keys=True)
        out[fmt] = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return out


class ExtractionCacheLookup(PipelineStep):
    """Fill documents whose raw bytes were extracted before (same settings and versions) from
    the cache, so that the extractors skip them. Keeps every document."""

    name = "🗃 Extraction cache (lookup)"
    type = "🗃 - CACHE"

    def __init__(self, cache_dir: str, fingerprints: dict[str, str]):
        super().__init__()
        self.cache_dir = cache_dir
        self.fingerprints = fingerprints

    def path_for(self, key: str) -> Path:
        return Path(self.cache_dir) / key[:2] / f"{key}.json.gz"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            fingerprint = self.fingerprints.get(doc.metadata.get("format"))
            if not doc.media or "quarantine" in doc.metadata or fingerprint is None:
                yield doc  # jsonl records and unread files have nothing to extract
                continue
            material = f"{doc.metadata['sha256']}|{doc.metadata['format']}|{fingerprint}"
            if doc.metadata.get("http_charset"):  # a web archive's header charset decides the decoding too
                material += f"|charset={doc.metadata['http_charset']}"
            key = hashlib.sha256(material.encode()).hexdigest()
            path = self.path_for(key)
            if path.is_file():
                with self.track_time():
                    with gzip.open(path, "rt", encoding="utf-8") as f:
                        entry = json.load(f)
                doc.text = entry["text"]
                doc.metadata.update(entry["metadata"])
                doc.media = []
                self.stat_update("hits")
            else:
                doc.metadata[KEY_MARK] = key
                self.stat_update("misses")
            yield doc


class ExtractionCacheStore(PipelineStep):
    """Store what extraction made of each cache miss (text or quarantine); remove the marks."""

    name = "🗃 Extraction cache (store)"
    type = "🗃 - CACHE"

    def __init__(self, cache_dir: str):
        super().__init__()
        self.cache_dir = cache_dir

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            key = doc.metadata.pop(KEY_MARK, None)
            if key and doc.metadata.get("quarantine", {}).get("reason") in UNCACHED_REASONS:
                self.stat_update("not_stored_" + doc.metadata["quarantine"]["reason"])
            elif key:
                # in the document's own key order, so that a hit rebuilds byte-identical metadata
                entry = {"text": doc.text, "metadata": {k: v for k, v in doc.metadata.items() if k in _EXTRACTED_FIELDS}}
                path = Path(self.cache_dir) / key[:2] / f"{key}.json.gz"
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
                os.fchmod(fd, 0o666 & ~current_umask())  # a cache shared by a team (--cache.dir) stays readable
                with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
                    f.write(json.dumps(entry, ensure_ascii=False).encode("utf-8"))
                os.replace(tmp, path)  # atomic: parallel tasks may store the same key
                self.stat_update("stored")
            yield doc
