"""The finance-domain classifier in the build (``select.classifier``): ``metadata["finance_prob"]``
on every document, and a drop below ``min_prob``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.base.config import option


@dataclass
class ClassifierConfig:
    """Score every document with a fastText finance classifier (``kinyu corpus train-classifier``)."""

    enabled: bool = option(False, "score documents with the finance classifier at model_path")
    model_path: str | None = option(None, "the model file written by `kinyu corpus train-classifier` (its card beside it)")
    # measured on held-out filings/告示 vs general news (README, benchmarks/classifier.py): 0.5
    min_prob: float | None = option(0.5, "drop documents whose finance_prob is below this ('not_finance'); none: tag only")

    def problems(self) -> list[str]:
        found = []
        if self.enabled and not self.model_path:
            found.append("model_path: set it to a model from `kinyu corpus train-classifier` (or enabled: false)")
        elif self.enabled and not Path(self.model_path).is_file():
            found.append(f"model_path: finance classifier not found: {self.model_path}")
        if self.min_prob is not None and not 0.0 <= self.min_prob <= 1.0:
            found.append("min_prob must be in [0, 1]")
        return found


class FinanceClassifier(BaseFilter):
    """Scores each document with the finance-domain classifier (``metadata["finance_prob"]``: the
    model's probability that the text is financial, 4 decimals) and drops those below ``min_prob``
    as ``not_finance`` (none: tags only). Runs after the quality filters, on the cleaned text the
    corpus keeps. The model loads once per task, in the task's process."""

    name = "🏦 Finance classifier"

    def __init__(self, config: ClassifierConfig, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.config = config
        self._model = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self._model is None:
            from kinyu.corpus.classifier.model import FinanceModel

            self._model = FinanceModel(self.config.model_path)
        prob = self._model.prob(doc.text)
        doc.metadata["finance_prob"] = prob
        self.stat_update("finance_prob", value=prob, unit="doc")
        if self.config.min_prob is not None and prob < self.config.min_prob:
            return False, "not_finance"
        return True
