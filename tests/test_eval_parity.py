"""Scoring parity: kinyu's task scores equal lm-eval's with upstream's definitions on the same items.

The reference side is built here, independently of ``evaluation/tasks``: each upstream
default task written as an inline lm-eval task config (upstream's description, target
delimiter, choices and metric; its prompt functions re-written as plain callables) over
documents read straight from the shared data files. Both sides run through lm-eval 0.4's
HF wrapper on the same tiny model (built from a config, no download), first 20 items each.
"""

from __future__ import annotations

import json

import pytest


LIMIT = 20


# ---- reference documents, read from the raw files --------------------------------------------


def _json_docs(fin, task):
    rows = json.loads((fin / task / "data.json").read_text(encoding="utf-8"))["data"]
    return [
        {"question": r["question"], "context": r["context"] or "",
         "ids": [c["id"] for c in r["choices"]], "texts": [c["text"] for c in r["choices"]], "answer": r["answer"]}
        for r in rows
    ]


def _cpa_docs(fin):
    import pandas as pd

    df = pd.read_excel(fin / "cpa" / "CPA_AUDIT.xlsx", sheet_name="data", index_col=0)
    docs = []
    for _, r in df.iterrows():
        if not isinstance(r["question"], str) or r["abnormal_flg"] == 1:
            continue
        ctx = "\n".join(f"{m}: {r[m]}" for m in "アイウエオカ" if isinstance(r[m], str) and r[m])
        docs.append({"question": r["question"], "context": ctx, "ids": list(range(6)),
                     "texts": [str(r[i]) for i in range(1, 7)], "answer": int(r["a_no"]) - 1})
    return docs


def _chabsa_docs(chabsa):
    docs = []
    for path in sorted(chabsa.glob("*.json")):
        for s in json.loads(path.read_text(encoding="utf-8"))["sentences"]:
            docs.extend({"sentence": s["sentence"], "target": o["target"], "polarity": o["polarity"]} for o in s["opinions"])
    return docs


def _dataset(docs):
    import datasets

    return lambda **_: datasets.DatasetDict({"test": datasets.Dataset.from_list(docs[:LIMIT])})


# ---- upstream's default prompts, as plain callables ------------------------------------------


def _lettered(doc):
    lines = ["【問題】", doc["question"]]
    if doc["context"]:
        lines.append(doc["context"])
    lines += ["", "【選択肢】"] + [f"{chr(65 + i)}: {t}" for i, t in zip(doc["ids"], doc["texts"])]
    return "\n".join(lines) + "\n\n【答え】\n"


def _fp2(doc):
    return "【問題】\n" + doc["question"] + "\n" + (doc["context"] + "\n" if doc["context"] else "") + "\n【答え】\n"


def _chabsa_f1(items):
    from sklearn.metrics import f1_score

    golds, preds = zip(*items)
    return f1_score(golds, preds, average="macro") * 1.5


MEAN = [{"metric": "acc", "aggregation": "mean", "higher_is_better": True},
        {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}]


def reference_tasks(fin, chabsa):
    letters = {
        "output_type": "multiple_choice", "test_split": "test", "target_delimiter": "", "metric_list": MEAN,
        "doc_to_text": _lettered, "doc_to_target": lambda d: chr(65 + d["answer"]),
        "doc_to_choice": lambda d: [chr(65 + i) for i in d["ids"]],
    }
    return [
        {"task": "ref_chabsa", "custom_dataset": _dataset(_chabsa_docs(chabsa)), "output_type": "multiple_choice", "test_split": "test",
         "description": "以下のセンテンスにおける、ターゲットのセンチメントをpositiveかnegativeで答えてください。\n\n\n",
         "doc_to_text": "センテンス: {{sentence}}\nターゲット: {{target}}\n回答:", "doc_to_target": "{{polarity}}",
         "doc_to_choice": ["positive", "negative"],
         "metric_list": MEAN + [{"metric": "f1", "aggregation": _chabsa_f1, "higher_is_better": True}]},
        {**letters, "task": "ref_cma_basics", "custom_dataset": _dataset(_json_docs(fin, "cma_basics")),
         "description": "以下の問題の適切な答えを選択肢から選んでアルファベットで答えなさい。\n\n\n"},
        {**letters, "task": "ref_security_sales_1", "custom_dataset": _dataset(_json_docs(fin, "security_sales_1")),
         "description": "以下の問題の適切な答えを選択肢から選んでアルファベットで答えなさい。\n\n\n"},
        {**letters, "task": "ref_cpa_audit", "custom_dataset": _dataset(_cpa_docs(fin)),
         "description": "以下の問題の答えとして適切な記号の組み合わせを選択肢から選んでアルファベットで答えなさい。\n\n\n"},
        {"task": "ref_fp2", "custom_dataset": _dataset(_json_docs(fin, "fp2")), "output_type": "multiple_choice", "test_split": "test",
         "target_delimiter": "", "metric_list": MEAN, "doc_to_text": _fp2,
         "description": "以下の問題の適切な答えを選択肢から選んで１～４の数字で答えなさい。\n\n\n",
         "doc_to_target": lambda d: d["texts"][d["ids"].index(d["answer"])], "doc_to_choice": lambda d: list(d["texts"])},
    ]


