"""One MeCab pass per document, kept per line so that line cleaning never forces a re-parse.

``analyze_text`` parses every line of a document once with the shared fugashi tagger
(``corpus.japanese.tagger``) and reduces each line to a handful of additive counts
(``LineFeatures``). Document signals (``aggregate``) are sums and merges of those counts, so
after the line cleaner drops lines the signals of what is left are recomputed from the kept
lines' features without touching MeCab again. The analysis rides on the ``Document`` object
itself (a plain attribute that ``dataclasses.asdict`` and the writers ignore) and is checked
against ``doc.text`` before use, so a step that changed the text in between only costs a
fresh parse, never a wrong answer.

Lines are parsed separately because they are hard breaks of the source (PDF/HTML): a MeCab
token never spans one, and the per-line counts are what the line cleaner needs.
"""

from __future__ import annotations

import re

import numpy as np

from corpus.japanese import pos_tagger

# pos_tagger() prints the UniDic pos1 of each token, one per line ("名詞\n助詞\n…"). Every
# per-line signal below is a str.count or one regex over that short string, so no Python code
# runs per token: that is what keeps all the morphology signals together near the speed of
# plain tokenization (benchmarks/filters_speed.py).
#
# Sentence ends: 。!? are handed to MeCab as U+3000 (ideographic space), which UniDic keeps as
# a token of its own, 空白, while ordinary spaces are skipped. So "空白" in the output marks
# exactly the sentence ends, and the decimal point of 12.3 (also 補助記号-句点) is not one.
# (NFKC input holds no U+3000; any left over is turned into a plain space first.)
SENTENCE_TERMINATORS = "。!?！？"
# "動詞\n" also ends 助動詞 (a predicate too) and 感動詞 (not one).
_PRED = "(?:(?<!感)動詞|形容詞)\n"
# terminated sentences whose last word (closing brackets and symbols skipped) is a predicate
RE_PRED_END = re.compile(f"{_PRED}(?:(?:補助)?記号\n)*空白\n")
# the line's last word when the line does not end in a terminator
RE_LAST_WORD = re.compile("([^\n]+)\n(?:(?:補助)?記号\n)*\\Z")
# what ends a noun run: a predicate token or a sentence end
RE_RUN_BREAK = re.compile(f"{_PRED}|空白\n")
PREDICATE_POS = ("動詞", "助動詞", "形容詞")


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


class LineFeatures:
    """Additive counts for one line (characters are non-space characters)."""

    __slots__ = (
        "text", "chars", "ja", "hira", "digit", "symbol", "latin", "replacement", "mojibake",
        "words", "func", "pred", "sentences", "complete_sentences", "pred_sentences",
        "ends_pred", "lead_run", "trail_run", "max_run", "broken",
    )  # fmt: skip

    def __init__(self, text: str):
        self.text = text


def _empty_line(line: str) -> LineFeatures:
    f = LineFeatures(line)
    for name in LineFeatures.__slots__[1:]:
        setattr(f, name, 0)
    return f


