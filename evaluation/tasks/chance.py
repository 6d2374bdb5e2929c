"""What random guessing scores on each task, on the same items the model is scored on: the line a
small proxy's task score has to clear before it says anything.

- multiple choice (cma_basics, cpa_audit, fp2, security_sales_1): the mean of 1 / (number of choices)
  over the items, x100;
- u4_tableqa_mc: the mean of 1 / (number of choices); u4_tableqa (generated values): 0;
- chabsa: its metric (``two_class_adjusted_macro_f1``) of uniform random positive/negative guesses
  against the gold labels, averaged over seeded draws.
"""

from __future__ import annotations

import random
from typing import Sequence

from kinyu.evaluation.tasks.data import read_task_docs
from kinyu.evaluation.tasks.metrics import two_class_adjusted_macro_f1

CHABSA_LABELS = {"positive": 0, "negative": 1}  # the two choices offered; "neutral" golds count as -100 (see metrics)
DRAWS = 200


def chance_level(task: str, data_dir=None, chabsa_dir=None, limit: int | None = None, u4_dir=None, u4_split: str = "valid") -> float:
    """The expected leaderboard score (x100) of random guessing on the first ``limit`` items of ``task``."""
    docs = read_task_docs(task, data_dir, chabsa_dir, u4_dir, u4_split)[:limit]
    if not docs:
        raise ValueError(f"task {task}: no items")
    if task == "u4_tableqa":
        return 0.0  # a generated value: no guess to draw from
    if task == "u4_tableqa_mc":
        return 100.0 * sum(1.0 / len(d["choices"]) for d in docs) / len(docs)
    if task == "chabsa":
        golds = [CHABSA_LABELS.get(d["polarity"], -100) for d in docs]
        rng = random.Random(0)
        draws = [two_class_adjusted_macro_f1([(g, rng.randrange(2)) for g in golds]) for _ in range(DRAWS)]
        return 100.0 * sum(draws) / len(draws)
    return 100.0 * sum(1.0 / len(d["choices"]["text"]) for d in docs) / len(docs)


def chance_levels(tasks: Sequence[str], data_dir=None, chabsa_dir=None, limit: int | None = None, u4_dir=None,
                  u4_split: str = "valid") -> dict[str, float]:
    return {t: chance_level(t, data_dir, chabsa_dir, limit, u4_dir, u4_split) for t in tasks}
