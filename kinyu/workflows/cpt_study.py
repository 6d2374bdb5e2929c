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
   its 95 % t interval and, with documents as the unit, a paired bootstrap over documents and seeds;
   "beyond noise" only when both exclude 0, and where not, the size detectable if the sd holds
   (``kinyu.workflows.stats``). Beside the models, a trivial baseline: a character n-gram model
   trained on the base's training text and on the CPT corpus (``kinyu.evaluation.ngram``).
   ``results.json`` holds every final model's per-document scores (``per_document_final``).
   ``kinyu study calibrate`` (``kinyu.workflows.calibration``) measures the false-positive rate of the
   verdict over many A/A pairs and how often planted differences are found; its ``calibration.json``
   becomes a section of the report.

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

from kinyu.base.config import dump_yaml, from_dict, set_field, to_dict, validate
from kinyu.base.errors import PathNotFound
from kinyu.base.layout import Checkpoint, CorpusRun, TrainRun, latest_checkpoint, train_run_evidence
from kinyu.base.runs import atomic_write_json, atomic_write_text, read_json, remove_run_folder, write_manifest
from kinyu.evaluation.config import EvalConfig
from kinyu.evaluation.score import plan_scoring, score_model
from kinyu.evaluation.tasks.chance import chance_levels
from kinyu.evaluation.tasks.metrics import plain_average
from kinyu.training.config import TrainConfig
from kinyu.training.train import run_training
from kinyu.workflows.eval_sets import SET_LABELS, EvalSets, heldout_report_lines, heldout_summary
from kinyu.workflows.stats import (difference_cell, difference_dict, document_bpc, near_chance, sd_uncertainty, spread, spread_cell,
                                   spread_dict, study_difference_cell, study_difference_dict)

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
        raise PathNotFound(f"study inputs not found: {missing}")
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
    }
    if model_path is not None:
        # a CPT run's seed is the base's: the same initial weights; its data order follows seed + offset
        overrides["run.seed"] = 1000 * seed + 1 + order_offset
    # the study's train section (tiny_cpu.yaml and what the user changed of it), then what the study sets itself
    tc = from_dict(TrainConfig, to_dict(cfg.train))
    for key, value in overrides.items():
        set_field(tc, key, value)
    return validate(tc)


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
    sources = {name: _sha256_texts(path) for name, (_, path) in plan.sources.items()}
    if out.is_file() and "final_documents" in (cached := read_json(out)) and cached.get("eval_sets") == sources:
        return cached  # (scores written before per-document scores were kept, or on other sets, are scored again)
    console.print(f"scoring {run.name} ({len(_snapshots(run))} snapshots)")
    curve = []
    for snap in _snapshots(run):
        state = read_json(snap.state)
        bpc = score_model(snap.hf, eval_cfg, plan)["bpc"]
        curve.append({"step": state["step"], "tokens": state["tokens_seen"], "replay_tokens": state["replay_tokens"],
                      **{f"{k}_bpc": v["bits_per_character"] for k, v in bpc.items()}})
    result: dict[str, Any] = {"run": run.name, "curve": curve, "final": curve[-1],
                              # the final snapshot per document (summed NLL in bits, characters): documents as the unit
                              "final_documents": {f"{k}_bpc": v["per_document"] for k, v in bpc.items()},
                              "eval_sets": sources}
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
    if cfg.task_data.given():
        task_cfg = EvalConfig(task_data=cfg.task_data, batch_size=cfg.eval_batch_size, device=cfg.eval_device)
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
        if cfg.ngram_order:  # counted once (cached in baselines/ngram.json); here too when a resumed study lacks it
            t = time.perf_counter()
            ngram_baselines(cfg, study, plan, console)
            timings["ngram_baseline"] = timings.get("ngram_baseline", 0.0) + time.perf_counter() - t
        write_results(cfg, study, sets, variants, scores, task_cfg, timings)
    return study.root


NGRAM_CORPORA = {"general": "the base model's training corpus (general, train split, all of it)",
                 "fin_default": "the CPT corpus (default config, train split, all of it)"}


