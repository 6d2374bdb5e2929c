"""Per-document limits of extraction: a wall-clock limit that really stops the work.

An extraction runs in a persistent child process (forked once per task, reused for every
document). Past the limit the child is killed with SIGKILL, which also stops code stuck in C
(a signal handler in the same process would wait for the C call to return); the document is
quarantined with reason ``timeout`` and the next document starts a fresh child. A child that
dies on its own (a crash in a C library) quarantines the document as ``extractor_crash``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Callable


class ExtractionError(ValueError):
    """A document extraction could not read: ``reason`` (quarantine reason) and ``detail``."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self):  # picklable across the worker pipe (the default would pass one arg)
        return type(self), (self.reason, self.detail)


def die_with_parent(parent_pid: int | None = None) -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies (a worker killed by the
    executor must not leave its extraction child behind, nor a killed build its helpers);
    ``parent_pid``: the parent expected, when it may have died before this call (exit at once)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def _serve(conn, parent_end=None) -> None:
    """The child's loop: run each ``(fn, args)`` it receives; send progress, the result or the error.

    Ctrl-C is the parent's to handle (it stops the build and the child with it): the child ignores
    SIGINT instead of printing a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    if parent_end is not None:
        parent_end.close()  # else the parent's end, inherited by the fork, would never let recv() see EOF

    def progress(pages: int) -> None:
        conn.send(("progress", pages))

    while True:
        try:
            fn, args, with_progress = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            reply = ("ok", fn(*args, progress=progress) if with_progress else fn(*args))
        except Exception as e:  # sent back and raised in the parent, where the document is quarantined
            reply = ("error", e)
        try:
            _send(conn, reply)
        except (BrokenPipeError, ConnectionResetError):  # the parent is gone (Ctrl-C stopped the build)
            return


def _send(conn, reply: tuple) -> None:
    try:
        conn.send(reply)
    except (BrokenPipeError, ConnectionResetError):
        raise
    except Exception as e:  # a result or an exception that does not pickle
        what = reply[1] if reply[0] == "error" else e
        conn.send(("error", RuntimeError(f"{type(what).__name__}: {what}"[:500])))


class TimeLimitedWorker:
    """Run calls one at a time in a child process, each limited to ``timeout_s`` seconds.

    ``call(fn, *args, progress=True)`` passes ``fn`` a ``progress(pages)`` callback whose last
    value goes into the timeout's detail. ``fn`` must be a module-level function (pickled by name).
    """

    def __init__(self, timeout_s: float):
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.timeout_s = timeout_s
        self._proc = None
        self._conn = None

    def _start(self) -> None:
        # fork: the child starts at once with everything imported (a fresh interpreter would
        # re-import pdfminer and trafilatura on every start, i.e. after every timeout)
        ctx = multiprocessing.get_context("fork")
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child_conn, self._conn), daemon=True, name="kinyu-extract")
        self._proc.start()
        child_conn.close()

    def close(self) -> None:
        if self._proc is not None:
            self._conn.close()
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join()
        self._proc = self._conn = None

    def call(self, fn: Callable, *args, progress: bool = False, timeout_s: float | None = None):
        """``fn(*args)`` in the child; ``timeout_s`` (default: the worker's) limits this call."""
        limit = self.timeout_s if timeout_s is None else timeout_s
        if self._proc is None or not self._proc.is_alive():
            self.close()
            self._start()
        start = time.monotonic()
        self._conn.send((fn, args, progress))
        pages = 0
        while True:
            left = limit - (time.monotonic() - start)
            try:
                ready = left > 0 and self._conn.poll(left)
                message = self._conn.recv() if ready else None
            except (EOFError, OSError):
                self._proc.join(timeout=5)
                code = self._proc.exitcode
                self.close()
                raise ExtractionError("extractor_crash", f"extraction process died (exit code {code}) after {pages} page(s)") from None
            if message is None:
                self.close()
                raise ExtractionError(
                    "timeout", f"stopped after {self.timeout_s:g} s (extract.timeout_s); {pages} page(s) done"
                )
            kind, value = message
            if kind == "progress":
                pages = value
            elif kind == "ok":
                return value
            else:
                raise value
