"""``kinyu corpus ablate``: one corpus per filter setting, and optionally proxy models trained on each.

Each variant is the base config with ``--vary KEY=V1,V2`` applied (the cartesian product of all
``--vary``). Corpora are built through the extraction cache, so only the filters re-run. With a
proxy, the table answers "does this setting make a better model?", not only "how much did it remove?":

- the **fixed evaluation sets** are chosen before any variant is built (``kinyu.workflows.eval_sets``):
  held-out financial documents, taken out of every variant's inputs by document before any filter
  runs, as extracted and as the base config's filters keep them; held-out general text; the tasks
  when task data is given (with their chance level: a tiny proxy is near it);
- every variant's proxy trains on the **same number of tokens** (``schedule.max_steps`` of the proxy,
  or ``proxy.tokens``), whatever the variant removed; the table says how many epochs that is;
- every variant is trained with ``proxy.seeds`` seeds (initialisation and data order; the corpus is
  the same), and each metric is reported as mean, sd and 95 % interval; the difference to the
  baseline variant is paired by seed (t interval) and, for bits per character, by seed and document
  (a paired bootstrap over documents and seeds; per-document scores in ``ablation.json``), and
  called "beyond noise" only when both intervals exclude 0, else "within noise" with the size
  detectable if the sd holds (``kinyu.workflows.stats``);
- beside every variant's proxies, a trivial baseline: a character n-gram model trained on the
  variant's own train split (``kinyu.evaluation.ngram``), scored on the same sets.

Variants already built, trained or scored are not redone.
"""

from __future__ import annotations

import copy
import csv
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from kinyu.base import u4
from kinyu.base.benchmarks import U4_TASKS
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.pipeline import build
from kinyu.corpus.reporting.run_reader import kept_ids, load_summary, removed_reasons
from kinyu.evaluation.config import EvalConfig, TaskDataConfig
from kinyu.evaluation.score import ScoringPlan, plan_scoring, score_model
from kinyu.base.config import ConfigError, load_config, option, set_field, validate
from kinyu.base.layout import CorpusRun, latest_checkpoint
from kinyu.base.runs import atomic_write_json, atomic_write_text, read_json
from kinyu.training.config import TrainConfig
from kinyu.evaluation.tasks.chance import chance_levels
from kinyu.training.train import run_training
from kinyu.workflows.eval_sets import EvalSets, EvalSetsConfig, heldout_report_lines, heldout_summary, u4_default_inputs
from kinyu.workflows.heldout import build_eval_sets
from kinyu.workflows.stats import (difference_cell, difference_dict, document_bpc, near_chance, sd_uncertainty, spread, spread_cell,
                                   spread_dict, study_difference_cell, study_difference_dict)


@dataclass
class ProxyConfig:
    """The small model trained on every variant, and the fixed sets all of them are scored on."""

    train_config: Path = option(help="the proxy's training YAML (TrainConfig); its corpus_runs, out_dir and seed are set per run")
    seeds: int = option(3, "runs per variant, seeds 0..N-1 (initialisation and data order; the corpus stays the same)")
    tokens: int | None = option(None, "tokens every proxy trains on (empty = the proxy YAML's schedule.max_steps)")
    eval_sets: EvalSetsConfig = option(factory=EvalSetsConfig)
    eval_texts: Path | None = option(None, "one more fixed financial text folder to score on (besides the held-out sets)")
    # the tasks, when task data is given (or a U4 task named: u4_tableqa_mc is what a small proxy can show);
    # 20 items of each, for every variant and seed
    task_data: TaskDataConfig = option(factory=lambda: TaskDataConfig(limit=20), flatten=True)
    ngram_order: int = option(5, "a trivial baseline per variant: a character n-gram model of this order on the variant's train split, "
                                 "scored on the same sets (0 = off)")

    def problems(self) -> list[str]:
        found = [] if self.seeds >= 1 else ["seeds must be >= 1 (3 or more for an interval)"]
        return found + ([] if self.ngram_order >= 0 else [f"ngram_order must be >= 0, got {self.ngram_order}"])


