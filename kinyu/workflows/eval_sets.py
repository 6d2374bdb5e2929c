"""The fixed evaluation sets every variant of an ablation or study is scored on, chosen before any
variant is built.

- **finance**: held-out financial *documents*: a share of the input files, picked by a hash of
  each file's stable id (``input root/relative path``), taken out before any filter runs, so no
  variant's filters decide what it is scored on. Their text is what kinyu's extraction and
  normalisation give (no quality filter, no dedup). A held-out document with a near-copy among
  the training-side inputs (character 5-gram Jaccard >= ``leak_jaccard``: an amended filing, the
  next year's version of a notice) is dropped from the held-out set, since a model that saw the
  copy would be scored on memorised text. Unreadable files (quarantined) have no text to score.
- **general**: general Japanese held out from any training (``general_texts``: e.g.
  ``../shared/data/general-ja/heldout``), a fixed sample by document-id hash.

Each set is a folder with ``texts.jsonl`` (``{"id", "source", "text"}``), readable by
``kinyu eval --bpc-texts``; ``manifest.json`` says what went in and what was dropped, with hashes.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from kinyu.base.config import option, set_field, to_dict
from kinyu.base.runs import atomic_write_json, atomic_write_text, read_json, sha256_file
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.dedup.check import dedup_check
from kinyu.corpus.extract.readers import list_input_files, read_jsonl_gz
from kinyu.corpus.pipeline import build, input_paths
from kinyu.corpus.sample import general_dir
from kinyu.evaluation.bpc import folder_texts


@dataclass
class EvalSetsConfig:
    heldout_fraction: float = option(0.2, "share of the input files held out as the financial evaluation set (by hash of the file id)")
    leak_jaccard: float = option(0.5, "drop a held-out document with a near-copy (char 5-gram Jaccard >= this) among the training inputs")
    finance_max_chars: int | None = option(None, "score at most this many characters of held-out financial text (whole documents, by id hash); empty = all")
    general_texts: str | None = option(None, "folder of general Japanese held-out text (*.jsonl/*.txt), e.g. ../shared/data/general-ja/heldout; "
                                             "empty = the embedded general sample")
    general_max_docs: int = option(200, "general documents scored (picked by id hash)")
    seed: int = option(0, "seeds the held-out pick (the same files on every machine)")

    def problems(self) -> list[str]:
        found = []
        if not 0.0 < self.heldout_fraction < 1.0:
            found.append(f"heldout_fraction must be in (0, 1), got {self.heldout_fraction}")
        if not 0.0 < self.leak_jaccard <= 1.0:
            found.append(f"leak_jaccard must be in (0, 1], got {self.leak_jaccard}")
        if self.general_max_docs < 1:
            found.append("general_max_docs must be >= 1")
        if self.general_texts is not None and not Path(self.general_texts).is_dir():
            found.append(f"general_texts: folder not found: {self.general_texts}")
        return found


@dataclass(frozen=True)
class EvalSets:
    """Where the fixed sets are, and the input files left for training."""

    def bpc_texts(self) -> list[str]:
        """``NAME=FOLDER`` for ``EvalConfig.bpc_texts``: every set that holds text."""
        sets = {"finance": self.finance, "finance_kept": self.finance_kept, "general": self.general}
        return [f"{n}={p}" for n, p in sets.items() if self.manifest[n]["documents"]]

    finance: Path  # folder with texts.jsonl: the held-out documents as extracted
    finance_kept: Path  # the same documents after the configured quality filters
    general: Path
    exclude: list[str]  # input.exclude globs that leave the held-out files out of every variant's build
    manifest: dict


def file_of(doc_id: str) -> str:
    """The input file of a document id ("<input root>/<relative path>", "#<line>" for jsonl records)."""
    return doc_id.split("#", 1)[0]


def _rank(key: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


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
    files = list_input_files(input_paths(corpus_config), tuple(corpus_config.input.exclude))
    heldout_ids = {f.doc_id for f in files if _rank(f.doc_id, cfg.seed) < cfg.heldout_fraction}
    if not heldout_ids or len(heldout_ids) == len(files):
        raise ValueError(f"heldout_fraction {cfg.heldout_fraction} of {len(files)} input files leaves no "
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
        raise ValueError("no held-out financial text is left (all held-out files were unreadable or near-copies); "
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
        key=lambda r: _rank(hashlib.sha256(r["text"].encode("utf-8")).hexdigest(), cfg.seed),
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
    rows = [{"id": r["id"], "source": r["metadata"]["source"], "text": r["text"]} for r in read_jsonl_gz(run / "docs")]
    return sorted(rows, key=lambda r: r["id"])


def _pick(rows: list[dict], cfg: EvalSetsConfig) -> list[dict]:
    """Whole documents by id hash up to ``finance_max_chars`` (all of them without a cap), in id order."""
    if cfg.finance_max_chars is None:
        return rows
    picked, total = [], 0
    for row in sorted(rows, key=lambda r: _rank(r["id"], cfg.seed)):
        if total + len(row["text"]) > cfg.finance_max_chars and picked:
            continue
        picked.append(row)
        total += len(row["text"])
    return sorted(picked, key=lambda r: r["id"])


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)
