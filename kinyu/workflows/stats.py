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
  alpha = 0.05 would find with 80 % power *if the sd of the differences seen were the true one*,
  ``(t(0.975, n-1) + t(0.80, n-1)) * sd_diff / sqrt(n)`` (3.10 sd at n = 3). It is post hoc: with
  3 seeds the sd itself is uncertain by a factor of about 0.5 to 6 (its 95 % chi-square interval),
  so it reads "detectable at about this size if the sd holds", never "would have been detected".

The seeds are not the only noise: the evaluation sets are a few documents, and one long filing can
be half a set's characters. So a difference is also measured with **documents as the unit**
(:func:`paired_bootstrap`): per-document bits per character, paired by seed and document, their
mean over documents, and a 95 % percentile interval from resampling documents and seeds with
replacement. With per-document scores the verdict needs both intervals (:func:`study_difference_dict`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats as _scipy_stats

CONFIDENCE = 0.95
POWER = 0.80
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 0  # a fixed seed: the same scores give the same interval, byte for byte


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


@dataclass(frozen=True)
class Bootstrap:
    """``B - A`` with documents as the unit: the mean over documents (and seeds) of the per-document
    differences, and its 95 % percentile interval under resampling documents and seeds."""

    mean: float
    low: float
    high: float
    seeds: int
    documents: int
    samples: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_bootstrap(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]], samples: int = BOOTSTRAP_SAMPLES,
                     seed: int = BOOTSTRAP_SEED) -> Bootstrap:
    """``b - a`` from per-document scores, ``a[s][d]`` = seed ``s``, document ``d`` (the same documents,
    in the same order, for every seed and both settings).

    Each bootstrap sample draws seeds and documents independently with replacement (a two-way
    bootstrap: a new study would see other seeds *and* other documents like these) and takes the mean
    of the paired differences ``b[s][d] - a[s][d]`` over the drawn cells; the interval is the 2.5 and
    97.5 % percentiles of those means. With 3 seeds the seed draw has only 10 distinct outcomes and
    understates the seed spread (a bootstrap of n values has variance (n - 1) / n of the sample's and
    no small-sample t correction): which is why a verdict also needs the per-seed t interval.
    """
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape or a_arr.ndim != 2 or 0 in a_arr.shape:
        raise ValueError(f"paired by seed and document: shapes {a_arr.shape} vs {b_arr.shape} (seeds x documents, non-empty)")
    diff = b_arr - a_arr
    n_seeds, n_docs = diff.shape
    rng = np.random.default_rng(seed)
    # counts of each seed and each document in every sample (multinomial = draws with replacement);
    # the sample mean is then w_seeds . diff . w_docs / (n_seeds * n_docs), one matrix product for all samples
    w_seeds = rng.multinomial(n_seeds, [1 / n_seeds] * n_seeds, size=samples)
    w_docs = rng.multinomial(n_docs, [1 / n_docs] * n_docs, size=samples)
    means = np.einsum("bs,sd,bd->b", w_seeds, diff, w_docs) / (n_seeds * n_docs)
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Bootstrap(float(diff.mean()), float(low), float(high), n_seeds, n_docs, samples)


def document_bpc(nll_bits: Sequence[float], characters: Sequence[int]) -> list[float]:
    """Per-document bits per character from per-document summed NLL (bits) and lengths."""
    return [float(n) / c for n, c in zip(nll_bits, characters)]


def sd_uncertainty(n: int) -> tuple[float, float] | None:
    """The 95 % interval of the true sd as multiples of a sample sd from ``n`` values (chi-square,
    ``n - 1`` degrees of freedom): about ×0.52 to ×6.3 at n = 3. None below 2 values."""
    if n < 2:
        return None
    df = n - 1
    return (math.sqrt(df / _scipy_stats.chi2.ppf(1 - (1 - CONFIDENCE) / 2, df)),
            math.sqrt(df / _scipy_stats.chi2.ppf((1 - CONFIDENCE) / 2, df)))


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
        text += f" (detectable at about {d['min_detectable']:.{digits}f} if the sd holds)"
    return text


def bootstrap_dict(a_docs: Sequence[Sequence[float]], b_docs: Sequence[Sequence[float]]) -> dict:
    """:func:`paired_bootstrap` as a plain dict (results.json)."""
    bs = paired_bootstrap(a_docs, b_docs)
    return {"mean_over_documents": bs.mean, "ci95": [bs.low, bs.high], "seeds": bs.seeds, "documents": bs.documents,
            "samples": bs.samples, "excludes_zero": bs.excludes_zero}


def study_difference_dict(a: Sequence[float], b: Sequence[float], a_docs: Sequence[Sequence[float]] | None = None,
                          b_docs: Sequence[Sequence[float]] | None = None) -> dict:
    """``b - a`` as :func:`difference_dict` (per-seed pooled scores) plus, given per-document scores
    (seeds x documents), the paired bootstrap over documents and seeds.

    The verdict with both: **beyond noise** only when the per-seed t interval *and* the bootstrap
    interval exclude 0 on the same side. Why both: the t interval treats the few seeds properly
    (t with n - 1 degrees of freedom) but holds the documents fixed, so two long documents can
    carry it; the bootstrap adds the spread over documents but understates the seed spread at 3
    seeds (see :func:`paired_bootstrap`). A difference is called real only when it survives both
    sources of noise. (The two estimate slightly different things: the t interval the pooled,
    character-weighted bits per character; the bootstrap the mean over documents; both are reported.)
    """
    d = difference_dict(a, b)
    d["sd_uncertainty"] = sd_uncertainty(len(a))
    if a_docs is None or b_docs is None:
        return d
    bs = bootstrap_dict(a_docs, b_docs)
    d["bootstrap"] = bs
    if not d["verdict"].startswith("1 seed"):
        same_side = (d["ci95"][0] > 0 and bs["ci95"][0] > 0) or (d["ci95"][1] < 0 and bs["ci95"][1] < 0)
        d["verdict"] = "beyond noise" if same_side else "within noise"
        d["verdict_rule"] = "t interval and document bootstrap both exclude 0"
    return d


def study_difference_cell(d: dict, digits: int = 4) -> str:
    """A markdown cell: pooled mean [t interval], the document bootstrap beside it, the verdict, and
    for within-noise results the size detectable if the sd holds."""
    if d["verdict"].startswith("1 seed"):
        return f"{d['mean']:+.{digits}f} (1 seed: no interval)"
    lo, hi = d["ci95"]
    text = f"{d['mean']:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]"
    if "bootstrap" in d:
        b = d["bootstrap"]
        text += f"; docs {b['mean_over_documents']:+.{digits}f} [{b['ci95'][0]:+.{digits}f}, {b['ci95'][1]:+.{digits}f}]"
    text += f" **{d['verdict']}**"
    if d["verdict"] == "within noise" and d.get("min_detectable") is not None:
        text += f" (detectable at about {d['min_detectable']:.{digits}f} if the sd holds)"
    return text
