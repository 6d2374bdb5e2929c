"""The build's last stage: the quarantine list, merged stats, the document accounting (in total
and per WARC/ZIP archive), the summary and the manifest, written into the run folder from what
the stages before left there."""

from __future__ import annotations

import json

from datatrove.pipeline.base import PipelineStep
from datatrove.utils.stats import PipelineStats

from kinyu.base.config import from_dict
from kinyu.base.layout import CORPUS_TOKENIZER, TOKEN_SPLITS, CorpusRun
from kinyu.base.runs import atomic_write_json, atomic_write_text, sha256_file, write_manifest
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.extract.readers import input_files, read_jsonl_gz
from kinyu.corpus.reporting.run_reader import counter_total, drop_counts, pii_counts, signal_histograms
from kinyu.corpus.shards import list_shards


class RunFinalizer(PipelineStep):
    """:func:`finalize_run` as a pipeline step: the last task of a Slurm build, after every other stage."""

    name = "🏁 Finalize run"

    def __init__(self, cfg_dict: dict, stages: list[str]):
        super().__init__()
        self.cfg_dict = cfg_dict
        self.stages = stages

    def run(self, data, rank: int = 0, world_size: int = 1):
        finalize_run(from_dict(CorpusConfig, self.cfg_dict), self.stages)
        return
        yield


