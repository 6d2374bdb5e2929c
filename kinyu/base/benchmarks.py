"""The benchmark tasks and their data files: the one task list, where each task's file lives, and
one reader per file format.

Evaluation scores these tasks (``kinyu.evaluation``) and decontamination removes their text from
the corpus (``kinyu.corpus.decontam``); both read the files here, so they see the same items.
The tasks are japanese-lm-fin-harness's five:

- cma_basics, fp2, security_sales_1: ``<task>/data.json`` of a fin-harness data dir
  (``{"data": [{id, question, context, choices: [{id, text}], answer}, ...]}``);
- cpa_audit: sheet ``data`` of ``cpa/CPA_AUDIT.xlsx``;
- chabsa: a folder of chABSA's ``*_ann.json`` files (one per annual report);
- u4_tableqa, u4_tableqa_mc (not among the five): a ``filings-u4`` folder (NTCIR-18 U4 table QA,
  read by :mod:`kinyu.base.u4`), its valid or test split.

The readers return plain records (dicts of the file's own fields); what a record means to a
stage (an lm-eval document, lines to match) is that stage's business.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from kinyu.base.errors import PathNotFound

TASKS = ("chabsa", "cma_basics", "cpa_audit", "fp2", "security_sales_1")
# NTCIR-18 U4 table QA (kinyu.base.u4): the value of a table's cell, generated / chosen by
# likelihood. Not in TASKS (the fin-harness leaderboard): named with --tasks
U4_TASKS = ("u4_tableqa", "u4_tableqa_mc")
ALL_TASKS = TASKS + U4_TASKS
CHABSA = "chabsa"
# where the filings-u4 folder is looked for when none is given: beside the fin-harness data dir,
# in it, then the shared data folder ($KINYU_SHARED_DATA, else ../shared/data beside the repo)
U4_FOLDER = "filings-u4"
U4_CANDIDATES = ("../filings-u4", "filings-u4")
# where each task's file lives in a fin-harness data dir (chabsa is a folder of its own)
TASK_FILES = {
    "cma_basics": "cma_basics/data.json",
    "fp2": "fp2/data.json",
    "security_sales_1": "security_sales_1/data.json",
    "cpa_audit": "cpa/CPA_AUDIT.xlsx",
}
# where chABSA's *.json files are looked for when no chabsa_dir is given, relative to data_dir
CHABSA_CANDIDATES = ("chabsa", "chabsa-json", "../real/chabsa-json")
XLSX_SHEET = "data"


class TaskDataError(PathNotFound):
    """A task's data file or folder is missing or unreadable."""


def u4_candidates(data_dir: str | Path | None) -> list[Path]:
    """Where a filings-u4 folder is looked for when none is given, in order."""
    tried = [Path(data_dir) / c for c in U4_CANDIDATES] if data_dir else []
    if os.environ.get("KINYU_SHARED_DATA"):
        tried.append(Path(os.environ["KINYU_SHARED_DATA"]) / U4_FOLDER)
    tried.append(Path(__file__).resolve().parents[2].parent / "shared" / "data" / U4_FOLDER)
    return tried


def resolve_u4_dir(data_dir: str | Path | None, u4_dir: str | Path | None, split: str) -> Path:
    """The filings-u4 folder holding ``split`` (valid or test; train is refused)."""
    from kinyu.base import u4

    try:
        u4.check_eval_split(split)
    except ValueError as e:
        raise TaskDataError(f"U4 table QA: {e}") from None
    tried = [Path(u4_dir)] if u4_dir else u4_candidates(data_dir)
    for folder in tried:
        if (folder / "questions" / f"{split}-questions.json.xz").is_file() and (folder / f"reports-{split}.tar.xz").is_file():
            return folder.resolve()
    raise TaskDataError(
        f"U4 table QA: no filings-u4 folder with questions/{split}-questions.json.xz and reports-{split}.tar.xz; "
        f"looked in {', '.join(str(p) for p in tried)}. Pass --u4-dir DIR."
    )


