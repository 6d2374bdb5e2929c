"""What users look at after every build: the funnel per step, drop reasons, removed samples,
near-duplicate clusters, and the difference between two runs (``kinyu corpus stats``)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from corpus.readers import read_jsonl_gz


def _plain(name: str) -> str:
    """A step name without datatrove's emoji (terminals and fonts without emoji show boxes)."""
    import unicodedata

    return "".join(c for c in name if unicodedata.category(c) not in ("So", "Mn", "Cf") and not 0x1F000 <= ord(c) <= 0x1FAFF).strip()


def _total(v) -> float:
    return v.get("total", 0) if isinstance(v, dict) else (v or 0)


SIGNALS = {  # label -> metadata["quality"] key (length and hiragana share are computed from the text)
    "length (chars)": None,
    "hiragana share": None,
    "function-word ratio": "function_word_ratio",
    "domain score": "finance_score",
}


def doc_signals(rec: dict) -> dict[str, float]:
    """The histogram signals of one document record (kept or removed)."""
    from corpus.japanese import hiragana_ratio

    text = rec.get("text", "")
    quality = rec.get("metadata", {}).get("quality") or {}
    out = {"length (chars)": float(len(text)), "hiragana share": hiragana_ratio(text)}
    for label, key in SIGNALS.items():
        if key and isinstance(quality.get(key), (int, float)):
            out[label] = float(quality[key])
    return out


def collect_signals(run: Path) -> tuple[list[dict], list[dict]]:
    """Signals of the kept documents and of the removed documents (line blocks excluded)."""
    kept = [doc_signals(r) for r in read_jsonl_gz(run / "docs")]
    removed = []
    if (run / "removed").is_dir():
        for step_dir in sorted(p for p in (run / "removed").iterdir() if p.is_dir()):
            removed += [doc_signals(r) for r in read_jsonl_gz(step_dir) if "parent_id" not in r.get("metadata", {})]
    return kept, removed


def signal_histograms(run: Path, bins: int = 20) -> dict:
    """Histograms of each signal for kept and removed documents, on shared bin edges."""
    import numpy as np

    kept, removed = collect_signals(run)
    out = {}
    for label in SIGNALS:
        k = [s[label] for s in kept if label in s]
        r = [s[label] for s in removed if label in s]
        values = k + r
        if not values:
            continue
        if label.startswith("length"):
            edges = np.logspace(0, np.log10(max(max(values), 10)) + 0.01, bins + 1)
        else:
            edges = np.linspace(min(values), max(values) + 1e-9, bins + 1)
        out[label] = {
            "edges": [round(float(e), 4) for e in edges],
            "kept": np.histogram(k, edges)[0].tolist(),
            "removed": np.histogram(r, edges)[0].tolist(),
        }
    return out


def load_summary(run: Path) -> dict:
    path = run / "stats" / "summary.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {run} a finished corpus run?")
    return json.loads(path.read_text(encoding="utf-8"))


def step_rows(run: Path) -> list[dict]:
    """One row per pipeline step that forwards or drops documents, in pipeline order."""
    summary_file = run / "stats" / "summary.json"
    order = json.loads(summary_file.read_text(encoding="utf-8")).get("stages", []) if summary_file.is_file() else []
    order += sorted(p.stem for p in (run / "stats").glob("*.json") if p.stem not in order and p.stem not in ("summary", "histograms"))
    rows = []
    for stage in order:
        path = run / "stats" / f"{stage}.json"
        if not path.is_file():
            continue
        for step in json.loads(path.read_text(encoding="utf-8")):
            s = step.get("stats", {})
            name = step.get("name", "?")
            if "FILTER" not in name and "DEDUP" not in name.upper():
                continue  # readers, writers and formatters neither keep nor drop
            if stage.startswith("token"):
                continue  # the split sends each document to one side; nothing is removed there
            if not _total(s.get("forwarded", 0)) and not _total(s.get("dropped", 0)):
                continue  # a step that only writes signatures or indexes
            reasons = {k[len("dropped_"):]: int(_total(v)) for k, v in s.items() if k.startswith("dropped_")}
            rows.append(
                {
                    "stage": stage,
                    "step": _plain(name.split(": ", 1)[-1]),
                    "docs_in": int(_total(s.get("total", 0))),
                    "docs_out": int(_total(s.get("forwarded", 0))),
                    "dropped": int(_total(s.get("dropped", 0))),
                    "chars_out": int(_total(s.get("doc_len", 0))),
                    "reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
                }
            )
    return rows


def removed_samples(run: Path, per_reason: int) -> dict[str, dict[str, list[str]]]:
    """``{step: {reason: [snippet, ...]}}`` from ``removed/<step>/``, in file order."""
    out: dict[str, dict[str, list[str]]] = {}
    removed = run / "removed"
    for step_dir in sorted(p for p in removed.iterdir() if p.is_dir()) if removed.is_dir() else []:
        by_reason: dict[str, list[str]] = defaultdict(list)
        for rec in read_jsonl_gz(step_dir):
            reason = rec.get("metadata", {}).get("filter_reason", "?")
            if len(by_reason[reason]) < per_reason:
                snippet = " ".join(rec.get("text", "").split())[:160]
                by_reason[reason].append(f"{rec.get('id')}: {snippet}")
        out[step_dir.name] = dict(by_reason)
    return out


