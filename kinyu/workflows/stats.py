"""Spread of a metric over seeds, and whether a difference between two settings is beyond noise.

Every comparison kinyu reports (``kinyu corpus ablate --proxy``, ``kinyu study cpt``) is paired
by seed: seed ``s`` of setting A and seed ``s`` of setting B start from the same initial weights
and see their data in the same seeded order, so their difference cancels what the seed alone
does. With ``n`` seeds:

- a setting's metric: mean, sample standard deviation and the 95 % interval of the mean
  (Student's t, ``n - 1`` degrees of freedom);
- a difference B - A: the mean of the per-seed differences and its 95 % t interval. It is called
  **beyond noise** only when that interval excludes 0, else **within noise**;
- the minimal detectable effect: the smallest true difference that a paired t-test at two-sided
  alpha = 0.05 would find with 80 % power given the spread of the differences seen,
  ``(t(0.975, n-1) + t(0.80, n-1)) * sd_diff / sqrt(n)``. A "within noise" result says that
  no difference larger than this was missed (at that power); smaller ones may exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from scipy import stats as _scipy_stats

CONFIDENCE = 0.95
POWER = 0.80


def _t(quantile: float, df: int) -> float:
    return float(_scipy_stats.t.ppf(quantile, df))


@dataclass(frozen=True)
class Spread:
    """A metric over ``n`` seeds: mean, sample sd and the 95 % interval of the mean."""

    n: int
    mean: float
    sd: float
    low: float
    high: float

    def text(self, digits: int = 4) -> str:
        if self.n < 2:
            return f"{self.mean:.{digits}f} (1 seed)"
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def spread(values: Sequence[float]) -> Spread:
    """Mean, sd and 95 % t interval of ``values`` (one per seed)."""
    values = [float(v) for v in values]
    n = len(values)
    if n == 0:
        raise ValueError("no values")
    mean = sum(values) / n
    if n == 1:
        return Spread(1, mean, 0.0, mean, mean)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = _t(0.5 + CONFIDENCE / 2, n - 1) * sd / math.sqrt(n)
    return Spread(n, mean, sd, mean - half, mean + half)


@dataclass(frozen=True)
class Difference:
    """``B - A`` paired by seed: its spread, the verdict and the minimal detectable effect."""

    diff: Spread
    beyond_noise: bool
    min_detectable: float | None  # None with fewer than 2 seeds

    @property
    def verdict(self) -> str:
        if self.diff.n < 2:
            return "1 seed: no interval"
        return "beyond noise" if self.beyond_noise else "within noise"

    def text(self, digits: int = 4) -> str:
        d = self.diff
        if d.n < 2:
            return f"{d.mean:+.{digits}f} (1 seed)"
        return f"{d.mean:+.{digits}f} [{d.low:+.{digits}f}, {d.high:+.{digits}f}]"


def paired_difference(a: Sequence[float], b: Sequence[float]) -> Difference:
    """``b - a`` paired by position (seed ``i`` of both); see the module doc for the rules."""
    if len(a) != len(b):
        raise ValueError(f"paired by seed: {len(a)} vs {len(b)} values")
    d = spread([y - x for x, y in zip(a, b)])
    if d.n < 2:
        return Difference(d, False, None)
    beyond = d.low > 0 or d.high < 0
    mde = (_t(0.5 + CONFIDENCE / 2, d.n - 1) + _t(POWER, d.n - 1)) * d.sd / math.sqrt(d.n)
    return Difference(d, beyond, mde)


def near_chance(mean: float, chance: float, items: int) -> bool:
    """Whether a task score (percent) lies within two binomial standard errors of its chance level:
    with ``items`` questions, a model guessing at random scores chance ± 2 * sqrt(c (1 - c) / items)
    (about 95 % of the time)."""
    c = chance / 100.0
    se = 100.0 * math.sqrt(max(c * (1 - c), 1e-12) / max(items, 1))
    return abs(mean - chance) <= 2 * se


# --------------------------------------------------------------------------------------------
# the same numbers as plain dicts (results.json) and table cells (markdown)


def spread_dict(values: Sequence[float]) -> dict:
    s = spread(values)
    return {"values": [round(float(v), 5) for v in values], "mean": s.mean, "sd": s.sd, "ci95": [s.low, s.high]}


def difference_dict(a: Sequence[float], b: Sequence[float]) -> dict:
    """``b - a`` paired by seed, as a plain dict: mean, 95 % interval, sd, verdict, minimal detectable effect."""
    d = paired_difference(a, b)
    return {"mean": d.diff.mean, "ci95": [d.diff.low, d.diff.high], "sd": d.diff.sd, "verdict": d.verdict,
            "min_detectable": d.min_detectable}


def spread_cell(d: dict, digits: int = 4) -> str:
    lo, hi = d["ci95"]
    if len(d.get("values", ())) == 1:
        return f"{d['mean']:.{digits}f} (1 seed)"
    return f"{d['mean']:.{digits}f} ± {d['sd']:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def difference_cell(d: dict, digits: int = 4) -> str:
    lo, hi = d["ci95"]
    if d["verdict"].startswith("1 seed"):
        return f"{d['mean']:+.{digits}f} (1 seed: no interval)"
    text = f"{d['mean']:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}] **{d['verdict']}**"
    if d["verdict"] == "within noise" and d["min_detectable"] is not None:
        text += f" (detectable: ≥ {d['min_detectable']:.{digits}f})"
    return text
