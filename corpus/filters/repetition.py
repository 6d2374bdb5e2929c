"""The repetition filter (``quality.repetition``), Gopher-style on characters: duplicated lines
and paragraphs, the most frequent character n-gram, characters inside repeated n-grams. Its
signals (``repetition_signals``) are computed here, on the text the line cleaner left; the
slack for long, clean documents reads the shared parse's signals."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.analysis import get_analysis, round4
from kinyu.corpus.filters.annotate import quality_signals
from kinyu.corpus.filters.base import QualityFilter


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

    def problems(self) -> list[str]:
        """Each n-gram size needs its threshold, and a size of at least 1."""
        found = []
        for sizes, limits in (("top_ngram_sizes", "max_top_ngram_frac"), ("dup_ngram_sizes", "max_dup_ngram_frac")):
            n_sizes, n_limits = len(getattr(self, sizes)), len(getattr(self, limits))
            if n_sizes != n_limits:
                found.append(f"{limits}: one threshold per size of {sizes} (the same length), got {n_limits} for {n_sizes} sizes")
            if any(n < 1 for n in getattr(self, sizes)):
                found.append(f"{sizes}: n-gram sizes must be >= 1, got {list(getattr(self, sizes))}")
        return found


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
        out[f"dup_{name}_frac"] = round4(dup / len(units)) if units else 0.0
        out[f"dup_{name}_char_frac"] = round4(dup_chars / total_chars)
    compact = "".join(text.split())
    cp = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    total = len(cp)
    for n in top_sizes:
        frac = 0.0
        if total >= n:
            _, inverse, counts = np.unique(_ngram_hashes(cp, n), return_inverse=True, return_counts=True)
            # characters covered by the occurrences of the most frequent n-gram
            frac = _covered(np.nonzero(inverse == counts.argmax())[0], n, total)
        out[f"top_{n}gram_frac"] = round4(frac)
    for n in dup_sizes:
        frac = 0.0
        if total >= n:
            _, first, inverse = np.unique(_ngram_hashes(cp, n), return_index=True, return_inverse=True)
            # characters covered by every occurrence of an n-gram but its first
            frac = _covered(np.nonzero(first[inverse] != np.arange(len(inverse)))[0], n, total)
        out[f"dup_{n}gram_char_frac"] = round4(frac)
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
    judges_prose = True

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        c = self.config
        # of the prose: a table's rows and its separator repeat cells by design
        prose = get_analysis(doc).prose().text
        rep = repetition_signals(prose, c.top_ngram_sizes, c.dup_ngram_sizes)
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
        long_enough = len("".join(prose.split())) >= c.top_ngram_min_chars
        for n, limit in zip(c.top_ngram_sizes, c.max_top_ngram_frac):
            if long_enough and rep[f"top_{n}gram_frac"] > limit + slack:
                return False, f"top_{n}gram"
        for n, limit in zip(c.dup_ngram_sizes, c.max_dup_ngram_frac):
            if rep[f"dup_{n}gram_char_frac"] > limit + slack:
                return False, f"dup_{n}gram"
        return True
