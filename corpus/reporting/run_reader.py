"""Reading a finished corpus run folder: step rows, drop reasons, removed samples and characters,
signal histograms, duplicate clusters, kept ids and the difference between two runs.

Rendering lives elsewhere (``kinyu.corpus.reporting.console`` for the terminal, ``kinyu.corpus.reporting.html`` for HTML).
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
import unicodedata
from array import array
from collections import defaultdict
from pathlib import Path

import numpy as np

from kinyu.base.errors import PathNotFound
from kinyu.base.layout import CorpusRun
from kinyu.corpus.extract.readers import read_jsonl_gz
from kinyu.corpus.japanese import hiragana_ratio


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
    "finance prob": "finance_prob",  # the finance classifier's score (select.classifier)
}
# signals kept in the document's metadata itself rather than in metadata["quality"]
TOP_LEVEL_SIGNALS = ("finance_prob",)


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


PII_STEP = "Personal information"
PII_COUNTERS = ("found", "masked", "tagged", "public", "docs")


def pii_counts(stats: dict[str, list[dict]]) -> dict[str, dict[str, int]]:
    """``{type: {found, masked, tagged, public, docs, dropped}}`` from the personal-information
    step's counters in merged per-stage stats (``{}`` when the step did not run)."""
    out: dict[str, dict[str, int]] = {}
    for steps in stats.values():
        for step in steps:
            if PII_STEP not in step.get("name", ""):
                continue
            for key, value in step.get("stats", {}).items():
                kind, _, pii_type = key.partition("_")
                if key.startswith("dropped_pii_"):
                    kind, pii_type = "dropped", key[len("dropped_pii_"):]
                elif kind not in PII_COUNTERS:
                    continue
                row = out.setdefault(pii_type, dict.fromkeys((*PII_COUNTERS, "dropped"), 0))
                row[kind] += int(counter_total(value))
    return dict(sorted(out.items()))


def run_pii_counts(run: Path) -> dict[str, dict[str, int]]:
    """:func:`pii_counts` of a finished run (its summary, else its merged stats)."""
    layout = CorpusRun(run)
    if layout.summary.is_file():
        summary = json.loads(layout.summary.read_text(encoding="utf-8"))
        if "pii" in summary:
            return summary["pii"]
    stats = {stage: json.loads(layout.stage_stats(stage).read_text(encoding="utf-8")) for stage in layout.stats_stages()
             if layout.stage_stats(stage).is_file()}  # fmt: skip
    return pii_counts(stats)


def pii_audit(run: Path, per_type: int = 3) -> dict[str, list[dict]]:
    """Up to ``per_type`` audit records per personal-information type, from the kept documents
    and ``removed/pii/`` (in file order): id, rule, action, shape and masked context, as the step
    wrote them (the value itself only in a run built with ``quality.pii.audit_reveal``)."""
    out: dict[str, list[dict]] = defaultdict(list)
    layout = CorpusRun(run)
    sources = [layout.docs, layout.removed / "pii"]
    for folder in sources:
        for rec in read_jsonl_gz(folder):
            for a in (rec.get("metadata", {}).get("pii") or {}).get("audit", []):
                if len(out[a["type"]]) < per_type:
                    out[a["type"]].append({"id": rec.get("id"), **a})
    return dict(sorted(out.items()))


def removed_chars(run: Path) -> dict[str, dict[str, int]]:
    """``{step folder: {reason: characters}}`` removed, read from ``removed/<step>/``.

    Line blocks removed inside kept documents count under their own reason, so a filter that
    eats a large document (or many lines) shows at once.
    """
    out: dict[str, dict[str, int]] = {}
    for step_dir in CorpusRun(run).removed_steps():
        chars: dict[str, int] = defaultdict(int)
        for rec in read_jsonl_gz(step_dir):
            chars[rec.get("metadata", {}).get("filter_reason", "?")] += len(rec.get("text", ""))
        out[step_dir.name] = dict(sorted(chars.items(), key=lambda kv: -kv[1]))
    return out


def doc_signals(rec: dict) -> dict[str, float]:
    """The histogram signals of one document record (kept or removed)."""
    text = rec.get("text", "")
    meta = rec.get("metadata", {})
    quality = meta.get("quality") or {}
    out = {"length (chars)": float(len(text)), "hiragana share": hiragana_ratio(text)}
    for label, key in SIGNALS.items():
        source = meta if key in TOP_LEVEL_SIGNALS else quality
        if key and isinstance(source.get(key), (int, float)):
            out[label] = float(source[key])
    return out


