"""Japanese script classes and the one MeCab (fugashi + unidic-lite) tagger every step shares.

Character classes are defined once here; the normaliser, the filters and the dedup shingles
all use them.
"""

from __future__ import annotations

import re
import threading

HIRAGANA = "\u3041-\u309f"
KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006\u3007"  # 々〆〇 behave like kanji
# Japanese punctuation and full-width forms that sit between Japanese characters without spaces
JA_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
JAPANESE_CHAR = f"{HIRAGANA}{KATAKANA}{KANJI}"
JAPANESE_OR_PUNCT = f"{JAPANESE_CHAR}{JA_PUNCT}"

RE_HIRAGANA = re.compile(f"[{HIRAGANA}]")
RE_KATAKANA = re.compile(f"[{KATAKANA}]")
RE_KANJI = re.compile(f"[{KANJI}]")
RE_JAPANESE = re.compile(f"[{JAPANESE_CHAR}]")


def count_japanese(text: str) -> int:
    return len(RE_JAPANESE.findall(text))


def japanese_ratio(text: str) -> float:
    """Share of non-space characters that are hiragana, katakana or kanji."""
    chars = len(text) - sum(c.isspace() for c in text)
    return count_japanese(text) / chars if chars else 0.0


def hiragana_ratio(text: str) -> float:
    """Share of non-space characters that are hiragana (the grammar of Japanese prose)."""
    chars = len(text) - sum(c.isspace() for c in text)
    return len(RE_HIRAGANA.findall(text)) / chars if chars else 0.0


_local = threading.local()


def tagger():
    """A per-thread fugashi ``Tagger`` on unidic-lite (MeCab objects are not thread-safe)."""
    tg = getattr(_local, "tagger", None)
    if tg is None:
        import fugashi

        tg = fugashi.Tagger()
        _local.tagger = tg
    return tg
