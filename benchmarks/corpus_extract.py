"""Extraction speed: the pipeline's PDF/HTML steps against the raw libraries, and 2 workers vs 1.

    python benchmarks/corpus_extract.py [--data ../shared/data/real] [--repeat 1]

Prints pages/s (PDF) and docs/s (HTML) side by side and the ratios; goals: each step >= 0.8x
its raw library per worker, and the extract stage with 2 workers >= 1.8x one worker.
Uses the shared real documents when present, else the embedded sample.
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
from pathlib import Path

from datatrove.data import Document, Media, MediaType

REPO = Path(__file__).resolve().parents[1]


def docs_for(paths: list[Path], fmt: str) -> list[Document]:
    out = []
    for p in paths:
        d = Document(text="", id=p.name, metadata={"format": fmt, "source": str(p)})
        d.media = [Media(id=p.name, type=MediaType.DOCUMENT, url=str(p), media_bytes=p.read_bytes())]
        out.append(d)
    return out


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "real")
    ap.add_argument("--repeat", type=int, default=2, help="best of N timings per library")
    ap.add_argument("--tasks", type=int, default=8, help="tasks of the extract stage for the workers comparison")
    args = ap.parse_args()

    import pypdfium2 as pdfium
    import trafilatura
    from pdfminer.high_level import extract_pages, extract_text
    from pdfminer.layout import LAParams

    from datatrove.utils.logging import logger

    from kinyu.corpus.config import ExtractConfig
    from kinyu.corpus.extract.extractors import HtmlExtractor, PdfExtractor

    logger.remove()  # datatrove's per-task logs would bury the figures

    if (args.data / "mhlw-pdf").is_dir():
        # the horizontal chapters: real layouts, a few seconds in all
        pdfs = sorted(p for p in (args.data / "mhlw-pdf").glob("*.pdf") if p.stat().st_size < 400_000)
        htmls = sorted((args.data / "edinet-asr-html").glob("*.html"))
        source = str(args.data)
    else:
        from kinyu.corpus.sample import sample_dir

        pdfs = sorted(p for p in sample_dir().rglob("*.pdf"))
        htmls = sorted(p for p in sample_dir().rglob("*.htm*"))
        source = "embedded sample"
    pdfs = [p for p in pdfs if b"/Encrypt" not in p.read_bytes()[-4096:]]
    pages = sum(len(pdfium.PdfDocument(str(p))) for p in pdfs)
    print(f"data: {source}: {len(pdfs)} PDFs ({pages} pages), {len(htmls)} HTML files")

    lap = LAParams(detect_vertical=True)
    raw_pdfminer = timed(lambda: [extract_text(io.BytesIO(p.read_bytes()), laparams=lap) for p in pdfs], args.repeat)
    raw_pdfminer_pages = timed(
        lambda: [list(extract_pages(io.BytesIO(p.read_bytes()), laparams=lap)) for p in pdfs], args.repeat
    )

    def pdfium_raw():
        for p in pdfs:
            doc = pdfium.PdfDocument(p.read_bytes())
            for i in range(len(doc)):
                doc[i].get_textpage().get_text_bounded()

    raw_pdfium = timed(pdfium_raw, args.repeat)
    step_pdfminer = timed(lambda: list(PdfExtractor(ExtractConfig(pdf_backend="pdfminer", timeout_s=0)).run(docs_for(pdfs, "pdf"))), args.repeat)
    step_pdfium = timed(lambda: list(PdfExtractor(ExtractConfig(pdf_backend="pypdfium2", timeout_s=0)).run(docs_for(pdfs, "pdf"))), args.repeat)

    texts = [h.read_text(encoding="utf-8", errors="replace") for h in htmls]
    raw_traf = timed(lambda: [trafilatura.extract(t, include_tables=True) for t in texts], args.repeat)
    step_html = timed(lambda: list(HtmlExtractor(ExtractConfig(timeout_s=0)).run(docs_for(htmls, "html"))), args.repeat)
    # the per-document time limit (extract.timeout_s, on by default) runs each extraction in a
    # child process: its cost per document is the difference to the in-process steps above
    limited_pdfminer = timed(lambda: list(PdfExtractor(ExtractConfig(pdf_backend="pdfminer", timeout_s=120)).run(docs_for(pdfs, "pdf"))), args.repeat)
    limited_pdfium = timed(lambda: list(PdfExtractor(ExtractConfig(pdf_backend="pypdfium2", timeout_s=120)).run(docs_for(pdfs, "pdf"))), args.repeat)
    limited_html = timed(lambda: list(HtmlExtractor(ExtractConfig(timeout_s=120)).run(docs_for(htmls, "html"))), args.repeat)

    print("\nPDF                          pages/s   step/raw")
    print(f"  raw pdfminer.six extract_text {pages / raw_pdfminer:8.1f}")
    print(f"  raw pdfminer.six extract_pages{pages / raw_pdfminer_pages:8.1f}")
    print(f"  kinyu PdfExtractor(pdfminer)  {pages / step_pdfminer:8.1f}   {raw_pdfminer / step_pdfminer:.2f}x  (goal >= 0.8)")
    print(f"  raw pypdfium2                 {pages / raw_pdfium:8.1f}")
    print(f"  kinyu PdfExtractor(pypdfium2) {pages / step_pdfium:8.1f}   {raw_pdfium / step_pdfium:.2f}x  (goal >= 0.8)")
    print("\nHTML                          docs/s   step/raw")
    print(f"  raw trafilatura.extract       {len(htmls) / raw_traf:8.1f}")
    print(f"  kinyu HtmlExtractor           {len(htmls) / step_html:8.1f}   {raw_traf / step_html:.2f}x  (goal >= 0.8)")
    print("\nper-document time limit (child process) vs in process   ms/doc overhead")
    for label, limited, plain, n in (
        ("PdfExtractor(pdfminer)", limited_pdfminer, step_pdfminer, len(pdfs)),
        ("PdfExtractor(pypdfium2)", limited_pdfium, step_pdfium, len(pdfs)),
        ("HtmlExtractor", limited_html, step_html, len(htmls)),
    ):
        print(f"  {label:<28}{(limited - plain) / n * 1000:8.1f}   ({limited:.2f} s vs {plain:.2f} s for {n} docs)")

    # the whole extract stage (read, extract, quarantine, normalise, quality filters), 1 vs 2 workers
    from datatrove.executor import LocalPipelineExecutor

    from kinyu.corpus.config import CorpusConfig
    from kinyu.base.layout import CorpusRun
    from kinyu.corpus.pipeline import extract_stage
    from kinyu.base.config import load_config

    inputs = [str(p) for p in pdfs + htmls]
    times = {}
    for workers in (1, 2):
        best = float("inf")
        for _ in range(args.repeat):
            tmp = Path(tempfile.mkdtemp(prefix="kinyu-bench-"))
            # the extraction cache off: every run must really extract
            cfg = load_config(CorpusConfig, None, {"input.paths": inputs, "output": str(tmp / "run"), "executor.tasks": args.tasks, "cache.enabled": False})
            stage = extract_stage(cfg, CorpusRun(tmp / "run"))
            ex = LocalPipelineExecutor(stage.pipeline, tasks=stage.tasks, workers=workers, logging_dir=str(tmp / "logs"))
            t0 = time.perf_counter()
            ex.run()
            best = min(best, time.perf_counter() - t0)
            shutil.rmtree(tmp, ignore_errors=True)
        times[workers] = best
    print(f"\nextract stage ({args.tasks} tasks)        seconds")
    print(f"  --workers 1                   {times[1]:8.2f}")
    print(f"  --workers 2                   {times[2]:8.2f}   speed-up {times[1] / times[2]:.2f}x  (goal >= 1.8)")


if __name__ == "__main__":
    main()
