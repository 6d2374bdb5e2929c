"""Thresholds of the Japanese document filters, one dataclass per filter, each default beside its reason.

Every threshold has its default next to the reason for it: a measurement on the shared real
data (``../shared/data/real``: chABSA 有価証券報告書 sentences joined per company = prose that
must be kept; EDINET 有価証券報告書 sections extracted with trafilatura = prose plus table
residue) or the source it comes from. ``benchmarks/filters_thresholds.py`` prints those
distributions again. Each filter has an ``enabled`` flag so it can be ablated.
"""

from __future__ import annotations

from dataclasses import dataclass
from kinyu.base.config import option


# How the defaults were measured (benchmarks/filters_thresholds.py prints it again): every signal
# computed by these steps, after line cleaning, on
#   chABSA    230 documents, one per company: its 有価証券報告書 sentences, one per line, 「。」
#             restored, normalised (kinyu.corpus.normalize) — real financial prose that must be kept;
#   EDINET    18 real 有価証券報告書 sections (edinet-asr-html) through kinyu.corpus.extract.html + normaliser:
#             第2 事業の状況 (prose) and 第4 提出会社の状況 (table-heavy), 2 cover pages;
#   Wikipedia 179 documents of 20 sentences (wikipedia-ner-ja): general prose, for the domain score.
# Written as "chABSA min/median, EDINET prose sections min-max".



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


@dataclass
class MojibakeConfig:
    """Wrong decodes: U+FFFD replacement characters and Latin-1/cp1252/cp932 mojibake."""

    enabled: bool = option(True, "run the mojibake filter")
    # chABSA, EDINET, Wikipedia: no U+FFFD at all. Shift_JIS decoded as UTF-8 with
    # errors="replace" has about one per Japanese character. 0.001 = one per 1000 characters.
    max_replacement_ratio: float = option(0.001, "drop above this share of U+FFFD replacement characters")
    # chABSA max 0.0017 (accented Latin in foreign company names), EDINET 0. UTF-8 read as cp1252
    # (「ã‚¢」) or as cp932 (「縺ゅ」) is 30-60% such characters. 0.01.
    max_mojibake_ratio: float = option(0.01, "drop above this share of mojibake characters")


@dataclass
class LengthConfig:
    """Too short (or, optionally, too long) in characters and sentences."""

    enabled: bool = option(True, "run the length filter")
    # Non-space characters. chABSA min 512; EDINET cover pages are 0 after line cleaning. 50 is
    # about one sentence: it drops empty and near-empty leftovers, not short notices.
    min_chars: int = option(50, "drop below this many non-space characters")
    # Sentences ending in 。!? or in a predicate. chABSA min 5; a page of headings and nouns has 0.
    min_sentences: int = option(1, "drop below this many complete sentences")
    # No upper bound by default (EDINET sections reach 90k characters and are fine).
    max_chars: int | None = option(None, "drop above this many characters (none: no limit)")


@dataclass
class ResidueConfig:
    """Documents that the line cleaner took almost all of: what is left of a table, a form or a
    template (captions, 「該当事項はありません。」, 「○年○月末現在」) is not a document."""

    enabled: bool = option(True, "run the residue filter")
    # Share of a document's characters that line cleaning removed. On the labelled evaluation set
    # (tests/data/filters_eval): tables, cover pages and placeholder templates lose 0.78-1.0,
    # while documents labelled keep lose at most 0.52 (a 決算 section cut through its tables) and
    # the whole EDINET 第4【提出会社の状況】 sections 0.34-0.44. 0.75.
    max_removed_share: float = option(0.75, "drop when line cleaning removed more than this share of the characters")
    # Share of the characters left that sit in |-table rows (the line cleaner keeps a row whose
    # cell holds a sentence). Cross-shareholding tables give each stock a sentence of rationale:
    # what is left of them is 1.0 table rows; documents labelled keep reach 0.68 (a risk table
    # with its lead paragraph), whole EDINET 第4 sections 0.07-0.33. 0.9.
    max_table_share: float = option(0.9, "drop when more than this share of the remaining characters is |-table rows")


@dataclass
class SymbolDigitConfig:
    """Symbol and digit dumps (number tables, code, ASCII art)."""

    enabled: bool = option(True, "run the symbol/digit filter")
    # Share of symbols (ASCII punctuation, arrows, box drawing, △■; not 、。「」). chABSA max 0.095
    # / median 0.031; EDINET max 0.040 after cleaning; the EDINET sample instances with their
    # placeholder dots (「……」) reach 0.87. 0.25.
    max_symbol_ratio: float = option(0.25, "drop above this share of symbols")
    # Share of digits. chABSA max 0.147 / median 0.057 (results paragraphs); EDINET max 0.068;
    # number dumps 0.5+. 0.35.
    max_digit_ratio: float = option(0.35, "drop above this share of digits")


