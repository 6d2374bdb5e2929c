"""Building the fixed evaluation sets (``kinyu.workflows.eval_sets`` says what they are): one unfiltered
extraction of every input, the held-out pick, the near-copy check against the training side, the
part the configured filters keep, and the general sample. It runs kinyu's corpus pipeline, so it
needs the corpus stack (datatrove, MeCab); the sets it writes are plain jsonl that scoring reads
without it."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
from pathlib import Path

from rich.console import Console

from kinyu.base.config import set_field, to_dict
from kinyu.base.errors import PathNotFound, UserError
from kinyu.base.layout import CorpusRun
from kinyu.base.runs import atomic_write_json, atomic_write_text, read_json, sha256_file
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.dedup.check import dedup_check
from kinyu.corpus.extract.readers import input_files, read_jsonl_gz
from kinyu.corpus.pipeline import build
from kinyu.corpus.sample import general_dir
from kinyu.evaluation.bpc import folder_texts
from kinyu.workflows.eval_sets import EvalSets, EvalSetsConfig, file_of, rank


def unfiltered(cfg: CorpusConfig) -> CorpusConfig:
    """``cfg`` with every quality step, dedup and decontamination off: the documents as extracted."""
    cfg = copy.deepcopy(cfg)
    for section in dataclasses.fields(cfg.quality):
        set_field(cfg, f"quality.{section.name}.enabled", False)
    set_field(cfg, "dedup.exact", False)
    set_field(cfg, "dedup.minhash", False)
    set_field(cfg, "decontamination.enabled", False)
    return cfg


def _write_texts(folder: Path, rows: list[dict]) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "texts.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return {"documents": len(rows), "characters": sum(len(r["text"]) for r in rows),
            "sha256": sha256_file(folder / "texts.jsonl")}


def build_eval_sets(cfg: EvalSetsConfig, corpus_config: CorpusConfig, out: Path, console: Console | None = None,
                    workers: int = 1) -> EvalSets:
    """Pick, extract and write the fixed sets into ``out`` (``finance/``, ``general/``, ``manifest.json``);
    a folder already made with the same settings and inputs is reused."""
    console = console or Console()
    out = Path(out)
    if cfg.general_texts is not None and not Path(cfg.general_texts).is_dir():
        raise PathNotFound(f"eval_sets.general_texts: folder not found: {cfg.general_texts}")
    files = input_files(corpus_config)
    heldout_ids = {f.doc_id for f in files if rank(f.doc_id, cfg.seed) < cfg.heldout_fraction}
    if not heldout_ids or len(heldout_ids) == len(files):
        raise UserError(f"heldout_fraction {cfg.heldout_fraction} of {len(files)} input files leaves no "
                        "held-out or no training file; change eval_sets.heldout_fraction")
    corpus = {k: v for k, v in to_dict(corpus_config).items() if k not in ("output", "executor", "cache")}
    key = {"config": to_dict(cfg), "corpus": corpus, "inputs": sorted((f.doc_id, f.size) for f in files)}
    manifest_path = out / "manifest.json"
    if manifest_path.is_file() and read_json(manifest_path).get("key") == key:
        m = read_json(manifest_path)
        return EvalSets(out / "finance", out / "finance_kept", out / "general", m["exclude"], m)

    # 1. every input file, extracted and normalised, nothing filtered: one corpus build (datatrove)
    console.rule("[bold]fixed evaluation sets[/]: extracting every input, unfiltered")
    raw = _build_docs(unfiltered(corpus_config), out / "extracted", workers)

    # 2. held-out documents, minus those with a near-copy on the training side (document ids are
    #    "<input root>/<relative path>" and, for jsonl, "#<line>": the file part says which side it is on)
    leaks: dict[str, str] = {}
    for cluster in dedup_check({r["id"]: r["text"] for r in raw}, threshold=cfg.leak_jaccard, ngram=5):
        train_side = [m for m in cluster.members if file_of(m) not in heldout_ids]
        for m in cluster.members:
            if file_of(m) in heldout_ids and train_side:
                leaks[m] = train_side[0]
    finance_rows = _pick([r for r in raw if file_of(r["id"]) in heldout_ids and r["id"] not in leaks], cfg)
    if not finance_rows:
        raise UserError("no held-out financial text is left (all held-out files were unreadable or near-copies); "
                        "raise eval_sets.heldout_fraction or give more inputs")
    # the part of the held-out text that the configured filters keep (the same documents, filtered; no dedup):
    # fixed for every variant as well, since it depends on the base config only
    console.rule("[bold]fixed evaluation sets[/]: the held-out documents through the configured filters")
    kept_cfg = copy.deepcopy(corpus_config)
    set_field(kept_cfg, "dedup.exact", False)
    set_field(kept_cfg, "dedup.minhash", False)
    train_side_files = sorted({f.doc_id for f in files} - heldout_ids)
    set_field(kept_cfg, "input.exclude", list(corpus_config.input.exclude) + [_glob_escape(i) for i in train_side_files])
    chosen = {r["id"] for r in finance_rows}
    kept_rows = [r for r in _build_docs(kept_cfg, out / "extracted_kept", workers) if r["id"] in chosen]

    # 3. general text: a fixed sample by document hash
    general_folder = cfg.general_texts or str(general_dir())
    general = folder_texts(general_folder)
    general_rows = sorted(
        ({"id": f"general#{i}", "source": general_folder, "text": t} for i, t in enumerate(general)),
        key=lambda r: rank(hashlib.sha256(r["text"].encode("utf-8")).hexdigest(), cfg.seed),
    )[: cfg.general_max_docs]
    general_rows.sort(key=lambda r: int(r["id"].split("#")[1]))

    read_files = {file_of(r["id"]) for r in raw}
    manifest = {
        "key": key,
        "finance": {**_write_texts(out / "finance", finance_rows),
                    "heldout_files": sorted(heldout_ids),
                    "dropped_near_copies": [{"heldout": h, "copy_in_training_inputs": t} for h, t in sorted(leaks.items())],
                    "unreadable_heldout_files": sorted(heldout_ids - read_files)},
        "finance_kept": {**_write_texts(out / "finance_kept", kept_rows),
                         "note": "the finance documents after the configured quality filters (line cleaning included)"},
        "general": {**_write_texts(out / "general", general_rows), "folder": general_folder},
        # a glob with a '/' matches a file id: the held-out files, escaped, join the configured exclusions
        "exclude": list(corpus_config.input.exclude) + [_glob_escape(i) for i in sorted(heldout_ids)],
    }
    atomic_write_json(manifest_path, manifest)
    console.print(f"finance: {manifest['finance']['documents']} held-out documents, {manifest['finance']['characters']:,} characters "
                  f"({len(leaks)} near-copies of training inputs dropped; {manifest['finance_kept']['characters']:,} characters "
                  f"after the filters); general: {manifest['general']['documents']} documents, "
                  f"{manifest['general']['characters']:,} characters")
    return EvalSets(out / "finance", out / "finance_kept", out / "general", manifest["exclude"], manifest)


def _build_docs(cfg: CorpusConfig, out: Path, workers: int) -> list[dict]:
    """The documents of a build of ``cfg`` (no token shards) into ``out``, as ``{"id", "source", "text"}``."""
    cfg = copy.deepcopy(cfg)
    set_field(cfg, "output", str(out))
    set_field(cfg, "tokenize.enabled", False)
    set_field(cfg, "executor.workers", workers)
    run = build(cfg, overwrite=True)
    rows = [{"id": r["id"], "source": r["metadata"]["source"], "text": r["text"]} for r in read_jsonl_gz(CorpusRun(run).docs)]
    return sorted(rows, key=lambda r: r["id"])


def _pick(rows: list[dict], cfg: EvalSetsConfig) -> list[dict]:
    """Whole documents by id hash up to ``finance_max_chars`` (all of them without a cap), in id order."""
    if cfg.finance_max_chars is None:
        return rows
    picked, total = [], 0
    for row in sorted(rows, key=lambda r: rank(r["id"], cfg.seed)):
        if total + len(row["text"]) > cfg.finance_max_chars and picked:
            continue
        picked.append(row)
        total += len(row["text"])
    return sorted(picked, key=lambda r: r["id"])


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)
