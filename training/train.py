"""Continual pre-training of a causal LM on corpus token shards with a DeepSpeed engine.

``run_training`` reads top to bottom (nanoGPT style): check every input (``kinyu.training.inputs``,
beside the config it checks), start the process group, build the data order and the DeepSpeed
engine, resume if asked, then the loop: forward, backward, step, log, validate, checkpoint.
Evaluation, resume and checkpointing are the named functions beside it. The same code runs on one CPU process (tests, demo), one GPU, or many nodes
under ``deepspeed --hostfile`` or ``torchrun --nnodes``: every process runs this file; rank 0
alone writes the run folder's shared files.

TRAIN_RUN layout (``kinyu.base.layout.TrainRun``; the evaluation package reads it):
    manifest.json                  config as resolved, versions, input CORPUS_RUNs + manifest hashes
    metrics.jsonl                  one line per logged step (validation lines add val_loss)
    tensorboard/
    checkpoints/step_NNNNNN/{deepspeed/, hf/, state.json, checksums.json}
    checkpoints/latest             name of the newest complete checkpoint

checksums.json (size and sha256 of every file, written last) is checked before a resume loads anything
(``kinyu.training.checkpoints``); a loss or gradient norm that is not finite stops the run before it saves.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import math
import os
import random
import shutil
import socket
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
import transformers
from rich.console import Console
from transformers import AutoModelForCausalLM

from kinyu.base.config import ConfigError, from_dict, to_dict
from kinyu.base.layout import Checkpoint, CorpusRun, TrainRun
from kinyu.base.runs import atomic_write_json, atomic_write_text, read_json, sha256_file, write_manifest
from kinyu.corpus.shards import list_shards
from kinyu.training.checkpoints import file_checksums, hash_problem, refusal, weights_only_loading, write_checksums
from kinyu.training.config import TrainConfig, TrainInputError
from kinyu.training.data import MixedWindowOrder, PackedWindows, RankBatches, validation_windows
from kinyu.training.flops import device_peak_flops, flops_per_token, matmul_parameters
from kinyu.training.inputs import TOKENIZER_FILES, Inputs, check_inputs

# ----------------------------------------------------------------------------------------------
# 1. processes: one launcher-free process by default, or whatever deepspeed/torchrun set up


@dataclass
class Processes:
    rank: int
    world: int
    local_rank: int
    cuda: bool
    backend: str
    bf16: bool
    device_name: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_environment() -> None:
    """Pick DeepSpeed's CPU accelerator without CUDA and fill the env a launcher would set."""
    if not torch.cuda.is_available():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
    if "RANK" not in os.environ and "WORLD_SIZE" not in os.environ:
        os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", LOCAL_WORLD_SIZE="1")
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))


def start_processes(cfg: TrainConfig) -> Processes:
    """Join (or form) the process group; pick the device, the backend and the precision."""
    setup_environment()
    import deepspeed  # after setup_environment: it picks its accelerator from DS_ACCELERATOR on import

    deepspeed.utils.logger.setLevel(logging.WARNING)
    transformers.utils.logging.disable_progress_bar()
    cuda = torch.cuda.is_available()
    backend = cfg.deepspeed.backend if cfg.deepspeed.backend != "auto" else ("nccl" if cuda else "gloo")
    deepspeed.init_distributed(dist_backend=backend)
    atexit.unregister(_leave_process_group)  # once, however many runs this process makes
    atexit.register(_leave_process_group)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if cuda:
        torch.cuda.set_device(local_rank)
    precision = cfg.deepspeed.precision
    bf16 = precision == "bf16" or (precision == "auto" and cuda and torch.cuda.is_bf16_supported())
    if cfg.run.cpu_threads > 0:
        torch.set_num_threads(cfg.run.cpu_threads)
    return Processes(dist.get_rank(), dist.get_world_size(), local_rank, cuda, backend, bf16,
                     torch.cuda.get_device_name(local_rank) if cuda else "cpu")


