"""One task of japanese-lm-fin-harness, as lm-eval YAML + helpers (see evaluation/tasks/__init__.py)."""