def near_dup_clusters(run: Path) -> list[dict]:
    """Documents removed as near-duplicates, grouped by the document that was kept."""
    clusters: dict[str, list[str]] = defaultdict(list)
    for sub in ("minhash_dedup", "exact_dedup"):
        for rec in read_jsonl_gz(run / "removed" / sub):
            meta = rec.get("metadata", {})
            kept = meta.get("kept_id") or meta.get("duplicate_of") or meta.get("cluster_id") or "?"
            clusters[f"{sub}:{kept}"].append(rec.get("id"))
    return [{"kind": k.split(":", 1)[0], "kept": k.split(":", 1)[1], "removed": sorted(v)} for k, v in sorted(clusters.items())]


def print_summary(run: Path, console: Console | None = None) -> None:
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
    q = run / "quarantine.jsonl"
    if q.is_file() and q.stat().st_size:
        reasons = Counter(json.loads(line)["reason"] for line in q.read_text(encoding="utf-8").splitlines() if line.strip())
        console.print("quarantine: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()) + f"  (see {q})")


def kept_ids(run: Path) -> set[str]:
    return {rec["id"] for rec in read_jsonl_gz(run / "docs")}


def removed_reasons(run: Path) -> dict[str, str]:
    out = {}
    removed = run / "removed"
    for step_dir in sorted(p for p in removed.iterdir() if p.is_dir()) if removed.is_dir() else []:
        for rec in read_jsonl_gz(step_dir):
            if "parent_id" in rec.get("metadata", {}):
                continue  # a removed line block, not a document
            out[rec["id"]] = f"{step_dir.name}:{rec.get('metadata', {}).get('filter_reason', '?')}"
    q = run / "quarantine.jsonl"
    if q.is_file():
        for line in q.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[row["id"]] = f"quarantine:{row['reason']}"
    return out


def compare_runs(a: Path, b: Path) -> dict:
    """Which documents one run kept and the other removed, with the other run's reason."""
    kept_a, kept_b = kept_ids(a), kept_ids(b)
    why_a, why_b = removed_reasons(a), removed_reasons(b)
    only_a = sorted(kept_a - kept_b)
    only_b = sorted(kept_b - kept_a)
    return {
        "kept_only_in_a": [{"id": i, "reason_in_b": why_b.get(i, "absent")} for i in only_a],
        "kept_only_in_b": [{"id": i, "reason_in_a": why_a.get(i, "absent")} for i in only_b],
        "kept_in_both": len(kept_a & kept_b),
        "a": str(a),
        "b": str(b),
    }


def stats_command(run: Path, samples: int = 2, as_json: bool = False, compare: Path | None = None) -> int:
    console = Console()
    if as_json:
        data = {"summary": load_summary(run), "steps": step_rows(run), "samples": removed_samples(run, samples), "near_duplicates": near_dup_clusters(run)}
        if compare:
            data["compare"] = compare_runs(run, compare)
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print_summary(run, console)
    if samples:
        for step, reasons in removed_samples(run, samples).items():
            for reason, snippets in reasons.items():
                console.rule(f"removed/{step} · {reason}", style="dim")
                for s in snippets:
                    console.print(f"  {s}", markup=False)
    clusters = near_dup_clusters(run)
    if clusters:
        t = Table(title="duplicate clusters (kept <- removed)")
        t.add_column("kind")
        t.add_column("kept")
        t.add_column("removed")
        for c in clusters:
            t.add_row(c["kind"], c["kept"], ", ".join(c["removed"]))
        console.print(t)
    if compare:
        diff = compare_runs(run, compare)
        t = Table(title=f"compare: A={run}  B={compare}  (kept in both: {diff['kept_in_both']})")
        t.add_column("document")
        t.add_column("kept in")
        t.add_column("removed in the other run because")
        for row in diff["kept_only_in_a"]:
            t.add_row(row["id"], "A", row["reason_in_b"])
        for row in diff["kept_only_in_b"]:
            t.add_row(row["id"], "B", row["reason_in_a"])
        console.print(t)
    return 0


def dedup_check_command(run: Path, threshold: float = 0.8) -> int:
    from corpus.dedup import dedup_check_folder, print_clusters

    if not (run / "docs").is_dir():
        raise FileNotFoundError(f"{run}/docs not found: is {run} a corpus run?")
    clusters = dedup_check_folder(run / "docs", threshold=threshold)
    print_clusters(clusters)
    if not clusters:
        print(f"no near-duplicate clusters at Jaccard >= {threshold} among the kept documents")
    return 0
