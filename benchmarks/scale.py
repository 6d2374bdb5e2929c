"""How the cost of `kinyu corpus build` grows with the corpus: time, peak memory, output, dedup.

    python benchmarks/scale.py [--sizes 1000 3000 9000] [--tasks 4] [--workers 2] 2>/dev/null

Builds corpora of each size from real text of ``../shared/data/real`` (chABSA sentences, EDINET
有報 HTML and MHLW PDF text, recombined into unique documents of 1-3k characters), with planted
exact duplicates, near-duplicates (character 5-gram Jaccard 0.80-0.90), junk (tables,
navigation, English), HTML and text files, and a few real PDFs/HTML. Each corpus goes through
the default build, one stage per child process, so that each stage's peak RSS is its own: the
largest resident set of any process of the stage, workers included (sampled every 50 ms with
psutil). Printed per size and stage: wall time, CPU time of all its processes (what the stage
costs on a dedicated core; wall time on a shared machine also measures the others), docs/s and
chars/s (of the corpus input, by wall time), peak RSS, bytes written; then per stage the growth exponent of time and of
peak RSS between the smallest and largest size (log-log slope), dedup recall and false merges
on the planted pairs, and an extrapolation to 370M tokens. The commands users run after a build
(``corpus report``, ``corpus stats --compare``, ``corpus dedup-check`` with and without
``--sample``) are measured as whole commands (their times include interpreter start-up; the
build stages' times exclude the stage process's start-up but include its workers').

Generated files go to a temporary folder (``--keep DIR`` to keep them), never into the repo.
The tokenizer is trained on a bounded sample (``tokenize.tokenizer_sample_chars``); here
``--tokenizer-sample-chars`` (default 1M) is set below the smallest corpus, as the default 2M
is below a 370M-token corpus, so that the benchmark sees the regime big builds run in.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from kinyu.base.layout import CorpusRun  # noqa: E402
from kinyu.corpus.config import CorpusConfig  # noqa: E402
from kinyu.corpus.ngrams import char_ngrams, jaccard  # noqa: E402
from kinyu.base.config import from_dict  # noqa: E402
from testkit.measure import run_measured  # noqa: E402
from testkit.shared import require_shared  # noqa: E402

TARGET_TOKENS = 370e6
GOALS = {"time_exponent": 1.1, "rss_ratio": 1.3}
# stages that run as one task whatever --tasks is (they do not spread over cores)
SERIAL_STAGES = {"exact_duplicates", "minhash_clusters", "tokenizer", "finalize"}


# --- the corpus ---------------------------------------------------------------------------------


def sentence_pool(real: Path) -> list[str]:
    """Distinct real sentences: chABSA, EDINET 有報 sections (trafilatura), MHLW chapters (pdfium)."""
    from kinyu.corpus.extract.decode import decode_bytes
    from kinyu.corpus.extract.html import extract_html
    from kinyu.corpus.extract.pdf import extract_pdfium, repair_layout

    texts = []
    for f in sorted((real / "chabsa-json").glob("*.json")):
        texts += [s["sentence"] + "。" for s in json.loads(f.read_text(encoding="utf-8"))["sentences"]]
    for f in sorted((real / "edinet-asr-html").glob("*.html")):
        texts.append(extract_html(decode_bytes(f.read_bytes()).text)[0])
    for f in sorted((real / "mhlw-pdf").glob("*.pdf"))[:12]:
        texts.append(repair_layout(extract_pdfium(f.read_bytes()).pages)[0])
    seen, pool = set(), []
    for text in texts:
        for s in re.split(r"(?<=。)|\n", text):
            s = s.strip()
            if 20 <= len(s) <= 300 and s not in seen:
                seen.add(s)
                pool.append(s)
    return pool


def five_gram_jaccard(a: str, b: str) -> float:
    strip = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    return jaccard(char_ngrams(strip(a), 5), char_ngrams(strip(b), 5))


def make_document(rng: random.Random, pool: list[str]) -> list[str]:
    """Sentences of one document, 1-3k characters, in paragraphs of a few sentences."""
    target, out, n = rng.randint(1000, 3000), [], 0
    while n < target:
        s = rng.choice(pool)
        out.append(s)
        n += len(s)
    return out


def join(sentences: list[str]) -> str:
    return "\n".join("".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


def near_copy(rng: random.Random, sentences: list[str], pool: list[str]) -> tuple[str, float]:
    """Replace sentences until the character 5-gram Jaccard with the original falls to 0.80-0.90."""
    original = join(sentences)
    for _ in range(50):
        copy = list(sentences)
        for i in rng.sample(range(len(copy)), max(1, round(len(copy) * rng.uniform(0.03, 0.06)))):
            copy[i] = rng.choice(pool)
        j = five_gram_jaccard(original, join(copy))
        if 0.80 <= j <= 0.90:
            return join(copy), j
    return join(copy), j


JUNK_KINDS = ("table", "navigation", "english")


def junk(rng: random.Random, kind: str) -> str:
    if kind == "table":
        return "\n".join(" | ".join(f"{rng.randint(0, 99999):,}" for _ in range(6)) for _ in range(rng.randint(30, 80)))
    if kind == "navigation":
        items = ["ホーム", "会社情報", "IR情報", "ニュース", "採用情報", "お問い合わせ", "サイトマップ", "English", "プライバシーポリシー"]
        return "\n".join(" > ".join(rng.sample(items, 4)) for _ in range(rng.randint(20, 60)))
    words = "the company reported net sales operating income for the fiscal year ended march increase decrease".split()
    return "\n".join(" ".join(rng.choice(words) for _ in range(15)).capitalize() + "." for _ in range(rng.randint(20, 50)))


def generate(root: Path, n_docs: int, pool: list[str], real: Path, seed: int = 0) -> dict:
    """Write the corpus under ``root``; return the planted truth (pipeline ids) and its size."""
    rng = random.Random(seed)
    n_exact, n_near, n_junk = max(3, n_docs * 3 // 100), max(3, n_docs * 3 // 100), max(3, n_docs * 3 // 100)
    n_files = max(2, n_docs // 20)  # 5% each as HTML and plain-text files
    n_unique = n_docs - n_exact - n_near - n_junk
    records: list[tuple[str, str]] = []  # (kind, text) for the jsonl parts
    originals: list[tuple[int, list[str]]] = []
    seen = set()
    while len(records) < n_unique:
        sentences = make_document(rng, pool)
        text = join(sentences)
        if text in seen:
            continue
        seen.add(text)
        records.append(("unique", text))
        originals.append((len(records) - 1, sentences))
    planted = []  # (original record index, copy record index, kind, 5-gram Jaccard)
    candidates = rng.sample(originals[: n_unique - 2 * n_files], n_exact + n_near)
    for k, (idx, sentences) in enumerate(candidates):
        if k < n_exact:
            records.append(("exact", records[idx][1]))
            planted.append((idx, len(records) - 1, "exact", 1.0))
        else:
            text, j = near_copy(rng, sentences, pool)
            records.append(("near", text))
            planted.append((idx, len(records) - 1, "near", j))
    for k in range(n_junk):
        records.append((JUNK_KINDS[k % 3], junk(rng, JUNK_KINDS[k % 3])))
    order = list(range(len(records)))
    rng.shuffle(order)
    # the last 2 * n_files unique documents become files (never part of a planted pair)
    file_docs = [records[i][1] for i in range(n_unique - 2 * n_files, n_unique)]
    in_jsonl = [i for i in order if not (n_unique - 2 * n_files <= i < n_unique)]
    pipeline_id: dict[int, str] = {}
    corpus = root / "corpus"
    (corpus / "jsonl").mkdir(parents=True)
    per_part = 500
    for part in range(0, len(in_jsonl), per_part):
        name = f"jsonl/part-{part // per_part:05d}.jsonl.gz"
        with gzip.open(corpus / name, "wt", encoding="utf-8") as f:
            for line, i in enumerate(in_jsonl[part : part + per_part], start=1):
                f.write(json.dumps({"text": records[i][1]}, ensure_ascii=False) + "\n")
                pipeline_id[i] = f"corpus/{name}#{line}"
    (corpus / "html").mkdir()
    (corpus / "text").mkdir()
    for k, text in enumerate(file_docs):
        if k % 2:
            (corpus / "text" / f"doc-{k:06d}.txt").write_text(text, encoding="utf-8")
        else:
            body = "".join(f"<p>{p}</p>" for p in text.split("\n"))
            (corpus / "html" / f"doc-{k:06d}.html").write_text(
                f'<!doctype html><html><head><meta charset="utf-8"><title>有価証券報告書</title></head>'
                f"<body><nav>ホーム &gt; IR情報</nav><article>{body}</article></body></html>",
                encoding="utf-8",
            )
    real_files = [*sorted((real / "mhlw-pdf").glob("0000196*.pdf"))[:2], *sorted((real / "edinet-asr-html").glob("*-0104010.html"))[:3]]
    chars = sum(len(t) for _, t in records)  # the 5 real files' text (not known before extraction) not included
    return {
        "inputs": [str(corpus), *map(str, real_files)],
        "docs": len(records) + len(real_files),
        "chars": chars,
        "pairs": [(pipeline_id[a], pipeline_id[b], kind, j) for a, b, kind, j in planted],
        "junk": [pipeline_id[i] for i, (kind, _) in enumerate(records) if kind in JUNK_KINDS],
    }


# --- running and measuring ----------------------------------------------------------------------


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_stage(run: str, name: str) -> None:
    """(child process) Run one stage of the build whose config is RUN/config.yaml."""
    from kinyu.corpus.executors import make_executor
    from kinyu.corpus.finalize import finalize_run
    from kinyu.corpus.pipeline import build_stages

    cfg = from_dict(CorpusConfig, yaml.safe_load(CorpusRun(run).config.read_text(encoding="utf-8")))
    stages = build_stages(cfg)

    usage = resource.getrusage(resource.RUSAGE_SELF)
    start_cpu = usage.ru_utime + usage.ru_stime  # the interpreter's start-up and imports, not the stage
    t0 = time.perf_counter()
    if name == "finalize":
        finalize_run(cfg, [s.name for s in stages])
    else:
        stage = next(s for s in stages if s.name == name)
        make_executor(cfg, stage, CorpusRun(run)).run()
    print(json.dumps({"wall": time.perf_counter() - t0, "start_cpu": start_cpu}))


def build_measured(truth: dict, run: Path, args, log) -> list[dict]:
    from kinyu.corpus.pipeline import build_stages
    from kinyu.corpus.run_folder import prepare_run

    cfg = CorpusConfig(output=str(run))
    cfg.input.paths = truth["inputs"]
    cfg.cache.enabled = False
    cfg.executor.tasks = args.tasks
    cfg.executor.workers = args.workers
    cfg.tokenize.tokenizer_sample_chars = args.tokenizer_sample_chars
    prepare_run(cfg)
    rows = []
    for stage in [s.name for s in build_stages(cfg)]:
        before = folder_bytes(run)
        _, tree_cpu, rss, out = run_measured([sys.executable, __file__, "_stage", str(run), stage], log)
        measured = json.loads(out.strip().splitlines()[-1])
        wall, cpu = measured["wall"], tree_cpu - measured["start_cpu"]
        rows.append({"stage": stage, "wall": wall, "cpu": cpu, "rss": rss, "bytes": folder_bytes(run) - before})
    return rows


def after_build_measured(run: Path, other: Path, args, log) -> list[dict]:
    """What users run on a finished build: report, stats --compare, dedup-check (sampled and full)."""
    cli = [sys.executable, "-m", "kinyu.cli", "corpus"]
    commands = {
        "corpus report": [*cli, "report", str(run), "--out", str(run.parent / "report.html")],
        "stats --compare": [*cli, "stats", str(run), "--json", "--compare", str(other)],
        f"dedup-check --sample {args.dedup_check_sample}": [*cli, "dedup-check", str(run), "--sample", str(args.dedup_check_sample)],
        "dedup-check (all)": [*cli, "dedup-check", str(run)],
    }
    rows = []
    for name, cmd in commands.items():
        wall, cpu, rss, _ = run_measured(cmd, log)
        rows.append({"stage": name, "wall": wall, "cpu": cpu, "rss": rss, "bytes": 0, "after_build": True})
    return rows


def dedup_outcome(run: Path, truth: dict) -> dict:
    """Recall on the planted pairs (both documents reached dedup) and false merges."""
    from kinyu.corpus.extract.readers import read_jsonl_gz

    layout = CorpusRun(run)
    kept_of = {}
    for step in ("exact_dedup", "minhash_dedup"):
        for rec in read_jsonl_gz(layout.removed / step):
            kept_of[rec["id"]] = rec["metadata"]["kept_id"]
    kept = {rec["id"] for rec in read_jsonl_gz(layout.docs)}

    def root(doc_id: str) -> str:
        while doc_id in kept_of:
            doc_id = kept_of[doc_id]
        return doc_id

    group = {}
    for a, b, _, _ in truth["pairs"]:
        group[a] = group[b] = a
    out = {}
    for kind in ("exact", "near"):
        pairs = [(a, b) for a, b, k, _ in truth["pairs"] if k == kind]
        reached = [(a, b) for a, b in pairs if all(x in kept or x in kept_of for x in (a, b))]
        merged = sum(root(a) == root(b) for a, b in reached)
        out[kind] = {"pairs": len(pairs), "reached_dedup": len(reached), "merged": merged}
    out["false_merges"] = sum(group.get(doc, doc) != group.get(root(doc), root(doc)) for doc in kept_of)
    junk_kept = sum(j in kept for j in truth["junk"])
    out["junk_kept"] = f"{junk_kept}/{len(truth['junk'])}"
    summary = json.loads(layout.summary.read_text())
    out["balanced"] = summary["accounting"]["balanced"]
    out["tokens"] = sum(t["tokens"] for t in summary["tokens"].values())
    out["kept_chars"] = summary["accounting"]["kept_chars"]
    return out


# --- report ---------------------------------------------------------------------------------------


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f}"


def slope(x0: float, x1: float, y0: float, y1: float) -> float:
    return math.log(max(y1, 1e-9) / max(y0, 1e-9)) / math.log(x1 / x0)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_stage":
        run_stage(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 9000])
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tokenizer-sample-chars", type=int, default=1_000_000)
    ap.add_argument("--dedup-check-sample", type=int, default=500, help="documents for the sampled dedup-check")
    ap.add_argument("--cores", type=int, nargs="+", default=[16, 64, 256], help="cores for the extrapolation")
    ap.add_argument("--keep", type=Path, default=None, help="keep the corpora and runs here")
    args = ap.parse_args()
    real = require_shared("real")
    root = args.keep or Path(tempfile.mkdtemp(prefix="kinyu_scale_"))
    root.mkdir(parents=True, exist_ok=True)
    log = open(root / "build.log", "ab")
    t0 = time.perf_counter()
    pool = sentence_pool(real)
    print(f"sentence pool: {len(pool):,} distinct real sentences ({sum(map(len, pool)):,} chars) in {time.perf_counter() - t0:.0f} s")
    print(f"build: default config, --tasks {args.tasks} --workers {args.workers}, cache off, "
          f"tokenize.tokenizer_sample_chars {args.tokenizer_sample_chars:,}; {os.cpu_count()} CPUs (shared with other work)")
    results = {}
    for n in args.sizes:
        truth = generate(root / f"n{n}", n, pool, real)
        rows = build_measured(truth, root / f"n{n}" / "run", args, log)
        # stats --compare against the previous size's run (the smallest against itself)
        other = root / f"n{args.sizes[max(0, args.sizes.index(n) - 1)]}" / "run"
        rows += after_build_measured(root / f"n{n}" / "run", other, args, log)
        results[n] = {"truth": truth, "stages": rows, "dedup": dedup_outcome(root / f"n{n}" / "run", truth)}
        total = sum(r["wall"] for r in rows if not r.get("after_build"))
        print(f"\n== {truth['docs']:,} documents, {truth['chars']:,} chars: build {total:.0f} s")
        print(f"{'stage':<26}{'wall s':>9}{'CPU s':>8}{'docs/s':>10}{'chars/s':>12}{'peak RSS MiB':>14}{'written MiB':>13}")
        for r in rows:
            print(f"{r['stage']:<26}{r['wall']:>9.1f}{r['cpu']:>8.1f}{truth['docs'] / r['wall']:>10,.0f}{truth['chars'] / r['wall']:>12,.0f}"
                  f"{mib(r['rss']):>14}{r['bytes'] / 2**20:>13.1f}")
        d = results[n]["dedup"]
        print(f"dedup: exact {d['exact']['merged']}/{d['exact']['reached_dedup']} merged, near {d['near']['merged']}/"
              f"{d['near']['reached_dedup']} merged (of {d['near']['pairs']} planted; the others lost a document to a "
              f"quality filter first), false merges {d['false_merges']}; junk kept {d['junk_kept']}; accounting balanced: {d['balanced']}")
    small, large = args.sizes[0], args.sizes[-1]
    s_rows = {r["stage"]: r for r in results[small]["stages"]}
    l_rows = {r["stage"]: r for r in results[large]["stages"]}
    n0, n1 = results[small]["truth"]["docs"], results[large]["truth"]["docs"]
    print(f"\n== growth from {n0:,} to {n1:,} documents (goals: time exponent <= {GOALS['time_exponent']}, "
          f"peak RSS largest/smallest <= {GOALS['rss_ratio']})")
    print("(time exponent judged on CPU seconds: on a machine shared with other work, wall time also measures the others)")
    print(f"{'stage':<26}{'wall exp':>10}{'CPU exp':>9}{'goal':>7}{'RSS ratio':>11}{'goal':>7}")
    for stage, r0 in s_rows.items():
        r1 = l_rows[stage]
        e_wall, e_cpu = slope(n0, n1, r0["wall"], r1["wall"]), slope(n0, n1, r0["cpu"], r1["cpu"])
        ratio = r1["rss"] / r0["rss"]
        print(f"{stage:<26}{e_wall:>10.2f}{e_cpu:>9.2f}{'ok' if e_cpu <= GOALS['time_exponent'] else 'MISS':>7}{ratio:>11.2f}"
              f"{'ok' if ratio <= GOALS['rss_ratio'] else 'MISS':>7}")
    print("\n== dedup on the planted pairs (goal: recall 1.0, 0 false merges at every size)")
    for n in args.sizes:
        d = results[n]["dedup"]
        rec = {k: d[k]["merged"] / d[k]["reached_dedup"] if d[k]["reached_dedup"] else float("nan") for k in ("exact", "near")}
        ok = rec["exact"] == 1.0 and rec["near"] == 1.0 and d["false_merges"] == 0
        print(f"{results[n]['truth']['docs']:>8,} docs: recall exact {rec['exact']:.3f}, near {rec['near']:.3f}, "
              f"false merges {d['false_merges']}  {'ok' if ok else 'MISS'}")
    # extrapolation from the largest size: core-seconds per input char of each stage
    big = results[large]
    d = big["dedup"]
    chars_per_token = d["kept_chars"] / max(d["tokens"], 1)
    corpus_chars = TARGET_TOKENS * chars_per_token * big["truth"]["chars"] / d["kept_chars"]
    # CPU seconds: what a dedicated core would spend (wall time here is inflated by other work)
    build_rows = [r for r in big["stages"] if not r.get("after_build")]
    parallel = sum(r["cpu"] for r in build_rows if r["stage"] not in SERIAL_STAGES)
    serial = sum(r["cpu"] for r in build_rows if r["stage"] in SERIAL_STAGES and r["stage"] != "tokenizer")
    tokenizer = next((r["cpu"] for r in big["stages"] if r["stage"] == "tokenizer"), 0.0)
    per_char_parallel, per_char_serial = parallel / big["truth"]["chars"], serial / big["truth"]["chars"]
    default_sample = CorpusConfig().tokenize.tokenizer_sample_chars
    tokenizer *= default_sample / args.tokenizer_sample_chars  # BPE training: about linear in its sample
    print(f"\n== extrapolation to {TARGET_TOKENS / 1e6:.0f}M tokens ({chars_per_token:.2f} chars/token with the trained "
          f"tokenizer; {d['kept_chars'] / big['truth']['chars']:.0%} of input chars kept => {corpus_chars / 1e9:.2f}G input chars), "
          f"linear in size from the largest run")
    print(f"parallel stages {per_char_parallel * 1e6:.1f} CPU-s per M chars; one-task stages {per_char_serial * 1e6:.2f} CPU-s per M chars; "
          f"tokenizer training {tokenizer:.0f} CPU-s (default {default_sample / 1e6:.0f}M-char sample, scaled linearly from the measured one)")
    for cores in args.cores:
        hours = (per_char_parallel * corpus_chars / cores + per_char_serial * corpus_chars + tokenizer) / 3600
        print(f"  {cores:>4} cores (tasks >= cores): {hours:6.1f} h")
    print(f"\nfiles under {root}" if args.keep else "")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
