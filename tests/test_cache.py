"""The extraction cache stays honest: its key follows the extraction code, not only versions."""

from __future__ import annotations

import shutil
from pathlib import Path

from datatrove.data import Document, Media, MediaType

import kinyu.corpus.extract.cache as cache
from kinyu.corpus.extract.cache import ExtractionCacheLookup, ExtractionCacheStore, format_fingerprints
from kinyu.corpus.extract.config import ExtractConfig
from kinyu.corpus.extract.extractors import PdfExtractor
from kinyu.base.config import to_dict
from testkit.pdfgen import text_objects_pdf

PDF = text_objects_pdf(40, pages=2)


def raw_pdf(data: bytes = PDF) -> Document:
    return Document(
        text="",
        id="a.pdf",
        metadata={"format": "pdf", "source": "a.pdf", "sha256": "0" * 64},
        media=[Media(id="a.pdf", type=MediaType.DOCUMENT, url="a.pdf", media_bytes=data)],
    )


def extract_through_cache(cache_dir: Path, fingerprints: dict[str, str], extractor=None) -> tuple[Document, dict]:
    lookup, store = ExtractionCacheLookup(str(cache_dir), fingerprints), ExtractionCacheStore(str(cache_dir))
    extractor = extractor or PdfExtractor()
    (doc,) = list(store.run(extractor.run(lookup.run([raw_pdf()]))))
    return doc, {"hits": lookup.stats["hits"].total, "misses": lookup.stats["misses"].total}


def test_edited_extraction_code_misses_the_cache(tmp_path, monkeypatch):
    settings = to_dict(ExtractConfig())
    before = format_fingerprints(settings)
    cold, stats = extract_through_cache(tmp_path / "cache", before)
    assert stats == {"hits": 0, "misses": 1}
    warm, stats = extract_through_cache(tmp_path / "cache", format_fingerprints(settings))
    assert stats == {"hits": 1, "misses": 0} and warm.text == cold.text

    # the same kinyu version with one edited line in corpus/extract/pdf.py
    edited = tmp_path / "corpus"
    shutil.copytree(Path(cache.__file__).parent, edited, ignore=shutil.ignore_patterns("__pycache__"))
    (edited / "pdf.py").write_text((edited / "pdf.py").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(cache, "_CORPUS_DIR", edited)
    after = format_fingerprints(settings)
    assert after["pdf"] != before["pdf"]
    assert after["html"] == before["html"] and after["text"] == before["text"]  # other formats stay valid
    _, stats = extract_through_cache(tmp_path / "cache", after)
    assert stats == {"hits": 0, "misses": 1}


def test_page_cap_is_part_of_the_pdf_key():
    a = format_fingerprints(to_dict(ExtractConfig()))
    b = format_fingerprints(to_dict(ExtractConfig(pdf_max_pages=10)))
    assert a["pdf"] != b["pdf"] and a["html"] == b["html"]


def test_timeouts_are_not_cached(tmp_path):
    fingerprints = format_fingerprints(to_dict(ExtractConfig()))
    slow = PdfExtractor(ExtractConfig(timeout_s=0.3))
    slow.extract = lambda doc, data: slow.limited(_sleep)  # an extraction that never finishes in time
    doc, _ = extract_through_cache(tmp_path / "cache", fingerprints, slow)
    assert doc.metadata["quarantine"]["reason"] == "timeout"
    assert not list((tmp_path / "cache").rglob("*.json.gz"))
    _, stats = extract_through_cache(tmp_path / "cache", fingerprints)
    assert stats == {"hits": 0, "misses": 1}  # the next build tries again


def _sleep():
    import time

    time.sleep(60)
