"""Read the benchmark data from the user's folders into lm-eval documents (no hub, no scripts).

Upstream (pfnet-research/japanese-lm-fin-harness) builds its datasets with HF dataset
scripts that ``datasets`` >= 4 no longer runs and that download chABSA; these loaders make
the same items, in the same order, from local files:

- cma_basics, fp2, security_sales_1: ``<task>/data.json`` rows as they are;
- cpa_audit: sheet ``data`` of ``cpa/CPA_AUDIT.xlsx``, dropping rows without a question and
  rows with ``abnormal_flg == 1`` (408 -> 398 items), statements ア..カ joined as the context;
- u4_tableqa, u4_tableqa_mc: NTCIR-18 U4 table-QA questions with their table
  (``u4_tableqa/items.py``), from a filings-u4 folder's valid or test split;
- chabsa: one item per opinion of every ``*.json`` of the chABSA folder, neutral included
  (upstream keeps neutral items: they count as wrong for acc and as a third, never predicted,
  class for its macro-F1). Files are read in sorted name order (upstream's ``glob`` order is
  the file system's; totals do not depend on it, ``--limit`` subsets do).

The files are read with the readers of ``kinyu.base.benchmarks`` (decontamination reads the same
items with them); the task folder is found from lm-eval task metadata ``data_dir`` (the
fin-harness folder) and ``chabsa_dir``, and ``resolve_task_file`` gives the error a user sees
for a missing file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kinyu.base.benchmarks import ALL_TASKS, CHABSA, read_json_file, read_xlsx_rows, resolve_task_file
from kinyu.base.benchmarks import read_chabsa as read_chabsa_sentences


def _mcq_doc(row: dict[str, Any]) -> dict[str, Any]:
    # the layout HF ``datasets`` gives a Sequence of {id, text}: a dict of two lists
    return {
        "id": int(row["id"]),
        "question": str(row["question"]),
        "context": str(row.get("context") or ""),
        "choices": {
            "id": [int(c["id"]) for c in row["choices"]],
            "text": [str(c["text"]) for c in row["choices"]],
        },
        "answer": int(row["answer"]),
    }


def read_json_mcq(path: Path) -> list[dict[str, Any]]:
    _, rows = read_json_file(path)
    return [_mcq_doc(row) for row in rows]


def _cell_str(value: Any) -> str:
    # pandas' astype(str), as upstream applies it: an empty cell reads "nan"
    return "nan" if value is None else str(value)


CPA_STATEMENTS = ("ア", "イ", "ウ", "エ", "オ", "カ")


def read_cpa_audit(path: Path) -> list[dict[str, Any]]:
    docs = []
    for row in read_xlsx_rows(path):
        question = _cell_str(row["question"])
        if question in ("", "nan"):
            continue
        if row["abnormal_flg"] == 1:
            continue
        statements = [
            f"{mark}: {text}"
            for mark in CPA_STATEMENTS
            if (text := _cell_str(row.get(mark))) not in ("", "nan")
        ]
        docs.append(
            {
                "id": len(docs),
                "question": question,
                "context": "\n".join(statements),
                # answer options are the columns 1..6 (combinations such as "アイ")
                "choices": {"id": list(range(6)), "text": [_cell_str(row[str(i + 1)]) for i in range(6)]},
                "answer": int(row["a_no"]) - 1,
            }
        )
    return docs


def read_chabsa(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for sentence in read_chabsa_sentences(folder):
        for opinion in sentence["opinions"]:
            docs.append(
                {
                    "id": len(docs),
                    "sentence": sentence["sentence"],
                    "target": opinion["target"],
                    "polarity": opinion["polarity"],
                }
            )
    return docs


def read_task_docs(task: str, data_dir=None, chabsa_dir=None, u4_dir=None, u4_split: str = "valid") -> list[dict[str, Any]]:
    """All documents of ``task`` as plain dicts, in upstream's item order."""
    path = resolve_task_file(task, data_dir, chabsa_dir, u4_dir, u4_split)
    if task in ("u4_tableqa", "u4_tableqa_mc"):
        from kinyu.evaluation.tasks.u4_tableqa.items import multiple_choice, read_u4_docs

        docs = read_u4_docs(path, u4_split)
        return multiple_choice(docs) if task == "u4_tableqa_mc" else docs
    if task == CHABSA:
        return read_chabsa(path)
    if task == "cpa_audit":
        return read_cpa_audit(path)
    return read_json_mcq(path)


def load_as_dataset(task: str, **metadata: Any):
    """lm-eval ``custom_dataset`` hook: a ``DatasetDict`` with the one ``test`` split."""
    import datasets  # heavy (pyarrow): imported when lm-eval asks for the data

    docs = read_task_docs(task, metadata.get("data_dir"), metadata.get("chabsa_dir"), metadata.get("u4_dir"),
                          metadata.get("u4_split") or "valid")
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def dataset_loader(task: str):
    """``task``'s ``custom_dataset`` hook, which its YAMLs name ``utils.load_dataset``."""
    if task not in ALL_TASKS:
        raise ValueError(f"unknown task {task!r}")

    def load_dataset(**metadata: Any):
        return load_as_dataset(task, **metadata)

    return load_dataset
