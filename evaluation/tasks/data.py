"""Read the benchmark data from the user's folders into lm-eval documents (no hub, no scripts).

Upstream (pfnet-research/japanese-lm-fin-harness) builds its datasets with HF dataset
scripts that ``datasets`` >= 4 no longer runs and that download chABSA; these loaders make
the same items, in the same order, from local files:

- cma_basics, fp2, security_sales_1: ``<task>/data.json`` rows as they are;
- cpa_audit: sheet ``data`` of ``cpa/CPA_AUDIT.xlsx``, dropping rows without a question and
  rows with ``abnormal_flg == 1`` (408 -> 398 items), statements ア..カ joined as the context;
- chabsa: one item per opinion of every ``*.json`` of the chABSA folder, neutral included
  (upstream keeps neutral items: they count as wrong for acc and as a third, never predicted,
  class for its macro-F1). Files are read in sorted name order (upstream's ``glob`` order is
  the file system's; totals do not depend on it, ``--limit`` subsets do).

The task folder is found from lm-eval task metadata ``data_dir`` (the fin-harness folder) and
``chabsa_dir``; :func:`resolve_task_file` gives the error a user sees for a missing file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

TASK_FILES = {
    "cma_basics": "cma_basics/data.json",
    "fp2": "fp2/data.json",
    "security_sales_1": "security_sales_1/data.json",
    "cpa_audit": "cpa/CPA_AUDIT.xlsx",
}
# where chABSA's *.json files are looked for when no chabsa_dir is given, relative to data_dir
CHABSA_CANDIDATES = ("chabsa", "chabsa-json", "../real/chabsa-json")


class TaskDataError(FileNotFoundError):
    """A task's data file or folder is missing or unreadable."""


def resolve_task_file(task: str, data_dir: str | Path | None, chabsa_dir: str | Path | None = None) -> Path:
    """The local file (or, for chabsa, folder) that ``task`` reads; a clear error if absent."""
    if task == "chabsa":
        tried = []
        if chabsa_dir:
            tried.append(Path(chabsa_dir))
        elif data_dir:
            tried += [Path(data_dir) / c for c in CHABSA_CANDIDATES]
        for folder in tried:
            if folder.is_dir() and any(folder.glob("*.json")):
                return folder.resolve()
        where = ", ".join(str(p) for p in tried) or "nowhere (no --data-dir or --chabsa-dir given)"
        raise TaskDataError(
            f"task chabsa: no chABSA *.json files found; looked in {where}. "
            "Pass --chabsa-dir DIR (the folder of chABSA's e*_ann.json files)."
        )
    if task not in TASK_FILES:
        raise TaskDataError(f"unknown task {task!r}")
    if not data_dir:
        raise TaskDataError(f"task {task}: no --data-dir given (the folder that holds {TASK_FILES[task]})")
    path = Path(data_dir) / TASK_FILES[task]
    if not path.is_file():
        raise TaskDataError(f"task {task}: data file not found: {path} (expected {TASK_FILES[task]} under --data-dir)")
    return path


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
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [_mcq_doc(row) for row in data["data"]]


def _cell_str(value: Any) -> str:
    # pandas' astype(str), as upstream applies it: a missing cell reads "nan"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


CPA_STATEMENTS = ("ア", "イ", "ウ", "エ", "オ", "カ")


def read_cpa_audit(path: Path) -> list[dict[str, Any]]:
    import pandas as pd  # heavy: only cpa_audit reads a spreadsheet

    df = pd.read_excel(path, sheet_name="data", index_col=0)
    docs = []
    for row in df.to_dict(orient="records"):
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
                "choices": {"id": list(range(6)), "text": [_cell_str(row[i + 1]) for i in range(6)]},
                "answer": int(row["a_no"]) - 1,
            }
        )
    return docs


def read_chabsa(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(Path(folder).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for sentence in data["sentences"]:
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


def read_task_docs(task: str, data_dir=None, chabsa_dir=None) -> list[dict[str, Any]]:
    """All documents of ``task`` as plain dicts, in upstream's item order."""
    path = resolve_task_file(task, data_dir, chabsa_dir)
    if task == "chabsa":
        return read_chabsa(path)
    if task == "cpa_audit":
        return read_cpa_audit(path)
    return read_json_mcq(path)


def load_as_dataset(task: str, **metadata: Any):
    """lm-eval ``custom_dataset`` hook: a ``DatasetDict`` with the one ``test`` split."""
    import datasets  # heavy (pyarrow): imported when lm-eval asks for the data

    docs = read_task_docs(task, metadata.get("data_dir"), metadata.get("chabsa_dir"))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})
