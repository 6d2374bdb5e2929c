"""Hundreds of real 有価証券報告書 through one `kinyu corpus build`: speed against datatrove's own
HTML pipeline, peak memory as the number of filings grows, and the yield per filing.

    python benchmarks/filings.py [--reports /tmp/u4] [--sizes 10 30 98] [--workers 2] [--json FILE] 2>/dev/null
    # the reports: kinyu data unpack-filings --to /tmp/u4   (98 filings, 1,470 section files, ~520 MB)

A filing is one ``<書類管理番号>/`` folder of ``<root>/<split>/reports/``; a size of N takes the first
N folders by name (all splits mixed). Measured, each command in a child process with
``testkit/measure.run_measured`` (CPU seconds of the whole process tree, peak RSS of its largest
process, sampled every 50 ms):

1. kinyu's default build (``kinyu corpus build --input <N folders> --workers W``) of the largest
   size, its extraction cache empty (a folder of its own): MB of HTML per CPU second, documents
   (section files) per second of wall time, characters and tokens kept per filing (tokens of the
   run's own tokenizer, vocab 8000), and how many such filings the paper's 370M tokens take;
2. the peer, in the same run on the same files: datatrove's own HTML pipeline, a disk reader
   that reads each file as one document (what ``HtmlReader``-style readers do) -> datatrove's
   ``Trafilatura`` extractor (favour_precision, the same 120 s timeout as kinyu's) -> ``JsonlWriter``,
   run by ``LocalPipelineExecutor`` with kinyu's tasks and workers. It extracts only; kinyu also
   normalises, runs the MeCab filters, both dedups and tokenizes, so the like-for-like row is
   kinyu's build with all of those off (extraction and normalisation, its own empty cache), and the
   whole build is shown beside it;
3. the default build again at each smaller size, with the extraction cache of step 1 (so its
   extraction is not redone; extraction's own peak is in step 1): peak RSS against the number of
   filings, goal flat within 1.3x from the smallest to the largest.

On 2 cores the whole run (98 filings) took 15 minutes: ``--sizes 5 10`` for a quick look.
Everything is written to a temporary folder (``--keep DIR`` keeps it), never into the repo.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testkit.measure import run_measured  # noqa: E402

PAPER_TOKENS = 370e6
GOALS = {"speed_ratio": 1.0, "rss_ratio": 1.3}
EXTRACT_TIMEOUT_S = 120.0  # kinyu's extract.timeout_s default; datatrove's own default (1 s) drops most big sections


def filing_folders(root: Path) -> list[Path]:
    folders = sorted((d for d in Path(root).resolve().glob("*/reports/*") if d.is_dir()), key=lambda d: d.name)
    if not folders:
        raise SystemExit(f"no <split>/reports/<書類管理番号>/ folders under {root}: unpack them with "
                         f"`kinyu data unpack-filings --to {root}`")
    return folders


def html_bytes(folders: list[Path]) -> int:
    return sum(f.stat().st_size for d in folders for f in d.glob("*.html"))


def kinyu_build(folders: list[Path], out: Path, cache: Path, workers: int, tasks: int, log, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "kinyu.cli", "corpus", "build", "--input", *map(str, folders), "--output", str(out),
           "--workers", str(workers), "--tasks", str(tasks), "--cache.dir", str(cache), "--overwrite", *extra]
    wall, cpu, rss, _ = run_measured(cmd, log)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    acc = manifest["accounting"]
    tokens = sum(side["tokens"] for side in (manifest.get("tokens") or {}).values())
    return {"filings": len(folders), "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss / 2**20, "inputs": acc["inputs"],
            "kept_docs": acc["kept"], "kept_chars": acc["kept_chars"], "tokens": tokens, "timings_s": manifest["timings_s"]}


def extraction_only_flags() -> list[str]:
    """kinyu's build with every quality step, both dedups and the token stages off: extraction and
    normalisation only, the like-for-like counterpart of the peer."""
    import dataclasses

    from kinyu.corpus.config import CorpusConfig

    flags = []
    for section in dataclasses.fields(CorpusConfig().quality):
        flags += [f"--quality.{section.name}.enabled", "false"]
    return flags + ["--dedup.exact", "false", "--dedup.minhash", "false", "--tokenize.enabled", "false"]


# --- the peer: datatrove's own HTML pipeline --------------------------------------------------

PEER = '''
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.pipeline.writers import JsonlWriter

class HtmlFileReader(BaseDiskReader):
    """Each file one document, its bytes decoded as UTF-8 (the EDINET files are)."""
    name = "html files"
    def read_file(self, filepath):
        with self.data_folder.open(filepath, "rb") as f:
            html = f.read().decode("utf-8", errors="replace")
        document = self.get_document_from_dict({"text": html, "id": filepath}, filepath, 0)
        if document:
            yield document

if __name__ == "__main__":  # the executor's forkserver workers import this file again
    file_list, out, tasks, workers, timeout = sys.argv[1:6]
    LocalPipelineExecutor(
        pipeline=[HtmlFileReader("/", paths_file=file_list),
                  Trafilatura(favour_precision=True, timeout=float(timeout)),
                  JsonlWriter(out + "/docs")],
        tasks=int(tasks), workers=int(workers), logging_dir=out + "/logs",
    ).run()
'''


def peer_build(folders: list[Path], out: Path, workers: int, tasks: int, log) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(str(f.relative_to("/")) for d in folders for f in d.glob("*.html"))
    (out / "files.txt").write_text("\n".join(files) + "\n", encoding="utf-8")
    (out / "peer.py").write_text(PEER, encoding="utf-8")
    wall, cpu, rss, _ = run_measured([sys.executable, str(out / "peer.py"), str(out / "files.txt"), str(out), str(tasks),
                                      str(workers), str(EXTRACT_TIMEOUT_S)], log)
    docs = chars = 0
    for path in sorted((out / "docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                docs += 1
                chars += len(json.loads(line)["text"])
    return {"filings": len(folders), "inputs": len(files), "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss / 2**20,
            "kept_docs": docs, "kept_chars": chars}


def warm_rss(args, folders: list[Path], sizes: list[int]) -> int:
    """Peak RSS at each size, every build reading its extraction from ``--warm-cache DIR``'s cache."""
    cache = args.warm_cache / "cache"
    if not cache.is_dir():
        raise SystemExit(f"no extraction cache at {cache}: run the benchmark with --keep {args.warm_cache} first")
    work = Path(tempfile.mkdtemp(prefix="kinyu-filings-rss-"))
    extra = [] if args.tokenizer_sample_chars is None else ["--tokenize.tokenizer_sample_chars", str(args.tokenizer_sample_chars)]
    runs = {}
    with open(work / "benchmark.log", "w") as log:
        for n in sizes:
            runs[n] = kinyu_build(folders[:n], work / f"kinyu-{n}", cache, args.workers, args.tasks, log, extra)
            print(f"kinyu build of {n} (extraction cached): peak RSS {runs[n]['peak_rss_mb']:.0f} MB, "
                  f"{runs[n]['kept_chars']:,} characters kept, {runs[n]['tokens']:,} tokens; stages {runs[n]['timings_s']}", flush=True)
    ratio = runs[sizes[-1]]["peak_rss_mb"] / runs[sizes[0]]["peak_rss_mb"]
    bound = args.tokenizer_sample_chars or "the config's"
    print(f"\npeak RSS (tokenizer sample bound {bound}): " + ", ".join(f"{runs[n]['peak_rss_mb']:.0f} MB at {n}" for n in sizes)
          + f"; {sizes[-1]} / {sizes[0]} filings {ratio:.2f}x (goal <= {GOALS['rss_ratio']}x: {'met' if ratio <= GOALS['rss_ratio'] else 'NOT met'})")
    if args.json:
        args.json.write_text(json.dumps({"kinyu": {str(n): r for n, r in runs.items()}, "goals": GOALS}, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=Path, default=Path("/tmp/u4"), help="root of <split>/reports/<書類管理番号>/ (default /tmp/u4)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 98], help="numbers of filings; the largest is also timed and compared")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=4, help="kinyu's default executor.tasks; the peer gets the same")
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--tokenizer-sample-chars", type=int, default=None,
                    help="tokenize.tokenizer_sample_chars of every kinyu build (default: the config's, 2M): the tokenizer "
                         "trainer's memory grows with its sample (100-200 MB per million characters)")
    ap.add_argument("--warm-cache", type=Path, default=None,
                    help="peak RSS only: every size built with the extraction cache of an earlier run's --keep folder "
                         "(DIR/cache), no cold build, no peer (e.g. to compare --tokenizer-sample-chars bounds)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--keep", type=Path, default=None, help="keep the run folders here")
    args = ap.parse_args()

    folders = filing_folders(args.reports)
    sizes = sorted({min(n, len(folders)) for n in args.sizes})
    if args.warm_cache:
        return warm_rss(args, folders, sizes)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kinyu-filings-"))
    work.mkdir(parents=True, exist_ok=True)
    log = open(work / "benchmark.log", "w")
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    largest = sizes[-1]
    chosen = folders[:largest]
    mb = html_bytes(chosen) / 1e6
    print(f"{largest} filings, {sum(1 for d in chosen for _ in d.glob('*.html'))} section files, {mb:.0f} MB of HTML; "
          f"workers {args.workers}, tasks {args.tasks}; work folder {work}", flush=True)

    extra = [] if args.tokenizer_sample_chars is None else ["--tokenize.tokenizer_sample_chars", str(args.tokenizer_sample_chars)]
    runs = {largest: kinyu_build(chosen, work / f"kinyu-{largest}", cache, args.workers, args.tasks, log, extra)}
    k = runs[largest]
    print(f"kinyu build of {largest} (extraction cache empty): {k['wall_s']:.0f} s wall, {k['cpu_s']:.0f} CPU s, "
          f"peak RSS {k['peak_rss_mb']:.0f} MB; stages {k['timings_s']}", flush=True)
    peer = None if args.skip_peer else peer_build(chosen, work / f"peer-{largest}", args.workers, args.tasks, log)
    if peer:
        print(f"datatrove HtmlReader-style -> Trafilatura -> JsonlWriter: {peer['wall_s']:.0f} s wall, {peer['cpu_s']:.0f} CPU s, "
              f"peak RSS {peer['peak_rss_mb']:.0f} MB, {peer['kept_docs']} docs, {peer['kept_chars']:,} characters", flush=True)
    # like for like: kinyu's extraction and normalisation alone, its own empty cache, the same files
    bare = kinyu_build(chosen, work / f"kinyu-extract-{largest}", work / "cache-extract", args.workers, args.tasks, log,
                       extraction_only_flags())
    print(f"kinyu extraction only (cache empty): {bare['wall_s']:.0f} s wall, {bare['cpu_s']:.0f} CPU s, "
          f"peak RSS {bare['peak_rss_mb']:.0f} MB, {bare['kept_chars']:,} characters", flush=True)
    for n in sizes[:-1]:  # warm: the cache of the largest build holds every smaller size's extraction
        runs[n] = kinyu_build(folders[:n], work / f"kinyu-{n}", cache, args.workers, args.tasks, log, extra)
        print(f"kinyu build of {n} (extraction cached): peak RSS {runs[n]['peak_rss_mb']:.0f} MB, "
              f"{runs[n]['kept_chars']:,} characters kept", flush=True)

    speed, bare_speed = mb / k["cpu_s"], mb / bare["cpu_s"]
    docs_s = k["inputs"] / k["wall_s"]
    rows = [("figure", "kinyu", "goal", "peer (datatrove HTML pipeline)")]
    if peer:
        peer_speed, peer_docs_s = mb / peer["cpu_s"], peer["inputs"] / peer["wall_s"]
        rows += [("MB of HTML per CPU second, extraction only", f"{bare_speed:.3f}",
                  f">= {GOALS['speed_ratio']:.1f}x peer: {bare_speed / peer_speed:.2f}x", f"{peer_speed:.3f}"),
                 ("MB of HTML per CPU second, whole build", f"{speed:.3f}", f"(whole build / peer's extraction: {speed / peer_speed:.2f}x)", f"{peer_speed:.3f}"),
                 ("section files per second (wall)", f"{docs_s:.2f}", f">= {GOALS['speed_ratio']:.1f}x peer: {docs_s / peer_docs_s:.2f}x", f"{peer_docs_s:.2f}"),
                 ("characters kept", f"{k['kept_chars']:,}", "", f"{peer['kept_chars']:,}")]
    else:
        rows += [("MB of HTML per CPU second", f"{speed:.3f}", "", "(skipped)"), ("section files per second (wall)", f"{docs_s:.2f}", "", "(skipped)")]
    small = runs[sizes[0]]
    ratio = k["peak_rss_mb"] / small["peak_rss_mb"]
    for n in sizes:
        rows.append((f"peak RSS at {n} filings (MB)", f"{runs[n]['peak_rss_mb']:.0f}", "", ""))
    rows.append((f"peak RSS {largest} / {sizes[0]} filings", f"{ratio:.2f}x", f"<= {GOALS['rss_ratio']}x: {'met' if ratio <= GOALS['rss_ratio'] else 'NOT met'}", ""))
    per_chars, per_tokens = k["kept_chars"] / largest, k["tokens"] / largest
    rows += [("characters kept per filing", f"{per_chars:,.0f}", "", f"{peer['kept_chars'] / largest:,.0f}" if peer else ""),
             ("tokens kept per filing (run's tokenizer)", f"{per_tokens:,.0f}", "", ""),
             ("filings for the paper's 370M tokens", f"{PAPER_TOKENS / per_tokens:,.0f}", "", "")]
    width = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, width)))
    if args.json:
        args.json.write_text(json.dumps({"mb": mb, "kinyu": {str(n): r for n, r in runs.items()}, "kinyu_extraction_only": bare, "peer": peer,
                                         "goals": GOALS}, indent=2), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
