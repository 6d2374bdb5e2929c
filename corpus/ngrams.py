"""Character n-grams, their rolling hashes, and Jaccard: the shingles dedup and decontamination share.

Japanese has no spaces, so characters are the units: no segmenter, no dictionary.
"""

from __future__ import annotations

import numpy as np


def char_ngrams(text: str, n: int) -> set[str]:
    """The distinct character n-grams of ``text`` (empty when it is shorter than ``n``)."""
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def ngram_hashes(text: str, n: int) -> np.ndarray:
    """64-bit hashes of every character n-gram of ``text``, in order (uint64, len - n + 1)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < n:
        return np.empty(0, dtype=np.uint64)
    m = len(codes) - n + 1
    h = np.zeros(m, dtype=np.uint64)
    base = np.uint64(0x100000001B3)
    # uint64 array arithmetic wraps modulo 2**64 (no overflow warnings for arrays)
    for k in range(n):
        h = h * base + codes[k : k + m] + np.uint64(1)
    # splitmix64 finaliser: spreads the polynomial hash over all 64 bits
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h
