"""The mojibake filter (``quality.mojibake``): wrong decodes. Reads the shared parse's
``replacement_ratio`` and ``mojibake_ratio`` (``kinyu.corpus.filters.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class MojibakeConfig:
    """Wrong decodes: U+FFFD replacement characters and Latin-1/cp1252/cp932 mojibake."""

    enabled: bool = option(True, "run the mojibake filter")
    # chABSA, EDINET, Wikipedia: no U+FFFD at all. Shift_JIS decoded as UTF-8 with
    # errors="replace" has about one per Japanese character. 0.001 = one per 1000 characters.
    max_replacement_ratio: float = option(0.001, "drop above this share of U+FFFD replacement characters")
    # chABSA max 0.0017 (accented Latin in foreign company names), EDINET 0. UTF-8 read as cp1252
    # (「ã‚¢」) or as cp932 (「縺ゅ」) is 30-60% such characters. 0.01.
    max_mojibake_ratio: float = option(0.01, "drop above this share of mojibake characters")


class MojibakeFilter(QualityFilter):
    """Drops wrongly decoded documents: U+FFFD replacement characters (bytes that did not decode)
    or mojibake (Shift_JIS/UTF-8 read as Latin-1/cp1252 — 「ã‚¢」 — or UTF-8 read as cp932 —
    「縺ゅ」). Such text teaches a model garbage and cannot be repaired downstream."""

    name = "🧩 Mojibake"
    config_class = MojibakeConfig
    signal_keys = ("replacement_ratio", "mojibake_ratio")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["replacement_ratio"] > self.config.max_replacement_ratio:
            return False, "replacement_chars"
        if q["mojibake_ratio"] > self.config.max_mojibake_ratio:
            return False, "mojibake"
        return True
