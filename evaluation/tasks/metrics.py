"""Scores as japanese-lm-fin-harness computes them (its jlm_fin_eval/api/metrics.py and leaderboard)."""

from __future__ import annotations

from typing import Iterable, Sequence


def two_class_adjusted_macro_f1(items: Iterable[Sequence]) -> float:
    """chabsa's f1: sklearn macro-F1 over (gold, pred) pairs, times 1.5.

    lm-eval marks a gold label outside the choices (chABSA's "neutral") as -100, so the
    macro average runs over three classes of which "neutral" is never predicted (F1 0);
    ×1.5 turns that into the mean F1 of positive and negative.
    """
    from sklearn.metrics import f1_score  # heavy (scipy): imported when chabsa is scored

    golds, preds = zip(*items)
    return float(f1_score(golds, preds, average="macro") * 1.5)


def leaderboard_score(task_metrics: dict[str, float]) -> float:
    """A task's leaderboard number: ``f1`` where the task reports it, else ``acc``, else
    ``exact_match`` (a generative task, u4_tableqa); ×100."""
    value = task_metrics.get("f1", task_metrics.get("acc", task_metrics.get("exact_match")))
    return 100.0 * (value or 0.0)


def leaderboard_average(scores: dict[str, float]) -> float:
    """Upstream's ``Ave.``: the mean of the task scores, skipping zeros as its script does."""
    nonzero = [s for s in scores.values() if s]
    return sum(nonzero) / len(nonzero) if nonzero else 0.0


AVERAGE_RULE = ("leaderboard Ave.: the mean of the task scores that are not 0 (upstream's leaderboard script "
                "skips a task scoring 0); mean_all: the mean of every task score")


def plain_average(scores: dict[str, float]) -> float:
    """The mean of every task score, zeros included (printed beside upstream's ``Ave.``)."""
    values = list(scores.values())
    return sum(values) / len(values) if values else 0.0


def skipped_by_average(scores: dict[str, float]) -> list[str]:
    """The tasks ``leaderboard_average`` leaves out (score 0)."""
    return sorted(t for t, s in scores.items() if not s)
