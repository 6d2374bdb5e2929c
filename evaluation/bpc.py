"""Domain bits per character: how well a model predicts a held-out text, tokenizer-independent.

Per document, lm-eval's ``loglikelihood_rolling`` (the engine behind its perplexity tasks)
sums the model's token log-likelihoods over disjoint windows of the model's context, the
first token conditioned on the BOS/EOS prefix. Dividing the summed negative log-likelihood
(in bits) by the number of *characters* instead of tokens makes models with different
tokenizers comparable: a model that splits text into more, easier tokens gains nothing.

Texts come from:
- a CORPUS_RUN's ``tokens/validation`` shards, read with :mod:`kinyu.corpus.shards` and decoded
  back to text with the corpus tokenizer (EOS stripped), then re-tokenized by the evaluated
  model's own tokenizer;
- any folder of ``*.txt`` / ``*.md`` files (one document per file), ``*.jsonl`` (``text``
  field per line) or ``*.json`` (a list of objects with ``text``) - e.g. a general-domain set
  next to the financial one, to see forgetting;
- a list of strings (Python API).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Sequence

from tokenizers import Tokenizer

from kinyu.base.layout import CorpusRun
from kinyu.corpus.shards import ShardError, corpus_tokenizer_file, list_shards
from kinyu.corpus.tokenize import TokenizerError, tokenizer_eos
from kinyu.evaluation.harness import EvalError, load_lm

TEXT_SUFFIXES = (".txt", ".md")


def corpus_validation_texts(corpus_run: str | Path, max_docs: int | None = None) -> list[str]:
    """Documents of a corpus run's validation shards, decoded with the corpus tokenizer."""
    return corpus_split_texts(corpus_run, "validation", max_docs)


def corpus_split_texts(corpus_run: str | Path, split: str, max_docs: int | None = None) -> list[str]:
    """Documents of a corpus run's ``train`` or ``validation`` shards, decoded with the corpus tokenizer
    (``train``: the text a model trained on the run saw, e.g. for a baseline trained on the same text)."""
    run = CorpusRun(corpus_run)
    try:
        tok_file = corpus_tokenizer_file(run.path)
        shards = list_shards(run.tokens(split))
    except ShardError as e:
        raise EvalError(str(e)) from None
    tokenizer = Tokenizer.from_file(str(tok_file))
    try:
        _, eos_id = tokenizer_eos(tok_file)
    except TokenizerError:
        eos_id = None
    texts: list[str] = []
    for shard in shards:
        for ids in shard.documents():
            ids = [int(i) for i in ids if eos_id is None or int(i) != eos_id]
            text = tokenizer.decode(ids, skip_special_tokens=False)
            if text:
                texts.append(text)
            if max_docs is not None and len(texts) >= max_docs:
                return texts
    return texts


def folder_texts(folder: str | Path, max_docs: int | None = None) -> list[str]:
    """Documents of a text folder: each *.txt/*.md file, each ``text`` of *.jsonl / *.json lists."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EvalError(f"text folder not found: {folder}")
    texts: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            if text.strip():
                texts.append(text)
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and (text := json.loads(line).get("text")):
                    texts.append(text)
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, list):
                texts += [item["text"] for item in data if isinstance(item, dict) and item.get("text")]
        if max_docs is not None and len(texts) >= max_docs:
            return texts[:max_docs]
    if not texts:
        raise EvalError(f"no text documents (*.txt, *.md, *.jsonl, *.json lists with text) in {folder}")
    return texts


def named_paths(entries: Sequence[str] | dict[str, str] | None) -> dict[str, str]:
    """``["fin=path", "path2"]`` -> ``{"fin": "path", "<folder name>": "path2"}``."""
    if not entries:
        return {}
    if isinstance(entries, dict):
        return {str(k): str(v) for k, v in entries.items()}
    out = {}
    for entry in entries:
        name, sep, path = str(entry).partition("=")
        if not sep:
            name, path = Path(entry).name, entry
        if name in out:
            raise EvalError(f"two bits-per-character sets are both named {name!r}; name them NAME=PATH")
        out[name] = path
    return out


def text_sources(corpus_runs=None, text_dirs=None) -> dict[str, tuple[str, str]]:
    """Named bits-per-character sets: ``{name: ("corpus", CORPUS_RUN) | ("texts", FOLDER)}``."""
    sources = {name: ("corpus", path) for name, path in named_paths(corpus_runs).items()}
    for name, path in named_paths(text_dirs).items():
        if name in sources:
            raise EvalError(f"bits-per-character set {name!r} given twice")
        sources[name] = ("texts", path)
    return sources


def read_texts(kind: str, path: str | Path, max_docs: int | None = None) -> list[str]:
    """The documents of one source: a corpus run's validation split, or a text folder."""
    if kind == "corpus":
        return corpus_validation_texts(path, max_docs)
    if kind == "texts":
        return folder_texts(path, max_docs)
    raise EvalError(f"unknown text source kind {kind!r} (corpus or texts)")


