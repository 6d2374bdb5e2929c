"""Tokenizers for the shards: train a small one on the corpus, or take a local model's.

Nothing is downloaded: datatrove's ``DocumentTokenizer`` looks a *directory* name up on the
hub, so we always hand it a resolved ``tokenizer.json`` file path.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import shutil
from pathlib import Path
from typing import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from tokenizers.processors import ByteLevel as ByteLevelProcessor

from kinyu.base.layout import resolve_checkpoint_path
from kinyu.base.errors import UserError

EOS_TOKEN = "<|endoftext|>"
PAD_TOKEN = "<|pad|>"
SPECIAL_TOKENS = [EOS_TOKEN, PAD_TOKEN]


class TokenizerError(UserError):
    """A tokenizer (``tokenize.tokenizer``, a model folder) that cannot be used."""


def resolve_tokenizer_file(path: str | Path) -> Path:
    """A local tokenizer.json: the file itself, or the one inside a model directory
    (``TRAIN_RUN/checkpoints/latest/hf`` names the newest checkpoint's export)."""
    p = resolve_checkpoint_path(path)
    if p.is_dir():
        p = p / "tokenizer.json"
    if not p.is_file():
        raise TokenizerError(
            f"no tokenizer.json at {path}: pass a local tokenizer.json file or a model directory "
            "that holds one (kinyu never downloads tokenizers from a hub)"
        )
    return p


def train_tokenizer(texts: Iterable[str], out_file: str | Path, vocab_size: int = 8000, min_frequency: int = 2) -> Path:
    """Train a byte-level BPE tokenizer (HF ``tokenizers``) on ``texts``; write ``tokenizer.json``.

    Byte-level BPE never meets an unknown character, which matters for Japanese (kanji
    variants, full-width symbols) and for small corpora where rare characters are many.
    Training is deterministic for the same texts in the same order.
    """
    tok = Tokenizer(models.BPE())
    # no prefix space: Japanese has no spaces between words, so a leading space would be noise
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = ByteLevelProcessor(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_file))
    write_hf_tokenizer_files(out_file.parent)
    return out_file


def tokenizer_sample(docs: Iterable[tuple[str, str]], max_chars: int) -> list[str]:
    """Texts to train the tokenizer on, from ``(id, text)`` pairs: all of them, in stream order,
    when they total at most ``max_chars``; otherwise the documents with the smallest sha256(id)
    that together fit (a single document over ``max_chars`` is skipped), in stream order. Holds at most ``max_chars`` characters (plus one
    document) however large the corpus, and picks the same documents on every machine."""
    heap: list[tuple[bytes, int, str]] = []  # max-heap on the id hash (negated bytes)
    total = 0
    cut: bytes | None = None  # smallest hash dropped so far: everything above it goes too
    for position, (doc_id, text) in enumerate(docs):
        rank = hashlib.sha256(doc_id.encode("utf-8")).digest()[:8]
        if len(text) > max_chars or (cut is not None and rank >= cut):
            continue
        heapq.heappush(heap, (bytes(255 - b for b in rank), position, text))
        total += len(text)
        while total > max_chars:
            negated, _, dropped = heapq.heappop(heap)
            total -= len(dropped)
            cut = bytes(255 - b for b in negated)
    return [text for _, _, text in sorted(heap, key=lambda item: item[1])]


def write_hf_tokenizer_files(folder: str | Path) -> None:
    """Write tokenizer_config.json/special_tokens_map.json so ``AutoTokenizer`` loads the folder."""
    folder = Path(folder)
    cfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "eos_token": EOS_TOKEN,
        "bos_token": EOS_TOKEN,
        "unk_token": EOS_TOKEN,
        "pad_token": PAD_TOKEN,
        "model_max_length": 1_000_000,
        "clean_up_tokenization_spaces": False,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    (folder / "special_tokens_map.json").write_text(
        json.dumps({"eos_token": EOS_TOKEN, "bos_token": EOS_TOKEN, "unk_token": EOS_TOKEN, "pad_token": PAD_TOKEN}, indent=2)
        + "\n",
        encoding="utf-8",
    )


def copy_model_tokenizer(model_dir: str | Path, out_folder: str | Path) -> Path:
    """Copy a local model directory's tokenizer files into a corpus run's ``tokenizer/``."""
    src = resolve_tokenizer_file(model_dir)
    out_folder = Path(out_folder)
    out_folder.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (src.parent / name).is_file():
            shutil.copyfile(src.parent / name, out_folder / name)
    return out_folder / "tokenizer.json"


def tokenizer_eos(tokenizer_file: str | Path, preferred: str | None = None) -> tuple[str, int]:
    """The EOS token text and id of a tokenizer.json (``preferred`` first, then common names)."""
    tok = Tokenizer.from_file(str(tokenizer_file))
    for cand in ([preferred] if preferred else []) + [EOS_TOKEN, "</s>", "<eos>", "<|im_end|>"]:
        tid = tok.token_to_id(cand)
        if tid is not None:
            return cand, tid
    raise TokenizerError(f"{tokenizer_file}: no EOS token found; set tokenize.eos_token in the config")