@dataclass
class AblationConfig:
    vary: list[str] = option(help="KEY=V1,V2 per corpus config field; the variants are the cartesian product")
    out: Path = option(Path("runs/ablation"), "output folder (variants/<name>/{corpus,train}, ablation.md/.csv/.png)")
    base_config: Path | None = option(None, "corpus YAML every variant starts from (None: the defaults)")
    workers: int = option(1, "corpus build workers")
    proxy: ProxyConfig | None = option(None, "train and score proxy models per variant (None: compare the corpora only)")
    baseline: str | None = option(None, "the variant the others are compared with (default: the first)")


@dataclass(frozen=True)
class Variant:
    name: str
    assign: dict[str, str] = option({})  # corpus config field -> value


def parse_vary(items: list[str]) -> list[tuple[str, list[str]]]:
    out = []
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not values:
            raise ConfigError(f"--vary takes KEY=V1,V2[,...], got {item!r}")
        out.append((key.strip(), [v.strip() for v in values.split(",") if v.strip()]))
    return out


def variant_name(assign: dict[str, str]) -> str:
    raw = "__".join(f"{k.split('.')[-1]}={v}" for k, v in assign.items())
    return re.sub(r"[^A-Za-z0-9_.=+-]", "_", raw)


def variants(base_config: Path | None, vary: list[tuple[str, list[str]]]) -> list[Variant]:
    keys = [k for k, _ in vary]
    out = []
    for values in itertools.product(*[vals for _, vals in vary]):
        assign = dict(zip(keys, values))
        cfg = load_config(CorpusConfig, base_config)
        for k, v in assign.items():
            set_field(cfg, k, v)  # fail now, with the field name, not after the first build
        out.append(Variant(variant_name(assign), assign))
    return out


def run_ablation(config: AblationConfig, console: Console | None = None) -> Path:
    """Build every variant's corpus (and train + score its proxies); write ablation.csv/.md/.png into ``config.out``."""
    console = console or Console()
    out = Path(config.out)
    plan = variants(config.base_config, parse_vary(config.vary))
    if config.proxy is not None:
        validate(config.proxy, "proxy")
        proxy_train_config(config.proxy, out, out, 0)  # the proxy YAML loads and fixes a token budget: before any build
    baseline = config.baseline or plan[0].name
    if baseline not in {v.name for v in plan}:
        raise ConfigError(f"baseline {baseline!r} is not a variant; variants: {[v.name for v in plan]}")
    sets, inputs = None, None
    if config.proxy is not None:
        # chosen before any variant is built: their files are left out of every variant's inputs
        base_cfg = load_config(CorpusConfig, config.base_config, {"executor.workers": config.workers})
        eval_sets, inputs = proxy_inputs(config.proxy, base_cfg, out)
        if warning := u4_unguarded(config.proxy.task_data, base_cfg, inputs):
            console.print(f"[yellow]warning[/]: {warning}", markup=True)
        if inputs is not None:
            set_field(base_cfg, "input.paths", inputs)
        sets = build_eval_sets(eval_sets, base_cfg, out / "eval_sets", console, workers=config.workers)
    runs = {variant.name: build_variant(config, variant, console, sets, inputs) for variant in plan}
    rows = [corpus_row(variant, runs[variant.name]) for variant in plan]
    add_lost_documents(rows, runs)
    result = {"rows": rows}
    if config.proxy is not None:
        result = add_proxy_scores(config.proxy, out, rows, runs, sets, baseline, console)
        result["eval_sets_heldout"] = heldout_summary(sets.manifest)
    _write_outputs(out, result, config.proxy, sets, baseline)
    return out