@dataclass
class FunctionWordConfig:
    """Too few function words (助詞・助動詞) per word: lists, tables, keyword stuffing."""

    enabled: bool = option(True, "run the function-word filter")
    # Function words / words (MeCab tokens that are not symbols). chABSA min 0.194 / median 0.296
    # (「売上高は前期比12.3%増の4,567億円となりました。」 alone is 0.29); EDINET 0.30-0.33;
    # Wikipedia min 0.28; a table row or keyword list ~0-0.05. 0.12.
    min_function_word_ratio: float = option(0.12, "drop below this share of 助詞・助動詞 among words")


@dataclass
class PredicateEndConfig:
    """Too few sentences ending in a predicate (動詞・助動詞・形容詞, with or without 。)."""

    enabled: bool = option(True, "run the predicate-ending filter")
    # Share of sentence units (split at 。!? and line ends; headings count, a run of nominal
    # bullet lines is one unit) that end as sentences: in 。!? whatever the last word (体言止め,
    # statutes' 「…であること。」), or in a predicate at a line end. chABSA min 0.76 / median 1.0;
    # EDINET sections median 0.75; Wikipedia 1.0; MHLW 告示 whole 0.51-0.59 and 4k chunks up to
    # 0.69 (0.09-0.26 when only predicate endings counted, which dropped them whole); fee
    # schedules 0.41-0.72; menus, lists of headings and tables ~0. 0.2.
    min_predicate_end_share: float = option(0.2, "drop below this share of sentences ending in a predicate")


@dataclass
class LineStartConfig:
    """Text whose lines begin mid-sentence: columns read out of order (a vertical PDF extracted
    without vertical detection) splice fragments of different sentences together."""

    enabled: bool = option(True, "run the line-start filter")
    # Share of lines whose first token is a particle or an auxiliary (「の規定に基づき」「を除く」).
    # The MHLW 告示 without vertical detection: 0.28. Read in order, the whole 告示 0.03-0.08,
    # the fee schedules (hard-wrapped PDF lines) at most 0.065; chABSA max 0.091, EDINET
    # sections 0.009, Wikipedia 0.05. 0.15.
    max_particle_start_share: float = option(0.15, "drop above this share of lines starting with a particle or auxiliary")
    # ... judged on documents of at least this many lines: a 4-line notice whose PDF wrapped
    # 「取\nり扱う。」 has 2 such lines in 4.
    min_lines: int = option(10, "only judge documents with at least this many lines")


@dataclass
class NounRunConfig:
    """Long runs of tokens with no predicate and no sentence end: number dumps, issuer lists."""

    enabled: bool = option(True, "run the noun-run filter")
    # Longest run in MeCab tokens; it runs on across line breaks. chABSA max 306 (a company
    # listing its stores by prefecture and city) / p99 116 / median 55; EDINET max 135 after
    # cleaning (369 before the table-row rule); a flattened table or a list of issuers runs to
    # thousands. 400.
    max_noun_run: int = option(400, "drop above this many tokens in a row without predicate or sentence end")
    # ... and more than this share of all tokens inside runs longer than 200 tokens (lists and
    # tables, kinyu.corpus.filters.analysis.LIST_RUN_TOKENS): a whole MHLW 告示 (100k characters) has
    # one appendix list of 693-707 tokens, 0.014-0.018 of its tokens, and is a statute; a
    # flattened number table or an issuer list is nothing but such runs (1.0). 0.2.
    max_list_run_share: float = option(0.2, "... and more than this share of tokens in runs longer than 200 tokens")


