"""Japanese script classes and the one MeCab (fugashi + unidic-lite) tagger every step shares.

Character classes are defined once here; the normaliser, the filters and the dedup shingles
all use them.
"""

from __future__ import annotations

import re
import threading

import fugashi
import unidic_lite
from datatrove.utils.word_tokenizers import WordTokenizer

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
        tg = fugashi.Tagger()
        _local.tagger = tg
    return tg


def pos_tagger():
    """A per-thread MeCab tagger on the same unidic-lite dictionary whose ``parse(text)`` returns
    each token's left context id, space-separated (``"5142 5771 662"``; whitespace skipped).

    Same dictionary and options as ``tagger()``, so the same segmentation; only the output differs.
    The id names the token's full UniDic part of speech (``left-id.def`` in the dictionary, read by
    ``kinyu.corpus.filters.analysis``). Printing it costs MeCab nothing, while building fugashi nodes
    and decoding their 26-field feature strings, or printing a feature field, costs more than the
    parse itself: this is what lets the quality filters run near the speed of plain
    tokenization (benchmarks/filters_speed.py).
    """
    tg = getattr(_local, "pos_tagger", None)
    if tg is None:
        dicdir = unidic_lite.DICDIR
        # an empty output-format-type makes MeCab use -F instead of the dicrc's unidic format
        tg = fugashi.GenericTagger(
            f'-d "{dicdir}" -r "{dicdir}/mecabrc" --output-format-type= -F "%phl " -E ""'
        )
        _local.pos_tagger = tg
    return tg


def parse_pos1(text: str) -> list[str]:
    """UniDic pos1 of every MeCab token of ``text``, in order (whitespace is not a token)."""
    out = pos_tagger().parse(text)
    return [_left_id_pos1()[int(i)] for i in out.split()] if out else []


_LEFT_ID_POS1: list[str] = []


def _left_id_pos1() -> list[str]:
    """pos1 of every left context id of unidic-lite (``left-id.def``)."""
    if not _LEFT_ID_POS1:
        with open(f"{unidic_lite.DICDIR}/left-id.def", encoding="utf-8") as f:
            _LEFT_ID_POS1.extend(line.split(" ", 1)[1].split(",", 1)[0] for line in f)
    return _LEFT_ID_POS1


# Sentence ends in Japanese prose: 。 (and its NFKC-stable forms), ! and ? (NFKC folds ！？ to ASCII),
# optionally followed by closing brackets; a hard line break also ends a sentence.
SENTENCE_END = "。!?！？"
CLOSING_BRACKETS = "」』)）】〕〉》\"'”’"
RE_SENTENCE = re.compile(
    f"[^\\n{SENTENCE_END}]*(?:[{SENTENCE_END}]+[{re.escape(CLOSING_BRACKETS)}]*|(?=\\n)|$)"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence: split after 。!? (plus closing brackets) and at line breaks.

    Spans exclude surrounding whitespace; empty sentences are skipped.
    """
    spans = []
    for m in RE_SENTENCE.finditer(text):
        start, end = m.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


class JapaneseWordTokenizer(WordTokenizer):
    """Base for datatrove ``WordTokenizer``s on Japanese: sentences split on 。!? and line
    breaks (``sentence_spans``); subclasses say what a word is. Holds no MeCab object, so it
    pickles and can be handed to ``load_word_tokenizer`` / MinHash steps."""

    def __init__(self):
        super().__init__("ja")

    def sent_tokenize(self, text: str) -> list[str]:
        return [text[s:e] for s, e in sentence_spans(text)]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return sentence_spans(text)

    # equal and hashable by class, so load_word_tokenizer's cache treats unpickled copies as one
    def __eq__(self, other):
        return type(other) is type(self)

    def __hash__(self):
        return hash(type(self).__qualname__)

    def __repr__(self):
        return f"{type(self).__name__}()"


class FugashiWordTokenizer(JapaneseWordTokenizer):
    """Words are MeCab surface forms (fugashi + unidic-lite; ``tagger()`` is per thread),
    whitespace tokens dropped."""

    def word_tokenize(self, text: str) -> list[str]:
        return [w.surface for w in tagger()(text) if w.surface and not w.surface.isspace()]
