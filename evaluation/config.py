"""The evaluation config (``configs/eval.yaml``); every field is also a ``kinyu eval`` flag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kinyu.config import ConfigError

from evaluation.harness import PROMPT_VERSIONS, TASKS


def _help(text: str):
    return {"help": text}


@dataclass
class EvalConfig:
    model: str | None = field(default=None, metadata=_help("local HF model directory to score (kinyu eval)"))
    tasks: list[str] = field(default_factory=lambda: list(TASKS), metadata=_help("tasks, comma separated"))
    data_dir: str | None = field(default=None, metadata=_help("folder with the fin-harness task data (cma_basics/, cpa/, fp2/, security_sales_1/)"))
    chabsa_dir: str | None = field(default=None, metadata=_help("folder of chABSA *.json; default: DATA_DIR/chabsa, DATA_DIR/chabsa-json or DATA_DIR/../real/chabsa-json"))
    prompt_version: str = field(default="default", metadata=_help("default, a version such as 1.0-0.2, or all (best per model)"))
    limit: int | None = field(default=None, metadata=_help("score only the first N items of each task"))
    batch_size: int = field(default=8, metadata=_help("lm-eval batch size"))
    device: str = field(default="cpu", metadata=_help("cpu, cuda, cuda:N or auto"))
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = field(default="auto", metadata=_help("model weights dtype (auto: float32 on CPU, the checkpoint's on GPU)"))
    seed: int = field(default=0, metadata=_help("seed for lm-eval's random, numpy and torch"))
    out: str | None = field(default=None, metadata=_help("the result JSON (kinyu eval), the EVAL_OUT folder (sweep; default TRAIN_RUN/eval) or the markdown (compare)"))
    bpc_corpora: list[str] = field(default_factory=list, metadata=_help("bits per character on CORPUS_RUN validation shards: NAME=PATH or PATH, comma separated"))
    bpc_texts: list[str] = field(default_factory=list, metadata=_help("bits per character on text folders: NAME=PATH or PATH, comma separated"))
    bpc_max_docs: int | None = field(default=None, metadata=_help("score at most N documents per bits-per-character set"))
    compare_items_per_task: int = field(default=2, metadata=_help("compare: items of each task used as prompts"))
    compare_max_new_tokens: int = field(default=32, metadata=_help("compare: greedy tokens generated per prompt"))

    def validate(self) -> None:
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown:
            raise ConfigError(f"tasks: unknown task(s) {unknown}; known: {', '.join(TASKS)}")
        if self.prompt_version != "all" and self.prompt_version not in PROMPT_VERSIONS:
            raise ConfigError(f"prompt_version: {self.prompt_version!r} is not one of {', '.join(PROMPT_VERSIONS)} or all")
        if self.limit is not None and self.limit < 1:
            raise ConfigError("limit: must be at least 1")
        if self.batch_size < 1:
            raise ConfigError("batch_size: must be at least 1")
