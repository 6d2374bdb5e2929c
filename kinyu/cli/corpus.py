"""``kinyu corpus ...``: build a corpus run, train its tokenizer, inspect it, run ablations.

Stage modules are imported inside each command, so that ``--help`` answers at once.
"""

from __future__ import annotations

import json
from pathlib import Path

from kinyu.base.config import add_config_arguments, commented_yaml, config_overrides, field_default, set_field, shipped_config
from kinyu.base.errors import PathNotFound
from kinyu.base.layout import CorpusRun
from kinyu.cli.common import Command, Group, config_parser, load_command_config

DEFAULT_CONFIG = shipped_config("corpus.yaml")  # configs/corpus.yaml, shipped inside the package

BUILD_EPILOG = """\
examples:
  kinyu corpus build                                   # the embedded sample -> runs/corpus
  kinyu corpus build --input crawl/pdf crawl/html --output runs/fin-v1 --workers 8 --tasks 64
  kinyu corpus build --input crawl/pdf --input crawl/html  # a repeated --input adds paths
  kinyu corpus build --config configs/corpus.yaml --extract.pdf_backend pdfminer
  kinyu corpus build --executor slurm --executor.slurm_partition cpu   # one sbatch array per stage
  kinyu corpus build --config configs/crawl.yaml --input crawl/ edinet/ --select.classifier.model_path finance.bin

Re-running the same command resumes: finished tasks are skipped (datatrove completion markers).
A folder made with a different config is refused; use --overwrite or a new --output.
Outputs: docs/ (kept), removed/<step>/ (dropped, with reason), quarantine.jsonl (unreadable
inputs), stats/, tokenizer/, tokens/{train,validation}/, manifest.json.
"""

CONFIG_HEADER = """\
# kinyu corpus build: the default pipeline (written by `kinyu corpus build --print-config`).
# Every field is also a flag: `kinyu corpus build --quality.script.min_hiragana_ratio 0.05`.
# Thresholds say where their defaults come from in corpus/filters/<slug>.py and corpus/dedup/config.py.
"""

# the short flags of the build command, mapped onto their config fields
BUILD_SHORTCUTS = {"input": "input.paths", "output": "output", "workers": "executor.workers", "tasks": "executor.tasks", "executor": "executor.kind"}


def _corpus_config_cls():
    from kinyu.corpus.config import CorpusConfig

    return CorpusConfig


def _run_dir(path: str) -> Path:
    run = CorpusRun(path)
    if not run.docs.is_dir():
        raise PathNotFound(f"{run.docs} not found: is {run.path} a corpus run? (build it with `kinyu corpus build`)")
    return run.path


def build_parser(prog: str):
    p = config_parser(
        prog,
        "Extract, normalise, select, filter, dedup and tokenize raw PDF/HTML/text/jsonl, web archives (WARC) and ZIP "
        "bundles (EDINET, TDnet) into a corpus run folder.",
        _corpus_config_cls(),
        usage=f"{prog} [--config FILE] [--input PATH ...] [--output RUN_DIR] [--workers N] [--tasks N]\n"
        "                          [--executor local|ray|slurm] [--overwrite] [--print-config] [--<config.field> VALUE ...]",
        epilog=BUILD_EPILOG,
        skip=tuple(BUILD_SHORTCUTS.values()),
        default_config=DEFAULT_CONFIG,
    )
    p.add_argument("--input", nargs="+", action="extend", metavar="PATH",
                   help="files and folders (recursive); repeat or list several; default: the embedded sample  [input.paths]")
    p.add_argument("--output", metavar="RUN_DIR", help="run folder  [output]")
    p.add_argument("--workers", type=int, help="tasks run at once  [executor.workers]")
    p.add_argument("--tasks", type=int, help="input shards; output is identical for any --workers  [executor.tasks]")
    p.add_argument("--executor", choices=["local", "ray", "slurm"], help="datatrove executor  [executor.kind]")
    p.add_argument("--overwrite", action="store_true", help="delete RUN_DIR first instead of resuming it")
    p.add_argument("--print-config", action="store_true", help="print the resolved config as commented YAML and exit")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print datatrove's logging as it runs instead of one progress bar per stage "
                        "(it is always in RUN_DIR/logs/<stage>/: console.log and logs/task_NNNNN.log)")
    return p


