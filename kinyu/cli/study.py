"""``kinyu study cpt``: does continual pre-training on a kinyu corpus help, and do kinyu's data decisions?

The workflow is ``kinyu.workflows.cpt_study``; this module maps its config onto flags.
"""

from __future__ import annotations

from kinyu.base.config import shipped_config
from kinyu.cli.common import Command, Group, config_parser, load_command_config

DESCRIPTION = (
    "Pretrain a small base model on general Japanese, continual-pre-train it on a kinyu corpus of financial documents "
    "(default config), and compare with seeds and 95 % intervals: base vs CPT (financial bits per character; general "
    "bits per character for forgetting), 0/5/25 % general replay with LR re-warm and re-decay, the default corpus vs "
    "the same documents unfiltered, and two controls (an A/A repeat that must be within noise, a planted effect that "
    "must be beyond it). Writes report.md, results.json and curves.png into --out; an interrupted study resumes."
)

EPILOG = """\
examples:
  kinyu study cpt                                   # configs/study/cpt_cpu.yaml: about 37 min on 2 CPU cores
  kinyu study cpt --quick                           # configs/study/cpt_quick.yaml: the same study in ~3 min (tests)
  kinyu study cpt --config configs/study/cpt_gpu_100m.yaml   # a ~100M-parameter proxy on one GPU
  kinyu study cpt --config configs/study/cpt_gpu_100m.yaml --data-only   # corpora here, training on the GPU node
  kinyu study cpt --seeds 5 --data-dir ../shared/data/fin-harness --chabsa-dir ../shared/data/real/chabsa-json

Paths in the shipped configs (../shared/data/...) are relative to the folder you run in.
"""


def _study_config_cls():
    from kinyu.workflows.cpt_config import CptStudyConfig  # loads torch: only when used

    return CptStudyConfig


def cpt_parser(prog: str):
    p = config_parser(prog, DESCRIPTION, _study_config_cls(), epilog=EPILOG, default_config=shipped_config("study/cpt_cpu.yaml"))
    p.add_argument("--quick", action="store_true", help="the quick study (configs/study/cpt_quick.yaml) unless --config is given")
    p.add_argument("--data-only", action="store_true",
                   help="build the data stage (corpora, tokenizer, fixed evaluation sets) and stop; the same command "
                        "without it trains and scores, also on a machine without the corpus stack (e.g. a GPU node)")
    return p


def run_cpt(args) -> int:
    from kinyu.workflows.cpt_study import run_study, table
    from kinyu.base.runs import read_json

    if args.quick and args.config is not None:
        from kinyu.base.config import ConfigError

        raise ConfigError("--quick selects configs/study/cpt_quick.yaml: give either --quick or --config")
    default = shipped_config("study/cpt_quick.yaml" if args.quick else "study/cpt_cpu.yaml")
    cfg = load_command_config(_study_config_cls(), args, default)
    out = run_study(cfg, data_only=args.data_only)
    if args.data_only:
        print(f"data stage done: {out}/data, {out}/eval_sets; run the same command without --data-only to train and score")
        return 0
    print(table(read_json(out / "results.json")))
    print(f"\nwrote {out}/report.md, results.json, curves.png")
    return 0


CALIBRATE_DESCRIPTION = (
    "How often the study's verdict calls a difference 'beyond noise' when there is none, and how often it finds one of "
    "known size: --calibration-pairs A/A pairs (default 20) of the reference CPT variant against itself, each arm "
    "--seeds seeds from the study's base models with a data order of its own, judged as the study judges its "
    "variants; planted shifts at multiples of the detectable size. Meant for --quick: there it costs 2 x pairs x seeds "
    "CPT runs of a few seconds each, each scored once: 20 pairs x 3 seeds took 10.1 min wall on 2 CPU cores shared with other "
    "jobs (after the quick study itself, which it runs first when missing). Writes calibration.json into --out and the study's report.md again "
    "with a calibration section (the study runs first where its folder is not complete)."
)


def calibrate_parser(prog: str):
    p = config_parser(prog, CALIBRATE_DESCRIPTION, _study_config_cls(), default_config=shipped_config("study/cpt_quick.yaml"))
    p.add_argument("--quick", action="store_true", help="the quick study's config (configs/study/cpt_quick.yaml; also the default)")
    return p


def run_calibrate(args) -> int:
    from kinyu.base.runs import read_json
    from kinyu.workflows.calibration import run_calibration
    from kinyu.workflows.calibration_report import report_lines
    from kinyu.workflows.cpt_study import metric_head

    if args.quick and args.config is not None:
        from kinyu.base.config import ConfigError

        raise ConfigError("--quick selects configs/study/cpt_quick.yaml: give either --quick or --config")
    cfg = load_command_config(_study_config_cls(), args, shipped_config("study/cpt_quick.yaml"))
    out = run_calibration(cfg)
    print("\n".join(report_lines(read_json(out), metric_head)))
    print(f"\nwrote {out} and {out.parent}/report.md")
    return 0


GROUP = Group(
    "kinyu study",
    "Studies that train and score many models to answer one question, with seeds and intervals.",
    [Command("cpt", "the paper's continual-pre-training effect at proxy scale; replay, filters, controls", cpt_parser, run_cpt,
             interrupted="interrupted; rerun the same command to resume (finished runs and scores are kept)"),
     Command("calibrate", "the verdict's false-positive rate over many A/A pairs, and planted differences found", calibrate_parser,
             run_calibrate, interrupted="interrupted; rerun the same command to resume (finished runs and scores are kept)")],
)
main = GROUP.main
