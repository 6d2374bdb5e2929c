"""Continual pre-training of a causal LM on corpus token shards with a DeepSpeed engine.

Reads top to bottom (nanoGPT style): check every input, start the process group, build the
model, the DeepSpeed engine and the data order, resume if asked, then the loop: forward,
backward, step, log, validate, checkpoint. The same code runs on one CPU process (tests, demo),
one GPU, or many nodes under ``deepspeed --hostfile`` or ``torchrun --nnodes``: every process
runs this file; rank 0 alone writes the run folder's shared files.

TRAIN_RUN layout (the evaluation package reads it):
    manifest.json                  config as resolved, versions, input CORPUS_RUNs + manifest hashes
    metrics.jsonl                  one line per logged step (validation lines add val_loss)
    tensorboard/
    checkpoints/step_NNNNNN/{deepspeed/, hf/, state.json}
    checkpoints/latest             name of the newest complete checkpoint
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus.shards import ShardError, corpus_tokenizer_file, list_shards
from kinyu.config import ConfigError, from_dict, to_dict
from kinyu.runs import atomic_write_json, atomic_write_text, read_json, sha256_file, write_manifest
from training.config import TrainConfig
from training.data import MixedWindowOrder, PackedWindows, validation_windows

CHECKPOINT_PREFIX = "step_"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
PROBE_TEXTS = ["金融庁は有価証券報告書の記載内容の充実を求めている。", "営業利益は前年同期比12.5%増の3,456億円。",
               "The Bank of Japan kept its policy rate unchanged.", "<|endoftext|>"]


class TrainInputError(ValueError):
    """An input of the training run (shards, tokenizer, model, run folder) that cannot work."""


# ----------------------------------------------------------------------------------------------
# 1. inputs: everything is checked here, before the process group, the model or any output


@dataclass
class Inputs:
    domain_folders: list[Path]
    replay_folders: list[Path]
    validation_folders: list[Path]
    tokenizer_file: Path
    tokenizer_src: Path          # folder whose tokenizer files go into every hf/ export
    vocab_size: int
    eos_id: int
    pad_id: int | None
    model_config: Any            # transformers PretrainedConfig
    rewarm_lr: float | None      # LR floor of the checkpoint to re-warm from


def _load_tokenizer(path: Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def _vocab_mismatch(a: dict[str, int], b: dict[str, int]) -> str | None:
    if a == b:
        return None
    if len(a) != len(b):
        return f"vocabulary sizes differ ({len(a)} vs {len(b)})"
    diff = sorted(set(a.items()) ^ set(b.items()), key=lambda kv: kv[1])[:3]
    return f"token ids differ, e.g. {diff}"


def check_inputs(cfg: TrainConfig, resume: bool = False) -> Inputs:
    """Check shards, tokenizers, model and run folder; raise a clear error before any work."""
    from transformers import AutoConfig

    cfg.validate()
    for role, runs in (("data.corpus_runs", cfg.data.corpus_runs), ("data.replay_runs", cfg.data.replay_runs)):
        for run in runs:
            if not Path(run).is_dir():
                raise TrainInputError(f"{role}: CORPUS_RUN folder not found: {run}")
    try:
        domain = [Path(r) / "tokens" / "train" for r in cfg.data.corpus_runs]
        replay = [Path(r) / "tokens" / "train" for r in cfg.data.replay_runs]
        for folder in domain + replay:
            list_shards(folder)
        tok_files = [corpus_tokenizer_file(r) for r in cfg.data.corpus_runs + cfg.data.replay_runs]
    except ShardError as e:
        raise TrainInputError(f"missing token shards: {e}") from None

    # every corpus run must share one tokenizer, and it must be the model's
    tokenizer_file = tok_files[0]
    tokenizer = _load_tokenizer(tokenizer_file)
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    for other in tok_files[1:]:
        problem = _vocab_mismatch(vocab, _load_tokenizer(other).get_vocab(with_added_tokens=True))
        if problem:
            raise TrainInputError(f"tokenizer mismatch between corpus runs: {tokenizer_file} vs {other}: {problem}")
    eos_id = next((vocab[t] for t in ("<|endoftext|>", "</s>", "<eos>", "<|im_end|>") if t in vocab), None)
    if eos_id is None:
        raise TrainInputError(f"{tokenizer_file}: no EOS token; the shards need one between documents")
    first = list_shards(domain[0])[0]
    if first.num_docs and int(first.document(0)[-1]) != eos_id:
        raise TrainInputError(f"{first.path}: documents do not end with EOS id {eos_id}; were the shards made with "
                              "this tokenizer?")
    pad_id = vocab.get("<|pad|>")
    for role, folders, needed in (("data.corpus_runs", domain, True), ("data.replay_runs", replay, cfg.data.replay_ratio > 0)):
        n_tokens = sum(len(sh) for f in folders for sh in list_shards(f))
        if needed and n_tokens <= cfg.data.seq_len:
            raise TrainInputError(f"{role}: the shards hold {n_tokens} tokens, fewer than one window of "
                                  f"data.seq_len+1={cfg.data.seq_len + 1}; lower data.seq_len or add data")
    tokenizer_src = tokenizer_file.parent

    m = cfg.model
    rewarm_lr = None
    if m.path:
        model_dir = Path(m.path)
        if not (model_dir / "config.json").is_file():
            raise TrainInputError(f"model.path: no Hugging Face checkpoint (config.json) in {model_dir}; "
                                  "kinyu never downloads models, give a local directory")
        model_config = AutoConfig.from_pretrained(model_dir, trust_remote_code=m.trust_remote_code, local_files_only=True)
        problem = _model_tokenizer_mismatch(model_dir, vocab, tokenizer, m.trust_remote_code)
        if problem:
            raise TrainInputError(f"tokenizer mismatch: the shards of {cfg.data.corpus_runs[0]} were made with "
                                  f"{tokenizer_file}, which is not the tokenizer of model {model_dir}: {problem}. "
                                  "Rebuild the corpus with the model's tokenizer (corpus tokenize.tokenizer = the model dir)")
        if any((model_dir / n).is_file() for n in TOKENIZER_FILES):
            tokenizer_src = model_dir
        model_vocab = getattr(model_config, "vocab_size", None)
        if model_vocab is not None and len(vocab) > model_vocab:
            raise TrainInputError(f"tokenizer has {len(vocab)} tokens but model {model_dir} only {model_vocab} embeddings")
        if cfg.schedule.rewarm_from_checkpoint:
            state_file = model_dir.parent / "state.json"
            if not state_file.is_file():
                raise TrainInputError(f"schedule.rewarm_from_checkpoint: {state_file} not found; model.path must be a "
                                      "kinyu checkpoint's hf/ folder to re-warm from its final learning rate")
            rewarm_lr = float(read_json(state_file)["lr"])
    else:
        if cfg.schedule.rewarm_from_checkpoint:
            raise TrainInputError("schedule.rewarm_from_checkpoint needs model.path (a kinyu checkpoint's hf/ folder)")
        model_config = _built_model_config(cfg, len(vocab), eos_id, pad_id)

    max_pos = next((getattr(model_config, n) for n in ("max_position_embeddings", "n_positions", "seq_length",
                                                        "max_sequence_length") if getattr(model_config, n, None)), None)
    if max_pos is not None and cfg.data.seq_len > max_pos:
        raise TrainInputError(f"data.seq_len={cfg.data.seq_len} is larger than the model's {max_pos} positions "
                              "(max_position_embeddings); lower data.seq_len")

    val = [Path(r) / "tokens" / "validation" for r in cfg.data.corpus_runs]
    if cfg.logging.eval_every_steps > 0:
        have = [f for f in val if f.is_dir() and any(f.glob("*.ds"))]
        if not have:
            raise TrainInputError("logging.eval_every_steps > 0 but no corpus run has tokens/validation/*.ds shards; "
                                  "set logging.eval_every_steps=0 or build a validation split")
        val = have

    out = Path(cfg.run.out_dir)
    ckpts = out / "checkpoints"
    if resume:
        if not (ckpts / "latest").is_file():
            raise TrainInputError(f"--resume {out}: no checkpoints/latest; nothing to resume from")
    elif (ckpts / "latest").is_file() or (out / "metrics.jsonl").is_file():
        raise TrainInputError(f"run.out_dir {out} already holds a training run; use `kinyu train --resume {out}` "
                              "to continue it, or choose a new run.out_dir")
    return Inputs(domain, replay, val, tokenizer_file, tokenizer_src, len(vocab), eos_id, pad_id, model_config,
                  rewarm_lr)


def _model_tokenizer_mismatch(model_dir: Path, vocab: dict[str, int], tokenizer, trust_remote_code: bool) -> str | None:
    if (model_dir / "tokenizer.json").is_file():
        return _vocab_mismatch(vocab, _load_tokenizer(model_dir / "tokenizer.json").get_vocab(with_added_tokens=True))
    try:  # no tokenizer.json (e.g. sentencepiece or tiktoken files): compare encodings of probe texts
        from transformers import AutoTokenizer

        theirs = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=trust_remote_code, local_files_only=True)
    except Exception as e:  # noqa: BLE001 - any failure means we cannot verify
        return f"the model directory's tokenizer cannot be loaded to compare ({e})"
    for text in PROBE_TEXTS:
        ours = tokenizer.encode(text, add_special_tokens=False).ids
        other = theirs.encode(text, add_special_tokens=False)
        if ours != other:
            return f"they encode {text!r} differently ({ours[:8]}… vs {other[:8]}…)"
    return None


def _built_model_config(cfg: TrainConfig, vocab_size: int, eos_id: int, pad_id: int | None):
    from transformers import AutoConfig

    m = cfg.model
    try:
        return AutoConfig.for_model(
            m.architecture, vocab_size=vocab_size, hidden_size=m.hidden_size, num_hidden_layers=m.num_layers,
            num_attention_heads=m.num_heads, num_key_value_heads=m.num_kv_heads or m.num_heads,
            intermediate_size=m.intermediate_size, max_position_embeddings=m.max_position_embeddings,
            tie_word_embeddings=m.tie_word_embeddings, bos_token_id=eos_id, eos_token_id=eos_id,
            pad_token_id=pad_id, **m.extra,
        )
    except ValueError as e:
        raise TrainInputError(f"model.architecture={m.architecture!r}: {e}") from None


# ----------------------------------------------------------------------------------------------
# 2. processes: one launcher-free process by default, or whatever deepspeed/torchrun set up


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_environment() -> None:
    """Pick DeepSpeed's CPU accelerator without CUDA and fill the env a launcher would set."""
    import torch

    if not torch.cuda.is_available():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
    if "RANK" not in os.environ and "WORLD_SIZE" not in os.environ:
        os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", LOCAL_WORLD_SIZE="1")
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _rng_state() -> dict:
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def _set_rng_state(state: dict) -> None:
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


