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

from kinyu.cli.common import Command, Group, config_parser, load_command_config
from kinyu.runs import atomic_write_text

from evaluation.config import EvalConfig
from evaluation.harness import EvalError, set_offline
from evaluation.tasks.data import TaskDataError


def _parser(prog: str, description: str, skip: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    return config_parser(prog, description, EvalConfig, skip=skip)


def _config(args: argparse.Namespace) -> EvalConfig:
    return load_command_config(EvalConfig, args)


def _write(path: str | None, text: str) -> None:
    if path:
        atomic_write_text(path, text)
        print(f"wrote {path}")


def _bpc_sets(cfg: EvalConfig) -> dict[str, tuple[str, str]]:
    from evaluation.sweep import parse_named_paths

    sets = {k: ("corpus", v) for k, v in parse_named_paths(cfg.bpc_corpora).items()}
    sets.update({k: ("texts", v) for k, v in parse_named_paths(cfg.bpc_texts).items()})
    return sets


def eval_parser(prog: str) -> argparse.ArgumentParser:
    return _parser(prog, "Score a local model on the Japanese financial tasks and bits per character.")


def run_eval(args) -> int:
    set_offline()
    cfg = _config(args)
    if not cfg.model:
        raise EvalError("--model DIR is required")
    from evaluation.bpc import bits_per_character_lm, corpus_validation_texts, folder_texts
    from evaluation.harness import check_data, check_tasks, evaluate_lm, load_model, make_lm, resolve_device, results_table

    bpc_sets = _bpc_sets(cfg)
    run_tasks = cfg.data_dir is not None or cfg.chabsa_dir is not None or not bpc_sets
    if run_tasks:
        tasks = check_tasks(cfg.tasks, cfg.prompt_version)
        check_data(tasks, cfg.data_dir, cfg.chabsa_dir)
    device = resolve_device(cfg.device)
    model, tokenizer = load_model(cfg.model, device, cfg.dtype)
    lm = make_lm(model, tokenizer, cfg.batch_size, device)
    result: dict = {"model": cfg.model, "config": dataclasses.asdict(cfg)}
    if run_tasks:
        result.update(evaluate_lm(lm, tasks, cfg.data_dir, cfg.chabsa_dir, cfg.prompt_version, cfg.limit, cfg.seed))
        print(results_table(result))
    if bpc_sets:
        result["bpc"] = {}
        for name, (kind, path) in bpc_sets.items():
            texts = corpus_validation_texts(path, cfg.bpc_max_docs) if kind == "corpus" else folder_texts(path, cfg.bpc_max_docs)
            r = bits_per_character_lm(lm, texts)
            result["bpc"][name] = r
            print(f"bits per character  {name}: {r['bits_per_character']:.4f}  ({r['documents']} docs, {r['characters']} chars)")
    _write(cfg.out, json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    return 0


def sweep_parser(prog: str) -> argparse.ArgumentParser:
    parser = _parser(prog, "Evaluate every checkpoint of a training run (resumable).", skip=("model",))
    parser.add_argument("train_run", metavar="TRAIN_RUN")
    return parser


def run_sweep(args) -> int:
    set_offline()
    cfg = _config(args)
    from evaluation.sweep import sweep

    out = sweep(
        args.train_run,
        out_dir=cfg.out,
        tasks=cfg.tasks,
        data_dir=cfg.data_dir,
        chabsa_dir=cfg.chabsa_dir,
        corpus_runs=cfg.bpc_corpora,
        text_dirs=cfg.bpc_texts,
        prompt_version=cfg.prompt_version,
        limit=cfg.limit,
        bpc_max_docs=cfg.bpc_max_docs,
        batch_size=cfg.batch_size,
        device=cfg.device,
        dtype=cfg.dtype,
        seed=cfg.seed,
    )
    print((out / "results.md").read_text(encoding="utf-8"))
    print(f"wrote {out}/results.json, results.csv, results.md, plots/")
    return 0


def compare_parser(prog: str) -> argparse.ArgumentParser:
    parser = _parser(prog, "Greedy answers of two checkpoints side by side (markdown).", skip=("model",))
    parser.add_argument("--models", nargs=2, required=True, metavar=("A", "B"))
    parser.add_argument("--prompts", help="prompt file: *.jsonl with a 'prompt' field, or text with blank-line separated prompts")
    return parser


def run_compare(args) -> int:
    set_offline()
    cfg = _config(args)
    from evaluation.compare import compare_models

    md = compare_models(
        args.models[0],
        args.models[1],
        prompts_file=args.prompts,
        tasks=cfg.tasks,
        data_dir=cfg.data_dir,
        chabsa_dir=cfg.chabsa_dir,
        per_task=cfg.compare_items_per_task,
        max_new_tokens=cfg.compare_max_new_tokens,
        device=cfg.device,
        dtype=cfg.dtype,
    )
    print(md)
    _write(cfg.out, md)
    return 0


def _user_errors():
    return (EvalError, TaskDataError)


GROUP = Group(
    "kinyu eval",
    "Score checkpoints on the Japanese financial tasks and domain bits per character.",
    [
        Command("", "score one model: kinyu eval --model DIR [--data-dir DIR] [--bpc-texts NAME=DIR]", eval_parser, run_eval),
        Command("sweep", "evaluate every checkpoint of a training run (resumable)", sweep_parser, run_sweep),
        Command("compare", "greedy answers of two checkpoints side by side", compare_parser, run_compare),
    ],
    _user_errors,
)
main = GROUP.main