def ngram_baselines(cfg: CptStudyConfig, study: Study, plan, console: Console) -> dict:
    """The trivial baseline: a character n-gram model (``kinyu.evaluation.ngram``) trained on the text the base
    saw and, as a second row, on the CPT corpus, scored on every fixed set; cached in baselines/ngram.json."""
    out = study.root / "baselines" / "ngram.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    key = {"order": cfg.ngram_order, "eval_sets": {name: _sha256_texts(path) for name, (_, path) in plan.sources.items()}}
    if out.is_file() and read_json(out).get("key") == key:
        return read_json(out)
    from kinyu.evaluation.bpc import corpus_split_texts
    from kinyu.evaluation.ngram import CharNgramLM, bits_per_character_ngram

    result: dict[str, Any] = {"key": key, "models": {}}
    for corpus, what in NGRAM_CORPORA.items():
        console.print(f"n-gram baseline (order {cfg.ngram_order}) on {corpus}")
        texts = corpus_split_texts(study.corpus(corpus), "train")
        lm = CharNgramLM(texts, cfg.ngram_order)
        result["models"][corpus] = {
            "what": what, "train_documents": len(texts), "train_characters": sum(map(len, texts)),
            "sets": {f"{name}_bpc": bits_per_character_ngram(lm, docs) for name, docs in plan.texts.items()}}
    atomic_write_json(out, result)
    return result


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
METRIC_HEADS = {"finance_bpc": "finance (as extracted: favours unfiltered)", "finance_kept_bpc": "finance (kept: favours filtered)",
                "finance_neutral_bpc": "finance (neutral)", "finance_prose_bpc": "finance prose", "finance_tables_bpc": "finance tables",
                "general_bpc": "general"}


def _metric_names(final: dict) -> list[str]:
    """Every scored set's ``<set>_bpc``, in the order scored: the known three and any other set ``EvalSets.bpc_texts`` lists."""
    return [k for k in final if k.endswith("_bpc")]


def _title(metric: str) -> str:
    return METRIC_TITLES.get(metric, f"held-out {metric[:-len('_bpc')].replace('_', ' ')}")


def metric_head(metric: str) -> str:
    return METRIC_HEADS.get(metric, metric[:-len("_bpc")].replace("_", " "))


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
    metrics = _metric_names(scores[BASE][0]["final"])
    finals = {name: {m: [s["final"][m] for s in runs] for m in metrics} for name, runs in scores.items()}
    documents = per_document_finals(scores, metrics)
    rows = {name: {m: {**spread_dict(vals), **_document_mean(documents, name, m)} for m, vals in per.items()}
            for name, per in finals.items()}
    comparisons = []
    for v in variants:
        comparisons.append(_compare(BASE, v.name, finals, metrics, documents))
        if v.name != REFERENCE:
            comparisons.append(_compare(REFERENCE, v.name, finals, metrics, documents))
    tasks = None
    if task_cfg is not None:
        data = task_cfg.task_data
        chance = chance_levels(data.tasks, data.data_dir, data.chabsa_dir, data.limit, data.u4_dir, data.u4_split)
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
        "per_seed_final": finals, "per_document_final": documents, "ngram_baseline": _ngram_rows(study, metrics),
        "base_convergence": base_convergence(study, len(scores[BASE])), "config": to_dict(cfg),
        "calibration": read_json(study.root / CALIBRATION) if (study.root / CALIBRATION).is_file() else None,
    }


CALIBRATION = "calibration.json"  # written by ``kinyu study calibrate`` (kinyu.workflows.calibration)


def per_document_finals(scores: dict[str, list[dict]], metrics: list[str]) -> dict:
    """``{model: {metric: {"nll_bits": [[per document] per seed], "characters": [per document]}}}`` of the final
    checkpoints: the same documents, in the same order, for every model and seed (checked)."""
    out: dict[str, dict] = {}
    for name, runs in scores.items():
        out[name] = {}
        for m in metrics:
            per_seed = [r["final_documents"][m] for r in runs]
            chars = per_seed[0]["characters"]
            if any(p["characters"] != chars for p in per_seed):
                raise ValueError(f"{name} {m}: the seeds were scored on different documents")
            out[name][m] = {"nll_bits": [p["nll_bits"] for p in per_seed], "characters": chars}
    return out


def _document_bpc(documents: dict, name: str, metric: str) -> list[list[float]]:
    d = documents[name][metric]
    return [document_bpc(nll, d["characters"]) for nll in d["nll_bits"]]


def _document_mean(documents: dict, name: str, metric: str) -> dict:
    """The mean over documents of per-document bits per character, per seed (a long document weighs as one)."""
    per_seed = [sum(v) / len(v) for v in _document_bpc(documents, name, metric)]
    return {"document_mean": spread_dict(per_seed), "documents": len(documents[name][metric]["characters"])}