# ----------------------------------------------------------------------------------------------
# 3. learning-rate schedule: linear warmup (optionally re-warming from a checkpoint's floor), cosine


def lr_at(step: int, total_steps: int, peak: float, floor: float, warmup_steps: int, warmup_start: float) -> float:
    if step < warmup_steps:
        return warmup_start + (peak - warmup_start) * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * progress))


# ----------------------------------------------------------------------------------------------
# 4. DeepSpeed config and model


def deepspeed_config(cfg: TrainConfig, world_size: int, bf16: bool, cpu: bool) -> dict:
    o, s, d = cfg.optim, cfg.schedule, cfg.deepspeed
    zero: dict[str, Any] = {"stage": d.zero_stage}
    if d.offload_optimizer and d.zero_stage >= 2:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": not cpu}
    if d.zero_stage == 3:
        # export() needs the full weights gathered on save
        zero["stage3_gather_16bit_weights_on_model_save"] = True
    ds = {
        "train_micro_batch_size_per_gpu": s.micro_batch_size,
        "gradient_accumulation_steps": s.grad_accum_steps,
        "train_batch_size": s.micro_batch_size * s.grad_accum_steps * world_size,
        "gradient_clipping": o.grad_clip,
        "optimizer": {"type": "AdamW", "params": {
            "lr": o.lr, "betas": [o.beta1, o.beta2], "eps": o.eps, "weight_decay": o.weight_decay,
            # torch's AdamW avoids building DeepSpeed's fused op (no CUDA compiler on CPU)
            "torch_adam": cpu if o.torch_adam is None else o.torch_adam,
        }},
        "zero_optimization": zero,
        "bf16": {"enabled": bf16},
        "steps_per_print": 1 << 30,
        "wall_clock_breakdown": False,
    }
    return _deep_merge(ds, d.extra)


