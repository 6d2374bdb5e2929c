"""Reading a web archive: kinyu's WARC reader and extraction beside datatrove's own WarcReader ->
Trafilatura pipeline, on the same WARC of >= 200 MB made from the shared pages; and kinyu's peak
memory as the WARC grows.

    python benchmarks/warc.py [--mb 200] [--small-mb 50] [--work DIR]

The WARCs are written at benchmark time into a temporary folder (never kept): request + response
records of real pages from ../shared/data (EDINET 有報 sections and sample filings, legacy-encoding
pages, livedoor news articles of general-ja as HTML pages), in the same mix throughout, every 40th
capture a 404. Uncompressed, so that the size is the size of the pages (a .warc.gz of 200 MB would
hold ~1.5 GB of HTML, hours of trafilatura on two cores).

Measured, each in its own process (one task, as a datatrove task runs), sampled with psutil:

- kinyu: ``RawFileReader`` (warcio, record by record) -> ``ArchiveRecordFilter`` -> ``HtmlExtractor``
  (charset from the HTTP header / declaration / detection, hidden XBRL removed, trafilatura in the
  time-limited child) -> ``PdfExtractor`` -> ``PlainTextDecoder`` -> ``QuarantineGate``; documents
  with text per second, and the peak RSS of the process tree at both sizes.
- datatrove: ``WarcReader`` (warcio; cchardet when a page is not UTF-8) -> ``Trafilatura``
  (datatrove's defaults: favour_precision, deduplicate; its timeout raised from 1 s to kinyu's 120 s
  so that both extract every page); documents with text per second.
- parsing alone: warcio and FastWARC over the 200 MB file (MB/s), the reason kinyu reads with warcio.

Both wall time and CPU time of the process tree are printed: on a shared machine the wall time of
two runs one after the other also measures what else ran meanwhile. datatrove's count includes the
404 pages (its reader does not look at the HTTP status); kinyu drops them unread.

Goals: kinyu >= 0.9x datatrove's docs/s; kinyu's peak RSS at 200 MB <= 1.3x its peak at 50 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testkit.shared import require_shared  # noqa: E402

GOALS = {"docs_per_s_ratio": 0.9, "rss_ratio": 1.3}


def shared_pages() -> list[tuple[str, bytes, str]]:
    """(url, body, content type) of every shared page, interleaved so that any stretch of the WARC
    has the same mix of big filings and small articles."""
    real = require_shared("real")
    general = require_shared("general-ja")
    from testkit.warcs import html_page

    big = []
    for p in sorted((real / "edinet-asr-html").glob("*.html")):
        big.append((f"https://disclosure2.edinet-fsa.go.jp/{p.stem}.html", p.read_bytes(), "text/html"))
    for p in sorted((real / "edinet-sample-html").glob("*/*.htm")):
        big.append((f"https://disclosure2.edinet-fsa.go.jp/sample/{p.parent.name[:2]}/{p.name}", p.read_bytes(), "text/html; charset=utf-8"))
    for p in sorted((real / "legacy-encoding-html").glob("*.html")):
        charset = "Shift_JIS" if "sjis" in p.name else "EUC-JP"
        big.append((f"http://legacy.example.jp/{p.name}", p.read_bytes(), f"text/html; charset={charset}"))
    small = []
    for path in sorted(general.glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as f:  # by "\n" only: some articles hold U+2028
            records = [json.loads(line) for line in f if line.strip()]
        for rec in records:
            title, _, body = rec["text"].partition("\n")
            small.append((rec["url"], html_page(title, body).encode("utf-8"), "text/html; charset=utf-8"))
    step = max(1, len(small) // len(big))
    pages = []
    for i, page in enumerate(big):
        pages.append(page)
        pages.extend(small[i * step:(i + 1) * step])
    pages.extend(small[len(big) * step:])
    return pages


def write_warc(path: Path, megabytes: float, pages) -> dict:
    from testkit.warcs import WarcBuilder

    target = int(megabytes * (1 << 20))
    captures = not_found = 0
    with WarcBuilder(path, gzip=False) as w:
        w.warcinfo()
        i = 0
        while path.stat().st_size < target:
            url, body, ctype = pages[i % len(pages)]
            url = f"{url}{'&' if '?' in url else '?'}copy={i // len(pages)}"
            w.request(url)
            if i % 40 == 39:
                w.response(url, b"<html><body><h1>404 Not Found</h1></body></html>", status="404 Not Found")
                not_found += 1
            else:
                w.response(url, body, ctype)
                captures += 1
            i += 1
            if i % 200 == 0:
                w._file.flush()
    return {"path": str(path), "bytes": path.stat().st_size, "captures_200": captures, "captures_404": not_found}


# --- the measured pipelines (run as `python warc.py _kinyu WARC` / `_datatrove DIR`) -----------------


def _kinyu(warc: str) -> dict:
    from kinyu.corpus.extract.config import ExtractConfig
    from kinyu.corpus.extract.extractors import HtmlExtractor, PdfExtractor, PlainTextDecoder
    from kinyu.corpus.extract.readers import RawFileReader
    from kinyu.corpus.gates import QuarantineGate
    from kinyu.corpus.select.records import ArchiveRecordFilter

    x = ExtractConfig()
    steps = [RawFileReader([warc]), ArchiveRecordFilter(), HtmlExtractor(x), PdfExtractor(x), PlainTextDecoder(), QuarantineGate()]
    return _drain(steps)


def _datatrove(folder: str) -> dict:
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader

    steps = [WarcReader(folder, glob_pattern="*.warc", compression=None), Trafilatura(timeout=120)]
    return _drain(steps)


def _drain(steps) -> dict:
    t0 = time.perf_counter()
    data = None
    for step in steps:
        data = step(data, rank=0, world_size=1)
    docs = chars = 0
    for doc in data:
        if doc.text:
            docs += 1
            chars += len(doc.text)
    return {"docs": docs, "chars": chars, "seconds": time.perf_counter() - t0}


def _parse_only(warc: str) -> dict:
    from fastwarc.warc import ArchiveIterator as FastIterator
    from fastwarc.warc import WarcRecordType
    from warcio.archiveiterator import ArchiveIterator

    out = {}
    t0 = time.perf_counter()
    n = 0
    with open(warc, "rb") as f:
        for rec in ArchiveIterator(f):
            if rec.rec_type == "response":
                rec.http_headers.get_header("Content-Type")
                n += len(rec.content_stream().read())
    out["warcio"] = {"payload_bytes": n, "seconds": time.perf_counter() - t0}
    t0 = time.perf_counter()
    n = 0
    with open(warc, "rb") as f:
        for rec in FastIterator(f, record_types=WarcRecordType.response):
            rec.http_headers.get("Content-Type")
            n += len(rec.reader.read())
    out["fastwarc"] = {"payload_bytes": n, "seconds": time.perf_counter() - t0}
    return out


def run_measured(args: list[str]) -> tuple[dict, int, int]:
    """Run this script with ``args`` in a child process: (its JSON result with ``cpu_seconds`` of
    its process tree added, peak RSS of the largest process of the tree, peak of the tree's summed
    RSS), sampled every 50 ms. CPU time, unlike wall time, does not depend on what else the
    machine runs meanwhile (this one is shared)."""
    import psutil

    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, __file__, *args], stdout=out, cwd=REPO,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        root = psutil.Process(proc.pid)
        peak_one = peak_tree = 0
        cpu: dict[int, float] = {}
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            total = 0
            for p in tree:
                try:
                    with p.oneshot():
                        rss, times = p.memory_info().rss, p.cpu_times()
                except psutil.Error:
                    continue
                total += rss
                peak_one = max(peak_one, rss)
                cpu[p.pid] = times.user + times.system
            peak_tree = max(peak_tree, total)
            time.sleep(0.05)
        if proc.wait() != 0:
            raise SystemExit(f"{args} failed ({proc.returncode})")
        out.seek(0)
        result = json.loads(out.read().decode().strip().splitlines()[-1])
        result["cpu_seconds"] = sum(cpu.values())
        return result, peak_one, peak_tree


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] in ("_kinyu", "_datatrove", "_parse"):
        fn = {"_kinyu": _kinyu, "_datatrove": _datatrove, "_parse": _parse_only}[sys.argv[1]]
        print(json.dumps(fn(sys.argv[2])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=200.0, help="size of the big WARC (MiB)")
    ap.add_argument("--small-mb", type=float, default=50.0, help="size of the small WARC (MiB), for the memory growth")
    ap.add_argument("--work", type=Path, default=None, help="folder for the WARCs (default: a temporary one, removed)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="kinyu-warc-bench-") if args.work is None else None
    work = Path(tmp.name) if tmp else args.work
    try:
        pages = shared_pages()
        sizes = {}
        for name, mb in (("small", args.small_mb), ("big", args.mb)):
            (work / name).mkdir(parents=True, exist_ok=True)
            sizes[name] = write_warc(work / name / f"crawl-{mb:g}mb.warc", mb, pages)
            print(f"wrote {sizes[name]['path']}: {sizes[name]['bytes'] / 2**20:.1f} MiB, "
                  f"{sizes[name]['captures_200']} pages + {sizes[name]['captures_404']} 404s", flush=True)
        big, small = sizes["big"]["path"], sizes["small"]["path"]
        parse, _, _ = run_measured(["_parse", big])
        parse.pop("cpu_seconds")
        kin_small, kin_small_one, kin_small_tree = run_measured(["_kinyu", small])
        print(f"kinyu, {args.small_mb:g} MiB: {kin_small['docs']} docs in {kin_small['seconds']:.1f} s", flush=True)
        kin_big, kin_big_one, kin_big_tree = run_measured(["_kinyu", big])
        print(f"kinyu, {args.mb:g} MiB: {kin_big['docs']} docs in {kin_big['seconds']:.1f} s", flush=True)
        dt_big, dt_one, dt_tree = run_measured(["_datatrove", str(Path(big).parent)])
        print(f"datatrove, {args.mb:g} MiB: {dt_big['docs']} docs in {dt_big['seconds']:.1f} s", flush=True)
    finally:
        if tmp:
            tmp.cleanup()
    mib = 2**20
    kin_rate, dt_rate = kin_big["docs"] / kin_big["seconds"], dt_big["docs"] / dt_big["seconds"]
    print(f"\nWARC: {sizes['big']['bytes'] / mib:.0f} MiB uncompressed, {sizes['big']['captures_200']} pages + "
          f"{sizes['big']['captures_404']} 404s (and one request record per capture)")
    print(f"{'pipeline':<40}{'docs':>7}{'chars (M)':>10}{'wall s':>8}{'docs/s':>8}{'CPU s':>8}{'docs/CPU s':>11}"
          f"{'peak RSS largest / tree (MiB)':>31}")
    for name, r, one, tree in (("kinyu (warcio + HtmlExtractor + ...)", kin_big, kin_big_one, kin_big_tree),
                               ("datatrove (WarcReader + Trafilatura)", dt_big, dt_one, dt_tree)):
        print(f"{name:<40}{r['docs']:>7}{r['chars'] / 1e6:>10.1f}{r['seconds']:>8.1f}{r['docs'] / r['seconds']:>8.1f}"
              f"{r['cpu_seconds']:>8.1f}{r['docs'] / r['cpu_seconds']:>11.1f}{f'{one / mib:.0f} / {tree / mib:.0f}':>31}")
    ratio = kin_rate / dt_rate
    cpu_ratio = (kin_big["docs"] / kin_big["cpu_seconds"]) / (dt_big["docs"] / dt_big["cpu_seconds"])
    rss_ratio = kin_big_tree / kin_small_tree
    print("\nfigure                                      value   goal")
    for label, value in (("kinyu docs/s / datatrove docs/s (wall)", ratio), ("the same per CPU second", cpu_ratio)):
        print(f"{label:<44}{value:>5.2f}   >= {GOALS['docs_per_s_ratio']}  {'met' if value >= GOALS['docs_per_s_ratio'] else 'NOT met'}")
    print(f"{f'kinyu peak RSS {args.mb:g} / {args.small_mb:g} MiB (tree)':<44}{rss_ratio:>5.2f}   <= {GOALS['rss_ratio']}  "
          f"{'met' if rss_ratio <= GOALS['rss_ratio'] else 'NOT met'}  ({kin_small_tree / mib:.0f} -> {kin_big_tree / mib:.0f} MiB; "
          f"largest process {kin_small_one / mib:.0f} -> {kin_big_one / mib:.0f} MiB)")
    for lib, r in parse.items():
        print(f"parsing only, {lib:<30}{r['payload_bytes'] / mib / r['seconds']:>6.0f} MiB/s of payload "
              f"({r['seconds']:.1f} s for the {args.mb:g} MiB file)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
