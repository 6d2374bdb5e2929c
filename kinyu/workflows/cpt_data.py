"""The data stage of ``kinyu study cpt`` (see ``kinyu.workflows.cpt_study``): the general corpus and its
tokenizer, the fixed evaluation sets, and the financial corpora of the variants, all built with kinyu's
corpus pipeline (it needs the corpus stack: datatrove, MeCab)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

from rich.console import Console

from kinyu.base.errors import PathNotFound
from kinyu.base.config import load_config, set_field, shipped_config
from kinyu.base.layout import CorpusRun
from kinyu.base.runs import atomic_write_text
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.extract.readers import read_jsonl_gz
from kinyu.corpus.pipeline import build
from kinyu.workflows.cpt_config import CptStudyConfig, Study
from kinyu.workflows.eval_sets import EvalSets, u4_default_inputs
from kinyu.workflows.heldout import build_eval_sets, unfiltered


def _corpus_base(cfg: CptStudyConfig) -> CorpusConfig:
    return load_config(CorpusConfig, cfg.corpus_config or shipped_config("corpus.yaml"))


def _build_corpus(cfg: CorpusConfig, console: Console, title: str) -> Path:
    out = Path(cfg.output)
    if CorpusRun(out).manifest.is_file():
        return out
    console.rule(f"[bold]corpus[/] {title}")
    return build(cfg, overwrite=True)


def prepare(cfg: CptStudyConfig, study: Study, console: Console) -> EvalSets:
    base = _corpus_base(cfg)
    general = _corpus_overrides(base, {
        "input.paths": [cfg.general_train], "output": str(study.corpus("general")), "tokenize.vocab_size": cfg.vocab_size,
        "tokenize.tokenizer_sample_chars": cfg.tokenizer_sample_chars, "executor.workers": cfg.workers,
    })
    _build_corpus(general, console, "general (the base model's pretraining data, and its tokenizer)")

    finance_inputs, eval_sets = finance_and_heldout(cfg, study)
    fin = _corpus_overrides(base, {"input.paths": finance_inputs, "executor.workers": cfg.workers})
    sets = build_eval_sets(eval_sets, fin, study.root / "eval_sets", console, workers=cfg.workers,
                           general_training=study.corpus("general"))
    shared = {"input.exclude": sets.exclude, "tokenize.tokenizer": str(study.tokenizer), "executor.workers": cfg.workers}
    _build_corpus(_corpus_overrides(fin, {**shared, "output": str(study.corpus("fin_default"))}), console,
                  "financial, the default config")
    if cfg.unfiltered:
        raw = unfiltered(fin)
        _build_corpus(_corpus_overrides(raw, {**shared, "output": str(study.corpus("fin_raw"))}), console,
                      "financial, the same documents unfiltered and undeduplicated")
    if cfg.shuffled_control:
        _build_shuffled(cfg, study, fin, console)
    return sets


def finance_and_heldout(cfg: CptStudyConfig, study: Study):
    """The financial training inputs and the eval-sets config: as given, or with no financial inputs given,
    filings-u4's train reports (unpacked once into ``data/filings-u4``) with its valid + test reports held out."""
    if cfg.finance_inputs:
        return list(cfg.finance_inputs), cfg.eval_sets
    default = u4_default_inputs(cfg.eval_sets, study.data)
    if default is None:
        raise PathNotFound(f"finance_inputs is empty and filings-u4 is not at {cfg.eval_sets.filings_u4}: "
                                "give --finance-inputs (or --eval-sets.filings-u4)")
    train, heldout = default
    eval_sets = copy.deepcopy(cfg.eval_sets)
    if not eval_sets.heldout_inputs:
        eval_sets.heldout_inputs = heldout
    return train, eval_sets


def _corpus_overrides(cfg: CorpusConfig, overrides: dict) -> CorpusConfig:
    cfg = copy.deepcopy(cfg)
    for key, value in overrides.items():
        set_field(cfg, key, value)
    return cfg


def _build_shuffled(cfg: CptStudyConfig, study: Study, fin: CorpusConfig, console: Console) -> None:
    """The default corpus's documents with their characters shuffled (seeded): the same characters and
    lengths, no language. Built as a kinyu corpus from a jsonl file of those texts, nothing filtered."""
    out = study.corpus("fin_shuffled")
    if CorpusRun(out).manifest.is_file():
        return
    rng = random.Random(0)
    rows = []
    for rec in read_jsonl_gz(CorpusRun(study.corpus("fin_default")).docs):
        chars = list(rec["text"])
        rng.shuffle(chars)
        rows.append(json.dumps({"id": rec["id"], "text": "".join(chars)}, ensure_ascii=False))
    source = study.data / "fin_shuffled_source" / "shuffled.jsonl"
    source.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(source, "\n".join(rows) + "\n")
    shuffled = _corpus_overrides(unfiltered(fin), {
        "input.paths": [str(source)], "input.exclude": list(fin.input.exclude), "output": str(out),
        "tokenize.tokenizer": str(study.tokenizer), "executor.workers": cfg.workers,
        "normalize.join_japanese_spaces": False,
    })
    _build_corpus(shuffled, console, "financial, characters shuffled (planted-effect control)")
