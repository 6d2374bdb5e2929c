"""The predicate-ending filter (``quality.predicate_end``): too few sentences that end as
sentences. Reads the shared parse's ``predicate_end_share`` (``kinyu.corpus.filters.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter


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


class PredicateEndFilter(QualityFilter):
    """Drops documents where too few sentences end in a predicate (動詞・助動詞・形容詞, before 。
    or at the line end): prose ends its sentences in predicates, menus, lists and tables end
    in nouns. Headings and 体言止め count against, so the threshold is low."""

    name = "🔚 Predicate endings"
    config_class = PredicateEndConfig
    judges_prose = True
    signal_keys = ("predicate_end_share",)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["predicate_end_share"] < self.config.min_predicate_end_share:
            return False, "few_predicate_endings"
        return True
