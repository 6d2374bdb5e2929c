"""Building the fixed evaluation sets (``kinyu.workflows.eval_sets`` says what they are): the filer groups
and the held-out pick, one unfiltered extraction of every input, the containment check against the
training side, the tables/prose split, the neutral paragraphs, the part the configured filters keep, and
the general sample. It runs kinyu's corpus pipeline, so it needs the corpus stack (datatrove, MeCab); the
sets it writes are plain jsonl that scoring reads without it."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
from rich.console import Console

from kinyu.base.config import set_field, to_dict
from kinyu.base.errors import PathNotFound, UserError
from kinyu.base.layout import CorpusRun
from kinyu.base.runs import atomic_write_json, atomic_write_text, read_json, sha256_file
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.extract.readers import input_files, read_jsonl_gz
from kinyu.corpus.ngrams import ngram_hashes
from kinyu.corpus.pipeline import build
from kinyu.corpus.sample import general_dir
from kinyu.corpus.tables import table_blocks, table_lines
from kinyu.evaluation.bpc import folder_texts
from kinyu.workflows.eval_sets import EvalSets, EvalSetsConfig, choose_heldout, file_of, group_members, rank

CONTAINMENT_NGRAMS = (13, 50)


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


# --------------------------------------------------------------------------------------------
# containment


def _squeeze(text: str) -> str:
    # white space is layout (a table's cell padding, a re-flowed line): a copy re-laid out is still a copy
    return "".join(text.split())


class TrainingNgrams:
    """The distinct character n-grams of every training document, as sorted 64-bit hashes (8 bytes an
    n-gram: ~50 M characters of training text take ~400 MB per n)."""

    def __init__(self, texts, ns=CONTAINMENT_NGRAMS):
        self.hashes = {}
        for n in ns:
            parts = [np.unique(ngram_hashes(_squeeze(t), n)) for t in texts]
            self.hashes[n] = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint64)

    def contained(self, text: str, n: int) -> tuple[int, int]:
        """(distinct n-grams of ``text``, how many of them are in some training document)."""
        own = np.unique(ngram_hashes(_squeeze(text), n))
        train = self.hashes[n]
        if not len(own) or not len(train):
            return len(own), 0
        idx = np.minimum(np.searchsorted(train, own), len(train) - 1)
        return len(own), int((train[idx] == own).sum())


def containment(heldout: list[dict], training: TrainingNgrams, cfg: EvalSetsConfig, groups: dict[str, str]) -> dict:
    """Every held-out document's share of distinct 13- and 50-grams found in any training document; those
    above the thresholds are listed in ``dropped``."""
    docs, totals = [], {n: [0, 0] for n in CONTAINMENT_NGRAMS}
    limits = {50: cfg.max_containment_50, 13: cfg.max_containment_13}
    for r in heldout:
        row = {"id": r["id"], "group": groups.get(file_of(r["id"])), "characters": len(r["text"])}
        over = []
        for n in CONTAINMENT_NGRAMS:
            total, found = training.contained(r["text"], n)
            totals[n][0] += total
            totals[n][1] += found
            share = found / total if total else 0.0
            row[f"ngrams_{n}"], row[f"contained_{n}"] = total, round(share, 4)
            if limits[n] is not None and share > limits[n]:
                over.append(f"{share:.1%} of its {n}-grams in the training documents (> {limits[n]:.0%})")
        row["dropped"] = "; ".join(over) or None
        docs.append(row)
    return {
        "ngrams": list(CONTAINMENT_NGRAMS), "max_containment_50": cfg.max_containment_50, "max_containment_13": cfg.max_containment_13,
        "documents": len(docs),
        "totals": {f"contained_{n}": round(f / t, 4) if t else 0.0 for n, (t, f) in totals.items()},
        "dropped": [{"id": d["id"], "reason": d["dropped"]} for d in docs if d["dropped"]],
        "per_document": docs,
    }


# --------------------------------------------------------------------------------------------
# tables, prose, neutral paragraphs


def split_tables(text: str) -> tuple[str, str]:
    """(table lines, the other non-empty lines) of a text: its Markdown tables by ``kinyu.corpus.tables.table_blocks``."""
    lines = text.split("\n")
    in_table = table_lines(table_blocks(lines))
    tables = [l for i, l in enumerate(lines) if i in in_table]
    prose = [l for i, l in enumerate(lines) if i not in in_table and l.strip()]
    return "\n".join(tables), "\n".join(prose)


# The neutral set's rule, fixed here (not in any config) so that no variant can choose it: a paragraph (a line
# of the as-extracted text, outside tables) of at least 60 characters that ends a sentence (「。」), in which
# Japanese script and its punctuation are >= 80 % of the characters, hiragana >= 20 % (sentences carry
# particles and inflections; headings, lists of names and figure rows do not) and digits <= 5 %; each distinct
# paragraph once (the boilerplate every filing repeats counts once).
NEUTRAL_MIN_CHARS = 60
NEUTRAL_MIN_JAPANESE = 0.8
NEUTRAL_MIN_HIRAGANA = 0.2
NEUTRAL_MAX_DIGITS = 0.05
_JA_PUNCT = set("、。「」『』（）()・ー")


def is_neutral_paragraph(line: str) -> bool:
    t = line.strip()
    if len(t) < NEUTRAL_MIN_CHARS or not t.endswith("。") or t.startswith(("|", "#", "-", "*")):
        return False
    hira = sum("\u3041" <= c <= "\u309f" for c in t)
    japanese = hira + sum("\u30a0" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" or c in _JA_PUNCT for c in t)
    digits = sum(unicodedata.category(c) == "Nd" for c in t)
    return (japanese >= NEUTRAL_MIN_JAPANESE * len(t) and hira >= NEUTRAL_MIN_HIRAGANA * len(t)
            and digits <= NEUTRAL_MAX_DIGITS * len(t))


def neutral_rows(rows: list[dict]) -> list[dict]:
    """Each document's neutral paragraphs (``is_neutral_paragraph``), joined; documents with none left out."""
    seen, out = set(), []
    for r in rows:
        kept = []
        for line in split_tables(r["text"])[1].split("\n"):
            if is_neutral_paragraph(line) and line.strip() not in seen:
                seen.add(line.strip())
                kept.append(line.strip())
        if kept:
            out.append({**r, "text": "\n".join(kept)})
    return out