def proxy_inputs(proxy: ProxyConfig, base_cfg: CorpusConfig, out: Path) -> tuple[EvalSetsConfig, list[str] | None]:
    """The eval-sets config and the financial inputs every variant reads (None: the base config's). A base config
    without input paths trains on filings-u4's train reports where filings-u4 is there (unpacked once into
    ``out/data/filings-u4``), with its valid + test reports held out; else the base config's default stands."""
    if base_cfg.input.paths:
        return proxy.eval_sets, None
    default = u4_default_inputs(proxy.eval_sets, out / "data")
    if default is None:
        return proxy.eval_sets, None
    train, heldout = default
    eval_sets = copy.deepcopy(proxy.eval_sets)
    if not eval_sets.heldout_inputs:
        eval_sets.heldout_inputs = heldout
    return eval_sets, train


def u4_unguarded(task_data: TaskDataConfig, base_cfg: CorpusConfig, inputs: list[str] | None) -> str | None:
    """Why the U4 tasks' tables may be in the variants' training text, or None: they are not when the variants read
    the filings-u4 default (its train reports only: ``inputs``), or when the base config decontaminates against a
    filings-u4 folder (its valid and test tables are benchmark items)."""
    if not any(t in U4_TASKS for t in task_data.tasks) or inputs is not None:
        return None
    decontam = base_cfg.decontamination
    if decontam.enabled and any(u4.is_u4_folder(Path(p)) for p in decontam.benchmark_paths):
        return None
    return ("U4 tasks are scored, but the variants read the base config's own inputs without decontamination against "
            "filings-u4: if they hold U4 reports of the evaluated split, the proxies train on the tables they are asked "
            "about (use a base config without input paths for the filings-u4 default, or add the filings-u4 folder to "
            "decontamination.benchmark_paths)")


def build_variant(config: AblationConfig, variant: Variant, console: Console, sets: EvalSets | None = None,
                  inputs: list[str] | None = None) -> Path:
    """The variant's corpus run, built unless already there (without the held-out files, when there are fixed sets;
    from ``inputs`` when given, else the base config's input paths)."""
    run = Path(config.out) / "variants" / variant.name / "corpus"
    if not CorpusRun(run).manifest.is_file():
        console.rule(f"[bold]corpus[/] {variant.name}")
        overrides = {**variant.assign, "output": str(run), "executor.workers": config.workers}
        if inputs is not None:
            overrides["input.paths"] = inputs
        if sets is not None:
            overrides["input.exclude"] = sets.exclude
        build(load_config(CorpusConfig, config.base_config, overrides))
    return run


def corpus_row(variant: Variant, run: Path) -> dict[str, Any]:
    summary = load_summary(run)
    acc = summary["accounting"]
    tokens = summary.get("tokens", {}).get("train", {}).get("tokens", 0)
    return {"variant": variant.name, **variant.assign, "kept_docs": acc["kept"], "kept_chars": acc["kept_chars"], "train_tokens": tokens}


def add_lost_documents(rows: list[dict[str, Any]], runs: dict[str, Path]) -> None:
    """What each variant removed that another kept, with the reason it was removed."""
    kept = {name: kept_ids(run) for name, run in runs.items()}
    for row in rows:
        name = row["variant"]
        others_kept = set().union(*(kept[o] for o in kept if o != name)) if len(kept) > 1 else set()
        lost = sorted(others_kept - kept[name])
        reasons = removed_reasons(runs[name])
        row["removed_but_kept_elsewhere"] = len(lost)
        row["examples"] = "; ".join(f"{i} ({reasons.get(i, '?')})" for i in lost[:3])


def proxy_eval_config(proxy: ProxyConfig, sets: EvalSets) -> EvalConfig:
    """The same sets for every variant and seed: the held-out financial documents (as extracted and as
    the base config keeps them), general text, ``eval_texts`` if given, and the tasks with task data."""
    texts = sets.bpc_texts() + ([f"finance_given={proxy.eval_texts}"] if proxy.eval_texts else [])
    return EvalConfig(task_data=proxy.task_data, bpc_texts=texts)


