"""``kinyu corpus ...``: build a corpus run, train its tokenizer, inspect it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kinyu.config import ConfigError, add_config_arguments, commented_yaml, config_overrides, load_config

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "corpus.yaml"

BUILD_EPILOG = """\
examples:
  kinyu corpus build                                   # the embedded sample -> runs/corpus
  kinyu corpus build --input crawl/pdf crawl/html --output runs/fin-v1 --workers 8 --tasks 64
  kinyu corpus build --config configs/corpus.yaml --extract.pdf_backend pypdfium2
  kinyu corpus build --executor slurm --executor.slurm_partition cpu   # one sbatch array per stage

Re-running the same command resumes: finished tasks are skipped (datatrove completion markers).
A folder made with a different config is refused; use --overwrite or a new --output.
Outputs: docs/ (kept), removed/<step>/ (dropped, with reason), quarantine.jsonl (unreadable
inputs), stats/, tokenizer/, tokens/{train,validation}/, manifest.json.
"""


CONFIG_HEADER = """\
# kinyu corpus build: the default pipeline (written by `kinyu corpus build --print-config`).
# Every field is also a flag: `kinyu corpus build --quality.script.min_hiragana_ratio 0.05`.
# Thresholds say where their defaults come from in corpus/filters/config.py and the dedup modules.
"""


def _load_corpus_config(args) -> "CorpusConfig":  # noqa: F821
    from corpus.config import CorpusConfig

    overrides = config_overrides(args)
    # the short flags of the CLI, mapped onto their config fields
    for flag, field in (("input", "input.paths"), ("output", "output"), ("workers", "executor.workers"), ("tasks", "executor.tasks"), ("executor", "executor.kind")):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[field] = value
    config = args.config
    if config is None and DEFAULT_CONFIG.is_file():
        config = DEFAULT_CONFIG
    return load_config(CorpusConfig, config, overrides)


def cmd_build(args) -> int:
    from rich.console import Console

    from corpus.pipeline import RunFolderError, build
    from corpus.report_cli import print_summary

    cfg = _load_corpus_config(args)
    if args.print_config:
        print(CONFIG_HEADER + commented_yaml(cfg))
        return 0
    console = Console(stderr=True)
    console.print(f"[bold]kinyu corpus build[/] -> {cfg.output}  (executor={cfg.executor.kind}, tasks={cfg.executor.tasks}, workers={cfg.executor.workers})")
    try:
        run = build(cfg, overwrite=args.overwrite)
    except RunFolderError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if cfg.executor.kind == "slurm":
        console.print(f"Slurm jobs submitted; scripts under {run}/logs/*/launch_script.slurm")
        return 0
    print_summary(run)
    return 0


def cmd_train_tokenizer(args) -> int:
    from corpus.readers import read_jsonl_gz
    from corpus.tokenize import train_tokenizer

    run = Path(args.run_dir)
    if not (run / "docs").is_dir():
        print(f"error: {run}/docs not found: build the corpus first", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else run / "tokenizer" / "tokenizer.json"
    train_tokenizer((r["text"] for r in read_jsonl_gz(run / "docs")), out, vocab_size=args.vocab_size)
    print(f"wrote {out}")
    return 0


def cmd_stats(args) -> int:
    from corpus.report_cli import stats_command

    return stats_command(Path(args.run_dir), samples=args.samples, as_json=args.json, compare=Path(args.compare) if args.compare else None)


def cmd_report(args) -> int:
    from corpus.report import build_report

    out = build_report(Path(args.run_dir), Path(args.out) if args.out else None, samples=args.samples)
    print(f"wrote {out}")
    return 0


def cmd_ablate(args) -> int:
    from kinyu.workflows.ablation import AblationConfig, ProxyConfig, run_ablation

    config = args.config if args.config is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    proxy = None
    if args.proxy:
        proxy = ProxyConfig(train_config=args.proxy, eval_texts=args.eval_texts, data_dir=args.data_dir, chabsa_dir=args.chabsa_dir, limit=args.limit)
    out = run_ablation(AblationConfig(vary=args.vary, out=Path(args.out), base_config=config, workers=args.workers, proxy=proxy))
    print((out / "ablation.md").read_text(encoding="utf-8"))
    print(f"wrote {out}/ablation.md, ablation.csv, ablation.png")
    return 0


def cmd_dedup_check(args) -> int:
    from corpus.report_cli import dedup_check_command

    return dedup_check_command(Path(args.run_dir), threshold=args.threshold)


def make_parser() -> argparse.ArgumentParser:
    from corpus.config import CorpusConfig

    p = argparse.ArgumentParser(
        prog="kinyu corpus",
        description="Build and inspect Japanese financial corpora (a DataTrove pipeline).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser(
        "build",
        help="raw PDF/HTML/text/jsonl -> docs, removed, quarantine, stats, token shards",
        description="Extract, normalise, filter, dedup and tokenize into a corpus run folder.",
        usage="kinyu corpus build [--config FILE] [--input PATH ...] [--output RUN_DIR] [--workers N] [--tasks N]\n"
        "                          [--executor local|ray|slurm] [--overwrite] [--print-config] [--<config.field> VALUE ...]",
        epilog=BUILD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument("--config", type=Path, default=None, help=f"YAML config (default: {DEFAULT_CONFIG.relative_to(DEFAULT_CONFIG.parents[1])} when present)")
    b.add_argument("--input", nargs="+", metavar="PATH", help="files and folders (recursive); default: the embedded sample  [input.paths]")
    b.add_argument("--output", metavar="RUN_DIR", help="run folder  [output]")
    b.add_argument("--workers", type=int, help="tasks run at once  [executor.workers]")
    b.add_argument("--tasks", type=int, help="input shards; output is identical for any --workers  [executor.tasks]")
    b.add_argument("--executor", choices=["local", "ray", "slurm"], help="datatrove executor  [executor.kind]")
    b.add_argument("--overwrite", action="store_true", help="delete RUN_DIR first instead of resuming it")
    b.add_argument("--print-config", action="store_true", help="print the resolved config as commented YAML and exit")
    add_config_arguments(b, CorpusConfig, skip=("input.paths", "output", "executor.workers", "executor.tasks", "executor.kind"))
    b.set_defaults(func=cmd_build)

    t = sub.add_parser("train-tokenizer", help="train a byte-level BPE tokenizer.json on a run's docs")
    t.add_argument("run_dir", metavar="RUN_DIR")
    t.add_argument("--vocab-size", type=int, default=8000)
    t.add_argument("--out", help="output tokenizer.json (default: RUN_DIR/tokenizer/tokenizer.json)")
    t.set_defaults(func=cmd_train_tokenizer)

    s = sub.add_parser("stats", help="per-step table of kept/dropped docs and chars, reasons, samples, near-dup clusters")
    s.add_argument("run_dir", metavar="RUN_DIR")
    s.add_argument("--samples", type=int, default=2, help="removed-text snippets shown per reason")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.add_argument("--compare", metavar="OTHER_RUN", help="show what changed against another run")
    s.set_defaults(func=cmd_stats)

    r = sub.add_parser("report", help="one self-contained HTML page: funnel, reasons, histograms, samples, duplicates, quarantine, manifest")
    r.add_argument("run_dir", metavar="RUN_DIR")
    r.add_argument("--out", help="output file (default: RUN_DIR/report.html)")
    r.add_argument("--samples", type=int, default=3, help="removed-text snippets per reason")
    r.set_defaults(func=cmd_report)

    a = sub.add_parser(
        "ablate",
        help="one corpus (and optionally one proxy model) per filter setting; a table of what changed",
        description="Build one corpus per combination of --vary values (through the extraction cache) and compare them. "
        "With --proxy, train the same small model on each for the same steps and score all on one fixed set.",
        epilog="example:\n  kinyu corpus ablate --vary quality.min_hiragana_ratio=0.05,0.15 --proxy configs/train/tiny_cpu.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("--config", type=Path, default=None, help="base corpus YAML (default: configs/corpus.yaml)")
    a.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2", help="a config field and its values; repeat for a grid")
    a.add_argument("--proxy", type=Path, default=None, metavar="TRAIN_YAML", help="train+score this proxy model per variant")
    a.add_argument("--out", default="runs/ablation", help="output folder (variants/<name>/{corpus,train}, ablation.md/.csv/.png)")
    a.add_argument("--data-dir", default=None, help="fin-harness data: also score the tasks")
    a.add_argument("--chabsa-dir", default=None, help="chABSA json folder for the chabsa task")
    a.add_argument("--eval-texts", default=None, help="fixed held-out financial text folder (default: the first variant's validation split)")
    a.add_argument("--limit", type=int, default=20, help="items per task")
    a.add_argument("--workers", type=int, default=1, help="corpus build workers")
    a.set_defaults(func=cmd_ablate)

    d = sub.add_parser("dedup-check", help="near-duplicate clusters among a run's kept docs (datasketch LSH, in memory)")
    d.add_argument("run_dir", metavar="RUN_DIR")
    d.add_argument("--threshold", type=float, default=0.8, help="Jaccard threshold on character 5-grams")
    d.set_defaults(func=cmd_dedup_check)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
