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
from kinyu.corpus.reporting.run_reader import (
    accounting_line,
    archive_rows,
    compare_runs,
    load_summary,
    near_dup_clusters,
    pii_audit,
    removed_chars,
    removed_samples,
    run_pii_counts,
    score_histogram,
    selection_funnel,
    step_rows,
)

MAX_ARCHIVE_ROWS = 20  # the terminal shows the first archives; all are in stats/archives.json



def _chars(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _funnel_table(run: Path, rows: list[dict], reasons_column: bool) -> Table:
    """The funnel; without ``reasons_column`` each step's drop reasons go under its name (narrow terminals)."""
    table = Table(title=f"corpus run {run}", show_lines=not reasons_column)
    table.add_column("step", justify="left", no_wrap=reasons_column, overflow="fold")
    # a column of its own where there is room; on a narrow terminal it goes under the step's name
    with_tables = reasons_column and any(r.get("tables_dropped") or r.get("tables_kept") for r in rows)
    for col in ("docs in", "kept", "dropped", "chars\nremoved", "chars\nkept", *(("tables\ndropped",) if with_tables else ())):
        table.add_column(col, justify="right", no_wrap=True)
    if reasons_column:
        table.add_column("reasons", justify="left", overflow="fold", min_width=24)
    for r in rows:
        reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items())
        if not reasons_column and r.get("tables_dropped"):
            reasons = ", ".join(x for x in (reasons, f"tables dropped {r['tables_dropped']}") if x)
        step = r["step"]
        if not reasons_column and reasons:
            step = f"{step}\n[dim]{reasons}[/]"
        cells = [step, str(r["docs_in"]), str(r["docs_out"]), str(r["dropped"] or ""), _chars(r["chars_removed"]), _chars(r["chars_out"])]
        if with_tables:
            dropped = r.get("tables_dropped", 0)
            kept = f" of {dropped + r['tables_kept']}" if r.get("tables_kept") else ""
            cells.append(f"{dropped}{kept}" if dropped or kept else "")
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
    archives = acc.get("archives")
    if archives:
        ok = "[green]balanced[/]" if archives["balanced"] else "[red]NOT balanced[/]"
        others = ", ".join(f"{k} {v}" for k, v in archives["not_documents"].items()) or "none"
        console.print(
            f"archives {archives['archives']}: records {archives['records']} = documents {archives['documents']} + not documents "
            f"({others}); documents {archives['documents']} = kept {archives['kept']} + dropped {archives['dropped']} + "
            f"quarantined {archives['quarantined']}  ({ok}; per archive: {CorpusRun(run).archives})"
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
        t.add_column(col, justify=justify, overflow="fold")
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
    t.add_column("type", justify="left", overflow="fold")  # folded, never cut, on a narrow terminal
    for col in ("found", "masked", "counted\nonly", "kept\npublic", "docs", "docs\ndropped"):
        t.add_column(col, justify="right", no_wrap=True)
    for kind, c in counts.items():
        t.add_row(kind, *(str(c.get(k, 0)) for k in ("found", "masked", "tagged", "public", "docs", "dropped")))
    console.print(t)
    if samples:
        for kind, records in pii_audit(run, samples).items():
            for a in records:
                console.print(f"  pii audit · {kind} · {a['action']} · {a['rule']} · {a['shape']}: {a['context']}  ({a['id']})", markup=False)


def print_archives(run: Path, console: Console) -> None:
    """One row per WARC/ZIP input: its records and what became of its documents."""
    rows = archive_rows(run)
    if not rows:
        return
    t = Table(title=f"archives (first {MAX_ARCHIVE_ROWS} of {len(rows)})" if len(rows) > MAX_ARCHIVE_ROWS else "archives")
    for col in ("archive", "kind", "records", "documents", "kept", "dropped", "quarantined", "not documents", "balanced"):
        t.add_column(col, justify="left" if col in ("archive", "kind", "not documents") else "right")
    for r in rows[:MAX_ARCHIVE_ROWS]:
        others = ", ".join(f"{k} {v}" for k, v in r["not_documents"].items())
        t.add_row(r["id"], r["kind"], str(r["records"]), str(r["documents"]), str(r["kept"]), str(r["dropped"]),
                  str(r["quarantined"]), others, "yes" if r["balanced"] else "[red]NO[/]")
    console.print(t)


def print_selection(run: Path, console: Console) -> None:
    """The selection funnel: records -> documents -> each selection step -> kept."""
    rows = selection_funnel(run)
    t = Table(title="selection funnel")
    for col in ("step", "documents", "dropped", "reasons"):
        t.add_column(col, justify="left" if col in ("step", "reasons") else "right", overflow="fold")
    for r in rows:
        reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items())
        t.add_row(r["step"], f"{r['documents']:,}", f"{r['dropped']:,}" if r["dropped"] else "", reasons)
    console.print(t)


