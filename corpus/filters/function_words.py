"""The function-word filter (``quality.function_words``): too few 助詞・助動詞 per word. Reads
the shared parse's ``function_word_ratio`` (``kinyu.corpus.filters.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class FunctionWordConfig:
    """Too few function words (助詞・助動詞) per word: lists, tables, keyword stuffing."""

    enabled: bool = option(True, "run the function-word filter")
    # Function words / words (MeCab tokens that are not symbols). chABSA min 0.194 / median 0.296
    # (「売上高は前期比12.3%増の4,567億円となりました。」 alone is 0.29); EDINET 0.30-0.33;
    # Wikipedia min 0.28; a table row or keyword list ~0-0.05. 0.12.
    min_function_word_ratio: float = option(0.12, "drop below this share of 助詞・助動詞 among words")


class FunctionWordFilter(QualityFilter):
    """Drops documents with too few function words (助詞・助動詞) per word: Japanese sentences
    need particles and auxiliaries, lists/tables/keyword stuffing do not have them. The
    threshold sits well below noun-heavy results prose, which still has は・の・と・ました."""

    name = "🔗 Function words"
    config_class = FunctionWordConfig
    judges_prose = True
    signal_keys = ("function_word_ratio",)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["function_word_ratio"] < self.config.min_function_word_ratio:
            return False, "few_function_words"
        return True
