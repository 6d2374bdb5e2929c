"""The finance-domain tagger (``quality.domain``): a finance score from a weighted lexicon
(``finance_lexicon.tsv``) on every document, a filter only with ``min_score``. The score
(``finance_score``) is computed here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.base.config import option
from kinyu.corpus.filters.analysis import round4
from kinyu.corpus.filters.base import QualityFilter


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
    return round4(score), len(set(hits))


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

    def lexicon(self) -> Path:
        """The lexicon file: ``lexicon_path``, or the packaged one."""
        return Path(self.lexicon_path) if self.lexicon_path else DEFAULT_LEXICON

    def problems(self) -> list[str]:
        """The lexicon must exist and read."""
        path = self.lexicon()
        if not path.is_file():
            return [f"lexicon_path: finance lexicon not found: {path}"]
        try:
            load_lexicon(str(path))
        except ValueError as e:
            return [f"lexicon_path: {e}"]
        return []

class FinanceDomainTagger(QualityFilter):
    """Tags each document with a finance-domain score (``quality["finance_score"]``: weighted
    lexicon hits per 1000 characters, lexicon in ``finance_lexicon.tsv``) and the number of
    distinct finance terms. Keeps everything unless ``min_score`` is set, then drops documents
    below it as ``off_domain`` — for crawls that mix domains."""

    name = "💴 Finance domain"
    config_class = DomainConfig

    def __init__(self, config=None, exclusion_writer: DiskWriter | None = None):
        super().__init__(config, exclusion_writer)  # checks that the lexicon exists and reads
        self.lexicon = self.config.lexicon()

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        score, terms = finance_score(doc.text, self.lexicon)
        quality = doc.metadata.setdefault("quality", {})
        quality["finance_score"] = score
        quality["finance_terms"] = terms
        self.stat_update("finance_score", value=score, unit="doc")
        if self.config.min_score is not None and score < self.config.min_score:
            return False, "off_domain"
        return True
