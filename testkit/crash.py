"""Run ``kinyu`` and SIGKILL it right before its N-th document write: a crash at a known point.

    python -m testkit.crash N corpus build --output RUN ...

With ``--workers 1`` datatrove runs the tasks in this process, so the kill lands at the same
document on every machine, however loaded (no timing race with the build finishing first).
"""

from __future__ import annotations

import os
import signal
import sys

from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.cli import main


def crash_before_write(n: int) -> None:
    original = DiskWriter.write
    written = 0

    def write(self, document, rank: int = 0, **kwargs):
        nonlocal written
        written += 1
        if written >= n:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, document, rank, **kwargs)

    DiskWriter.write = write


if __name__ == "__main__":
    crash_before_write(int(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
