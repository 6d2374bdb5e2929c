"""``kinyu demo``: the whole chain on the embedded sample, on CPU, in a few minutes.

corpus build -> stats + HTML report -> train a tiny Llama from config on the shards ->
evaluate every checkpoint (bits per character on the financial validation split and on
general-domain text; the five tasks too with --data-dir) -> print where each output is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.pipeline import build
from kinyu.corpus.reporting.console import print_summary
from kinyu.corpus.reporting.html import build_report
from kinyu.corpus.sample import general_dir
from kinyu.evaluation.config import EvalConfig, TaskDataConfig
from kinyu.evaluation.harness import check_data
from kinyu.evaluation.sweep import sweep
from kinyu.base.config import load_config, option, shipped_config
from kinyu.base.layout import train_run_evidence
from kinyu.base.runs import remove_run_folder
from kinyu.training.config import TrainConfig
from kinyu.training.train import run_training

@dataclass
class DemoConfig:
    out: str = option("runs/demo", "folder for the three runs")
    # the tasks too with --data-dir (e.g. ../shared/data/fin-harness; chABSA: ../shared/data/real/chabsa-json):
    # 20 items of each, a few minutes on a CPU
    task_data: TaskDataConfig = option(factory=lambda: TaskDataConfig(limit=20), flatten=True)
    steps: int = option(40, "training steps of the tiny model")

    def problems(self) -> list[str]:
        return [] if self.steps >= 1 else ["steps must be >= 1"]


@dataclass(frozen=True)
class DemoRuns:
    """Where the demo left each output."""

    corpus_run: Path
    report: Path
    train_run: Path
    eval_out: Path


def corpus_config(out: Path) -> CorpusConfig:
    # a small vocabulary and a larger held-out share: the sample is ~40k characters, and the
    # tiny model needs enough validation windows for a meaningful bits-per-character figure
    return load_config(
        CorpusConfig,
        shipped_config("corpus.yaml"),
        {"output": str(out / "corpus"), "input.paths": [], "executor.workers": 2, "tokenize.vocab_size": 1000,
         "tokenize.validation_fraction": 0.1},
    )


def train_config(out: Path, corpus_run: Path, steps: int) -> TrainConfig:
    return load_config(
        TrainConfig,
        shipped_config("train/tiny_cpu.yaml"),
        {"data.corpus_runs": [str(corpus_run)], "run.out_dir": str(out / "train"), "schedule.max_steps": steps,
         "checkpoint.every_steps": max(1, steps // 2)},
    )


def eval_config(config: DemoConfig, corpus_run: Path) -> EvalConfig:
    return EvalConfig(
        # without task data the limit scores nothing: None, as the sweep's settings have always recorded it
        task_data=config.task_data if config.task_data.given() else replace(config.task_data, limit=None),
        bpc_corpora=[f"finance_val={corpus_run}"],
        bpc_texts=[f"general={general_dir()}"],
        out=str(Path(config.out) / "eval"),
    )


def _eval_evidence(path: Path) -> str | None:
    """Why ``path`` is an evaluation sweep's output (what the demo may replace), or None."""
    return "its results.json of an evaluation sweep" if (path / "results.json").is_file() or (path / "scores").is_dir() else None


def _say(console: Console, line: str | None) -> None:
    if line:
        console.print(f"replacing the last demo: {line}", markup=False)


def run_demo(config: DemoConfig, console: Console | None = None) -> DemoRuns:
    """Build, report, train and evaluate into ``config.out``; earlier demo outputs there are replaced."""
    console = console or Console()
    out = Path(config.out)
    evaluation = eval_config(config, out / "corpus")
    if (data := evaluation.task_data).given():  # before minutes of building and training
        check_data(data.tasks, data.data_dir, data.chabsa_dir, data.u4_dir, data.u4_split)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    console.rule("[bold]1/4 corpus build[/] (embedded sample)")
    corpus_run = build(corpus_config(out), overwrite=True, console=console)
    print_summary(corpus_run, console)
    timings["corpus"] = time.perf_counter() - t0

    console.rule("[bold]2/4 corpus report[/]")
    report = build_report(corpus_run)
    console.print(f"report: {report}")
    timings["report"] = time.perf_counter() - t0 - sum(timings.values())

    console.rule("[bold]3/4 train a tiny Llama[/] (DeepSpeed, CPU)")
    _say(console, remove_run_folder(out / "train", train_run_evidence(out / "train"), "training run"))
    train_run = run_training(train_config(out, corpus_run, config.steps))
    timings["train"] = time.perf_counter() - t0 - sum(timings.values())

    console.rule("[bold]4/4 evaluate every checkpoint[/]")
    _say(console, remove_run_folder(out / "eval", _eval_evidence(out / "eval"), "evaluation folder"))
    eval_out = sweep(train_run, eval_config(config, corpus_run))
    timings["eval"] = time.perf_counter() - t0 - sum(timings.values())
    console.print((eval_out / "results.md").read_text(encoding="utf-8"))

    console.rule("[bold green]done[/]")
    console.print(f"corpus run    {corpus_run}  (docs/, tokens/, quarantine.jsonl, stats/, manifest.json)")
    console.print(f"HTML report   {report}")
    console.print(f"training run  {train_run}  (metrics.jsonl, checkpoints/, tensorboard/)")
    console.print(f"evaluation    {eval_out}  (results.json, results.csv, results.md, plots/)")
    console.print("times: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()) + f"; total {time.perf_counter() - t0:.0f}s")
    return DemoRuns(corpus_run=corpus_run, report=report, train_run=train_run, eval_out=eval_out)
