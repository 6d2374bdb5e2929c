"""Run ``kinyu`` and SIGKILL it at a known point: a crash that lands the same way on every machine.

    python -m testkit.crash write N       corpus build --output RUN ...   # right before the N-th document write
    python -m testkit.crash checkpoint N  train --config FILE ...         # right after checkpoint N is complete

No timing race with the job finishing first: with ``--workers 1`` datatrove runs the corpus
tasks in this process, and training saves its checkpoints here too.
"""

from __future__ import annotations

import os
import signal
import sys

from kinyu.cli import main


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def crash_before_write(n: int) -> None:
    from datatrove.pipeline.writers.disk_base import DiskWriter

    original = DiskWriter.write
    written = 0

    def write(self, document, rank: int = 0, **kwargs):
        nonlocal written
        written += 1
        if written >= n:
            _die()
        return original(self, document, rank, **kwargs)

    DiskWriter.write = write


def crash_after_checkpoint(step: int) -> None:
    import kinyu.training.train  # loads torch: only for this mode

    original = kinyu.training.train.save_checkpoint

    def save_checkpoint(engine, cfg, inputs, run_dir, at_step, state):
        original(engine, cfg, inputs, run_dir, at_step, state)
        if at_step == step:
            _die()

    kinyu.training.train.save_checkpoint = save_checkpoint


if __name__ == "__main__":
    mode, n, *argv = sys.argv[1:]
    {"write": crash_before_write, "checkpoint": crash_after_checkpoint}[mode](int(n))
    sys.exit(main(argv))