def _compare(a: str, b: str, finals: dict, metrics: list[str], documents: dict) -> dict:
    return {"a": a, "b": b, "metrics": {m: study_difference_dict(finals[a][m], finals[b][m], _document_bpc(documents, a, m),
                                                                 _document_bpc(documents, b, m)) for m in metrics}}


def _ngram_rows(study: Study, metrics: list[str]) -> dict | None:
    path = study.root / "baselines" / "ngram.json"
    if not path.is_file():
        return None
    models = read_json(path)["models"]
    return {corpus: {"what": m["what"], "order": next(iter(m["sets"].values()))["order"], "train_characters": m["train_characters"],
                     **{k: m["sets"][k]["bits_per_character"] for k in metrics if k in m["sets"]},
                     "document_mean": {k: sum(document_bpc(**m["sets"][k]["per_document"])) / m["sets"][k]["documents"]
                                       for k in metrics if k in m["sets"]}}
            for corpus, m in models.items()}


def base_convergence(study: Study, seeds: int) -> dict | None:
    """How far the base's training loss was still falling at its end: the mean loss of the last fifth of the logged
    steps against the fifth before, per seed. A base still falling by more than 2 % is called undertrained: its
    general bits per character would fall with more general training alone, so a CPT variant that does not raise
    them says nothing about forgetting."""
    drops = []
    for seed in range(seeds):
        path = TrainRun(study.run(BASE, seed)).metrics
        if not path.is_file():
            return None
        losses = [json.loads(line)["loss"] for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip() and "loss" in json.loads(line)]
        k = len(losses) // 5
        if k < 1:
            return None
        before, last = sum(losses[-2 * k:-k]) / k, sum(losses[-k:]) / k
        drops.append((before - last) / before)
    return {"relative_loss_drop_last_fifth": drops, "undertrained": max(drops) > UNDERTRAINED_DROP}


UNDERTRAINED_DROP = 0.02


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
        "- metric: bits per character (lower is better) of the final checkpoint; mean ± sd [95 % t interval] over seeds "
        "of the pooled figure (all NLL over all characters: a long document weighs by its length), and below it the mean "
        "over documents (each document weighs as one)", "",
        "## Final bits per character", "",
        "| model | what | " + " | ".join(metric_head(m) for m in metrics) + " |", "|---" * (len(metrics) + 2) + "|",
    ]
    for name, row in r["final"].items():
        lines.append(f"| {name} | {_what(name)} | " + " | ".join(spread_cell(row[m]) for m in metrics) + " |")
    lines += _ngram_report_rows(r)
    lines += _document_mean_table(r)
    lines += _differences_section(r)
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
    lines += _calibration_section(r)
    lines += ["", "## Reading it", ""] + conclusions(r) + ["", "![curves](curves.png)", ""]
    return "\n".join(lines) + "\n"


def _ngram_report_rows(r: dict) -> list[str]:
    """The trivial baseline's rows under the models' (one deterministic figure each: no seeds)."""
    rows = r.get("ngram_baseline")
    if not rows:
        return []
    out = []
    for corpus, row in rows.items():
        out.append(f"| trivial baseline: char {row['order']}-gram on {corpus} | interpolated Kneser–Ney on {row['what']}, "
                   f"{row['train_characters']:,} characters | " + " | ".join(f"{row[m]:.4f}" if m in row else "" for m in r["metrics"]) + " |")
    return out