@pytest.fixture(scope="module")
def lm(fin_harness, tmp_path_factory):
    from kinyu.evaluation.harness import load_lm, set_offline
    from kinyu.evaluation.tasks.data import read_task_docs
    from testkit.models import build_tiny_model

    set_offline()
    texts = [d["question"] + d["context"] for d in read_task_docs("fp2", fin_harness)][:300]
    folder = build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", texts, seed=1, max_position_embeddings=1024)
    return load_lm(folder, batch_size=16)


@pytest.mark.real_data
def test_kinyu_scores_equal_lm_eval_with_upstream_definitions(lm, fin_harness, chabsa_dir):
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from kinyu.evaluation.harness import TASKS, evaluate_lm

    ours = evaluate_lm(lm, TASKS, fin_harness, chabsa_dir, "default", LIMIT, log_samples=True)
    ref_run = simple_evaluate(model=lm, tasks=reference_tasks(fin_harness, chabsa_dir), task_manager=TaskManager(include_defaults=False),
                              limit=LIMIT, bootstrap_iters=0, log_samples=True)
    ref = ref_run["results"]
    # the very same (context, continuation) requests, item by item and choice by choice
    our_samples = ours["samples"]
    for task in TASKS:
        mine = [[tuple(a) for a in s["arguments"]] for s in our_samples[task]]
        theirs = [[tuple(a) for a in s["arguments"]] for s in ref_run["samples"][f"ref_{task}"]]
        assert mine == theirs, task
    compared = 0
    for task in TASKS:
        mine, theirs = ours["tasks"][task], ref[f"ref_{task}"]
        assert mine["n"] == LIMIT
        for metric in ("acc", "acc_norm", "f1"):
            if f"{metric},none" in theirs:
                assert mine[metric] == pytest.approx(theirs[f"{metric},none"], abs=1e-12), (task, metric)
                compared += 1
    assert compared == 11
    # the leaderboard number: chabsa's f1, acc elsewhere, x100, mean of the non-zero scores
    scores = [ours["tasks"]["chabsa"]["f1"] * 100] + [ours["tasks"][t]["acc"] * 100 for t in TASKS[1:]]
    nonzero = [s for s in scores if s]
    assert ours["average"] == pytest.approx(sum(nonzero) / len(nonzero))


def test_chabsa_f1_is_upstream_two_class_adjusted_macro_f1():
    from kinyu.evaluation.tasks.metrics import leaderboard_average, two_class_adjusted_macro_f1

    # gold -100 = neutral (not a choice): a third class never predicted, so x1.5 = mean of two F1s
    items = [(0, 0), (0, 1), (1, 1), (-100, 0), (1, 1)]
    f1_pos = 2 * 1 / (2 * 1 + 1 + 1)  # tp 1, fp 1 (the neutral item), fn 1
    f1_neg = 2 * 2 / (2 * 2 + 1 + 0)
    assert two_class_adjusted_macro_f1(items) == pytest.approx((f1_pos + f1_neg) / 2)
    assert leaderboard_average({"a": 50.0, "b": 0.0, "c": 70.0}) == pytest.approx(60.0)


def test_the_average_says_it_skips_zeros_and_the_plain_mean_is_beside_it():
    from kinyu.evaluation.harness import results_table
    from kinyu.evaluation.tasks.metrics import plain_average, skipped_by_average

    scores = {"chabsa": 60.0, "cma_basics": 0.0, "fp2": 30.0}
    assert plain_average(scores) == pytest.approx(30.0) and skipped_by_average(scores) == ["cma_basics"]
    tasks = {t: {"prompt_version": "default", "n": 10, "acc": s / 100, "score": s} for t, s in scores.items()}
    table = results_table({"prompt_version": "default", "limit": None, "tasks": tasks, "average": 45.0,
                           "mean_all": 30.0, "average_skipped": ["cma_basics"]})
    assert "| **average** (leaderboard Ave., zeros skipped) | | | | | | **45.00** |" in table
    assert "| mean of all 3 tasks | | | | | | 30.00 |" in table
    assert "(skipped here: cma_basics)" in table
