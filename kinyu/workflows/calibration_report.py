"""The calibration section of a study's report.md, from ``calibration.json`` (``kinyu.workflows.calibration``
writes it; ``kinyu.workflows.cpt_study`` renders it): apart from both so neither imports the other."""

from __future__ import annotations

from typing import Callable


def _rate_cell(r: dict) -> str:
    return f"{r['found']}/{r['pairs']} ({r['rate']:.0%} [{r['ci95'][0]:.0%}, {r['ci95'][1]:.0%}])"


def report_lines(cal: dict, head: Callable[[str], str] = lambda m: m) -> list[str]:
    """The calibration section of the study's report.md."""
    metrics = cal["metrics"]
    fp = cal["false_positive"]
    lines = [f"{cal['pairs']} A/A pairs: the reference variant `cpt` against itself, {cal['seeds']} seeds per arm from the study's "
             "base models, every arm with a data order of its own, scored and judged as the study's comparisons are "
             f"({cal['wall_s'] / 60:.1f} min). Share of pairs called beyond noise (95 % Clopper–Pearson interval); "
             "at a nominal 5 % per interval, the study's rule (both intervals) should fire in at most about 5 % of pairs per set:", "",
             "| rule | " + " | ".join(head(m) for m in metrics) + " | any set |", "|---" * (len(metrics) + 2) + "|"]
    for key, title in (("study_rule", "the study's verdict (t and bootstrap)"), ("t_interval_alone", "per-seed t interval alone"),
                       ("bootstrap_alone", "document bootstrap alone")):
        lines.append(f"| {title} | " + " | ".join(_rate_cell(fp[key][m]) for m in metrics) + f" | {_rate_cell(fp[key]['any'])} |")
    lines += ["", "Planted differences: a known shift added to arm B's per-document bits per character in every A/A pair, at "
              "multiples of the median size the t-test detects in those pairs; share of pairs where the study's verdict finds it "
              "(power against a uniform effect of that size; not a trained effect):", "",
              "| shift | " + " | ".join(head(m) for m in metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for row in cal["planted"]:
        lines.append(f"| {row['multiple_of_detectable']:g} × detectable | "
                     + " | ".join(f"+{row['shift'][m]:.4f}: {_rate_cell(row['found'][m])}" for m in metrics) + " |")
    return lines
