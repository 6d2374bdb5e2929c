"""The one typed config of ``kinyu train`` (litgpt style: plain dataclasses, every field documented).

Load with ``kinyu.base.config.load_config(TrainConfig, yaml, overrides)``; every leaf field is also a
CLI flag (``--optim.lr 5e-7``). ``validate`` checks what can be checked without touching files;
``kinyu.training.inputs.check_inputs`` then checks the files (shards, tokenizer, model) before any work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kinyu.base.config import option
from kinyu.base.errors import UserError
from kinyu.base.layout import resolve_checkpoint_path


class TrainInputError(UserError):
    """An input of the training run (shards, tokenizer, model, run folder) that cannot work."""



@dataclass
class ModelConfig:
    """Which causal LM to train: a local Hugging Face checkpoint directory or an architecture to build."""

    path: str | None = option(None, "local Hugging Face checkpoint directory (AutoModelForCausalLM; a kinyu run's "
                                "TRAIN_RUN/checkpoints/latest/hf too); nothing is downloaded. "
                                "Leave empty to build a fresh model from the fields below")
    trust_remote_code: bool = option(False, "allow the checkpoint's own modelling code (e.g. Qwen-based nekomata); off by default")
    architecture: str = option("llama", "a fresh model's architecture when path is empty: a model_type (AutoConfig.for_model, "
                                    "sized by the fields below) or a config.json file (configs/train/models/). "
                                    "`kinyu train plan` also reads a config.json here while model.path holds no checkpoint yet")
    hidden_size: int = option(64, "built model: hidden size")
    num_layers: int = option(2, "built model: transformer layers")
    num_heads: int = option(4, "built model: attention heads")
    num_kv_heads: int | None = option(None, "built model: key/value heads (grouped-query attention); empty = num_heads")
    intermediate_size: int = option(256, "built model: MLP inner size")
    max_position_embeddings: int = option(512, "built model: longest sequence the positions allow")
    tie_word_embeddings: bool = option(False, "built model: share input embedding and LM head")
    extra: dict[str, Any] = option({}, "built model: any further config fields passed to AutoConfig.for_model")
    activation_checkpointing: bool = option(False, "recompute activations in the backward pass (less memory, about a third more compute)")
    attn_implementation: Literal["auto", "eager", "sdpa", "flash_attention_2"] = option(
        "auto", "attention kernel; auto = flash_attention_2 if installed, else PyTorch SDPA, on CUDA; transformers' "
                "default on CPU")
    compile: bool = option(False, "torch.compile the model (GPU: faster steps after a compile of a minute or more)")

    def model_dir(self) -> Path | None:
        """``path`` as a folder, a ``checkpoints/latest`` in it resolved to the checkpoint it names; None: a fresh model."""
        return resolve_checkpoint_path(self.path) if self.path else None


@dataclass
class DataConfig:
    """Token shards to train on, how they are packed and mixed."""

    corpus_runs: list[str] = option([], "CORPUS_RUN folders (from `kinyu corpus build`); their tokens/train shards are the domain data")
    replay_runs: list[str] = option([], "CORPUS_RUN folders of general-domain text mixed in to limit forgetting (same tokenizer)")
    replay_ratio: float = option(0.0, "share of training windows (= tokens) drawn from replay_runs, in [0, 1)")
    seq_len: int = option(2048, "tokens per training window; documents are packed back to back with EOS between them")
    val_max_windows: int = option(64, "validation: at most this many seq_len windows of the corpus runs' tokens/validation")
    prefetch: bool | None = option(None, "read the next micro batch in a background thread (pinned memory on CUDA) while "
                                     "the device computes; empty = on for CUDA, off for CPU")


def lr_problem(lr: float, min_lr: float) -> str | None:
    """The one rule of a peak learning rate and the floor its cosine decays to (``optim.*`` here,
    each phase of ``kinyu study cpt``), or None when they fit."""
    if lr <= 0 or not 0 <= min_lr <= lr:
        return f"lr={lr} / min_lr={min_lr}: need 0 <= min_lr <= lr and lr > 0"
    return None


@dataclass
class OptimConfig:
    """AdamW through DeepSpeed."""

    lr: float = option(5e-7, "peak learning rate (the paper: 5e-7 for nekomata-14b)")
    min_lr: float = option(0.0, "floor the cosine decays to")
    weight_decay: float = option(0.1, "decoupled weight decay, applied to matrices only (not norms or biases)")
    beta1: float = option(0.9, "AdamW beta1")
    beta2: float = option(0.95, "AdamW beta2")
    eps: float = option(1e-8, "AdamW epsilon")
    grad_clip: float = option(1.0, "clip the global gradient norm to this (0 = no clipping)")
    torch_adam: bool | None = option(None, "use torch's AdamW instead of DeepSpeed's fused op; empty = on for CPU, off for GPU")

    def problems(self) -> list[str]:
        return [p for p in [lr_problem(self.lr, self.min_lr)] if p]


@dataclass
class ScheduleConfig:
    """Batch sizes, length of training and the learning-rate schedule (linear warmup, cosine decay)."""

    micro_batch_size: int = option(1, "windows per device per forward pass")
    grad_accum_steps: int = option(1, "micro batches accumulated per optimiser step")
    epochs: float = option(1.0, "passes over the domain corpus (the paper: 5); replay windows come on top")
    max_steps: int | None = option(None, "stop after this many optimiser steps (overrides epochs)")
    warmup_steps: int = option(0, "linear warmup steps")
    warmup_start_lr: float = option(0.0, "learning rate warmup starts from")
    rewarm_from_checkpoint: bool = option(False, "continual pre-training from a kinyu checkpoint (model.path = .../hf): warm up "
                                              "again from that run's final LR (its floor) instead of warmup_start_lr")


@dataclass
class DeepSpeedConfig:
    """The DeepSpeed engine."""

    zero_stage: int = option(2, "ZeRO stage 0-3 (0 = plain data parallel, 3 = parameters sharded too)")
    precision: Literal["auto", "bf16", "fp32"] = option("auto", "auto = bf16 on a GPU that supports it, else fp32 (CPU)")
    offload_optimizer: bool = option(False, "ZeRO-2/3: keep optimiser states in CPU memory")
    backend: Literal["auto", "nccl", "gloo"] = option("auto", "torch.distributed backend; auto = nccl on GPU, gloo on CPU")
    check_fit: bool = option(True, "on CUDA, refuse before loading anything a config that `kinyu train plan` says cannot "
                               "fit the GPUs' memory; false = try anyway (activations are an estimate)")
    extra: dict[str, Any] = option({}, "merged into the generated DeepSpeed config (advanced; e.g. zero_optimization buckets)")


@dataclass
class CheckpointConfig:
    every_steps: int = option(500, "write checkpoints/step_NNNNNN every this many steps")
    save_final: bool = option(True, "also write one after the last step (off only for throughput benchmarks)")
    keep_last: int = option(3, "keep only the newest K checkpoints (0 = keep all)")
    export_hf: bool = option(True, "also write a Hugging Face export (save_pretrained + tokenizer) under hf/")
    resumable: bool = option(True, "write the DeepSpeed state (weights, optimiser, RNGs) that --resume needs under deepspeed/; "
                                   "false = evaluation snapshots only (hf/ + state.json: a 100M model's optimiser state is "
                                   "1.5 GB per checkpoint), and the run cannot be resumed")


@dataclass
class LoggingConfig:
    every_steps: int = option(10, "log loss, lr, grad norm, tokens, tokens/s and MFU every this many steps")
    eval_every_steps: int = option(0, "validation loss every this many steps and at the end (0 = never)")
    tensorboard: bool = option(True, "write TensorBoard event files to TRAIN_RUN/tensorboard")
    peak_flops_per_device: float | None = option(None, "bf16 dense peak FLOP/s of one device for MFU; empty = look the "
                                                    "GPU up in a table (no figure for CPUs)")
    data_order: bool = option(False, "write data_order.jsonl: the global window ids of every step (audit / tests)")


@dataclass
class RunConfig:
    out_dir: str = option("runs/train", "the TRAIN_RUN folder to write")
    seed: int = option(1234, "seed for model init, data order and every RNG")
    name: str = option("", "free text recorded in the manifest")
    cpu_threads: int = option(0, "torch intra-op threads per process (0 = torch's default); 1 is fastest for tiny "
                             "models on a busy CPU, where threads spin waiting for each other")


@dataclass
class TrainConfig:
    run: RunConfig = field(default_factory=RunConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    deepspeed: DeepSpeedConfig = field(default_factory=DeepSpeedConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)

    def problems(self) -> list[str]:
        """Checks that need no files, each naming its field."""
        problems = []
        d, s = self.data, self.schedule
        if not d.corpus_runs:
            problems.append("data.corpus_runs is empty: give at least one CORPUS_RUN folder")
        if not 0.0 <= d.replay_ratio < 1.0:
            problems.append(f"data.replay_ratio={d.replay_ratio} must be in [0, 1)")
        if d.replay_ratio > 0 and not d.replay_runs:
            problems.append("data.replay_ratio > 0 but data.replay_runs is empty")
        if d.seq_len < 2:
            problems.append(f"data.seq_len={d.seq_len} must be at least 2")
        if self.deepspeed.zero_stage not in (0, 1, 2, 3):
            problems.append(f"deepspeed.zero_stage={self.deepspeed.zero_stage} must be 0, 1, 2 or 3")
        for name in ("micro_batch_size", "grad_accum_steps"):
            if getattr(s, name) < 1:
                problems.append(f"schedule.{name} must be >= 1")
        if s.max_steps is None and s.epochs <= 0:
            problems.append("schedule.epochs must be > 0 (or set schedule.max_steps)")
        if s.max_steps is not None and s.max_steps < 1:
            problems.append("schedule.max_steps must be >= 1")
        if self.checkpoint.every_steps < 1 or self.logging.every_steps < 1:
            problems.append("checkpoint.every_steps and logging.every_steps must be >= 1")
        if self.model.path is None and self.model.hidden_size % self.model.num_heads:
            problems.append("model.hidden_size must be divisible by model.num_heads")
        return problems
