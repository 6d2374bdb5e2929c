"""Tables kept as tables: the U4 table-QA gold cells in a corpus's text, model-free.

    python benchmarks/tables.py [--reports DIR] [--splits valid,test] [--systems kinyu,trafilatura,...]

For every gold cell of ``filings-u4``'s questions (``kinyu.base.u4``: the cell's displayed text,
its row label and its column header, read from the HTML's grid), in the text each system makes
of the cell's section file:

with label    the displayed value stands on one line with its row label
+ header      ... and the column header is among the header lines of the same table (the
              lines of the ``|``-block above a ``| --- |`` separator; without a separator, the
              block's lines above the value's line, which favours the headerless peers)
anywhere      the value appears somewhere in the text

Systems, on the same files in the same run (text compared after NFKC without white space):

kinyu               ``kinyu corpus build`` with the default config (extraction, every filter,
                    dedup): what a corpus keeps; its MB of HTML per CPU second (all processes)
                    against the next build's (goal: >= 0.9x, tables must not slow the build)
kinyu (trafilatura tables)  the same build with ``--extract.html_table_format trafilatura``
                    (main before tables were kept as tables)
kinyu extract       kinyu's HTML extraction alone (no filters)
trafilatura         ``trafilatura.extract`` with its defaults
datatrove           datatrove's HTML pipeline step (``datatrove.pipeline.extractors.Trafilatura``)
pandas              ``pandas.read_html`` -> ``DataFrame.to_markdown`` per table (tables only)
html2text / markdownify / html-to-markdown   HTML-to-Markdown converters (whole page)

``--every-cell`` scores every figure cell of every table (up to 30 per table) instead of the
questions' gold cells: a denser yardstick for tuning, refused on the test split.

Goal: kinyu >= 0.98 of the gold cells that have a row label and a column header, with both,
above every peer. The misses are grouped by cause. The splits are unpacked under ``--reports``
(default: a temporary folder) from ``../shared/data/filings-u4`` (tune on valid; test is the
final figure).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kinyu.base import u4  # noqa: E402
from testkit.measure import run_measured  # noqa: E402
from testkit.shared import shared_data_dir  # noqa: E402

GOAL = 0.98
PEERS = ("trafilatura", "datatrove", "pandas", "html2text", "markdownify", "html-to-markdown")
SYSTEMS = ("kinyu", "kinyu (trafilatura tables)", "kinyu extract", *PEERS)


# --- the systems: each maps an HTML string to text --------------------------------------------

def _kinyu_extract(html: str) -> str:
    from kinyu.corpus.extract.html import extract_html

    return extract_html(html)[0]


def _trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def _datatrove(html: str) -> str:
    from datatrove.pipeline.extractors import Trafilatura

    return Trafilatura(timeout=60).extract(html) or ""


def _pandas(html: str) -> str:
    import pandas as pd

    try:
        frames = pd.read_html(io.StringIO(html), flavor="lxml")
    except ValueError:  # no tables
        return ""
    return "\n\n".join(f.to_markdown(index=False) for f in frames)


def _html2text(html: str) -> str:
    import html2text

    h = html2text.HTML2Text()
    h.body_width = 0
    return h.handle(html)


def _markdownify(html: str) -> str:
    import markdownify

    return markdownify.markdownify(html)


def _html_to_markdown(html: str) -> str:
    import html_to_markdown

    result = html_to_markdown.convert(html)
    return result if isinstance(result, str) else result.content  # 3.x returns a ConversionResult


EXTRACTORS = {
    "kinyu extract": _kinyu_extract, "trafilatura": _trafilatura, "datatrove": _datatrove, "pandas": _pandas,
    "html2text": _html2text, "markdownify": _markdownify, "html-to-markdown": _html_to_markdown,
}  # fmt: skip


def extract_all(name: str, files: list[Path]) -> tuple[dict[str, str], float]:
    fn = EXTRACTORS[name]
    out, t0 = {}, time.process_time()
    for p in files:
        try:
            out[p.name] = fn(p.read_bytes().decode("utf-8"))
        except Exception as e:  # a peer that fails on a file scores nothing on it
            print(f"  {name}: {p.name}: {type(e).__name__}: {e}", file=sys.stderr)
            out[p.name] = ""
    return out, time.process_time() - t0


def kinyu_build(reports: Path, work: Path, extra: list[str]) -> tuple[dict[str, str], float]:
    """``kinyu corpus build`` over the reports: the kept text per section file, and the CPU
    seconds of the build's processes (user + system, all workers)."""
    out_dir = work / ("build-" + "-".join(x.strip("-").replace(".", "_") for x in extra) if extra else "build")
    cmd = [sys.executable, "-m", "kinyu.cli", "corpus", "build", "--input", str(reports), "--output", str(out_dir),
           "--tokenize.enabled", "false", "--cache.enabled", "false", "--workers", "2", "--overwrite", *extra]
    _, seconds, _, _ = run_measured(cmd)  # the process tree, sampled (the workers are no wait4 children)
    texts: dict[str, str] = {}
    for f in sorted((out_dir / "docs").glob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                doc = json.loads(line)
                texts[Path(doc["metadata"]["source"]).name] = doc["text"]
    return texts, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=Path, help="where the splits are (or get) unpacked: DIR/<split>/reports")
    ap.add_argument("--splits", default="valid,test")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated, of: " + ", ".join(SYSTEMS))
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--every-cell", action="store_true",
                    help="score every figure cell of every table (up to 30 per table, kinyu.base.u4.every_cell), not "
                         "only the questions' gold cells: a denser yardstick for tuning, on train and valid only")
    args = ap.parse_args()
    shared = shared_data_dir() / "filings-u4"
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        ap.error(f"unknown systems: {', '.join(unknown)}")
    if args.every_cell and "test" in args.splits.split(","):
        ap.error("--every-cell is for tuning: the test split is scored on its gold cells only")
    root = args.reports or Path(tempfile.mkdtemp(prefix="kinyu-u4-"))
    results = {}
    for split in [s.strip() for s in args.splits.split(",")]:
        reports = u4.unpack(shared, root, split)
        items = u4.questions(shared, split)
        gold = u4.every_cell(reports) if args.every_cell else u4.gold_cells(reports, items)
        empty = [c for c in gold if not c.text]
        cells = [c for c in gold if c.text and c.row_label and c.column_header]
        files = sorted(reports.glob("*/*.html"))
        mb = sum(p.stat().st_size for p in files) / 1e6
        what = "figure cells of every table (--every-cell)" if args.every_cell else f"gold cells of {len(items)} questions"
        print(f"\n## {split}: {len(files)} section files ({mb:.0f} MB), {len(gold)} {what} found "
              f"({len(empty)} empty); {len(cells)} with a row label and a column header are scored")
        results[split] = {}
        build_cpu: dict[str, float] = {}
        for name in systems:
            if name == "kinyu":
                texts, seconds = kinyu_build(reports, root / f"{split}-runs", [])
                cost = f"build {mb / seconds:.2f} MB/CPU s"
                build_cpu[name] = seconds
            elif name == "kinyu (trafilatura tables)":
                texts, seconds = kinyu_build(reports, root / f"{split}-runs", ["--extract.html_table_format", "trafilatura"])
                cost = f"build {mb / seconds:.2f} MB/CPU s"
                build_cpu[name] = seconds
            else:
                texts, seconds = extract_all(name, files)
                cost = f"{mb / seconds:.2f} MB/CPU s"
            r = u4.score(cells, texts)
            r["cost"] = cost
            r["files_with_text"] = sum(1 for t in texts.values() if t.strip())
            results[split][name] = r
            print(f"{name:28s} label+header {r['label+header']:.4f}  label {r['label']:.4f}  anywhere {r['anywhere']:.4f}"
                  f"  files {r['files_with_text']}/{len(files)}  {cost}", flush=True)
        for name in systems:
            causes = results[split][name]["causes"]
            if causes:
                print(f"  misses of {name}: " + "; ".join(f"{k} {v}" for k, v in causes.items()))
        if len(build_cpu) == 2:
            ratio = build_cpu["kinyu (trafilatura tables)"] / build_cpu["kinyu"]
            results[split]["build_throughput_ratio"] = ratio
            print(f"goal: the whole build's MB per CPU second with tables >= 0.9x trafilatura's tables: {ratio:.2f}x -> "
                  f"{'met' if ratio >= 0.9 else 'NOT met'}")
        if "kinyu" in systems:
            best_peer = max((results[split][p]["label+header"], p) for p in systems if p in PEERS) if any(p in PEERS for p in systems) else (0, "-")
            k = results[split]["kinyu"]["label+header"]
            print(f"goal: kinyu >= {GOAL} with label and header, above every peer: kinyu {k:.4f}, best peer {best_peer[1]} "
                  f"{best_peer[0]:.4f} -> {'met' if k >= GOAL and k > best_peer[0] else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
