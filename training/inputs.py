"""The input checks of ``kinyu train``: everything a :class:`~kinyu.training.config.TrainConfig` names
on disk (corpus runs and their shards, the tokenizer they share, the model to continue, the run
folder and the checkpoint to resume) is checked here, before the process group, the model or any
output; ``TrainConfig.problems`` checks what needs no files. ``kinyu.training.train.run_training``
calls :func:`check_inputs` first and reads on with the :class:`Inputs` it returns.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from kinyu.base.config import ConfigError
from kinyu.base.layout import Checkpoint, CorpusRun, TrainRun
from kinyu.base.runs import read_json
from kinyu.corpus.shards import ShardError, corpus_tokenizer_file, list_shards
from kinyu.training.checkpoints import resume_problem
from kinyu.training.config import TrainConfig, TrainInputError
from kinyu.training.models import built_model_config, load_model_config, max_positions

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.safetensors.index.json", "*.bin.index.json")
PROBE_TEXTS = ["金融庁は有価証券報告書の記載内容の充実を求めている。", "営業利益は前年同期比12.5%増の3,456億円。",
               "The Bank of Japan kept its policy rate unchanged.", "<|endoftext|>"]


@dataclass
class Inputs:
    domain_folders: list[Path]
    replay_folders: list[Path]
    validation_folders: list[Path]
    tokenizer_file: Path
    tokenizer_src: Path          # folder whose tokenizer files go into every hf/ export
    vocab_size: int
    eos_id: int
    pad_id: int | None
    model_config: Any            # transformers PretrainedConfig
    rewarm_lr: float | None      # LR floor of the checkpoint to re-warm from
    resume_from: Checkpoint | None = None  # the verified checkpoint a resume loads


@dataclass
class CorpusTokenizer:
    """The one tokenizer every corpus run's shards were made with."""

    file: Path
    tokenizer: Tokenizer
    vocab: dict[str, int]
    eos_id: int
    pad_id: int | None


def _vocab(path: Path) -> dict[str, int]:
    return Tokenizer.from_file(str(path)).get_vocab(with_added_tokens=True)


def _vocab_mismatch(a: dict[str, int], b: dict[str, int]) -> str | None:
    if a == b:
        return None
    if len(a) != len(b):
        return f"vocabulary sizes differ ({len(a)} vs {len(b)})"
    diff = sorted(set(a.items()) ^ set(b.items()), key=lambda kv: kv[1])[:3]
    return f"token ids differ, e.g. {diff}"


def check_inputs(cfg: TrainConfig, resume: bool = False, resume_from: str | None = None) -> Inputs:
    """Check shards, tokenizers, model and run folder (and the files of the checkpoint to resume: ``resume_from``
    names one, else ``checkpoints/latest``); raise a clear error before any work. ``cfg``'s own values
    were checked when it loaded (``load_config``)."""
    domain, replay = _check_corpus_runs(cfg)
    tok = _check_corpus_tokenizer(cfg, domain)
    _check_token_counts(cfg, domain, replay)
    model_config, tokenizer_src, rewarm_lr = _check_model(cfg, tok)
    _check_positions(cfg, model_config)
    _check_fits(cfg)
    validation = _check_validation(cfg)
    resume_ckpt = _check_run_folder(cfg, resume, resume_from)
    return Inputs(domain, replay, validation, tok.file, tokenizer_src, len(tok.vocab), tok.eos_id, tok.pad_id,
                  model_config, rewarm_lr, resume_ckpt)


def _check_corpus_runs(cfg: TrainConfig) -> tuple[list[Path], list[Path]]:
    for role, runs in (("data.corpus_runs", cfg.data.corpus_runs), ("data.replay_runs", cfg.data.replay_runs)):
        for run in runs:
            if not Path(run).is_dir():
                raise TrainInputError(f"{role}: CORPUS_RUN folder not found: {run}")
    domain = [CorpusRun(r).tokens("train") for r in cfg.data.corpus_runs]
    replay = [CorpusRun(r).tokens("train") for r in cfg.data.replay_runs]
    try:
        for folder in domain + replay:
            list_shards(folder)
        for run in cfg.data.corpus_runs + cfg.data.replay_runs:
            corpus_tokenizer_file(run)
    except ShardError as e:
        raise TrainInputError(f"missing token shards: {e}") from None
    return domain, replay


