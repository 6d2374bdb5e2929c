"""``kinyu corpus report``: one self-contained HTML page for a corpus run (plots embedded).

Sections: funnel per step, drop reasons, signal histograms (kept vs removed), removed samples
next to kept ones, duplicate clusters, quarantine, manifest. Plots are matplotlib PNGs inlined
as base64, so the file can be mailed or attached to a ticket as is.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display; before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402

from kinyu.corpus.extract.readers import read_jsonl_gz  # noqa: E402
from kinyu.corpus.reporting.run_reader import (  # noqa: E402
    SIGNALS,
    archive_rows,
    load_summary,
    selection_funnel,
    near_dup_clusters,
    pii_audit,
    removed_chars,
    run_pii_counts,
    removed_samples,
    signal_histograms,
    step_rows,
)
from kinyu.base.layout import CorpusRun  # noqa: E402
from kinyu.base.runs import atomic_write_text  # noqa: E402

SECTIONS = ("summary", "funnel", "reasons", "pii", "histograms", "samples", "duplicates", "quarantine", "manifest")

CSS = """
body{font-family:system-ui,'Noto Sans CJK JP','Hiragino Sans',sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.6rem} h2{border-bottom:2px solid #345;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem} td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}
th{background:#eef2f6} td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:bold} .bad{color:#c62828;font-weight:bold}
.snip{font-size:.85rem;max-width:480px;white-space:pre-wrap} img{max-width:100%;border:1px solid #ddd;margin:.4rem 0}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem} pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.8rem;max-height:420px}
nav a{margin-right:.8rem}
"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return '<img alt="plot" src="data:image/png;base64,' + base64.b64encode(buf.getvalue()).decode() + '">'


# long lists (inputs, quarantine, duplicate clusters) show their first rows: a page for a run of
# a million files must still open; the full lists are in manifest.json, quarantine.jsonl, removed/
MAX_ROWS = 500


def _first_rows(rows, total: int | None = None) -> tuple[list, str]:
    """At most MAX_ROWS rows, and a note naming how many were left out."""
    shown = list(itertools.islice(rows, MAX_ROWS))
    total = len(shown) if total is None else total
    return shown, (f"<p>first {MAX_ROWS:,} of {total:,} rows</p>" if total > len(shown) else "")


def _table(headers: list[str], rows: list[list], num_cols: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if i in num_cols else ""}">{html.escape(str(c))}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _histograms(run: Path) -> str:
    """Plots of ``stats/histograms.json`` (written by the build, in one streaming pass)."""
    path = CorpusRun(run).histograms
    histograms = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else signal_histograms(run)
    imgs = []
    for label in SIGNALS:
        h = histograms.get(label)
        if not h:
            imgs.append(f"<p>{html.escape(label)}: not recorded in this run (filter disabled?)</p>")
            continue
        fig, ax = plt.subplots(figsize=(5, 3))
        for side, color in (("kept", "#2e7d32"), ("removed", "#c62828")):
            ax.stairs(h[side], h["edges"], label=f"{side} ({sum(h[side]):,})", color=color, fill=True, alpha=0.5)
        if label.startswith("length"):
            ax.set_xscale("log")
        ax.set_title(label)
        ax.set_ylabel("documents")
        ax.legend()
        imgs.append(_png(fig))
    return '<div class="grid">' + "".join(f"<div>{i}</div>" for i in imgs) + "</div>"


def _archives(run: Path) -> str:
    """Per WARC/ZIP input: records, documents and their fates (first rows; all in stats/archives.json)."""
    rows = archive_rows(run)
    if not rows:
        return ""
    shown, note = _first_rows(rows)
    return "<h3>archives</h3>" + _table(
        ["archive", "kind", "records", "documents", "kept", "dropped", "quarantined", "not documents", "balanced"],
        [[r["id"], r["kind"], r["records"], r["documents"], r["kept"], r["dropped"], r["quarantined"],
          ", ".join(f"{k} {v}" for k, v in r["not_documents"].items()), "yes" if r["balanced"] else "NO"] for r in shown],
        {2, 3, 4, 5, 6},
    ) + note


def _funnel(rows: list[dict]) -> str:

    if not rows:
        return "<p>no steps recorded</p>"
    names = [r["step"] for r in rows]
    # plot labels stay ASCII: the default matplotlib fonts have no Japanese glyphs
    ascii_names = [n.encode("ascii", "ignore").decode().strip() or n for n in names]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * len(rows) + 1.2), sharey=True)
    axes[0].barh(ascii_names, [r["docs_out"] for r in rows], color="#2e7d32", label="kept")
    axes[0].barh(ascii_names, [r["dropped"] for r in rows], left=[r["docs_out"] for r in rows], color="#c62828", label="dropped")
    axes[0].set_title("documents per step")
    axes[0].invert_yaxis()
    axes[0].legend()
    axes[1].barh(ascii_names, [r["chars_out"] or 0 for r in rows], color="#1565c0")
    axes[1].set_title("characters kept after step")
    def chars(v):
        return "" if v is None else f"{v:,}"

    table = _table(
        ["stage", "step", "docs in", "kept", "dropped", "reasons", "chars in", "chars removed", "chars kept", "tables dropped"],
        [[r["stage"], r["step"], r["docs_in"], r["docs_out"], r["dropped"] or "", ", ".join(f"{k} {v}" for k, v in r["reasons"].items()),
          chars(r["chars_in"]), chars(r["chars_removed"]), chars(r["chars_out"]),
          (f"{r.get('tables_dropped', 0)} of {r.get('tables_dropped', 0) + r['tables_kept']}" if r.get("tables_kept")
           else (r.get("tables_dropped") or ""))] for r in rows],
        {2, 3, 4, 6, 7, 8, 9},
    )
    note = ("<p>Each row's characters are that step's own: what reached it, what it removed (the documents it dropped, "
            "or the lines it cut) and what it passed on. A negative removal is a step that lengthened the text "
            "(NFKC: ㈱ → (株)).</p>")
    return _png(fig) + table + note


def _reasons(summary: dict, chars: dict[str, dict[str, int]]) -> str:

    counts = Counter()
    for step, reasons in summary.get("drops", {}).items():
        for reason, n in reasons.items():
            counts[f"{step.split('/')[0]}: {reason}"] += n
    chars_by_reason = Counter()
    for step, reasons in chars.items():
        for reason, n in reasons.items():
            chars_by_reason[reason] += n
    if not counts and not chars_by_reason:
        return "<p>nothing was dropped</p>"
    items = counts.most_common()
    fig, ax = plt.subplots(figsize=(8, 0.35 * max(len(items), 1) + 1))
    ax.barh([k.encode("ascii", "ignore").decode() for k, _ in items], [v for _, v in items], color="#c62828")
    ax.invert_yaxis()
    ax.set_xlabel("documents")
    by_docs = _table(
        ["stage: reason", "documents", "characters removed"],
        [[k, v, f"{chars_by_reason.get(k.split(': ', 1)[1], 0):,}"] for k, v in items],
        {1, 2},
    )
    # line cleaning removes blocks inside kept documents: characters, no dropped documents
    by_chars = _table(
        ["step", "reason", "characters removed"],
        sorted(([step, reason, f"{n:,}"] for step, rs in chars.items() for reason, n in rs.items()), key=lambda r: -int(r[2].replace(",", ""))),
        {2},
    )
    return _png(fig) + by_docs + "<h3>characters removed per step and reason</h3>" + by_chars


def _samples(run: Path, n: int) -> str:
    kept = [rec for _, rec in zip(range(n * 3), read_jsonl_gz(CorpusRun(run).docs))]
    parts = ["<h3>kept (first documents)</h3>"]
    parts.append(_table(["id", "text"], [[r["id"], " ".join(r["text"].split())[:300]] for r in kept]).replace("<td class=\"\">", '<td class="snip">'))
    for step, reasons in removed_samples(run, n).items():
        for reason, snippets in reasons.items():
            parts.append(f"<h3>removed/{html.escape(step)} · {html.escape(reason)}</h3>")
            parts.append("<ul>" + "".join(f'<li class="snip">{html.escape(s)}</li>' for s in snippets) + "</ul>")
    return "".join(parts)


def _pii(run: Path, n: int) -> str:
    counts = run_pii_counts(run)
    if not counts:
        return "<p>the personal-information step did not run</p>"
    cols = ("found", "masked", "tagged", "public", "docs", "dropped")
    table = _table(["type", "found", "masked", "counted only", "kept public", "docs", "docs dropped"],
                   [[k, *(c.get(x, 0) for x in cols)] for k, c in counts.items()], {1, 2, 3, 4, 5, 6})  # fmt: skip
    rows = [[kind, a["action"], a["rule"], a["shape"], a["context"], a["id"]] for kind, recs in pii_audit(run, n).items() for a in recs]
    audit = _table(["type", "action", "rule", "shape", "context (masked; values hidden)", "document"], rows) if rows else ""
    return table + "<h3>audit sample</h3>" + audit if rows else table


def build_report(run: Path, out: Path | None = None, samples: int = 3) -> Path:
    run = Path(run)
    layout = CorpusRun(run)
    out = Path(out) if out else layout.report
    summary = load_summary(run)
    manifest = json.loads(layout.manifest.read_text(encoding="utf-8"))
    acc = summary["accounting"]
    status = '<span class="ok">balanced</span>' if acc["balanced"] else '<span class="bad">NOT balanced</span>'
    tokens = summary.get("tokens", {})
    # documents, not files: a JSON/JSONL/Parquet input gives one document per record
    files_note = f" (from {acc['input_files']:,} input files)" if "input_files" in acc else ""
    summary_html = (
        f"<p>documents <b>{acc['inputs']:,}</b>{files_note} = kept <b>{acc['kept']:,}</b> + dropped <b>{acc['dropped']:,}</b> + "
        f"quarantined <b>{acc['quarantined']:,}</b> ({status}); kept characters <b>{acc['kept_chars']:,}</b></p>"
        + _table(["split", "tokens", "documents", "shards"], [[k, f"{v['tokens']:,}", v["documents"], v["files"]] for k, v in tokens.items()], {1, 2, 3})
        + _table(["stage", "seconds"], [[k, v] for k, v in summary.get("timings_s", {}).items()], {1})
        + "<h3>selection funnel</h3>"
        + _table(["step", "documents", "dropped", "reasons"],
                 [[r["step"], f"{r['documents']:,}", r["dropped"] or "", ", ".join(f"{k} {v}" for k, v in r["reasons"].items())]
                  for r in selection_funnel(run)], {1, 2})
        + _archives(run)
    )
    clusters = near_dup_clusters(run)
    shown, note = _first_rows(clusters)
    dup_html = _table(["kind", "kept", "removed"], [[c["kind"], c["kept"], ", ".join(c["removed"])] for c in shown]) + note if clusters else "<p>no duplicates found</p>"
    q_rows, q_total = [], 0
    if layout.quarantine.is_file():
        with open(layout.quarantine, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    q_total += 1
                    if len(q_rows) < MAX_ROWS:
                        q_rows.append(json.loads(line))
    q_html = (
        _table(["path", "reason", "detail", "sha256"], [[r["path"], r["reason"], r["detail"], (r["sha256"] or "")[:12]] for r in q_rows])
        + _first_rows(q_rows, q_total)[1]
        if q_rows
        else "<p>nothing quarantined</p>"
    )
    inputs, inputs_note = _first_rows(manifest.get("inputs", []), len(manifest.get("inputs", [])))
    manifest_html = (
        "<h3>versions</h3>"
        + _table(["package", "version"], [[k, v] for k, v in manifest.get("versions", {}).items()])
        + f"<h3>input files ({len(manifest.get('inputs', [])):,}; {acc['inputs']:,} documents read from them)</h3>"
        + _table(["id", "bytes", "sha256"], [[i["id"], i["bytes"], i["sha256"][:16]] for i in inputs], {1})
        + inputs_note
        + "<h3>config</h3><pre>"
        + html.escape(json.dumps(manifest.get("config", {}), ensure_ascii=False, indent=2))
        + "</pre>"
    )
    body = {
        "summary": summary_html,
        "funnel": _funnel(step_rows(run)),
        "reasons": _reasons(summary, removed_chars(run)),
        "pii": _pii(run, samples),
        "histograms": _histograms(run),
        "samples": _samples(run, samples),
        "duplicates": dup_html,
        "quarantine": q_html,
        "manifest": manifest_html,
    }
    nav = "".join(f'<a href="#{s}">{s}</a>' for s in SECTIONS)
    sections = "".join(f'<section id="{s}"><h2>{s}</h2>{body[s]}</section>' for s in SECTIONS)
    page = (
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>kinyu corpus report: {html.escape(run.name)}</title>'
        f"<style>{CSS}</style></head><body><h1>kinyu corpus report — {html.escape(str(run))}</h1><nav>{nav}</nav>{sections}</body></html>"
    )
    atomic_write_text(out, page)
    return out
