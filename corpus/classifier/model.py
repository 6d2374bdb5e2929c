"""Loading a trained classifier and scoring texts with it (fastText, one model per process)."""

from __future__ import annotations

import json
from pathlib import Path

from kinyu.base.config import ConfigError
from kinyu.corpus.classifier.features import FEATURES, LABEL_FINANCE, fasttext_line


def card_path(model_path: str | Path) -> Path:
    """The model's card: ``finance.bin`` -> ``finance.bin.json``."""
    return Path(f"{model_path}.json")


def read_card(model_path: str | Path) -> dict:
    path = card_path(model_path)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


class FinanceModel:
    """A trained model file and its card; ``prob(text)`` is P(financial) in [0, 1], 4 decimals."""

    def __init__(self, path: str | Path):
        import fasttext
        import fasttext.FastText

        fasttext.FastText.eprint = lambda *args, **kwargs: None  # load_model's notice about its return type

        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigError(f"finance classifier not found: {self.path} (train one with `kinyu corpus train-classifier`)")
        self.card = read_card(self.path)
        features = self.card.get("features", FEATURES)
        if features != FEATURES:
            raise ConfigError(f"{self.path} was trained on features {features!r}; this kinyu reads {FEATURES!r}: train it again")
        self.max_chars = int(self.card.get("max_chars", 20000))
        self._model = fasttext.load_model(str(self.path))
        if LABEL_FINANCE not in self._model.get_labels():
            raise ConfigError(f"{self.path} has no {LABEL_FINANCE} label: not a kinyu finance classifier")

    def prob(self, text: str, max_chars: int | None = None) -> float:
        line = fasttext_line(text, max_chars or self.max_chars)
        if not line:
            return 0.0
        # the bindings' predict: (probability, label) pairs (FastText.predict's numpy wrapping fails on numpy 2)
        pairs = self._model.f.predict(line, -1, 0.0, "strict")
        p = next((prob for prob, label in pairs if label == LABEL_FINANCE), 0.0)
        return round(min(1.0, max(0.0, float(p))), 4)
