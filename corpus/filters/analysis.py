"""One MeCab pass per document, kept per line so that line cleaning never forces a re-parse.

``analyze_text`` parses every line of a document once (``corpus.japanese.pos_tagger``: the same
unidic-lite dictionary as ``corpus.japanese.tagger``, printing only each token's pos1) and counts
character classes for the whole text with numpy. ``signals`` turns that into the document
signals every quality filter reads; ``TextAnalysis.subset`` gives the analysis of the kept lines
after line cleaning, without touching MeCab again. The analysis is kept
in a small per-thread cache keyed by the text (``get_analysis``), so a step that changed the
text in between costs a fresh parse, never a wrong answer.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict

import numpy as np

from corpus.japanese import pos_tagger

# pos_tagger() prints the UniDic pos1 of each token, one per row ("名詞\n助詞\n…"). A document's
# lines are parsed one by one (a line is a hard break of the source and no token spans one) and
# the rows of all lines are joined with a tab after each line. Every signal is then a str.count,
# one regex or one split over that string, so no Python code runs per token, and after the line
# cleaner drops lines the signals of the rest are recomputed from the kept lines' rows without
# parsing again. That is what keeps all the morphology signals together near the speed of plain
# tokenization (benchmarks/filters_speed.py).
#
# Sentence ends: 。!? are handed to MeCab as U+3000 (ideographic space), which UniDic keeps as a
# token of its own, 空白, while ordinary spaces are skipped. So "空白" rows mark exactly the
# sentence ends, and the decimal point of 12.3 (also 補助記号-句点) is not one. NFKC input holds
# no U+3000; any left over is turned into a plain space first.
SENTENCE_TERMINATORS = "。!?！？"
PREDICATE_POS = ("動詞", "助動詞", "形容詞")


# Character classes are counted for the whole text at once with numpy: one UTF-32 encode, one
# lookup table from code point to class, one bincount per (line, class). A few ns per character.
CHAR_CLASSES = ("other", "hira", "kata", "kanji", "digit", "latin", "space", "symbol", "replacement", "mojibake", "newline")
CHAR_INDEX = {name: i for i, name in enumerate(CHAR_CLASSES)}


def _class_table() -> np.ndarray:
    """Class of every BMP code point (see ``char_class_counts``)."""
    t = np.zeros(0x10000, dtype=np.int64)

    def put(name: str, *ranges: tuple[int, int]) -> None:
        for lo, hi in ranges:
            t[lo : hi + 1] = CHAR_INDEX[name]

    put("symbol", (0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E), (0xA1, 0xBF), (0x2000, 0x2BFF))
    put("symbol", (0xD7, 0xD7), (0xF7, 0xF7))
    put("hira", (0x3041, 0x309F))
    put("kata", (0x30A0, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
    put("kanji", (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x3005, 0x3007))
    put("digit", (0x30, 0x39), (0xFF10, 0xFF19))
    put("latin", (0x41, 0x5A), (0x61, 0x7A))
    put("space", (0x20, 0x20), (0x09, 0x09), (0x0D, 0x0D), (0x3000, 0x3000))
    put("newline", (0x0A, 0x0A))
    put("replacement", (0xFFFD, 0xFFFD))
    put("mojibake", (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0xFF))
    for cp in (0x152, 0x153, 0x160, 0x161, 0x178, 0x17D, 0x17E, 0x192, 0x2C6, 0x2DC, 0x201A, 0x201E,
               0x2020, 0x2021, 0x2030, 0x2039, 0x203A):  # fmt: skip
        t[cp] = CHAR_INDEX["mojibake"]
    for ch in "縺繧繝譁蜈荳謨驥螟":
        t[ord(ch)] = CHAR_INDEX["mojibake"]
    return t


_CLASS_OF = _class_table()


def char_class_counts(text: str) -> np.ndarray:
    """Counts of each class of ``CHAR_CLASSES`` per line of ``text``: shape (lines, classes).

    hira/kata/kanji: the scripts of corpus.japanese (々〆〇 count as kanji, and so do the CJK
    extensions beyond the BMP); digit: 0-9 and full-width digits; latin: A-Z a-z; space: space,
    tab, CR, U+3000; symbol: ASCII punctuation, Latin-1 signs and × ÷, U+2000-U+2BFF (general
    punctuation, arrows, maths, box drawing, △■, ①); Japanese punctuation (、。「」・ー) is prose,
    not a symbol. replacement: U+FFFD. mojibake: letters of the Latin-1 supplement, cp1252
    punctuation (‚ „ † ‰ ‹) and the kanji that UTF-8 Japanese read as cp932 is made of
    (縺 繧 繝 …): the traces of a wrong decode, counted apart from every other class.
    A line's newline counts in the line after it (class "newline").
    """
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    cls = _CLASS_OF[np.minimum(cp, 0xFFFF)]
    astral = cp > 0xFFFF
    if astral.any():
        cls[astral] = np.where((cp[astral] >= 0x20000) & (cp[astral] <= 0x3134F), CHAR_INDEX["kanji"], 0)
    line_of = np.cumsum(cls == CHAR_INDEX["newline"])
    n_lines = int(line_of[-1]) + 1 if len(cp) else 1
    k = len(CHAR_CLASSES)
    return np.bincount(line_of * k + cls, minlength=n_lines * k).reshape(n_lines, k)


def _last_word(rows: str) -> str:
    """pos1 of the last non-symbol token of one line's rows ("" if none)."""
    end = len(rows) - 1
    while end > 0:
        start = rows.rfind("\n", 0, end) + 1
        pos = rows[start:end]
        if pos != "補助記号" and pos != "記号":
            return pos
        end = start - 1
    return ""


