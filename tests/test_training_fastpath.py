"""The GPU fast path's parts, checked on CPU: read-ahead batches, attention kernel, fused Adam, compile.

What they buy in speed is measured on a GPU by benchmarks/train_throughput.py (benchmarks/gpu_check.sh).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from _corpus_fixture import build_financial_and_replay
from kinyu.base.config import load_config
from kinyu.training.config import ScheduleConfig, TrainConfig
from kinyu.training.data import MixedWindowOrder, PackedWindows, RankBatches

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    return build_financial_and_replay(tmp_path_factory.mktemp("fastpath"), n_docs=120)


@pytest.mark.parametrize("rank,world", [(0, 1), (1, 2)])
def test_read_ahead_batches_are_the_data_order(corpora, rank, world):
    """Prefetching (a background thread reading the next micro batch) changes nothing the trainer sees."""
    fin, gen = corpora
    order = MixedWindowOrder(PackedWindows.from_folders([fin / "tokens" / "train"], 32),
                             PackedWindows.from_folders([gen / "tokens" / "train"], 32), 0.25, seed=3)
    schedule = ScheduleConfig(micro_batch_size=2, grad_accum_steps=3)
    plain = RankBatches(order, schedule, rank, world, torch.device("cpu"), prefetch=False)
    ahead = RankBatches(order, schedule, rank, world, torch.device("cpu"), prefetch=True)
    assert ahead._pool is not None and plain._pool is None
    for step in range(4):
        got = list(ahead.micro_batches(step))
        want = list(plain.micro_batches(step))
        assert len(got) == 3
        for micro, (a, b) in enumerate(zip(got, want)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
            start = step * 2 * 3 * world + (micro * world + rank) * 2
            np.testing.assert_array_equal(a.numpy(), order.batch(range(start, start + 2)))
    # the next step's first micro batch was already read while this step ran
    assert ahead._ahead is not None and ahead._ahead[0] == (4, 0)
    ahead.close()


def test_attention_kernel_per_device(monkeypatch):
    from kinyu.training import train

    assert train.attn_implementation("auto", cuda=False) is None  # CPU: transformers' default, as before
    assert train.attn_implementation("eager", cuda=False) == "eager"
    monkeypatch.setattr(train.importlib.util, "find_spec", lambda name: None)
    assert train.attn_implementation("auto", cuda=True) == "sdpa"
    monkeypatch.setattr(train.importlib.util, "find_spec", lambda name: object() if name == "flash_attn" else None)
    assert train.attn_implementation("auto", cuda=True) == "flash_attention_2"


def test_configured_attention_kernel_reaches_the_model(corpora, tmp_path):
    from kinyu.training.train import build_model, check_inputs

    fin, _ = corpora
    for kernel in ("eager", "sdpa"):
        cfg = load_config(TrainConfig, TINY, {"data.corpus_runs": [str(fin)], "run.out_dir": str(tmp_path / "o"),
                                              "model.attn_implementation": kernel, "logging.eval_every_steps": 0})
        model = build_model(cfg, check_inputs(cfg), torch.float32)
        assert model.config._attn_implementation == kernel


def test_fused_adam_and_bf16_on_gpu_torch_adamw_on_cpu(corpora, tmp_path):
    from kinyu.training.train import deepspeed_config

    fin, _ = corpora
    cfg = load_config(TrainConfig, TINY, {"data.corpus_runs": [str(fin)], "run.out_dir": str(tmp_path / "o")})
    gpu = deepspeed_config(cfg, 8, bf16=True, cpu=False)
    cpu = deepspeed_config(cfg, 1, bf16=False, cpu=True)
    # torch_adam False: DeepSpeed builds its FusedAdam (multi-tensor CUDA kernel) in AdamW mode
    assert gpu["optimizer"]["type"] == "AdamW" and gpu["optimizer"]["params"]["torch_adam"] is False
    assert gpu["bf16"]["enabled"] is True and gpu["train_batch_size"] == 4 * 2 * 8
    assert cpu["optimizer"]["params"]["torch_adam"] is True and cpu["bf16"]["enabled"] is False


def test_compile_flag_compiles_the_engine(corpora, tmp_path):
    from kinyu.training.train import build_engine, check_inputs, start_processes

    fin, _ = corpora
    for on in (False, True):
        cfg = load_config(TrainConfig, TINY, {"data.corpus_runs": [str(fin)], "run.out_dir": str(tmp_path / "o"),
                                              "model.compile": on, "logging.eval_every_steps": 0})
        inputs = check_inputs(cfg)
        procs = start_processes(cfg)
        engine, *_ = build_engine(cfg, inputs, 4, bf16=False, world=procs.world)
        assert engine.is_compiled is on
        engine.destroy()
