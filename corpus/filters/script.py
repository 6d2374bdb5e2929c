"""The Japanese-script filter (``quality.script``): non-Japanese pages. Reads the shared parse's
``japanese_text_ratio`` and ``hiragana_text_ratio`` (``kinyu.corpus.filters.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class ScriptConfig:
    """Non-Japanese pages: too few Japanese characters, or too little hiragana."""

    enabled: bool = option(True, "run the Japanese-script filter")
    # Share of hiragana/katakana/kanji among the characters that are not digits or symbols
    # (japanese_text_ratio), so that figures do not count against results prose (「売上高1,234億円
    # (前期比5.6%増)」 is 0.41 Japanese among all its characters). chABSA min 0.82 / median 0.93
    # (all characters: 0.71 / 0.84); EDINET sections median 0.94; Wikipedia min 0.85; MHLW 告示 and
    # fee schedules 0.92-0.97; EDINET cover pages before cleaning (XBRL ids leaking into the text)
    # and English pages ~0. 0.5.
    min_japanese_ratio: float = option(0.5, "drop below this share of hiragana/katakana/kanji among non-digit, non-symbol characters")
    # Share of hiragana among the characters that are not digits or symbols (hiragana_text_ratio):
    # Japanese prose writes its particles and verb endings in hiragana, however many figures sit
    # between them: the JPX FY2023 results sentence 「…営業収益は1,528億71百万円(前年同期比14.1%増)、
    # 営業費用が715億54百万円…となりました。」 has 0.13 hiragana among all its characters, 0.21 among
    # its words. chABSA min 0.249 / median 0.338 (all
    # characters: 0.207 / 0.307); EDINET sections median 0.345; Wikipedia min 0.245; MHLW 告示
    # and fee schedules 0.28-0.38. Chinese text, kanji or katakana keyword lists and tables ~0.
    # 0.1.
    min_hiragana_ratio: float = option(0.1, "drop below this share of hiragana among non-digit, non-symbol characters")


class JapaneseScriptFilter(QualityFilter):
    """Drops non-Japanese pages: too few hiragana/katakana/kanji (English pages, XBRL/code
    dumps), or too little hiragana (Chinese text, kanji/katakana keyword lists, tables), both
    counted among the characters that are not digits or symbols. Japanese prose, even kanji- and
    number-heavy results prose, keeps its particles in hiragana between the figures."""

    name = "🇯🇵 Japanese script"
    config_class = ScriptConfig
    judges_prose = True
    signal_keys = ("japanese_text_ratio", "hiragana_text_ratio")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["chars"] == 0:
            return True  # nothing left after line cleaning: the length filter's call (too_short)
        if q["japanese_text_ratio"] < self.config.min_japanese_ratio:
            return False, "not_japanese"
        if q["hiragana_text_ratio"] < self.config.min_hiragana_ratio:
            return False, "low_hiragana"
        return True
