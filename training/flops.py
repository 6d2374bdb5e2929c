"""Model FLOPs per token and device peaks, for model FLOPs utilisation (MFU).

MFU follows PaLM (Chowdhery et al. 2022, appendix B): training costs 3x the forward pass, the
forward pass costs 2 FLOPs per weight of every matrix a token passes through (all parameters
except the input embedding table, which is a lookup; counted when tied, since the LM head
then uses it) plus attention scores and weighted sums, 2 * 2 * seq_len * (heads * head_dim)
per layer, counted without a causal discount. Activation recomputation is not counted: MFU
measures useful work, not hardware work.
"""

from __future__ import annotations

from typing import Any

# dense bf16 peak FLOP/s per device (vendor data sheets, without sparsity)
BF16_PEAK_FLOPS: dict[str, float] = {
    "H200": 989e12,
    "H100 SXM": 989e12,
    "H100 80GB HBM3": 989e12,
    "H100 NVL": 835e12,
    "H100 PCIe": 756e12,
    "H100": 989e12,
    "GH200": 989e12,
    "B200": 2250e12,
    "A100": 312e12,
    "A800": 312e12,
    "L40S": 362e12,
    "L4": 121e12,
    "A10G": 70e12,
    "A10": 125e12,
    "RTX 4090": 165e12,
    "RTX 3090": 71e12,
}


def device_peak_flops(device_name: str) -> float | None:
    """The table's bf16 peak for a CUDA device name (longest matching key wins), else None."""
    name = device_name.upper()
    for key in sorted(BF16_PEAK_FLOPS, key=len, reverse=True):
        if key.upper() in name:
            return BF16_PEAK_FLOPS[key]
    return None


def _first(config: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        v = getattr(config, n, None)
        if v is not None:
            return v
    return default


def attention_dims(config: Any) -> tuple[int, int]:
    """(layers, heads * head_dim) of a Hugging Face config, across the common field names."""
    layers = _first(config, "num_hidden_layers", "n_layer", "num_layers")
    hidden = _first(config, "hidden_size", "n_embd", "d_model")
    heads = _first(config, "num_attention_heads", "n_head", "num_heads")
    head_dim = _first(config, "head_dim", "kv_channels", default=None)
    if layers is None or hidden is None:
        raise ValueError(f"cannot read layers/hidden size from {type(config).__name__} to count FLOPs")
    attn_width = heads * head_dim if (heads and head_dim) else hidden
    return int(layers), int(attn_width)


def flops_per_token(config: Any, matmul_params: int, seq_len: int) -> float:
    """Training FLOPs per token: 6 * matmul parameters + 12 * layers * attention width * seq_len."""
    layers, width = attention_dims(config)
    return 6.0 * matmul_params + 12.0 * layers * width * seq_len


def matmul_parameters(model: Any) -> int:
    """Parameters a token multiplies with: all but the (untied) input embedding table.

    Works on a ZeRO-3 partitioned model too (``ds_numel`` holds the full size there).
    """
    def numel(p: Any) -> int:
        return int(getattr(p, "ds_numel", p.numel()))

    total = sum(numel(p) for p in model.parameters())
    embedding = model.get_input_embeddings().weight
    output = model.get_output_embeddings()
    tied = output is not None and output.weight is embedding
    return total if tied else total - numel(embedding)
