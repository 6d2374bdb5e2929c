"""Run under torchrun with 2 processes: build kinyu's DeepSpeed engine at ZeRO 0-3 and write, per
rank, what each stage partitions (a helper of test_training_dist.py, not a test module).

    python -m torch.distributed.run --nproc-per-node 2 tests/_zero_probe.py CONFIG.yaml OUT_DIR [--field value ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch.distributed as dist

from kinyu.base.config import load_config
from kinyu.training.config import TrainConfig
from kinyu.training.train import build_engine, check_inputs, start_processes


def probe(engine, stage: int) -> dict:
    params = list(engine.module.parameters())
    report = {"optimizer": type(engine.optimizer).__name__,
              "full_params": sum(int(getattr(p, "ds_numel", p.numel())) for p in params),
              "local_params": sum(p.numel() for p in params)}
    if stage in (1, 2):
        report["fp32_partition"] = sum(p.numel() for p in engine.optimizer.single_partition_of_fp32_groups)
        report["partition_gradients"] = bool(engine.optimizer.partition_gradients)
    if stage == 3:
        report["fp32_partition"] = sum(p.numel() for p in engine.optimizer.fp32_partitioned_groups_flat)
        report["param_shards"] = sum(p.ds_tensor.numel() for p in params)
        report["all_not_available"] = all(p.ds_status.name == "NOT_AVAILABLE" for p in params)
    return report


def main(config: str, out_dir: str, *flags: str) -> None:
    overrides = {flags[i][2:]: flags[i + 1] for i in range(0, len(flags), 2)}
    reports = {}
    for stage in (0, 1, 2, 3):
        cfg = load_config(TrainConfig, config, {**overrides, "deepspeed.zero_stage": stage})
        inputs = check_inputs(cfg)
        procs = start_processes(cfg)
        engine, *_ = build_engine(cfg, inputs, 4, bf16=False, world=procs.world)
        reports[stage] = probe(engine, stage)
        engine.destroy()
    Path(out_dir, f"rank{procs.rank}.json").write_text(json.dumps(reports))
    # as the trainer does: a process group left to interpreter shutdown may abort in gloo's
    # threads (「terminate called without an active exception」, SIGABRT), failing a finished probe
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