@dataclass
class RepetitionConfig:
    """Repetition, Gopher-style (Rae et al. 2021, table A1) but on characters, since Japanese has
    no spaces: duplicated lines and paragraphs, the most frequent character n-gram, and the share
    of characters inside repeated character n-grams."""

    enabled: bool = option(True, "run the repetition filter")
    # Gopher's defaults: 0.30 of lines / 0.20 of their characters duplicated, same for paragraphs.
    # Measured after line cleaning, which keeps one copy of every repeated line of 40+ characters
    # (line_clean.duplicate_line_min_chars): what is left repeated are short lines — menus, ad
    # lines, captions. chABSA max 0.18 / 0.11 before that dedup; EDINET sections max 0.004, and
    # the two SMFG 第4 sections that repeat the same stock-option notes for 7 series (0.45-0.52 of
    # their lines, dropped whole as dup_lines before the dedup) still 0.27-0.30 — their short
    # per-series captions — which the slack for long, clean documents (below) lets through.
    max_dup_line_frac: float = option(0.3, "drop above this share of duplicated lines")
    max_dup_line_char_frac: float = option(0.2, "drop above this share of characters in duplicated lines")
    max_dup_para_frac: float = option(0.3, "drop above this share of duplicated paragraphs")
    max_dup_para_char_frac: float = option(0.2, "drop above this share of characters in duplicated paragraphs")
    # Characters covered by the most frequent character n-gram (Gopher: word 2-4-grams, 0.20-0.16;
    # a word is ~2 characters). chABSA max 0.084 (n=4) and 0.148 (n=8); EDINET max 0.042 / 0.029.
    top_ngram_sizes: tuple[int, ...] = option((4, 8), "character n-gram sizes for the most-frequent-n-gram check")
    max_top_ngram_frac: tuple[float, ...] = option((0.15, 0.2), "per size: drop above this share of characters in the most frequent n-gram")
    # The most-frequent-n-gram share means nothing in a sentence or two: one term said three
    # times (「漏電遮断機構…漏電遮断特性…漏電遮断器」) covers 17% of a 69-character notice. Below
    # this many non-space characters only the repeated-n-gram and duplicate-line checks run.
    top_ngram_min_chars: int = option(100, "run the most-frequent-n-gram check only on texts this long")
    # Characters inside repeated character n-grams, first occurrence excluded (Gopher: word 5-10-
    # grams, 0.15-0.10). Financial prose repeats its set phrases (「当連結会計年度における」,
    # 「前年同期比」): chABSA max 0.385 (n=10) / 0.215 (n=20); EDINET max 0.534 / 0.427 without the
    # two SMFG sections above (0.53-0.59 / 0.46-0.51 after line dedup). Statutes repeat theirs
    # far more (「別に厚生労働大臣が定める施設基準に適合しているものとして地方厚生局長等に届け出た
    # 保険医療機関」): the MHLW 告示 (whole, 105-118k
    # characters) reach 0.72-0.74 / 0.52-0.56. One advert with a varying number, 8 times: 0.85 /
    # 0.80. 0.8 / 0.65.
    dup_ngram_sizes: tuple[int, ...] = option((10, 20), "character n-gram sizes for the repeated-n-gram check")
    max_dup_ngram_frac: tuple[float, ...] = option((0.8, 0.65), "per size: drop above this share of characters in repeated n-grams")
    # Documents at least this long whose prose signals are clean get ``long_clean_slack`` added
    # to every share threshold above. Chunks of ~5k characters of the MHLW 告示 that restate the
    # same provisions for each ward type (七対一, 十対一, 十三対一…) reach 0.78 / 0.67 in repeated
    # 10/20-grams and 0.20 of characters in duplicated lines (tests/data/filters_eval/heldout.jsonl,
    # where two of four such chunks were dropped before the slack); their predicate_end_share is
    # 0.63-0.67 and function_word_ratio 0.25-0.28. The 8-line advert (0.85 / 0.80) is short and
    # gets no slack. 2000 characters, 0.5, 0.2, +0.1.
    long_clean_min_chars: int = option(2000, "slack only for documents this long")
    long_clean_min_predicate_end_share: float = option(0.5, "... whose predicate_end_share is at least this")
    long_clean_min_function_word_ratio: float = option(0.2, "... and whose function_word_ratio is at least this")
    long_clean_slack: float = option(0.1, "added to every share threshold for long, otherwise clean documents")


@dataclass
class BoilerplateConfig:
    """Pages that are mostly site chrome: cookie banners, menus, copyright, login walls."""

    enabled: bool = option(True, "run the boilerplate filter")
    # Boilerplate phrases (Cookie, 利用規約, ログイン, Copyright, お問い合わせ, …) per 1000
    # characters of what the line cleaner left. chABSA max 0.60; EDINET 0; a cookie/login page
    # 10+. 4.
    max_phrases_per_1000_chars: float = option(4.0, "drop above this many boilerplate phrases per 1000 characters")
    # ... and at least this many phrases (one mention of 利用規約 in a short note is fine).
    min_phrases: int = option(3, "... and with at least this many boilerplate phrases")


@dataclass
class DomainConfig:
    """Finance-domain score from a weighted lexicon (tags every document; drops only with
    ``min_score``), for crawls that mix domains."""

    enabled: bool = option(True, "run the finance-domain tagger")
    # TSV of ``term<TAB>weight``; None = the packaged corpus/filters/finance_lexicon.tsv.
    lexicon_path: str | None = option(None, "finance lexicon TSV (term<TAB>weight); none: the packaged one")
    # Drop documents scoring below this (weighted lexicon hits per 1000 characters). None: tag
    # only. chABSA min 35 / median 142; EDINET sections 85-152; Wikipedia (company articles
    # included) median 10, max 36. 40 would separate these two sets.
    min_score: float | None = option(None, "drop below this finance score (none: tag only)")
