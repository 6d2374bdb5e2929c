"""Two processes under torchrun (gloo, CPU): ZeRO-2 data parallel gives the one-process loss curve.

With 2 ranks x 1 micro batch of 4 windows and 1 process x 2 accumulated micro batches of 4, every
step sees the same 8 global samples, so the losses agree up to reduction order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from _corpus_fixture import build_financial_and_replay

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"
LAUNCHER_VARS = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "GROUP_RANK"}


def _flags(fin: Path, gen: Path, out: Path, **more) -> list[str]:
    fields = {"data.corpus_runs": fin, "data.replay_runs": gen, "data.replay_ratio": 0.25, "run.out_dir": out,
              "schedule.max_steps": 6, "checkpoint.every_steps": 3, "logging.eval_every_steps": 3,
              "deepspeed.zero_stage": 2, "logging.tensorboard": False, **more}
    return [x for k, v in fields.items() for x in (f"--{k}", str(v))]


def _losses(run: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_torchrun_two_processes_zero2_matches_one_process(tmp_path):
    from kinyu.cli.train import main

    fin, gen = build_financial_and_replay(tmp_path / "corpora")
    single = tmp_path / "single"
    assert main(["--config", str(TINY), *_flags(fin, gen, single)]) == 0

    multi = tmp_path / "torchrun"
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS} | {"PYTHONPATH": str(REPO),
                                                                             "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2",
           "--rdzv-backend", "c10d", "--rdzv-endpoint", "127.0.0.1:0", "-m", "kinyu.cli", "train",
           "--config", str(TINY), *_flags(fin, gen, multi, **{"schedule.grad_accum_steps": 1})]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-4000:]

    manifest = json.loads((multi / "manifest.json").read_text())
    assert manifest["world_size"] == 2 and manifest["backend"] == "gloo"
    assert _losses(multi) == pytest.approx(_losses(single), rel=1e-5)
    # one rank wrote the shared files: one metrics line per step, one complete checkpoint set
    assert (multi / "checkpoints" / "latest").read_text().strip() == "step_000006"
    ds = multi / "checkpoints" / "step_000006" / "deepspeed"
    assert sorted(p.name for p in ds.glob("rng_state_rank*.pt")) == ["rng_state_rank00000.pt", "rng_state_rank00001.pt"]
    assert len(list((ds / "step_000006").glob("*optim_states.pt"))) == 2  # ZeRO-2: optimiser sharded over 2 ranks
    val = [json.loads(line)["val_loss"] for line in (multi / "metrics.jsonl").read_text().splitlines()
           if "val_loss" in line]
    ref = [json.loads(line)["val_loss"] for line in (single / "metrics.jsonl").read_text().splitlines()
           if "val_loss" in line]
    assert val == pytest.approx(ref, rel=1e-5)