def merge_quarantine(run: CorpusRun) -> list[dict]:
    """``quarantine.jsonl``: one row per input that could not be read, by path."""
    rows = []
    for rec in read_jsonl_gz(run.quarantine_parts):
        meta = rec.get("metadata", {})
        q = meta.get("quarantine", {})
        rows.append(
            {
                "path": meta.get("source"),
                "id": rec.get("id"),
                "sha256": meta.get("sha256"),
                "format": meta.get("format"),
                "bytes": meta.get("bytes"),
                "reason": q.get("reason") or meta.get("filter_reason"),
                "detail": q.get("detail", ""),
            }
        )
    rows.sort(key=lambda r: (r["path"] or "", r["id"] or ""))
    atomic_write_text(run.quarantine, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return rows


def merge_stats(run: CorpusRun) -> dict:
    """Merge each stage's per-task datatrove stats (all tasks, also those of an earlier, resumed run)."""
    merged = {}
    for stage_dir in sorted(run.logs.iterdir()) if run.logs.is_dir() else []:
        parts = sorted((stage_dir / "stats").glob("*.json"))
        if not parts:
            continue
        total = sum((PipelineStats.from_json(json.loads(p.read_text())) for p in parts), start=PipelineStats())
        out = run.stage_stats(stage_dir.name)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            total.save_to_disk(f)
        merged[stage_dir.name] = json.loads(out.read_text())
    return merged


def count_docs(folder) -> tuple[int, int]:
    """(documents, characters) of a jsonl.gz folder."""
    docs = chars = 0
    for rec in read_jsonl_gz(folder):
        docs += 1
        chars += len(rec.get("text", ""))
    return docs, chars


def relativize_shard_metadata(run: CorpusRun) -> None:
    """datatrove writes the tokenizer's absolute path into each shard's ``.metadata``; make it
    run-relative so that the same build in two folders gives byte-identical shards."""
    for meta in run.shard_metadata():
        lines = meta.read_text(encoding="utf-8").split("\n")
        name, _, size = lines[0].rpartition("|")
        if name != CORPUS_TOKENIZER:
            lines[0] = f"{CORPUS_TOKENIZER}|{size}"
            atomic_write_text(meta, "\n".join(lines))


def token_counts(run: CorpusRun) -> dict[str, dict[str, int]]:
    """Shards, tokens and documents per token split that was written."""
    tokens = {}
    for side in TOKEN_SPLITS:
        if run.tokens(side).is_dir():
            try:
                shards = list_shards(run.tokens(side))
                tokens[side] = {"files": len(shards), "tokens": sum(len(s) for s in shards), "documents": sum(s.num_docs for s in shards)}
            except ValueError:  # ShardError, or a shard file numpy cannot map
                tokens[side] = {"files": 0, "tokens": 0, "documents": 0}
    return tokens


def _archive_of(rec: dict) -> str | None:
    return rec.get("metadata", {}).get("archive")


def archive_accounting(run: CorpusRun) -> list[dict]:
    """One row per WARC/ZIP input: its records (all, documents, the others by type) and what became
    of its documents (kept, dropped, quarantined), from the readers' rows and the run's outputs.
    ``balanced``: documents = kept + dropped + quarantined and records = documents + the others."""
    rows = {}
    for part in sorted(run.archive_parts.glob("*.jsonl")) if run.archive_parts.is_dir() else []:
        for line in part.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows[row["archive"]] = {**row, "kept": 0, "dropped": 0, "quarantined": 0}
    if not rows:
        return []
    for rec in read_jsonl_gz(run.docs):
        if _archive_of(rec) in rows:
            rows[_archive_of(rec)]["kept"] += 1
    for step_dir in run.removed_steps():
        for rec in read_jsonl_gz(step_dir):
            if "parent_id" not in rec.get("metadata", {}) and _archive_of(rec) in rows:
                rows[_archive_of(rec)]["dropped"] += 1
    for rec in read_jsonl_gz(run.quarantine_parts):
        if _archive_of(rec) in rows:
            rows[_archive_of(rec)]["quarantined"] += 1
    out = []
    for archive in sorted(rows, key=lambda a: rows[a]["id"]):
        r = rows[archive]
        r["balanced"] = (r["documents"] == r["kept"] + r["dropped"] + r["quarantined"]
                         and r["records"] == r["documents"] + sum(r["not_documents"].values()))
        out.append(r)
    return out


def archive_totals(rows: list[dict]) -> dict:
    """The archives' rows added up (the summary's ``accounting.archives``)."""
    other: dict[str, int] = {}
    for r in rows:
        for k, v in r["not_documents"].items():
            other[k] = other.get(k, 0) + v
    keys = ("records", "documents", "kept", "dropped", "quarantined")
    return {"archives": len(rows), **{k: sum(r[k] for r in rows) for k in keys},
            "not_documents": dict(sorted(other.items())), "balanced": all(r["balanced"] for r in rows)}


def finalize_run(cfg: CorpusConfig, stages: list[str], timings: dict[str, float] | None = None) -> dict:
    """Write the quarantine list, merged stats, summary, histograms and manifest; ``stages``: the
    build's stage names, in order. Returns the summary."""
    run = CorpusRun(cfg.output)
    relativize_shard_metadata(run)
    quarantine = merge_quarantine(run)
    stats = merge_stats(run)
    read_stats = next((s for s in stats.get("extract", []) if "Raw files" in s.get("name", "")), {})
    n_inputs = int(counter_total(read_stats.get("stats", {}).get("documents", 0)))
    n_files = int(counter_total(read_stats.get("stats", {}).get("files", 0)))
    kept_docs, kept_chars = count_docs(run.docs)
    drops = drop_counts(stats)
    quarantine_step = [k for k in drops if "Quarantine" in k]
    dropped = sum(sum(r.values()) for k, r in drops.items() if k not in quarantine_step)
    accounting = {
        # documents read: one per input file, one per record of a JSON/JSONL/Parquet file
        "inputs": n_inputs,
        "input_files": n_files,
        "kept": kept_docs,
        "dropped": dropped,
        "quarantined": len(quarantine),
        "balanced": n_inputs == kept_docs + dropped + len(quarantine),
        "kept_chars": kept_chars,
    }
    # entries of the input folders not read (quarantined: a FIFO, a link out of the inputs) and
    # the links read as their target: shown when there are any
    for key in ("skipped_inputs", "symlinks_read"):
        n = int(counter_total(read_stats.get("stats", {}).get(key, 0)))
        if n:
            accounting[key] = n
    archives = archive_accounting(run)
    if archives:
        accounting["archives"] = archive_totals(archives)
        accounting["balanced"] = accounting["balanced"] and accounting["archives"]["balanced"]
        atomic_write_json(run.archives, archives)
    tokens = token_counts(run)
    summary = {"accounting": accounting, "stages": list(stages), "drops": drops, "tokens": tokens, "timings_s": timings or {},
               "pii": pii_counts(stats)}  # fmt: skip
    atomic_write_json(run.summary, summary)
    atomic_write_json(run.histograms, signal_histograms(run.path))
    inputs = [
        {"path": f.source, "id": f.doc_id, "bytes": f.size, "sha256": sha256_file(f.path)}
        for f in input_files(cfg)
    ]
    tok = run.tokenizer_file
    write_manifest(
        run.path,
        "corpus",
        cfg,
        inputs,
        accounting=accounting,
        drops=drops,
        tokens=tokens,
        timings_s=timings or {},
        tokenizer={"path": CORPUS_TOKENIZER, "sha256": sha256_file(tok)} if tok.is_file() else None,
    )
    return summary
