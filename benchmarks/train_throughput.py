"""Training throughput: the data loader alone vs the trainer, and the trainer's tokens/s and MFU.

Figures, not a test. Goals: the loader at least 50x faster than the trainer (data never the
bottleneck); on one H100, a ~1B Llama-style model at seq 2048, bf16, ZeRO-2 at >= 45% MFU.

    # CPU figure (tiny model, seconds)
    python benchmarks/train_throughput.py
    # the GPU goal (TinyLlama-shaped 1.1B, seq 2048, bf16, ZeRO-2)
    python benchmarks/train_throughput.py --preset 1b --steps 30 --micro-batch 4 --grad-accum 4 --precision bf16 --zero 2
    # calibration for sizing studies: a ~130M Llama (GPT-2-small widths), seq 1024, torch's fused AdamW
    python benchmarks/train_throughput.py --preset 100m --micro-batch 16 --grad-accum 2 --precision bf16 --zero 1 --optim torch-fused

A synthetic CORPUS_RUN (random token shards in datatrove's format and a word-level tokenizer of
the model's vocabulary size) is written to a temp folder unless --corpus-run is given; the
trainer is kinyu's own ``run_training`` with its real DeepSpeed engine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# the checkout last: an installed kinyu (pip install --target DIR, on PYTHONPATH) wins over the tree's folders
sys.path.append(str(Path(__file__).resolve().parents[1]))

PRESETS = {
    # hidden, layers, heads, kv heads, intermediate, vocab
    "tiny": (64, 2, 4, 4, 256, 512),
    "small": (256, 4, 8, 8, 1024, 8000),
    "1b": (2048, 22, 32, 4, 5632, 32000),  # TinyLlama-1.1B shape
    "100m": (768, 12, 12, 12, 2048, 32000),  # GPT-2-small widths, Llama blocks: 134M parameters (85M without embeddings)
}
DEFAULT_SEQ = {"1b": 2048, "100m": 1024}  # others: 128
# --optim: which AdamW DeepSpeed steps (kinyu's optim.torch_adam; deepspeed.extra passes fused=True to torch)
OPTIMIZERS = {
    "default": {},  # kinyu's choice: DeepSpeed's FusedAdam on GPU (JIT-built with nvcc on first use), torch's on CPU
    "deepspeed": {"optim.torch_adam": False},
    "torch": {"optim.torch_adam": True},  # torch.optim.AdamW, its default implementation (foreach on CUDA)
    "torch-fused": {"optim.torch_adam": True, "deepspeed.extra": {"optimizer": {"params": {"fused": True}}}},
}


def parameter_count(hidden: int, layers: int, heads: int, kv: int, inter: int, vocab: int) -> int:
    """Parameters of a Llama block stack with untied embedding and LM head (RMSNorm weights included)."""
    head_dim = hidden // heads
    attention = hidden * hidden * 2 + hidden * kv * head_dim * 2
    return 2 * vocab * hidden + layers * (attention + 3 * hidden * inter + 2 * hidden) + hidden


def synthetic_corpus_run(root: Path, vocab_size: int, n_tokens: int, seed: int = 0) -> Path:
    """A CORPUS_RUN with random documents (EOS-terminated) in datatrove's .ds/.index/.metadata format."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    from kinyu.base.layout import TOKEN_SPLITS, CorpusRun
    from kinyu.base.runs import write_manifest
    from kinyu.corpus.tokenize import EOS_TOKEN, PAD_TOKEN, write_hf_tokenizer_files

    vocab = {EOS_TOKEN: 0, PAD_TOKEN: 1, **{f"t{i}": i for i in range(2, vocab_size)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token=EOS_TOKEN))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    run = CorpusRun(root)
    run.tokenizer_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(run.tokenizer_file))
    write_hf_tokenizer_files(run.tokenizer_dir)
    rng = np.random.default_rng(seed)
    dtype = np.uint16 if vocab_size < 65536 else np.uint32
    for split, count in zip(TOKEN_SPLITS, (n_tokens, max(4096, n_tokens // 50))):
        folder = run.tokens(split)
        folder.mkdir(parents=True, exist_ok=True)
        tokens = rng.integers(2, vocab_size, size=count, dtype=np.int64)
        ends = np.cumsum(rng.integers(200, 2000, size=count // 200 + 1))
        ends = np.append(ends[ends < count], count)
        tokens[ends - 1] = 0  # every document ends with EOS
        tokens.astype(dtype).tofile(folder / "00000.ds")
        ends.astype("<u8").tofile(folder / "00000.ds.index")
        (folder / "00000.ds.metadata").write_text(f"synthetic|{np.dtype(dtype).itemsize}\n{count}\n")
    write_manifest(root, "corpus", {"synthetic": True, "vocab_size": vocab_size, "tokens": n_tokens})
    return root


def loader_tokens_per_s(corpus_run: Path, seq_len: int, micro_batch: int, grad_accum: int,
                        seconds: float = 3.0) -> float:
    """Tokens/s of the trainer's own loader alone (memory map, packing, seeded shuffle, read-ahead,
    pinned host memory and the copy to the device on CUDA), as one process of one."""
    import torch

    from kinyu.training.config import ScheduleConfig
    from kinyu.training.data import MixedWindowOrder, PackedWindows, RankBatches

    from kinyu.base.layout import CorpusRun

    windows = PackedWindows.from_folders([CorpusRun(corpus_run).tokens("train")], seq_len)
    cuda = torch.cuda.is_available()
    device = torch.device("cuda") if cuda else torch.device("cpu")
    schedule = ScheduleConfig(micro_batch_size=micro_batch, grad_accum_steps=grad_accum)
    batches = RankBatches(MixedWindowOrder(windows, seed=0), schedule, 0, 1, device, prefetch=cuda)
    done, start, step = 0, time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for batch in batches.micro_batches(step):
            done += batch.shape[0] * seq_len
        step += 1
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    batches.close()
    return done / elapsed


def planned_gib(cfg) -> float:
    """Per-GPU memory `kinyu train plan` predicts for ``cfg`` on this one GPU (model states + activations + reserve)."""
    import torch

    from kinyu.training.plan import RESERVE_BYTES, Cluster, gpu_bytes, model_shape

    props = torch.cuda.get_device_properties(0)
    states, _, acts = gpu_bytes(cfg, model_shape(cfg), Cluster(1, 1, props.total_memory, props.name))
    return (states + acts + RESERVE_BYTES) / 2**30


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    p.add_argument("--hidden", type=int), p.add_argument("--layers", type=int), p.add_argument("--heads", type=int)
    p.add_argument("--kv-heads", type=int), p.add_argument("--intermediate", type=int), p.add_argument("--vocab", type=int)
    p.add_argument("--seq-len", type=int, default=None, help="default 128 for tiny/small, 1024 for 100m, 2048 for 1b")
    p.add_argument("--micro-batch", type=int, default=4)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--zero", type=int, default=2, choices=[0, 1, 2, 3])
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--optim", choices=sorted(OPTIMIZERS), default="default",
                   help="deepspeed = DeepSpeed's FusedAdam; torch / torch-fused = torch.optim.AdamW (foreach / fused=True)")
    p.add_argument("--activation-checkpointing", action="store_true")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (model.compile)")
    p.add_argument("--attn", default="auto", choices=["auto", "eager", "sdpa", "flash_attention_2"],
                   help="attention kernel (model.attn_implementation); auto = flash/SDPA on CUDA")
    p.add_argument("--cpu-threads", type=int, default=1, help="torch threads on CPU (ignored on GPU)")
    p.add_argument("--peak-flops", type=float, default=None, help="device peak for MFU (default: GPU table)")
    p.add_argument("--corpus-run", type=Path, help="use this CORPUS_RUN instead of a synthetic one")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)

    import torch

    from kinyu.base.config import load_config
    from kinyu.base.layout import TrainRun
    from kinyu.training.config import TrainConfig
    from kinyu.training.train import run_training

    hidden, layers, heads, kv, inter, vocab = PRESETS[args.preset]
    hidden, layers, heads = args.hidden or hidden, args.layers or layers, args.heads or heads
    kv, inter, vocab = args.kv_heads or kv, args.intermediate or inter, args.vocab or vocab
    seq = args.seq_len or DEFAULT_SEQ.get(args.preset, 128)
    cuda = torch.cuda.is_available()
    global_batch = args.micro_batch * args.grad_accum

    with tempfile.TemporaryDirectory(prefix="kinyu_bench_") as tmp:
        tmp = Path(tmp)
        tokens_needed = (args.steps + 2) * global_batch * (seq + 1) * 2
        corpus = args.corpus_run or synthetic_corpus_run(tmp / "corpus", vocab, max(tokens_needed, 200_000))
        loader = loader_tokens_per_s(corpus, seq, args.micro_batch, args.grad_accum)

        cfg = load_config(TrainConfig, None, {
            "run.out_dir": str(tmp / "run"), "run.cpu_threads": 0 if cuda else args.cpu_threads,
            "model.hidden_size": hidden, "model.num_layers": layers, "model.num_heads": heads,
            "model.num_kv_heads": kv, "model.intermediate_size": inter, "model.max_position_embeddings": seq,
            "model.activation_checkpointing": args.activation_checkpointing,
            "model.compile": args.compile, "model.attn_implementation": args.attn,
            "data.corpus_runs": [str(corpus)], "data.seq_len": seq,
            "optim.lr": 3e-4, "optim.min_lr": 3e-5,
            "schedule.micro_batch_size": args.micro_batch, "schedule.grad_accum_steps": args.grad_accum,
            "schedule.max_steps": args.steps, "schedule.warmup_steps": 2,
            "deepspeed.zero_stage": args.zero, "deepspeed.precision": args.precision,
            "checkpoint.every_steps": 10**9, "checkpoint.save_final": False, "checkpoint.export_hf": False,
            "logging.every_steps": 1, "logging.eval_every_steps": 0, "logging.tensorboard": False,
            "logging.peak_flops_per_device": args.peak_flops or (None if cuda else 1e11),
            **OPTIMIZERS[args.optim],
        })
        start = time.perf_counter()
        run = run_training(cfg)
        wall = time.perf_counter() - start
        rows = [json.loads(line) for line in TrainRun(run).metrics.read_text().splitlines()]
        manifest = json.loads(TrainRun(run).manifest.read_text())
        planned = planned_gib(cfg) if cuda and args.precision != "fp32" else None

    steady = rows[min(3, len(rows) - 1):]  # skip warm-up steps (allocator, first kernels)
    trainer = statistics.median(r["tokens_per_s"] for r in steady)
    mfus = [r["mfu"] for r in steady if r["mfu"] is not None]
    figures = {
        "device": manifest["device"], "world_size": manifest["world_size"], "precision": manifest["precision"],
        "zero_stage": args.zero, "compile": args.compile, "attn": args.attn, "model": {"hidden": hidden, "layers": layers, "heads": heads, "kv_heads": kv,
                                           "intermediate": inter, "vocab": vocab},
        "seq_len": seq, "global_batch_windows": global_batch, "steps": args.steps,
        "params_m": parameter_count(hidden, layers, heads, kv, inter, vocab) / 1e6, "optim": args.optim,
        "loader_tokens_per_s": loader, "trainer_tokens_per_s": trainer,
        "step_s_median": global_batch * seq / trainer,
        "loader_over_trainer": loader / trainer, "mfu_median": statistics.median(mfus) if mfus else None,
        "mfu_peak_flops_source": "--peak-flops" if args.peak_flops else ("GPU table" if cuda else "nominal 1e11 CPU"),
        "final_loss": rows[-1]["loss"], "wall_s_incl_startup": wall,
        # `kinyu train plan`'s per-GPU estimate for this very config vs what CUDA's allocator held at its peak
        "plan_estimate_gib": planned,
        "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30 if cuda else None,
    }
    print(json.dumps(figures, indent=2))
    print(f"\nloader {loader:,.0f} tok/s vs trainer {trainer:,.0f} tok/s: {loader / trainer:,.0f}x (goal >= 50x)")
    if mfus:
        print(f"MFU {figures['mfu_median']:.1%} ({figures['mfu_peak_flops_source']}; GPU goal >= 45%)")
    if figures["peak_reserved_gib"] is not None:
        plan = f"{planned:.1f} GiB" if planned is not None else "n/a (fp32)"
        print(f"GPU memory: peak reserved {figures['peak_reserved_gib']:.1f} GiB vs kinyu train plan's {plan}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