def resolve_task_file(task: str, data_dir: str | Path | None, chabsa_dir: str | Path | None = None,
                      u4_dir: str | Path | None = None, u4_split: str = "valid") -> Path:
    """The local file (or, for chabsa and the U4 tasks, folder) that ``task`` reads; a clear error if absent."""
    if task in U4_TASKS:
        return resolve_u4_dir(data_dir, u4_dir, u4_split)
    if task == CHABSA:
        tried = []
        if chabsa_dir:
            tried.append(Path(chabsa_dir))
        elif data_dir:
            tried += [Path(data_dir) / c for c in CHABSA_CANDIDATES]
        for folder in tried:
            if folder.is_dir() and chabsa_files(folder):
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


def task_of_file(path: str | Path) -> str | None:
    """The task whose fin-harness file ``path`` is (``…/fp2/data.json`` -> ``fp2``), or None."""
    posix = Path(path).as_posix()
    return next((task for task, rel in TASK_FILES.items() if posix == rel or posix.endswith("/" + rel)), None)


def task_folders(data_dir: str | Path) -> list[Path]:
    """The task folders of a fin-harness data dir that hold their task's file, by name."""
    root = Path(data_dir)
    return sorted({(root / rel).parent for rel in TASK_FILES.values() if (root / rel).is_file()})


# --------------------------------------------------------------------------------------------
# readers, one per file format


def read_json_file(path: str | Path) -> tuple[str, list]:
    """``(kind, records)`` of one benchmark ``.json`` file.

    A chABSA ``*_ann.json`` gives ``("chabsa", sentences)``: one record per sentence with
    ``document_id``, ``sentence_id``, ``sentence`` and ``opinions`` (``[{target, polarity, …}]``).
    Any other gives ``("records", the "data" list, or the top-level list)``, as in fin-harness's
    ``data.json`` (records are dicts, or plain strings).
    """
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("sentences"), list):
        document = (data.get("header") or {}).get("document_id") or path.stem.split("_")[0]
        sentences = [
            {"document_id": document, "sentence_id": s.get("sentence_id", i), "sentence": s.get("sentence"),
             "opinions": s.get("opinions") or []}
            for i, s in enumerate(data["sentences"])
        ]
        return CHABSA, sentences
    records = data.get("data") if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise ValueError(f"{path}: no list of benchmark records ('data' list or top-level list)")
    return "records", records


def chabsa_files(folder: str | Path) -> list[Path]:
    """chABSA's ``*.json`` files of a folder, in name order."""
    return sorted(Path(folder).glob("*.json"))


def read_chabsa(folder: str | Path) -> list[dict[str, Any]]:
    """Every sentence record (see :func:`read_json_file`) of a chABSA folder, file by file in name order."""
    sentences = []
    for path in chabsa_files(folder):
        kind, records = read_json_file(path)
        if kind != CHABSA:
            raise ValueError(f"{path}: not a chABSA annotation file (no 'sentences' list)")
        sentences += records
    return sentences


def cell_text(value: Any) -> str:
    """A spreadsheet key or header cell as text: a sheet stores 1 as 1.0 (-> "1"); empty -> ""."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def read_xlsx_rows(path: str | Path, sheet: str = XLSX_SHEET) -> list[dict[str, Any]]:
    """The rows of sheet ``sheet`` (else the first) as ``{header text: value}``, read the way
    upstream's loader reads them (pandas ``read_excel``: a column of whole numbers is read as
    ints, one with gaps as floats), an empty cell as None; header cells as :func:`cell_text`."""
    import pandas as pd  # heavy: only a spreadsheet needs it

    with pd.ExcelFile(path) as book:
        frame = pd.read_excel(book, sheet_name=sheet if sheet in book.sheet_names else book.sheet_names[0])
    header = [cell_text(c) for c in frame.columns]
    return [
        {h: None if isinstance(v, float) and math.isnan(v) else v for h, v in zip(header, row.values())}
        for row in frame.to_dict(orient="records")
    ]
