"""The symbol/digit filter (``quality.symbol_digit``): symbol and digit dumps. Reads the shared
parse's ``symbol_ratio`` and ``digit_ratio`` (``kinyu.corpus.filters.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class SymbolDigitConfig:
    """Symbol and digit dumps (number tables, code, ASCII art)."""

    enabled: bool = option(True, "run the symbol/digit filter")
    # Share of symbols (ASCII punctuation, arrows, box drawing, △■; not 、。「」). chABSA max 0.095
    # / median 0.031; EDINET max 0.040 after cleaning; the EDINET sample instances with their
    # placeholder dots (「……」) reach 0.87. 0.25.
    max_symbol_ratio: float = option(0.25, "drop above this share of symbols")
    # Share of digits. chABSA max 0.147 / median 0.057 (results paragraphs); EDINET max 0.068;
    # number dumps 0.5+. 0.35.
    max_digit_ratio: float = option(0.35, "drop above this share of digits")


class SymbolDigitFilter(QualityFilter):
    """Drops symbol and digit dumps: number tables, code, ASCII art, XBRL contexts. Results prose
    has digits (「4,567億円」) but far below the share of a table."""

    name = "🔣 Symbols and digits"
    config_class = SymbolDigitConfig
    judges_prose = True
    signal_keys = ("symbol_ratio", "digit_ratio")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        q = self.signals(doc)
        if q["symbol_ratio"] > self.config.max_symbol_ratio:
            return False, "symbols"
        if q["digit_ratio"] > self.config.max_digit_ratio:
            return False, "digits"
        return True