def _check_corpus_tokenizer(cfg: TrainConfig, domain: list[Path]) -> CorpusTokenizer:
    """Every corpus run shares one tokenizer with an EOS token, and the shards end documents with it."""
    files = [corpus_tokenizer_file(r) for r in cfg.data.corpus_runs + cfg.data.replay_runs]
    tokenizer = Tokenizer.from_file(str(files[0]))
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    for other in files[1:]:
        problem = _vocab_mismatch(vocab, _vocab(other))
        if problem:
            raise TrainInputError(f"tokenizer mismatch between corpus runs: {files[0]} vs {other}: {problem}")
    eos_id = next((vocab[t] for t in ("<|endoftext|>", "</s>", "<eos>", "<|im_end|>") if t in vocab), None)
    if eos_id is None:
        raise TrainInputError(f"{files[0]}: no EOS token; the shards need one between documents")
    first = list_shards(domain[0])[0]
    if first.num_docs and int(first.document(0)[-1]) != eos_id:
        raise TrainInputError(f"{first.path}: documents do not end with EOS id {eos_id}; were the shards made with "
                              "this tokenizer?")
    return CorpusTokenizer(files[0], tokenizer, vocab, eos_id, vocab.get("<|pad|>"))


def _check_token_counts(cfg: TrainConfig, domain: list[Path], replay: list[Path]) -> None:
    for role, folders, needed in (("data.corpus_runs", domain, True),
                                  ("data.replay_runs", replay, cfg.data.replay_ratio > 0)):
        n_tokens = sum(len(sh) for f in folders for sh in list_shards(f))
        if needed and n_tokens <= cfg.data.seq_len:
            raise TrainInputError(f"{role}: the shards hold {n_tokens} tokens, fewer than one window of "
                                  f"data.seq_len+1={cfg.data.seq_len + 1}; lower data.seq_len or add data")


def _check_model(cfg: TrainConfig, tok: CorpusTokenizer) -> tuple[Any, Path, float | None]:
    """(model config, folder of the tokenizer files to export, LR to re-warm from) for model.path or a fresh model."""
    m, rewarm_lr, tokenizer_src = cfg.model, None, tok.file.parent
    if not m.path:
        if cfg.schedule.rewarm_from_checkpoint:
            raise TrainInputError("schedule.rewarm_from_checkpoint needs model.path (a kinyu checkpoint's hf/ folder)")
        return built_model_config(m, len(tok.vocab), tok.eos_id, tok.pad_id), tokenizer_src, None
    model_dir = m.model_dir()
    model_config = load_model_config(model_dir, m.trust_remote_code)
    if not any(p for pattern in WEIGHT_PATTERNS for p in model_dir.glob(pattern)):
        raise TrainInputError(f"model.path: {model_dir} holds a config.json but no weights (*.safetensors or *.bin); "
                              "copy the whole checkpoint there, or leave model.path empty to train a fresh model")
    problem = _model_tokenizer_mismatch(model_dir, tok, m.trust_remote_code)
    if problem:
        raise TrainInputError(f"tokenizer mismatch: the shards of {cfg.data.corpus_runs[0]} were made with "
                              f"{tok.file}, which is not the tokenizer of model {model_dir}: {problem}. "
                              "Rebuild the corpus with the model's tokenizer (corpus tokenize.tokenizer = the model dir)")
    if any((model_dir / n).is_file() for n in TOKENIZER_FILES):
        tokenizer_src = model_dir
    model_vocab = getattr(model_config, "vocab_size", None)
    if model_vocab is not None and len(tok.vocab) > model_vocab:
        raise TrainInputError(f"tokenizer has {len(tok.vocab)} tokens but model {model_dir} only {model_vocab} embeddings")
    if cfg.schedule.rewarm_from_checkpoint:
        state_file = Checkpoint(model_dir.parent).state
        if not state_file.is_file():
            raise TrainInputError(f"schedule.rewarm_from_checkpoint: {state_file} not found; model.path must be a "
                                  "kinyu checkpoint's hf/ folder to re-warm from its final learning rate")
        rewarm_lr = float(read_json(state_file)["lr"])
    return model_config, tokenizer_src, rewarm_lr


