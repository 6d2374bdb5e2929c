"""MinHash near-dedup: our Japanese stages vs datatrove's default MinhashConfig, on the shared ground truth.

    python benchmarks/dedup_minhash.py [--repeats 3] [--cache-dir DIR] [--tasks 1] 2>/dev/null

(datatrove's executors log every stage to stderr; the figures go to stdout.)

Documents: the ground-truth set of ``testkit.dedup_truth`` (MHLW chapters across revision years,
EDINET sample report 02 vs its amendment 20, ten real 有報 sections of five companies); truth per
pair = character 5-gram Jaccard. Each pipeline runs its four MinHash stages (signatures, buckets,
clusters, filter) with datatrove's LocalPipelineExecutor on the same input folder; wall time is
the sum of the four stages, best of ``--repeats``. Printed: wall time, the ratio ours / default
(goal <= 1.3), recall on pairs with Jaccard >= 0.8 and false merges of pairs <= 0.3, and the exact
shingle Jaccard separation of each shingling (why character 7-grams).

The baseline is datatrove's ``MinhashConfig()`` (5-gram words, 14 buckets x 8 hashes) with its
default word tokenizer for "ja" (spaCy's Japanese tokenizer on SudachiPy; needs
``pip install spacy sudachipy sudachidict_core``). datatrove 0.10 hashes ``str`` shingles with
xxhash, which xxhash >= 4.1 rejects; the baseline encodes them to UTF-8 first (what older xxhash
did internally), nothing else changes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from datatrove.data import Document  # noqa: E402
from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.dedup.minhash import (  # noqa: E402
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402
from datatrove.utils.text import ngrams, simplify_text  # noqa: E402

from kinyu.corpus.dedup import CharNgramTokenizer, DedupConfig, dedup_stages  # noqa: E402
from kinyu.corpus.ngrams import jaccard  # noqa: E402
from testkit.dedup_truth import (  # noqa: E402
    DIFFERENT_MAX,
    NEAR_DUPLICATE_MIN,
    load_ground_truth_docs,
    score_clusters,
    score_pairs,
)


class DatatroveDefaultSignature(MinhashDedupSignature):
    """datatrove's MinHash stage 1 unchanged, except that shingles are UTF-8 encoded before xxhash."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        str_hash = self._hash_func
        self._hash_func = lambda s: str_hash(s.encode("utf-8"))


def spacy_ja_available() -> str | None:
    try:
        import spacy  # noqa: F401
        import sudachidict_core  # noqa: F401
        import sudachipy  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed (pip install spacy sudachipy sudachidict_core)"
    return None


def datatrove_default_stages(input_folder: str, work: str, output: str):
    cfg = MinhashConfig()
    return [
        ("signatures", [JsonlReader(input_folder), DatatroveDefaultSignature(f"{work}/sigs", config=cfg, language="ja")], 1),
        ("buckets", [MinhashDedupBuckets(f"{work}/sigs", f"{work}/buckets", config=cfg)], cfg.num_buckets),
        ("clusters", [MinhashDedupCluster(f"{work}/buckets", f"{work}/clusters", config=cfg, save_cluster_id=True)], 1),
        (
            "filter",
            [
                JsonlReader(input_folder),
                MinhashDedupFilter(
                    f"{work}/clusters",
                    load_cluster_ids=True,
                    exclusion_writer=JsonlWriter(f"{work}/removed", output_filename="${rank}.jsonl.gz"),
                ),
                JsonlWriter(output, output_filename="${rank}.jsonl.gz"),
            ],
            1,
        ),
    ]


def run_timed(stages, logs: str) -> float:
    start = time.perf_counter()
    for name, steps, tasks in stages:
        LocalPipelineExecutor(pipeline=steps, tasks=tasks, workers=1, logging_dir=f"{logs}/{name}").run()
    return time.perf_counter() - start


def read_rows(folder: Path):
    for f in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            yield from (json.loads(line) for line in fh)


def labels_from_cluster_ids(root: Path) -> dict[str, object]:
    """datatrove default: documents sharing a ``minhash_cluster_id`` (not -1) were merged."""
    labels = {}
    for folder in (root / "out", root / "work" / "removed"):
        for row in read_rows(folder):
            cid = row["metadata"].get("minhash_cluster_id", -1)
            if cid != -1:
                labels[row["id"]] = cid
    return labels


def labels_from_kept_ids(root: Path) -> dict[str, object]:
    """Ours: removed documents name their kept copy."""
    labels = {}
    for row in read_rows(root / "removed" / "minhash_dedup"):
        kept = row["metadata"]["kept_id"]
        labels[row["id"]] = kept
        labels[kept] = kept
    return labels


