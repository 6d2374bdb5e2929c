"""``kinyu study cpt``: the paper's continual-pre-training effect at proxy scale, with seeds and intervals.

Hirano & Imajo (2024) continual-pre-trained a general Japanese model on a Japanese financial corpus
and its financial scores rose. This study reruns that claim small enough to repeat on a laptop
(and at ~100M parameters on one GPU), and asks what kinyu's data decisions change:

1. **data**: a tokenizer and a kinyu corpus of general Japanese (``general_train``, e.g. the
   livedoor news of ``../shared/data/general-ja/train``); the fixed evaluation sets, chosen before
   any variant (``kinyu.workflows.eval_sets``: held-out financial documents taken out by document
   before filtering, and held-out general text); the financial corpus built with the default
   config over the remaining inputs, the same documents unfiltered and undeduplicated, and for the
   planted-effect control their characters shuffled within each document.
2. **base**: a model of ``model`` size pretrained from scratch on the general corpus, once per seed.
3. **CPT**: from each seed's base, every variant continues for the same token budget with the
   learning rate re-warmed from the base's final rate and re-decayed (Ibrahim et al. 2024, "Simple
   and Scalable Strategies to Continually Pre-train LLMs"): the default corpus with 0, 5 and 25 %
   general replay (drawn from the base's own training corpus), the unfiltered corpus, and controls:
   ``repeat`` (the default variant again with another data order: an A/A test that must come out
   within noise) and ``shuffled`` (characters shuffled: a planted effect that must come out beyond noise).
4. **score**: every checkpoint's bits per character on both fixed sets (curves) and, with task
   data, the five fin-harness tasks for the final models, through ``kinyu.evaluation.score``.
5. **report**: ``report.md``, ``results.json``, ``curves.png``; every difference paired by seed with
   its 95 % interval, "beyond noise" only when the interval excludes 0, and the minimal detectable
   effect where it does not (``kinyu.workflows.stats``).

Every stage leaves its outputs in the study folder and is skipped when they are there, so an
interrupted study resumes (a training run cut short is started again: its snapshots hold no
optimiser state, see ``checkpoint.resumable``).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from kinyu.base.config import load_config, shipped_config, to_dict, dump_yaml
from kinyu.base.layout import Checkpoint, CorpusRun, TrainRun, latest_checkpoint, train_run_evidence
from kinyu.base.runs import atomic_write_json, atomic_write_text, read_json, remove_run_folder, write_manifest
from kinyu.evaluation.config import EvalConfig
from kinyu.evaluation.score import plan_scoring, score_model
from kinyu.evaluation.tasks.chance import chance_levels
from kinyu.evaluation.tasks.metrics import plain_average
from kinyu.training.config import TrainConfig
from kinyu.training.train import run_training
from kinyu.workflows.eval_sets import SET_LABELS, EvalSets, heldout_report_lines, heldout_summary
from kinyu.workflows.stats import difference_cell, difference_dict, near_chance, spread, spread_cell, spread_dict

from kinyu.workflows.cpt_config import BASE, REFERENCE, CptStudyConfig, PhaseConfig, Study, Variant, cpt_variants


DATA_FIELDS = ("finance_inputs", "general_train", "corpus_config", "vocab_size", "eval_sets")


def _data_key(cfg: CptStudyConfig) -> dict:
    """What the data stage depends on: a study folder whose data was made with the same settings reuses it
    without reading the inputs again (so a prepared folder can be trained on elsewhere, e.g. on a GPU machine)."""
    return {k: to_dict(getattr(cfg, k)) for k in DATA_FIELDS}


def prepare_data(cfg: CptStudyConfig, study: Study, console: Console) -> EvalSets:
    done = study.data / "manifest.json"
    needed = ["general", "fin_default"] + (["fin_raw"] if cfg.unfiltered else []) + (["fin_shuffled"] if cfg.shuffled_control else [])
    if done.is_file() and read_json(done)["key"] == _data_key(cfg) and all(CorpusRun(study.corpus(n)).manifest.is_file() for n in needed):
        sets_dir = study.root / "eval_sets"
        return EvalSets(sets_dir, read_json(done)["exclude"], read_json(sets_dir / "manifest.json"))
    # no financial inputs: filings-u4 (its train split trains, valid + test are held out), which must be there
    finance = list(cfg.finance_inputs) or [cfg.eval_sets.filings_u4]
    missing = [p for p in [*finance, *cfg.eval_sets.heldout_inputs, cfg.general_train] if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"study inputs not found: {missing}")
    # the corpus stack (datatrove, MeCab) loads only when the data stage runs: a prepared study folder
    # trains and scores where it is not installed (a GPU machine)
    from kinyu.workflows.cpt_data import prepare

    sets = prepare(cfg, study, console)
    atomic_write_json(done, {"key": _data_key(cfg), "exclude": sets.exclude})
    return sets


# --------------------------------------------------------------------------------------------
# 2-3. training


def _steps(phase: PhaseConfig, seq_len: int) -> int:
    return max(1, math.ceil(phase.tokens / (phase.micro_batch_size * phase.grad_accum_steps * seq_len)))


def train_config(cfg: CptStudyConfig, study: Study, name: str, seed: int, phase: PhaseConfig, corpus: str,
                 replay: float = 0.0, model_path: Path | None = None, order_offset: int = 0) -> TrainConfig:
    m = cfg.model
    steps = _steps(phase, m.seq_len)
    every = max(1, math.ceil(steps / phase.snapshots))  # snapshots evenly spaced, the last one at the end
    overrides: dict[str, Any] = {
        "run.out_dir": str(study.run(name, seed)), "run.seed": 1000 * seed + order_offset, "run.name": f"study cpt: {name} seed {seed}",
        "data.corpus_runs": [str(study.corpus(corpus))],
        "data.replay_runs": [str(study.corpus("general"))] if replay > 0 else [],
        "data.replay_ratio": replay, "data.seq_len": m.seq_len,
        "model.path": str(model_path) if model_path else None,
        "model.architecture": m.architecture, "model.hidden_size": m.hidden_size, "model.num_layers": m.num_layers,
        "model.num_heads": m.num_heads, "model.intermediate_size": m.intermediate_size,
        "model.max_position_embeddings": m.seq_len,
        "optim.lr": phase.lr, "optim.min_lr": phase.min_lr,
        "schedule.micro_batch_size": phase.micro_batch_size, "schedule.grad_accum_steps": phase.grad_accum_steps,
        "schedule.max_steps": steps, "schedule.warmup_steps": int(steps * phase.warmup_fraction),
        "schedule.rewarm_from_checkpoint": model_path is not None,
        "checkpoint.every_steps": every, "checkpoint.keep_last": 0, "checkpoint.resumable": False,
        "logging.every_steps": max(1, steps // 10), "logging.eval_every_steps": 0, "logging.tensorboard": False,
        **cfg.train,
    }
    if model_path is not None:
        # a CPT run's seed is the base's: the same initial weights; its data order follows seed + offset
        overrides["run.seed"] = 1000 * seed + 1 + order_offset
    return load_config(TrainConfig, shipped_config("train/tiny_cpu.yaml"), overrides)


def _finished(run: Path, steps: int) -> bool:
    try:
        return read_json(latest_checkpoint(run).state)["step"] >= steps
    except FileNotFoundError:
        return False


def train_run(tc: TrainConfig, console: Console) -> Path:
    run = Path(tc.run.out_dir)
    if _finished(run, tc.schedule.max_steps):
        return run
    # an interrupted run starts again (its snapshots cannot resume); only a training run is removed
    removed = remove_run_folder(run, train_run_evidence(run), "training run")
    if removed:
        console.print(f"{removed} (cut short: its snapshots cannot resume, so it starts again)")
    console.rule(f"[bold]train[/] {run.name}")
    return run_training(tc)


def final_model(run: Path) -> Path:
    return latest_checkpoint(run).hf


# --------------------------------------------------------------------------------------------
# 4. scoring


def _snapshots(run: Path) -> list[Checkpoint]:
    return [c for c in TrainRun(run).list_checkpoints() if c.hf.is_dir()]


def score_run(run: Path, study: Study, eval_cfg: EvalConfig, plan, task_cfg: EvalConfig | None, task_plan, console: Console) -> dict:
    """Bits per character of every snapshot (the curve) and the tasks of the final one; cached in scores/."""
    out = study.scores / f"{run.name}.json"
    if out.is_file():
        return read_json(out)
    console.print(f"scoring {run.name} ({len(_snapshots(run))} snapshots)")
    curve = []
    for snap in _snapshots(run):
        state = read_json(snap.state)
        bpc = score_model(snap.hf, eval_cfg, plan)["bpc"]
        curve.append({"step": state["step"], "tokens": state["tokens_seen"], "replay_tokens": state["replay_tokens"],
                      **{f"{k}_bpc": v["bits_per_character"] for k, v in bpc.items()}})
    result: dict[str, Any] = {"run": run.name, "curve": curve, "final": curve[-1],
                              "eval_sets": {name: _sha256_texts(path) for name, (_, path) in plan.sources.items()}}
    if task_cfg is not None:
        tasks = score_model(final_model(run), task_cfg, task_plan)["tasks"]
        result["tasks"] = {t: r["score"] for t, r in tasks["tasks"].items()}
        result["tasks_n"] = {t: r["n"] for t, r in tasks["tasks"].items()}
        result["tasks_average"] = tasks["average"]
    atomic_write_json(out, result)
    return result


def _sha256_texts(folder: str) -> str:
    from kinyu.base.runs import sha256_file

    return sha256_file(Path(folder) / "texts.jsonl")


# --------------------------------------------------------------------------------------------
# the study


def run_study(cfg: CptStudyConfig, console: Console | None = None, data_only: bool = False) -> Path:
    """Run (or resume) every stage; returns the study folder with report.md, results.json, curves.png.
    ``data_only``: stop after the data stage (the folder can then be trained and scored elsewhere)."""
    console = console or Console()
    study = Study(cfg)
    study.root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(study.root / "study.yaml", dump_yaml(cfg))
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    sets = prepare_data(cfg, study, console)
    timings["data"] = time.perf_counter() - t0
    if data_only:
        return study.root

    variants = cpt_variants(cfg)
    eval_cfg = EvalConfig(bpc_texts=sets.bpc_texts(), batch_size=cfg.eval_batch_size, device=cfg.eval_device)
    plan = plan_scoring(eval_cfg)
    task_cfg = task_plan = None
    if cfg.data_dir or cfg.chabsa_dir:
        task_cfg = EvalConfig(tasks=list(cfg.tasks), data_dir=cfg.data_dir, chabsa_dir=cfg.chabsa_dir, limit=cfg.task_limit,
                              batch_size=cfg.eval_batch_size, device=cfg.eval_device)
        task_plan = plan_scoring(task_cfg)
    names = [BASE] + [v.name for v in variants]
    scores: dict[str, list[dict]] = {name: [] for name in names}
    timings.update(train=0.0, score=0.0)
    # seed by seed: the base, its CPT variants, their scores; the report is rewritten after every seed,
    # so a study stopped early (a lease running out) still leaves its completed seeds reported
    for seed in range(cfg.seeds):
        t = time.perf_counter()
        base_run = train_run(train_config(cfg, study, BASE, seed, cfg.base, "general"), console)
        for v in variants:
            train_run(train_config(cfg, study, v.name, seed, cfg.cpt, v.corpus, v.replay, final_model(base_run), v.order_offset),
                      console)
        timings["train"] += time.perf_counter() - t
        t = time.perf_counter()
        for name in names:
            scores[name].append(score_run(study.run(name, seed), study, eval_cfg, plan, task_cfg, task_plan, console))
        timings["score"] += time.perf_counter() - t
        write_results(cfg, study, sets, variants, scores, task_cfg, timings)
    return study.root


def write_results(cfg: CptStudyConfig, study: Study, sets: EvalSets, variants: list[Variant], scores: dict[str, list[dict]],
                  task_cfg: EvalConfig | None, timings: dict[str, float]) -> dict:
    """results.json, report.md, curves.png and the manifest for the seeds scored so far."""
    results = summarize(cfg, study, sets, variants, scores, task_cfg)
    results["timings_s"] = {k: round(v, 1) for k, v in timings.items()}
    atomic_write_json(study.root / "results.json", results)
    atomic_write_text(study.root / "report.md", render_report(results))
    plot_curves(results, study.root / "curves.png")
    write_manifest(study.root, "study-cpt", cfg, inputs=[{"role": "eval_sets", **{k: v for k, v in sets.manifest.items() if k != "key"}}],
                   timings_s=results["timings_s"], seeds_done=results["seeds"])
    return results


# --------------------------------------------------------------------------------------------
# 5. numbers, table, curves


METRIC_TITLES = {"finance_bpc": "held-out financial (as extracted: favours unfiltered)",
                 "finance_kept_bpc": "held-out financial (kept by the default filters: favours filtered)",
                 "finance_neutral_bpc": "held-out financial (neutral prose)", "finance_prose_bpc": "held-out financial prose",
                 "finance_tables_bpc": "held-out financial tables", "general_bpc": "held-out general"}


def _model_size(study: Study) -> dict:
    cfg_file = final_model(study.run(BASE, 0)) / "config.json"
    config = json.loads(cfg_file.read_text(encoding="utf-8"))
    manifest = read_json(TrainRun(study.run(BASE, 0)).manifest)
    return {"architecture": config.get("model_type"), "hidden_size": config.get("hidden_size"),
            "layers": config.get("num_hidden_layers"), "vocab_size": config.get("vocab_size"),
            "device": manifest.get("device"), "precision": manifest.get("precision")}


def _parameters(study: Study) -> int | None:
    from safetensors import safe_open

    total = 0
    for f in final_model(study.run(BASE, 0)).glob("*.safetensors"):
        with safe_open(str(f), "pt") as st:
            for key in st.keys():
                total += math.prod(st.get_slice(key).get_shape())
    return total or None


def summarize(cfg: CptStudyConfig, study: Study, sets: EvalSets, variants: list[Variant], scores: dict[str, list[dict]],
              task_cfg: EvalConfig | None) -> dict:
    metrics = [m for m in METRIC_TITLES if m in scores[BASE][0]["final"]]
    finals = {name: {m: [s["final"][m] for s in runs] for m in metrics} for name, runs in scores.items()}
    rows = {name: {m: spread_dict(vals) for m, vals in per.items()} for name, per in finals.items()}
    comparisons = []
    for v in variants:
        comparisons.append(_compare(BASE, v.name, finals, metrics))
        if v.name != REFERENCE:
            comparisons.append(_compare(REFERENCE, v.name, finals, metrics))
    tasks = None
    if task_cfg is not None:
        chance = chance_levels(task_cfg.tasks, task_cfg.data_dir, task_cfg.chabsa_dir, task_cfg.limit)
        tasks = {"chance": chance, "models": {}}
        for name, runs in scores.items():
            per_task = {}
            for t in runs[0]["tasks"]:
                vals = [r["tasks"][t] for r in runs]
                s = spread(vals)
                per_task[t] = {**spread_dict(vals), "near_chance": near_chance(s.mean, chance[t], runs[0]["tasks_n"][t])}
            tasks["models"][name] = {"per_task": per_task, "average": spread_dict([r["tasks_average"] for r in runs]),
                                     "mean_all": spread_dict([plain_average(r["tasks"]) for r in runs])}
        tasks["comparisons"] = [
            {"a": BASE, "b": v.name, "metric": "tasks_average",
             **difference_dict([r["tasks_average"] for r in scores[BASE]], [r["tasks_average"] for r in scores[v.name]])}
            for v in variants
        ]
    corpora = {}
    for name in ["general", "fin_default", "fin_raw", "fin_shuffled"]:
        summary = CorpusRun(study.corpus(name)).summary
        if summary.is_file():
            s = read_json(summary)
            corpora[name] = {"documents": s["accounting"]["kept"], "characters": s["accounting"]["kept_chars"],
                             "train_tokens": s["tokens"].get("train", {}).get("tokens", 0)}
    budget = {phase: {"tokens_per_run": scores[name][0]["final"]["tokens"], "steps": scores[name][0]["final"]["step"]}
              for phase, name in (("base", BASE), ("cpt", REFERENCE))}
    return {
        "metrics": metrics, "seeds": len(scores[BASE]), "seeds_planned": cfg.seeds, "model": {**_model_size(study), "parameters": _parameters(study)},
        "budget": budget, "corpora": corpora,
        "eval_sets": {k: {kk: vv for kk, vv in v.items() if kk in ("documents", "characters", "sha256", "folder")}
                      for k, v in sets.manifest.items() if k in SET_LABELS},
        "eval_sets_heldout": heldout_summary(sets.manifest),
        "variants": [{"name": v.name, "corpus": v.corpus, "replay": v.replay, "order_offset": v.order_offset} for v in variants],
        "final": rows, "comparisons": comparisons, "tasks": tasks,
        "curves": {name: [s["curve"] for s in runs] for name, runs in scores.items()},
        "per_seed_final": finals, "config": to_dict(cfg),
    }


def _compare(a: str, b: str, finals: dict, metrics: list[str]) -> dict:
    return {"a": a, "b": b, "metrics": {m: difference_dict(finals[a][m], finals[b][m]) for m in metrics}}


WHAT = {
    "cpt": "CPT on the default corpus, no replay",
    "cpt_unfiltered": "CPT on the same documents, unfiltered and undeduplicated",
    "cpt_repeat": "the `cpt` run again, another data order (A/A control)",
    "cpt_shuffled": "CPT on the default corpus with characters shuffled (planted effect)",
    BASE: "the general base model (before CPT)",
}


def _what(name: str) -> str:
    if name.startswith("cpt_replay"):
        return f"CPT on the default corpus, {name[len('cpt_replay'):]} % general replay"
    return WHAT.get(name, name)


def render_report(r: dict) -> str:
    m, b = r["model"], r["budget"]
    params = f"{r['model']['parameters'] / 1e6:.1f}M" if r["model"]["parameters"] else "?"
    metrics = r["metrics"]
    heads = {"finance_bpc": "finance (as extracted: favours unfiltered)", "finance_kept_bpc": "finance (kept: favours filtered)",
             "finance_neutral_bpc": "finance (neutral)", "finance_prose_bpc": "finance prose", "finance_tables_bpc": "finance tables",
             "general_bpc": "general"}
    lines = [
        "# Continual pre-training at proxy scale (`kinyu study cpt`)", "",
        f"- proxy: {m['architecture']}, {params} parameters ({m['layers']} layers, hidden {m['hidden_size']}, "
        f"vocabulary {m['vocab_size']}), {m['precision']} on {m['device']}",
        f"- seeds: {r['seeds']} per setting" + (f" (of {r['seeds_planned']} planned: the study stopped early)" if r["seeds"] < r["seeds_planned"] else "")
        + "; a CPT run of seed s starts from the base model of seed s, and every comparison is paired by seed",
        f"- budget: base {b['base']['tokens_per_run']:,} tokens ({b['base']['steps']} steps) of general text; every CPT variant "
        f"{b['cpt']['tokens_per_run']:,} tokens ({b['cpt']['steps']} steps), replay included, LR re-warmed from the base's final "
        "rate and re-decayed",
        "- corpora: " + "; ".join(f"{k} {v['documents']} docs, {v['characters']:,} chars, {v['train_tokens']:,} train tokens"
                                   for k, v in r["corpora"].items()),
        *_eval_sets_lines(r),
        "- metric: bits per character (lower is better) of the final checkpoint; mean ± sd [95 % t interval] over seeds", "",
        "## Final bits per character", "",
        "| model | what | " + " | ".join(heads[m] for m in metrics) + " |", "|---" * (len(metrics) + 2) + "|",
    ]
    for name, row in r["final"].items():
        lines.append(f"| {name} | {_what(name)} | " + " | ".join(spread_cell(row[m]) for m in metrics) + " |")
    lines += ["", "## Differences (B − A, paired by seed; 95 % interval)", "",
              "Beyond noise = the interval excludes 0. Within noise: no difference at least as large as the detectable "
              "one (paired t-test, alpha 0.05, power 0.8) was missed.", "",
              "| A | B | " + " | ".join(heads[m] for m in metrics) + " |", "|---" * (len(metrics) + 2) + "|"]
    for c in r["comparisons"]:
        lines.append(f"| {c['a']} | {c['b']} | " + " | ".join(difference_cell(c["metrics"][m]) for m in metrics) + " |")
    if r.get("tasks"):
        t = r["tasks"]
        names = list(t["chance"])
        lines += ["", "## The five fin-harness tasks (final models, leaderboard scores ×100)", "",
                  "Near chance = within two binomial standard errors of random guessing at this many items: such a score says "
                  "nothing about the model at this size.", "",
                  "| model | " + " | ".join(names) + " | average (leaderboard Ave., zeros skipped) | mean of all |",
                  "|---" * (len(names) + 3) + "|",
                  "| chance | " + " | ".join(f"{t['chance'][n]:.1f}" for n in names) + " | |"]
        for name, row in t["models"].items():
            cells = [f"{row['per_task'][n]['mean']:.1f} ± {row['per_task'][n]['sd']:.1f}" + (" (near chance)" if row["per_task"][n]["near_chance"] else "")
                     for n in names]
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {row['average']['mean']:.1f} ± {row['average']['sd']:.1f} | "
                         f"{row['mean_all']['mean']:.1f} ± {row['mean_all']['sd']:.1f} |")
        lines += ["", "| A | B | task average (leaderboard Ave.) |", "| --- | --- | --- |"]
        lines += [f"| {c['a']} | {c['b']} | {difference_cell(c, 2)} |" for c in t["comparisons"]]
    lines += ["", "## Reading it", ""] + conclusions(r) + ["", "![curves](curves.png)", ""]
    return "\n".join(lines) + "\n"


def _eval_sets_lines(r: dict) -> list[str]:
    """The fixed sets: how the held-out filers were chosen, what leaked, and each set with its label."""
    return ["- fixed evaluation sets, chosen before any variant was built:"] + ["  " + line for line in heldout_report_lines(r["eval_sets_heldout"])]


def conclusions(r: dict) -> list[str]:
    """Plain sentences for the headline comparisons, each with its interval."""
    out = []
    by = {(c["a"], c["b"]): c["metrics"] for c in r["comparisons"]}

    def say(a, b, metric, better, worse):
        d = by.get((a, b), {}).get(metric)
        if d is None:
            return
        lo, hi = d["ci95"]
        if d["verdict"].startswith("1 seed"):
            out.append(f"- {b} vs {a}, {metric}: {d['mean']:+.4f} from one seed; no interval, so no verdict (use --seeds 3 or more).")
        elif d["verdict"] != "beyond noise":
            mde = f"; differences of {d['min_detectable']:.4f} or more would have been detected" if d["min_detectable"] else ""
            out.append(f"- {b} vs {a}, {metric}: no measurable difference at this scale ({d['mean']:+.4f} [{lo:+.4f}, {hi:+.4f}]{mde}).")
        else:
            out.append(f"- {b} vs {a}, {metric}: {better if d['mean'] < 0 else worse} by {abs(d['mean']):.4f} bits/char "
                       f"[{lo:+.4f}, {hi:+.4f}], beyond noise.")

    say(BASE, REFERENCE, "finance_bpc", "CPT lowers held-out financial bits per character", "CPT raises held-out financial bits per character")
    say(BASE, REFERENCE, "general_bpc", "CPT also lowers general bits per character (no forgetting)", "CPT forgets general text: general bits per character rise")
    for c in r["comparisons"]:
        if c["a"] == REFERENCE and c["b"].startswith("cpt_replay"):
            say(REFERENCE, c["b"], "general_bpc", "replay lowers general bits per character (less forgetting)",
                "replay raises general bits per character")
            say(REFERENCE, c["b"], "finance_bpc", "replay also lowers financial bits per character", "replay costs financial bits per character")
    say(REFERENCE, "cpt_unfiltered", "finance_bpc", "the unfiltered corpus scores lower than the default",
        "kinyu's default filters and dedup lower financial bits per character")
    say(REFERENCE, "cpt_unfiltered", "finance_kept_bpc", "on the text the filters keep, the unfiltered corpus scores lower",
        "on the text the filters keep, kinyu's default corpus scores lower")
    say(REFERENCE, "cpt_repeat", "finance_bpc", "the A/A control differs", "the A/A control differs")
    say(REFERENCE, "cpt_shuffled", "finance_bpc", "the planted effect lowers", "the planted effect (shuffled characters) is detected")
    return out


def plot_curves(r: dict, path: Path) -> None:
    import matplotlib  # heavy: imported when the plot is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    import numpy as np

    metrics = r["metrics"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 4.2), squeeze=False)
    base = r["per_seed_final"][BASE]
    for ax, metric in zip(axes[0], metrics):
        title = METRIC_TITLES[metric]
        for name, curves in r["curves"].items():
            if name == BASE:
                continue
            # the CPT curve starts at its base model (step 0); the band is mean ± sd over seeds
            xs = [0] + [p["tokens"] for p in curves[0]]
            ys = np.array([[base[metric][s]] + [p[metric] for p in c] for s, c in enumerate(curves)])
            mean = ys.mean(0)
            sd = ys.std(0, ddof=1) if len(ys) > 1 else np.zeros(ys.shape[1])
            line, = ax.plot(xs, mean, marker="o", ms=3, label=name)
            ax.fill_between(xs, mean - sd, mean + sd, color=line.get_color(), alpha=0.2)
        ax.set_title(f"{title} bits per character")
        ax.set_xlabel("CPT tokens")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1e3:,.0f}k" if x else "0"))
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"CPT from the general base, {r['seeds']} seeds (band: ± 1 sd)")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def table(results: dict) -> str:
    """The headline table printed at the end of ``kinyu study cpt``."""
    report = render_report(results)
    start = report.index("## Final bits per character")
    end = report.index("## Reading it")
    return report[start:end] + "\n".join(conclusions(results))