def _model_tokenizer_mismatch(model_dir: Path, tok: CorpusTokenizer, trust_remote_code: bool) -> str | None:
    if (model_dir / "tokenizer.json").is_file():
        return _vocab_mismatch(tok.vocab, _vocab(model_dir / "tokenizer.json"))
    try:  # no tokenizer.json (e.g. sentencepiece or tiktoken files): compare encodings of probe texts
        theirs = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=trust_remote_code, local_files_only=True)
    except Exception as e:  # noqa: BLE001 - any failure means we cannot verify
        return f"the model directory's tokenizer cannot be loaded to compare ({e})"
    for text in PROBE_TEXTS:
        ours = tok.tokenizer.encode(text, add_special_tokens=False).ids
        other = theirs.encode(text, add_special_tokens=False)
        if ours != other:
            return f"they encode {text!r} differently ({ours[:8]}… vs {other[:8]}…)"
    return None


def _check_positions(cfg: TrainConfig, model_config) -> None:
    max_pos = max_positions(model_config)
    if max_pos is not None and cfg.data.seq_len > max_pos:
        raise TrainInputError(f"data.seq_len={cfg.data.seq_len} is larger than the model's {max_pos} positions "
                              "(max_position_embeddings); lower data.seq_len")


def _check_fits(cfg: TrainConfig) -> None:
    """On CUDA: refuse a config that `kinyu train plan` says cannot fit these GPUs (the same figures)."""
    if not (torch.cuda.is_available() and cfg.deepspeed.check_fit):
        return
    from kinyu.training.plan import Cluster, fit_problem  # imports DeepSpeed: the GPU path only, CUDA already detected

    world = int(os.environ.get("WORLD_SIZE", "1"))
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", str(max(1, min(world, torch.cuda.device_count())))))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cluster = Cluster(max(1, world // per_node), per_node, torch.cuda.get_device_properties(local_rank).total_memory,
                      torch.cuda.get_device_name(local_rank))
    try:
        problem = fit_problem(cfg, cluster)
    except (TrainInputError, ConfigError):
        raise
    except Exception as e:  # noqa: BLE001 - e.g. custom modelling code that cannot be built on the meta device
        print(f"kinyu train: memory fit check skipped, the model could not be counted on the meta device: {e}",
              file=sys.stderr)
        return
    if problem:
        raise TrainInputError(problem)


def _check_validation(cfg: TrainConfig) -> list[Path]:
    val = [CorpusRun(r).tokens("validation") for r in cfg.data.corpus_runs]
    if cfg.logging.eval_every_steps <= 0:
        return val
    have = [f for f in val if f.is_dir() and any(f.glob("*.ds"))]
    if not have:
        raise TrainInputError("logging.eval_every_steps > 0 but no corpus run has tokens/validation/*.ds shards; "
                              "set logging.eval_every_steps=0 or build a validation split")
    return have


def _check_run_folder(cfg: TrainConfig, resume: bool, resume_from: str | None) -> Checkpoint | None:
    """The checkpoint to resume, its files verified (None for a new run)."""
    out = TrainRun(cfg.run.out_dir)
    if resume_from is not None and not resume:
        raise TrainInputError("--resume-from names a checkpoint of the run given with --resume")
    if resume:
        if not out.has_checkpoint():
            raise TrainInputError(f"--resume {out.path}: no checkpoints/latest; nothing to resume from")
        ckpt = out.latest() if resume_from is None else _named_checkpoint(out, resume_from)
        if not ckpt.deepspeed.is_dir():
            raise TrainInputError(f"--resume {out.path}: {ckpt.name} holds no DeepSpeed state (written with "
                                  "checkpoint.resumable=false); this run cannot be resumed, start it again")
        problem = resume_problem(out, ckpt)
        if problem:
            raise TrainInputError(problem)
        return ckpt
    if out.has_checkpoint() or out.metrics.is_file():
        raise TrainInputError(f"run.out_dir {out.path} already holds a training run; use `kinyu train --resume {out.path}` "
                              "to continue it, or choose a new run.out_dir")
    return None


def _named_checkpoint(out: TrainRun, name: str) -> Checkpoint:
    have = [c.name for c in out.list_checkpoints()]
    if name not in have:
        raise TrainInputError(f"--resume-from {name}: {out.checkpoints} holds no such checkpoint "
                              f"(it holds: {', '.join(have) or 'none'})")
    return Checkpoint(out.checkpoints / name)
