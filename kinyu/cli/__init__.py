"""The one ``kinyu`` command: the top layer. Each group is a module of this package built with
:mod:`kinyu.cli.common` (``corpus``, ``train``, ``eval``, ``study``, ``demo``, ``data``).

Groups are imported when used, so that ``kinyu --help`` answers at once without loading torch.
"""

from __future__ import annotations

import importlib
import sys

GROUPS = {
    "corpus": ("kinyu.cli.corpus", "build corpora: extract, normalise, filter, dedup, tokenize; stats, reports, ablations"),
    "train": ("kinyu.cli.train", "continual-pre-train a causal LM on corpus token shards with DeepSpeed; plan a job"),
    "eval": ("kinyu.cli.eval", "score checkpoints on the Japanese financial tasks and domain bits per character"),
    "study": ("kinyu.cli.study", "studies with seeds and intervals: does continual pre-training on kinyu data help?"),
    "demo": ("kinyu.cli.demo", "the whole chain on the embedded sample, on CPU, in a few minutes"),
    "data": ("kinyu.cli.data", "shared data sets in the shape the commands read: unpack the U4 有価証券報告書"),
}

USAGE = """usage: kinyu <command> [options]

kinyu (金融): build Japanese financial LLM training corpora, continual-pre-train and evaluate models.
Data flows one way: raw PDF/HTML/text -> corpus run (docs, token shards) -> training run
(checkpoints) -> evaluation (scores). Every stage reads a typed YAML config, writes a run
folder with a manifest, and can be re-run alone.

commands:
{commands}

Run `kinyu <command> --help` for the options of each command.
"""


def _usage() -> str:
    lines = "\n".join(f"  {name:<8} {desc}" for name, (_, desc) in GROUPS.items())
    return USAGE.format(commands=lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `deepspeed --module kinyu.cli train ...` puts --local_rank=N first; the rank comes from the
    # environment (LOCAL_RANK) anyway, so the flag is dropped rather than taught to every parser
    argv = [a for a in argv if not a.startswith("--local_rank=")]
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from kinyu import __version__

        print(f"kinyu {__version__}")
        return 0
    group, rest = argv[0], argv[1:]
    if group not in GROUPS:
        from kinyu.cli.common import did_you_mean

        print(f"kinyu: unknown command {group!r}{did_you_mean(group, GROUPS)}\n", file=sys.stderr)
        print(_usage(), file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(GROUPS[group][0])
        return int(module.main(rest) or 0)
    except KeyboardInterrupt:  # before a command took over (importing torch, parsing): one line too
        print(f"\nkinyu {group}: interrupted", file=sys.stderr, flush=True)
        return 130