def run_build(args) -> int:
    import sys

    from rich.console import Console

    from kinyu.corpus.reporting.console import print_summary
    from kinyu.corpus.pipeline import StageFailed, build

    cfg = load_command_config(_corpus_config_cls(), args, DEFAULT_CONFIG, BUILD_SHORTCUTS)
    if args.print_config:
        print(CONFIG_HEADER + commented_yaml(cfg))
        return 0
    console = Console(file=sys.stderr)  # this stream, not whatever sys.stderr is while datatrove's output is sent to logs/
    console.print(f"[bold]kinyu corpus build[/] -> {cfg.output}  (executor={cfg.executor.kind}, tasks={cfg.executor.tasks}, workers={cfg.executor.workers})")
    try:
        run = build(cfg, overwrite=args.overwrite, quiet=not args.verbose, console=None if args.verbose else console)
    except StageFailed as e:
        print(f"kinyu corpus build: error: {e}", file=sys.stderr, flush=True)
        return 1
    if cfg.executor.kind == "slurm":
        console.print(f"Slurm jobs submitted; scripts under {CorpusRun(run).logs}/*/launch_script.slurm")
        return 0
    print_summary(run)
    return 0


def tokenizer_parser(prog: str):
    p = config_parser(prog, "Train a byte-level BPE tokenizer.json on a run's kept documents.")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--out", help="output tokenizer.json (default: RUN_DIR/tokenizer/tokenizer.json)")
    return p


def run_train_tokenizer(args) -> int:
    from kinyu.corpus.extract.readers import read_jsonl_gz
    from kinyu.corpus.tokenize import train_tokenizer

    run = CorpusRun(_run_dir(args.run_dir))
    out = Path(args.out) if args.out else run.tokenizer_file
    train_tokenizer((r["text"] for r in read_jsonl_gz(run.docs)), out, vocab_size=args.vocab_size)
    print(f"wrote {out}")
    return 0


CLASSIFIER_SHORTCUTS = {"positive": "positives", "negative": "negatives", "heldout_positive": "heldout_positives",
                        "heldout_negative": "heldout_negatives", "out": "out"}


def _classifier_config_cls():
    from kinyu.corpus.classifier.config import ClassifierTrainConfig

    return ClassifierTrainConfig


def classifier_parser(prog: str):
    p = config_parser(
        prog,
        "Train the fastText finance-domain classifier on financial documents (corpus runs of filings, jsonl, text) "
        "against general ones (../shared/data/general-ja/train), write it with its card, and measure it on held-out "
        "documents beside the lexicon FinanceDomainTagger. A build uses it with --select.classifier.enabled true "
        "--select.classifier.model_path MODEL (metadata.finance_prob; drops below --select.classifier.min_prob).",
        _classifier_config_cls(),
        usage=f"{prog} --positive SRC ... --negative SRC ... [--heldout-positive SRC ...] [--heldout-negative SRC ...]\n"
              "                                     [--out MODEL] [--<config.field> VALUE ...]",
        epilog="example:\n"
               "  kinyu corpus build --input filings/ --output runs/filings --tokenize.enabled false\n"
               "  kinyu corpus train-classifier --positive runs/filings --negative ../shared/data/general-ja/train \\\n"
               "      --heldout-positive runs/filings-heldout --heldout-negative ../shared/data/general-ja/heldout \\\n"
               "      --out runs/finance-classifier/finance.bin",
        skip=tuple(CLASSIFIER_SHORTCUTS.values()),
    )
    for flag, field in CLASSIFIER_SHORTCUTS.items():
        if flag == "out":
            p.add_argument("--out", metavar="MODEL", help="the model file; its card is MODEL.json  [out]")
            continue
        p.add_argument(f"--{flag.replace('_', '-')}", dest=flag, nargs="+", action="extend", metavar="SRC",
                       help=f"a corpus run, jsonl file/folder or .txt files; repeat or list several  [{field}]")
    return p


def run_train_classifier(args) -> int:
    from rich.console import Console

    from kinyu.corpus.classifier.evaluate import evaluate
    from kinyu.corpus.classifier.train import train_classifier, update_card
    from kinyu.corpus.reporting.console import print_classifier_evaluation

    cfg = load_command_config(_classifier_config_cls(), args, None, CLASSIFIER_SHORTCUTS)
    console = Console()
    model = train_classifier(cfg)
    console.print(f"wrote {model} and {model}.json")
    if cfg.heldout_positives and cfg.heldout_negatives:
        result = evaluate(model, cfg.heldout_positives, cfg.heldout_negatives, cfg.threshold, cfg.lexicon_min_score)
        update_card(model, heldout=result)
        print_classifier_evaluation(result, console)
    return 0


