"""The finance-domain classifier on held-out documents, beside the lexicon tagger.

    python benchmarks/classifier.py [--work DIR]

1. Splits the shared financial documents by document into a training and a held-out part (below:
   later fiscal years and other filing kinds are held out, so that no held-out text has a
   near-copy in training; the MHLW 告示 of 2020 and 2022 are revisions of the 2018 one, which is
   in training, at character 5-gram Jaccard 0.60-0.71 per the shared MANIFEST).
2. Builds a kinyu corpus run of each part (the default pipeline, no token shards): the classifier
   learns from, and is measured on, the cleaned text a build gives it.
3. ``kinyu corpus train-classifier`` on the training run against ``general-ja/train``, measured on
   the held-out run and chABSA (有報 sentences of 230 other companies, one document per company)
   against ``general-ja/heldout``, and prints precision and recall of both methods with the goal
   beside them (>= 0.97 both, and above the lexicon's).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.shared import require_shared  # noqa: E402

ASR = "real/edinet-asr-html"
SAMPLE = "real/edinet-sample-html"
MHLW = "real/mhlw-pdf"
# 有報 sections: FY2019 (S100I*/S100J*) to train, FY2023 (S100T*) held out
# EDINET sample filings: whole document kinds held out (a kind and its amendment stay together: 02+20, 11+21)
SAMPLE_HELDOUT = ("04_", "11_", "13_", "18_", "21_")
# MHLW: 2018 and 2020 fee schedules and the 2018 告示 to train; the 2020/2022 告示 and the 2022 fee schedule held out
MHLW_HELDOUT = ("000602943.pdf", "000907845.pdf", "000907836.pdf")


def split_inputs() -> tuple[list[str], list[str]]:
    asr, sample, mhlw = require_shared(ASR), require_shared(SAMPLE), require_shared(MHLW)
    train, heldout = [], []
    for p in sorted(asr.glob("*.html")):
        (heldout if p.name.startswith("S100T") else train).append(str(p))
    for d in sorted(p for p in sample.iterdir() if p.is_dir()):
        (heldout if d.name.startswith(SAMPLE_HELDOUT) else train).append(str(d))
    for p in sorted(mhlw.glob("*.pdf")):
        (heldout if p.name in MHLW_HELDOUT else train).append(str(p))
    return train, heldout


def chabsa_jsonl(out: Path) -> Path:
    """chABSA (real 有報 sentences of 230 listed companies, none of them in the training part) as one
    document per company, sentences one per line with 「。」 restored, as jsonl."""
    chabsa = require_shared("real/chabsa-json")
    with open(out, "w", encoding="utf-8") as f:
        for p in sorted(chabsa.glob("*.json")):
            data = json.loads(p.read_text(encoding="utf-8"))
            text = "\n".join(s["sentence"].rstrip("。") + "。" for s in data["sentences"] if s["sentence"].strip())
            f.write(json.dumps({"id": f"chabsa/{p.stem}", "text": text}, ensure_ascii=False) + "\n")
    return out


def build_run(inputs: list[str], out: Path, workers: int) -> Path:
    from kinyu.cli import main

    if not (out / "stats" / "summary.json").is_file():
        code = main(["corpus", "build", "--input", *inputs, "--output", str(out), "--tokenize.enabled", "false",
                     "--workers", str(workers), "--tasks", "4"])
        if code:
            raise SystemExit(f"build of {out} failed ({code})")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=None, help="folder for the runs and the model (default: a temporary one)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    general = require_shared("general-ja")
    work = args.work or Path(tempfile.mkdtemp(prefix="kinyu-classifier-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    train, heldout = split_inputs()
    t0 = time.perf_counter()
    fin_train = build_run(train, work / "fin-train", args.workers)
    fin_heldout = build_run(heldout, work / "fin-heldout", args.workers)
    t_build = time.perf_counter() - t0

    from kinyu.corpus.classifier.config import ClassifierTrainConfig
    from kinyu.corpus.classifier.evaluate import evaluate
    from kinyu.corpus.classifier.train import train_classifier, update_card
    from kinyu.corpus.reporting.console import print_classifier_evaluation

    cfg = ClassifierTrainConfig(positives=[str(fin_train)], negatives=[str(general / "train")],
                                heldout_positives=[str(fin_heldout), str(chabsa_jsonl(work / "chabsa.jsonl"))],
                                heldout_negatives=[str(general / "heldout")],
                                out=str(work / "finance.bin"))
    t0 = time.perf_counter()
    model = train_classifier(cfg)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = evaluate(model, cfg.heldout_positives, cfg.heldout_negatives, cfg.threshold, cfg.lexicon_min_score)
    t_eval = time.perf_counter() - t0
    card = update_card(model, heldout=result)
    print_classifier_evaluation(result)
    n = result["documents"]["positives"] + result["documents"]["negatives"]
    clf, lex, best = result["classifier"], result["lexicon"], result["lexicon_best"]
    tr = card["training"]
    print(f"\ntraining: {tr['finance']['documents']} financial documents ({tr['finance']['pieces']} pieces), "
          f"{tr['general']['documents']} general ({tr['general']['pieces']} pieces); model {model.stat().st_size / 1e6:.1f} MB")
    print(f"time: builds {t_build:.0f} s, training {t_train:.1f} s, scoring both methods on {n} documents {t_eval:.1f} s")
    print("\nfigure                          value    goal")
    for name, value, goal, ok in (
        ("classifier precision", clf["precision"], ">= 0.97", clf["precision"] >= 0.97),
        ("classifier recall", clf["recall"], ">= 0.97", clf["recall"] >= 0.97),
        ("lexicon precision (min 40)", lex["precision"], "below the classifier's", lex["precision"] <= clf["precision"]),
        ("lexicon recall (min 40)", lex["recall"], "below the classifier's", lex["recall"] <= clf["recall"]),
        ("lexicon F1, its best threshold", best["f1"], f"below the classifier's F1 {clf['f1']:.4f}", best["f1"] <= clf["f1"]),
    ):
        print(f"{name:<31} {value:.4f}   {goal}  {'met' if ok else 'NOT met'}")
    print(f"\nmodel and card: {model}, {model}.json; runs: {fin_train}, {fin_heldout}")
    (work / "classifier_result.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
