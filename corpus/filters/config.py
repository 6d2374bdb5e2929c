"""The whole Japanese quality configuration (one sub-config per step) and the builder of the steps.

The thresholds and the measurements behind them live with each filter's config in
``kinyu.corpus.filters.thresholds`` (line cleaning: ``kinyu.corpus.filters.line_clean``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path


from kinyu.base.config import validate
from kinyu.corpus.gates import removed_writer
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
from kinyu.corpus.filters.line_clean import LineCleanConfig
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

__all__ = [
    "QualityConfig", "LineCleanConfig", "BoilerplateConfig", "DomainConfig", "FunctionWordConfig",
    "LengthConfig", "LineStartConfig", "MojibakeConfig", "NounRunConfig", "PredicateEndConfig", "RepetitionConfig",
    "ResidueConfig", "ScriptConfig", "SymbolDigitConfig", "quality_steps",
]  # fmt: skip


@dataclass
class QualityConfig:
    """All Japanese quality steps, in pipeline order (annotate → line cleaning → document
    filters → domain tagger)."""

    line_clean: LineCleanConfig = field(default_factory=LineCleanConfig)
    mojibake: MojibakeConfig = field(default_factory=MojibakeConfig)
    script: ScriptConfig = field(default_factory=ScriptConfig)
    length: LengthConfig = field(default_factory=LengthConfig)
    residue: ResidueConfig = field(default_factory=ResidueConfig)
    symbol_digit: SymbolDigitConfig = field(default_factory=SymbolDigitConfig)
    function_words: FunctionWordConfig = field(default_factory=FunctionWordConfig)
    predicate_end: PredicateEndConfig = field(default_factory=PredicateEndConfig)
    line_start: LineStartConfig = field(default_factory=LineStartConfig)
    noun_run: NounRunConfig = field(default_factory=NounRunConfig)
    repetition: RepetitionConfig = field(default_factory=RepetitionConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    domain: DomainConfig = field(default_factory=DomainConfig)

    def problems(self) -> list[str]:
        """Thresholds that cannot be meant: negative values, shares outside [0, 1], n-gram lists that
        do not pair up."""
        found = []
        for section in fields(self):
            sub = getattr(self, section.name)
            for f in fields(sub):
                value = getattr(sub, f.name)
                where = f"{section.name}.{f.name}"
                values = value if isinstance(value, (tuple, list)) else (value,)
                for v in values:
                    if isinstance(v, bool) or v is None or isinstance(v, str):
                        continue
                    if v < 0:
                        found.append(f"{where} must not be negative, got {value!r}")
                        break
                    if any(k in f.name for k in ("ratio", "share", "frac", "hiragana")) and v > 1:
                        found.append(f"{where} is a share of characters/lines and must be in [0, 1], got {value!r}")
                        break
        rep = self.repetition
        if len(rep.top_ngram_sizes) != len(rep.max_top_ngram_frac) or len(rep.dup_ngram_sizes) != len(rep.max_dup_ngram_frac):
            found.append("repetition: each n-gram size list needs a threshold list of the same length")
        if any(n < 1 for n in rep.top_ngram_sizes + rep.dup_ngram_sizes):
            found.append("repetition: n-gram sizes must be >= 1")
        return found


def quality_steps(cfg: QualityConfig, removed_folder: str | Path | None = None) -> list:
    """The quality steps in order, each filter writing what it drops to ``removed/<slug>/``."""
    validate(cfg, "quality")

    def writer(slug: str):
        return None if removed_folder is None else removed_writer(removed_folder, slug)

    pipeline: list = [JapaneseAnnotator()]
    if cfg.line_clean.enabled:
        pipeline.append(JapaneseLineCleaner(cfg.line_clean, exclusion_writer=writer("line_clean")))
    filters = [
        (cfg.mojibake, MojibakeFilter, "mojibake"),
        (cfg.script, JapaneseScriptFilter, "script"),
        (cfg.length, LengthFilter, "length"),
        (cfg.residue, ResidueFilter, "residue"),
        (cfg.symbol_digit, SymbolDigitFilter, "symbol_digit"),
        (cfg.function_words, FunctionWordFilter, "function_words"),
        (cfg.predicate_end, PredicateEndFilter, "predicate_end"),
        (cfg.line_start, LineStartFilter, "line_start"),
        (cfg.noun_run, NounRunFilter, "noun_run"),
        (cfg.repetition, RepetitionFilter, "repetition"),
        (cfg.boilerplate, BoilerplateFilter, "boilerplate"),
        (cfg.domain, FinanceDomainTagger, "domain"),
    ]
    for sub, cls, slug in filters:
        if sub.enabled:
            pipeline.append(cls(sub, exclusion_writer=writer(slug)))
    return pipeline
