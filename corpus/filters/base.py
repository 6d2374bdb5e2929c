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

from kinyu.base.config import validate
from kinyu.corpus.filters.annotate import quality_signals


class QualityFilter(BaseFilter):
    """A filter configured by one config dataclass, reading ``metadata["quality"]`` signals.

    The config must be a ``config_class`` (default: ``config_class()``); its own ``problems()``,
    if it has any, are checked here, so a filter built by hand fails on a bad value as a build does.
    ``signal_keys``: the signals whose per-document values go to the step's stats.
    """

    config_class: type = object
    signal_keys: tuple[str, ...] = ()

    def __init__(self, config=None, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer=exclusion_writer)
        self.config = config if config is not None else self.config_class()
        if not isinstance(self.config, self.config_class):
            raise TypeError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(self.config).__name__}"
            )
        validate(self.config)

    def signals(self, doc: Document) -> dict:
        quality = quality_signals(doc)
        for key in self.signal_keys:
            self.stat_update(key, value=quality[key], unit="doc")
        return quality