def _deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class _ZeRO3Loading:
    """The two things transformers asks its ``HfDeepSpeedConfig`` (which needs ``accelerate``) for.

    Registered while ``from_pretrained`` runs, it makes transformers build the model inside
    ``deepspeed.zero.Init`` and load the checkpoint straight into the shards, so no rank ever
    holds the full model (a 14B model would need ~28 GB of host RAM per process otherwise).
    """

    def __init__(self, ds_config: dict):
        self.config = ds_config

    def is_zero3(self) -> bool:
        return True


def build_model(cfg: TrainConfig, inputs: Inputs, dtype, ds_config: dict | None = None):
    """The model: a local checkpoint (sharded while loading under ZeRO-3), or a fresh one, seeded."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.integrations import deepspeed as hf_deepspeed

    torch.manual_seed(cfg.run.seed)
    if cfg.model.path:
        sharded = ds_config is not None and cfg.deepspeed.zero_stage == 3
        hook = _ZeRO3Loading(ds_config) if sharded else None
        if hook is not None:
            hf_deepspeed.set_hf_deepspeed_config(hook)
        try:
            model = AutoModelForCausalLM.from_pretrained(cfg.model.path, dtype=dtype, local_files_only=True,
                                                         trust_remote_code=cfg.model.trust_remote_code)
        finally:
            if hook is not None:
                hf_deepspeed.unset_hf_deepspeed_config()
    else:
        # built whole on every rank (same seed, same weights): fresh models here are small proxies
        model = AutoModelForCausalLM.from_config(inputs.model_config, dtype=torch.float32)
    model.config.use_cache = False
    if cfg.model.activation_checkpointing:
        if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.x name
            model.activation_checkpointing_enable({"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return model


def param_groups(model, weight_decay: float) -> list[dict]:
    """Decay matrices only; norms, biases and 1-d scales keep their values."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.dim() >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def build_engine(cfg: TrainConfig, inputs: Inputs, total_steps: int, bf16: bool, world: int):
    """Model, AdamW, warmup+cosine schedule and ZeRO in one DeepSpeed engine (process group must be up).

    Returns (engine, optimizer, model FLOPs per token, parameter count).
    """
    import deepspeed
    import torch

    from training.flops import flops_per_token, matmul_parameters

    ds_config = deepspeed_config(cfg, world, bf16, cpu=not torch.cuda.is_available())
    model = build_model(cfg, inputs, torch.bfloat16 if bf16 else torch.float32, ds_config)
    model_flops = flops_per_token(model.config, matmul_parameters(model), cfg.data.seq_len)
    n_params = sum(int(getattr(p, "ds_numel", p.numel())) for p in model.parameters())
    s, o = cfg.schedule, cfg.optim
    warmup_start = inputs.rewarm_lr if inputs.rewarm_lr is not None else s.warmup_start_lr

    def lr_lambda(step: int) -> float:  # LambdaLR scales the peak lr the optimiser was built with
        return lr_at(step, total_steps, o.lr, o.min_lr, s.warmup_steps, warmup_start) / o.lr

    engine, optimizer, _, _ = deepspeed.initialize(
        model=model, model_parameters=param_groups(model, o.weight_decay),
        config=ds_config,
        lr_scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda),
    )
    return engine, optimizer, model_flops, n_params