def _document_mean_table(r: dict) -> list[str]:
    metrics = r["metrics"]
    if not all("document_mean" in row[metrics[0]] for row in r["final"].values()):
        return []
    docs = next(iter(r["final"].values()))
    lines = ["", "Mean over documents of per-document bits per character (documents: "
             + ", ".join(f"{metric_head(m)} {docs[m]['documents']}" for m in metrics) + "); mean ± sd [95 % t interval] over seeds:", "",
             "| model | " + " | ".join(metric_head(m) for m in metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for name, row in r["final"].items():
        lines.append(f"| {name} | " + " | ".join(spread_cell(row[m]["document_mean"]) for m in metrics) + " |")
    for corpus, row in (r.get("ngram_baseline") or {}).items():
        lines.append(f"| trivial baseline: char {row['order']}-gram on {corpus} | "
                     + " | ".join(f"{row['document_mean'][m]:.4f}" if m in row["document_mean"] else "" for m in metrics) + " |")
    return lines


def _differences_section(r: dict) -> list[str]:
    metrics = r["metrics"]
    unc = sd_uncertainty(r["seeds"])
    sd_note = (f" With {r['seeds']} seeds the sd itself is uncertain by ×{unc[0]:.2f} to ×{unc[1]:.1f} (95 % chi-square "
               "interval), and so is that size." if unc else "")
    lines = ["", "## Differences (B − A, paired by seed; 95 % intervals)", "",
             "Each cell: the pooled difference [its per-seed t interval]; `docs`: the mean over documents of the per-document "
             "differences, paired by seed and document [95 % paired bootstrap over documents and seeds, "
             f"{BOOTSTRAP_NOTE}]. **Beyond noise** only when both intervals exclude 0 on the same side (a difference carried "
             "by a few long documents, or by one seed, is not called real). Within noise: the size a paired t-test "
             "(alpha 0.05, power 0.8) would detect, *if the sd of the per-seed differences seen is the true one*." + sd_note, "",
             "| A | B | " + " | ".join(metric_head(m) for m in metrics) + " |", "|---" * (len(metrics) + 2) + "|"]
    for c in r["comparisons"]:
        lines.append(f"| {c['a']} | {c['b']} | " + " | ".join(study_difference_cell(c["metrics"][m]) for m in metrics) + " |")
    return lines


BOOTSTRAP_NOTE = "2,000 samples, seeded"


def _calibration_section(r: dict) -> list[str]:
    """What ``kinyu study calibrate`` measured for this study's scale, when its calibration.json is in the folder."""
    cal = r.get("calibration")
    if not cal:
        return ["", "## Calibration", "",
                "Not run for this study folder: `kinyu study calibrate` (same config) runs many A/A pairs and reports how often "
                "\"beyond noise\" fires without a difference, and how often planted differences are found."]
    from kinyu.workflows.calibration_report import report_lines

    return ["", "## Calibration (`kinyu study calibrate`)", ""] + report_lines(cal, metric_head)


def _eval_sets_lines(r: dict) -> list[str]:
    """The fixed sets: how the held-out filers were chosen, what leaked, and each set with its label."""
    return ["- fixed evaluation sets, chosen before any variant was built:"] + ["  " + line for line in heldout_report_lines(r["eval_sets_heldout"])]


def conclusions(r: dict) -> list[str]:
    """Plain sentences for the headline comparisons, each with its intervals, and no more than they carry."""
    out = []
    by = {(c["a"], c["b"]): c["metrics"] for c in r["comparisons"]}

    def say(a, b, metric, lower, higher, note=""):
        d = by.get((a, b), {}).get(metric)
        if d is None:
            return
        lo, hi = d["ci95"]
        if d["verdict"].startswith("1 seed"):
            out.append(f"- {b} vs {a}, {metric}: {d['mean']:+.4f} from one seed; no interval, so no verdict (use --seeds 3 or more).")
            return
        docs = ""
        if "bootstrap" in d:
            bs = d["bootstrap"]
            docs = (f"; over {bs['documents']} documents {bs['mean_over_documents']:+.4f} "
                    f"[{bs['ci95'][0]:+.4f}, {bs['ci95'][1]:+.4f}]")
        if d["verdict"] != "beyond noise":
            mde = (f"; a difference of about {d['min_detectable']:.4f} would be detectable if the sd of these {r['seeds']} seeds holds"
                   if d["min_detectable"] else "")
            out.append(f"- {b} vs {a}, {metric}: within noise ({d['mean']:+.4f} [{lo:+.4f}, {hi:+.4f}]{docs}{mde}).")
        else:
            out.append(f"- {b} vs {a}, {metric}: {lower if d['mean'] < 0 else higher} by {abs(d['mean']):.4f} bits/char "
                       f"[{lo:+.4f}, {hi:+.4f}]{docs}, beyond noise{note}.")

    undertrained, base_note = _base_state(r)
    say(BASE, REFERENCE, "finance_bpc", "CPT lowers held-out financial bits per character",
        "CPT raises held-out financial bits per character",
        " (training on the domain is expected to lower in-domain bits per character; the paper measured task scores, not this)")
    say(BASE, REFERENCE, "general_bpc", "general bits per character also fall after CPT", "general bits per character rise after CPT (forgetting)",
        base_note)
    for c in r["comparisons"]:
        if c["a"] == REFERENCE and c["b"].startswith("cpt_replay"):
            say(REFERENCE, c["b"], "general_bpc", "replay lowers general bits per character", "replay raises general bits per character")
            say(REFERENCE, c["b"], "finance_bpc", "replay also lowers financial bits per character", "replay costs financial bits per character")
    say(REFERENCE, "cpt_unfiltered", "finance_bpc", "on the held-out documents as extracted, the unfiltered corpus scores lower",
        "on the held-out documents as extracted, the default corpus scores lower")
    say(REFERENCE, "cpt_unfiltered", "finance_kept_bpc", "on the text the filters keep, the unfiltered corpus scores lower",
        "on the text the filters keep, kinyu's default corpus scores lower")
    say(REFERENCE, "cpt_repeat", "finance_bpc", "the A/A control (another data order) differs", "the A/A control (another data order) differs")
    if (REFERENCE, "cpt_repeat") in by and r.get("calibration") is None:
        out.append("- One A/A pair shows whether this pair crossed the line, not how often such pairs do: "
                   "`kinyu study calibrate` measures the false-positive rate over many pairs.")
    say(REFERENCE, "cpt_shuffled", "finance_bpc", "the planted effect lowers", "the planted effect (shuffled characters) raises")
    out += _yardstick_sentences(r, undertrained)
    return out


def _base_state(r: dict) -> tuple[bool, str]:
    """Whether the base is undertrained at this scale, and the clause that says why: its training loss still falling
    (``base_convergence``), or its general bits per character above a character n-gram model trained on the same
    text. Either way general bits per character that fall after CPT say the base had more to learn from any text,
    not that CPT does not forget."""
    reasons, facts = [], []
    conv = r.get("base_convergence")
    if conv is not None:
        fell = max(conv["relative_loss_drop_last_fifth"])
        (reasons if conv["undertrained"] else facts).append(f"its training loss {'still ' if conv['undertrained'] else ''}fell "
                                                            f"{fell:.1%} over its last fifth")
    gram = (r.get("ngram_baseline") or {}).get("general", {}).get("general_bpc")
    if gram is not None and BASE in r["final"] and "general_bpc" in r["final"][BASE]:
        base = r["final"][BASE]["general_bpc"]["mean"]
        if base > gram:
            reasons.append(f"its general bits per character ({base:.2f}) are above those of a character n-gram model counted on "
                           f"its whole training corpus ({gram:.2f}{_base_share(r)})")
        else:
            facts.append(f"its general bits per character ({base:.2f}) are below those of a character n-gram model counted on its "
                         f"whole training corpus ({gram:.2f}{_base_share(r)})")
    if reasons:
        return True, (" (the base is undertrained at this scale: " + "; ".join(reasons) + (f", although {facts[0]}" if facts else "")
                      + ". So this does not show that CPT does not forget)")
    return False, (" (the base: " + "; ".join(facts) + ")") if facts else ""


def _base_share(r: dict) -> str:
    try:
        return f"; the base trained on {r['budget']['base']['tokens_per_run']:,} of its {r['corpora']['general']['train_tokens']:,} tokens"
    except KeyError:
        return ""


def _yardstick_sentences(r: dict, undertrained: bool) -> list[str]:
    """Where the proxies stand against the trivial baseline, per set."""
    rows = r.get("ngram_baseline")
    if not rows:
        return []
    out = []
    for m in r["metrics"]:
        models = ", ".join(f"{name} {r['final'][name][m]['mean']:.2f}" for name in (BASE, REFERENCE) if name in r["final"])
        grams = ", ".join(f"{row['order']}-gram on {corpus} {row[m]:.2f}" for corpus, row in rows.items() if m in row)
        out.append(f"- trivial baseline, {metric_head(m)}: {models} bits/char against a character {grams}.")
        fin = rows.get("fin_default", {}).get(m)
        if fin is not None and REFERENCE in r["final"] and fin < r["final"][REFERENCE][m]["mean"] - 1.0:
            # counting beats the proxy: either the proxy is far from trained or the held-out text shares stretches
            # with the training corpus; the containment figures say how much of the second, so neither is asserted
            out.append(f"  On {metric_head(m)} the n-gram counted on the CPT corpus is {r['final'][REFERENCE][m]['mean'] - fin:.2f} bits/char "
                       "below the CPT proxy: the proxy has learned less of this text than counting the corpus's character "
                       "sequences does (a proxy far from trained, text shared with the training corpus, or both: the "
                       "containment figures above say how much is shared), so differences between proxies here are "
                       "differences between weak models.")
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
        title = _title(metric)
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
