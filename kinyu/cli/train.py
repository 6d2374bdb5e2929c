"""``kinyu train``: continual-pre-train a causal LM on corpus token shards with DeepSpeed.

    kinyu train --config configs/train/tiny_cpu.yaml [--optim.lr 1e-4 ...]
    kinyu train --resume TRAIN_RUN
    deepspeed --hostfile hostfile --module kinyu.cli train --config ...      (several nodes)
    torchrun --nnodes 2 --nproc-per-node 8 ... -m kinyu.cli train --config ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kinyu.cli.common import Command, Group, config_parser
from kinyu.config import ConfigError, config_overrides, dump_yaml, load_config, set_field
from training.config import TrainConfig


def build_parser(prog: str = "kinyu train") -> argparse.ArgumentParser:
    parser = config_parser(
        prog,
        "Continual-pre-train a causal LM on the token shards of CORPUS_RUN folders with a DeepSpeed "
        "engine (ZeRO 0-3, bf16 on GPU, fp32 on CPU). Writes a TRAIN_RUN folder: manifest.json, "
        "metrics.jsonl, tensorboard/, checkpoints/step_NNNNNN/{deepspeed,hf,state.json}.",
        TrainConfig,
        usage=f"{prog} --config FILE [--<config.field> VALUE ...] | {prog} --resume TRAIN_RUN",
    )
    parser.add_argument("--resume", metavar="TRAIN_RUN",
                        help="continue TRAIN_RUN from its latest checkpoint with the config it was started with")
    parser.add_argument("--auto-resume", action="store_true",
                        help="with --config: if run.out_dir already holds a checkpoint, resume it instead of failing "
                             "(for requeued cluster jobs)")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    # the deepspeed launcher appends --local_rank=N; the rank is read from the environment instead
    parser.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def run_train(args) -> int:
    from training.train import load_run_config, run_training

    overrides = config_overrides(args)
    if args.resume:
        if args.config:
            raise ConfigError("give either --config (a new run) or --resume TRAIN_RUN, not both")
        cfg = load_run_config(args.resume)
        for key, value in overrides.items():
            set_field(cfg, key, value)
        set_field(cfg, "run.out_dir", args.resume)
        cfg.validate()
    else:
        if not args.config and not overrides:
            raise ConfigError("give --config FILE.yaml (see configs/train/) or --resume TRAIN_RUN")
        cfg = load_config(TrainConfig, args.config, overrides)
        if args.auto_resume and (Path(cfg.run.out_dir) / "checkpoints" / "latest").is_file():
            args.resume = cfg.run.out_dir
            print(f"kinyu train: {cfg.run.out_dir} holds a checkpoint; resuming it", file=sys.stderr)
            cfg = load_run_config(cfg.run.out_dir)
    if args.print_config:
        print(dump_yaml(cfg), end="")
        return 0
    run_dir = run_training(cfg, resume=bool(args.resume))
    print(f"kinyu train: wrote {run_dir}")
    return 0


def _user_errors():
    from training.train import TrainInputError

    return (TrainInputError,)


GROUP = Group(
    "kinyu train",
    "Continual-pre-train a causal LM on corpus token shards with DeepSpeed.",
    [Command("", "train (or resume) a run: kinyu train --config FILE | --resume TRAIN_RUN", build_parser, run_train)],
    _user_errors,
)
main = GROUP.main
