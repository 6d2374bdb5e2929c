"""Japanese quality filters: one MeCab parse per document, line cleaning, document filters and a
finance-domain tagger, as datatrove steps. Build them with ``quality_steps(QualityConfig(), removed)``.

One file per step, ``kinyu.corpus.filters.<slug>``: its config dataclass (every threshold beside
the measurement behind it), the signal it alone computes, its own config checks (``problems()``)
and the datatrove step. ``registry.FILTERS`` lists the steps once, in pipeline order; the config
(``QualityConfig``: section ``quality.<slug>``), the pipeline (``quality_steps``), the drops'
folders (``removed/<slug>/``) and this package's exports are all made from it.

Shared, not per filter: ``analysis`` parses each document once with MeCab and counts its
character classes in one numpy pass, and ``annotate`` stores the signals of that parse in
``metadata["quality"]``. Most filters (script, mojibake, length, symbol/digit, function words,
predicate endings, line starts, noun runs) and the line cleaner read those signals: one parse and
one character pass serve them all (split per filter, each would pay for its own), the line
cleaner re-derives the signals of the kept lines from the same parse, and every document, kept
or removed, carries every signal for the reports whichever filter dropped it.

Thresholds: every default stands next to the reason for it, a measurement on the shared real
data (``../shared/data/real``: chABSA 有価証券報告書 sentences joined per company = prose that
must be kept; EDINET 有価証券報告書 sections extracted with trafilatura = prose plus table
residue) or the source it comes from. ``benchmarks/filters_thresholds.py`` prints those
distributions again. Each step has an ``enabled`` flag so it can be ablated. How the defaults
were measured: every signal computed by these steps, after line cleaning, on

- chABSA: 230 documents, one per company: its 有価証券報告書 sentences, one per line, 「。」
  restored, normalised (kinyu.corpus.normalize) — real financial prose that must be kept;
- EDINET: 18 real 有価証券報告書 sections (edinet-asr-html) through kinyu.corpus.extract.html +
  normaliser: 第2 事業の状況 (prose) and 第4 提出会社の状況 (table-heavy), 2 cover pages;
- Wikipedia: 179 documents of 20 sentences (wikipedia-ner-ja): general prose, for the domain score.

Written as "chABSA min/median, EDINET prose sections min-max".

Adding a filter: write ``corpus/filters/<slug>.py`` with a config dataclass (an ``enabled`` field
first, each field an ``option(default, help)`` with its measurement as a comment, and a
``problems()`` method for checks of its own; negative values and shares above 1 are already
checked for every section by ``QualityConfig``) and a step, usually a ``base.QualityFilter``
with ``name``, ``config_class`` and a ``filter`` that returns ``(False, reason)`` on a drop. Then
import it in ``registry.py`` and add ``(slug, StepClass)`` to ``FILTERS`` where it runs. Nothing
else: ``quality.<slug>`` appears in the config, in configs/corpus.yaml (regenerate it with
``kinyu corpus build --print-config``), as ``--quality.<slug>.<field>`` flags and in the pipeline
(tests/test_filters_registry.py registers a throwaway filter and builds with it).
"""

from kinyu.corpus.filters.annotate import JapaneseAnnotator
from kinyu.corpus.filters.config import QualityConfig, quality_steps
from kinyu.corpus.filters.registry import FILTERS

# every registered step and its config class, by name: MojibakeFilter, MojibakeConfig, ...
_EXPORTS = {cls.__name__: cls for _, step in FILTERS for cls in (step, step.config_class)}
globals().update(_EXPORTS)

__all__ = ["JapaneseAnnotator", "QualityConfig", "quality_steps"]
__all__ += list(_EXPORTS)