def _document_records(run: Path, side: str):
    """The kept records (``docs/``) or the removed documents (``removed/*/``, line blocks excluded)."""
    if side == "kept":
        yield from read_jsonl_gz(CorpusRun(run).docs)
        return
    for step_dir in CorpusRun(run).removed_steps():
        yield from (r for r in read_jsonl_gz(step_dir) if "parent_id" not in r.get("metadata", {}))


def signal_histograms(run: Path, bins: int = 20) -> dict:
    """Histograms of each signal for kept and removed documents, on shared bin edges.

    Streaming: one pass computes the signals into a temporary file of float64 rows and their
    running minima/maxima (the bin edges); the rows are then binned back in chunks. Memory stays
    flat however many documents the run has; the counts equal binning all values at once.
    """
    labels = list(SIGNALS)
    lo = dict.fromkeys(labels, math.inf)
    hi = dict.fromkeys(labels, -math.inf)
    with tempfile.TemporaryDirectory(prefix="kinyu-histograms-") as tmp:
        files = {side: Path(tmp) / f"{side}.f64" for side in ("kept", "removed")}
        for side, path in files.items():
            with open(path, "wb") as f:
                rows = array("d")
                for rec in _document_records(run, side):
                    signals = doc_signals(rec)
                    for label in labels:
                        v = signals.get(label, math.nan)
                        rows.append(v)
                        if label in signals:
                            lo[label], hi[label] = min(lo[label], v), max(hi[label], v)
                    if len(rows) >= _CHUNK_VALUES:
                        rows.tofile(f)
                        rows = array("d")
                rows.tofile(f)
        out = {}
        for i, label in enumerate(labels):
            if lo[label] == math.inf:
                continue
            if label.startswith("length"):
                edges = np.logspace(0, np.log10(max(hi[label], 10)) + 0.01, bins + 1)
            elif SIGNALS[label] in TOP_LEVEL_SIGNALS:  # a probability: fixed bins over [0, 1]
                edges = np.linspace(0.0, 1.0, bins + 1)
            else:
                edges = np.linspace(lo[label], hi[label] + 1e-9, bins + 1)
            counts = {}
            for side, path in files.items():
                total = np.zeros(bins, dtype=np.int64)
                for rows in _row_chunks(path, len(labels)):
                    column = rows[:, i]
                    total += np.histogram(column[~np.isnan(column)], edges)[0]
                counts[side] = total.tolist()
            out[label] = {"edges": [round(float(e), 4) for e in edges], "kept": counts["kept"], "removed": counts["removed"]}
    return out


_CHUNK_VALUES = 1 << 16


def _row_chunks(path: Path, width: int):
    with open(path, "rb") as f:
        while True:
            values = np.fromfile(f, dtype=np.float64, count=_CHUNK_VALUES * width)
            if not values.size:
                return
            yield values.reshape(-1, width)


def accounting_line(acc: dict) -> str:
    """``documents 68 (from 64 input files) = kept 53 + dropped 10 + quarantined 5``: documents, not
    files (a JSON/JSONL/Parquet file gives one document per record)."""
    files = acc.get("input_files")
    source = f" (from {files:,} input file{'s' if files != 1 else ''})" if files is not None else ""
    return (f"documents {acc['inputs']:,}{source} = kept {acc['kept']:,} + dropped {acc['dropped']:,} + "
            f"quarantined {acc['quarantined']:,}")


def load_summary(run: Path) -> dict:
    path = CorpusRun(run).summary
    if not path.is_file():
        raise PathNotFound(f"{path} not found: is {run} a finished corpus run?")
    return json.loads(path.read_text(encoding="utf-8"))


def _is_reader(name: str) -> bool:
    return "READER" in name


def _changes_text(name: str, stats: dict) -> bool:
    """A step that edits documents' text without dropping any (the normaliser, the line cleaner):
    it counts the characters it took in and gave out."""
    return "chars_in" in stats and "chars_out" in stats


# gates of the extract stage on raw records, before any text is extracted: their rows count documents only
_BEFORE_EXTRACTION = ("Archive records", "URL rules")