# ----------------------------------------------------------------------------------------------
# 5. checkpoints: deepspeed/ (resumable), hf/ (save_pretrained + tokenizer), state.json; atomic


def checkpoint_name(step: int) -> str:
    return f"{CHECKPOINT_PREFIX}{step:06d}"


def consolidated_state_dict(engine, zero_stage: int) -> dict | None:
    """Full weights on rank 0 (ZeRO-3 gathers them layer by layer); None on other ranks."""
    import torch.distributed as dist

    if zero_stage == 3:
        return engine._zero3_consolidated_16bit_state_dict()
    if dist.get_rank() == 0:
        return {k: v.detach().cpu() for k, v in engine.module.state_dict().items()}
    return None


def save_checkpoint(engine, cfg: TrainConfig, inputs: Inputs, run_dir: Path, step: int, state: dict) -> None:
    """Write checkpoints/step_NNNNNN via a temp folder + rename, then the ``latest`` pointer."""
    import torch
    import torch.distributed as dist

    rank = dist.get_rank()
    root = run_dir / "checkpoints"
    name = checkpoint_name(step)
    tmp, final = root / f".tmp_{name}", root / name
    if rank == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    dist.barrier()
    engine.save_checkpoint(str(tmp / "deepspeed"), tag=name, client_state={"kinyu_state": state})
    torch.save(_rng_state(), tmp / "deepspeed" / f"rng_state_rank{rank:05d}.pt")
    if cfg.checkpoint.export_hf:
        state_dict = consolidated_state_dict(engine, cfg.deepspeed.zero_stage)
        if rank == 0:
            engine.module.save_pretrained(tmp / "hf", state_dict=state_dict, safe_serialization=True)
            for f in TOKENIZER_FILES:
                if (inputs.tokenizer_src / f).is_file():
                    shutil.copyfile(inputs.tokenizer_src / f, tmp / "hf" / f)
    dist.barrier()
    if rank == 0:
        atomic_write_json(tmp / "state.json", state)
        if final.exists():  # a half-finished attempt before a crash never got the pointer; replace it
            shutil.rmtree(final)
        os.replace(tmp, final)
        atomic_write_text(root / "latest", name + "\n")
        keep = cfg.checkpoint.keep_last
        if keep > 0:
            done = sorted(p for p in root.glob(f"{CHECKPOINT_PREFIX}*") if p.is_dir())
            for old in done[:-keep]:
                shutil.rmtree(old)
    dist.barrier()


