"""``kinyu study calibrate``'s arithmetic (kinyu.workflows.calibration) on constructed A/A arms: the false-positive
count is the number of pairs the study's rule calls beyond noise, with its exact binomial interval, and a planted shift
is found in every pair once it is far above the noise and in none when it is zero."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sp

from kinyu.workflows.calibration import arm_name, summarize_calibration
from kinyu.workflows.calibration_report import report_lines
from kinyu.workflows.cpt_config import CptStudyConfig


def _arm(rng, base: np.ndarray, noise: float) -> list[dict]:
    """Three seeds of one arm: per-document bits per character = base (seeds x documents) + noise."""
    chars = [100, 400, 250, 50]
    runs = []
    for s in range(base.shape[0]):
        bpc = base[s] + rng.normal(0, noise, size=base.shape[1])
        nll = [float(b * c) for b, c in zip(bpc, chars)]
        runs.append({"final": {"finance_bpc": sum(nll) / sum(chars)},
                     "final_documents": {"finance_bpc": {"nll_bits": nll, "characters": chars}}})
    return runs


def test_false_positives_and_planted_shifts_are_counted_by_the_study_rule():
    rng = np.random.default_rng(3)
    cfg = CptStudyConfig(finance_inputs=["x"], seeds=3, calibration_pairs=12, calibration_planted=[0.0, 40.0])
    base = 4.0 + rng.normal(0, 0.3, size=(3, 4))  # seeds differ, documents differ: pairing removes both
    arms = {arm_name(p, a): _arm(rng, base, 0.02) for p in range(12) for a in "ab"}
    cal = summarize_calibration(cfg, arms)
    fp = cal["false_positive"]["study_rule"]["finance_bpc"]
    verdicts = [p["finance_bpc"]["verdict"] for p in cal["per_pair"]]
    assert fp["found"] == verdicts.count("beyond noise") and fp["pairs"] == 12
    ci = sp.binomtest(fp["found"], 12).proportion_ci(method="exact")
    assert fp["ci95"] == [pytest.approx(ci.low), pytest.approx(ci.high)]
    # the study's rule fires no more often than either interval alone
    assert fp["found"] <= min(cal["false_positive"][k]["finance_bpc"]["found"] for k in ("t_interval_alone", "bootstrap_alone"))
    zero, big = cal["planted"]
    assert zero["shift"]["finance_bpc"] == 0.0 and zero["found"]["finance_bpc"]["found"] == fp["found"]
    assert big["shift"]["finance_bpc"] == pytest.approx(40 * cal["median_detectable"]["finance_bpc"])
    assert big["found"]["finance_bpc"]["found"] == 12
    text = "\n".join(report_lines({**cal, "wall_s": 60.0}))
    assert "12 A/A pairs" in text and "40 × detectable" in text
