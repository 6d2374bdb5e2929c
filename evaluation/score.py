"""Score one model as an :class:`EvalConfig` asks: the tasks (when task data is given) and
every bits-per-character set. The one path behind ``kinyu eval``, each checkpoint of a sweep
and each ablation proxy; tasks, data files and texts are checked and read before a model loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kinyu.evaluation.bpc import bits_per_character_lm, read_texts, text_sources
from kinyu.evaluation.config import EvalConfig
from kinyu.evaluation.harness import EvalError, check_data, check_tasks, evaluate_lm, free_device_memory, load_lm


@dataclass(frozen=True)
class ScoringPlan:
    """What every model of one evaluation is scored on."""

    tasks: list[str]  # empty: no task data was given, tasks are not scored
    sources: dict[str, tuple[str, str]]  # bits-per-character set -> ("corpus" | "texts", path)
    texts: dict[str, list[str]]  # bits-per-character set -> its documents


def plan_scoring(cfg: EvalConfig) -> ScoringPlan:
    """Check the tasks and their data files and read the bits-per-character texts."""
    sources = text_sources(cfg.bpc_corpora, cfg.bpc_texts)
    data = cfg.task_data
    if not data.given() and not sources:
        raise EvalError("nothing to evaluate: give task data (--data-dir) and/or bits-per-character sets (--bpc-corpora, --bpc-texts)")
    tasks = check_tasks(data.tasks, cfg.prompt_version) if data.given() else []
    check_data(tasks, data.data_dir, data.chabsa_dir, data.u4_dir, data.u4_split)
    texts = {name: read_texts(kind, path, cfg.bpc_max_docs) for name, (kind, path) in sources.items()}
    return ScoringPlan(tasks=tasks, sources=sources, texts=texts)


def score_model(model_dir: str | Path, cfg: EvalConfig, plan: ScoringPlan) -> dict[str, Any]:
    """``{"tasks": evaluate_lm's result (when planned), "bpc": {set: bits_per_character_lm's result}}``."""
    lm = load_lm(model_dir, cfg.batch_size, cfg.device, cfg.dtype)
    scores: dict[str, Any] = {}
    if plan.tasks:
        data = cfg.task_data
        scores["tasks"] = evaluate_lm(lm, plan.tasks, data.data_dir, data.chabsa_dir, cfg.prompt_version, data.limit, cfg.seed,
                                      u4_dir=data.u4_dir, u4_split=data.u4_split)
    scores["bpc"] = {name: bits_per_character_lm(lm, docs) for name, docs in plan.texts.items()}
    del lm  # the next checkpoint of a sweep needs the device memory
    free_device_memory()
    return scores
