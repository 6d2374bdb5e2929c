"""A trivial yardstick for bits per character: a character n-gram language model.

Interpolated Kneser–Ney (Chen & Goodman 1998, "An Empirical Study of Smoothing Techniques for
Language Modeling", section 3.5) over characters, with one absolute discount per order
(``D = n1 / (n1 + 2 n2)``) and the lowest order interpolated with a uniform distribution over the
training characters plus one **unknown-character** symbol, so every character of any text has a
probability and the probabilities over that vocabulary sum to 1 in every context (tested).

A model of a study scores beside it on the same texts: a neural proxy near the n-gram's bits per
character has learned about as much as counting character sequences does. Written here because
no well-kept library for this is installed (nltk's ``lm`` is pure Python per query and slower;
KenLM needs its binaries built): it is plain counting with ``collections.Counter``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Iterable, Sequence

BOS = "\x02"  # pads the start of a document: a context, never predicted
UNK = "\x00"  # every character not seen in training


class CharNgramLM:
    """Interpolated Kneser–Ney character ``order``-gram model, trained on ``texts``."""

    def __init__(self, texts: Iterable[str], order: int = 5):
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        self.order = order
        pad = BOS * (order - 1)
        raw: Counter[str] = Counter()  # highest-order counts
        vocab: set[str] = set()
        for text in texts:
            vocab.update(text)
            padded = pad + text
            raw.update(padded[i - order + 1:i + 1] for i in range(order - 1, len(padded)))
        if not raw:
            raise ValueError("no training text for the n-gram baseline")
        vocab.discard(BOS)
        vocab.discard(UNK)
        self.vocab = sorted(vocab) + [UNK]
        self._known = vocab
        # counts[k]: k-gram -> count; the highest order raw counts, lower orders Kneser–Ney continuation
        # counts (how many distinct characters precede the k-gram): a character that follows many
        # contexts is a likely novel continuation, one that only ever follows one context is not
        counts: dict[int, Counter[str]] = {order: raw}
        for k in range(order - 1, 0, -1):
            counts[k] = Counter(g[1:] for g in counts[k + 1])
        self.counts = counts
        # per context h of each order: the sum of counts of its continuations, and how many distinct ones;
        # the denominators are these sums (not the context's own count) so each order sums to 1 exactly
        self.totals: dict[int, Counter[str]] = {}
        self.types: dict[int, Counter[str]] = {}
        self.discount: dict[int, float] = {}
        for k, c in counts.items():
            tot: Counter[str] = Counter()
            typ: Counter[str] = Counter()
            for g, n in c.items():
                tot[g[:-1]] += n
                typ[g[:-1]] += 1
            self.totals[k], self.types[k] = tot, typ
            n1 = sum(1 for n in c.values() if n == 1)
            n2 = sum(1 for n in c.values() if n == 2)
            self.discount[k] = n1 / (n1 + 2 * n2) if n1 + 2 * n2 else 0.5

    def prob(self, char: str, context: str) -> float:
        """P(char | the last ``order - 1`` characters of ``context``; BOS-padded at a document start)."""
        if char not in self._known:
            char = UNK
        history = (BOS * (self.order - 1) + context)[-(self.order - 1):] if self.order > 1 else ""
        p = 1.0 / len(self.vocab)  # below order 1: uniform over the vocabulary, UNK included
        for k in range(1, self.order + 1):
            h = history[len(history) - (k - 1):] if k > 1 else ""
            total = self.totals[k].get(h, 0)
            if not total:
                continue  # an unseen context: this order adds nothing, the lower order's estimate stands
            d = self.discount[k]
            p = max(self.counts[k].get(h + char, 0) - d, 0.0) / total + d * self.types[k][h] / total * p
        return p

    def nll_bits(self, text: str) -> float:
        """The summed negative log2-likelihood of ``text``, character by character from a document start."""
        pad = BOS * (self.order - 1)
        padded = pad + text
        return -sum(math.log2(self.prob(padded[i], padded[i - self.order + 1:i] if self.order > 1 else ""))
                    for i in range(len(pad), len(padded)))


def bits_per_character_ngram(model: CharNgramLM, texts: Sequence[str]) -> dict:
    """The n-gram model's bits per character on ``texts``: pooled (as ``kinyu.evaluation.bpc``) and per document."""
    texts = [t for t in texts if t]
    nll = [model.nll_bits(t) for t in texts]
    characters = [len(t) for t in texts]
    return {"bits_per_character": sum(nll) / sum(characters), "characters": sum(characters), "documents": len(texts),
            "order": model.order, "vocabulary": len(model.vocab),
            "per_document": {"nll_bits": nll, "characters": characters}}
