"""What the tokenizer's sample bound (``tokenize.tokenizer_sample_chars``) costs and saves: the trainer's
peak memory against the tokenizer's compression on held-out text, for samples of growing size.

    python benchmarks/tokenizer_sample.py --corpus RUN [--heldout FOLDER ...] [--caps 500000 1000000 2000000 4000000 0] [--vocab 8000]
    # RUN: a kinyu corpus run folder (its docs/ train the tokenizers), e.g. a default build of filings
    # FOLDER: held-out texts (*.jsonl with "text", *.txt), e.g. a study's eval_sets/finance and eval_sets/general

Each cap trains the run's own kind of tokenizer (``kinyu.corpus.tokenize.train_tokenizer``: byte-level BPE)
on ``tokenizer_sample`` of the run's documents (the same documents by id hash a build picks), in a child
process measured with ``testkit/measure.run_measured`` (peak RSS of the process). Cap 0 = every document:
the peer each cap is measured against, in the same run. Compression is characters per token of the
held-out texts (higher is better); the goal for a bound is to lose at most 1 % of the peer's compression.
One run per cap (training is deterministic: same texts, same tokenizer).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testkit.measure import run_measured  # noqa: E402

GOAL_COMPRESSION_LOSS = 0.01

TRAIN = '''
import sys
from kinyu.base.layout import CorpusRun
from kinyu.corpus.extract.readers import read_jsonl_gz
from kinyu.corpus.tokenize import tokenizer_sample, train_tokenizer
run, cap, vocab, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
docs = ((r["id"], r["text"]) for r in read_jsonl_gz(CorpusRun(run).docs))
texts = tokenizer_sample(docs, cap if cap > 0 else 10**15)
train_tokenizer(texts, out, vocab_size=vocab)
print(sum(map(len, texts)))
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True, help="a kinyu corpus run folder whose docs/ train the tokenizers")
    ap.add_argument("--heldout", type=Path, nargs="+", required=True, help="folders of held-out texts to measure compression on")
    ap.add_argument("--caps", type=int, nargs="+", default=[500_000, 1_000_000, 2_000_000, 4_000_000, 0],
                    help="sample bounds in characters; 0 = every document (the peer)")
    ap.add_argument("--vocab", type=int, default=8000)
    args = ap.parse_args()
    for p in [args.corpus, *args.heldout]:
        if not p.is_dir():
            raise SystemExit(f"not a folder: {p}")

    from tokenizers import Tokenizer

    from kinyu.evaluation.bpc import folder_texts

    heldout = {p.name: folder_texts(p) for p in args.heldout}
    work = Path(tempfile.mkdtemp(prefix="kinyu-tokenizer-sample-"))
    (work / "train.py").write_text(TRAIN, encoding="utf-8")
    rows = []
    for cap in args.caps:
        out = work / f"cap-{cap}" / "tokenizer.json"
        wall, cpu, rss, stdout = run_measured([sys.executable, str(work / "train.py"), str(args.corpus), str(cap),
                                               str(args.vocab), str(out)])
        tok = Tokenizer.from_file(str(out))
        ratios = {}
        for name, texts in heldout.items():
            tokens = sum(len(e.ids) for e in tok.encode_batch(texts))
            ratios[name] = sum(map(len, texts)) / tokens
        rows.append({"cap": cap, "sample_chars": int(stdout.strip().splitlines()[-1]), "peak_rss_mb": rss / 2**20,
                     "cpu_s": cpu, "chars_per_token": ratios})
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)

    peer = next((r for r in rows if r["cap"] == 0), rows[-1])
    names = list(heldout)
    header = ["sample bound", "characters trained on", "peak RSS (MB)", "CPU s"] + [f"chars/token: {n}" for n in names] + \
             [f"goal: lose <= {GOAL_COMPRESSION_LOSS:.0%} of the peer's"]
    table = [header]
    for r in rows:
        losses = [1 - r["chars_per_token"][n] / peer["chars_per_token"][n] for n in names]
        verdict = "peer (every document)" if r is peer else ("met" if max(losses) <= GOAL_COMPRESSION_LOSS else "NOT met") + \
            " (" + ", ".join(f"{x:+.1%}" for x in losses) + " lost)"
        table.append([f"{r['cap']:,}" if r["cap"] else "none", f"{r['sample_chars']:,}", f"{r['peak_rss_mb']:.0f}", f"{r['cpu_s']:.0f}"]
                     + [f"{r['chars_per_token'][n]:.3f}" for n in names] + [verdict])
    width = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, width)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
