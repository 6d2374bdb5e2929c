"""Document-level Japanese quality filters (datatrove ``BaseFilter``s).

The morphology filters (script, length, line-cleaning residue, symbol/digit, function words,
predicate endings, line starts, noun runs) read the signals of the document's one MeCab parse
(``kinyu.corpus.filters.analysis``) — they never tokenize again. Repetition, mojibake-free decoding
and boilerplate are character-level.
Each filter returns ``(False, reason)`` on drop, so datatrove counts ``dropped_<reason>`` and,
given an ``exclusion_writer``, writes the document with ``metadata["filter_reason"]``. All
signals go to ``metadata["quality"]`` (plain numbers rounded to 4 decimals), for the stats and
report code to build histograms from kept and removed documents alike.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.corpus.filters.annotate import JapaneseAnnotator, quality_signals
from kinyu.corpus.filters.thresholds import (
    BoilerplateConfig,
    DomainConfig,
    FunctionWordConfig,
    LengthConfig,
    LineStartConfig,
    MojibakeConfig,
    NounRunConfig,
    PredicateEndConfig,
    RepetitionConfig,
    ResidueConfig,
    ScriptConfig,
    SymbolDigitConfig,
)
from kinyu.corpus.filters.line_clean import JapaneseLineCleaner

__all__ = [
    "JapaneseAnnotator", "JapaneseLineCleaner", "MojibakeFilter", "JapaneseScriptFilter",
    "LengthFilter", "ResidueFilter", "SymbolDigitFilter", "FunctionWordFilter", "PredicateEndFilter",
    "LineStartFilter", "NounRunFilter", "RepetitionFilter", "BoilerplateFilter", "FinanceDomainTagger",
]  # fmt: skip


def _r(x: float) -> float:
    return round(float(x), 4)


class QualityFilter(BaseFilter):
    """A filter configured by one config dataclass, reading ``metadata["quality"]`` signals."""

    config_class: type = object
    signal_keys: tuple[str, ...] = ()

    def __init__(self, config=None, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer=exclusion_writer)
        self.config = config if config is not None else self.config_class()
        if not isinstance(self.config, self.config_class):
            raise TypeError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(self.config).__name__}"
            )

    def signals(self, doc: Document) -> dict:
        quality = quality_signals(doc)
        for key in self.signal_keys:
            self.stat_update(key, value=quality[key], unit="doc")
        return quality


class MojibakeFilter(QualityFilter):
    """Drops wrongly decoded documents: U+FFFD replacement characters (bytes that did not decode)
    or mojibake (Shift_JIS/UTF-8 read as Latin-1/cp1252 — 「ã‚¢」 — or UTF-8 read as cp932 —
    「縺ゅ」). Such text teaches a model garbage and cannot be repaired downstream."""

    name = "🧩 Mojibake"
    config_class = MojibakeConfig
    signal_keys = ("replacement_ratio", "mojibake_ratio")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["replacement_ratio"] > self.config.max_replacement_ratio:
            return False, "replacement_chars"
        if q["mojibake_ratio"] > self.config.max_mojibake_ratio:
            return False, "mojibake"
        return True


class JapaneseScriptFilter(QualityFilter):
    """Drops non-Japanese pages: too few hiragana/katakana/kanji (English pages, XBRL/code
    dumps), or too little hiragana (Chinese text, kanji/katakana keyword lists, tables), both
    counted among the characters that are not digits or symbols. Japanese prose, even kanji- and
    number-heavy results prose, keeps its particles in hiragana between the figures."""

    name = "🇯🇵 Japanese script"
    config_class = ScriptConfig
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


class LengthFilter(QualityFilter):
    """Drops documents too short to be text (or empty after line cleaning), with no complete
    sentence, or (optionally) too long."""

    name = "📏 Length"
    config_class = LengthConfig
    signal_keys = ("chars", "complete_sentences")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["chars"] < self.config.min_chars:
            return False, "too_short"
        if q["complete_sentences"] < self.config.min_sentences:
            return False, "too_few_sentences"
        if self.config.max_chars is not None and q["chars"] > self.config.max_chars:
            return False, "too_long"
        return True


class ResidueFilter(QualityFilter):
    """Drops what is left of tables, forms and templates after line cleaning: documents that the
    line cleaner took almost all of (a financial statement or a cover page leaves its captions and
    stock phrases, 「前事業年度(自…至…)」「該当事項はありません。」), and documents left with
    nothing but table rows (a cross-shareholding table keeps its rows of stock, number and
    rationale). They read as text but are no document. Does nothing when the line cleaner did
    not run (no ``removed_chars`` signal)."""

    name = "🧹 Line-cleaning residue"
    config_class = ResidueConfig

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        removed = q.get("removed_chars")
        if removed is None:
            return True
        share = _r(removed / max(removed + q["chars"], 1))
        q["removed_share"] = share
        self.stat_update("removed_share", value=share, unit="doc")
        if share > self.config.max_removed_share:
            return False, "mostly_removed"
        if "|" in doc.text:
            lines = [line for line in doc.text.split("\n") if line.strip()]
            in_rows = sum(len(line) for line in lines if line.count("|") >= 2)
            table_share = _r(in_rows / max(sum(map(len, lines)), 1))
            q["table_share"] = table_share
            if table_share > self.config.max_table_share:
                return False, "only_table_rows"
        return True


class SymbolDigitFilter(QualityFilter):
    """Drops symbol and digit dumps: number tables, code, ASCII art, XBRL contexts. Results prose
    has digits (「4,567億円」) but far below the share of a table."""

    name = "🔣 Symbols and digits"
    config_class = SymbolDigitConfig
    signal_keys = ("symbol_ratio", "digit_ratio")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["symbol_ratio"] > self.config.max_symbol_ratio:
            return False, "symbols"
        if q["digit_ratio"] > self.config.max_digit_ratio:
            return False, "digits"
        return True


class FunctionWordFilter(QualityFilter):
    """Drops documents with too few function words (助詞・助動詞) per word: Japanese sentences
    need particles and auxiliaries, lists/tables/keyword stuffing do not have them. The
    threshold sits well below noun-heavy results prose, which still has は・の・と・ました."""

    name = "🔗 Function words"
    config_class = FunctionWordConfig
    signal_keys = ("function_word_ratio",)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["function_word_ratio"] < self.config.min_function_word_ratio:
            return False, "few_function_words"
        return True


class PredicateEndFilter(QualityFilter):
    """Drops documents where too few sentences end in a predicate (動詞・助動詞・形容詞, before 。
    or at the line end): prose ends its sentences in predicates, menus, lists and tables end
    in nouns. Headings and 体言止め count against, so the threshold is low."""

    name = "🔚 Predicate endings"
    config_class = PredicateEndConfig
    signal_keys = ("predicate_end_share",)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["predicate_end_share"] < self.config.min_predicate_end_share:
            return False, "few_predicate_endings"
        return True


class LineStartFilter(QualityFilter):
    """Drops text whose lines begin mid-sentence, with a particle or an auxiliary: the columns of
    a page read in the wrong order (a vertical PDF extracted without vertical detection) splice
    pieces of different sentences into lines that look like prose one by one."""

    name = "🧩 Line starts"
    config_class = LineStartConfig
    signal_keys = ("particle_start_share",)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["lines"] >= self.config.min_lines and q["particle_start_share"] > self.config.max_particle_start_share:
            return False, "broken_lines"
        return True


class NounRunFilter(QualityFilter):
    """Drops documents with a very long run of tokens without any predicate or sentence end —
    number dumps, issuer lists, keyword walls — when such runs make up much of the document.
    Noun-heavy prose breaks its runs with 。 and verbs every few dozen tokens, so the length
    threshold is far above prose; a long statute with one appendix list stays."""

    name = "🧱 Noun runs"
    config_class = NounRunConfig
    signal_keys = ("max_noun_run", "list_run_share")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["max_noun_run"] > self.config.max_noun_run and q["list_run_share"] > self.config.max_list_run_share:
            return False, "long_noun_run"
        return True


def _ngram_hashes(cp: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash (mod 2**64) of every character n-gram of the code points ``cp``."""
    h = np.zeros(len(cp) - n + 1, dtype=np.uint64)
    base = np.uint64(1_000_003)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = h * base + cp[k : len(cp) - n + 1 + k]
    return h


