"""Language selection (``select.language``): Japanese documents, by the script shares of their text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.base.config import option
from kinyu.corpus.japanese import RE_HIRAGANA, RE_JAPANESE, RE_KATAKANA

_RE_LETTER = re.compile(r"[^\W\d_]")  # any script's letters: Latin, kana, kanji, Hangul, ...


def script_shares(text: str) -> tuple[float, float, int]:
    """(hiragana/katakana/kanji among letters, hiragana/katakana among letters, letters)."""
    letters = len(_RE_LETTER.findall(text))
    if not letters:
        return 0.0, 0.0, 0
    kana = len(RE_HIRAGANA.findall(text)) + len(RE_KATAKANA.findall(text))
    return len(RE_JAPANESE.findall(text)) / letters, kana / letters, letters


@dataclass
class LanguageConfig:
    """Japanese documents only, from two shares of the letters (digits, symbols and spaces left out):
    Japanese script (kana and kanji), which no other language writes beside Latin, and kana alone,
    which Chinese never writes. Measured (``benchmarks/selection.py``): Japanese sets (general news,
    EDINET filings, MHLW PDFs, Wikipedia) min 0.80 / 0.13; English 0.00, Chinese 0.90-1.00 / 0.00,
    Korean ~0. No model: the shares are exact where a language-ID model guesses from n-grams."""

    enabled: bool = option(False, "drop documents that are not Japanese (before the quality filters' MeCab pass)")
    # Japanese sets: general-ja heldout min 0.80, EDINET sections min 0.87, MHLW PDFs min 0.93;
    # English pages 0.00-0.02 (a Japanese menu on an English page: < 0.1). 0.5, as quality.script.
    min_japanese_share: float = option(0.5, "drop below this share of kana/kanji among letters ('not_japanese')")
    # Chinese (simplified and traditional): 0.000-0.002 kana among letters; Japanese sets min 0.13
    # (kanji-heavy EDINET governance tables), prose 0.3-0.6. 0.05.
    min_kana_share: float = option(0.05, "drop below this share of hiragana/katakana among letters ('no_kana': Chinese)")

    def problems(self) -> list[str]:
        bad = [n for n in ("min_japanese_share", "min_kana_share") if not 0.0 <= getattr(self, n) <= 1.0]
        return [f"{n} must be in [0, 1]" for n in bad]


class LanguageFilter(BaseFilter):
    """Keeps Japanese documents (``select.language``): drops a text whose letters are mostly not
    kana or kanji (``not_japanese``: English and other Latin-script pages, Korean) or that has
    kanji without kana (``no_kana``: Chinese). Runs on the normalised text before the quality
    filters, so that foreign pages of a crawl never reach the MeCab parse. Shares go to
    ``metadata["language"]``."""

    name = "🈁 Language"

    def __init__(self, config: LanguageConfig, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.config = config

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        ja, kana, letters = script_shares(doc.text)
        doc.metadata["language"] = {"japanese_share": round(ja, 4), "kana_share": round(kana, 4)}
        self.stat_update("japanese_share", value=ja, unit="doc")
        if ja < self.config.min_japanese_share:
            return False, "not_japanese"
        if kana < self.config.min_kana_share:
            return False, "no_kana"
        return True