def latest_checkpoint(run_dir: Path) -> Path:
    name = (run_dir / "checkpoints" / "latest").read_text(encoding="utf-8").strip()
    return run_dir / "checkpoints" / name


# ----------------------------------------------------------------------------------------------
# 6. the run


def _manifest_inputs(cfg: TrainConfig, inputs: Inputs) -> list[dict]:
    entries = []
    for role, runs in (("domain", cfg.data.corpus_runs), ("replay", cfg.data.replay_runs)):
        for run in runs:
            run = Path(run)
            manifest = run / "manifest.json"
            entries.append({
                "role": role,
                "corpus_run": str(run.resolve()),
                "manifest_sha256": sha256_file(manifest) if manifest.is_file() else None,
                "tokenizer_sha256": sha256_file(run / "tokenizer" / "tokenizer.json"),
                "shards": [{"file": s.path.name, "tokens": len(s), "documents": s.num_docs}
                           for s in list_shards(run / "tokens" / "train")],
            })
    if cfg.model.path:
        model_dir = Path(cfg.model.path)
        # hashing tens of GB of weights would take minutes: hash the config, list the weight files
        entries.append({
            "role": "model",
            "path": str(model_dir.resolve()),
            "config_sha256": sha256_file(model_dir / "config.json"),
            "weights": [{"file": p.name, "bytes": p.stat().st_size}
                        for p in sorted(model_dir.glob("*")) if p.suffix in (".safetensors", ".bin")],
        })
    return entries


