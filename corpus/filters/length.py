"""The length filter (``quality.length``): too short, no complete sentence, or too long. Reads
the shared parse's ``chars`` and ``complete_sentences`` (``kinyu.corpus.filters.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter, is_table_document


@dataclass
class LengthConfig:
    """Too short (or, optionally, too long) in characters and sentences."""

    enabled: bool = option(True, "run the length filter")
    # Non-space characters. chABSA min 512; EDINET cover pages are 0 after line cleaning. 50 is
    # about one sentence: it drops empty and near-empty leftovers, not short notices.
    min_chars: int = option(50, "drop below this many non-space characters")
    # Sentences ending in 。!? or in a predicate. chABSA min 5; a page of headings and nouns has 0.
    min_sentences: int = option(1, "drop below this many complete sentences")
    # No upper bound by default (EDINET sections reach 90k characters and are fine).
    max_chars: int | None = option(None, "drop above this many characters (none: no limit)")


class LengthFilter(QualityFilter):
    """Drops documents too short to be text (or empty after line cleaning), with no complete
    sentence, or (optionally) too long."""

    name = "📏 Length"
    config_class = LengthConfig
    signal_keys = ("chars", "complete_sentences")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["chars"] < self.config.min_chars:
            return False, "too_short"
        # a table document's sentences are its headings' and notes' (its figures are in tables)
        if q["complete_sentences"] < self.config.min_sentences and not is_table_document(q):
            return False, "too_few_sentences"
        if self.config.max_chars is not None and q["chars"] > self.config.max_chars:
            return False, "too_long"
        return True
