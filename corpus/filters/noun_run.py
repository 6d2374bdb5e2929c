"""The noun-run filter (``quality.noun_run``): long runs without predicate or sentence end. Reads
the shared parse's ``max_noun_run`` and ``list_run_share`` (``kinyu.corpus.filters.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class NounRunConfig:
    """Long runs of tokens with no predicate and no sentence end: number dumps, issuer lists."""

    enabled: bool = option(True, "run the noun-run filter")
    # Longest run in MeCab tokens; it runs on across line breaks. chABSA max 306 (a company
    # listing its stores by prefecture and city) / p99 116 / median 55; EDINET max 135 after
    # cleaning (369 before the table-row rule); a flattened table or a list of issuers runs to
    # thousands. 400.
    max_noun_run: int = option(400, "drop above this many tokens in a row without predicate or sentence end")
    # ... and more than this share of all tokens inside runs longer than 200 tokens (lists and
    # tables, kinyu.corpus.filters.analysis.LIST_RUN_TOKENS): a whole MHLW 告示 (100k characters) has
    # one appendix list of 693-707 tokens, 0.014-0.018 of its tokens, and is a statute; a
    # flattened number table or an issuer list is nothing but such runs (1.0). 0.2.
    max_list_run_share: float = option(0.2, "... and more than this share of tokens in runs longer than 200 tokens")


class NounRunFilter(QualityFilter):
    """Drops documents with a very long run of tokens without any predicate or sentence end —
    number dumps, issuer lists, keyword walls — when such runs make up much of the document.
    Noun-heavy prose breaks its runs with 。 and verbs every few dozen tokens, so the length
    threshold is far above prose; a long statute with one appendix list stays."""

    name = "🧱 Noun runs"
    config_class = NounRunConfig
    judges_prose = True
    signal_keys = ("max_noun_run", "list_run_share")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["max_noun_run"] > self.config.max_noun_run and q["list_run_share"] > self.config.max_list_run_share:
            return False, "long_noun_run"
        return True