def run_training(cfg: TrainConfig, resume: bool = False) -> Path:
    """Train as configured; return the TRAIN_RUN folder. ``resume`` continues its latest checkpoint."""
    inputs = check_inputs(cfg, resume=resume)
    setup_environment()

    import logging

    import deepspeed
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    import transformers
    from rich.console import Console

    from training.flops import device_peak_flops

    deepspeed.utils.logger.setLevel(logging.WARNING)
    cuda = torch.cuda.is_available()
    backend = cfg.deepspeed.backend if cfg.deepspeed.backend != "auto" else ("nccl" if cuda else "gloo")
    deepspeed.init_distributed(dist_backend=backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if cuda:
        torch.cuda.set_device(local_rank)
    precision = cfg.deepspeed.precision
    bf16 = precision == "bf16" or (precision == "auto" and cuda and torch.cuda.is_bf16_supported())
    console = Console(highlight=False, soft_wrap=True)
    transformers.utils.logging.disable_progress_bar()
    run_dir = Path(cfg.run.out_dir)

    if cfg.run.cpu_threads > 0:
        torch.set_num_threads(cfg.run.cpu_threads)
    _seed_everything(cfg.run.seed)
    # data order: a pure function of the global sample index
    order = MixedWindowOrder(
        PackedWindows.from_folders(inputs.domain_folders, cfg.data.seq_len),
        PackedWindows.from_folders(inputs.replay_folders, cfg.data.seq_len) if inputs.replay_folders else None,
        cfg.data.replay_ratio, cfg.run.seed,
    )
    s = cfg.schedule
    global_batch = s.micro_batch_size * s.grad_accum_steps * world
    total_steps = s.max_steps or math.ceil(order.samples_for_domain_epochs(s.epochs) / global_batch)
    if rank == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
        if not resume:
            write_manifest(run_dir, "train", cfg, inputs=_manifest_inputs(cfg, inputs), world_size=world,
                           backend=backend, precision="bf16" if bf16 else "fp32", total_steps=total_steps,
                           global_batch_windows=global_batch, domain_windows=len(order.sources[0]),
                           device=torch.cuda.get_device_name(local_rank) if cuda else "cpu", resumes=[])
    dist.barrier()

    engine, optimizer, model_flops_per_token, n_params = build_engine(cfg, inputs, total_steps, bf16, world)
    device = engine.device

    step, tokens_seen, replay_tokens = 0, 0, 0
    if resume:
        ckpt = latest_checkpoint(run_dir)
        load_path, client = engine.load_checkpoint(str(ckpt / "deepspeed"), tag=ckpt.name)
        if load_path is None:
            raise TrainInputError(f"DeepSpeed could not load {ckpt / 'deepspeed'}")
        state = client["kinyu_state"]
        if state["global_batch"] != global_batch:
            raise TrainInputError(
                f"{ckpt} was written with a global batch of {state['global_batch']} windows, this launch has "
                f"{global_batch} (micro batch x accumulation x {world} processes); resume with the same world size "
                "and batch settings, so that the data position and the ZeRO shards fit")
        step, tokens_seen, replay_tokens = state["step"], state["tokens_seen"], state["replay_tokens"]
        rng_file = ckpt / "deepspeed" / f"rng_state_rank{rank:05d}.pt"
        if rng_file.is_file():
            _set_rng_state(torch.load(rng_file, weights_only=False))
        if rank == 0:
            for leftover in (run_dir / "checkpoints").glob(".tmp_*"):  # a save the stop interrupted
                shutil.rmtree(leftover, ignore_errors=True)
            _truncate_metrics(run_dir / "metrics.jsonl", step)
            manifest = read_json(run_dir / "manifest.json")
            manifest.setdefault("resumes", []).append({"from_checkpoint": ckpt.name, "unix": time.time(),
                                                       "world_size": world, "config": to_dict(cfg)})
            atomic_write_json(run_dir / "manifest.json", manifest)
        if rank == 0:
            console.print(f"[bold]resumed[/] from {ckpt} at step {step} ({tokens_seen:,} tokens)")
    dist.barrier()

    writer = None
    if rank == 0 and cfg.logging.tensorboard:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir / "tensorboard"), purge_step=step + 1 if resume else None)
    if cfg.logging.peak_flops_per_device:
        peak = cfg.logging.peak_flops_per_device
    else:
        peak = device_peak_flops(torch.cuda.get_device_name(local_rank)) if cuda else None
    val = validation_windows(inputs.validation_folders, cfg.data.seq_len) if cfg.logging.eval_every_steps > 0 else None
    if rank == 0:
        console.print(f"[bold]kinyu train[/] {n_params / 1e6:.2f}M params, {world} process(es), ZeRO-{cfg.deepspeed.zero_stage}, "
                      f"{'bf16' if bf16 else 'fp32'}, {total_steps} steps x {global_batch} windows x {cfg.data.seq_len} tokens, "
                      f"{len(order.sources[0])} domain windows" + (f", replay {cfg.data.replay_ratio:.0%}" if order.ratio else ""))

    def evaluate() -> float:
        """Mean next-token loss over the first windows of the validation shards, all ranks together."""
        n = min(len(val), cfg.data.val_max_windows)
        per_round = world * s.micro_batch_size
        n -= n % per_round
        if n == 0:
            raise TrainInputError(f"validation shards hold fewer than {per_round} windows of {cfg.data.seq_len} tokens")
        engine.eval()
        total = torch.zeros(2, dtype=torch.float64, device=device)
        with torch.no_grad():
            for start in range(rank * s.micro_batch_size, n, per_round):
                batch = torch.from_numpy(np.stack([val.window(i) for i in range(start, start + s.micro_batch_size)]))
                batch = batch.to(device)
                logits = engine(input_ids=batch[:, :-1]).logits
                loss = F.cross_entropy(logits.float().flatten(0, 1), batch[:, 1:].flatten(), reduction="sum")
                total += torch.stack([loss.double(), torch.tensor(batch[:, 1:].numel(), dtype=torch.float64, device=device)])
        dist.all_reduce(total)
        engine.train()
        return float(total[0] / total[1])

    data_log = open(run_dir / "data_order.jsonl", "a", encoding="utf-8") if cfg.logging.data_order and rank == 0 else None
    if data_log is not None and resume:
        data_log.close()
        _truncate_metrics(run_dir / "data_order.jsonl", step)
        data_log = open(run_dir / "data_order.jsonl", "a", encoding="utf-8")

    engine.train()
    interval_start, interval_tokens = time.perf_counter(), 0
    while step < total_steps:
        first = step * global_batch
        lr_now = optimizer.param_groups[0]["lr"]
        do_eval = val is not None and ((step + 1) % cfg.logging.eval_every_steps == 0 or step + 1 == total_steps)
        do_log = (step + 1) % cfg.logging.every_steps == 0 or step + 1 == total_steps or do_eval
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        own_grad_norm = None
        for micro in range(s.grad_accum_steps):
            start = first + (micro * world + rank) * s.micro_batch_size
            batch = torch.from_numpy(order.batch(range(start, start + s.micro_batch_size))).to(device)
            logits = engine(input_ids=batch[:, :-1]).logits
            loss = F.cross_entropy(logits.float().flatten(0, 1), batch[:, 1:].flatten())
            engine.backward(loss)
            if do_log and cfg.deepspeed.zero_stage == 0 and micro == s.grad_accum_steps - 1:
                # without ZeRO the engine keeps no global norm: take it from the reduced grads before the step
                own_grad_norm = _grad_norm(engine.module)
            engine.step()
            loss_sum += loss.detach().double()
        step += 1
        tokens_step = global_batch * cfg.data.seq_len
        tokens_seen += tokens_step
        replay_tokens += (order.replay_before(first + global_batch) - order.replay_before(first)) * cfg.data.seq_len
        interval_tokens += tokens_step
        if data_log is not None:
            ids = [order.locate(i) for i in range(first, first + global_batch)]
            data_log.write(json.dumps({"step": step, "samples": [first, first + global_batch],
                                       "windows": [[src, ep, w] for src, ep, w in ids]}) + "\n")
            data_log.flush()

        if do_log:
            dist.all_reduce(loss_sum)
            loss_value = float(loss_sum) / (s.grad_accum_steps * world)
            grad_norm = engine.get_global_grad_norm()
            if grad_norm is None:
                grad_norm = own_grad_norm
            elapsed = time.perf_counter() - interval_start
            tokens_per_s = interval_tokens / elapsed if elapsed > 0 else 0.0
            record = {
                "step": step, "tokens": tokens_seen, "loss": loss_value, "lr": lr_now,
                "grad_norm": None if grad_norm is None else float(grad_norm),
                "tokens_per_s": tokens_per_s,
                "mfu": (tokens_per_s * model_flops_per_token / (peak * world)) if peak else None,
                "replay_tokens": replay_tokens, "epoch": order.domain_epoch(first + global_batch),
            }
            if do_eval:
                record["val_loss"] = evaluate()
            if rank == 0:
                _log(record, run_dir, writer, console, total_steps)
            interval_start, interval_tokens = time.perf_counter(), 0

        if step % cfg.checkpoint.every_steps == 0 or (step == total_steps and cfg.checkpoint.save_final):
            state = {"step": step, "tokens_seen": tokens_seen, "replay_tokens": replay_tokens,
                     "epoch": order.domain_epoch(step * global_batch), "samples_consumed": step * global_batch,
                     "global_batch": global_batch, "lr": optimizer.param_groups[0]["lr"], "last_step_lr": lr_now,
                     "total_steps": total_steps, "seed": cfg.run.seed}
            saving_started = time.perf_counter()
            save_checkpoint(engine, cfg, inputs, run_dir, step, state)
            interval_start += time.perf_counter() - saving_started  # tokens/s counts training time only

    if data_log is not None:
        data_log.close()
    if writer is not None:
        writer.close()
    dist.barrier()
    engine.destroy()
    return run_dir


