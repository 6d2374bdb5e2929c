"""``kinyu study calibrate``: how often the study's "beyond noise" fires when there is nothing to find,
and how often it finds a difference of known size.

One A/A pair (the study's ``cpt_repeat``) says whether that pair crossed the line, not how often such
pairs do. This runs ``calibration_pairs`` independent A/A pairs at the study's scale (meant for
``--quick``): each arm is the reference variant (``cpt``: the default corpus, no replay) trained again
from the study's own base models, ``seeds`` seeds each, with a data order no other arm uses, and scored
on the study's fixed sets exactly as the study scores its variants (final checkpoint, pooled and per
document). Each pair is judged by the study's rule (:func:`kinyu.workflows.stats.study_difference_dict`):

- **false positives**: the share of pairs called "beyond noise", per set and on any set, with its 95 %
  Clopper–Pearson interval; beside it the t interval alone and the document bootstrap alone;
- **planted differences**: each pair again with a known shift added to arm B's per-document bits
  per character (so its pooled figure moves by the same amount), at multiples of the median size
  detectable by the t-test in the A/A pairs: the share of pairs where it is found. A constant shift
  on real A/A noise measures the statistics' power against an effect of known size; it is not a
  trained effect (the study's ``cpt_shuffled`` variant is one, far larger).

The arms differ from each other more than the study's variants do: variants of one seed share their
financial data order (replay variants interleave general windows into the same stream), the A/A arms
do not. So the false-positive rate measured here is that of the noisier comparison.

Reuses the study's folder (data, base models; ``kinyu study cpt`` runs first if they are missing) and
writes ``calibration.json``, then the study's ``report.md`` again with a calibration section.
"""

from __future__ import annotations

import copy
import statistics
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from scipy import stats as _scipy_stats

from kinyu.base.config import ConfigError
from kinyu.base.runs import atomic_write_json, read_json
from kinyu.evaluation.config import EvalConfig
from kinyu.evaluation.score import plan_scoring
from kinyu.workflows.cpt_config import BASE, CptStudyConfig, Study
from kinyu.workflows.cpt_study import (CALIBRATION, final_model, prepare_data, run_study, score_run, train_config,
                                       train_run)
from kinyu.workflows.stats import CONFIDENCE, document_bpc, study_difference_dict

# data-order offsets of the arms: run.seed = 1000 * seed + 1 + offset, so offsets 100..999 never meet another
# seed's runs (the study's own variants use 0, its repeat control 1000)
FIRST_OFFSET = 100


def arm_name(pair: int, arm: str) -> str:
    return f"calib_aa{pair:02d}{arm}"


def run_calibration(cfg: CptStudyConfig, console: Console | None = None) -> Path:
    """Train and score the A/A arms not yet there; write calibration.json and the study's report again."""
    console = console or Console()
    if cfg.calibration_pairs < 1 or 2 * cfg.calibration_pairs + FIRST_OFFSET > 1000:
        raise ConfigError(f"calibration_pairs must be in 1..{(1000 - FIRST_OFFSET) // 2}, got {cfg.calibration_pairs}")
    t0 = time.perf_counter()
    study = Study(cfg)
    if not (study.root / "results.json").is_file() or read_json(study.root / "results.json")["seeds"] < cfg.seeds:
        run_study(cfg, console)  # the base models, the fixed sets and the study's own table first
    sets = prepare_data(cfg, study, console)
    eval_cfg = EvalConfig(bpc_texts=sets.bpc_texts(), batch_size=cfg.eval_batch_size, device=cfg.eval_device)
    plan = plan_scoring(eval_cfg)
    phase = copy.deepcopy(cfg.cpt)
    phase.snapshots = 1  # only the final checkpoint is judged: no curve points to save and score
    arms: dict[str, list[dict]] = {}
    for pair in range(cfg.calibration_pairs):
        for i, arm in enumerate("ab"):
            name = arm_name(pair, arm)
            arms[name] = []
            for seed in range(cfg.seeds):
                base = final_model(study.run(BASE, seed))
                run = train_run(train_config(cfg, study, name, seed, phase, "fin_default", 0.0, base,
                                             FIRST_OFFSET + 2 * pair + i), console)
                arms[name].append(score_run(run, study, eval_cfg, plan, None, None, console))
    result = summarize_calibration(cfg, arms)
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    atomic_write_json(study.root / CALIBRATION, result)
    run_study(cfg, console)  # everything cached: rewrites report.md and results.json with the calibration section
    return study.root / CALIBRATION


def _pooled(runs: list[dict], metric: str) -> list[float]:
    return [r["final"][metric] for r in runs]


def _documents(runs: list[dict], metric: str, shift: float = 0.0) -> list[list[float]]:
    return [[x + shift for x in document_bpc(**r["final_documents"][metric])] for r in runs]


def _rate(k: int, n: int) -> dict:
    ci = _scipy_stats.binomtest(k, n).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return {"found": k, "pairs": n, "rate": k / n, "ci95": [float(ci.low), float(ci.high)]}


def summarize_calibration(cfg: CptStudyConfig, arms: dict[str, list[dict]]) -> dict[str, Any]:
    """Per pair and set: the study's difference dict; the false-positive rates; the planted differences found."""
    metrics = [k for k in arms[arm_name(0, "a")][0]["final"] if k.endswith("_bpc")]
    pairs = []
    for pair in range(cfg.calibration_pairs):
        a, b = arms[arm_name(pair, "a")], arms[arm_name(pair, "b")]
        pairs.append({m: study_difference_dict(_pooled(a, m), _pooled(b, m), _documents(a, m), _documents(b, m)) for m in metrics})
    n = len(pairs)

    def count(rule) -> dict:
        per = {m: _rate(sum(rule(p[m]) for p in pairs), n) for m in metrics}
        return {**per, "any": _rate(sum(any(rule(p[m]) for m in metrics) for p in pairs), n)}

    t_excludes = lambda d: d["ci95"][0] > 0 or d["ci95"][1] < 0  # noqa: E731
    false_positive = {"study_rule": count(lambda d: d["verdict"] == "beyond noise"), "t_interval_alone": count(t_excludes),
                      "bootstrap_alone": count(lambda d: d["bootstrap"]["excludes_zero"])}
    detectable = {m: statistics.median(p[m]["min_detectable"] for p in pairs) for m in metrics}
    planted = []
    for multiple in cfg.calibration_planted:
        row: dict[str, Any] = {"multiple_of_detectable": multiple, "shift": {}, "found": {}}
        for m in metrics:
            shift = multiple * detectable[m]
            found = 0
            for pair in range(cfg.calibration_pairs):
                a, b = arms[arm_name(pair, "a")], arms[arm_name(pair, "b")]
                d = study_difference_dict(_pooled(a, m), [x + shift for x in _pooled(b, m)], _documents(a, m), _documents(b, m, shift))
                found += d["verdict"] == "beyond noise"
            row["shift"][m], row["found"][m] = shift, _rate(found, n)
        planted.append(row)
    return {"pairs": n, "seeds": cfg.seeds, "metrics": metrics, "cpt_tokens": cfg.cpt.tokens,
            "false_positive": false_positive, "median_detectable": detectable, "planted": planted,
            "per_pair": [{m: {k: p[m][k] for k in ("mean", "ci95", "verdict", "min_detectable", "bootstrap")} for m in metrics}
                         for p in pairs]}
