"""``kinyu data ...``: get shared data sets into the shape the other commands read.

``unpack-filings``: the U4 有価証券報告書 archives (``filings-u4/reports-<split>.tar.xz``) to
``DIR/<split>/reports/<書類管理番号>/<書類管理番号>-<section>.html``, the input of
``kinyu corpus build --input DIR``. The archives stay as they are.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kinyu.cli.common import Command, Group, config_parser

UNPACK_EPILOG = """\
examples:
  kinyu data unpack-filings --to filings                       # all three splits: 98 reports, ~520 MB
  kinyu data unpack-filings --split valid --to filings         # 10 reports, 185 section files, 53 MB
  kinyu data unpack-filings --from /data/filings-u4 --split train --split test --to filings
  kinyu corpus build --input filings --output runs/filings     # then: every report to token shards

A split already unpacked under DIR is left as it is (rerunning is cheap); a killed unpack leaves
no half folder (it unpacks beside it and renames when done). Keep DIR out of the repository.
"""


def default_filings() -> Path:
    """``$KINYU_SHARED_DATA/filings-u4``, else ``../shared/data/filings-u4`` from the current folder."""
    env = os.environ.get("KINYU_SHARED_DATA")
    return (Path(env) if env else Path("..") / "shared" / "data") / "filings-u4"


def unpack_parser(prog: str):
    from kinyu.base.u4 import SPLITS

    p = config_parser(
        prog,
        "Unpack the NTCIR-18 U4 有価証券報告書 (inline-XBRL HTML, one folder per filing: its 書類管理番号) from the "
        "filings-u4 archives into DIR/<split>/reports/, ready for `kinyu corpus build --input DIR`.",
        epilog=UNPACK_EPILOG,
    )
    p.add_argument("--from", dest="source", type=Path, default=None, metavar="FILINGS_U4",
                   help=f"the folder holding reports-<split>.tar.xz (default: $KINYU_SHARED_DATA/filings-u4, else {default_filings()})")
    p.add_argument("--split", action="append", choices=[*SPLITS, "all"], default=None,
                   help="train (68 reports), valid (10) or test (20); repeat for several; default: all")
    p.add_argument("--to", type=Path, required=True, metavar="DIR", help="where the splits go (DIR/<split>/reports/)")
    return p


def run_unpack(args) -> int:
    from kinyu.base.u4 import SPLITS, archive, reports_dir, unpack

    source = args.source or default_filings()
    asked = args.split or ["all"]
    splits = list(SPLITS) if "all" in asked else list(dict.fromkeys(asked))
    for split in splits:  # every archive checked before any is read: a wrong --from fails at once
        archive(source, split)
    live = sys.stderr.isatty()
    for split in splits:
        out = reports_dir(args.to, split)
        if out.is_dir() and any(out.iterdir()):
            print(f"{split}: already unpacked in {out} ({sum(1 for _ in out.iterdir())} reports); left as it is", file=sys.stderr)
            continue

        def progress(done: int, name: str, split=split) -> None:
            if live:
                print(f"\r{split}: {done} files unpacked ({Path(name).parent.name})", end="", file=sys.stderr, flush=True)
            elif done % 100 == 0:
                print(f"{split}: {done} files unpacked", file=sys.stderr, flush=True)

        unpack(source, args.to, split, progress)
        files = sum(1 for _ in out.rglob("*.html"))
        size = sum(f.stat().st_size for f in out.rglob("*.html")) / 1e6
        print(("\r" if live else "") + f"{split}: {sum(1 for _ in out.iterdir())} reports, {files} section files, "
              f"{size:.0f} MB -> {out}", file=sys.stderr, flush=True)
    print(f"build them: kinyu corpus build --input {args.to} --output runs/filings")
    return 0


GROUP = Group(
    "kinyu data",
    "Shared data sets in the shape the other commands read.",
    [Command("unpack-filings", "the U4 有価証券報告書 archives -> DIR/<split>/reports/<書類管理番号>/*.html",
             unpack_parser, run_unpack, interrupted="interrupted; rerun the same command (a half-unpacked split is redone)")],
)
main = GROUP.main
