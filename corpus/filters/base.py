"""What every Japanese document filter shares: ``QualityFilter``, a datatrove ``BaseFilter``
configured by one config dataclass.

The morphology filters (script, length, line-cleaning residue, symbol/digit, function words,
predicate endings, line starts, noun runs) read the signals of the document's one MeCab parse
(``kinyu.corpus.filters.analysis``) — they never tokenize again. Repetition, mojibake-free decoding
and boilerplate are character-level.
Each filter returns ``(False, reason)`` on drop, so datatrove counts ``dropped_<reason>`` and,
given an ``exclusion_writer``, writes the document with ``metadata["filter_reason"]``. All
signals go to ``metadata["quality"]`` (plain numbers rounded to 4 decimals), for the stats and
report code to build histograms from kept and removed documents alike.
"""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.corpus.filters.annotate import quality_signals


def is_table_document(quality: dict) -> bool:
    """Tables hold at least half of the document's characters."""
    table_chars = quality.get("table_chars", 0)
    return table_chars > 0 and 2 * table_chars >= quality["chars"]


class QualityFilter(BaseFilter):
    """A filter configured by one config dataclass, reading ``metadata["quality"]`` signals.

    The config must be a ``config_class`` (default: ``config_class()``); its values are checked once,
    where the config is loaded (``load_config``; a config built by hand: ``kinyu.base.config.validate``).
    ``signal_keys``: the signals whose per-document values go to the step's stats.
    """

    config_class: type = object
    signal_keys: tuple[str, ...] = ()
    # A prose filter judges the prose of a document (its signals are of the lines outside its
    # tables, see kinyu.corpus.filters.analysis.signals) and passes a table document, one whose
    # tables hold at least half its characters (a statement under its headings): tables are
    # judged as tables, by the line cleaner. Filters of the whole text (mojibake, length,
    # residue, the domain tagger) set False.
    judges_prose: bool = False

    def __init__(self, config=None, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer=exclusion_writer)
        self.config = config if config is not None else self.config_class()
        if not isinstance(self.config, self.config_class):
            raise TypeError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(self.config).__name__}"
            )

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        out = []
        for doc in batch:
            if self.judges_prose and is_table_document(quality_signals(doc)):
                self.stat_update("table_documents_passed")
                out.append(True)
                continue
            result = self.filter(doc)
            quality = doc.metadata.get("quality", {})
            if quality.get("tables") and not (result is True or (isinstance(result, tuple) and result[0])):
                # what a document's drop takes with it: the tables counted per step
                self.stat_update("tables_dropped", value=quality["tables"])
                self.stat_update("table_chars_dropped", value=quality["table_chars"])
            out.append(result)
        return out

    def signals(self, doc: Document) -> dict:
        quality = quality_signals(doc)
        for key in self.signal_keys:
            self.stat_update(key, value=quality[key], unit="doc")
        return quality
