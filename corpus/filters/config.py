"""The whole Japanese quality configuration and the builder of the steps, both made from the
registry (``kinyu.corpus.filters.registry.FILTERS``): one config section per registered step,
named by its slug, in pipeline order.

The thresholds and the measurements behind them live with each filter, in
``kinyu.corpus.filters.<slug>``.
"""

from __future__ import annotations

from dataclasses import field, fields, make_dataclass
from pathlib import Path

from kinyu.corpus.filters.annotate import JapaneseAnnotator
from kinyu.corpus.filters.registry import FILTERS
from kinyu.corpus.gates import removed_writer

__all__ = ["QualityConfig", "quality_steps"]


def _problems(self) -> list[str]:
    """Thresholds that cannot be meant, in any section: negative values, shares outside [0, 1].
    (A section's own checks are its ``problems()``.)"""
    found = []
    for section in fields(self):
        sub = getattr(self, section.name)
        for f in fields(sub):
            value = getattr(sub, f.name)
            where = f"{section.name}.{f.name}"
            values = value if isinstance(value, (tuple, list)) else (value,)
            for v in values:
                if isinstance(v, bool) or v is None or isinstance(v, str):
                    continue
                if v < 0:
                    found.append(f"{where} must not be negative, got {value!r}")
                    break
                if any(k in f.name for k in ("ratio", "share", "frac", "hiragana")) and v > 1:
                    found.append(f"{where} is a share of characters/lines and must be in [0, 1], got {value!r}")
                    break
    return found


# A plain dataclass (what kinyu.base.config loads, lists as flags and writes as YAML), with one
# section per registered step: ``quality.line_clean``, ``quality.mojibake``, ...
QualityConfig = make_dataclass(
    "QualityConfig",
    [(slug, step.config_class, field(default_factory=step.config_class)) for slug, step in FILTERS],
    namespace={
        "__module__": __name__,
        "__doc__": "All Japanese quality steps, in pipeline order (personal information → annotate → line\n"
        "cleaning → document filters → domain tagger): one section per step of ``registry.FILTERS``, named by its slug.",
        "problems": _problems,
    },
)


def quality_steps(cfg: QualityConfig, removed_folder: str | Path | None = None) -> list:
    """The quality steps in order, each filter writing what it drops to ``removed/<slug>/``. ``cfg`` is
    checked once, where it is loaded (``load_config``; by hand: ``kinyu.base.config.validate``)."""
    before: list = []  # the leading steps that change the text before the one MeCab parse
    pipeline: list = []
    for slug, step in FILTERS:
        section = getattr(cfg, slug)
        if section.enabled:
            writer = None if removed_folder is None else removed_writer(removed_folder, slug)
            early = getattr(step, "before_annotator", False) and not pipeline
            (before if early else pipeline).append(step(section, exclusion_writer=writer))
    return [*before, JapaneseAnnotator(), *pipeline]
