"""The ``select`` section of the corpus config: URL rules, language, the finance classifier."""

from __future__ import annotations

from dataclasses import dataclass

from kinyu.base.config import option
from kinyu.corpus.select.classifier import ClassifierConfig
from kinyu.corpus.select.language import LanguageConfig
from kinyu.corpus.select.url import UrlRulesConfig


@dataclass
class SelectConfig:
    url: UrlRulesConfig = option(factory=UrlRulesConfig)
    language: LanguageConfig = option(factory=LanguageConfig)
    classifier: ClassifierConfig = option(factory=ClassifierConfig)
