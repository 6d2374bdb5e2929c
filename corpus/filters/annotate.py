"""The one MeCab pass: parse each document once and store its quality signals.

Every morphology-based step after this one reads the parse attached here (see
``kinyu.corpus.filters.analysis``); none of them tokenizes again.
"""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from kinyu.corpus.filters.analysis import TextAnalysis, get_analysis, set_analysis, signals


def update_quality(doc, analysis: TextAnalysis) -> dict:
    """Store ``signals(analysis)`` in ``doc.metadata["quality"]`` (other keys there are kept)."""
    sig = signals(analysis)
    quality = doc.metadata.setdefault("quality", {})
    quality.update(sig)
    return quality


def quality_signals(doc) -> dict:
    """The document's signals, from the attached parse (parsing only if there is none)."""
    analysis = get_analysis(doc)
    return update_quality(doc, analysis)


class JapaneseAnnotator(PipelineStep):
    """Parses every document once with MeCab (fugashi + unidic-lite) and stores its signals.

    Keeps every document. Writes ``metadata["quality"]``: chars, lines, sentences,
    complete_sentences, japanese/hiragana/digit/symbol/latin ratios, replacement and mojibake
    ratios, words, function_word_ratio, predicate_end_share, max_noun_run (plain ints and floats
    rounded to 4 decimals), and records their means in the step's stats.
    """

    name = "🏷 Japanese annotator (MeCab)"
    type = "🔢 - ANNOTATE"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                analysis = get_analysis(doc)
                set_analysis(doc, analysis)
                quality = update_quality(doc, analysis)
            self.stat_update("docs")
            self.stat_update("chars", value=quality["chars"])
            for key in ("hiragana_ratio", "function_word_ratio", "predicate_end_share", "max_noun_run"):
                self.stat_update(key, value=quality[key], unit="doc")
            yield doc
