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

from corpus.japanese import JA_PUNCT, RE_HIRAGANA, RE_JAPANESE, tagger

# Token classes (bit flags) derived once per distinct MeCab feature string.
WORD = 1  # a word token: anything but symbols and whitespace
FUNC = 2  # function word: 助詞, 助動詞
PRED = 4  # predicate: 動詞, 助動詞, 形容詞 (breaks a noun run; ends a proper sentence)
TERM = 8  # sentence end: 。 ! ?
CLOSE = 16  # closing bracket / quote, skipped when looking for a sentence's last word
NOUN = 32  # 名詞 (incl. 数詞), 代名詞, 接頭辞, 接尾辞

SENTENCE_TERMINATORS = frozenset("。!?！？")
_FEATURE_CLASS: dict[str, int] = {}


def _classify(feature_raw: str, surface: str) -> int:
    pos1, _, rest = feature_raw.partition(",")
    pos2 = rest.partition(",")[0]
    if pos1 in ("補助記号", "記号", "空白"):
        if surface in SENTENCE_TERMINATORS:
            return TERM
        return CLOSE if pos2 == "括弧閉" else 0
    cls = WORD
    if pos1 in ("助詞", "助動詞"):
        cls |= FUNC
    if pos1 in ("動詞", "助動詞", "形容詞"):
        cls |= PRED
    if pos1 in ("名詞", "代名詞", "接頭辞", "接尾辞"):
        cls |= NOUN
    return cls


RE_DIGIT = re.compile(r"[0-9０-９]")
# Symbols: neither a word character nor space nor Japanese punctuation (、。「」 are prose).
RE_SYMBOL = re.compile(f"[^\\w\\s{JA_PUNCT}]")
RE_LATIN = re.compile(r"[A-Za-z]")
RE_REPLACEMENT = re.compile("\ufffd")
# Mojibake: UTF-8/Shift_JIS bytes decoded as Latin-1/cp1252 leave Latin-1 supplement letters and
# cp1252 punctuation (ã‚¢, â€™, ‚±‚ñ); UTF-8 decoded as cp932 leaves a soup of rare kanji that
# encode the UTF-8 lead bytes E3 81/E3 82/E3 83 (縺, 繧, 繝) and friends (譁, 蜈, 荳, 謨, 驥).
RE_MOJIBAKE = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u201a\u201e\u2020\u2021\u2030\u2039\u203a縺繧繝譁蜈荳謨驥螟]")


class LineFeatures:
    """Additive counts for one line (characters are non-space characters)."""

    __slots__ = (
        "text", "chars", "ja", "hira", "digit", "symbol", "latin", "replacement", "mojibake",
        "words", "func", "pred", "noun", "sentences", "complete_sentences", "sent_chars",
        "pred_sent_chars", "ends_pred", "lead_run", "trail_run", "max_run", "broken",
    )  # fmt: skip

    def __init__(self, text: str):
        self.text = text


def analyze_line(line: str, tag=None) -> LineFeatures:
    f = LineFeatures(line)
    stripped = "".join(line.split())
    n = len(stripped)
    f.chars = n
    if n == 0:
        for name in LineFeatures.__slots__[1:]:
            setattr(f, name, 0)
        return f
    f.ja = len(RE_JAPANESE.findall(stripped))
    f.hira = len(RE_HIRAGANA.findall(stripped))
    f.digit = len(RE_DIGIT.findall(stripped))
    f.symbol = len(RE_SYMBOL.findall(stripped))
    f.latin = len(RE_LATIN.findall(stripped))
    f.replacement = stripped.count("\ufffd")
    f.mojibake = len(RE_MOJIBAKE.findall(stripped))

    words = func = pred = noun = sentences = complete = 0
    sent_chars = pred_sent_chars = 0
    cur_sent = 0  # characters of the running sentence
    last_word_pred = False  # is the last word of the running sentence a predicate?
    run = lead = max_run = 0
    broken = False
    cache = _FEATURE_CLASS
    for node in (tag or tagger())(line):
        surface = node.surface
        size = len(surface)
        feat = node.feature_raw
        cls = cache.get(feat)
        if cls is None:
            cls = cache[feat] = _classify(feat, "")
        if not cls & WORD and surface in SENTENCE_TERMINATORS:
            # 。 shares its feature string with '.' (as in 12.3): the surface decides
            cls = TERM
        cur_sent += size
        if cls & WORD:
            words += 1
            last_word_pred = bool(cls & PRED)
            if cls & FUNC:
                func += 1
            if cls & NOUN:
                noun += 1
        if cls & (PRED | TERM):
            if not broken:
                lead = run
                broken = True
            if run > max_run:
                max_run = run
            run = 0
        else:
            run += size
        if cls == TERM:
            sentences += 1
            complete += 1
            sent_chars += cur_sent
            if last_word_pred:
                pred_sent_chars += cur_sent
            cur_sent = 0
            last_word_pred = False
    if cur_sent:
        # a line ends a sentence even without 。 (headings, list items, chabsa-style sentences)
        sentences += 1
        sent_chars += cur_sent
        if last_word_pred:
            complete += 1
            pred_sent_chars += cur_sent
    f.ends_pred = last_word_pred
    if run > max_run:
        max_run = run
    f.words, f.func, f.pred, f.noun = words, func, pred, noun
    f.sentences, f.complete_sentences = sentences, complete
    f.sent_chars, f.pred_sent_chars = sent_chars, pred_sent_chars
    f.lead_run = lead if broken else run
    f.trail_run = run
    f.max_run = max_run
    f.broken = broken
    return f


class TextAnalysis:
    """Per-line features of one text, in line order (blank lines included)."""

    __slots__ = ("text", "lines")

    def __init__(self, text: str, lines: list[LineFeatures]):
        self.text = text
        self.lines = lines


def analyze_text(text: str) -> TextAnalysis:
    tag = tagger()
    return TextAnalysis(text, [analyze_line(line, tag) for line in text.split("\n")])


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
    words = func = sentences = complete = sent_chars = pred_sent_chars = 0
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
        sent_chars += f.sent_chars
        pred_sent_chars += f.pred_sent_chars
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
        "predicate_end_share": _r(pred_sent_chars / sent_chars) if sent_chars else 0.0,
        "max_noun_run": max_run,
    }
