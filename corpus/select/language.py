"""Language selection (``select.language``): Japanese documents, by the script shares of their text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.base.config import option
from kinyu.corpus.japanese import JAPANESE_CHAR, RE_HIRAGANA, RE_JAPANESE, RE_KATAKANA

# the letters of every other script (Latin, Hangul, Cyrillic, ...): word characters that are neither
# digits nor Japanese
_RE_OTHER_LETTER = re.compile(f"(?![{JAPANESE_CHAR}])[^\\W\\d_]")


def script_shares(text: str) -> tuple[float, float, int]:
    """(hiragana/katakana/kanji among letters, hiragana/katakana among letters, letters), where the
    letters are the Japanese characters and every other script's letters."""
    japanese = len(RE_JAPANESE.findall(text))
    letters = japanese + len(_RE_OTHER_LETTER.findall(text))
    if not letters:
        return 0.0, 0.0, 0
    kana = len(RE_HIRAGANA.findall(text)) + len(RE_KATAKANA.findall(text))
    return japanese / letters, kana / letters, letters


@dataclass
class LanguageConfig:
    """Japanese documents only, from two shares of the letters (digits, symbols and spaces left out):
    Japanese script (kana and kanji) and kana alone, which Chinese never writes. Measured with
    ``benchmarks/selection.py`` (min / 5th percentile): Japanese news (general-ja heldout, 736)
    0.338 / 0.716 and kana 0.271; chABSA 0.865 and 0.306; EDINET 有報 sections 0.878 and 0.071;
    Wikipedia 0.898 and 0.475; kinyu runs of filings and MHLW PDFs 0.965 and 0.282. Not Japanese:
    English prose (311 paragraphs) 0.000; Chinese 0.151-0.959 with kana 0.000; Korean <= 0.214 with
    kana 0.000. The defaults keep every Japanese document and drop every other one of these sets.
    No model: the shares are exact where a language-ID model guesses from n-grams."""

    enabled: bool = option(False, "drop documents that are not Japanese (before the quality filters' MeCab pass)")
    # Japanese news full of English product names (「Microsoft、Windows 8またはWindows RT搭載…」) is
    # 0.34-0.49; English 0.000. 0.3.
    min_japanese_share: float = option(0.3, "drop below this share of kana/kanji among letters ('not_japanese')")
    # Chinese (simplified and traditional) and Korean 0.000; Japanese min 0.071 (a table-heavy
    # 第4 提出会社の状況 section), prose 0.27-0.64. 0.05.
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
