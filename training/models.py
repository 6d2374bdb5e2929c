"""Which model a training config means: a local checkpoint's config or a fresh model's, refused early
unless transformers can build a causal LM from it. Shared by ``kinyu train`` and ``kinyu train plan``.
"""

from __future__ import annotations

import json
from pathlib import Path

from transformers import AutoConfig
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

from kinyu.base.config import ConfigError, resolve_config_path
from kinyu.training.config import ModelConfig, TrainInputError


def load_model_config(model_dir: Path, trust_remote_code: bool = False):
    """A local checkpoint's config, refused unless transformers can build a causal LM from it."""
    if not (model_dir / "config.json").is_file():
        raise TrainInputError(f"model.path: no Hugging Face checkpoint (config.json) in {model_dir}; "
                              "kinyu never downloads models, give a local directory")
    try:
        config = AutoConfig.from_pretrained(model_dir, trust_remote_code=trust_remote_code, local_files_only=True)
    except (ValueError, KeyError, OSError) as e:
        raise TrainInputError(f"model.path: {model_dir}/config.json does not load as a transformers config "
                              f"(unknown model_type? custom code needs model.trust_remote_code): {e}") from None
    check_causal_lm(config, str(model_dir))
    return config


def check_causal_lm(config, where: str) -> None:
    remote = "AutoModelForCausalLM" in (getattr(config, "auto_map", None) or {})
    if type(config) not in MODEL_FOR_CAUSAL_LM_MAPPING and not remote:
        raise TrainInputError(f"{where}: model_type {config.model_type!r} is not a causal language model transformers "
                              "can build (AutoModelForCausalLM); kinyu trains decoder-only LMs such as llama, "
                              "qwen2, mistral, gpt_neox, gemma")


def built_model_config(m: ModelConfig, vocab_size: int | None, eos_id: int | None = None, pad_id: int | None = None):
    """The config of a fresh model: a config.json file as written, or a model_type sized by the config's fields."""
    if m.architecture.endswith(".json"):
        try:  # a path, or a shipped architecture by name (configs/train/models/llama-7b.json)
            path = resolve_config_path(m.architecture, "model.architecture: config file")
        except ConfigError as e:
            raise TrainInputError(str(e)) from None
        # keys starting with "_" are notes (e.g. "_source"), not config fields
        fields = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
        if "model_type" not in fields:
            raise TrainInputError(f"model.architecture: {path} has no model_type")
        kind, sizes = fields.pop("model_type"), fields
    else:
        kind = m.architecture
        sizes = dict(vocab_size=vocab_size, hidden_size=m.hidden_size, num_hidden_layers=m.num_layers,
                     num_attention_heads=m.num_heads, num_key_value_heads=m.num_kv_heads or m.num_heads,
                     intermediate_size=m.intermediate_size, max_position_embeddings=m.max_position_embeddings,
                     tie_word_embeddings=m.tie_word_embeddings, bos_token_id=eos_id, eos_token_id=eos_id,
                     pad_token_id=pad_id)
    try:
        config = AutoConfig.for_model(kind, **{**sizes, **m.extra})
    except ValueError as e:
        raise TrainInputError(f"model.architecture={m.architecture!r}: {e}") from None
    check_causal_lm(config, f"model.architecture={m.architecture!r}")
    return config


def max_positions(model_config) -> int | None:
    names = ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length")
    return next((getattr(model_config, n) for n in names if getattr(model_config, n, None)), None)
