"""Continual pre-training of causal LMs on kinyu corpus token shards with DeepSpeed (``kinyu train``)."""