class TextAnalysis:
    """One MeCab parse of a text, kept per line.

    ``lines``: the text's lines; ``rows``: per line, MeCab's pos1 rows (``"名詞\n助詞\n"``, ""
    for a blank line); ``ends``: per line, the pos1 of its last word (``_last_word``);
    ``chars``: per-line character-class counts (numpy, shape (lines, ``CHAR_CLASSES``)).
    """

    __slots__ = ("text", "lines", "rows", "ends", "chars", "cached_signals")

    def __init__(self, text: str, lines: list[str], rows: list[str], ends: list[str], chars: np.ndarray):
        self.text = text
        self.lines = lines
        self.rows = rows
        self.ends = ends
        self.chars = chars
        self.cached_signals: dict | None = None

    def subset(self, keep: list[int]) -> TextAnalysis:
        """The analysis of the text made of the lines ``keep`` (indices, in order)."""
        lines = [self.lines[i] for i in keep]
        return TextAnalysis(
            "\n".join(lines), lines, [self.rows[i] for i in keep], [self.ends[i] for i in keep],
            self.chars[keep],
        )  # fmt: skip

    def line_counts(self, i: int) -> dict:
        """Token counts of line ``i`` (for the line cleaner's candidate lines)."""
        return token_counts(self.rows[i], [self.ends[i]])


def analyze_text(text: str) -> TextAnalysis:
    """Character classes for the whole text in one numpy pass, then one MeCab parse per line."""
    lines = text.split("\n")
    chars = char_class_counts(text)
    mecab_text = text.replace("\u3000", " ") if "\u3000" in text else text
    for terminator in SENTENCE_TERMINATORS:
        if terminator in mecab_text:
            mecab_text = mecab_text.replace(terminator, "\u3000")
    parse = pos_tagger().parse
    rows = [
        parse(mecab_line) + "\n" if line and not line.isspace() else ""
        for line, mecab_line in zip(lines, mecab_text.split("\n"))
    ]
    return TextAnalysis(text, lines, rows, list(map(_last_word, rows)), chars)


