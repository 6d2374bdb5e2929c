"""Japanese quality filters: one MeCab parse per document, line cleaning, document filters and a
finance-domain tagger, as datatrove steps. Build them with ``quality_steps(QualityConfig(), removed)``."""

from kinyu.corpus.filters.config import QualityConfig, quality_steps
from kinyu.corpus.filters.line_clean import LineCleanConfig
from kinyu.corpus.filters.steps import (
    BoilerplateFilter,
    FinanceDomainTagger,
    FunctionWordFilter,
    JapaneseAnnotator,
    JapaneseLineCleaner,
    JapaneseScriptFilter,
    LengthFilter,
    LineStartFilter,
    MojibakeFilter,
    NounRunFilter,
    PredicateEndFilter,
    RepetitionFilter,
    ResidueFilter,
    SymbolDigitFilter,
)

__all__ = [
    "QualityConfig", "LineCleanConfig", "quality_steps", "JapaneseAnnotator", "JapaneseLineCleaner",
    "MojibakeFilter", "JapaneseScriptFilter", "LengthFilter", "LineStartFilter", "SymbolDigitFilter",
    "FunctionWordFilter", "PredicateEndFilter", "NounRunFilter", "RepetitionFilter", "ResidueFilter",
    "BoilerplateFilter", "FinanceDomainTagger",
]  # fmt: skip
