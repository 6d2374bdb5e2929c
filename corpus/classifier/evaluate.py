"""Measuring the classifier on held-out documents, beside the packaged lexicon tagger
(``kinyu.corpus.filters.domain.finance_score``) on the same documents: precision, recall and F1 at
the build's thresholds, the lexicon also at the threshold that suits it best on this very set (an
upper bound for it), the misclassified documents, and the score distributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kinyu.corpus.classifier.model import FinanceModel
from kinyu.corpus.classifier.sources import iter_texts
from kinyu.corpus.filters.domain import finance_score


def confusion(pos_scores: list[float], neg_scores: list[float], threshold: float) -> dict:
    tp = sum(s >= threshold for s in pos_scores)
    fp = sum(s >= threshold for s in neg_scores)
    fn, tn = len(pos_scores) - tp, len(neg_scores) - fp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": round(float(threshold), 4), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def best_threshold(pos_scores: list[float], neg_scores: list[float]) -> dict:
    """The threshold with the highest F1 on these scores (ties: the lower threshold)."""
    candidates = sorted(set(pos_scores) | set(neg_scores))
    return max((confusion(pos_scores, neg_scores, t) for t in candidates), key=lambda c: (c["f1"], -c["threshold"]))


def quantiles(scores: list[float]) -> dict:
    if not scores:
        return {}
    q = np.quantile(np.asarray(scores, dtype=float), [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0])
    return dict(zip(("min", "p5", "p25", "median", "p75", "p95", "max"), (round(float(v), 4) for v in q)))


def evaluate(model_path: str | Path, positives: list[str], negatives: list[str], threshold: float = 0.5,
             lexicon_min_score: float = 40.0, show_errors: int = 10) -> dict:
    """Both methods on the held-out ``positives`` (financial) and ``negatives`` (general)."""
    model = FinanceModel(model_path)
    scored, per_source = {}, []
    for side, sources in (("positives", positives), ("negatives", negatives)):
        rows = []
        for source in sources:
            part = [(doc_id, model.prob(text), finance_score(text)[0], len(text)) for doc_id, text in iter_texts([source])]
            rows += part
            hits = sum(r[1] >= threshold for r in part)
            lexicon_hits = sum(r[2] >= lexicon_min_score for r in part)
            per_source.append({"side": side, "source": source, "documents": len(part), "classifier_financial": hits,
                               "lexicon_financial": lexicon_hits})
        scored[side] = rows
    pos, neg = scored["positives"], scored["negatives"]
    clf_pos, clf_neg = [r[1] for r in pos], [r[1] for r in neg]
    lex_pos, lex_neg = [r[2] for r in pos], [r[2] for r in neg]
    errors = sorted([("missed", r[0], r[1], r[2]) for r in pos if r[1] < threshold]
                    + [("false positive", r[0], r[1], r[2]) for r in neg if r[1] >= threshold], key=lambda e: e[2])
    lexicon_errors = sorted([("missed", r[0], r[1], r[2]) for r in pos if r[2] < lexicon_min_score]
                            + [("false positive", r[0], r[1], r[2]) for r in neg if r[2] >= lexicon_min_score], key=lambda e: e[3])
    return {
        "documents": {"positives": len(pos), "negatives": len(neg), "positive_sources": list(positives), "negative_sources": list(negatives)},
        "per_source": per_source,
        "classifier": confusion(clf_pos, clf_neg, threshold),
        "lexicon": confusion(lex_pos, lex_neg, lexicon_min_score),
        "lexicon_best": best_threshold(lex_pos, lex_neg),
        "classifier_scores": {"positives": quantiles(clf_pos), "negatives": quantiles(clf_neg)},
        "lexicon_scores": {"positives": quantiles(lex_pos), "negatives": quantiles(lex_neg)},
        "errors": [{"kind": k, "id": i, "finance_prob": p, "lexicon_score": s} for k, i, p, s in errors[:show_errors]],
        "lexicon_errors": [{"kind": k, "id": i, "finance_prob": p, "lexicon_score": s} for k, i, p, s in lexicon_errors[:show_errors]],
    }