def _grad_norm(module) -> float | None:
    import torch

    norms = [p.grad.detach().float().norm() for p in module.parameters() if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else None


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop lines logged after the checkpoint we resume from (they will be logged again)."""
    if not path.is_file():
        return
    kept = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
    atomic_write_text(path, "".join(ln + "\n" for ln in kept))


def _log(record: dict, run_dir: Path, writer, console, total_steps: int) -> None:
    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    if writer is not None:
        for key, value in record.items():
            if key != "step" and value is not None:
                writer.add_scalar(f"train/{key}" if key != "val_loss" else "val/loss", value, record["step"])
        writer.flush()
    mfu = f"{record['mfu']:.1%}" if record["mfu"] is not None else "n/a"
    gn = f"{record['grad_norm']:.3f}" if record["grad_norm"] is not None else "n/a"
    line = (f"step {record['step']:>6}/{total_steps}  loss {record['loss']:.4f}  lr {record['lr']:.3e}  "
            f"grad {gn}  tokens {record['tokens']:,}  {record['tokens_per_s']:,.0f} tok/s  MFU {mfu}")
    if "val_loss" in record:
        line += f"  [bold]val {record['val_loss']:.4f}[/]"
    console.print(line)


def load_run_config(run_dir: str | Path) -> TrainConfig:
    """The resolved config a TRAIN_RUN was started with (from its manifest)."""
    manifest = Path(run_dir) / "manifest.json"
    if not manifest.is_file():
        raise TrainInputError(f"{run_dir}: no manifest.json; is this a TRAIN_RUN folder?")
    try:
        return from_dict(TrainConfig, read_json(manifest)["config"])
    except ConfigError as e:
        raise TrainInputError(f"{manifest}: config does not load: {e}") from None
