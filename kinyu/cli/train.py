"""``kinyu train``: continual-pre-train a causal LM on corpus token shards with DeepSpeed.

    kinyu train --config configs/train/tiny_cpu.yaml [--optim.lr 1e-4 ...]
    kinyu train --resume TRAIN_RUN [--resume-from step_NNNNNN]
    kinyu train plan --config FILE [--tokens 370M] [--gpu-mem 80GB] [--nodes N] [--gpus-per-node N] [--gpu A100]
    deepspeed --hostfile hostfile --module kinyu.cli train --config ...      (several nodes)
    torchrun --nnodes 2 --nproc-per-node 8 ... -m kinyu.cli train --config ...
"""

from __future__ import annotations

import argparse
import sys

from kinyu.cli.common import Command, Group, config_parser
from kinyu.base.config import ConfigError, config_overrides, dump_yaml, load_config, set_field, validate
from kinyu.base.layout import TrainRun
from kinyu.training.config import TrainConfig


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
    parser.add_argument("--resume-from", metavar="step_NNNNNN",
                        help="with --resume: continue from this checkpoint of the run instead of its latest (e.g. the "
                             "previous one, when the latest fails its checksums)")
    parser.add_argument("--auto-resume", action="store_true",
                        help="with --config: if run.out_dir already holds a checkpoint, resume it instead of failing "
                             "(for requeued cluster jobs)")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    # the deepspeed launcher appends --local_rank=N; the rank is read from the environment instead
    parser.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def run_train(args) -> int:
    from kinyu.training.train import load_run_config, run_training

    overrides = config_overrides(args)
    if args.resume:
        if args.config:
            raise ConfigError("give either --config (a new run) or --resume TRAIN_RUN, not both")
        cfg = load_run_config(args.resume)
        for key, value in overrides.items():
            set_field(cfg, key, value)
        set_field(cfg, "run.out_dir", args.resume)
        validate(cfg)
    else:
        if not args.config and not overrides:
            raise ConfigError("give --config FILE.yaml (see configs/train/) or --resume TRAIN_RUN")
        cfg = load_config(TrainConfig, args.config, overrides)
        if args.auto_resume and TrainRun(cfg.run.out_dir).has_checkpoint():
            args.resume = cfg.run.out_dir
            print(f"kinyu train: {cfg.run.out_dir} holds a checkpoint; resuming it", file=sys.stderr)
            cfg = load_run_config(cfg.run.out_dir)
    if args.print_config:
        print(dump_yaml(cfg), end="")
        return 0
    if args.resume_from and not args.resume:
        raise ConfigError("--resume-from step_NNNNNN goes with --resume TRAIN_RUN")
    run_dir = run_training(cfg, resume=bool(args.resume), resume_from=args.resume_from)
    print(f"kinyu train: wrote {run_dir}")
    return 0


def plan_parser(prog: str = "kinyu train plan") -> argparse.ArgumentParser:
    parser = config_parser(
        prog,
        "Before launching: per-GPU memory of the config (DeepSpeed's model-state estimators + activations), "
        "whether it fits, what to change if not, and steps, tokens and wall time. Reads only config.json and "
        "the shard lengths; no weights, no GPU. Exit 0 = fits, 1 = does not.",
        TrainConfig,
        usage=f"{prog} --config FILE [--tokens N] [--gpu-mem 80GB] [--nodes N] [--gpus-per-node N] [--<config.field> VALUE ...]",
    )
    parser.add_argument("--tokens", help="domain tokens per epoch, e.g. 370M (default: count the corpus runs' shards)")
    parser.add_argument("--gpu-mem", default="80GB", help="memory of one GPU (GB = GiB, as DeepSpeed prints it)")
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--gpus-per-node", type=int, default=8)
    parser.add_argument("--gpu", default="A100", help="GPU name for the bf16 peak (kinyu.training.flops table)")
    parser.add_argument("--mfu", type=float, default=None, help="model FLOPs utilisation for the time estimate (default 0.40, assumed)")
    return parser


def run_plan(args) -> int:
    from kinyu.training.plan import ASSUMED_MFU, Cluster, make_plan, parse_bytes, parse_count, render

    if args.config is None:
        raise ConfigError("give --config FILE.yaml (see configs/train/)")
    cfg = load_config(TrainConfig, args.config, config_overrides(args))
    if args.nodes < 1 or args.gpus_per_node < 1:
        raise ConfigError("--nodes and --gpus-per-node must be >= 1")
    cluster = Cluster(args.nodes, args.gpus_per_node, parse_bytes(args.gpu_mem), args.gpu, args.mfu or ASSUMED_MFU)
    plan = make_plan(cfg, cluster, parse_count(args.tokens) if args.tokens else None)
    print(render(plan))
    return 0 if plan.fits else 1


GROUP = Group(
    "kinyu train",
    "Continual-pre-train a causal LM on corpus token shards with DeepSpeed.",
    [
        Command("", "train (or resume) a run: kinyu train --config FILE | --resume TRAIN_RUN", build_parser, run_train,
                interrupted="interrupted; `kinyu train --resume TRAIN_RUN` goes on from its last checkpoint "
                            "(or rerun the same command with --auto-resume)"),
        Command("plan", "memory per GPU, fit, steps and wall time of a config, before launching (no GPU needed)", plan_parser, run_plan),
    ],
)
main = GROUP.main