def bits_per_character_lm(lm, texts: Sequence[str]) -> dict[str, Any]:
    """Bits per character of an lm-eval LM (``HFLM``) over ``texts``."""
    from lm_eval.api.instance import Instance  # lm_eval pulls in torch and datasets: loaded when scoring

    texts = [t for t in texts if t]
    if not texts:
        raise EvalError("no text to score for bits per character")
    requests = [Instance(request_type="loglikelihood_rolling", doc={}, arguments=(t,), idx=0) for t in texts]
    logliks = lm.loglikelihood_rolling(requests)
    nll_nats = -float(sum(logliks))
    characters = sum(len(t) for t in texts)
    tokens = sum(len(lm.tok_encode(t)) for t in texts)
    return {
        **pooled_bits(nll_nats, characters, tokens, len(texts)),
        # the unit of a study is the document (one long filing can be half of a set's characters):
        # each document's summed NLL and length, in the order of ``texts``, so that per-document
        # bits per character and their spread over documents can be computed
        "per_document": per_document(logliks, texts),
    }


def per_document(logliks: Sequence[float], texts: Sequence[str]) -> dict[str, list]:
    """Each document's summed negative log-likelihood (bits) and character count, in order."""
    return {"nll_bits": [-float(x) / math.log(2) for x in logliks], "characters": [len(t) for t in texts]}


def pooled_bits(nll_nats: float, characters: int, tokens: int, documents: int) -> dict[str, Any]:
    """The pooled figures: all NLL over all characters (a long document weighs by its length)."""
    return {
        "bits_per_character": nll_nats / math.log(2) / characters,
        "nll_nats": nll_nats,
        "characters": characters,
        "tokens": tokens,
        "bits_per_token": nll_nats / math.log(2) / tokens if tokens else None,
        "documents": documents,
    }


def bits_per_character(
    model_dir: str | Path,
    texts: Iterable[str] | None = None,
    corpus_run: str | Path | None = None,
    text_dir: str | Path | None = None,
    max_docs: int | None = None,
    batch_size: int = 8,
    device: str = "cpu",
    dtype: str = "auto",
) -> dict[str, Any]:
    """Bits per character of the local model ``model_dir`` on one text source.

    Give exactly one of ``texts`` (strings), ``corpus_run`` (its validation shards) or
    ``text_dir`` (a folder of text files).
    """
    given = [x is not None for x in (texts, corpus_run, text_dir)]
    if sum(given) != 1:
        raise EvalError("give exactly one of texts, corpus_run, text_dir")
    if texts is not None:
        docs = list(texts)[:max_docs] if max_docs else list(texts)
    elif corpus_run is not None:
        docs = read_texts("corpus", corpus_run, max_docs)
    else:
        docs = read_texts("texts", text_dir, max_docs)
    return {"model": str(model_dir), **bits_per_character_lm(load_lm(model_dir, batch_size, device, dtype), docs)}
