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
    # the two ranks hashed half the files each: checksums.json lists every file of both, and they verify
    from kinyu.base.layout import Checkpoint
    from kinyu.training.checkpoints import checksum_problem

    listed = json.loads((ds.parent / "checksums.json").read_text())["files"]
    assert {"deepspeed/rng_state_rank00000.pt", "deepspeed/rng_state_rank00001.pt", "state.json"} <= listed.keys()
    assert checksum_problem(Checkpoint(ds.parent)) is None
    val = [json.loads(line)["val_loss"] for line in (multi / "metrics.jsonl").read_text().splitlines()
           if "val_loss" in line]
    ref = [json.loads(line)["val_loss"] for line in (single / "metrics.jsonl").read_text().splitlines()
           if "val_loss" in line]
    assert val == pytest.approx(ref, rel=1e-5)


@pytest.mark.slow
def test_zero_stages_partition_what_they_promise(tmp_path):
    """2 gloo processes: ZeRO-1/2 each hold half the fp32 master weights (stage 2 also partitions gradients),
    ZeRO-3 also shards the parameters themselves (no rank keeps a full one), ZeRO-0 partitions nothing."""
    fin, gen = build_financial_and_replay(tmp_path / "corpora", n_docs=120)
    out = tmp_path / "probe"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS} | {"PYTHONPATH": str(REPO),
                                                                             "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2",
           "--rdzv-backend", "c10d", "--rdzv-endpoint", "127.0.0.1:0", str(REPO / "tests" / "_zero_probe.py"),
           str(TINY), str(out), "--data.corpus_runs", str(fin), "--run.out_dir", str(tmp_path / "unused"),
           "--schedule.grad_accum_steps", "1", "--logging.eval_every_steps", "0"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    ranks = [{int(k): v for k, v in json.loads((out / f"rank{r}.json").read_text()).items()} for r in (0, 1)]
    n = ranks[0][0]["full_params"]
    for r in ranks:
        assert r[0]["local_params"] == n and "fp32_partition" not in r[0]  # ZeRO-0: every rank holds everything
        for stage in (1, 2):
            assert r[stage]["local_params"] == n  # parameters themselves are whole on every rank
            assert abs(r[stage]["fp32_partition"] - n / 2) <= 64, (stage, r[stage])  # half, up to alignment padding
        assert r[1]["partition_gradients"] is False and r[2]["partition_gradients"] is True
        assert r[3]["full_params"] == n and r[3]["local_params"] == 0 and r[3]["all_not_available"]
        assert abs(r[3]["param_shards"] - n / 2) <= 64 * 32 and abs(r[3]["fp32_partition"] - n / 2) <= 64 * 32
    assert ranks[0][1]["fp32_partition"] + ranks[1][1]["fp32_partition"] >= n