def step_rows(run: Path) -> list[dict]:
    """One row per pipeline step that drops documents or changes their text, in pipeline order.

    ``tables_dropped``: the tables (``kinyu.corpus.tables``) the step took with the documents it
    dropped, or (the line cleaner, which also counts ``tables_kept``) the label-less ones it cut.
    Each row's characters are that step's own: ``chars_in`` (what reached it), ``chars_out``
    (what it passed on) and ``chars_removed`` (their difference: the text of the documents it
    dropped, or the lines it cut; negative where a step lengthens text, as NFKC does with ㈱ ->
    (株)). ``chars_in`` is the step before's ``chars_out``, or the stage reader's count; None where
    nothing counted it (the quarantine gate: the inputs it stops never had text).
    """
    layout = CorpusRun(run)
    order = json.loads(layout.summary.read_text(encoding="utf-8")).get("stages", []) if layout.summary.is_file() else []
    order += [stage for stage in layout.stats_stages() if stage not in order]
    rows = []
    chars: int | None = None  # characters in the document stream at this point
    for stage in order:
        path = layout.stage_stats(stage)
        if not path.is_file() or stage.startswith("token"):
            continue  # the token stages' split sends each document to one side; nothing is removed there
        for step in json.loads(path.read_text(encoding="utf-8")):
            s = step.get("stats", {})
            name = step.get("name", "?")
            if _is_reader(name):
                if "doc_len" in s:
                    chars = int(counter_total(s["doc_len"]))
                continue
            if _changes_text(name, s):
                chars_in, chars_out = int(counter_total(s["chars_in"])), int(counter_total(s["chars_out"]))
                docs = int(counter_total(s.get("docs", 0))) or (rows[-1]["docs_out"] if rows else 0)
                rows.append({"stage": stage, "step": _plain(name.split(": ", 1)[-1]), "docs_in": docs, "docs_out": docs,
                             "dropped": 0, "chars_in": chars_in, "chars_out": chars_out,
                             "chars_removed": chars_in - chars_out, "reasons": {},
                             "tables_dropped": int(counter_total(s.get("tables_dropped", 0))),
                             "tables_kept": int(counter_total(s.get("tables_kept", 0)))})
                chars = chars_out
                continue
            if "FILTER" not in name and "DEDUP" not in name.upper():
                continue  # writers, annotators and extractors neither keep nor drop
            if not counter_total(s.get("forwarded", 0)) and not counter_total(s.get("dropped", 0)):
                continue  # a step that only writes signatures or indexes
            chars_out = int(counter_total(s.get("doc_len", 0)))
            chars_in = chars
            step_name = _plain(name.split(": ", 1)[-1])
            if step_name in _BEFORE_EXTRACTION:
                if step_name == "Archive records" and not counter_total(s.get("dropped", 0)):
                    continue  # no archive inputs, or none of their records skipped: nothing to show
                chars_in = chars_out = None  # raw records: nothing has text before extraction
            reasons = drop_reasons(s)
            rows.append(
                {
                    "stage": stage,
                    "step": _plain(name.split(": ", 1)[-1]),
                    "docs_in": int(counter_total(s.get("total", 0))),
                    "docs_out": int(counter_total(s.get("forwarded", 0))),
                    "dropped": int(counter_total(s.get("dropped", 0))),
                    "chars_in": chars_in,
                    "chars_out": chars_out,
                    "chars_removed": None if chars_in is None or chars_out is None else chars_in - chars_out,
                    "reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
                    "tables_dropped": int(counter_total(s.get("tables_dropped", 0))),
                }
            )
            chars = chars_out
    return rows


def archive_rows(run: Path) -> list[dict]:
    """``stats/archives.json``: one row per WARC/ZIP input (records, documents, kept, dropped,
    quarantined, the records that are not documents by type); empty for runs without archives."""
    path = CorpusRun(run).archives
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


# the selection steps of the extract stage, by step name, and the funnel's label for each
_SELECTION = {
    "Archive records": "to extract (not skipped archive records)",
    "URL rules": "allowed (select.url)",
    "Quarantine": "readable (extracted)",
    "Empty text": "with text",
    "Language": "Japanese (select.language)",
    "Finance classifier": "financial (select.classifier)",
}


def selection_funnel(run: Path) -> list[dict]:
    """What a build selected, step by step: records read, documents, each selection step's
    survivors (archive records, URL rules, extraction, language), the quality filters as one
    row, the finance classifier, and what the document passes (dedup, decontamination) kept.
    Rows: ``{"step", "documents", "dropped", "reasons"}``."""
    summary = load_summary(run)
    acc = summary["accounting"]
    rows = []
    archives = acc.get("archives")
    if archives:
        rows.append({"step": "records read (WARC records, ZIP entries)", "documents": archives["records"], "dropped": 0, "reasons": {}})
        other = dict(sorted(archives["not_documents"].items(), key=lambda kv: -kv[1]))
        rows.append({"step": "documents read (other records counted by type)", "documents": acc["inputs"],
                     "dropped": sum(other.values()), "reasons": other})
    else:
        rows.append({"step": "documents read", "documents": acc["inputs"], "dropped": 0, "reasons": {}})
    quality = None
    for r in step_rows(run):
        if r["stage"] != "extract":
            continue
        label = _SELECTION.get(r["step"])
        if label is None:  # one of the quality filters: folded into one row
            if quality is None:
                quality = {"step": "quality filters", "documents": 0, "dropped": 0, "reasons": {}}
                rows.append(quality)
            quality["documents"] = r["docs_out"]
            quality["dropped"] += r["dropped"]
            for k, v in r["reasons"].items():
                quality["reasons"][k] = quality["reasons"].get(k, 0) + v
            continue
        rows.append({"step": label, "documents": r["docs_out"], "dropped": r["dropped"], "reasons": r["reasons"]})
    if quality:
        quality["reasons"] = dict(sorted(quality["reasons"].items(), key=lambda kv: -kv[1]))
    later: dict[str, int] = {}
    for r in step_rows(run):
        if r["stage"] != "extract":
            for k, v in r["reasons"].items():
                later[k] = later.get(k, 0) + v
    last = rows[-1]["documents"] if rows else 0
    rows.append({"step": "kept (after dedup and decontamination)", "documents": acc["kept"], "dropped": last - acc["kept"], "reasons": later})
    return rows