def stats_parser(prog: str):
    p = config_parser(prog, "Per-step table of kept/dropped documents and characters, drop reasons with the characters they "
                            "removed, removed samples, duplicate clusters; optionally the difference to another run.")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--samples", type=int, default=2, help="removed-text snippets shown per reason")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.add_argument("--compare", metavar="OTHER_RUN", help="show what changed against another run")
    return p


def run_stats(args) -> int:
    from kinyu.corpus.reporting.console import print_stats, stats_json

    run = _run_dir(args.run_dir)
    compare = _run_dir(args.compare) if args.compare else None
    if args.json:
        print(json.dumps(stats_json(run, args.samples, compare), ensure_ascii=False, indent=2))
    else:
        print_stats(run, args.samples, compare)
    return 0


def report_parser(prog: str):
    p = config_parser(prog, "One self-contained HTML page: funnel, drop reasons and the characters they removed, histograms, "
                            "samples, duplicates, quarantine, manifest.")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--out", help="output file (default: RUN_DIR/report.html)")
    p.add_argument("--samples", type=int, default=3, help="removed-text snippets per reason")
    return p


def run_report(args) -> int:
    from kinyu.corpus.reporting.html import build_report

    out = build_report(_run_dir(args.run_dir), Path(args.out) if args.out else None, samples=args.samples)
    print(f"wrote {out}")
    return 0


def dedup_check_parser(prog: str):
    p = config_parser(
        prog,
        "Near-duplicate clusters among a run's kept documents (datasketch LSH, in memory: about 140 bytes per "
        "character checked; use --sample on big runs).",
    )
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--threshold", type=float, default=0.8, help="Jaccard threshold on character 7-grams")
    p.add_argument(
        "--sample", type=int, default=None, metavar="N",
        help="check only N documents (the same N on every machine, picked by id hash, read in one streaming pass)",
    )
    return p


def run_dedup_check(args) -> int:
    from kinyu.corpus.dedup import dedup_check_folder, print_clusters

    run = CorpusRun(_run_dir(args.run_dir))
    clusters = dedup_check_folder(run.docs, threshold=args.threshold, sample=args.sample)
    print_clusters(clusters)
    if not clusters:
        print(f"no near-duplicate clusters at Jaccard >= {args.threshold} among the kept documents")
    return 0


def ablate_parser(prog: str):
    p = config_parser(
        prog,
        "Build one corpus per combination of --vary values (through the extraction cache) and compare them. "
        "With --proxy, train the same small model on each, with several seeds and the same token budget, and score all "
        "on fixed sets chosen before any variant is built (held-out financial documents, general text, the tasks): "
        "means, 95 % intervals, and the difference to the baseline variant, beyond or within noise.",
        epilog="examples:\n"
               "  kinyu corpus ablate --vary quality.script.min_hiragana_ratio=0.05,0.15\n"
               "  kinyu corpus ablate --vary dedup.minhash=true,false --proxy configs/train/tiny_cpu.yaml --proxy.seeds 5 \\\n"
               "      --proxy.general-texts ../shared/data/general-ja/heldout --data-dir ../shared/data/fin-harness",
    )
    p.add_argument("--config", type=Path, default=None, help="base corpus YAML (default: configs/corpus.yaml)")
    p.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2", help="a config field and its values; repeat for a grid")
    p.add_argument("--baseline", default=None, metavar="VARIANT", help="the variant the others are compared with (default: the first)")
    p.add_argument("--proxy", type=Path, default=None, metavar="TRAIN_YAML", help="train+score this proxy model per variant")
    p.add_argument("--proxy.seeds", dest="proxy_seeds", type=int, default=3, metavar="N",
                   help="proxy runs per variant (seeds 0..N-1: initialisation and data order); default 3")
    p.add_argument("--proxy.tokens", dest="proxy_tokens", type=int, default=None, metavar="N",
                   help="tokens every proxy trains on (default: the proxy YAML's schedule.max_steps)")
    p.add_argument("--proxy.heldout-fraction", "--proxy.heldout_fraction", dest="proxy_heldout", type=float, default=None, metavar="F",
                   help="share of the inputs' filer groups held out (by EDINET code / 書類管理番号, before any filter) as the "
                        "financial evaluation set; default 0.2, or 0 beside --proxy.heldout-inputs")
    p.add_argument("--proxy.heldout-inputs", "--proxy.heldout_inputs", dest="proxy_heldout_inputs", default="", metavar="P1,P2",
                   help="files/folders held out whole (scored, never trained on); with a base config without input paths and "
                        "../shared/data/filings-u4 there: its train reports train and its valid + test reports are held out")
    p.add_argument("--proxy.max-containment-50", "--proxy.max_containment_50", dest="proxy_containment", type=float, default=0.2,
                   metavar="F", help="drop a held-out document with more than this share of its 50-grams in the training documents")
    p.add_argument("--proxy.filings-u4-train-reports", dest="proxy_u4_train", type=int, default=None, metavar="N",
                   help="with the filings-u4 default: at most N train reports (by hash)")
    p.add_argument("--proxy.filings-u4-heldout-reports", dest="proxy_u4_heldout", type=int, default=None, metavar="N",
                   help="with the filings-u4 default: at most N valid+test reports held out (by hash)")
    p.add_argument("--proxy.general-texts", "--proxy.general_texts", dest="proxy_general", default=None, metavar="DIR",
                   help="held-out general Japanese text, e.g. ../shared/data/general-ja/heldout (default: the embedded general sample)")
    p.add_argument("--out", default="runs/ablation", help="output folder (variants/<name>/{corpus,train_s<seed>}, ablation.md/.csv/.json/.png)")
    p.add_argument("--eval-texts", default=None, help="one more fixed financial text folder to score on")
    p.add_argument("--workers", type=int, default=1, help="corpus build workers")
    from kinyu.evaluation.config import TaskDataConfig
    from kinyu.workflows.ablation import ProxyConfig  # its defaults (loads torch: only for this command)

    add_config_arguments(p, TaskDataConfig, defaults=field_default(ProxyConfig, "task_data"),
                         title="the tasks the proxies are scored on (with --proxy; TaskDataConfig, as kinyu eval's)")
    return p


