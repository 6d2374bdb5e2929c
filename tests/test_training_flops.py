"""MFU inputs: model FLOPs per token from the architecture, device peaks from the table."""

from __future__ import annotations

import pytest

from kinyu.training.flops import device_peak_flops, flops_per_token, matmul_parameters


@pytest.mark.parametrize("tied", [False, True])
def test_flops_per_token_counts_every_matmul_and_attention(tied):
    from transformers import LlamaConfig, LlamaForCausalLM

    h, layers, inter, vocab, seq, heads, kv = 64, 3, 160, 300, 128, 4, 2
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=h, intermediate_size=inter, num_hidden_layers=layers,
                      num_attention_heads=heads, num_key_value_heads=kv, tie_word_embeddings=tied)
    model = LlamaForCausalLM(cfg)
    head_dim = h // heads
    per_layer = h * h * 2 + 2 * h * kv * head_dim + 3 * h * inter  # q, o; k, v (grouped); gate, up, down
    norms = layers * 2 * h + h
    expected_matmul = layers * per_layer + vocab * h  # the LM head (or the tied table) multiplies every token
    assert matmul_parameters(model) == expected_matmul + norms
    got = flops_per_token(model.config, matmul_parameters(model), seq)
    assert got == 6 * (expected_matmul + norms) + 12 * layers * heads * head_dim * seq


def test_device_peak_table():
    assert device_peak_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert device_peak_flops("NVIDIA H100 PCIe") == 756e12
    assert device_peak_flops("NVIDIA A100-SXM4-80GB") == 312e12
    assert device_peak_flops("NVIDIA A10G") == 70e12
    assert device_peak_flops("NVIDIA H200") == 989e12
    assert device_peak_flops("Some CPU") is None