def analyze_line(line: str, chars: tuple[int, ...] | None = None) -> LineFeatures:
    """Parse one line with MeCab (once) and reduce it to counts.

    ``chars`` are the line's character-class counts from ``char_class_counts`` (computed here
    when not given): hira, kata, kanji, digit, latin, space, symbol, replacement, mojibake, total.
    """
    if chars is None:
        cc = char_class_counts(line)
        chars = tuple(cc[k][0] for k in _CHAR_KEYS)
    hira, kata, kanji, digit, latin, space, symbol, replacement, mojibake, total = chars
    if total - space == 0:
        return _empty_line(line)
    mecab_input = line.replace("\u3000", " ") if "\u3000" in line else line
    for terminator in SENTENCE_TERMINATORS:
        if terminator in mecab_input:
            mecab_input = mecab_input.replace(terminator, "\u3000")
    out = pos_tagger().parse(mecab_input)
    if not out:
        return _empty_line(line)
    out += "\n"
    f = LineFeatures(line)
    f.chars = total - space
    f.hira, f.ja, f.digit, f.latin, f.symbol = hira, hira + kata + kanji, digit, latin, symbol
    f.replacement, f.mojibake = replacement, mojibake

    count = out.count
    tokens = count("\n")
    terminators = count("空白\n")
    aux = count("助動詞\n")
    f.words = tokens - terminators - count("記号\n")
    f.func = count("助詞\n") + aux
    f.pred = count("動詞\n") - count("感動詞\n") + count("形容詞\n")

    # Sentences end at 。!? and at the end of the line. One whose last word is a predicate
    # (動詞・助動詞・形容詞, before 。 or at the line end, as in chabsa sentences or bullet items)
    # is a complete sentence; nominal endings (体言止め, headings, table cells) are not.
    # One closing bracket or symbol between the predicate and 。 is allowed (…した」。).
    pred_ends = 0
    if terminators:
        pred_ends = (
            count("動詞\n空白\n") - count("感動詞\n空白\n") + count("形容詞\n空白\n")
            + count("動詞\n補助記号\n空白\n") - count("感動詞\n補助記号\n空白\n")
            + count("形容詞\n補助記号\n空白\n")
        )  # fmt: skip
    sentences = complete = terminators
    last = RE_LAST_WORD.search(out, max(0, len(out) - 64))
    last_pos = last.group(1) if last else ""
    f.ends_pred = last_pos in PREDICATE_POS
    if last_pos != "空白":
        sentences += 1
        if f.ends_pred:
            pred_ends += 1
            complete += 1
    else:
        f.ends_pred = bool(RE_PRED_END.search(out, max(0, len(out) - 64)))
    f.sentences, f.complete_sentences, f.pred_sentences = sentences, complete, pred_ends

    # longest run of tokens with no predicate and no sentence end (a leftover "助" of a split
    # 助動詞 row holds no newline, so newlines count tokens)
    if f.pred or terminators:
        runs = RE_RUN_BREAK.split(out)
        f.lead_run = runs[0].count("\n")
        f.trail_run = runs[-1].count("\n")
        f.max_run = max(map(str.count, runs, ["\n"] * len(runs)))
        f.broken = len(runs) > 1
    else:
        f.lead_run = f.trail_run = f.max_run = tokens
        f.broken = False
    return f


_CHAR_KEYS = ("hira", "kata", "kanji", "digit", "latin", "space", "symbol", "replacement", "mojibake", "total")


class TextAnalysis:
    """Per-line features of one text, in line order (blank lines included)."""

    __slots__ = ("text", "lines")

    def __init__(self, text: str, lines: list[LineFeatures]):
        self.text = text
        self.lines = lines


def analyze_text(text: str) -> TextAnalysis:
    """Character classes for the whole text in one numpy pass, then one MeCab parse per line."""
    lines = text.split("\n")
    cc = char_class_counts(text)
    cc["total"] = [t - nl for t, nl in zip(cc["total"], cc["newline"])]
    per_line = zip(*(cc[k] for k in _CHAR_KEYS))
    return TextAnalysis(text, [analyze_line(line, chars) for line, chars in zip(lines, per_line)])


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


def aggregate(lines: list[LineFeatures]) -> dict:
    """Document signals from line features: plain ints and floats rounded to 4 decimals."""
    chars = ja = hira = digit = symbol = latin = repl = moji = 0
    words = func = sentences = complete = pred_sentences = 0
    nonblank = 0
    max_run = run = 0
    for f in lines:
        if not f.chars:
            continue
        nonblank += 1
        chars += f.chars
        ja += f.ja
        hira += f.hira
        digit += f.digit
        symbol += f.symbol
        latin += f.latin
        repl += f.replacement
        moji += f.mojibake
        words += f.words
        func += f.func
        sentences += f.sentences
        complete += f.complete_sentences
        pred_sentences += f.pred_sentences
        # noun runs continue across line breaks (PDF wraps, table rows, lists)
        if f.broken:
            max_run = max(max_run, run + f.lead_run, f.max_run)
            run = f.trail_run
        else:
            run += f.lead_run
            max_run = max(max_run, run)
    max_run = max(max_run, run)
    div = chars or 1
    return {
        "chars": chars,
        "lines": nonblank,
        "sentences": sentences,
        "complete_sentences": complete,
        "japanese_ratio": _r(ja / div),
        "hiragana_ratio": _r(hira / div),
        "digit_ratio": _r(digit / div),
        "symbol_ratio": _r(symbol / div),
        "latin_ratio": _r(latin / div),
        "replacement_ratio": _r(repl / div),
        "mojibake_ratio": _r(moji / div),
        "words": words,
        "function_word_ratio": _r(func / words) if words else 0.0,
        "predicate_end_share": _r(pred_sentences / sentences) if sentences else 0.0,
        "max_noun_run": max_run,
    }
