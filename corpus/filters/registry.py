"""The Japanese quality steps, registered once, in pipeline order (after the one MeCab pass,
``JapaneseAnnotator``, which runs first, after only the leading steps whose class sets
``before_annotator``: the personal-information step, which changes the text).

Each entry is ``(slug, step class)``; the step's ``config_class`` is its config. The slug names
the config section (``quality.<slug>`` in configs/corpus.yaml, ``--quality.<slug>.<field>``
flags) and the folder its drops go to (``removed/<slug>/``), so a slug is part of every
config and run folder: never rename one. ``QualityConfig``, ``quality_steps`` and the package's
exports are built from this list.
"""

from __future__ import annotations

from kinyu.corpus.filters.boilerplate import BoilerplateFilter
from kinyu.corpus.filters.domain import FinanceDomainTagger
from kinyu.corpus.filters.function_words import FunctionWordFilter
from kinyu.corpus.filters.length import LengthFilter
from kinyu.corpus.filters.line_clean import JapaneseLineCleaner
from kinyu.corpus.filters.line_start import LineStartFilter
from kinyu.corpus.filters.mojibake import MojibakeFilter
from kinyu.corpus.filters.noun_run import NounRunFilter
from kinyu.corpus.filters.pii import PiiFilter
from kinyu.corpus.filters.predicate_end import PredicateEndFilter
from kinyu.corpus.filters.repetition import RepetitionFilter
from kinyu.corpus.filters.residue import ResidueFilter
from kinyu.corpus.filters.script import JapaneseScriptFilter
from kinyu.corpus.filters.symbol_digit import SymbolDigitFilter

FILTERS: tuple[tuple[str, type], ...] = (
    # first, before the MeCab annotator (before_annotator): masks the text every later step and
    # every file of the run folder sees (see kinyu.corpus.filters.pii for why here)
    ("pii", PiiFilter),
    ("line_clean", JapaneseLineCleaner),  # line level: drops lines, keeps the document
    ("mojibake", MojibakeFilter),
    ("script", JapaneseScriptFilter),
    ("length", LengthFilter),
    ("residue", ResidueFilter),
    ("symbol_digit", SymbolDigitFilter),
    ("function_words", FunctionWordFilter),
    ("predicate_end", PredicateEndFilter),
    ("line_start", LineStartFilter),
    ("noun_run", NounRunFilter),
    ("repetition", RepetitionFilter),
    ("boilerplate", BoilerplateFilter),
    ("domain", FinanceDomainTagger),  # tags every document; drops only with min_score
)
