"""Speed of the Japanese quality filters against raw fugashi tokenization of the same text.

Goal (issue): all morphology filters together run at >= 0.7x the characters/second of raw
fugashi tokenization, measured side by side in one run. Prints chars/s (CPU time of this
process, median of --rounds, the candidates interleaved in rotating order so that machine load
hits them alike):

  fugashi tagger(text)            raw tokenization: MeCab + fugashi node objects
  fugashi surfaces                the same, reading every token's surface (FugashiWordTokenizer)
  fugashi surface + pos1          what a naive per-token filter would read (w.feature.pos1)
  morphology filters              JapaneseAnnotator (the one parse) + line cleaner + script,
                                  length, residue, symbol/digit, function-word, predicate-ending,
                                  line-start and noun-run filters, on datatrove Documents
  all quality steps               the whole default chain (adds repetition, boilerplate, domain)

Text: chABSA (joined per company) + EDINET 第2【事業の状況】 prose sections from
../shared/data/real when present, else generated Japanese text.

    python benchmarks/filters_speed.py [--rounds 9] [--max-chars 1500000]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from datatrove.data import Document

from kinyu.corpus.filters import QualityConfig, quality_steps
from kinyu.corpus.filters import analysis as analysis_module
from kinyu.corpus.japanese import tagger
from testkit.realdata import chabsa_documents, edinet_sections, shared_real_dir


# the steps left out of "morphology filters": they work on characters, not on the MeCab parse
CHARACTER_LEVEL = ("mojibake", "repetition", "boilerplate", "domain")


def load_texts(max_chars: int) -> tuple[list[str], str]:
    real = shared_real_dir()
    texts: list[str] = []
    if (real / "chabsa-json").is_dir():
        texts += [t for _, t in chabsa_documents()]
    if (real / "edinet-asr-html").is_dir():
        texts += [t for _, t in edinet_sections("edinet-asr-html/*-0102010.html")]
    source = "chABSA + EDINET 事業の状況 (shared real data)"
    if not texts:
        rng = random.Random(0)
        parts = ["当社グループの売上高は", "前期比", "%増の", "億円となりました。", "営業利益は", "減少しました。",
                 "市場環境は厳しい状況が続いております。", "今後も収益力の向上に努めてまいります。"]  # fmt: skip
        texts = ["\n".join("".join(rng.choice(parts) + str(rng.randint(1, 999)) for _ in range(6)) for _ in range(30))
                 for _ in range(200)]  # fmt: skip
        source = "generated text (shared real data not found)"
    out, total = [], 0
    for t in texts:
        if total >= max_chars:
            break
        out.append(t)
        total += len(t)
    return out, source


def run_steps(steps, texts: list[str]) -> int:
    analysis_module._cache().clear()  # every round parses again
    data = iter([Document(text=t, id=str(i), metadata={}) for i, t in enumerate(texts)])
    for step in steps:
        data = step.run(data)
    return sum(1 for _ in data)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--max-chars", type=int, default=1_500_000)
    args = parser.parse_args(argv)
    texts, source = load_texts(args.max_chars)
    chars = sum(map(len, texts))
    tag = tagger()
    full = quality_steps(QualityConfig(), None)
    morph_cfg = QualityConfig()
    for slug in CHARACTER_LEVEL:
        getattr(morph_cfg, slug).enabled = False
    morph = quality_steps(morph_cfg, None)
    candidates = {
        "fugashi tagger(text)": lambda: [tag(t) for t in texts],
        "fugashi surfaces": lambda: [[w.surface for w in tag(t)] for t in texts],
        "fugashi surface + pos1": lambda: [[(w.surface, w.feature.pos1) for w in tag(t)] for t in texts],
        "morphology filters": lambda: run_steps(morph, texts),
        "all quality steps": lambda: run_steps(full, texts),
    }
    for fn in candidates.values():  # warm up: dictionaries, regex caches, lexicon
        fn()
    rates: dict[str, list[float]] = {name: [] for name in candidates}
    gc_was_enabled = gc.isenabled()
    names = list(candidates)
    for r in range(args.rounds):
        # rotate the order each round, so no candidate always runs first or last
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn = candidates[name]
            gc.collect()
            gc.disable()
            t0 = time.process_time()
            fn()
            dt = time.process_time() - t0
            if gc_was_enabled:
                gc.enable()
            rates[name].append(chars / dt)
    best = {name: statistics.median(r) for name, r in rates.items()}
    print(f"text: {source}; {len(texts)} documents, {chars:,} characters; median of {args.rounds} rounds, CPU time")
    for name, rate in best.items():
        print(f"  {name:26s} {rate:12,.0f} chars/s")
    base = best["fugashi tagger(text)"]
    print(f"ratio morphology filters / raw tokenization (tagger(text)): {best['morphology filters'] / base:.2f}  (goal >= 0.7)")
    print(f"ratio morphology filters / surfaces:                        {best['morphology filters'] / best['fugashi surfaces']:.2f}")
    print(f"ratio all quality steps  / raw tokenization (tagger(text)): {best['all quality steps'] / base:.2f}")


if __name__ == "__main__":
    main()
