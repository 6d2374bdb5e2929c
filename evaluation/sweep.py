"""Score every checkpoint of a training run and chart each metric against tokens seen.

Reads ``TRAIN_RUN/checkpoints/step_NNNNNN/{hf/, state.json}`` (the trainer's contract,
``kinyu.base.layout.TrainRun``) and writes into EVAL_OUT (default ``TRAIN_RUN/eval``):

- ``scores/step_NNNNNN.json``: one checkpoint's scores and the settings that made them. A
  checkpoint whose file exists with the same settings is skipped, so an interrupted or
  repeated sweep resumes where it stopped and a new checkpoint costs one evaluation;
- ``results.json``, ``results.csv``, ``results.md``: one row per checkpoint, by step;
- ``plots/<metric>.png``: each metric against tokens seen (matplotlib).

Without task data (``data_dir`` None, e.g. the CPU demo) only bits per character is scored.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from kinyu.base.benchmarks import U4_TASKS
from kinyu.base.layout import TrainRun
from kinyu.base.runs import atomic_write_bytes, atomic_write_json, atomic_write_text, package_versions, read_json

from kinyu.evaluation.config import EvalConfig
from kinyu.evaluation.harness import EvalError
from kinyu.evaluation.score import plan_scoring, score_model

def list_checkpoints(train_run: str | Path) -> list[dict[str, Any]]:
    """Complete HF exports of a training run (``hf/config.json`` present), by step."""
    run = TrainRun(train_run)
    if not run.checkpoints.is_dir():
        raise EvalError(f"{train_run}: no checkpoints/ folder (is this a TRAIN_RUN written by `kinyu train`?)")
    found = []
    for ckpt in run.list_checkpoints():
        if not (ckpt.hf / "config.json").is_file():
            continue
        state = read_json(ckpt.state) if ckpt.state.is_file() else {}
        found.append(
            {
                "checkpoint": ckpt.name,
                "hf": str(ckpt.hf),
                "step": int(state.get("step", ckpt.step)),
                "tokens_seen": int(state.get("tokens_seen", 0)),
                "epoch": state.get("epoch"),
            }
        )
    if not found:
        raise EvalError(f"{run.checkpoints}: no complete checkpoints (step_*/hf/config.json)")
    return sorted(found, key=lambda c: c["step"])


def flat_metrics(scores: dict[str, Any]) -> dict[str, float]:
    flat: dict[str, float] = {}
    if "tasks" in scores:
        flat["average"] = scores["tasks"]["average"]  # upstream's leaderboard Ave.: zero scores skipped
        if "mean_all" in scores["tasks"]:
            flat["mean_all"] = scores["tasks"]["mean_all"]  # every task, zeros included
        for task, r in scores["tasks"]["tasks"].items():
            for key in ("acc", "acc_norm", "f1", "score"):
                if key in r:
                    flat[f"{task}/{key}"] = r[key]
    for name, r in scores.get("bpc", {}).items():
        flat[f"bpc/{name}"] = r["bits_per_character"]
    return flat


def _write_tables(out_dir: Path, rows: list[dict[str, Any]]) -> None:
    metric_names = sorted({k for r in rows for k in r["metrics"]})
    atomic_write_json(out_dir / "results.json", {"checkpoints": rows, "metrics": metric_names})
    head = ["checkpoint", "step", "tokens_seen", "epoch", *metric_names]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for r in rows:
        w.writerow([r["checkpoint"], r["step"], r["tokens_seen"], r["epoch"], *(r["metrics"].get(m, "") for m in metric_names)])
    atomic_write_text(out_dir / "results.csv", buf.getvalue())
    md = ["| " + " | ".join(head) + " |", "| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |"]
    for r in rows:
        vals = [f"{r['metrics'][m]:.4f}" if m in r["metrics"] else "" for m in metric_names]
        md.append(f"| {r['checkpoint']} | {r['step']} | {r['tokens_seen']} | {r['epoch'] if r['epoch'] is not None else ''} | " + " | ".join(vals) + " |")
    note = ""
    if "average" in metric_names:
        note = ("\n`average` is upstream's leaderboard Ave.: the mean of the task scores that are not 0 (a task scoring 0 "
                "is skipped, as its leaderboard script does); `mean_all` is the mean of every task score.\n")
    atomic_write_text(out_dir / "results.md", "# Evaluation sweep\n\n" + "\n".join(md) + "\n" + note)


def _write_plots(out_dir: Path, rows: list[dict[str, Any]]) -> list[Path]:
    import matplotlib  # heavy: imported only when plots are drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for metric in sorted({k for r in rows for k in r["metrics"]}):
        pts = [(r["tokens_seen"], r["metrics"][metric]) for r in rows if metric in r["metrics"]]
        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o")
        ax.set_xlabel("tokens seen")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
        path = out_dir / "plots" / (metric.replace("/", "__") + ".png")
        atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    return paths


def sweep(train_run: str | Path, cfg: EvalConfig, progress: bool = True) -> Path:
    """Score every checkpoint of ``train_run`` not yet scored with ``cfg``'s settings into
    ``cfg.out`` (default ``TRAIN_RUN/eval``); write the tables and plots."""
    checkpoints = list_checkpoints(train_run)
    out_dir = Path(cfg.out) if cfg.out else TrainRun(train_run).eval
    plan = plan_scoring(cfg)
    data = cfg.task_data
    settings = {
        "tasks": plan.tasks,
        "data_dir": str(data.data_dir) if data.data_dir else None,
        "chabsa_dir": str(data.chabsa_dir) if data.chabsa_dir else None,
        "prompt_version": cfg.prompt_version,
        "limit": data.limit,
        "bpc_sets": {k: list(v) for k, v in plan.sources.items()},
        "bpc_max_docs": cfg.bpc_max_docs,
        "dtype": cfg.dtype,
        "seed": cfg.seed,
    }
    if any(t in U4_TASKS for t in plan.tasks):  # added only then: the scores of earlier sweeps stay valid
        settings["u4"] = {"dir": str(data.u4_dir) if data.u4_dir else None, "split": data.u4_split}
    scored = evaluated = 0
    for ckpt in tqdm(checkpoints, desc="checkpoints", disable=not progress):
        score_file = out_dir / "scores" / f"{ckpt['checkpoint']}.json"
        if score_file.is_file() and read_json(score_file).get("settings") == settings:
            scored += 1
            continue
        scores = score_model(ckpt["hf"], cfg, plan)
        if "tasks" in scores:
            scores["tasks"].pop("lm_eval_results", None)
        atomic_write_json(score_file, {"checkpoint": ckpt, "settings": settings, "scores": scores})
        evaluated += 1
    rows = []
    for ckpt in checkpoints:
        data = read_json(out_dir / "scores" / f"{ckpt['checkpoint']}.json")
        rows.append({**ckpt, "metrics": flat_metrics(data["scores"])})
    _write_tables(out_dir, rows)
    _write_plots(out_dir, rows)
    atomic_write_json(
        out_dir / "sweep.json",
        {"train_run": str(train_run), "settings": settings, "evaluated": evaluated, "skipped": scored,
         "versions": package_versions(("kinyu", "lm-eval", "transformers", "torch", "tokenizers"))},
    )
    return out_dir
