"""Extraction: speed and quality of the two PDF backends, the steps against the raw libraries,
a 2,000-page PDF, and 2 workers vs 1.

    python benchmarks/corpus_extract.py [--data ../shared/data/real] [--repeat 3] [--only stage,quality]

Sections (``--only`` picks some; all by default):

stage     pages/s per core of each PDF backend through the whole extract stage (read, extract under
          the per-document worker and time limit, quarantine, normalise, quality filters, write)
          on every shared PDF, the backends interleaved in one run; CPU time of the process and
          its children; goal: the default backend >= 5x pdfminer.six's pages/s per core
quality   per shared PDF, the character-level similarity of the final document text between the
          backends (goal >= 0.98 on every file); the keep/drop decisions on the labelled filter
          set (goal: the same); the quarantine reasons of broken files (goal: the same)
large     a generated 2,000-page PDF: pages/s, and the extraction process's RSS every 250 pages
          (goal: flat, i.e. streamed page by page); pdf_max_pages and timeout_s still quarantine
steps     pages/s (PDF) and docs/s (HTML) of the steps against their raw libraries
          (goal: each step >= 0.8x its raw library) and the cost of the per-document time limit
workers   the extract stage with 2 workers against 1 (goal >= 1.8x)
tables    pages/s per core of the whole extract stage (default backend) with extract.pdf_tables on
          and off, interleaved: on every shared PDF and on the horizontal ones (the 点数表 and
          通知, where tables are found; the vertical 告示 are not searched); goal: at most 10 %
          slower

Uses the shared real documents when present, else the embedded sample.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from datatrove.data import Document, Media, MediaType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # testkit (benchmark helpers)

SECTIONS = ("stage", "tables", "quality", "large", "steps", "workers")


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


def cpu_seconds() -> float:
    """User + system time of this process and of its children that have ended."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return 0
    try:
        return len(pdf)
    finally:
        pdf.close()


# --- stage: pages/s per core through the whole extract stage --------------------------------------


def run_extract_stage(inputs: list[str], backend: str, tasks: int = 1, workers: int = 1, **extra) -> tuple[float, float, Path]:
    """One extract stage (cache off, the default time limit; ``extra``: more config overrides);
    wall and CPU seconds, the run."""
    from datatrove.executor import LocalPipelineExecutor

    from kinyu.base.config import load_config
    from kinyu.base.layout import CorpusRun
    from kinyu.corpus.config import CorpusConfig
    from kinyu.corpus.pipeline import extract_stage

    tmp = Path(tempfile.mkdtemp(prefix="kinyu-bench-"))
    overrides = {"input.paths": inputs, "output": str(tmp / "run"), "executor.tasks": tasks, "cache.enabled": False, "extract.pdf_backend": backend, **extra}
    cfg = load_config(CorpusConfig, None, overrides)
    stage = extract_stage(cfg, CorpusRun(tmp / "run"))
    ex = LocalPipelineExecutor(stage.pipeline, tasks=stage.tasks, workers=workers, logging_dir=str(tmp / "logs"))
    c0, t0 = cpu_seconds(), time.perf_counter()
    with quiet_stderr():  # datatrove's per-task logs (their files stay in the run's logs/)
        ex.run()
    return time.perf_counter() - t0, cpu_seconds() - c0, tmp


