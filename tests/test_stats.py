"""Spread over seeds and the paired "beyond noise" rule (kinyu.workflows.stats), against scipy's own tests."""

import math

import pytest
from scipy import stats as sp

from kinyu.workflows.stats import near_chance, paired_difference, spread


def test_spread_is_the_t_interval_of_the_mean():
    values = [1.20, 1.31, 1.25, 1.28]
    s = spread(values)
    lo, hi = sp.t.interval(0.95, len(values) - 1, loc=sp.tmean(values), scale=sp.sem(values))
    assert s.mean == pytest.approx(sum(values) / 4)
    assert s.sd == pytest.approx(sp.tstd(values))
    assert (s.low, s.high) == (pytest.approx(lo), pytest.approx(hi))
    assert spread([2.0]).text() == "2.0000 (1 seed)"


def test_paired_difference_agrees_with_scipys_paired_t_test():
    a = [2.10, 2.05, 2.20]
    b = [1.95, 1.97, 2.02]  # lower in every seed, by 0.15, 0.08, 0.18
    d = paired_difference(a, b)
    assert d.diff.mean == pytest.approx(-0.13666666, abs=1e-6)
    p = sp.ttest_rel(b, a).pvalue
    # the interval excludes 0 exactly when the two-sided paired t-test rejects at 0.05
    assert d.beyond_noise == (p < 0.05) and d.verdict == "beyond noise"
    # minimal detectable effect: (t.975 + t.80) * sd / sqrt(n)
    assert d.min_detectable == pytest.approx((sp.t.ppf(0.975, 2) + sp.t.ppf(0.8, 2)) * d.diff.sd / math.sqrt(3))


def test_noise_is_within_noise_and_pairing_cancels_the_seed():
    # the seeds differ a lot, the settings barely: unpaired this would be hopeless, paired it is clear
    a = [1.0, 2.0, 3.0]
    b = [1.1, 2.1, 3.1]
    assert paired_difference(a, b).verdict == "beyond noise"
    assert paired_difference(a, [1.1, 1.9, 3.0]).verdict == "within noise"
    assert paired_difference([1.0], [1.5]).verdict.startswith("1 seed")
    with pytest.raises(ValueError):
        paired_difference([1.0, 2.0], [1.0])


def test_near_chance_uses_two_binomial_standard_errors():
    # 100 four-choice items: chance 25 %, se 4.33 points
    assert near_chance(30.0, 25.0, 100)
    assert not near_chance(40.0, 25.0, 100)
