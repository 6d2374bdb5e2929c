"""Per-document limits of extraction: a time limit that kills work stuck in C, a page cap, and a
slow PDF quarantined as ``timeout`` while the rest of the build stays byte-identical."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from datatrove.data import Document, Media, MediaType

from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.extract.config import ExtractConfig
from kinyu.corpus.extract.extractors import PdfExtractor
from kinyu.corpus.extract.limits import ExtractionError, TimeLimitedWorker
from kinyu.corpus.extract.pdf import PdfError
from kinyu.corpus.pipeline import build
from kinyu.corpus.sample import sample_dir
from testkit.pdfgen import text_objects_pdf, text_pages_pdf
from testkit.outputs import output_digest


def stuck_in_c() -> None:
    """Catastrophic regex backtracking: minutes inside one C call that holds the GIL."""
    re.match(r"(a+)+$", "a" * 40 + "b")


def unreadable() -> None:
    raise PdfError("corrupt", "test")


def crash() -> None:
    os._exit(3)


def double(x: int, progress=None) -> int:
    if progress:
        progress(1)
    return 2 * x


def test_worker_kills_code_stuck_in_c_and_serves_the_next_call():
    worker = TimeLimitedWorker(0.5)
    try:
        t0 = time.monotonic()
        with pytest.raises(ExtractionError) as e:
            worker.call(stuck_in_c)
        assert e.value.reason == "timeout" and "0.5 s" in e.value.detail
        assert time.monotonic() - t0 < 10
        assert worker.call(double, 21, progress=True) == 42  # a fresh child after the kill
    finally:
        worker.close()


def test_worker_passes_extraction_errors_and_reports_crashes():
    worker = TimeLimitedWorker(30)
    try:
        with pytest.raises(PdfError) as e:
            worker.call(unreadable)
        assert (e.value.reason, e.value.detail) == ("corrupt", "test")
        with pytest.raises(ExtractionError) as e:
            worker.call(crash)
        assert e.value.reason == "extractor_crash" and "exit code 3" in e.value.detail
        assert worker.call(double, 2) == 4
    finally:
        worker.close()


def pdf_doc(data: bytes, doc_id: str = "x.pdf") -> Document:
    return Document(
        text="",
        id=doc_id,
        metadata={"format": "pdf", "source": doc_id},
        media=[Media(id=doc_id, type=MediaType.DOCUMENT, url=doc_id, media_bytes=data)],
    )


@pytest.mark.parametrize("backend", ["pdfminer", "pypdfium2"])
@pytest.mark.parametrize("timeout_s", [0, 30])
def test_page_cap_quarantines_too_many_pages(backend, timeout_s):
    step = PdfExtractor(ExtractConfig(pdf_backend=backend, timeout_s=timeout_s, pdf_max_pages=2))
    short, long = pdf_doc(text_objects_pdf(20, pages=2), "short.pdf"), pdf_doc(text_objects_pdf(20, pages=3), "long.pdf")
    out = {d.id: d for d in step.run([short, long])}
    assert "quarantine" not in out["short.pdf"].metadata and out["short.pdf"].metadata["pages"] == 2
    assert out["long.pdf"].metadata["quarantine"]["reason"] == "too_many_pages"
    assert "more than 2 pages" in out["long.pdf"].metadata["quarantine"]["detail"]


@pytest.fixture(scope="module")
def pages_2000() -> bytes:
    return text_pages_pdf(2000)


def test_2000_page_pdf_is_capped_before_any_page_is_read(pages_2000):
    step = PdfExtractor(ExtractConfig(pdf_backend="pypdfium2", timeout_s=30, pdf_max_pages=1999))
    t0 = time.monotonic()
    (doc,) = step.run([pdf_doc(pages_2000, "long.pdf")])
    assert doc.metadata["quarantine"]["reason"] == "too_many_pages"
    assert "more than 1999 pages" in doc.metadata["quarantine"]["detail"]
    assert "extract_fallback" not in doc.metadata and time.monotonic() - t0 < 10  # no pdfminer retry


@pytest.mark.parametrize("backend", ["pdfminer", "pypdfium2"])
def test_2000_page_pdf_past_the_time_limit_stops_part_way(backend, pages_2000):
    # read page by page: the time-out reports the pages done, and pdfminer is not tried after it
    step = PdfExtractor(ExtractConfig(pdf_backend=backend, timeout_s=1.5))
    (doc,) = step.run([pdf_doc(pages_2000, "long.pdf")])
    quarantine = doc.metadata["quarantine"]
    assert quarantine["reason"] == "timeout" and "stopped after 1.5 s" in quarantine["detail"]
    done = int(re.search(r"(\d+) page\(s\) done", quarantine["detail"]).group(1))
    assert 0 < done < 2000
    assert "extract_fallback" not in doc.metadata and "after pypdfium2" not in quarantine["detail"]


def test_pypdfium2_failure_falls_back_to_pdfminer_within_the_time_left(monkeypatch):
    import kinyu.corpus.extract.extractors as extractors

    monkeypatch.setattr(extractors, "extract_pdfium", crash_pdfium)  # pdfium dies in C on this file
    step = PdfExtractor(ExtractConfig(pdf_backend="pypdfium2", timeout_s=30))
    (doc,) = step.run([pdf_doc(text_objects_pdf(20, pages=2), "x.pdf")])
    assert "quarantine" not in doc.metadata and doc.metadata["pages"] == 2
    assert doc.metadata["extractor"].startswith("pdfminer.six")
    assert doc.metadata["extract_fallback"].startswith("pypdfium2 extractor_crash: extraction process died (exit code 3)")


def crash_pdfium(*args, progress=None):
    os._exit(3)


@pytest.mark.slow
def test_slow_pdf_times_out_and_the_rest_of_the_build_is_unchanged(tmp_path):
    slow = tmp_path / "slow" / "many_text_objects.pdf"
    slow.parent.mkdir()
    slow.write_bytes(text_objects_pdf(20_000))  # about 20 s of pdfminer layout analysis

    def run(name: str, inputs: list[str]) -> Path:
        cfg = CorpusConfig(output=str(tmp_path / name))
        cfg.input.paths = inputs
        cfg.cache.enabled = False
        cfg.executor.tasks = 1
        cfg.extract.timeout_s = 3
        # pdfminer.six: ~20 s on this file on any machine; pypdfium2 (the default) reads it in about the
        # limit, so whether it times out would depend on the machine's load (its limits: the 2,000-page tests)
        cfg.extract.pdf_backend = "pdfminer"
        return build(cfg)

    t0 = time.monotonic()
    with_slow = run("with_slow", [str(sample_dir()), str(slow)])
    assert time.monotonic() - t0 < 120
    without = run("without", [str(sample_dir())])

    rows = [json.loads(line) for line in (with_slow / "quarantine.jsonl").read_text().splitlines()]
    timed_out = [r for r in rows if r["reason"] == "timeout"]
    assert [r["id"] for r in timed_out] == ["many_text_objects.pdf"]
    assert "stopped after 3 s" in timed_out[0]["detail"] and "0 page(s) done" in timed_out[0]["detail"]
    summary = json.loads((with_slow / "stats" / "summary.json").read_text())
    assert summary["accounting"]["balanced"]
    assert summary["accounting"]["quarantined"] == json.loads((without / "stats" / "summary.json").read_text())["accounting"]["quarantined"] + 1
    assert output_digest(with_slow) == output_digest(without)
