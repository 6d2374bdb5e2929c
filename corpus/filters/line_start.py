"""The line-start filter (``quality.line_start``): lines that begin mid-sentence. Reads the
shared parse's ``particle_start_share`` and ``lines`` (``kinyu.corpus.filters.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class LineStartConfig:
    """Text whose lines begin mid-sentence: columns read out of order (a vertical PDF extracted
    without vertical detection) splice fragments of different sentences together."""

    enabled: bool = option(True, "run the line-start filter")
    # Share of lines whose first token is a particle or an auxiliary (「の規定に基づき」「を除く」).
    # The MHLW 告示 without vertical detection: 0.28. Read in order, the whole 告示 0.03-0.08,
    # the fee schedules (hard-wrapped PDF lines) at most 0.065; chABSA max 0.091, EDINET
    # sections 0.009, Wikipedia 0.05. 0.15.
    max_particle_start_share: float = option(0.15, "drop above this share of lines starting with a particle or auxiliary")
    # ... judged on documents of at least this many lines: a 4-line notice whose PDF wrapped
    # 「取\nり扱う。」 has 2 such lines in 4.
    min_lines: int = option(10, "only judge documents with at least this many lines")


class LineStartFilter(QualityFilter):
    """Drops text whose lines begin mid-sentence, with a particle or an auxiliary: the columns of
    a page read in the wrong order (a vertical PDF extracted without vertical detection) splice
    pieces of different sentences into lines that look like prose one by one."""

    name = "🧩 Line starts"
    config_class = LineStartConfig
    judges_prose = True
    signal_keys = ("particle_start_share",)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["lines"] >= self.config.min_lines and q["particle_start_share"] > self.config.max_particle_start_share:
            return False, "broken_lines"
        return True
