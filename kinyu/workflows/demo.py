"""``kinyu demo``: the whole chain on the embedded sample, on CPU, in a few minutes.

corpus build -> stats + HTML report -> train a tiny Llama from config on the shards ->
evaluate every checkpoint (bits per character on the financial validation split and on
general-domain text; the five tasks too with --data-dir) -> print where each output is.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO_CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kinyu demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/demo", help="folder for the three runs (default: runs/demo)")
    p.add_argument("--data-dir", default=None, help="fin-harness task data (e.g. ../shared/data/fin-harness) to also score the tasks")
    p.add_argument("--chabsa-dir", default=None, help="chABSA json folder (e.g. ../shared/data/real/chabsa-json) for the chabsa task")
    p.add_argument("--limit", type=int, default=20, help="items per task when --data-dir is given")
    p.add_argument("--steps", type=int, default=40, help="training steps of the tiny model")
    args = p.parse_args(argv)

    from rich.console import Console

    from corpus.config import CorpusConfig
    from corpus.pipeline import build
    from corpus.report import build_report
    from corpus.report_cli import print_summary
    from corpus.sample import general_dir
    from evaluation.sweep import sweep
    from kinyu.config import load_config
    from training.config import TrainConfig
    from training.train import run_training

    console = Console()
    out = Path(args.out)
    t0 = time.perf_counter()
    timings = {}

    console.rule("[bold]1/4 corpus build[/] (embedded sample)")
    corpus_cfg = load_config(
        CorpusConfig,
        REPO_CONFIGS / "corpus.yaml" if (REPO_CONFIGS / "corpus.yaml").is_file() else None,
        # a small vocabulary and a larger held-out share: the sample is ~40k characters, and the
        # tiny model needs enough validation windows for a meaningful bits-per-character figure
        {"output": str(out / "corpus"), "input.paths": [], "executor.workers": 2, "tokenize.vocab_size": 1000,
         "tokenize.validation_fraction": 0.1},
    )
    corpus_run = build(corpus_cfg, overwrite=True)
    print_summary(corpus_run, console)
    timings["corpus"] = time.perf_counter() - t0

    console.rule("[bold]2/4 corpus report[/]")
    report = build_report(corpus_run)
    console.print(f"report: {report}")
    timings["report"] = time.perf_counter() - t0 - sum(timings.values())

    console.rule("[bold]3/4 train a tiny Llama[/] (DeepSpeed, CPU)")
    train_cfg = load_config(
        TrainConfig,
        REPO_CONFIGS / "train" / "tiny_cpu.yaml",
        {"data.corpus_runs": [str(corpus_run)], "run.out_dir": str(out / "train"), "schedule.max_steps": args.steps,
         "checkpoint.every_steps": max(1, args.steps // 2)},
    )
    import shutil

    shutil.rmtree(out / "train", ignore_errors=True)
    train_run = run_training(train_cfg)
    timings["train"] = time.perf_counter() - t0 - sum(timings.values())

    console.rule("[bold]4/4 evaluate every checkpoint[/]")
    shutil.rmtree(out / "eval", ignore_errors=True)
    eval_out = sweep(
        train_run,
        out / "eval",
        data_dir=args.data_dir,
        chabsa_dir=args.chabsa_dir,
        corpus_runs={"finance_val": str(corpus_run)},
        text_dirs={"general": str(general_dir())},
        limit=args.limit if args.data_dir or args.chabsa_dir else None,
    )
    timings["eval"] = time.perf_counter() - t0 - sum(timings.values())
    md = eval_out / "results.md"
    if md.is_file():
        console.print(md.read_text(encoding="utf-8"))

    total = time.perf_counter() - t0
    console.rule("[bold green]done[/]")
    console.print(f"corpus run    {corpus_run}  (docs/, tokens/, quarantine.jsonl, stats/, manifest.json)")
    console.print(f"HTML report   {report}")
    console.print(f"training run  {train_run}  (metrics.jsonl, checkpoints/, tensorboard/)")
    console.print(f"evaluation    {eval_out}  (results.json, results.csv, results.md, plots/)")
    console.print("times: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()) + f"; total {total:.0f}s")
    return 0