def shingle_separation(docs, pairs) -> list[tuple[str, float, float, float]]:
    """Exact shingle Jaccard: min over must-merge pairs, max over different pairs, and the gap."""
    from kinyu.corpus.japanese import FugashiWordTokenizer

    must = [p for p in pairs if p.jaccard >= NEAR_DUPLICATE_MIN]
    different = [p for p in pairs if p.jaccard <= DIFFERENT_MAX]
    fugashi = FugashiWordTokenizer()
    simplified = {d.doc_id: simplify_text(d.text) for d in docs}
    words = {k: fugashi.word_tokenize(t) for k, t in simplified.items()}
    chars = {k: CharNgramTokenizer().word_tokenize(t) for k, t in simplified.items()}
    rows = []
    for name, units, n in [
        ("char 5-gram", chars, 5), ("char 7-gram", chars, 7), ("char 9-gram", chars, 9),
        ("fugashi word 3-gram", words, 3), ("fugashi word 5-gram", words, 5),
    ]:
        sh = {k: {" ".join(g) for g in ngrams(u, n)} for k, u in units.items()}
        lo = min(jaccard(sh[p.a], sh[p.b]) for p in must)
        hi = max(jaccard(sh[p.a], sh[p.b]) for p in different)
        rows.append((name, lo, hi, lo - hi))
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="runs per pipeline; the best time counts")
    ap.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "kinyu-dedup-extract"))
    ap.add_argument("--tasks", type=int, default=1)
    args = ap.parse_args(argv)

    docs = load_ground_truth_docs(cache_dir=Path(args.cache_dir))
    pairs = score_pairs(docs)
    chars = sum(len(d.text) for d in docs)
    print(f"documents: {len(docs)} ({chars:,} characters); pairs: {len(pairs)}, "
          f"must merge (J>={NEAR_DUPLICATE_MIN}): {sum(p.jaccard >= NEAR_DUPLICATE_MIN for p in pairs)}, "
          f"must not (J<={DIFFERENT_MAX}): {sum(p.jaccard <= DIFFERENT_MAX for p in pairs)}")

    base = Path(tempfile.mkdtemp(prefix="kinyu-dedup-bench-"))
    input_folder = base / "in"
    with JsonlWriter(str(input_folder), output_filename="${rank}.jsonl.gz") as w:
        for i, d in enumerate(docs):
            w.write(Document(text=d.text, id=d.doc_id, metadata={"source": d.doc_id}), i % args.tasks)

    def ours(cfg: DedupConfig):
        def build(root: Path):
            stages = dedup_stages(cfg, str(input_folder), str(root / "out"), str(root / "work"), str(root / "removed"), args.tasks)
            return stages
        return build, labels_from_kept_ids

    def default():
        def build(root: Path):
            return datatrove_default_stages(str(input_folder), str(root / "work"), str(root / "out"))
        return build, labels_from_cluster_ids

    candidates = {
        "kinyu char 7-gram, 25x7 (default)": ours(DedupConfig(exact=False)),
        "kinyu fugashi word 5-gram, 25x7": ours(DedupConfig(exact=False, shingle="fugashi", ngram=5)),
    }
    missing = spacy_ja_available()
    if missing is None:
        candidates["datatrove default (spaCy ja, word 5-gram, 14x8)"] = default()
    else:
        print(f"baseline skipped: {missing}")

    results = {}
    for name, (build, labels_of) in candidates.items():
        times = []
        for r in range(args.repeats):
            root = base / f"{len(results)}_{r}"
            times.append(run_timed(build(root), str(root / "logs")))
        score = score_clusters(pairs, labels_of(root))
        results[name] = (min(times), score)
        print(f"{name}: best {min(times):.2f}s of {[round(t, 2) for t in times]}; {score}")

    print("\n| pipeline | wall time (s) | recall (J>=0.8) | false merges (J<=0.3) |")
    print("|---|---|---|---|")
    for name, (t, s) in results.items():
        print(f"| {name} | {t:.2f} | {s.merged}/{s.must_merge} = {s.recall:.3f} | {s.false_merges}/{s.must_not_merge} |")
    default_name = next((n for n in results if n.startswith("datatrove")), None)
    if default_name:
        ratio = results["kinyu char 7-gram, 25x7 (default)"][0] / results[default_name][0]
        print(f"\ncost ratio kinyu / datatrove default: {ratio:.2f} (goal <= 1.3)")

    print("\nshingle separation (exact Jaccard on simplify_text output):")
    print("| shingles | min over must-merge | max over different | gap |")
    print("|---|---|---|---|")
    for name, lo, hi, gap in shingle_separation(docs, pairs):
        print(f"| {name} | {lo:.3f} | {hi:.3f} | {gap:+.3f} |")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