def proxy_train_config(proxy: ProxyConfig, corpus_run: Path, train_dir: Path, seed: int) -> TrainConfig:
    cfg = load_config(TrainConfig, proxy.train_config, {"data.corpus_runs": [str(corpus_run)], "run.out_dir": str(train_dir)})
    set_field(cfg, "run.seed", cfg.run.seed + 1000 * seed)
    # no validation loss during training: each variant's own validation split differs (and a strict variant's
    # may be too small to hold a window); every proxy is scored on the fixed sets instead
    set_field(cfg, "logging.eval_every_steps", 0)
    if proxy.tokens is not None:
        window_tokens = cfg.schedule.micro_batch_size * cfg.schedule.grad_accum_steps * cfg.data.seq_len
        set_field(cfg, "schedule.max_steps", max(1, math.ceil(proxy.tokens / window_tokens)))
    if cfg.schedule.max_steps is None:
        raise ConfigError(f"{proxy.train_config}: set schedule.max_steps (or --proxy.tokens) so that every variant's proxy "
                          "trains on the same number of tokens, whatever the variant removed")
    return cfg


def train_proxy(cfg: TrainConfig, console: Console) -> Path:
    """Train (or finish training) one proxy run; its run folder."""
    train_dir = Path(cfg.run.out_dir)
    try:
        step = read_json(latest_checkpoint(train_dir).state)["step"]
    except FileNotFoundError:
        step = None
    if step is None or step < cfg.schedule.max_steps:
        console.rule(f"[bold]proxy training[/] {train_dir.parent.name} seed {cfg.run.seed}")
        run_training(cfg, resume=step is not None)
    return train_dir


def score_proxy(train_dir: Path, eval_cfg: EvalConfig, scoring: ScoringPlan) -> dict[str, Any]:
    """The latest checkpoint's steps, tokens, bits per character per fixed set and task scores."""
    ckpt = latest_checkpoint(train_dir)
    state = read_json(ckpt.state)
    scores = score_model(ckpt.hf, eval_cfg, scoring)
    result: dict[str, Any] = {"proxy_steps": state["step"], "proxy_tokens": state["tokens_seen"]}
    for name, r in scores["bpc"].items():
        result[f"{name}_bpc"] = r["bits_per_character"]
    # per document (summed NLL in bits, characters): the unit of the bootstrap
    result["documents"] = {f"{name}_bpc": r["per_document"] for name, r in scores["bpc"].items()}
    if scores.get("tasks"):
        result["tasks"] = {t: r["score"] for t, r in scores["tasks"]["tasks"].items()}
        result["tasks_n"] = {t: r["n"] for t, r in scores["tasks"]["tasks"].items()}
        result["tasks_average"] = float(scores["tasks"]["average"])  # the leaderboard's Ave.: tasks scoring 0 skipped
        result["tasks_mean_all"] = float(scores["tasks"]["mean_all"])  # every task, zeros included
    return result


