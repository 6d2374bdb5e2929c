"""One MeCab pass per document, kept per line so that line cleaning never forces a re-parse.

``analyze_text`` parses every line of a document once (``corpus.japanese.pos_tagger``: the same
unidic-lite dictionary as ``corpus.japanese.tagger``, printing only each token's pos1) and counts
character classes for the whole text with numpy. ``signals`` turns that into the document
signals every quality filter reads; ``TextAnalysis.subset`` gives the analysis of the kept lines
after line cleaning, without touching MeCab again. The analysis rides on the ``Document`` object
itself (a plain attribute, which ``dataclasses.asdict`` and the writers ignore) and is checked
against ``doc.text`` before use, so a step that changed the text in between costs a fresh
parse, never a wrong answer.
"""

from __future__ import annotations

import re
from collections import Counter

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
_SYMBOLS = "(?:(?:補助)?記号\n)*"
# the last word of every non-blank line (trailing brackets/symbols skipped): 空白 = the line ends a
# sentence with 。; a predicate = the line is a sentence that ends in a predicate without 。
RE_LAST_WORD_OF_LINE = re.compile(f"([^\n\t]+)\n{_SYMBOLS}\t")
# "動詞\n" also ends 助動詞 (a predicate too) and 感動詞 (not one)
_PRED = "(?:(?<!感)動詞|形容詞)\n"
# what ends a noun run: a predicate token or a sentence end
RE_RUN_BREAK = re.compile(f"{_PRED}|空白\n")


# Character classes are counted for the whole text at once with numpy (code points from one
# UTF-32 encode, per-line sums with bincount), which costs a few ns per character instead of a
# Python-level pass per line and class.
_MOJIBAKE_POINTS = np.array(
    [0x152, 0x153, 0x160, 0x161, 0x178, 0x17D, 0x17E, 0x192, 0x2C6, 0x2DC, 0x201A, 0x201E, 0x2020,
     0x2021, 0x2030, 0x2039, 0x203A] + [ord(c) for c in "縺繧繝譁蜈荳謨驥螟"],
    dtype=np.uint32,
)  # fmt: skip


