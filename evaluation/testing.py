"""Tiny causal LMs built from a config, for tests and the CPU demo (nothing is downloaded).

A 2-layer Llama with a byte-level BPE tokenizer trained on the given texts by
``corpus.tokenize.train_tokenizer``, saved with ``save_pretrained`` so that
``AutoModelForCausalLM`` / ``AutoTokenizer.from_pretrained(folder)`` load it like any HF export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


def build_tiny_model(
    folder: str | Path,
    texts: Iterable[str],
    seed: int = 0,
    vocab_size: int = 512,
    hidden_size: int = 32,
    num_layers: int = 2,
    max_position_embeddings: int = 512,
    tokenizer_file: str | Path | None = None,
) -> Path:
    """Write a randomly initialised tiny Llama (seeded) and its tokenizer into ``folder``."""
    import shutil

    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from corpus.tokenize import train_tokenizer, write_hf_tokenizer_files

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if tokenizer_file is None:
        train_tokenizer(list(texts), folder / "tokenizer.json", vocab_size=vocab_size, min_frequency=1)
    else:
        shutil.copyfile(tokenizer_file, folder / "tokenizer.json")
        write_hf_tokenizer_files(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder
