"""Spread over seeds and the paired "beyond noise" rule (kinyu.workflows.stats), against scipy's own tests."""

import math

import numpy as np
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


def test_bootstrap_of_identical_differences_is_a_point():
    from kinyu.workflows.stats import paired_bootstrap

    a = [[2.0, 3.0, 5.0], [2.5, 3.5, 4.0]]
    b = [[x + 0.25 for x in row] for row in a]  # every document of every seed exactly 0.25 worse
    bs = paired_bootstrap(a, b)
    assert bs.mean == pytest.approx(0.25) and (bs.low, bs.high) == (pytest.approx(0.25), pytest.approx(0.25))
    assert bs.excludes_zero and (bs.seeds, bs.documents) == (2, 3)
    zero = paired_bootstrap(a, a)
    assert (zero.mean, zero.low, zero.high) == (0.0, 0.0, 0.0) and not zero.excludes_zero


def test_bootstrap_resamples_documents_a_two_document_effect_is_not_beyond_noise():
    from kinyu.workflows.stats import paired_bootstrap

    # 20 documents; the setting helps two of them a lot and does nothing to the other 18: the mean over
    # documents is -0.1, but which documents one happens to score decides it
    a = [[4.0] * 20 for _ in range(3)]
    b = [[3.0, 3.0] + [4.0] * 18 for _ in range(3)]
    bs = paired_bootstrap(a, b)
    assert bs.mean == pytest.approx(-0.1)
    assert bs.high == pytest.approx(0.0) and not bs.excludes_zero  # a sample without either document shows no effect
    # a shift shared by every document, with noise, is found, and the interval brackets it
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.05, size=(3, 20))
    shifted = paired_bootstrap(a, (np.array(a) + 0.1 + noise).tolist())
    assert shifted.excludes_zero and shifted.low < 0.1 < shifted.high


def test_bootstrap_interval_matches_the_known_spread_of_a_mean():
    from kinyu.workflows.stats import paired_bootstrap

    # one seed, 400 documents with differences ~ N(0.2, 1): the percentile interval approaches
    # mean ± 1.96 * sd / sqrt(400) (the bootstrap's se of a mean is sd * sqrt((n - 1) / n) / sqrt(n))
    rng = np.random.default_rng(7)
    d = rng.normal(0.2, 1.0, size=400)
    bs = paired_bootstrap([[0.0] * 400], [d.tolist()], samples=4000)
    half = 1.96 * d.std(ddof=0) / math.sqrt(400)
    assert bs.low == pytest.approx(d.mean() - half, abs=0.015) and bs.high == pytest.approx(d.mean() + half, abs=0.015)
    assert paired_bootstrap([[0.0] * 400], [d.tolist()], samples=4000) == bs  # seeded: the same interval again
    with pytest.raises(ValueError, match="paired by seed and document"):
        paired_bootstrap([[1.0, 2.0]], [[1.0]])


def test_study_verdict_needs_the_t_interval_and_the_bootstrap():
    from kinyu.workflows.stats import sd_uncertainty, study_difference_cell, study_difference_dict

    a = [1.0, 2.0, 3.0]
    b = [1.1, 2.1, 3.1]  # per seed: +0.1 exactly, the t interval excludes 0
    docs_a = [[4.0] * 20 for _ in range(3)]
    two_docs = [[2.0, 2.0] + [4.0] * 18 for _ in range(3)]  # ... but carried by two documents
    d = study_difference_dict(a, b, docs_a, two_docs)
    assert d["ci95"][0] > 0 and not d["bootstrap"]["excludes_zero"] and d["verdict"] == "within noise"
    everywhere = [[4.1] * 20 for _ in range(3)]
    assert study_difference_dict(a, b, docs_a, everywhere)["verdict"] == "beyond noise"
    assert study_difference_dict(a, b)["verdict"] == "beyond noise"  # no per-document scores: the t interval alone
    cell = study_difference_cell(d)
    assert "docs +0.0000" not in cell and "within noise" in cell and "if the sd holds" in cell
    lo, hi = sd_uncertainty(3)  # the sd of 3 values: its true value is 0.52x to 6.3x the sample's
    assert lo == pytest.approx(0.52, abs=0.01) and hi == pytest.approx(6.28, abs=0.02)
    assert lo == pytest.approx(math.sqrt(2 / sp.chi2.ppf(0.975, 2)))
