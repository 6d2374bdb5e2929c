"""Configuration of the Japanese quality filters and the builder of their pipeline steps.

Every threshold has its default next to the reason for it: a measurement on the shared real
data (``../shared/data/real``: chABSA 有価証券報告書 sentences joined per company = prose that
must be kept; EDINET 有価証券報告書 sections extracted with trafilatura = prose plus table
residue) or the source it comes from. ``benchmarks/filters_thresholds.py`` prints those
distributions again. Each filter has an ``enabled`` flag so it can be ablated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from corpus.filters.line_clean import LineCleanConfig


@dataclass
class ScriptConfig:
    """Non-Japanese pages: too few Japanese characters, or too little hiragana."""

    enabled: bool = True
    # Share of non-space characters that are hiragana/katakana/kanji. chABSA company documents:
    # min 0.70, median 0.84; EDINET 事業の状況 sections 0.74-0.83 after line cleaning; the EDINET
    # cover pages (XBRL ids leaking into the text) 0.01; an English page ~0. 0.5 keeps a margin
    # for number-heavy results prose.
    min_japanese_ratio: float = 0.5
    # Share of hiragana: Japanese prose is written with particles and verb endings in hiragana.
    # chABSA: min 0.17, median 0.29; Chinese text and kanji/katakana keyword lists ~0. 0.1 (the
    # value used for Japanese web-corpus cleaning in e.g. Swallow/llm-jp filters is 0.1-0.2; the
    # lower end here because financial prose is kanji-heavy).
    min_hiragana_ratio: float = 0.1


@dataclass
class MojibakeConfig:
    """Wrong decodes: U+FFFD replacement characters and Latin-1/cp1252/cp932 mojibake."""

    enabled: bool = True
    # chABSA and EDINET: 0 replacement characters. A page decoded with errors="replace" from
    # Shift_JIS has one per 2 bytes of Japanese. 0.001 = one per 1000 characters tolerated.
    max_replacement_ratio: float = 0.001
    # chABSA/EDINET: 0 (max 0.0002 from names like "Société"). UTF-8 read as cp1252 ("ã‚¢") or
    # cp932 ("縺ゅ") is 30-60% such characters. 0.01.
    max_mojibake_ratio: float = 0.01


@dataclass
class LengthConfig:
    """Too short (or, optionally, too long) in characters and sentences."""

    enabled: bool = True
    # The shortest chABSA company document has 45 characters (one sentence); risk items can be
    # short too. 40 drops empty/near-empty pages and what the line cleaner left of a table.
    min_chars: int = 40
    # At least one complete sentence (ending in 。 or in a predicate): a page of headings and
    # nouns has none. chABSA: min 1.
    min_sentences: int = 1
    # No upper bound by default (EDINET sections reach 100k characters and are fine).
    max_chars: int | None = None


@dataclass
class SymbolDigitConfig:
    """Symbol and digit dumps (number tables, code, ASCII art)."""

    enabled: bool = True
    # Share of symbols (ASCII punctuation, arrows, box drawing, △■; not 、。「」). chABSA: max
    # 0.10, median 0.04; EDINET 事業の状況 0.03-0.06 after cleaning; a markdown table dump 0.3+.
    max_symbol_ratio: float = 0.25
    # Share of digits. chABSA: max 0.20 (results paragraphs), median 0.04; number dumps 0.5+.
    max_digit_ratio: float = 0.35


@dataclass
class FunctionWordConfig:
    """Too few function words (助詞・助動詞) per word: lists, tables, keyword stuffing."""

    enabled: bool = True
    # chABSA: min 0.24, median 0.33 (noun-heavy results prose like 「売上高は前期比12.3%増の
    # 4,567億円となりました。」 is 0.29); a table dump or keyword list < 0.05. 0.12.
    min_function_word_ratio: float = 0.12


@dataclass
class PredicateEndConfig:
    """Too few sentences ending in a predicate (動詞・助動詞・形容詞, with or without 。)."""

    enabled: bool = True
    # Share of sentences (split at 。!? and line ends) whose last word is a predicate.
    # chABSA: min 0.50, median 0.93; EDINET 事業の状況 after cleaning 0.45-0.70 (headings count
    # as sentences); navigation, lists and tables ~0. 0.2.
    min_predicate_end_share: float = 0.2


@dataclass
class NounRunConfig:
    """Long runs of tokens with no predicate and no sentence end: number dumps, issuer lists."""

    enabled: bool = True
    # Longest run in MeCab tokens (it runs on across line breaks). chABSA: max 76 (a sentence
    # listing 売上高・営業利益・経常利益 with amounts), median 31; EDINET 事業の状況 after cleaning
    # up to ~150 (headings between paragraphs); a flattened table or a list of issuers: thousands.
    max_noun_run: int = 300


@dataclass
class RepetitionConfig:
    """Repetition, Gopher-style (Rae et al. 2021, table A1) but on characters, since Japanese has
    no spaces: duplicated lines and paragraphs, the most frequent character n-gram, and the share
    of characters inside duplicated character n-grams."""

    enabled: bool = True
    # Gopher: 0.30 of lines / 0.20 of characters in duplicated lines. EDINET sections repeat
    # 「該当事項はありません。」 a few times (max 0.12 of lines); chABSA max 0.03.
    max_dup_line_frac: float = 0.3
    max_dup_line_char_frac: float = 0.2
    max_dup_para_frac: float = 0.3
    max_dup_para_char_frac: float = 0.2
    # Most frequent character n-gram's share of characters (Gopher: top word 2-4-gram <= 0.20-0.16;
    # one word ~ 2 characters). chABSA max 0.05 for n=4.
    top_ngram_sizes: tuple[int, ...] = (4, 8)
    max_top_ngram_frac: tuple[float, ...] = (0.15, 0.12)
    # Share of characters inside repeated character n-grams (Gopher: word 5-10-grams <= 0.15-0.10).
    # chABSA: max 0.19 for n=10 (companies repeat 「当連結会計年度における」 and 「前年同期比」); ad
    # copy repeated 5 times: 0.8.
    dup_ngram_sizes: tuple[int, ...] = (10, 20)
    max_dup_ngram_frac: tuple[float, ...] = (0.35, 0.25)


@dataclass
class BoilerplateConfig:
    """Pages that are mostly site chrome: cookie banners, menus, copyright, login walls."""

    enabled: bool = True
    # Boilerplate phrases (Cookie, 利用規約, ログイン, Copyright, シェア, …) per 1000 characters
    # of what the line cleaner left. chABSA and EDINET: 0 (max 0.6); a cookie/login page: 10+.
    max_phrases_per_1000_chars: float = 4.0
    # ... and at least this many phrases (one mention of 利用規約 in a short note is fine).
    min_phrases: int = 3


@dataclass
class DomainConfig:
    """Finance-domain score from a weighted lexicon (tags every document; drops only with
    ``min_score``), for crawls that mix domains."""

    enabled: bool = True
    # TSV of ``term<TAB>weight``; None = the packaged corpus/filters/finance_lexicon.tsv.
    lexicon_path: str | None = None
    # Drop documents scoring below this (weighted lexicon hits per 1000 characters). None: tag
    # only. chABSA: min 22, median 60; Wikipedia company sentences: median 6; MHLW 診療報酬 2.
    min_score: float | None = None


@dataclass
class QualityConfig:
    """All Japanese quality steps, in pipeline order (annotate → line cleaning → document
    filters → domain tagger)."""

    line_clean: LineCleanConfig = field(default_factory=LineCleanConfig)
    mojibake: MojibakeConfig = field(default_factory=MojibakeConfig)
    script: ScriptConfig = field(default_factory=ScriptConfig)
    length: LengthConfig = field(default_factory=LengthConfig)
    symbol_digit: SymbolDigitConfig = field(default_factory=SymbolDigitConfig)
    function_words: FunctionWordConfig = field(default_factory=FunctionWordConfig)
    predicate_end: PredicateEndConfig = field(default_factory=PredicateEndConfig)
    noun_run: NounRunConfig = field(default_factory=NounRunConfig)
    repetition: RepetitionConfig = field(default_factory=RepetitionConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    domain: DomainConfig = field(default_factory=DomainConfig)


def quality_steps(cfg: QualityConfig, removed_folder: str | Path | None = None) -> list:
    """The quality steps in order, each filter writing what it drops to ``removed/<slug>/``."""
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    from corpus.filters import steps as s

    def writer(slug: str):
        if removed_folder is None:
            return None
        return JsonlWriter(f"{removed_folder}/{slug}", output_filename="${rank}.jsonl.gz")

    pipeline: list = [s.JapaneseAnnotator()]
    if cfg.line_clean.enabled:
        pipeline.append(s.JapaneseLineCleaner(cfg.line_clean, exclusion_writer=writer("line_clean")))
    filters = [
        (cfg.mojibake, s.MojibakeFilter, "mojibake"),
        (cfg.script, s.JapaneseScriptFilter, "script"),
        (cfg.length, s.LengthFilter, "length"),
        (cfg.symbol_digit, s.SymbolDigitFilter, "symbol_digit"),
        (cfg.function_words, s.FunctionWordFilter, "function_words"),
        (cfg.predicate_end, s.PredicateEndFilter, "predicate_end"),
        (cfg.noun_run, s.NounRunFilter, "noun_run"),
        (cfg.repetition, s.RepetitionFilter, "repetition"),
        (cfg.boilerplate, s.BoilerplateFilter, "boilerplate"),
        (cfg.domain, s.FinanceDomainTagger, "domain"),
    ]
    for sub, cls, slug in filters:
        if sub.enabled:
            pipeline.append(cls(sub, exclusion_writer=writer(slug)))
    return pipeline