def add_proxy_scores(proxy: ProxyConfig, out: Path, rows: list[dict[str, Any]], runs: dict[str, Path], sets: EvalSets,
                     baseline: str, console: Console) -> dict[str, Any]:
    """Train and score every variant's proxies not yet scored (``variants/<name>/proxy_s<seed>.json``);
    the per-variant spreads and the paired differences to the baseline."""
    eval_cfg = proxy_eval_config(proxy, sets)
    scoring = None  # read the fixed texts once, and only when some proxy still needs scoring
    per_seed: dict[str, list[dict]] = {}
    for row in rows:
        name = row["variant"]
        vdir = out / "variants" / name
        per_seed[name] = []
        for seed in range(proxy.seeds):
            path = vdir / f"proxy_s{seed}.json"
            if not path.is_file() or "documents" not in read_json(path):  # (older scores lack per-document ones)
                scoring = scoring or plan_scoring(eval_cfg)
                cfg = proxy_train_config(proxy, runs[name], vdir / f"train_s{seed}", seed)
                atomic_write_json(path, score_proxy(train_proxy(cfg, console), eval_cfg, scoring))
            per_seed[name].append(read_json(path))
    metrics = [k for k in per_seed[baseline][0] if k.endswith("_bpc") or k in ("tasks_average", "tasks_mean_all")]
    chance = None
    if "tasks" in per_seed[baseline][0]:
        data = eval_cfg.task_data
        chance = chance_levels(list(per_seed[baseline][0]["tasks"]), data.data_dir, data.chabsa_dir, data.limit, data.u4_dir, data.u4_split)
    for row in rows:
        seeds = per_seed[row["variant"]]
        tokens = seeds[0]["proxy_tokens"]
        row.update(proxy_steps=seeds[0]["proxy_steps"], proxy_tokens=tokens,
                   epochs=round(tokens / row["train_tokens"], 2) if row["train_tokens"] else None)
        row["spread"] = {m: spread_dict([s[m] for s in seeds]) for m in metrics}
        row["vs_baseline"] = {m: _vs_baseline(per_seed[baseline], seeds, m) for m in metrics}
        if chance is not None:
            # each task as the metrics are: its spread over seeds, and its difference to the baseline paired by seed
            row["tasks"] = {t: {**spread_dict([s["tasks"][t] for s in seeds]),
                                "near_chance": near_chance(spread([s["tasks"][t] for s in seeds]).mean, chance[t], seeds[0]["tasks_n"][t]),
                                "vs_baseline": difference_dict([s["tasks"][t] for s in per_seed[baseline]], [s["tasks"][t] for s in seeds])}
                            for t in chance}
    if proxy.ngram_order:
        scoring = scoring or plan_scoring(eval_cfg)
        for row in rows:
            row["ngram"] = ngram_baseline(proxy, runs[row["variant"]], out / "variants" / row["variant"], scoring, console)
    return {"rows": rows, "metrics": metrics, "chance": chance, "per_seed": per_seed}


def _documents(seeds: list[dict], metric: str) -> list[list[float]]:
    return [document_bpc(**s["documents"][metric]) for s in seeds]


def _vs_baseline(base: list[dict], seeds: list[dict], metric: str) -> dict:
    """``variant - baseline`` paired by seed; for bits per character also by document (the bootstrap)."""
    a, b = [s[metric] for s in base], [s[metric] for s in seeds]
    if metric.endswith("_bpc"):
        return study_difference_dict(a, b, _documents(base, metric), _documents(seeds, metric))
    return difference_dict(a, b)


def ngram_baseline(proxy: ProxyConfig, corpus_run: Path, vdir: Path, scoring: ScoringPlan, console: Console) -> dict:
    """The variant's trivial baseline: a character n-gram model on its own train split, bits per character on every
    fixed set (``{set}_bpc``); cached in ``variants/<name>/ngram.json``."""
    path = vdir / "ngram.json"
    if path.is_file() and read_json(path).get("order") == proxy.ngram_order:
        return read_json(path)
    from kinyu.evaluation.bpc import corpus_split_texts
    from kinyu.evaluation.ngram import CharNgramLM, bits_per_character_ngram

    console.print(f"n-gram baseline (order {proxy.ngram_order}) on {vdir.name}")
    texts = corpus_split_texts(corpus_run, "train")
    lm = CharNgramLM(texts, proxy.ngram_order)
    result = {"order": proxy.ngram_order, "train_characters": sum(map(len, texts)),
              **{f"{name}_bpc": bits_per_character_ngram(lm, docs)["bits_per_character"] for name, docs in scoring.texts.items()}}
    atomic_write_json(path, result)
    return result


def _sd_note(seeds: int) -> str:
    unc = sd_uncertainty(seeds)
    return f" (with {seeds} seeds that sd is uncertain by ×{unc[0]:.2f} to ×{unc[1]:.1f}, 95 % chi-square interval)" if unc else ""


def _proxy_size(out: Path, rows: list[dict[str, Any]]) -> str:
    from safetensors import safe_open

    hf = latest_checkpoint(out / "variants" / rows[0]["variant"] / "train_s0").hf
    total = 0
    for f in hf.glob("*.safetensors"):
        with safe_open(str(f), "pt") as st:
            total += sum(math.prod(st.get_slice(k).get_shape()) for k in st.keys())
    config = read_json(hf / "config.json")
    return f"{config.get('model_type')}, {total / 1e6:.2f}M parameters ({config.get('num_hidden_layers')} layers, hidden {config.get('hidden_size')})"


