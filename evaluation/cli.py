"""``kinyu eval``: score a model, sweep a training run, or compare two checkpoints.

    kinyu eval --model DIR --data-dir DIR [--tasks chabsa,fp2] [--prompt-version default|1.0-0.2|all]
               [--limit N] [--batch-size N] [--device cpu|cuda] [--bpc-texts NAME=DIR] [--out FILE]
    kinyu eval sweep TRAIN_RUN [--out EVAL_OUT] [--data-dir DIR] [--bpc-corpora NAME=CORPUS_RUN] ...
    kinyu eval compare --models A B [--prompts FILE | --data-dir DIR] [--out FILE]

Every field of ``configs/eval.yaml`` (:class:`evaluation.config.EvalConfig`) is a flag
(``--data-dir`` or ``--data_dir``); ``--config FILE`` reads the YAML first.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from kinyu.config import OVERRIDE_PREFIX, ConfigError, config_overrides, load_config
from kinyu.runs import atomic_write_text

from evaluation.compare import compare_models
from evaluation.config import EvalConfig
from evaluation.harness import EvalError, check_model_dir, results_table, set_offline
from evaluation.score import plan_scoring, score_model
from evaluation.sweep import sweep
from evaluation.tasks.data import TaskDataError


def _parser(prog: str, description: str, skip: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", help="YAML config (configs/eval.yaml); flags override its fields")
    group = parser.add_argument_group("config fields (EvalConfig); each overrides the YAML value")
    for f in dataclasses.fields(EvalConfig):
        if f.name in skip:
            continue
        flags = [f"--{f.name.replace('_', '-')}"] + ([f"--{f.name}"] if "_" in f.name else [])
        group.add_argument(*flags, dest=OVERRIDE_PREFIX + f.name, default=argparse.SUPPRESS, metavar="VALUE", help=f.metadata.get("help"))
    return parser


def _config(args: argparse.Namespace) -> EvalConfig:
    return load_config(EvalConfig, args.config, config_overrides(args))


def _write(path: str | None, text: str) -> None:
    if path:
        atomic_write_text(path, text)
        print(f"wrote {path}")


def _eval(argv: list[str]) -> int:
    parser = _parser("kinyu eval", "Score a local model on the Japanese financial tasks and bits per character.")
    parser.epilog = (
        "more: `kinyu eval sweep TRAIN_RUN --help` (every checkpoint of a training run) and "
        "`kinyu eval compare --models A B --help` (greedy answers side by side)"
    )
    args = parser.parse_args(argv)
    cfg = _config(args)
    if not cfg.model:
        raise EvalError("--model DIR is required")
    check_model_dir(cfg.model)
    plan = plan_scoring(cfg)
    scores = score_model(cfg.model, cfg, plan)
    result: dict = {"model": cfg.model, "config": dataclasses.asdict(cfg)}
    if "tasks" in scores:
        result.update(scores["tasks"])
        print(results_table(result))
    if plan.texts:
        result["bpc"] = scores["bpc"]
        for name, r in scores["bpc"].items():
            print(f"bits per character  {name}: {r['bits_per_character']:.4f}  ({r['documents']} docs, {r['characters']} chars)")
    _write(cfg.out, json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    return 0


def _sweep(argv: list[str]) -> int:
    parser = _parser("kinyu eval sweep", "Evaluate every checkpoint of a training run (resumable).", skip=("model",))
    parser.add_argument("train_run", metavar="TRAIN_RUN")
    args = parser.parse_args(argv)
    out = sweep(args.train_run, _config(args))
    print((out / "results.md").read_text(encoding="utf-8"))
    print(f"wrote {out}/results.json, results.csv, results.md, plots/")
    return 0


def _compare(argv: list[str]) -> int:
    parser = _parser("kinyu eval compare", "Greedy answers of two checkpoints side by side (markdown).", skip=("model",))
    parser.add_argument("--models", nargs=2, required=True, metavar=("A", "B"))
    parser.add_argument("--prompts", help="prompt file: *.jsonl with a 'prompt' field, or text with blank-line separated prompts")
    args = parser.parse_args(argv)
    cfg = _config(args)
    md = compare_models(args.models[0], args.models[1], cfg, prompts_file=args.prompts)
    print(md)
    _write(cfg.out, md)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_offline()
    command = {"sweep": _sweep, "compare": _compare}.get(argv[0] if argv else "", None)
    try:
        if command is not None:
            return command(argv[1:])
        return _eval(argv)
    except (EvalError, ConfigError, TaskDataError) as e:
        print(f"kinyu eval: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
