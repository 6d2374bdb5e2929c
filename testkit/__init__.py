"""Helpers for kinyu's tests and benchmarks (not part of the product, not installed).

Product packages (kinyu, corpus, training, evaluation) never import this package.
"""
