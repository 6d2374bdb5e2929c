"""Personal information: per-type precision and recall of kinyu's step, Presidio and HojiChar on
the labelled set (tests/data/pii_eval), the tempting negatives each tool hits, and the step's
speed beside the normaliser's and the quality chain's on the shared real corpus.

    python benchmarks/pii_accuracy.py [--misses] [--no-speed]

Set: generated texts with planted personal data and planted tempting numbers, the real shared
filings (EDINET 有価証券報告書 sections, covers and sample instances, chABSA, MHLW 告示/点数表)
whose every number-like token is a tempting negative, and the person entities of the
Wikipedia NER set (names anywhere, scored for names only). kinyu: what the default step acts
on (public company numbers kept). Presidio: AnalyzerEngine, default recognizers, blank spaCy
pipeline (no model download), every result. HojiChar: MaskPersonalInformation's two patterns.
Goals (issue 18): recall and precision ≥ 0.98 on e-mail, phone, My Number, card and account
numbers; names and addresses reported as they are; above both peers on every structured type;
the step ≤ 10 % of the quality chain's time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.pii_eval import (  # noqa: E402
    PII_TYPES,
    hojichar_detector,
    kinyu_spans,
    load_generated,
    load_real,
    presidio_detector,
    score,
    summary,
)
from testkit.shared import require_shared  # noqa: E402

STRUCTURED = ("email", "phone", "my_number", "card", "bank_account")
GOAL = 0.98


def fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.3f}"


def accuracy(show_misses: bool) -> None:
    require_shared("real")
    generated, real = load_generated(), load_real()
    wiki = [i for i in real if i.category == "wikipedia"]
    main = generated + [i for i in real if i.category != "wikipedia"]
    s = summary(main)
    print(f"labelled set: {s['items']} texts ({len(generated)} generated, {s['items'] - len(generated)} real), "
          f"{s['positive_spans']} personal-data spans {s['spans']}, {s['negative_total']} tempting negatives")  # fmt: skip
    print(f"  + Wikipedia NER: {len(wiki)} sentences, {summary(wiki)['positive_spans']} person names (scored for names only)")
    tools = {"kinyu": kinyu_spans}
    for name, make in (("Presidio", presidio_detector), ("HojiChar", hojichar_detector)):
        det = make()
        if det is None:
            print(f"({name} not installed: pip install -e '.[bench]')")
        else:
            tools[name] = det
    t0 = time.perf_counter()
    scores = {name: score(main, det) for name, det in tools.items()}
    wiki_scores = {name: score(wiki, lambda t, d=det: [p for p in d(t) if p[2] == "name"]) for name, det in tools.items()}
    print(f"(scored in {time.perf_counter() - t0:.1f} s)\n")
    header = f"{'type':<13} {'spans':>5} | " + " | ".join(f"{n:^17}" for n in tools) + " | goal"
    print(header)
    print(f"{'':<13} {'':>5} | " + " | ".join(f"{'P':>7} {'R':>7}  " for _ in tools) + " |")
    for t in PII_TYPES:
        k = scores["kinyu"]
        n = k.tp[t] + k.fn[t]
        goal = f"P,R ≥ {GOAL}, above peers" if t in STRUCTURED else "above peers" if t == "ip" else "reported"
        row = " | ".join(f"{fmt(sc.precision(t)):>7} {fmt(sc.recall(t)):>7}  " for sc in scores.values())
        print(f"{t:<13} {n:>5} | {row} | {goal}")
    row = " | ".join(f"{fmt(sc.precision('name')):>7} {fmt(sc.recall('name')):>7}  " for sc in wiki_scores.values())
    print(f"{'name (wiki)':<13} {wiki_scores['kinyu'].tp['name'] + wiki_scores['kinyu'].fn['name']:>5} | {row} | reported (names anywhere)")
    met = [t for t in STRUCTURED if (scores["kinyu"].precision(t) or 0) >= GOAL and (scores["kinyu"].recall(t) or 0) >= GOAL]
    print(f"\nkinyu meets P,R ≥ {GOAL} on {len(met)}/{len(STRUCTURED)} structured types: {', '.join(met)}")
    print("\ntempting negatives hit (a predicted span of any type overlaps them), per class:")
    classes = sorted(scores["kinyu"].neg_total, key=lambda c: -scores["kinyu"].neg_total[c])
    print(f"{'class':<18} {'total':>6} | " + " | ".join(f"{n:>9}" for n in tools) + " | goal")
    for c in classes:
        total = scores["kinyu"].neg_total[c]
        print(f"{c:<18} {total:>6} | " + " | ".join(f"{sc.neg_hit[c]:>9}" for sc in scores.values()) + " | 0")
    print(f"{'all':<18} {sum(scores['kinyu'].neg_total.values()):>6} | "
          + " | ".join(f"{sum(sc.neg_hit.values()):>9}" for sc in scores.values()) + " | 0")  # fmt: skip
    if show_misses:
        for name, sc in scores.items():
            for t in PII_TYPES:
                for m in sc.misses[t][:10]:
                    print(f"  {name} missed {t}: {m}")
                for m in sc.false[t][:10]:
                    print(f"  {name} false {t}: {m}")


def speed(rounds: int = 3) -> None:
    """chars/s of the step (default config), of the normaliser and of the whole default quality
    chain (the step included), on the shared real corpus: EDINET sections + chABSA documents."""
    from datatrove.data import Document

    from kinyu.corpus.filters import PiiConfig, PiiFilter, QualityConfig, quality_steps
    from kinyu.corpus.normalize import normalize_japanese
    from testkit.realdata import chabsa_documents, edinet_sections

    texts = [t for _, t in edinet_sections()] + [t for _, t in chabsa_documents()]
    chars = sum(map(len, texts))
    step = PiiFilter(PiiConfig())
    chain = quality_steps(QualityConfig(), None)

    def run_step():
        for t in texts:
            step.filter(Document(text=t, id="x", metadata={}))

    def run_chain():
        data = iter([Document(text=t, id=str(i), metadata={}) for i, t in enumerate(texts)])
        for s in chain:
            data = s.run(data)
        for _ in data:
            pass

    candidates = {"pii step": run_step, "normaliser": lambda: [normalize_japanese(t) for t in texts], "quality chain": run_chain}
    best = {}
    for name, fn in candidates.items():
        fn()  # warm up
        best[name] = min(_timed(fn) for _ in range(rounds))
    print(f"\nspeed on the shared real corpus ({len(texts)} documents, {chars:,} characters; best of {rounds}):")
    for name, dt in best.items():
        print(f"  {name:<14} {chars / dt / 1e6:7.2f} M chars/s  ({dt:.2f} s)")
    share = best["pii step"] / best["quality chain"]
    print(f"  the step is {share:.1%} of the quality chain's time (goal ≤ 10 %), "
          f"{best['pii step'] / best['normaliser']:.2f}x the normaliser's")  # fmt: skip


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="print each tool's misses and false hits")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args(argv)
    accuracy(args.misses)
    if not args.no_speed:
        speed()


if __name__ == "__main__":
    main()