def print_score_distribution(run: Path, console: Console, label: str = "finance prob") -> None:
    """The finance classifier's scores, kept vs removed, in ten bins over [0, 1]."""
    h = score_histogram(run, label)
    if not h:
        return
    edges, kept, removed = h["edges"], h["kept"], h["removed"]
    step = max(1, len(kept) // 10)
    t = Table(title=f"{label.replace(' ', '_')} (select.classifier)")
    for col in ("score", "kept", "removed"):
        t.add_column(col, justify="right")
    for i in range(0, len(kept), step):
        t.add_row(f"{edges[i]:.2f}-{edges[min(i + step, len(edges) - 1)]:.2f}", str(sum(kept[i:i + step])), str(sum(removed[i:i + step])))
    console.print(t)


def print_classifier_evaluation(result: dict, console: Console | None = None) -> None:
    """``kinyu corpus train-classifier``'s held-out figures: the classifier beside the lexicon tagger."""
    console = console or Console()
    d = result["documents"]
    t = Table(title=f"held out: {d['positives']} financial vs {d['negatives']} general documents")
    for col in ("method", "threshold", "precision", "recall", "F1", "false pos.", "missed"):
        t.add_column(col, justify="left" if col == "method" else "right", no_wrap=col == "method")
    for name, key in (("classifier (finance_prob)", "classifier"), ("lexicon (finance_score)", "lexicon"),
                      ("lexicon, best threshold here", "lexicon_best")):
        m = result[key]
        t.add_row(name, f"{m['threshold']:g}", f"{m['precision']:.4f}", f"{m['recall']:.4f}", f"{m['f1']:.4f}", str(m["fp"]), str(m["fn"]))
    console.print(t)
    for r in result.get("per_source", []):
        console.print(f"  {r['side']} {r['source']}: {r['documents']} documents, called financial by the classifier "
                      f"{r['classifier_financial']}, by the lexicon {r['lexicon_financial']}", markup=False)
    for side in ("positives", "negatives"):
        q = result["classifier_scores"][side]
        console.print(f"finance_prob of the {side}: " + ", ".join(f"{k} {v:.4f}" for k, v in q.items()))
    for e in result["errors"]:
        console.print(f"  classifier {e['kind']}: {e['id']} (finance_prob {e['finance_prob']:.4f}, lexicon {e['lexicon_score']:.1f})", markup=False)


def print_stats(run: Path, samples: int = 2, compare: Path | None = None, console: Console | None = None) -> None:
    """Everything ``kinyu corpus stats`` shows for one run, and its difference to another."""
    console = console or Console()
    print_summary(run, console)
    print_pii(run, console, samples)
    print_selection(run, console)
    print_archives(run, console)
    print_score_distribution(run, console)
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
        "pii": run_pii_counts(run),
        "pii_audit": pii_audit(run, samples),
        "samples": removed_samples(run, samples),
        "near_duplicates": near_dup_clusters(run),
        "selection": selection_funnel(run),
        "archives": archive_rows(run),
        "finance_prob": score_histogram(run),
    }
    if compare:
        data["compare"] = compare_runs(run, compare)
    return data