def _leave_process_group() -> None:
    """At the interpreter's exit: a gloo group left to the C++ teardown aborts now and then
    ("terminate called without an active exception", SIGABRT; the ZeRO partition test failed 1
    run in 3 in a fresh clone), so torchrun reports a finished run as failed. At exit, not after
    each run: the study and the ablation train again in the same process, in the same group."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _rng_state() -> dict:
    """Every generator's state as tensors and plain numbers: what ``torch.load(weights_only=True)`` reads."""
    version, words, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"python": {"version": version, "state": torch.tensor(words, dtype=torch.int64), "gauss": gauss},
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                       "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def _set_rng_state(state: dict) -> None:
    py, npy = state["python"], state["numpy"]
    random.setstate((py["version"], tuple(py["state"].tolist()), py["gauss"]))
    np.random.set_state((npy["kind"], npy["keys"].numpy().astype(np.uint32), npy["pos"], npy["has_gauss"],
                         npy["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


# ----------------------------------------------------------------------------------------------
# 2. learning-rate schedule: linear warmup (optionally re-warming from a checkpoint's floor), cosine


def lr_at(step: int, total_steps: int, peak: float, floor: float, warmup_steps: int, warmup_start: float) -> float:
    if step < warmup_steps:
        return warmup_start + (peak - warmup_start) * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * progress))


def lr_factor(step: int, total_steps: int, peak: float, floor: float, warmup_steps: int, warmup_start: float) -> float:
    """``lr_at`` relative to the peak (LambdaLR scales the peak the optimiser was built with)."""
    return lr_at(step, total_steps, peak, floor, warmup_steps, warmup_start) / peak


# ----------------------------------------------------------------------------------------------
# 3. DeepSpeed config and model


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
            # torch's AdamW on CPU (DeepSpeed's fused op needs a CUDA compiler); on GPU DeepSpeed's FusedAdam
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


def attn_implementation(setting: str, cuda: bool) -> str | None:
    """The attention kernel to ask transformers for; None keeps its default (the CPU path)."""
    if setting != "auto":
        return setting
    if not cuda:
        return None
    return "flash_attention_2" if importlib.util.find_spec("flash_attn") else "sdpa"


def build_model(cfg: TrainConfig, inputs: Inputs, dtype, ds_config: dict | None = None):
    """The model: a local checkpoint (sharded while loading under ZeRO-3), or a fresh one, seeded."""
    from transformers.integrations import deepspeed as hf_deepspeed

    torch.manual_seed(cfg.run.seed)
    attn = attn_implementation(cfg.model.attn_implementation, torch.cuda.is_available())
    kwargs = {"attn_implementation": attn} if attn else {}
    if cfg.model.path:
        sharded = ds_config is not None and cfg.deepspeed.zero_stage == 3
        hook = _ZeRO3Loading(ds_config) if sharded else None
        if hook is not None:
            hf_deepspeed.set_hf_deepspeed_config(hook)
        try:
            model = AutoModelForCausalLM.from_pretrained(cfg.model.model_dir(), dtype=dtype, local_files_only=True,
                                                         trust_remote_code=cfg.model.trust_remote_code, **kwargs)
        finally:
            if hook is not None:
                hf_deepspeed.unset_hf_deepspeed_config()
    else:
        # built whole on every rank (same seed, same weights): fresh models here are small proxies
        model = AutoModelForCausalLM.from_config(inputs.model_config, dtype=torch.float32, **kwargs)
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
    import deepspeed  # imported once the accelerator is chosen (see start_processes)

    ds_config = deepspeed_config(cfg, world, bf16, cpu=not torch.cuda.is_available())
    model = build_model(cfg, inputs, torch.bfloat16 if bf16 else torch.float32, ds_config)
    model_flops = flops_per_token(model.config, matmul_parameters(model), cfg.data.seq_len)
    n_params = sum(int(getattr(p, "ds_numel", p.numel())) for p in model.parameters())
    s, o = cfg.schedule, cfg.optim
    warmup_start = inputs.rewarm_lr if inputs.rewarm_lr is not None else s.warmup_start_lr
    lr_lambda = partial(lr_factor, total_steps=total_steps, peak=o.lr, floor=o.min_lr, warmup_steps=s.warmup_steps,
                        warmup_start=warmup_start)
    engine, optimizer, _, _ = deepspeed.initialize(
        model=model, model_parameters=param_groups(model, o.weight_decay),
        config=ds_config,
        lr_scheduler=partial(torch.optim.lr_scheduler.LambdaLR, lr_lambda=lr_lambda),
    )
    if cfg.model.compile:
        engine.compile()
    return engine, optimizer, model_flops, n_params


# ----------------------------------------------------------------------------------------------
# 4. checkpoints: deepspeed/ (resumable), hf/ (save_pretrained + tokenizer), state.json; atomic


@dataclass
class Progress:
    """Where the run stands; with the seed it is everything a resumed run needs of the data order."""

    step: int = 0
    tokens_seen: int = 0
    replay_tokens: int = 0


def consolidated_state_dict(engine, zero_stage: int) -> dict | None:
    """Full weights on rank 0 (ZeRO-3 gathers them layer by layer); None on other ranks."""
    if zero_stage == 3:
        return engine._zero3_consolidated_16bit_state_dict()
    if dist.get_rank() == 0:
        return {k: v.detach().cpu() for k, v in engine.module.state_dict().items()}
    return None


def save_checkpoint(engine, cfg: TrainConfig, inputs: Inputs, run_dir: Path, step: int, state: dict) -> None:
    """Write checkpoints/step_NNNNNN via a temp folder (checksums.json last) + rename, then the ``latest`` pointer;
    then drop the oldest beyond ``keep_last``."""
    rank = dist.get_rank()
    run = TrainRun(run_dir)
    final = run.checkpoint(step)
    tmp = Checkpoint(run.staging(step))
    if rank == 0:
        shutil.rmtree(tmp.path, ignore_errors=True)
        tmp.path.mkdir(parents=True)
    dist.barrier()
    if cfg.checkpoint.resumable:
        engine.save_checkpoint(str(tmp.deepspeed), tag=final.name, client_state={"kinyu_state": state})
        torch.save(_rng_state(), tmp.deepspeed / f"rng_state_rank{rank:05d}.pt")
    if cfg.checkpoint.export_hf:
        state_dict = consolidated_state_dict(engine, cfg.deepspeed.zero_stage)
        if rank == 0:
            engine.module.save_pretrained(tmp.hf, state_dict=state_dict, safe_serialization=True)
            for f in TOKENIZER_FILES:
                if (inputs.tokenizer_src / f).is_file():
                    shutil.copyfile(inputs.tokenizer_src / f, tmp.hf / f)
    if rank == 0:
        atomic_write_json(tmp.state, state)
    dist.barrier()
    shares = [None] * dist.get_world_size()  # every rank hashes its share of the files
    dist.all_gather_object(shares, file_checksums(tmp, rank, dist.get_world_size()))
    if rank == 0:
        write_checksums(tmp, {rel: entry for share in shares for rel, entry in share.items()})
        if final.path.exists():  # a half-finished attempt before a crash never got the pointer; replace it
            shutil.rmtree(final.path)
        os.replace(tmp.path, final.path)
        run.set_latest(final)
        keep = cfg.checkpoint.keep_last
        if keep > 0:
            # only checkpoints older than this one go, never this one (the newest verified): a later one left
            # by a resume from an earlier checkpoint is replaced when the run saves its step again
            older = [c for c in run.list_checkpoints() if c.step < step]
            for old in older[:max(0, len(older) - (keep - 1))]:
                shutil.rmtree(old.path)
    dist.barrier()


def checkpoint_state(progress: Progress, order: MixedWindowOrder, global_batch: int, lr: float, last_step_lr: float,
                     total_steps: int, seed: int) -> dict:
    return {**asdict(progress), "epoch": order.domain_epoch(progress.step * global_batch),
            "samples_consumed": progress.step * global_batch, "global_batch": global_batch, "lr": lr,
            "last_step_lr": last_step_lr, "total_steps": total_steps, "seed": seed}


def resume_from_checkpoint(engine, cfg: TrainConfig, procs: Processes, ckpt: Checkpoint, global_batch: int) -> Progress:
    """Check the sha256s of ``ckpt`` (its listing and pickles passed check_inputs), then load it (weights, optimiser,
    schedule, RNGs); drop what was logged after it."""
    run = TrainRun(cfg.run.out_dir)
    problems = [None] * procs.world  # each rank hashes its share of the files; any changed one stops every rank
    dist.all_gather_object(problems, hash_problem(ckpt, procs.rank, procs.world))
    changed = next((p for p in problems if p), None)
    if changed:
        raise TrainInputError(refusal(run, ckpt, changed))
    try:
        with weights_only_loading():  # DeepSpeed's own loader calls torch.load(weights_only=False)
            load_path, client = engine.load_checkpoint(str(ckpt.deepspeed), tag=ckpt.name)
    except Exception as e:  # noqa: BLE001 - its files verified a moment ago: changed since, or a DeepSpeed mismatch
        raise TrainInputError(f"DeepSpeed could not load {ckpt.deepspeed} ({type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else ''})") from None
    if load_path is None:
        raise TrainInputError(f"DeepSpeed could not load {ckpt.deepspeed}")
    state = client["kinyu_state"]
    if state["global_batch"] != global_batch:
        raise TrainInputError(
            f"{ckpt.path} was written with a global batch of {state['global_batch']} windows, this launch has "
            f"{global_batch} (micro batch x accumulation x {procs.world} processes); resume with the same world size "
            "and batch settings, so that the data position and the ZeRO shards fit")
    rng_file = ckpt.deepspeed / f"rng_state_rank{procs.rank:05d}.pt"
    if rng_file.is_file():
        _set_rng_state(torch.load(rng_file, weights_only=True))
    progress = Progress(state["step"], state["tokens_seen"], state["replay_tokens"])
    if procs.rank == 0:
        for leftover in run.staged():  # a save the stop interrupted
            shutil.rmtree(leftover, ignore_errors=True)
        _truncate_jsonl(run.metrics, progress.step)
        _truncate_jsonl(run.data_order, progress.step)
        manifest = read_json(run.manifest)
        manifest.setdefault("resumes", []).append({"from_checkpoint": ckpt.name, "unix": time.time(),
                                                   "world_size": procs.world, "config": to_dict(cfg)})
        atomic_write_json(run.manifest, manifest)
    dist.barrier()
    return progress


def _truncate_jsonl(path: Path, step: int) -> None:
    """Drop lines logged after the checkpoint we resume from (they will be logged again)."""
    if not path.is_file():
        return
    kept = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
    atomic_write_text(path, "".join(ln + "\n" for ln in kept))


# ----------------------------------------------------------------------------------------------
# 5. evaluation and logging


def evaluate(engine, val: PackedWindows, cfg: TrainConfig, procs: Processes) -> float:
    """Mean next-token loss over the first windows of the validation shards, all ranks together."""
    micro = cfg.schedule.micro_batch_size
    per_round = procs.world * micro
    n = min(len(val), cfg.data.val_max_windows)
    n -= n % per_round
    if n == 0:
        raise TrainInputError(f"validation shards hold fewer than {per_round} windows of {cfg.data.seq_len} tokens")
    engine.eval()
    total = torch.zeros(2, dtype=torch.float64, device=engine.device)
    with torch.no_grad():
        for start in range(procs.rank * micro, n, per_round):
            batch = torch.from_numpy(np.stack([val.window(i) for i in range(start, start + micro)])).to(engine.device)
            logits = engine(input_ids=batch[:, :-1]).logits
            loss = F.cross_entropy(logits.float().flatten(0, 1), batch[:, 1:].flatten(), reduction="sum")
            total += torch.stack([loss.double(), torch.tensor(batch[:, 1:].numel(), dtype=torch.float64,
                                                              device=engine.device)])
    dist.all_reduce(total)
    engine.train()
    return float(total[0] / total[1])


class RunLog:
    """metrics.jsonl, TensorBoard, the console line and (optionally) data_order.jsonl; written by rank 0 only."""

    def __init__(self, cfg: TrainConfig, run_dir: Path, rank: int, total_steps: int, start_step: int = 0):
        self.run, self.total_steps, self.active = TrainRun(run_dir), total_steps, rank == 0
        self.console = Console(highlight=False, soft_wrap=True)
        self.data_order = cfg.logging.data_order and self.active
        self.writer = None
        if self.active and cfg.logging.tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # optional: only for TensorBoard output

            self.writer = SummaryWriter(str(self.run.tensorboard), purge_step=start_step + 1 if start_step else None)
        self.interval_start, self.interval_tokens = time.perf_counter(), 0

    def print(self, text: str) -> None:
        if self.active:
            self.console.print(text)

    def tokens_per_s(self) -> float:
        """Tokens/s since the last call (training time only: checkpoint saves are excluded)."""
        elapsed = time.perf_counter() - self.interval_start
        rate = self.interval_tokens / elapsed if elapsed > 0 else 0.0
        self.interval_start, self.interval_tokens = time.perf_counter(), 0
        return rate

    def exclude_time(self, seconds: float) -> None:
        self.interval_start += seconds

    def windows(self, step: int, order: MixedWindowOrder, first: int, count: int) -> None:
        if self.data_order:
            ids = [list(order.locate(i)) for i in range(first, first + count)]
            with open(self.run.data_order, "a", encoding="utf-8") as f:
                f.write(json.dumps({"step": step, "samples": [first, first + count], "windows": ids}) + "\n")

    def record(self, record: dict) -> None:
        if not self.active:
            return
        with open(self.run.metrics, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.writer is not None:
            for key, value in record.items():
                if key != "step" and value is not None:
                    self.writer.add_scalar(f"train/{key}" if key != "val_loss" else "val/loss", value, record["step"])
            self.writer.flush()
        mfu = f"{record['mfu']:.1%}" if record["mfu"] is not None else "n/a"
        gn = f"{record['grad_norm']:.3f}" if record["grad_norm"] is not None else "n/a"
        line = (f"step {record['step']:>6}/{self.total_steps}  loss {record['loss']:.4f}  lr {record['lr']:.3e}  "
                f"grad {gn}  tokens {record['tokens']:,}  {record['tokens_per_s']:,.0f} tok/s  MFU {mfu}")
        if "val_loss" in record:
            line += f"  [bold]val {record['val_loss']:.4f}[/]"
        self.console.print(line)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _grad_norm(module) -> float | None:
    norms = [p.grad.detach().float().norm() for p in module.parameters() if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else None


# ----------------------------------------------------------------------------------------------
# 6. the run


def _manifest_inputs(cfg: TrainConfig) -> list[dict]:
    entries = []
    for role, runs in (("domain", cfg.data.corpus_runs), ("replay", cfg.data.replay_runs)):
        for run in map(CorpusRun, runs):
            entries.append({
                "role": role,
                "corpus_run": str(run.path.resolve()),
                "manifest_sha256": sha256_file(run.manifest) if run.manifest.is_file() else None,
                "tokenizer_sha256": sha256_file(run.tokenizer_file),
                "shards": [{"file": s.path.name, "tokens": len(s), "documents": s.num_docs}
                           for s in list_shards(run.tokens("train"))],
            })
    if cfg.model.path:
        model_dir = cfg.model.model_dir()
        # hashing tens of GB of weights would take minutes: hash the config, list the weight files
        entries.append({
            "role": "model",
            "path": str(model_dir.resolve()),
            "config_sha256": sha256_file(model_dir / "config.json"),
            "weights": [{"file": p.name, "bytes": p.stat().st_size}
                        for p in sorted(model_dir.glob("*")) if p.suffix in (".safetensors", ".bin")],
        })
    return entries


def train_step(engine, batches: RankBatches, step: int, zero_stage: int):
    """One optimiser step over the accumulated micro batches: (mean loss over all ranks and micro batches,
    global gradient norm), the same on every rank (every step: a non-finite one must stop the run)."""
    loss_sum = torch.zeros((), dtype=torch.float64, device=engine.device)
    own_grad_norm = None
    for micro, batch in enumerate(batches.micro_batches(step)):
        logits = engine(input_ids=batch[:, :-1]).logits
        loss = F.cross_entropy(logits.float().flatten(0, 1), batch[:, 1:].flatten())
        engine.backward(loss)
        if zero_stage == 0 and micro == batches.accum - 1:
            # without ZeRO the engine keeps no global norm: take it from the reduced grads before the step
            own_grad_norm = _grad_norm(engine.module)
        engine.step()
        loss_sum += loss.detach().double()
    dist.all_reduce(loss_sum)
    grad_norm = engine.get_global_grad_norm()
    grad_norm = own_grad_norm if grad_norm is None else grad_norm
    return float(loss_sum) / (batches.accum * batches.world), None if grad_norm is None else float(grad_norm)


def stop_if_not_finite(step: int, loss: float, grad_norm: float | None, run_dir: Path) -> None:
    """A loss or gradient norm that is nan or inf ends the run (every rank alike) before anything is saved."""
    bad = [f"the loss is {loss}"] if not math.isfinite(loss) else []
    if grad_norm is not None and not math.isfinite(grad_norm):
        bad.append(f"the gradient norm is {grad_norm}")
    if bad:
        run = TrainRun(run_dir)
        newest = f"the newest checkpoint is still {run.latest().name}" if run.has_checkpoint() else "no checkpoint was written"
        raise TrainInputError(f"step {step}: {' and '.join(bad)}; the run stopped before saving it ({newest}). "
                              "Lower optim.lr, check the data or the model weights, then start again or resume")


def data_order(cfg: TrainConfig, inputs: Inputs) -> MixedWindowOrder:
    """The seeded order of training windows: a pure function of the global sample index."""
    return MixedWindowOrder(
        PackedWindows.from_folders(inputs.domain_folders, cfg.data.seq_len),
        PackedWindows.from_folders(inputs.replay_folders, cfg.data.seq_len) if inputs.replay_folders else None,
        cfg.data.replay_ratio, cfg.run.seed,
    )


def _start_run_folder(cfg: TrainConfig, procs: Processes, order: MixedWindowOrder, total_steps: int,
                      global_batch: int) -> None:
    run_dir = Path(cfg.run.out_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(run_dir, "train", cfg, inputs=_manifest_inputs(cfg), world_size=procs.world,
                   backend=procs.backend, precision="bf16" if procs.bf16 else "fp32", total_steps=total_steps,
                   global_batch_windows=global_batch, domain_windows=len(order.sources[0]),
                   device=procs.device_name, resumes=[])


def _banner(cfg: TrainConfig, procs: Processes, n_params: int, total_steps: int, global_batch: int,
            order: MixedWindowOrder) -> str:
    return (f"[bold]kinyu train[/] {n_params / 1e6:.2f}M params, {procs.world} process(es), "
            f"ZeRO-{cfg.deepspeed.zero_stage}, {'bf16' if procs.bf16 else 'fp32'}, {total_steps} steps x "
            f"{global_batch} windows x {cfg.data.seq_len} tokens, {len(order.sources[0])} domain windows"
            + (f", replay {cfg.data.replay_ratio:.0%}" if order.ratio else ""))


def run_training(cfg: TrainConfig, resume: bool = False, resume_from: str | None = None) -> Path:
    """Train as configured; return the TRAIN_RUN folder. ``resume`` continues its latest checkpoint (or the one
    ``resume_from`` names), once its files verify."""
    inputs = check_inputs(cfg, resume=resume, resume_from=resume_from)
    procs = start_processes(cfg)
    run_dir, s, seq_len = Path(cfg.run.out_dir), cfg.schedule, cfg.data.seq_len
    _seed_everything(cfg.run.seed)
    order = data_order(cfg, inputs)
    global_batch = s.micro_batch_size * s.grad_accum_steps * procs.world
    total_steps = s.max_steps or math.ceil(order.samples_for_domain_epochs(s.epochs) / global_batch)
    if procs.rank == 0 and not resume:
        _start_run_folder(cfg, procs, order, total_steps, global_batch)
    dist.barrier()

    engine, optimizer, model_flops_per_token, n_params = build_engine(cfg, inputs, total_steps, procs.bf16, procs.world)
    progress = resume_from_checkpoint(engine, cfg, procs, inputs.resume_from, global_batch) if resume else Progress()
    log = RunLog(cfg, run_dir, procs.rank, total_steps, progress.step)
    if resume:
        log.print(f"[bold]resumed[/] from {inputs.resume_from.path} at step {progress.step} "
                  f"({progress.tokens_seen:,} tokens)")
    log.print(_banner(cfg, procs, n_params, total_steps, global_batch, order))
    peak = cfg.logging.peak_flops_per_device or (device_peak_flops(procs.device_name) if procs.cuda else None)
    val = validation_windows(inputs.validation_folders, seq_len) if cfg.logging.eval_every_steps > 0 else None
    prefetch = procs.cuda if cfg.data.prefetch is None else cfg.data.prefetch
    batches = RankBatches(order, s, procs.rank, procs.world, engine.device, prefetch)

    engine.train()
    while progress.step < total_steps:
        first = progress.step * global_batch
        lr_now = optimizer.param_groups[0]["lr"]
        is_last = progress.step + 1 == total_steps
        do_eval = val is not None and ((progress.step + 1) % cfg.logging.eval_every_steps == 0 or is_last)
        do_log = (progress.step + 1) % cfg.logging.every_steps == 0 or is_last or do_eval
        loss, grad_norm = train_step(engine, batches, progress.step, cfg.deepspeed.zero_stage)
        stop_if_not_finite(progress.step + 1, loss, grad_norm, run_dir)
        progress.step += 1
        progress.tokens_seen += global_batch * seq_len
        progress.replay_tokens += (order.replay_before(first + global_batch) - order.replay_before(first)) * seq_len
        log.interval_tokens += global_batch * seq_len
        log.windows(progress.step, order, first, global_batch)

        if do_log:
            tokens_per_s = log.tokens_per_s()
            record = {"step": progress.step, "tokens": progress.tokens_seen, "loss": loss, "lr": lr_now,
                      "grad_norm": grad_norm, "tokens_per_s": tokens_per_s,
                      "mfu": (tokens_per_s * model_flops_per_token / (peak * procs.world)) if peak else None,
                      "replay_tokens": progress.replay_tokens, "epoch": order.domain_epoch(first + global_batch)}
            if do_eval:
                record["val_loss"] = evaluate(engine, val, cfg, procs)
            log.record(record)

        if progress.step % cfg.checkpoint.every_steps == 0 or (is_last and cfg.checkpoint.save_final):
            saving_started = time.perf_counter()
            state = checkpoint_state(progress, order, global_batch, optimizer.param_groups[0]["lr"], lr_now,
                                     total_steps, cfg.run.seed)
            save_checkpoint(engine, cfg, inputs, run_dir, progress.step, state)
            log.exclude_time(time.perf_counter() - saving_started)

    batches.close()
    log.close()
    dist.barrier()
    engine.destroy()
    return run_dir


def load_run_config(run_dir: str | Path) -> TrainConfig:
    """The resolved config a TRAIN_RUN was started with (from its manifest)."""
    manifest = TrainRun(run_dir).manifest
    if not manifest.is_file():
        raise TrainInputError(f"{run_dir}: no manifest.json; is this a TRAIN_RUN folder?")
    try:
        return from_dict(TrainConfig, read_json(manifest)["config"])
    except ConfigError as e:
        raise TrainInputError(f"{manifest}: config does not load: {e}") from None