def _between(cp: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (cp >= lo) & (cp <= hi)


def char_class_counts(text: str) -> dict[str, list[int]]:
    """Per line of ``text`` (split on \\n): counts of each character class.

    hira/kata/kanji: the scripts of corpus.japanese (々〆〇 count as kanji); digit: 0-9 and
    full-width digits; latin: A-Z a-z; space: space, tab, CR, U+3000; symbol: ASCII punctuation,
    Latin-1 signs, U+2000-U+2BFF (general punctuation, arrows, maths, box drawing, △■, ①) and
    U+FFFD; Japanese punctuation (、。「」・ー) is prose and not a symbol; replacement: U+FFFD;
    mojibake: letters of the Latin-1 supplement (not × ÷), cp1252 punctuation (‚ „ † ‰ ‹) and the
    kanji that UTF-8 Japanese read as cp932 is made of (縺 繧 繝 …): the traces of a wrong decode.
    """
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    line_of = np.cumsum(cp == 10)
    n_lines = int(line_of[-1]) + 1 if len(cp) else 1
    kanji = (
        _between(cp, 0x4E00, 0x9FFF) | _between(cp, 0x3400, 0x4DBF) | _between(cp, 0xF900, 0xFAFF)
        | _between(cp, 0x3005, 0x3007)
    )  # fmt: skip
    classes = {
        "hira": _between(cp, 0x3041, 0x309F),
        "kata": _between(cp, 0x30A0, 0x30FF) | _between(cp, 0x31F0, 0x31FF) | _between(cp, 0xFF66, 0xFF9F),
        "kanji": kanji,
        "digit": _between(cp, 0x30, 0x39) | _between(cp, 0xFF10, 0xFF19),
        "latin": _between(cp, 0x41, 0x5A) | _between(cp, 0x61, 0x7A),
        "space": (cp == 0x20) | (cp == 0x09) | (cp == 0x0D) | (cp == 0x3000),
        "symbol": (
            _between(cp, 0x21, 0x2F) | _between(cp, 0x3A, 0x40) | _between(cp, 0x5B, 0x60)
            | _between(cp, 0x7B, 0x7E) | _between(cp, 0xA1, 0xBF) | _between(cp, 0x2000, 0x2BFF)
            | (cp == 0xD7) | (cp == 0xF7) | (cp == 0xFFFD)
        ),
        "replacement": cp == 0xFFFD,
        "mojibake": (
            (_between(cp, 0xC0, 0xFF) & (cp != 0xD7) & (cp != 0xF7)) | np.isin(cp, _MOJIBAKE_POINTS)
        ),
        "newline": cp == 10,
    }  # fmt: skip
    counts = {
        name: np.bincount(line_of[mask], minlength=n_lines).tolist() for name, mask in classes.items()
    }
    # a line's newline belongs to it, not to the next line (line_of counts it one further)
    counts["total"] = np.bincount(line_of, minlength=n_lines).tolist()
    return counts


class TextAnalysis:
    """One MeCab parse of a text, kept per line.

    ``lines``: the text's lines; ``rows``: per line, MeCab's pos1 rows (``"名詞\n助詞\n"``, ""
    for a blank line); ``chars``: per-line character-class counts (numpy, one row per class of
    ``CHAR_CLASSES``).
    """

    __slots__ = ("text", "lines", "rows", "chars")

    def __init__(self, text: str, lines: list[str], rows: list[str], chars: np.ndarray):
        self.text = text
        self.lines = lines
        self.rows = rows
        self.chars = chars

    def subset(self, keep: list[int]) -> TextAnalysis:
        """The analysis of the text made of the lines ``keep`` (indices, in order)."""
        lines = [self.lines[i] for i in keep]
        return TextAnalysis("\n".join(lines), lines, [self.rows[i] for i in keep], self.chars[:, keep])

    def line_counts(self, i: int) -> dict:
        """Token counts of line ``i`` (for the line cleaner's candidate lines)."""
        return token_counts(self.rows[i] + "\t")


CHAR_CLASSES = ("hira", "kata", "kanji", "digit", "latin", "space", "symbol", "replacement", "mojibake")
CHAR_INDEX = {name: i for i, name in enumerate(CHAR_CLASSES)}


def analyze_text(text: str) -> TextAnalysis:
    """Character classes for the whole text in one numpy pass, then one MeCab parse per line."""
    lines = text.split("\n")
    cc = char_class_counts(text)
    chars = np.array([cc[name] for name in CHAR_CLASSES] + [cc["total"]], dtype=np.int64)
    chars[-1] -= np.array(cc["newline"], dtype=np.int64)
    mecab_text = text.replace("\u3000", " ") if "\u3000" in text else text
    for terminator in SENTENCE_TERMINATORS:
        if terminator in mecab_text:
            mecab_text = mecab_text.replace(terminator, "\u3000")
    parse = pos_tagger().parse
    rows = [parse(line) + "\n" if line and not line.isspace() else "" for line in mecab_text.split("\n")]
    return TextAnalysis(text, lines, rows, chars)


def token_counts(joined: str) -> dict:
    """Token signals of MeCab rows joined with a tab after each line (see module docstring)."""
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
        pred_ends = (
            count("動詞\n空白\n") - count("感動詞\n空白\n") + count("形容詞\n空白\n")
            + count("動詞\n補助記号\n空白\n") - count("感動詞\n補助記号\n空白\n")
            + count("形容詞\n補助記号\n空白\n")
        )  # fmt: skip
    line_ends = Counter(RE_LAST_WORD_OF_LINE.findall(joined))
    unterminated = sum(line_ends.values()) - line_ends["空白"]
    pred_line_ends = sum(line_ends[pos] for pos in PREDICATE_POS)
    sentences = terminators + unterminated
    # longest run of tokens with no predicate and no sentence end; it runs on across line
    # breaks (PDF wraps, table rows, lists). A leftover "助" of a split 助動詞 row holds no
    # newline, so newlines count tokens.
    max_run = 0
    if tokens:
        runs = RE_RUN_BREAK.split(joined) if pred or terminators else [joined]
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


_ATTR = "_kinyu_ja_analysis"


def get_analysis(doc) -> TextAnalysis:
    """The document's analysis, parsing only if none is attached or the text changed since."""
    analysis = getattr(doc, _ATTR, None)
    if analysis is None or analysis.text != doc.text:
        analysis = analyze_text(doc.text)
        setattr(doc, _ATTR, analysis)
    return analysis


def set_analysis(doc, analysis: TextAnalysis) -> None:
    setattr(doc, _ATTR, analysis)


def _r(x: float) -> float:
    return round(float(x), 4)


def signals(analysis: TextAnalysis) -> dict:
    """Document signals: plain ints and floats rounded to 4 decimals (byte-stable metadata)."""
    sums = analysis.chars.sum(axis=1).tolist() if analysis.chars.size else [0] * (len(CHAR_CLASSES) + 1)
    c = dict(zip(CHAR_CLASSES + ("total",), sums))
    chars = c["total"] - c["space"]
    div = chars or 1
    t = token_counts("\t".join(analysis.rows) + "\t")
    return {
        "chars": chars,
        "lines": sum(1 for r in analysis.rows if r),
        "sentences": t["sentences"],
        "complete_sentences": t["complete_sentences"],
        "japanese_ratio": _r((c["hira"] + c["kata"] + c["kanji"]) / div),
        "hiragana_ratio": _r(c["hira"] / div),
        "digit_ratio": _r(c["digit"] / div),
        "symbol_ratio": _r(c["symbol"] / div),
        "latin_ratio": _r(c["latin"] / div),
        "replacement_ratio": _r(c["replacement"] / div),
        "mojibake_ratio": _r(c["mojibake"] / div),
        "words": t["words"],
        "function_word_ratio": _r(t["func"] / t["words"]) if t["words"] else 0.0,
        "predicate_end_share": _r(t["pred_sentences"] / t["sentences"]) if t["sentences"] else 0.0,
        "max_noun_run": t["max_run"],
    }
