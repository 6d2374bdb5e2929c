"""The evaluation config (``configs/eval.yaml``); every field is also a ``kinyu eval`` flag.

:class:`TaskDataConfig` says which benchmark data is scored. It is the one section that ``kinyu eval``,
the ablation proxies (``kinyu corpus ablate``), ``kinyu study cpt`` and ``kinyu demo`` share, flattened
into each (its YAML keys and flags carry no section name: ``data_dir``, ``--data-dir``); a workflow
gives its own default item limit through the section's factory, nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kinyu.base.benchmarks import ALL_TASKS, TASK_FILES, TASKS, U4_TASKS
from kinyu.base.u4 import EVAL_SPLITS, eval_split_problem
from kinyu.base.config import option

from kinyu.evaluation.harness import task_problems

_TASK_FOLDERS = ", ".join(sorted({rel.split("/")[0] + "/" for rel in TASK_FILES.values()}))


@dataclass
class TaskDataConfig:
    """Which benchmark data to score: the tasks, their data folders, and how many items of each."""

    tasks: list[str] = option(factory=lambda: list(TASKS), help=f"tasks, comma separated (default: the five fin-harness tasks; also {', '.join(t for t in ALL_TASKS if t not in TASKS)})")
    data_dir: Path | None = option(None, f"folder with the fin-harness task data ({_TASK_FOLDERS})")
    chabsa_dir: Path | None = option(None, "folder of chABSA *.json; default: DATA_DIR/chabsa, DATA_DIR/chabsa-json or DATA_DIR/../real/chabsa-json")
    u4_dir: Path | None = option(None, "U4 table QA (u4_tableqa, u4_tableqa_mc): the filings-u4 folder; default: DATA_DIR/../filings-u4, DATA_DIR/filings-u4 or the shared data's filings-u4")
    u4_split: str = option("valid", f"U4 table QA split: {' or '.join(EVAL_SPLITS)} (valid for tuning, test the final split; train is training data, never evaluated)")
    limit: int | None = option(None, "score only the first N items of each task")

    def given(self) -> bool:
        """Task data given, or a U4 task named (its folder has a default: the shared filings-u4): the tasks are scored."""
        return (self.data_dir is not None or self.chabsa_dir is not None or self.u4_dir is not None
                or any(t in U4_TASKS for t in self.tasks))

    def problems(self) -> list[str]:
        found = task_problems(self.tasks)
        if problem := eval_split_problem(self.u4_split):
            found.append(f"u4_split: {problem}")
        if self.limit is not None and self.limit < 1:
            found.append("limit: must be at least 1")
        return found


@dataclass
class EvalConfig:
    model: str | None = option(None, "local HF model directory to score (kinyu eval)")
    task_data: TaskDataConfig = option(factory=TaskDataConfig, flatten=True)
    prompt_version: str = option("default", "default, a version such as 1.0-0.2, or all (best per model)")
    batch_size: int = option(8, "lm-eval batch size")
    device: str = option("cpu", "cpu, cuda, cuda:N or auto")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = option("auto", "model weights dtype (auto: float32 on CPU, the checkpoint's on GPU)")
    seed: int = option(0, "seed for lm-eval's random, numpy and torch")
    out: str | None = option(None, "the result JSON (kinyu eval), the EVAL_OUT folder (sweep; default TRAIN_RUN/eval) or the markdown (compare)")
    bpc_corpora: list[str] = option([], "bits per character on CORPUS_RUN validation shards: NAME=PATH or PATH, comma separated")
    bpc_texts: list[str] = option([], "bits per character on text folders: NAME=PATH or PATH, comma separated")
    bpc_max_docs: int | None = option(None, "score at most N documents per bits-per-character set")
    compare_items_per_task: int = option(2, "compare: items of each task used as prompts")
    compare_max_new_tokens: int = option(32, "compare: greedy tokens generated per prompt")

    def problems(self) -> list[str]:
        found = task_problems((), self.prompt_version)  # the task names: TaskDataConfig's own check
        if self.batch_size < 1:
            found.append("batch_size: must be at least 1")
        return found