def token_counts(joined: str, ends: list[str]) -> dict:
    """Token signals of MeCab rows (all lines joined) and the lines' last words (``_last_word``)."""
    count = joined.count
    tokens = count("\n")
    terminators = count("空白\n")
    aux = count("助動詞\n")
    pred = count("動詞\n") - count("感動詞\n") + count("形容詞\n")
    words = tokens - terminators - count("記号\n")
    # Sentences end at 。!? and at the end of a line. One whose last word is a predicate
    # (動詞・助動詞・形容詞; before 。, or at the line end as in chabsa sentences and bullet items)
    # is complete; nominal endings (体言止め, headings, table cells) are not. One closing
    # bracket or symbol may sit between the predicate and 。 (…した」。).
    pred_ends = 0
    if terminators:
        # ("動詞\n" also ends 助動詞, a predicate, and the rare interjection 感動詞 — 「はい。」 —
        # which is let through as one)
        pred_ends = (
            count("動詞\n空白\n") + count("形容詞\n空白\n")
            + count("動詞\n補助記号\n空白\n") + count("形容詞\n補助記号\n空白\n")
        )  # fmt: skip
    line_ends = Counter(ends)
    unterminated = len(ends) - line_ends["空白"] - line_ends[""]
    pred_line_ends = sum(line_ends[pos] for pos in PREDICATE_POS)
    sentences = terminators + unterminated
    # longest run of tokens with no predicate and no sentence end; it runs on across line
    # breaks (PDF wraps, table rows, lists). Split at every row ending in 動詞 (so 助動詞 too,
    # and the rare interjection 感動詞), 形容詞 or 空白; a leftover "助" of a split 助動詞 row
    # holds no newline, so newlines count tokens.
    max_run = 0
    if tokens:
        runs = joined.replace("形容詞\n", "動詞\n").replace("空白\n", "動詞\n").split("動詞\n")
        max_run = max(map(str.count, runs, ["\n"] * len(runs)))
    return {
        "tokens": tokens,
        "words": words,
        "func": count("助詞\n") + aux,
        "pred": pred,
        "sentences": sentences,
        "complete_sentences": terminators + pred_line_ends,
        "pred_sentences": pred_ends + pred_line_ends,
        "max_run": max_run,
    }


# Parses are cached by text (per thread, a few recent documents): the steps of one pipeline see
# a document one after the other, so the annotator's parse is found again by the line cleaner
# and the filters, while a step that changed the text simply misses the cache. A str caches its
# hash, so a hit on the same text object costs no rehash. The analysis depends on the text only,
# so a hit is always right.
_CACHE_SIZE = 16
_cache_local = threading.local()


def _cache() -> OrderedDict:
    cache = getattr(_cache_local, "cache", None)
    if cache is None:
        cache = _cache_local.cache = OrderedDict()
    return cache


def get_analysis(doc) -> TextAnalysis:
    """The analysis of ``doc.text``: the cached parse if a step before parsed it, else a new one."""
    cache = _cache()
    analysis = cache.get(doc.text)
    if analysis is None:
        analysis = analyze_text(doc.text)
        set_analysis(doc, analysis)
    else:
        cache.move_to_end(doc.text)
    return analysis


def set_analysis(doc, analysis: TextAnalysis) -> None:
    """Remember ``analysis`` as the parse of ``doc``'s text (which must be ``analysis.text``)."""
    if doc.text != analysis.text:
        raise ValueError("analysis does not belong to this document's text")
    cache = _cache()
    cache[analysis.text] = analysis
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def _r(x: float) -> float:
    return round(float(x), 4)


def signals(analysis: TextAnalysis) -> dict:
    """Document signals: plain ints and floats rounded to 4 decimals (byte-stable metadata)."""
    if analysis.cached_signals is not None:
        return dict(analysis.cached_signals)
    c = dict(zip(CHAR_CLASSES, analysis.chars.sum(axis=0).tolist()))
    chars = sum(c.values()) - c["space"] - c["newline"]
    div = chars or 1
    t = token_counts("".join(analysis.rows), analysis.ends)
    analysis.cached_signals = {
        "chars": chars,
        "lines": sum(1 for r in analysis.rows if r),
        "sentences": t["sentences"],
        "complete_sentences": t["complete_sentences"],
        "japanese_ratio": _r((c["hira"] + c["kata"] + c["kanji"]) / div),
        "hiragana_ratio": _r(c["hira"] / div),
        "digit_ratio": _r(c["digit"] / div),
        "symbol_ratio": _r((c["symbol"] + c["replacement"] + c["mojibake"]) / div),
        "latin_ratio": _r(c["latin"] / div),
        "replacement_ratio": _r(c["replacement"] / div),
        "mojibake_ratio": _r(c["mojibake"] / div),
        "words": t["words"],
        "function_word_ratio": _r(t["func"] / t["words"]) if t["words"] else 0.0,
        "predicate_end_share": _r(t["pred_sentences"] / t["sentences"]) if t["sentences"] else 0.0,
        "max_noun_run": t["max_run"],
    }
    return dict(analysis.cached_signals)
