"""The terminal view of a corpus run (``kinyu corpus stats``, the summary after a build):
rich tables of the funnel, drop reasons with the characters they removed, removed samples,
duplicate clusters and a run comparison. Reading the run folder is ``kinyu.corpus.reporting.run_reader``'s job."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kinyu.base.layout import CorpusRun
from kinyu.corpus.reporting.run_reader import (
    compare_runs,
    load_summary,
    near_dup_clusters,
    pii_audit,
    removed_chars,
    removed_samples,
    run_pii_counts,
    step_rows,
)


def print_summary(run: Path, console: Console | None = None) -> None:
    """The funnel per step, the accounting, tokens and quarantine reasons."""
    console = console or Console()
    summary = load_summary(run)
    acc = summary["accounting"]
    table = Table(title=f"corpus run {run}", show_lines=False)
    for col in ("step", "docs in", "kept", "dropped", "chars kept", "reasons"):
        table.add_column(col, justify="right" if col[:4] in ("docs", "kept", "drop", "char") else "left", no_wrap=col != "reasons")
    for r in step_rows(run):
        step = r["step"] if r["stage"] == "extract" else f"{r['stage']}: {r['step']}"
        reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items())
        table.add_row(step, str(r["docs_in"]), str(r["docs_out"]), str(r["dropped"] or ""), f"{r['chars_out']:,}", reasons)
    console.print(table)
    status = "[green]balanced[/]" if acc["balanced"] else "[red]NOT balanced[/]"
    console.print(
        f"inputs {acc['inputs']} = kept {acc['kept']} + dropped {acc['dropped']} + quarantined {acc['quarantined']}  ({status}); "
        f"kept chars {acc['kept_chars']:,}"
    )
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
        t.add_column(col, justify=justify)
    for step, reason, chars in sorted(rows, key=lambda r: -r[2]):
        t.add_row(step, reason, f"{chars:,}")
    console.print(t)


def print_pii(run: Path, console: Console, samples: int = 2) -> None:
    """Personal information per type (found, masked, counted only, kept as public, documents,
    documents dropped) and an audit sample of spans (shape and masked context; values hidden)."""
    counts = run_pii_counts(run)
    if not counts:
        return
    t = Table(title="personal information (quality.pii)")
    for col in ("type", "found", "masked", "counted only", "kept public", "docs", "docs dropped"):
        t.add_column(col, justify="left" if col == "type" else "right")
    for kind, c in counts.items():
        t.add_row(kind, *(str(c.get(k, 0)) for k in ("found", "masked", "tagged", "public", "docs", "dropped")))
    console.print(t)
    if samples:
        for kind, records in pii_audit(run, samples).items():
            for a in records:
                console.print(f"  pii audit · {kind} · {a['action']} · {a['rule']} · {a['shape']}: {a['context']}  ({a['id']})", markup=False)


def print_stats(run: Path, samples: int = 2, compare: Path | None = None, console: Console | None = None) -> None:
    """Everything ``kinyu corpus stats`` shows for one run, and its difference to another."""
    console = console or Console()
    print_summary(run, console)
    print_pii(run, console, samples)
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
            t.add_column(col)
        for c in clusters:
            t.add_row(c["kind"], c["kept"], ", ".join(c["removed"]))
        console.print(t)
    if compare:
        diff = compare_runs(run, compare)
        t = Table(title=f"compare: A={run}  B={compare}  (kept in both: {diff['kept_in_both']})")
        for col in ("document", "kept in", "removed in the other run because"):
            t.add_column(col)
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
        "pii": run_pii_counts(run),
        "pii_audit": pii_audit(run, samples),
        "samples": removed_samples(run, samples),
        "near_duplicates": near_dup_clusters(run),
    }
    if compare:
        data["compare"] = compare_runs(run, compare)
    return data
