"""One MeCab pass per document, kept per line so that line cleaning never forces a re-parse.

``analyze_text`` parses every line of a document once (``kinyu.corpus.japanese.pos_tagger``: the same
unidic-lite dictionary as ``kinyu.corpus.japanese.tagger``, printing only each token's part-of-speech
id) and counts character classes for the whole text with numpy. ``signals`` turns that into the
document signals every quality filter reads; ``TextAnalysis.subset`` gives the analysis of the
kept lines after line cleaning, without touching MeCab again. The analysis is kept in a small
per-thread cache keyed by the text (``get_analysis``), so a step that changed the text in
between costs a fresh parse, never a wrong answer.

Shared by every filter rather than split into the filters' files: one parse and one character
pass serve them all (see ``kinyu.corpus.filters``). A signal that only one filter needs and that
this pass does not give is computed in that filter's file.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import unidic_lite

from kinyu.corpus.japanese import pos_tagger
from kinyu.corpus.tables import TableBlock, has_table, table_blocks, table_lines

# pos_tagger() prints, per token, MeCab's left context id (an int naming the token's full UniDic
# part of speech, see left-id.def); printing it costs MeCab nothing, unlike a feature field.
# A document's lines are parsed one by one (a line is a hard break of the source and no token
# spans one), all ids go into one numpy array in a single parse, and every signal is a vector
# operation over it through lookup tables from id to word class: no Python code runs per token.
# After the line cleaner drops lines, the kept lines' tokens are selected from the same array.
# That is what keeps all the morphology signals together near the speed of plain tokenization
# (benchmarks/filters_speed.py).
#
# Sentence ends: 。!? are handed to MeCab as U+3000 (ideographic space), which UniDic keeps as a
# token of its own, 空白, while ordinary spaces are skipped. So 空白 tokens mark exactly the
# sentence ends, and the decimal point of 12.3 (also 補助記号-句点) is not one. NFKC input holds
# no U+3000; any left over is turned into a plain space first.
SENTENCE_TERMINATORS = "。!?！？"
# A full stop written 「．」 (NFKC: ".") after a Japanese character and before a space or the line
# end also ends a sentence: academic and official Japanese writes 「，．」 for 「、。」. The
# literal comes first so that the regex engine scans for "." (fast) and checks the rest after.
RE_JAPANESE_FULL_STOP = re.compile(r"\.(?<=[\u3041-\u30ff\u3400-\u9fff\uff66-\uff9f]\.)(?=[ \t]|$)", re.MULTILINE)
# Lines starting with one of these are bullet items: a run of them is judged as one list, which
# is complete as a list even when its items end in nouns (「・システムリスク」「・…リスク」).
BULLETS = frozenset("・•●○◦■□◆◇▪▫▶▸►-–—*※")

# A run of more tokens than this without a predicate or a sentence end is a list or a table, not
# a sentence: the longest in chABSA is 306 tokens (a company listing its stores by prefecture and
# city), in the EDINET sections 135, and 99% of chABSA documents stay under 116.
LIST_RUN_TOKENS = 200

# word classes of a token, from the pos1 of its left context id
OTHER, NOUN, PARTICLE, AUX, VERB, SYMBOL, TERM = range(7)
_POS1_CLASS = {
    "名詞": NOUN, "代名詞": NOUN, "接頭辞": NOUN, "接尾辞": NOUN, "助詞": PARTICLE, "助動詞": AUX,
    "動詞": VERB, "形容詞": VERB, "補助記号": SYMBOL, "記号": SYMBOL, "空白": TERM,
}  # fmt: skip  (副詞, 連体詞, 接続詞, 感動詞, 形状詞: OTHER words)


def _token_class_table() -> np.ndarray:
    table = []
    with open(Path(unidic_lite.DICDIR) / "left-id.def", encoding="utf-8") as f:
        for line in f:
            idx, feature = line.rstrip("\n").split(" ", 1)
            if int(idx) != len(table):
                raise ValueError(f"left-id.def is not dense at id {idx}")
            # Unknown symbol characters (「,」 of 4,567, 「[」, 「-」) get this noun's left id while
            # their pos1 is 記号: on chABSA, EDINET and Wikipedia text it is the only id whose
            # tokens' pos1 differs from the id's, and only 記号 tokens carry it.
            if feature == "名詞,普通名詞,サ変可能,*,*,*,*,*,*":
                table.append(SYMBOL)
                continue
            table.append(_POS1_CLASS.get(feature.split(",", 1)[0], OTHER))
    return np.array(table, dtype=np.int8)


_TOKEN_CLASS = _token_class_table()
_IS_WORD = np.isin(np.arange(7), [OTHER, NOUN, PARTICLE, AUX, VERB])
_IS_FUNC = np.isin(np.arange(7), [PARTICLE, AUX])
_IS_PRED = np.isin(np.arange(7), [AUX, VERB])
IS_PREDICATE = _IS_PRED  # for TextAnalysis.per_line
IS_PARTICLE = np.arange(7) == PARTICLE


# Character classes are counted for the whole text at once with numpy: one UTF-32 encode, one
# lookup table from code point to class, one bincount per (line, class). A few ns per character.
CHAR_CLASSES = (
    "other", "hira", "kata", "kanji", "digit", "latin", "space", "symbol", "replacement", "mojibake", "newline",
)  # fmt: skip
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

    hira/kata/kanji: the scripts of kinyu.corpus.japanese (々〆〇 count as kanji, and so do the CJK
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


class TextAnalysis:
    """One MeCab parse of a text, kept per line.

    ``lines``: the text's lines; ``ids``: the left context ids of all tokens, in order (numpy);
    ``ntok``: tokens per line (numpy; 0 for a blank line); ``chars``: per-line character-class
    counts (numpy, shape (lines, ``CHAR_CLASSES``)).
    """

    __slots__ = ("text", "lines", "ids", "ntok", "chars", "cached_signals", "cached_tables")

    def __init__(self, text: str, lines: list[str], ids: np.ndarray, ntok: np.ndarray, chars: np.ndarray):
        self.text = text
        self.lines = lines
        self.ids = ids
        self.ntok = ntok
        self.chars = chars
        self.cached_signals: dict | None = None
        self.cached_tables: list[TableBlock] | None = None

    @property
    def tables(self) -> list[TableBlock]:
        """The Markdown tables among the lines (``kinyu.corpus.tables``)."""
        if self.cached_tables is None:
            self.cached_tables = table_blocks(self.lines) if has_table(self.text) else []
        return self.cached_tables

    def table_line_indices(self) -> set[int]:
        return table_lines(self.tables)

    def prose(self) -> TextAnalysis:
        """The analysis of the lines outside tables (itself when there are none)."""
        if not self.tables:
            return self
        in_table = self.table_line_indices()
        prose = self.subset([i for i in range(len(self.lines)) if i not in in_table])
        prose.cached_tables = []
        return prose

    def subset(self, keep: list[int]) -> TextAnalysis:
        """The analysis of the text made of the lines ``keep`` (indices, in order)."""
        lines = [self.lines[i] for i in keep]
        kept_line = np.zeros(len(self.lines), dtype=bool)
        kept_line[keep] = True
        token_line = np.repeat(np.arange(len(self.lines)), self.ntok)
        return TextAnalysis(
            "\n".join(lines), lines, self.ids[kept_line[token_line]], self.ntok[keep], self.chars[keep]
        )

    def per_line(self, table: np.ndarray) -> list[int]:
        """Per line, how many of its tokens the class table ``table`` (bool per class) selects."""
        hits = np.concatenate(([0], np.cumsum(table[_TOKEN_CLASS[self.ids]])))
        ends = np.cumsum(self.ntok)
        return (hits[ends] - hits[ends - self.ntok]).tolist()


def analyze_text(text: str) -> TextAnalysis:
    """Character classes for the whole text in one numpy pass, then one MeCab parse per line."""
    lines = text.split("\n")
    chars = char_class_counts(text)
    mecab_text = text.replace("\u3000", " ") if "\u3000" in text else text
    for terminator in SENTENCE_TERMINATORS:
        if terminator in mecab_text:
            mecab_text = mecab_text.replace(terminator, "\u3000")
    if ". " in mecab_text or ".\n" in mecab_text or mecab_text.endswith("."):
        mecab_text = RE_JAPANESE_FULL_STOP.sub("\u3000", mecab_text)
    parse = pos_tagger().parse
    outs = [parse(m) if line and not line.isspace() else "" for line, m in zip(lines, mecab_text.split("\n"))]
    ntok = np.array([o.count(" ") + 1 if o else 0 for o in outs], dtype=np.int64)
    ids = np.zeros(0, np.int64)
    if ntok.any():
        ids = np.fromstring(" ".join(o for o in outs if o), dtype=np.int64, sep=" ")
    if len(ids) != ntok.sum():
        raise RuntimeError("MeCab output does not match its token count")
    return TextAnalysis(text, lines, ids, ntok, chars)


def token_counts(analysis: TextAnalysis) -> dict:
    """Token signals of an analysis (see ``signals``)."""
    cls = _TOKEN_CLASS[analysis.ids]
    tokens = len(cls)
    if tokens == 0:
        return dict(tokens=0, words=0, func=0, pred=0, sentences=0, complete_sentences=0, max_run=0, list_run_tokens=0,
                    particle_starts=0)  # fmt: skip
    per_class = np.bincount(cls, minlength=7)
    is_pred = _IS_PRED[cls]
    terminators = int(per_class[TERM])
    # index of the last non-symbol token (word or sentence end) at or before each position
    idx = np.arange(tokens)
    last = np.maximum.accumulate(np.where(cls != SYMBOL, idx, -1))
    # Sentence units end at 。!? and at the end of a line. A unit is complete when it ends in
    # 。!? — whatever its last word: 体言止め (「…リスク。」) and the nominal endings of statutes
    # (「…であること。」「…もの。」) are sentences — or, at a line end without 。, when its last
    # word (closing brackets and other symbols skipped) is a predicate (動詞・助動詞・形容詞; chABSA
    # sentences, bullet items). Headings, table cells and menu items end in a noun with no 。.
    line_end = np.cumsum(analysis.ntok)[analysis.ntok > 0] - 1
    line_start = line_end - analysis.ntok[analysis.ntok > 0] + 1
    end_word = last[line_end]
    has_word = end_word >= line_start  # not a line of symbols only
    end_cls = cls[end_word[has_word]]
    open_end = end_cls != TERM
    # Lines that begin with a particle or an auxiliary (「の規定に基づき…」「を除く。」) begin
    # mid-sentence: text columns read out of order leave many of them.
    particle_starts = int(np.count_nonzero(_IS_FUNC[cls[line_start]]))
    pred_line_ends = int(np.count_nonzero(_IS_PRED[end_cls]))
    # A run of bullet lines ending in nouns (「・事務リスク」「・システムリスク」) is one list: one
    # complete unit, not many incomplete sentences.
    lines = [line for line, n in zip(analysis.lines, analysis.ntok.tolist()) if n]
    bullet = np.fromiter((line.lstrip()[:1] in BULLETS for line in lines), dtype=bool, count=len(lines))[has_word]
    nominal_bullet = bullet & open_end & ~_IS_PRED[end_cls]
    lists = int(np.count_nonzero(nominal_bullet[1:] & ~nominal_bullet[:-1])) + int(nominal_bullet[:1].sum())
    unterminated = int(np.count_nonzero(open_end)) - int(np.count_nonzero(nominal_bullet)) + lists
    # Longest run of tokens with no predicate and no sentence end; it runs on across line breaks
    # (PDF wraps, table rows, lists).
    breaks = np.nonzero(is_pred | (cls == TERM))[0]
    if len(breaks):
        gaps = np.diff(np.concatenate(([-1], breaks, [tokens]))) - 1
        max_run = int(gaps.max())
        list_run_tokens = int(gaps[gaps > LIST_RUN_TOKENS].sum())
    else:
        max_run = list_run_tokens = tokens
    return {
        "tokens": tokens,
        "words": int(per_class[_IS_WORD].sum()),
        "func": int(per_class[_IS_FUNC].sum()),
        "pred": int(per_class[_IS_PRED].sum()),
        "sentences": terminators + unterminated,
        "complete_sentences": terminators + pred_line_ends + lists,
        "max_run": max_run,
        "list_run_tokens": list_run_tokens,
        "particle_starts": particle_starts,
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


def round4(x: float) -> float:
    """A signal as stored in ``metadata["quality"]``: a plain float, 4 decimals (byte-stable metadata)."""
    return round(float(x), 4)


def signals(analysis: TextAnalysis) -> dict:
    """Document signals: plain ints and floats rounded to 4 decimals (byte-stable metadata).

    A document with tables (``kinyu.corpus.tables``) is judged as prose on its prose: every signal
    but ``chars`` is of the lines outside its tables (a statement's figures are not prose without
    particles); ``chars`` counts the tables too, and ``tables`` / ``table_chars`` say how many
    and how much (present only when there are tables, so the signals of other documents stay as
    they were).

    chars: non-space characters; lines: non-blank lines; sentences: sentence units (split at
    。!? and line ends; a run of nominal bullet lines is one unit); complete_sentences: those
    ending in 。!?, in a predicate, or a bullet list;
    japanese/hiragana/digit/symbol/latin/replacement/mojibake_ratio: shares of the characters
    (classes of ``char_class_counts``; symbol includes replacement and mojibake characters);
    words: MeCab tokens that are not symbols; function_word_ratio: 助詞+助動詞 per word;
    japanese_text_ratio / hiragana_text_ratio: hiragana+katakana+kanji / hiragana among the
    characters that are neither digits nor symbols (results prose full of 「1,234億円(前期比5.6%
    増)」 is Japanese and still writes its particles in hiragana);
    predicate_end_share: complete_sentences / sentences (the name is historical: units ending
    in a predicate, in 。 or as a list);
    max_noun_run: longest run of tokens without a predicate or a sentence end; list_run_share:
    share of the tokens inside such runs longer than ``LIST_RUN_TOKENS``;
    particle_start_share: share of lines whose first token is a particle or an auxiliary.
    """
    if analysis.cached_signals is not None:
        return dict(analysis.cached_signals)
    if analysis.tables:
        sig = signals(analysis.prose())
        total = analysis.chars.sum(axis=0)
        chars = int(total.sum() - total[CHAR_INDEX["space"]] - total[CHAR_INDEX["newline"]])
        sig.update(chars=chars, tables=len(analysis.tables), table_chars=chars - sig["chars"])
        analysis.cached_signals = sig
        return dict(sig)
    c = dict(zip(CHAR_CLASSES, analysis.chars.sum(axis=0).tolist()))
    chars = sum(c.values()) - c["space"] - c["newline"]
    div = chars or 1
    words_chars = max(chars - c["digit"] - c["symbol"], 1)  # the characters that are not figures
    lines = int(np.count_nonzero(analysis.ntok))
    t = token_counts(analysis)
    analysis.cached_signals = {
        "chars": chars,
        "lines": lines,
        "sentences": t["sentences"],
        "complete_sentences": t["complete_sentences"],
        "japanese_ratio": round4((c["hira"] + c["kata"] + c["kanji"]) / div),
        "hiragana_ratio": round4(c["hira"] / div),
        "japanese_text_ratio": round4((c["hira"] + c["kata"] + c["kanji"]) / words_chars),
        "hiragana_text_ratio": round4(c["hira"] / words_chars),
        "digit_ratio": round4(c["digit"] / div),
        "symbol_ratio": round4((c["symbol"] + c["replacement"] + c["mojibake"]) / div),
        "latin_ratio": round4(c["latin"] / div),
        "replacement_ratio": round4(c["replacement"] / div),
        "mojibake_ratio": round4(c["mojibake"] / div),
        "words": t["words"],
        "function_word_ratio": round4(t["func"] / t["words"]) if t["words"] else 0.0,
        "predicate_end_share": round4(t["complete_sentences"] / t["sentences"]) if t["sentences"] else 0.0,
        "max_noun_run": t["max_run"],
        "list_run_share": round4(t["list_run_tokens"] / t["tokens"]) if t["tokens"] else 0.0,
        "particle_start_share": round4(t["particle_starts"] / lines) if lines else 0.0,
    }
    return dict(analysis.cached_signals)