@contextlib.contextmanager
def quiet_stderr():
    """Standard error (the file descriptor, for worker processes too) to /dev/null."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def section_stage(pdfs: list[Path], repeat: int) -> None:
    from kinyu.corpus.extract.config import ExtractConfig

    default = ExtractConfig().pdf_backend
    readable = [p for p in pdfs if page_count(p)]
    pages = sum(page_count(p) for p in readable)
    print(f"\n== stage: the whole extract stage, {len(readable)} PDFs, {pages} pages, 1 task, 1 worker, "
          f"extract.timeout_s {ExtractConfig().timeout_s:g} (per-document worker process), cache off")
    print(f"   before: {load()}")
    runs: dict[str, list[tuple[float, float]]] = {"pdfminer": [], "pypdfium2": []}
    for r in range(repeat):  # interleaved, the order alternating, so that both see the same load
        for backend in (("pdfminer", "pypdfium2") if r % 2 == 0 else ("pypdfium2", "pdfminer")):
            wall, cpu, tmp = run_extract_stage([str(p) for p in readable], backend)
            shutil.rmtree(tmp, ignore_errors=True)
            runs[backend].append((wall, cpu))
            print(f"   run {r + 1} {backend:<10} wall {wall:7.2f} s  CPU {cpu:7.2f} s", flush=True)
    print(f"   after:  {load()}")
    print(f"\n   {'backend':<12}{'pages/s per core (CPU)':>24}{'pages/s (wall)':>16}   CPU s per run (all runs)")
    rate = {}
    for backend, values in runs.items():
        cpu = statistics.median(c for _, c in values)
        wall = statistics.median(w for w, _ in values)
        rate[backend] = pages / cpu
        mark = "  (default)" if backend == default else ""
        print(f"   {backend:<12}{pages / cpu:>24.1f}{pages / wall:>16.1f}   {', '.join(f'{c:.2f}' for _, c in values)}{mark}")
    other = "pdfminer" if default == "pypdfium2" else "pypdfium2"
    print(f"   default {default} / {other}: {rate[default] / rate[other]:.2f}x pages/s per core (median of {repeat}; goal >= 5 for pypdfium2 over pdfminer)")


def section_tables(pdfs: list[Path], repeat: int) -> None:
    readable = [p for p in pdfs if page_count(p)]
    horizontal = [p for p in readable if p.name not in ("0000196314.pdf", "000602943.pdf", "000907845.pdf")]
    for label, files in (("every shared PDF", readable), ("the horizontal ones", horizontal)):
        pages = sum(page_count(p) for p in files)
        print(f"\n== tables: the whole extract stage, {label}: {len(files)} PDFs, {pages} pages, extract.pdf_tables on/off")
        runs: dict[bool, list[float]] = {True: [], False: []}
        for r in range(repeat):
            for on in ((False, True) if r % 2 == 0 else (True, False)):
                wall, cpu, tmp = run_extract_stage([str(p) for p in files], "pypdfium2", **{"extract.pdf_tables": on})
                shutil.rmtree(tmp, ignore_errors=True)
                runs[on].append(cpu)
                print(f"   run {r + 1} pdf_tables {str(on).lower():<5} wall {wall:7.2f} s  CPU {cpu:7.2f} s", flush=True)
        off, on = statistics.median(runs[False]), statistics.median(runs[True])
        print(f"   pages/s per core: off {pages / off:.1f}, on {pages / on:.1f}: {on / off - 1:+.1%} CPU (median of {repeat}; goal <= +10 %)")


# --- quality: the same text, decisions and quarantine reasons -------------------------------------


def line_cleaned(text: str) -> str:
    """The text after the default line cleaner (what docs/ holds of a kept document)."""
    from kinyu.corpus.filters import QualityConfig
    from kinyu.corpus.filters.line_clean import JapaneseLineCleaner

    doc = Document(text=text, id="x", metadata={})
    return next(iter(JapaneseLineCleaner(QualityConfig().line_clean).run([doc]))).text


def section_quality(pdfs: list[Path], real: Path) -> None:
    from testkit.pdf_parity import broken_files, char_similarity, extract

    print("\n== quality: pdfminer.six vs pypdfium2 on every page of every shared PDF; character-level similarity of the")
    print("   document text as the quality filters receive it (extracted, layout-repaired, normalised), the same without")
    print("   whitespace, and after the line cleaner (docs/ of a build)")
    print(f"   {'file':<42}{'pages':>6}{'chars':>16}{'similarity':>12}{'no spaces':>11}{'cleaned':>9}   pypdfium2 path")
    worst = 1.0
    t_all = {"pdfminer": 0.0, "pypdfium2": 0.0}
    for path in pdfs:
        data = path.read_bytes()
        out = {}
        for backend in ("pdfminer", "pypdfium2"):
            c0 = time.process_time()
            out[backend] = extract(data, backend, path.name)
            t_all[backend] += time.process_time() - c0
        a, b = out["pdfminer"], out["pypdfium2"]
        name = str(path.relative_to(real)) if path.is_relative_to(real) else path.name
        if a.reason or b.reason:
            print(f"   {name:<42}{'':>6}{'':>16}{'':>12}{'':>11}   quarantined: pdfminer {a.reason}, pypdfium2 {b.reason}")
            continue
        sim = char_similarity(a.text, b.text)
        squashed = char_similarity("".join(a.text.split()), "".join(b.text.split()))
        cleaned = char_similarity(line_cleaned(a.text), line_cleaned(b.text))
        worst = min(worst, sim, cleaned)
        how = b.metadata["extractor"].split()[0] + (f" ({b.metadata['extract_fallback'][:60]})" if "extract_fallback" in b.metadata else "")
        print(f"   {name:<42}{b.metadata.get('pages', 0):>6}{f'{len(a.text)}/{len(b.text)}':>16}{sim:>12.4f}{squashed:>11.4f}{cleaned:>9.4f}   {how}")
    print(f"   lowest similarity {worst:.4f} (goal >= 0.98 on every file); extraction CPU: pdfminer {t_all['pdfminer']:.1f} s, pypdfium2 {t_all['pypdfium2']:.1f} s")

    if (REPO / "tests" / "data" / "filters_eval" / "segments.jsonl").is_file() and (real / "mhlw-pdf").is_dir():
        from testkit.filters_eval import HELDOUT, SEGMENTS, kinyu_decisions, load_segments, materialise

        print("\n   keep/drop decisions of the default quality chain on the labelled set's PDF segments")
        for path in (SEGMENTS, HELDOUT):
            decisions = {}
            for backend in ("pdfminer", "pypdfium2"):
                segs = [materialise(s, backend) for s in load_segments(path) if s.source.endswith(".pdf")]
                decisions[backend] = kinyu_decisions(segs)
            differ = [k for k in decisions["pdfminer"] if decisions["pdfminer"][k] != decisions["pypdfium2"].get(k)]
            print(f"   {path.name:<16} {len(decisions['pdfminer'])} PDF segments, {len(differ)} decisions differ {differ or ''}")

    print("\n   quarantine reasons of broken files")
    for name, data in broken_files().items():
        a, b = extract(data, "pdfminer", name), extract(data, "pypdfium2", name)
        note = "same" if a.reason == b.reason else "DIFFER"
        if a.reason != b.reason and b.reason is None:
            note = f"differ: pypdfium2 reads it ({len(b.text)} chars)"
        fallback = " (pypdfium2 fell back to pdfminer)" if "after pypdfium2" in b.metadata.get("quarantine", {}).get("detail", "") else ""
        print(f"   {name:<38} pdfminer {str(a.reason):<10} pypdfium2 {str(b.reason):<10} {note}{fallback}")


# --- large: a 2,000-page PDF streams page by page -------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _extract_with_rss(backend: str, data: bytes, every: int, conn) -> None:
    """In a fresh child: extract ``data``, recording the process's RSS every ``every`` pages."""
    from kinyu.corpus.extract.pdf import extract_pdfium, extract_pdfminer

    samples = [(0, _rss_mb())]

    def progress(done: int) -> None:
        if done % every == 0:
            samples.append((done, _rss_mb()))

    c0 = time.process_time()
    if backend == "pypdfium2":
        result = extract_pdfium(data, progress=progress)
    else:
        result = extract_pdfminer(data, progress=progress)
    conn.send((len(result.pages), sum(map(len, result.pages)), time.process_time() - c0, samples,
               resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def section_large(pages: int, pdfminer_pages: int) -> None:
    import multiprocessing

    from kinyu.corpus.extract.config import ExtractConfig
    from testkit.pdf_parity import extract
    from testkit.pdfgen import text_pages_pdf

    print(f"\n== large: a generated {pages}-page PDF (40 lines of text a page), read in a fresh process")
    ctx = multiprocessing.get_context("fork")
    for backend, n in (("pypdfium2", pages), ("pdfminer", pdfminer_pages)):
        if not n:
            continue
        data = text_pages_pdf(n)
        here, there = ctx.Pipe()
        proc = ctx.Process(target=_extract_with_rss, args=(backend, data, max(n // 8, 1), there))
        proc.start()
        count, chars, cpu, samples, peak = here.recv()
        proc.join()
        trace = "  ".join(f"{p}:{rss:.0f}" for p, rss in samples)
        print(f"   {backend:<10} {count} pages ({len(data) / 2**20:.1f} MB in, {chars / 2**20:.1f} M chars out) "
              f"{count / cpu:7.1f} pages/s per core; RSS MB at page {trace}; peak {peak:.0f} MB")
    data = text_pages_pdf(pages)
    default = ExtractConfig().pdf_backend
    capped = extract(data, default, pdf_max_pages=pages - 1, timeout_s=30)
    t0 = time.perf_counter()
    limited = extract(data, default, timeout_s=1.0)
    print(f"   {default} pdf_max_pages {pages - 1}: {capped.reason} ({capped.metadata['quarantine']['detail']})")
    print(f"   {default} timeout_s 1: {limited.reason} after {time.perf_counter() - t0:.1f} s ({limited.metadata['quarantine']['detail']})")


# --- steps and workers (the raw libraries, 2 workers vs 1) ----------------------------------------


def section_steps(pdfs: list[Path], htmls: list[Path], repeat: int) -> None:
    import pypdfium2 as pdfium
    import trafilatura
    from pdfminer.high_level import extract_pages, extract_text
    from pdfminer.layout import LAParams

    from kinyu.corpus.extract.config import ExtractConfig
    from kinyu.corpus.extract.extractors import HtmlExtractor, PdfExtractor

    pages = sum(page_count(p) for p in pdfs)
    print(f"\n== steps: {len(pdfs)} PDFs ({pages} pages), {len(htmls)} HTML files, best of {repeat}")
    lap = LAParams(detect_vertical=True)
    raw_pdfminer = timed(lambda: [extract_text(io.BytesIO(p.read_bytes()), laparams=lap) for p in pdfs], repeat)
    raw_pdfminer_pages = timed(lambda: [list(extract_pages(io.BytesIO(p.read_bytes()), laparams=lap)) for p in pdfs], repeat)

    def pdfium_raw():
        for p in pdfs:
            doc = pdfium.PdfDocument(p.read_bytes())
            for i in range(len(doc)):
                doc[i].get_textpage().get_text_bounded()

    raw_pdfium = timed(pdfium_raw, repeat)
    step = {}
    for backend in ("pdfminer", "pypdfium2"):
        for limit in (0, 120):
            config = ExtractConfig(pdf_backend=backend, timeout_s=limit)
            step[backend, limit] = timed(lambda: list(PdfExtractor(config).run(docs_for(pdfs, "pdf"))), repeat)
    texts = [h.read_text(encoding="utf-8", errors="replace") for h in htmls]
    raw_traf = timed(lambda: [trafilatura.extract(t, include_tables=True) for t in texts], repeat)
    step_html = timed(lambda: list(HtmlExtractor(ExtractConfig(timeout_s=0)).run(docs_for(htmls, "html"))), repeat)
    limited_html = timed(lambda: list(HtmlExtractor(ExtractConfig(timeout_s=120)).run(docs_for(htmls, "html"))), repeat)

    print("   PDF                              pages/s   step/raw")
    print(f"   raw pdfminer.six extract_text    {pages / raw_pdfminer:8.1f}")
    print(f"   raw pdfminer.six extract_pages   {pages / raw_pdfminer_pages:8.1f}")
    print(f"   kinyu PdfExtractor(pdfminer)     {pages / step['pdfminer', 0]:8.1f}   {raw_pdfminer / step['pdfminer', 0]:.2f}x  (goal >= 0.8)")
    print(f"   raw pypdfium2 get_text_bounded   {pages / raw_pdfium:8.1f}   (pdfium's own text: vertical columns out of order)")
    print(f"   kinyu PdfExtractor(pypdfium2)    {pages / step['pypdfium2', 0]:8.1f}   {raw_pdfium / step['pypdfium2', 0]:.2f}x  "
          f"(pdfminer's layout analysis on pdfium's characters; {raw_pdfminer / step['pypdfium2', 0]:.1f}x raw pdfminer.six)")
    print("   HTML                              docs/s   step/raw")
    print(f"   raw trafilatura.extract          {len(htmls) / raw_traf:8.1f}")
    print(f"   kinyu HtmlExtractor              {len(htmls) / step_html:8.1f}   {raw_traf / step_html:.2f}x  (goal >= 0.8)")
    print("   per-document time limit (child process) vs in process   ms/doc overhead")
    for label, limited, plain, n in (
        ("PdfExtractor(pdfminer)", step["pdfminer", 120], step["pdfminer", 0], len(pdfs)),
        ("PdfExtractor(pypdfium2)", step["pypdfium2", 120], step["pypdfium2", 0], len(pdfs)),
        ("HtmlExtractor", limited_html, step_html, len(htmls)),
    ):
        print(f"   {label:<31}{(limited - plain) / n * 1000:8.1f}   ({limited:.2f} s vs {plain:.2f} s for {n} docs)")


def section_workers(pdfs: list[Path], htmls: list[Path], repeat: int, tasks: int) -> None:
    from kinyu.corpus.extract.config import ExtractConfig

    inputs = [str(p) for p in pdfs + htmls]
    times = {}
    for workers in (1, 2):
        best = float("inf")
        for _ in range(repeat):
            wall, _, tmp = run_extract_stage(inputs, ExtractConfig().pdf_backend, tasks, workers)
            shutil.rmtree(tmp, ignore_errors=True)
            best = min(best, wall)
        times[workers] = best
    print(f"\n== workers: extract stage ({tasks} tasks, {len(pdfs)} PDFs + {len(htmls)} HTML)   seconds")
    print(f"   --workers 1                   {times[1]:8.2f}")
    print(f"   --workers 2                   {times[2]:8.2f}   speed-up {times[1] / times[2]:.2f}x  (goal >= 1.8)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "real")
    ap.add_argument("--repeat", type=int, default=3, help="runs per backend (stage: median; steps, workers: best)")
    ap.add_argument("--tasks", type=int, default=8, help="tasks of the extract stage for the workers comparison")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    ap.add_argument("--large-pages", type=int, default=2000, help="pages of the generated PDF (section large)")
    ap.add_argument("--large-pdfminer-pages", type=int, default=200, help="pages of the same PDF for pdfminer.six (0: skip; it is slow)")
    args = ap.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")

    from datatrove.utils.logging import logger

    logger.remove()  # datatrove's per-task logs would bury the figures
    if (args.data / "mhlw-pdf").is_dir():
        all_pdfs = sorted(args.data.rglob("*.pdf"))
        # the steps section: the horizontal chapters (real layouts, a few seconds in all)
        step_pdfs = sorted(p for p in (args.data / "mhlw-pdf").glob("*.pdf") if p.stat().st_size < 400_000)
        htmls = sorted((args.data / "edinet-asr-html").glob("*.html"))
        source = str(args.data)
    else:
        from kinyu.corpus.sample import sample_dir

        all_pdfs = step_pdfs = sorted(sample_dir().rglob("*.pdf"))
        htmls = sorted(p for p in sample_dir().rglob("*.htm*"))
        source = "embedded sample"
    step_pdfs = [p for p in step_pdfs if b"/Encrypt" not in p.read_bytes()[-4096:]]
    print(f"data: {source}: {len(all_pdfs)} PDFs, {len(htmls)} HTML files; {load()}")
    if "stage" in only:
        section_stage(all_pdfs, args.repeat)
    if "tables" in only:
        section_tables(all_pdfs, args.repeat)
    if "quality" in only:
        section_quality(all_pdfs, args.data)
    if "large" in only:
        section_large(args.large_pages, args.large_pdfminer_pages)
    if "steps" in only:
        section_steps(step_pdfs, htmls, args.repeat)
    if "workers" in only:
        section_workers(step_pdfs, htmls, args.repeat, args.tasks)


if __name__ == "__main__":
    main()