def repetition_signals(text: str, top_sizes, dup_sizes) -> dict:
    """Gopher repetition signals on characters (whitespace removed for n-grams)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out = {}
    for name, units in (("line", lines), ("para", paras)):
        seen: set[str] = set()
        dup = dup_chars = 0
        for unit in units:
            if unit in seen:
                dup += 1
                dup_chars += len(unit)
            seen.add(unit)
        total_chars = sum(map(len, units)) or 1
        out[f"dup_{name}_frac"] = _r(dup / len(units)) if units else 0.0
        out[f"dup_{name}_char_frac"] = _r(dup_chars / total_chars)
    compact = "".join(text.split())
    cp = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    total = len(cp)
    for n in top_sizes:
        frac = 0.0
        if total >= n:
            _, inverse, counts = np.unique(_ngram_hashes(cp, n), return_inverse=True, return_counts=True)
            # characters covered by the occurrences of the most frequent n-gram
            frac = _covered(np.nonzero(inverse == counts.argmax())[0], n, total)
        out[f"top_{n}gram_frac"] = _r(frac)
    for n in dup_sizes:
        frac = 0.0
        if total >= n:
            _, first, inverse = np.unique(_ngram_hashes(cp, n), return_index=True, return_inverse=True)
            # characters covered by every occurrence of an n-gram but its first
            frac = _covered(np.nonzero(first[inverse] != np.arange(len(inverse)))[0], n, total)
        out[f"dup_{n}gram_char_frac"] = _r(frac)
    return out


def _covered(starts: np.ndarray, n: int, total: int) -> float:
    """Share of ``total`` positions covered by the spans [start, start + n)."""
    if not len(starts):
        return 0.0
    cover = np.zeros(total + 1, dtype=np.int64)
    np.add.at(cover, starts, 1)
    np.add.at(cover, starts + n, -1)
    return np.count_nonzero(np.cumsum(cover)[:total]) / total


class RepetitionFilter(QualityFilter):
    """Drops repetitive documents, Gopher-style (Rae et al. 2021) on characters: duplicated lines
    or paragraphs (scraped menus, repeated ad copy), one character n-gram dominating, or much
    of the text inside repeated character n-grams. Japanese has no spaces, so n-grams are of
    characters, not words. A long document that is otherwise clean prose gets a fixed slack on
    every threshold: formal text repeats its set phrases and provisions."""

    name = "🔁 Repetition"
    config_class = RepetitionConfig

    def __init__(self, config=None, exclusion_writer: DiskWriter | None = None):
        super().__init__(config, exclusion_writer)
        c = self.config
        if len(c.top_ngram_sizes) != len(c.max_top_ngram_frac) or len(c.dup_ngram_sizes) != len(c.max_dup_ngram_frac):
            raise ValueError("repetition: each n-gram size list needs a threshold list of the same length")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        c = self.config
        rep = repetition_signals(doc.text, c.top_ngram_sizes, c.dup_ngram_sizes)
        quality = doc.metadata.setdefault("quality", {})
        quality.update(rep)
        self.stat_update("dup_line_frac", value=rep["dup_line_frac"], unit="doc")
        # A long document that is otherwise clean prose may repeat more: statutes restate their
        # provisions for each ward type or series (several signals together, not one threshold).
        q = quality_signals(doc)
        slack = c.long_clean_slack if (
            q["chars"] >= c.long_clean_min_chars
            and q["predicate_end_share"] >= c.long_clean_min_predicate_end_share
            and q["function_word_ratio"] >= c.long_clean_min_function_word_ratio
        ) else 0.0  # fmt: skip
        quality["repetition_slack"] = slack
        if rep["dup_line_frac"] > c.max_dup_line_frac + slack:
            return False, "dup_lines"
        if rep["dup_line_char_frac"] > c.max_dup_line_char_frac + slack:
            return False, "dup_line_chars"
        if rep["dup_para_frac"] > c.max_dup_para_frac + slack:
            return False, "dup_paragraphs"
        if rep["dup_para_char_frac"] > c.max_dup_para_char_frac + slack:
            return False, "dup_paragraph_chars"
        long_enough = len("".join(doc.text.split())) >= c.top_ngram_min_chars
        for n, limit in zip(c.top_ngram_sizes, c.max_top_ngram_frac):
            if long_enough and rep[f"top_{n}gram_frac"] > limit + slack:
                return False, f"top_{n}gram"
        for n, limit in zip(c.dup_ngram_sizes, c.max_dup_ngram_frac):
            if rep[f"dup_{n}gram_char_frac"] > limit + slack:
                return False, f"dup_{n}gram"
        return True


RE_BOILERPLATE_PHRASES = re.compile(
    r"cookie|クッキー|プライバシーポリシー|個人情報保護方針|利用規約|ご利用にあたって|ログイン|ログアウト|会員登録|"
    r"新規登録|パスワード|お問い合わせ|お問合せ|サイトマップ|copyright|©|all rights reserved|無断転載|javascript|"
    r"ブラウザ|ページの先頭|ページトップ|でシェア|ツイート|メールマガジン|メルマガ",
    re.IGNORECASE,
)


class BoilerplateFilter(QualityFilter):
    """Drops pages that are mostly site chrome — cookie banners, login walls, menus, copyright
    and share buttons — judged on what the line cleaner left (which removes short boilerplate
    lines on its own): a high density of boilerplate phrases per 1000 characters."""

    name = "🍪 Boilerplate"
    config_class = BoilerplateConfig

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        hits = len(RE_BOILERPLATE_PHRASES.findall(doc.text))
        chars = max(len(doc.text), 1)
        density = _r(hits * 1000 / chars)
        doc.metadata.setdefault("quality", {})["boilerplate_per_1000"] = density
        self.stat_update("boilerplate_per_1000", value=density, unit="doc")
        if hits >= self.config.min_phrases and density > self.config.max_phrases_per_1000_chars:
            return False, "boilerplate"
        return True


DEFAULT_LEXICON = Path(__file__).with_name("finance_lexicon.tsv")


@lru_cache(maxsize=8)
def load_lexicon(path: str) -> tuple[re.Pattern, dict[str, float]]:
    """Read a ``term<TAB>weight`` TSV (``#`` comments) into one regex and a weight table."""
    weights: dict[str, float] = {}
    for no, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ValueError(f"{path}:{no}: expected 'term<TAB>weight', got {raw!r}")
        try:
            weights[parts[0]] = float(parts[1])
        except ValueError:
            raise ValueError(f"{path}:{no}: weight {parts[1]!r} is not a number") from None
    if not weights:
        raise ValueError(f"{path}: no terms")
    # longest first, so 営業利益 wins over 利益
    pattern = re.compile("|".join(map(re.escape, sorted(weights, key=lambda t: (-len(t), t)))))
    return pattern, weights


def finance_score(text: str, path: str | Path = DEFAULT_LEXICON) -> tuple[float, int]:
    """(weighted lexicon hits per 1000 characters, number of distinct terms found)."""
    pattern, weights = load_lexicon(str(path))
    hits = pattern.findall(text)
    score = sum(weights[h] for h in hits) * 1000 / max(len(text), 1)
    return _r(score), len(set(hits))


class FinanceDomainTagger(QualityFilter):
    """Tags each document with a finance-domain score (``quality["finance_score"]``: weighted
    lexicon hits per 1000 characters, lexicon in ``finance_lexicon.tsv``) and the number of
    distinct finance terms. Keeps everything unless ``min_score`` is set, then drops documents
    below it as ``off_domain`` — for crawls that mix domains."""

    name = "💴 Finance domain"
    config_class = DomainConfig

    def __init__(self, config=None, exclusion_writer: DiskWriter | None = None):
        super().__init__(config, exclusion_writer)
        self.lexicon = Path(self.config.lexicon_path) if self.config.lexicon_path else DEFAULT_LEXICON
        if not self.lexicon.is_file():
            raise FileNotFoundError(f"finance lexicon not found: {self.lexicon}")
        load_lexicon(str(self.lexicon))  # fail early on a malformed file

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        score, terms = finance_score(doc.text, self.lexicon)
        quality = doc.metadata.setdefault("quality", {})
        quality["finance_score"] = score
        quality["finance_terms"] = terms
        self.stat_update("finance_score", value=score, unit="doc")
        if self.config.min_score is not None and score < self.config.min_score:
            return False, "off_domain"
        return True