def _part_rows(rows: list[dict], part: int) -> list[dict]:
    out = []
    for r in rows:
        text = split_tables(r["text"])[part]
        if text.strip():
            out.append({**r, "text": text})
    return out


# --------------------------------------------------------------------------------------------
# the sets


def _listing(cfg: CorpusConfig, paths: list[str]):
    c = copy.deepcopy(cfg)
    set_field(c, "input.paths", list(paths))
    return input_files(c)


def build_eval_sets(cfg: EvalSetsConfig, corpus_config: CorpusConfig, out: Path, console: Console | None = None,
                    workers: int = 1, general_training: Path | None = None) -> EvalSets:
    """Pick, extract and write the fixed sets into ``out`` (a folder per set, ``manifest.json``, ``leaks.json``);
    a folder already made with the same settings and inputs is reused.

    ``general_training``: a corpus run whose documents every variant trains on besides its financial corpus
    (the study's base corpus, which its replay draws from too): the containment check counts them as training
    text, for the financial and for the general held-out documents."""
    console = console or Console()
    out = Path(out)
    if cfg.general_texts is not None and not Path(cfg.general_texts).is_dir():
        raise PathNotFound(f"eval_sets.general_texts: folder not found: {cfg.general_texts}")
    missing = [p for p in cfg.heldout_inputs if not Path(p).exists()]
    if missing:
        raise PathNotFound(f"eval_sets.heldout_inputs not found: {missing}")
    problems = cfg.problems()
    if problems:
        raise UserError("eval_sets: " + "; ".join(problems))
    train_files = input_files(corpus_config)
    given_files = _listing(corpus_config, cfg.heldout_inputs) if cfg.heldout_inputs else []
    choice = choose_heldout(cfg, train_files, given_files)
    files = train_files + given_files
    groups, heldout_ids, training_ids = choice.groups, choice.heldout_ids, choice.training_ids
    by_hash, given_groups, dropped_same_filer = choice.by_hash, choice.given_groups, choice.dropped_same_filer
    corpus = {k: v for k, v in to_dict(corpus_config).items() if k not in ("output", "executor", "cache")}
    general_docs = sorted(CorpusRun(general_training).docs.glob("*.jsonl.gz")) if general_training is not None else []
    key = {"config": to_dict(cfg), "corpus": corpus, "inputs": sorted((f.doc_id, f.size) for f in files),
           "general_training": [[d.name, sha256_file(d)] for d in general_docs]}
    manifest_path = out / "manifest.json"
    if manifest_path.is_file() and read_json(manifest_path).get("key") == key:
        m = read_json(manifest_path)
        return EvalSets(out, m["exclude"], m)

    # 1. every input file, extracted and normalised, nothing filtered: one corpus build (datatrove)
    console.rule("[bold]fixed evaluation sets[/]: extracting every input, unfiltered")
    both = _with_paths(corpus_config, list(corpus_config.input.resolved_paths()) + list(cfg.heldout_inputs))
    raw = _build_docs(unfiltered(both), out / "extracted", workers)

    # 2. containment: the held-out documents' n-grams among the training documents' as extracted (document ids are
    #    "<input root>/<relative path>" and, for jsonl, "#<line>": the file part says which side a document is on)
    general_training_texts = [rec["text"] for rec in read_jsonl_gz(CorpusRun(general_training).docs)] if general_docs else []
    training = TrainingNgrams([r["text"] for r in raw if file_of(r["id"]) in training_ids] + general_training_texts)
    heldout_rows = [r for r in raw if file_of(r["id"]) in heldout_ids]
    leaks = containment(heldout_rows, training, cfg, groups)
    leaked = {d["id"] for d in leaks["dropped"]}
    finance_rows = _pick([r for r in heldout_rows if r["id"] not in leaked], cfg)
    if not finance_rows:
        raise UserError("no held-out financial text is left (all held-out files were unreadable or leaked into training); "
                         "raise eval_sets.heldout_fraction, give more eval_sets.heldout_inputs or more inputs")
    # the part of the held-out text that the configured filters keep (the same documents, filtered; no dedup):
    # fixed for every variant as well, since it depends on the base config only
    console.rule("[bold]fixed evaluation sets[/]: the held-out documents through the configured filters")
    kept_cfg = copy.deepcopy(both)
    set_field(kept_cfg, "dedup.exact", False)
    set_field(kept_cfg, "dedup.minhash", False)
    others = sorted({f.doc_id for f in files} - heldout_ids)
    set_field(kept_cfg, "input.exclude", list(corpus_config.input.exclude) + [_glob_escape(i) for i in others])
    chosen = {r["id"] for r in finance_rows}
    kept_rows = [r for r in _build_docs(kept_cfg, out / "extracted_kept", workers) if r["id"] in chosen]

    # 3. general text: a fixed sample by document hash, of the documents that pass the same containment check
    #    (news articles share templates and syndicated copies across a corpus's splits)
    general_folder = cfg.general_texts or str(general_dir())
    general = folder_texts(general_folder)
    candidates = sorted(
        ({"id": f"general#{i}", "source": general_folder, "text": t} for i, t in enumerate(general)),
        key=lambda r: rank(hashlib.sha256(r["text"].encode("utf-8")).hexdigest(), cfg.seed),
    )
    general_rows, examined = [], []
    for row in candidates:
        if len(general_rows) >= cfg.general_max_docs:
            break
        examined.append(row)
        if containment([row], training, cfg, {})["dropped"]:
            continue
        general_rows.append(row)
    leaks["general"] = containment(examined, training, cfg, {})
    atomic_write_json(out / "leaks.json", leaks)
    general_rows.sort(key=lambda r: int(r["id"].split("#")[1]))

    read_files = {file_of(r["id"]) for r in raw}
    members = group_members(groups)
    heldout_group_names = {groups[i] for i in heldout_ids}
    manifest = {
        "key": key,
        "groups": {
            "rule": "EDINET code (cover or XBRL names), else 書類管理番号 (or the folder of a section-named XBRL filing), "
                    "else the file (kinyu.workflows.eval_sets.filer_groups)",
            "total": len(members), "heldout": len(heldout_group_names), "heldout_by_hash": len(by_hash),
            "heldout_given": len(given_groups), "heldout_fraction": cfg.fraction(),
            "training_files_dropped_same_filer": dropped_same_filer,
            "members": {g: {"heldout": g in heldout_group_names, "files": fs} for g, fs in members.items()},
        },
        "leaks": {**{k: v for k, v in leaks.items() if k not in ("per_document", "general")},
                  "general": {k: v for k, v in leaks["general"].items() if k != "per_document"},
                  "general_training": str(general_training) if general_training is not None else None},
        "finance": {**_write_texts(out / "finance", finance_rows),
                    "heldout_files": sorted(heldout_ids),
                    "heldout_inputs": list(cfg.heldout_inputs),
                    "unreadable_heldout_files": sorted(heldout_ids - read_files)},
        "finance_kept": {**_write_texts(out / "finance_kept", kept_rows),
                         "note": "the finance documents after the configured quality filters (line cleaning included)"},
        "finance_neutral": {**_write_texts(out / "finance_neutral", neutral_rows(finance_rows)),
                            "note": "prose paragraphs of the finance documents by kinyu.workflows.heldout.is_neutral_paragraph: "
                                    f">= {NEUTRAL_MIN_CHARS} chars ending in 。, Japanese script >= {NEUTRAL_MIN_JAPANESE:.0%}, "
                                    f"hiragana >= {NEUTRAL_MIN_HIRAGANA:.0%}, digits <= {NEUTRAL_MAX_DIGITS:.0%}, each once"},
        "finance_prose": {**_write_texts(out / "finance_prose", _part_rows(finance_rows, 1)),
                          "note": "the finance documents' lines outside Markdown tables"},
        "finance_tables": {**_write_texts(out / "finance_tables", _part_rows(finance_rows, 0)),
                           "note": "the finance documents' Markdown table lines (kinyu.corpus.tables.table_blocks)"},
        "general": {**_write_texts(out / "general", general_rows), "folder": general_folder},
        # a glob with a '/' matches a file id: the held-out files (and the training files of a held-out filer),
        # escaped, join the configured exclusions
        "exclude": list(corpus_config.input.exclude) + [_glob_escape(i) for i in sorted(heldout_ids | set(dropped_same_filer))],
    }
    atomic_write_json(manifest_path, manifest)
    console.print(f"finance: {manifest['finance']['documents']} held-out documents of {len(heldout_group_names)} filer groups, "
                  f"{manifest['finance']['characters']:,} characters ({len(leaked)} dropped for containment; "
                  f"{len(dropped_same_filer)} training files of a held-out filer dropped; "
                  f"{manifest['finance_kept']['characters']:,} characters after the filters, "
                  f"{manifest['finance_neutral']['characters']:,} neutral); general: {manifest['general']['documents']} "
                  f"documents, {manifest['general']['characters']:,} characters ({len(leaks['general']['dropped'])} "
                  "dropped for containment)")
    return EvalSets(out, manifest["exclude"], manifest)


def _with_paths(cfg: CorpusConfig, paths: list[str]) -> CorpusConfig:
    cfg = copy.deepcopy(cfg)
    set_field(cfg, "input.paths", paths)
    return cfg


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
