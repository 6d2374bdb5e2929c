"""The terminal view of a corpus run (``kinyu corpus stats``, the summary after a build):
rich tables of the funnel, drop reasons with the characters they removed, removed samples,
duplicate clusters and a run comparison. Reading the run folder is ``kinyu.corpus.reporting.run_reader``'s job."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from kinyu.base.layout import CorpusRun
from kinyu.corpus.reporting.run_reader import accounting_line, compare_runs, load_summary, near_dup_clusters, removed_chars, removed_samples, step_rows


def _chars(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _funnel_table(run: Path, rows: list[dict], reasons_column: bool) -> Table:
    """The funnel; without ``reasons_column`` each step's drop reasons go under its name (narrow terminals)."""
    table = Table(title=f"corpus run {run}", show_lines=not reasons_column)
    table.add_column("step", justify="left", no_wrap=reasons_column, overflow="fold")
    for col in ("docs in", "kept", "dropped", "chars\nremoved", "chars\nkept"):
        table.add_column(col, justify="right", no_wrap=True)
    if reasons_column:
        table.add_column("reasons", justify="left", overflow="fold", min_width=24)
    for r in rows:
        reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items())
        step = r["step"]
        if not reasons_column and reasons:
            step = f"{step}\n[dim]{reasons}[/]"
        cells = [step, str(r["docs_in"]), str(r["docs_out"]), str(r["dropped"] or ""), _chars(r["chars_removed"]), _chars(r["chars_out"])]
        table.add_row(*cells, *([reasons] if reasons_column else []))
    if any((r["chars_removed"] or 0) < 0 for r in rows):
        table.caption = "chars removed < 0: the step lengthened the text (NFKC: ㈱ -> (株), ① -> 1)"
    return table


def funnel_table(run: Path, rows: list[dict], console: Console) -> Table:
    """The funnel at the console's width: a reasons column where step names, numbers and 24
    columns of reasons fit on one line, else the reasons stacked under each step, so that no
    column is squeezed away (a pipe or an 80-column terminal)."""
    wide = _funnel_table(run, rows, reasons_column=True)
    unbounded = console.options.update_width(100_000)  # rich clamps a measurement to the width it is given
    if Measurement.get(console, unbounded, wide).minimum <= console.width:
        return wide
    return _funnel_table(run, rows, reasons_column=False)


def print_summary(run: Path, console: Console | None = None) -> None:
    """The funnel per step, the accounting, tokens and quarantine reasons."""
    console = console or Console()
    summary = load_summary(run)
    acc = summary["accounting"]
    console.print(funnel_table(run, step_rows(run), console))
    status = "[green]balanced[/]" if acc["balanced"] else "[red]NOT balanced[/]"
    console.print(f"{accounting_line(acc)}  ({status}); kept chars {acc['kept_chars']:,}")
    for side, t in summary.get("tokens", {}).items():
        console.print(f"tokens/{side}: {t['tokens']:,} tokens in {t['documents']} docs, {t['files']} shard(s)")
    q = CorpusRun(run).quarantine
    if q.is_file() and q.stat().st_size:
        reasons = Counter(json.loads(line)["reason"] for line in q.read_text(encoding="utf-8").splitlines() if line.strip())
        console.print("quarantine: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()) + f"  (see {q})")


def print_removed_chars(run: Path, console: Console) -> None:
    """Characters removed per step and reason, largest first: a filter eating big documents shows here."""
    rows = [(step, reason, chars) for step, reasons in removed_chars(run).items() for reason, chars in reasons.items()]
    if not rows:
        return
    t = Table(title="characters removed per reason")
    for col, justify in (("step", "left"), ("reason", "left"), ("chars removed", "right")):
        t.add_column(col, justify=justify, overflow="fold")
    for step, reason, chars in sorted(rows, key=lambda r: -r[2]):
        t.add_row(step, reason, f"{chars:,}")
    console.print(t)


def print_stats(run: Path, samples: int = 2, compare: Path | None = None, console: Console | None = None) -> None:
    """Everything ``kinyu corpus stats`` shows for one run, and its difference to another."""
    console = console or Console()
    print_summary(run, console)
    print_removed_chars(run, console)
    if samples:
        for step, reasons in removed_samples(run, samples).items():
            for reason, snippets in reasons.items():
                console.rule(f"removed/{step} · {reason}", style="dim")
                for s in snippets:
                    console.print(f"  {s}", markup=False)
    clusters = near_dup_clusters(run)
    if clusters:
        t = Table(title="duplicate clusters (kept <- removed)")
        for col in ("kind", "kept", "removed"):
            t.add_column(col, overflow="fold")  # ids have no spaces to wrap at: fold them, never cut them
        for c in clusters:
            t.add_row(c["kind"], c["kept"], ", ".join(c["removed"]))
        console.print(t)
    if compare:
        diff = compare_runs(run, compare)
        t = Table(title=f"compare: A={run}  B={compare}  (kept in both: {diff['kept_in_both']})")
        for col in ("document", "kept in", "removed in the other run because"):
            t.add_column(col, overflow="fold")
        for row in diff["kept_only_in_a"]:
            t.add_row(row["id"], "A", row["reason_in_b"])
        for row in diff["kept_only_in_b"]:
            t.add_row(row["id"], "B", row["reason_in_a"])
        console.print(t)


def stats_json(run: Path, samples: int = 2, compare: Path | None = None) -> dict:
    """The same content as :func:`print_stats`, as one JSON-serialisable mapping."""
    data = {
        "summary": load_summary(run),
        "steps": step_rows(run),
        "removed_chars": removed_chars(run),
        "samples": removed_samples(run, samples),
        "near_duplicates": near_dup_clusters(run),
    }
    if compare:
        data["compare"] = compare_runs(run, compare)
    return data