def _write_outputs(out: Path, result: dict[str, Any], proxy: ProxyConfig | None, sets: EvalSets | None, baseline: str) -> None:
    rows = result["rows"]
    flat = []
    for r in rows:
        row = {k: v for k, v in r.items() if k not in ("spread", "vs_baseline", "tasks", "ngram")}
        for m, d in r.get("spread", {}).items():
            row.update({f"{m}_mean": round(d["mean"], 5), f"{m}_sd": round(d["sd"], 5),
                        f"{m}_ci95_low": round(d["ci95"][0], 5), f"{m}_ci95_high": round(d["ci95"][1], 5)})
        for m, d in r.get("vs_baseline", {}).items():
            row.update({f"{m}_diff": round(d["mean"], 5), f"{m}_diff_verdict": d["verdict"]})
            if "bootstrap" in d:
                bs = d["bootstrap"]
                row.update({f"{m}_diff_docs_mean": round(bs["mean_over_documents"], 5), f"{m}_diff_docs_ci95_low": round(bs["ci95"][0], 5),
                            f"{m}_diff_docs_ci95_high": round(bs["ci95"][1], 5)})
        for m in result.get("metrics", ()):
            if m in r.get("ngram", {}):
                row[f"{m}_ngram"] = round(r["ngram"][m], 5)
        for t, d in r.get("tasks", {}).items():
            row.update({f"task_{t}_mean": round(d["mean"], 5), f"task_{t}_sd": round(d["sd"], 5),
                        f"task_{t}_ci95_low": round(d["ci95"][0], 5), f"task_{t}_ci95_high": round(d["ci95"][1], 5),
                        f"task_{t}_diff": round(d["vs_baseline"]["mean"], 5), f"task_{t}_diff_ci95_low": round(d["vs_baseline"]["ci95"][0], 5),
                        f"task_{t}_diff_ci95_high": round(d["vs_baseline"]["ci95"][1], 5), f"task_{t}_diff_verdict": d["vs_baseline"]["verdict"]})
        flat.append(row)
    cols = list(dict.fromkeys(k for r in flat for k in r))
    with open(out / "ablation.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(flat)
    corpus_cols = [c for c in cols if not c.startswith((*result.get("metrics", ()), "task_")) and c not in ("examples",)]
    md = ["# kinyu corpus ablation", "", "## Corpora", "", "| " + " | ".join(corpus_cols) + " |", "|" + "---|" * len(corpus_cols)]
    md += ["| " + " | ".join(str(r.get(c, "")) for c in corpus_cols) + " |" for r in flat]
    if proxy is None:
        md += ["", "Run with --proxy CONFIG to also train and score a small model per variant."]
    else:
        metrics = result["metrics"]
        m = sets.manifest
        md += ["", "## Proxies", "",
               f"- proxy: {_proxy_size(out, rows)}, from `{proxy.train_config}` (its validation loss during training off: every "
               "proxy is scored on the fixed sets below)",
               f"- budget: every proxy trains on {rows[0]['proxy_tokens']:,} tokens ({rows[0]['proxy_steps']} steps), whatever its "
               "variant removed (see `epochs` above)",
               f"- seeds: {proxy.seeds} per variant (initialisation and data order); differences paired by seed against `{baseline}`",
               "- fixed evaluation sets, chosen before any variant was built (finance_kept: by the base config's filters)"
               + (f"; finance_given = {proxy.eval_texts}" if proxy.eval_texts else "") + ":",
               *("  " + line for line in heldout_report_lines(heldout_summary(m))),
               "- bits per character: lower is better; mean ± sd [95 % t interval] over seeds"
               + ("; tasks_average: the leaderboard's Ave. (tasks scoring 0 skipped), tasks_mean_all: the mean of every task"
                  if "tasks_average" in metrics else ""), "",
               "| variant | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
        md += [f"| {r['variant']} | " + " | ".join(spread_cell(r["spread"][k], 2 if k.startswith("tasks_") else 4) for k in metrics) + " |"
               for r in rows]
        md += [f"| trivial baseline: char {r['ngram']['order']}-gram on {r['variant']} | "
               + " | ".join(f"{r['ngram'][k]:.4f}" if k in r["ngram"] else "" for k in metrics) + " |" for r in rows if r.get("ngram")]
        md += ["", f"### Difference to `{baseline}` (95 % intervals)", "",
               "Each bits-per-character cell: the pooled difference [per-seed t interval, paired by seed]; `docs`: the mean over "
               "documents of the per-document differences [paired bootstrap over documents and seeds]. Beyond noise only when "
               "both exclude 0 on the same side; within noise: the size a paired t-test (alpha 0.05, power 0.8) would detect if "
               "the sd of the per-seed differences is the true one" + _sd_note(proxy.seeds) + ".", "",
               "| variant | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
        md += [f"| {r['variant']} | " + " | ".join(difference_cell(r["vs_baseline"][k], 2) if k.startswith("tasks_")
                                                 else study_difference_cell(r["vs_baseline"][k]) for k in metrics) + " |"
               for r in rows if r["variant"] != baseline]
        if result.get("chance"):
            tasks = list(result["chance"])
            md += ["", "### Tasks (leaderboard score ×100; near chance = within two binomial standard errors of random guessing)", "",
                   "| variant | " + " | ".join(tasks) + " |", "|---" * (len(tasks) + 1) + "|",
                   "| chance | " + " | ".join(f"{result['chance'][t]:.1f}" for t in tasks) + " |"]
            md += [f"| {r['variant']} | " + " | ".join(f"{r['tasks'][t]['mean']:.1f} ± {r['tasks'][t]['sd']:.1f}"
                                                     + (" (near chance)" if r["tasks"][t]["near_chance"] else "") for t in tasks) + " |"
                   for r in rows]
            md += ["", f"Difference to `{baseline}` per task (×100; paired by seed, 95 % t interval):", "",
                   "| variant | " + " | ".join(tasks) + " |", "|---" * (len(tasks) + 1) + "|"]
            md += [f"| {r['variant']} | " + " | ".join(difference_cell(r["tasks"][t]["vs_baseline"], 2) for t in tasks) + " |"
                   for r in rows if r["variant"] != baseline]
        atomic_write_json(out / "ablation.json", result)
    atomic_write_text(out / "ablation.md", "\n".join(md) + "\n")
    _plot(out, rows, result.get("metrics", []))


def _plot(out: Path, rows: list[dict[str, Any]], metrics: list[str]) -> None:
    import matplotlib  # heavy: imported only when the chart is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["variant"] for r in rows]
    panels = [("kept_chars", "kept characters")] + [(m, m.replace("_", " ")) for m in metrics]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 0.5 * len(rows) + 1.8), squeeze=False)
    for ax, (key, title) in zip(axes[0], panels):
        if key == "kept_chars":
            ax.barh(names, [r.get(key, 0) or 0 for r in rows], color="#1565c0")
        else:
            means = [r["spread"][key]["mean"] for r in rows]
            err = [[r["spread"][key]["mean"] - r["spread"][key]["ci95"][0] for r in rows],
                   [r["spread"][key]["ci95"][1] - r["spread"][key]["mean"] for r in rows]]
            ax.barh(names, means, xerr=err, color="#1565c0", ecolor="#333", capsize=4)
            lo = min(r["spread"][key]["ci95"][0] for r in rows)
            hi = max(r["spread"][key]["ci95"][1] for r in rows)
            ax.set_xlim(lo - 0.1 * (hi - lo + 1e-9), hi + 0.1 * (hi - lo + 1e-9))
            title += " (95 % interval)"
        ax.set_title(title)
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(out / "ablation.png", dpi=100, metadata={"Software": None})
    plt.close(fig)
