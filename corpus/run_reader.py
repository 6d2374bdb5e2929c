"""Reading a finished corpus run folder: step rows, drop reasons, removed samples and characters,
signal histograms, duplicate clusters, kept ids and the difference between two runs.

Rendering lives elsewhere (``corpus.console`` for the terminal, ``corpus.report`` for HTML).
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np

from corpus.japanese import hiragana_ratio
from corpus.readers import read_jsonl_gz


def _plain(name: str) -> str:
    """A step name without datatrove's emoji (terminals and fonts without emoji show boxes)."""
    return "".join(c for c in name if unicodedata.category(c) not in ("So", "Mn", "Cf") and not 0x1F000 <= ord(c) <= 0x1FAFF).strip()


def counter_total(v) -> float:
    """A datatrove counter as saved: a dict with ``total``, or a plain number (counts of 1 each)."""
    return v.get("total", 0) if isinstance(v, dict) else (v or 0)


SIGNALS = {  # label -> metadata["quality"] key (length and hiragana share are computed from the text)
    "length (chars)": None,
    "hiragana share": None,
    "function-word ratio": "function_word_ratio",
    "domain score": "finance_score",
}


def drop_reasons(step_stats: dict) -> dict[str, int]:
    """Dropped documents by reason from one step's datatrove counters (``dropped_<reason>``)."""
    prefix = "dropped_"
    return {k[len(prefix):]: int(counter_total(v)) for k, v in step_stats.items() if k.startswith(prefix)}


def drop_counts(stats: dict[str, list[dict]]) -> dict[str, dict[str, int]]:
    """``{"<stage>/<step name>": {reason: documents}}`` over merged per-stage stats."""
    out: dict[str, dict[str, int]] = {}
    for stage, steps in stats.items():
        for step in steps:
            reasons = drop_reasons(step.get("stats", {}))
            if reasons:
                out[f"{stage}/{step.get('name', '?')}"] = reasons
    return out


def removed_chars(run: Path) -> dict[str, dict[str, int]]:
    """``{step folder: {reason: characters}}`` removed, read from ``removed/<step>/``.

    Line blocks removed inside kept documents count under their own reason, so a filter that
    eats a large document (or many lines) shows at once.
    """
    out: dict[str, dict[str, int]] = {}
    removed = run / "removed"
    for step_dir in sorted(p for p in removed.iterdir() if p.is_dir()) if removed.is_dir() else []:
        chars: dict[str, int] = defaultdict(int)
        for rec in read_jsonl_gz(step_dir):
            chars[rec.get("metadata", {}).get("filter_reason", "?")] += len(rec.get("text", ""))
        out[step_dir.name] = dict(sorted(chars.items(), key=lambda kv: -kv[1]))
    return out


def doc_signals(rec: dict) -> dict[str, float]:
    """The histogram signals of one document record (kept or removed)."""
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
            if not counter_total(s.get("forwarded", 0)) and not counter_total(s.get("dropped", 0)):
                continue  # a step that only writes signatures or indexes
            reasons = drop_reasons(s)
            rows.append(
                {
                    "stage": stage,
                    "step": _plain(name.split(": ", 1)[-1]),
                    "docs_in": int(counter_total(s.get("total", 0))),
                    "docs_out": int(counter_total(s.get("forwarded", 0))),
                    "dropped": int(counter_total(s.get("dropped", 0))),
                    "chars_out": int(counter_total(s.get("doc_len", 0))),
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


