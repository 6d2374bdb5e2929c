"""Progress of a running build, for the one progress display per stage.

Each stage that reads documents has a :class:`ProgressReporter` right after its reader: it
counts the documents (and, in the extract stage, the input files) that the steps after it have
finished, and every half second writes the counts of its task to
``logs/<stage>/progress/<rank>.json``. The process that started the build
(:class:`StageProgress`) sums those files and the stage's completion markers into a rich
progress bar: documents, docs/s, elapsed time and ETA. Files, not pipes: the same works for the
local executor's processes and for Ray workers on a shared file system.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

PROGRESS_DIR = "progress"  # below each stage's logging dir
UNITS = ("files", "docs", "tasks")  # what a stage's bar counts


def _write_counts(path: Path, counts: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(counts), encoding="utf-8")
    os.replace(tmp, path)


class ProgressReporter(PipelineStep):
    """Pass every document through unchanged, counting those the following steps are done with
    (and the distinct input files they came from) into ``<folder>/<rank>.json`` every
    ``every_s`` seconds and at the end: what the build's progress display reads."""

    name = "📶 Progress"
    type = "📊 - STATS"

    def __init__(self, folder: str, every_s: float = 0.5):
        super().__init__()
        self.folder = str(folder)
        self.every_s = every_s

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        path = Path(self.folder) / f"{rank:05d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        counts = {"docs": 0, "files": 0, "done": False}
        _write_counts(path, counts)  # a rerun of an interrupted task starts again from zero
        last_source, last_write = None, time.monotonic()
        for doc in data or ():
            yield doc
            # the steps after this one asked for the next document: they are done with this one
            counts["docs"] += 1
            self.stat_update("documents")
            source = doc.metadata.get("source")
            if source != last_source:
                counts["files"] += 1
                last_source = source
            now = time.monotonic()
            if now - last_write >= self.every_s:
                _write_counts(path, counts)
                last_write = now
        counts["done"] = True
        _write_counts(path, counts)


def read_counts(logs: Path) -> dict[str, int]:
    """A stage's progress so far: ``docs`` and ``files`` summed over its tasks' reports, and
    ``tasks`` completed (datatrove's completion markers)."""
    docs = files = 0
    for p in (logs / PROGRESS_DIR).glob("*.json"):
        try:
            counts = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # being replaced right now: the next poll reads it
            continue
        docs += int(counts.get("docs", 0))
        files += int(counts.get("files", 0))
    completions = logs / "completions"
    tasks = sum(1 for _ in completions.iterdir()) if completions.is_dir() else 0
    return {"docs": docs, "files": files, "tasks": tasks}


def written_docs(logs: Path) -> int | None:
    """Documents a finished stage wrote (its last writer's ``total``, summed over its tasks'
    stats), or None when it wrote none: the number of documents the next stages read."""
    total, found = 0, False
    for p in sorted((logs / "stats").glob("*.json")):
        try:
            steps = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        writers = [s for s in steps if "WRITER" in s.get("name", "")]
        if writers:
            value = writers[-1].get("stats", {}).get("total", 0)
            total += int(value.get("total", 0) if isinstance(value, dict) else value or 0)
            found = True
    return total if found else None


class StageProgress:
    """The progress display of one stage (a context manager around the executor's run): a rich
    bar of ``unit`` (``files`` of the extract stage, ``docs``, or ``tasks``) towards ``total``
    (None: unknown, the bar just counts), with documents, docs/s, elapsed time and ETA.

    On a terminal the bar moves; in a pipe or a log file it prints one line when the stage ends.
    """

    def __init__(self, console, stage: str, logs: Path, unit: str, total: int | None, tasks: int, every_s: float = 0.25):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        self.logs, self.unit, self.total, self.tasks, self.every_s = Path(logs), unit, total, tasks, every_s
        # at 80 columns the figures come first: the bar takes what is left (at least 5, at most 30)
        bar = max(5, min(30, console.width - 75)) if console is not None else 20
        self.progress = Progress(
            TextColumn("[bold]{task.description:<18}"),
            BarColumn(bar_width=bar),
            TextColumn("{task.fields[count]}"),
            TextColumn("[cyan]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            refresh_per_second=4,
        )
        self.task = self.progress.add_task(stage, total=total if total is not None else None, count="", rate="", start=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name=f"kinyu-progress-{stage}", daemon=True)
        self._t0 = time.monotonic()

    def _label(self, counts: dict[str, int]) -> tuple[int, str, str]:
        elapsed = max(time.monotonic() - self._t0, 1e-9)
        docs = counts["docs"]
        rate = f"{docs / elapsed:,.0f} docs/s" if self.unit != "tasks" else ""
        done = counts[self.unit]
        if self.unit == "tasks":
            count = f"{done}/{self.tasks} tasks"
        else:
            total = f"/{self.total:,}" if self.total is not None else ""
            count = f"{done:,}{total} {self.unit}" + (f" {docs:,} docs" if self.unit == "files" else "")
        return done, count, rate

    def update(self, final: bool = False) -> None:
        counts = read_counts(self.logs)
        done, count, rate = self._label(counts)
        if final and self.total is None:
            self.progress.update(self.task, total=max(done, 1))
        if final and done < (self.total or 0) and counts["tasks"] >= self.tasks:
            done = self.total  # every task finished (e.g. files that yielded no document)
        self.progress.update(self.task, completed=done, count=count, rate=rate)

    def _poll(self) -> None:
        while not self._stop.wait(self.every_s):
            self.update()

    def __enter__(self) -> StageProgress:
        self.progress.start()
        self.progress.start_task(self.task)
        self.update()
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop.set()
        self._thread.join()
        try:
            self.update(final=exc_type is None)
        finally:
            self.progress.stop()