def score_histogram(run: Path, label: str = "finance prob") -> dict | None:
    """One signal's histogram (kept vs removed) from ``stats/histograms.json``; None if not recorded."""
    path = CorpusRun(run).histograms
    histograms = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return histograms.get(label)


def removed_samples(run: Path, per_reason: int) -> dict[str, dict[str, list[str]]]:
    """``{step: {reason: [snippet, ...]}}`` from ``removed/<step>/``, in file order."""
    out: dict[str, dict[str, list[str]]] = {}
    for step_dir in CorpusRun(run).removed_steps():
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
        for rec in read_jsonl_gz(CorpusRun(run).removed / sub):
            meta = rec.get("metadata", {})
            kept = meta.get("kept_id") or meta.get("duplicate_of") or meta.get("cluster_id") or "?"
            clusters[f"{sub}:{kept}"].append(rec.get("id"))
    return [{"kind": k.split(":", 1)[0], "kept": k.split(":", 1)[1], "removed": sorted(v)} for k, v in sorted(clusters.items())]


def kept_ids(run: Path) -> set[str]:
    return {rec["id"] for rec in read_jsonl_gz(CorpusRun(run).docs)}


def removed_reasons(run: Path, only: set[str] | None = None) -> dict[str, str]:
    """Document id -> ``"<removed step>:<reason>"`` or ``"quarantine:<reason>"`` (``only``: just those ids)."""
    out = {}
    layout = CorpusRun(run)
    for step_dir in layout.removed_steps():
        for rec in read_jsonl_gz(step_dir):
            if "parent_id" in rec.get("metadata", {}):
                continue  # a removed line block, not a document
            if only is None or rec["id"] in only:
                out[rec["id"]] = f"{step_dir.name}:{rec.get('metadata', {}).get('filter_reason', '?')}"
    if layout.quarantine.is_file():
        with open(layout.quarantine, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    if only is None or row["id"] in only:
                        out[row["id"]] = f"quarantine:{row['reason']}"
    return out


def _id_hash(doc_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "little")


def _kept_id_hashes(run: Path) -> np.ndarray:
    """Sorted 64-bit hashes of the kept ids: 8 bytes per document instead of a set of strings."""
    return np.unique(np.fromiter((_id_hash(rec["id"]) for rec in read_jsonl_gz(CorpusRun(run).docs)), dtype=np.uint64))


def _kept_ids_with_hashes(run: Path, hashes: np.ndarray) -> list[str]:
    wanted = set(hashes.tolist())
    return sorted(rec["id"] for rec in read_jsonl_gz(CorpusRun(run).docs) if _id_hash(rec["id"]) in wanted)


def compare_runs(a: Path, b: Path) -> dict:
    """Which documents one run kept and the other removed, with the other run's reason.

    Scales to big runs: the kept sets are compared as sorted 64-bit id hashes (8 bytes per
    document); only the differing documents are then looked up by id, in streaming passes.
    """
    kept_a, kept_b = _kept_id_hashes(a), _kept_id_hashes(b)
    only_a = _kept_ids_with_hashes(a, np.setdiff1d(kept_a, kept_b, assume_unique=True))
    only_b = _kept_ids_with_hashes(b, np.setdiff1d(kept_b, kept_a, assume_unique=True))
    why_b, why_a = removed_reasons(b, set(only_a)), removed_reasons(a, set(only_b))
    return {
        "kept_only_in_a": [{"id": i, "reason_in_b": why_b.get(i, "absent")} for i in only_a],
        "kept_only_in_b": [{"id": i, "reason_in_a": why_a.get(i, "absent")} for i in only_b],
        "kept_in_both": len(kept_a) - len(only_a),
        "a": str(a),
        "b": str(b),
    }
