"""``kinyu eval``: score a model, sweep a training run, or compare two checkpoints.

    kinyu eval --model DIR --data-dir DIR [--tasks chabsa,fp2] [--prompt-version default|1.0-0.2|all]
               [--limit N] [--batch-size N] [--device cpu|cuda] [--bpc-texts NAME=DIR] [--out FILE]
    kinyu eval sweep TRAIN_RUN [--out EVAL_OUT] [--data-dir DIR] [--bpc-corpora NAME=CORPUS_RUN] ...
    kinyu eval compare --models A B [--prompts FILE | --data-dir DIR] [--out FILE]

Every field of ``configs/eval.yaml`` (:class:`kinyu.evaluation.config.EvalConfig`) is a flag
(``--data-dir`` or ``--data_dir``); ``--config FILE`` reads the YAML first.
"""

from __future__ import annotations

import argparse
import json

from kinyu.evaluation.compare import compare_models
from kinyu.evaluation.config import EvalConfig
from kinyu.evaluation.harness import EvalError, check_model_dir, results_table, set_offline
from kinyu.evaluation.score import plan_scoring, score_model
from kinyu.evaluation.sweep import sweep
from kinyu.cli.common import Command, Group, config_parser, load_command_config
from kinyu.base.config import to_dict
from kinyu.base.runs import atomic_write_text


def _parser(prog: str, description: str, skip: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    return config_parser(prog, description, EvalConfig, skip=skip)


def _config(args: argparse.Namespace) -> EvalConfig:
    set_offline()
    return load_command_config(EvalConfig, args)


def _write(path: str | None, text: str) -> None:
    if path:
        atomic_write_text(path, text)
        print(f"wrote {path}")


def eval_parser(prog: str) -> argparse.ArgumentParser:
    return _parser(prog, "Score a local model on the Japanese financial tasks and bits per character.")


def run_eval(args) -> int:
    cfg = _config(args)
    if not cfg.model:
        raise EvalError("--model DIR is required")
    check_model_dir(cfg.model)
    plan = plan_scoring(cfg)
    scores = score_model(cfg.model, cfg, plan)
    result: dict = {"model": cfg.model, "config": to_dict(cfg)}
    if "tasks" in scores:
        result.update(scores["tasks"])
        print(results_table(result))
    if plan.texts:
        result["bpc"] = scores["bpc"]
        for name, r in scores["bpc"].items():
            print(f"bits per character  {name}: {r['bits_per_character']:.4f}  ({r['documents']} docs, {r['characters']} chars)")
    _write(cfg.out, json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    return 0


def sweep_parser(prog: str) -> argparse.ArgumentParser:
    parser = _parser(prog, "Evaluate every checkpoint of a training run (resumable).", skip=("model",))
    parser.add_argument("train_run", metavar="TRAIN_RUN")
    return parser


def run_sweep(args) -> int:
    out = sweep(args.train_run, _config(args))
    print((out / "results.md").read_text(encoding="utf-8"))
    print(f"wrote {out}/results.json, results.csv, results.md, plots/")
    return 0


def compare_parser(prog: str) -> argparse.ArgumentParser:
    parser = _parser(prog, "Greedy answers of two checkpoints side by side (markdown).", skip=("model",))
    parser.add_argument("--models", nargs=2, required=True, metavar=("A", "B"))
    parser.add_argument("--prompts", help="prompt file: *.jsonl with a 'prompt' field, or text with blank-line separated prompts")
    return parser


def run_compare(args) -> int:
    cfg = _config(args)
    md = compare_models(args.models[0], args.models[1], cfg, prompts_file=args.prompts)
    print(md)
    _write(cfg.out, md)
    return 0


GROUP = Group(
    "kinyu eval",
    "Score checkpoints on the Japanese financial tasks and domain bits per character.",
    [
        Command("", "score one model: kinyu eval --model DIR [--data-dir DIR] [--bpc-texts NAME=DIR]", eval_parser, run_eval),
        Command("sweep", "evaluate every checkpoint of a training run (resumable)", sweep_parser, run_sweep,
                interrupted="interrupted; rerun the same command to resume (checkpoints already scored are kept)"),
        Command("compare", "greedy answers of two checkpoints side by side", compare_parser, run_compare),
    ],
)
main = GROUP.main
