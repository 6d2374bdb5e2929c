"""Fast regeneration: a rebuild after a filter-only change vs the cold build, same inputs.

    python benchmarks/regenerate.py [--data ../shared/data/real] [--workers 1]

Builds once with an empty extraction cache (cold), then again with a changed filter threshold
(warm: extraction comes from the cache), and prints both times and the ratio (goal <= 0.2),
and checks that the warm output equals a cold build with the new setting byte for byte.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # testkit

from testkit.outputs import output_digest  # noqa: E402




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "real")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--change", default="quality.script.min_hiragana_ratio=0.15", help="the filter-only change, KEY=VALUE")
    args = ap.parse_args()

    from kinyu.corpus.config import CorpusConfig
    from kinyu.corpus.pipeline import build
    from kinyu.base.config import load_config

    if (args.data / "mhlw-pdf").is_dir():
        inputs = [str(args.data / "mhlw-pdf"), str(args.data / "edinet-asr-html"), str(args.data / "pdf"), str(args.data / "legacy-encoding-html")]
    else:
        from kinyu.corpus.sample import sample_dir

        inputs = [str(sample_dir())]
    key, value = args.change.split("=", 1)
    tmp = Path(tempfile.mkdtemp(prefix="kinyu-regen-"))

    def run(name: str, cache: str, **over) -> tuple[Path, float]:
        cfg = load_config(
            CorpusConfig,
            REPO / "configs" / "corpus.yaml",
            {"input.paths": inputs, "output": str(tmp / name), "cache.dir": str(tmp / cache), "executor.tasks": args.tasks, "executor.workers": args.workers, **over},
        )
        t0 = time.perf_counter()
        out = build(cfg)
        return out, time.perf_counter() - t0

    try:
        _, cold = run("cold", "cache")
        warm_run, warm = run("warm", "cache", **{key: value})
        cold_new, cold2 = run("cold_new", "cache2", **{key: value})
        same = output_digest(warm_run) == output_digest(cold_new)
        print(f"inputs: {', '.join(inputs)}")
        print(f"cold build                     {cold:7.1f} s")
        print(f"rebuild after {args.change}: {warm:7.1f} s   ratio {warm / cold:.2f}  (goal <= 0.2)")
        print(f"cold build with the new setting {cold2:6.1f} s")
        print(f"rebuild output == cold build with the new setting: {same}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