def proxy_config(args):
    """The ablation's ProxyConfig from ``kinyu corpus ablate``'s flags (None without --proxy)."""
    from kinyu.workflows.ablation import ProxyConfig  # loads torch: only when used
    from kinyu.workflows.eval_sets import EvalSetsConfig

    proxy = None
    if args.proxy:
        proxy = ProxyConfig(train_config=args.proxy, seeds=args.proxy_seeds, tokens=args.proxy_tokens,
                            eval_sets=EvalSetsConfig(heldout_fraction=args.proxy_heldout, general_texts=args.proxy_general,
                                                     heldout_inputs=[p for p in args.proxy_heldout_inputs.split(",") if p],
                                                     max_containment_50=args.proxy_containment,
                                                     filings_u4_train_reports=args.proxy_u4_train,
                                                     filings_u4_heldout_reports=args.proxy_u4_heldout),
                            eval_texts=args.eval_texts)
        for key, value in config_overrides(args).items():  # the task data flags: fields of proxy's TaskDataConfig
            set_field(proxy, key, value)
    return proxy


def run_ablate(args) -> int:
    from kinyu.workflows.ablation import AblationConfig, run_ablation  # loads torch: only when used

    config = args.config if args.config is not None else DEFAULT_CONFIG
    proxy = proxy_config(args)
    out = run_ablation(AblationConfig(vary=args.vary, out=Path(args.out), base_config=config, workers=args.workers, proxy=proxy,
                                      baseline=args.baseline))
    print((out / "ablation.md").read_text(encoding="utf-8"))
    print(f"wrote {out}/ablation.md, ablation.csv, ablation.png" + (", ablation.json" if proxy else ""))
    return 0


GROUP = Group(
    "kinyu corpus",
    "Build and inspect Japanese financial corpora (a DataTrove pipeline).",
    [
        Command("build", "raw PDF/HTML/text/JSON/JSONL/Parquet, WARC, ZIP -> docs, removed, quarantine, stats, token shards",
                build_parser, run_build, interrupted="interrupted; rerun the same command to resume"),
        Command("train-tokenizer", "train a byte-level BPE tokenizer.json on a run's docs", tokenizer_parser, run_train_tokenizer),
        Command("train-classifier", "train the fastText finance classifier; precision/recall on held-out docs beside the lexicon",
                classifier_parser, run_train_classifier),
        Command("stats", "per-step table, drop reasons and removed characters, samples, duplicate clusters", stats_parser, run_stats),
        Command("report", "one self-contained HTML page for a run", report_parser, run_report),
        Command("ablate", "one corpus (and optionally one proxy model) per filter setting; a table of what changed", ablate_parser, run_ablate,
                interrupted="interrupted; rerun the same command to resume (built, trained and scored variants are kept)"),
        Command("dedup-check", "near-duplicate clusters among a run's kept docs (datasketch LSH, in memory)", dedup_check_parser, run_dedup_check),
    ],
)
main = GROUP.main
