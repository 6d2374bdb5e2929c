"""Tiny causal LMs built from a config, for tests, benchmarks and the CPU demo (nothing is downloaded).

A randomly initialised (seeded) model of one of the families users bring (Llama, Qwen2,
Mistral, GPT-NeoX as in rinna's Japanese models, Gemma) with a byte-level BPE tokenizer trained
on the given texts by ``kinyu.corpus.tokenize.train_tokenizer``, saved with ``save_pretrained`` so
that ``AutoModelForCausalLM`` / ``AutoTokenizer.from_pretrained(folder)`` load it like any
Hugging Face checkpoint.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterable

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from kinyu.corpus.tokenize import train_tokenizer, write_hf_tokenizer_files

# what each family needs beyond the shared sizes (hidden, layers, heads, MLP, positions, vocab)
FAMILY_FIELDS: dict[str, dict[str, Any]] = {
    "llama": {"num_key_value_heads": 4, "tie_word_embeddings": False},
    "qwen2": {"num_key_value_heads": 2, "tie_word_embeddings": False},  # grouped-query attention, QKV bias
    "mistral": {"num_key_value_heads": 2, "sliding_window": None, "tie_word_embeddings": False},
    "gpt_neox": {"rotary_pct": 1.0, "use_parallel_residual": True, "tie_word_embeddings": False},
    # Gemma's default head_dim (256) is far above a tiny model's; it ties the head to the embedding
    "gemma": {"num_key_value_heads": 1, "head_dim": 16, "tie_word_embeddings": True},
}
FAMILIES = tuple(FAMILY_FIELDS)


def tiny_config(family: str, vocab_size: int, hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4,
                max_position_embeddings: int = 512, bos_token_id: int | None = None, eos_token_id: int | None = None,
                pad_token_id: int | None = None):
    """A transformers config of ``family`` at toy size."""
    return AutoConfig.for_model(
        family, vocab_size=vocab_size, hidden_size=hidden_size, intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers, num_attention_heads=num_heads, max_position_embeddings=max_position_embeddings,
        bos_token_id=bos_token_id, eos_token_id=eos_token_id, pad_token_id=pad_token_id, **FAMILY_FIELDS[family],
    )


def build_tiny_model(
    folder: str | Path,
    texts: Iterable[str],
    seed: int = 0,
    vocab_size: int = 512,
    hidden_size: int = 32,
    num_layers: int = 2,
    max_position_embeddings: int = 512,
    tokenizer_file: str | Path | None = None,
    family: str = "llama",
) -> Path:
    """Write a randomly initialised tiny model of ``family`` (seeded) and its tokenizer into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if tokenizer_file is None:
        train_tokenizer(list(texts), folder / "tokenizer.json", vocab_size=vocab_size, min_frequency=1)
    else:
        shutil.copyfile(tokenizer_file, folder / "tokenizer.json")
    write_hf_tokenizer_files(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    config = tiny_config(family, len(tokenizer), hidden_size, num_layers, 4, max_position_embeddings,
                         tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def assert_export_matches_engine(run: Path, total_steps: int) -> AutoModelForCausalLM:
    """Reload a training run's latest DeepSpeed checkpoint into a fresh engine and check that its
    ``hf/`` export (loaded with ``AutoModelForCausalLM``) gives the same logits. Returns the export."""
    from kinyu.base.layout import latest_checkpoint
    from kinyu.training.train import build_engine, check_inputs, load_run_config

    ckpt = latest_checkpoint(run)
    cfg = load_run_config(run)
    engine, *_ = build_engine(cfg, check_inputs(cfg, resume=True), total_steps, bf16=False, world=1)
    try:
        engine.load_checkpoint(str(ckpt.deepspeed), tag=ckpt.name)
        tok = AutoTokenizer.from_pretrained(ckpt.hf)
        ids = torch.tensor([tok.encode("日本銀行は政策金利を据え置いた。営業利益は増加しました。")])
        hf = AutoModelForCausalLM.from_pretrained(ckpt.hf).eval()
        engine.eval()
        with torch.no_grad():
            torch.testing.assert_close(hf(input_ids=ids).logits, engine.module(input_ids=ids).logits, rtol=1e-5, atol=1e-5)
    finally:
        engine.destroy()
    return hf
