"""``kinyu corpus ablate``: one corpus per filter setting, and optionally one proxy model each.

Each variant is the base config with ``--vary KEY=V1,V2`` applied (the cartesian product of all
``--vary``). Corpora are built through the extraction cache, so only the filters re-run. With a
proxy, the same small model is trained on every variant for the same number of steps and scored
on one fixed evaluation set (bits per character on held-out financial and on general text, plus
the tasks when a data dir is given): the table then answers "does this setting make a better
model?", not only "how much did it remove?". Variants already built, trained or scored are not redone.
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.pipeline import build
from kinyu.corpus.reporting.run_reader import kept_ids, load_summary, removed_reasons
from kinyu.corpus.sample import general_dir
from kinyu.evaluation.config import EvalConfig
from kinyu.evaluation.score import ScoringPlan, plan_scoring, score_model
from kinyu.base.config import ConfigError, load_config, option, set_field
from kinyu.base.runs import atomic_write_json, atomic_write_text, read_json
from kinyu.training.config import TrainConfig
from kinyu.training.train import latest_checkpoint, run_training


@dataclass
class ProxyConfig:
    """The small model trained on every variant, and the fixed set all of them are scored on."""

    train_config: Path = option(help="the proxy's training YAML (TrainConfig); its corpus_runs and out_dir are set per variant")
    eval_texts: Path | None = option(None, "held-out financial text folder (default: the first variant's validation split)")
    data_dir: Path | None = option(None, "fin-harness task data: also score the tasks")
    chabsa_dir: Path | None = option(None, "chABSA json folder for the chabsa task")
    limit: int = option(20, "items per task")


@dataclass
class AblationConfig:
    vary: list[str] = option(help="KEY=V1,V2 per corpus config field; the variants are the cartesian product")
    out: Path = option(Path("runs/ablation"), "output folder (variants/<name>/{corpus,train}, ablation.md/.csv/.png)")
    base_config: Path | None = option(None, "corpus YAML every variant starts from (None: the defaults)")
    workers: int = option(1, "corpus build workers")
    proxy: ProxyConfig | None = option(None, "train and score a proxy model per variant (None: compare the corpora only)")


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
    """Build every variant's corpus (and train + score its proxy); write ablation.csv/.md/.png into ``config.out``."""
    console = console or Console()
    out = Path(config.out)
    plan = variants(config.base_config, parse_vary(config.vary))
    runs = {variant.name: build_variant(config, variant, console) for variant in plan}
    rows = [corpus_row(variant, runs[variant.name]) for variant in plan]
    add_lost_documents(rows, runs)
    if config.proxy is not None:
        add_proxy_scores(config.proxy, out, rows, runs, console)
    _write_outputs(out, rows, proxy=config.proxy is not None)
    return out


def build_variant(config: AblationConfig, variant: Variant, console: Console) -> Path:
    """The variant's corpus run, built unless already there."""
    run = Path(config.out) / "variants" / variant.name / "corpus"
    if not (run / "manifest.json").is_file():
        console.rule(f"[bold]corpus[/] {variant.name}")
        overrides = {**variant.assign, "output": str(run), "executor.workers": config.workers}
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


def add_proxy_scores(proxy: ProxyConfig, out: Path, rows: list[dict[str, Any]], runs: dict[str, Path], console: Console) -> None:
    """Train and score the proxy of every variant not yet scored (``proxy.json`` per variant)."""
    eval_cfg = proxy_eval_config(proxy, next(iter(runs.values())))
    scoring = None  # read the fixed texts once, and only when some proxy still needs scoring
    for row in rows:
        vdir = out / "variants" / row["variant"]
        if not (vdir / "proxy.json").is_file():
            scoring = scoring or plan_scoring(eval_cfg)
            train_dir = train_proxy(proxy, runs[row["variant"]], vdir / "train", console)
            atomic_write_json(vdir / "proxy.json", score_proxy(train_dir, eval_cfg, scoring))
        row.update(read_json(vdir / "proxy.json"))


def proxy_eval_config(proxy: ProxyConfig, first_run: Path) -> EvalConfig:
    """The same texts for every variant: the first variant's validation split (the split is by
    document id, so those documents are in no variant's training data) or ``eval_texts``, and general text."""
    if proxy.eval_texts:
        corpora, texts = [], [f"finance_bpc={proxy.eval_texts}"]
    else:
        corpora, texts = [f"finance_bpc={first_run}"], []
    return EvalConfig(
        data_dir=str(proxy.data_dir) if proxy.data_dir else None,
        chabsa_dir=str(proxy.chabsa_dir) if proxy.chabsa_dir else None,
        limit=proxy.limit,
        bpc_corpora=corpora,
        bpc_texts=texts + [f"general_bpc={general_dir()}"],
    )


def train_proxy(proxy: ProxyConfig, corpus_run: Path, train_dir: Path, console: Console) -> Path:
    """Train (or finish training) the proxy model on one variant's corpus; its run folder."""
    cfg = load_config(TrainConfig, proxy.train_config, {"data.corpus_runs": [str(corpus_run)], "run.out_dir": str(train_dir)})
    try:
        step = read_json(latest_checkpoint(train_dir) / "state.json")["step"]
    except FileNotFoundError:
        step = None
    if step is None or cfg.schedule.max_steps is None or step < cfg.schedule.max_steps:
        console.rule(f"[bold]proxy training[/] {corpus_run.parent.name}")
        run_training(cfg, resume=step is not None)
    return train_dir


def score_proxy(train_dir: Path, eval_cfg: EvalConfig, scoring: ScoringPlan) -> dict[str, Any]:
    """The latest checkpoint's steps, tokens, bits per character per fixed set and task average."""
    ckpt = latest_checkpoint(train_dir)
    state = read_json(ckpt / "state.json")
    scores = score_model(ckpt / "hf", eval_cfg, scoring)
    result: dict[str, Any] = {"proxy_steps": state["step"], "proxy_tokens": state["tokens_seen"]}
    for name, r in scores["bpc"].items():
        result[name] = round(r["bits_per_character"], 4)
    if scores.get("tasks", {}).get("average") is not None:
        result["tasks_average"] = round(float(scores["tasks"]["average"]), 2)
    return result


def _write_outputs(out: Path, rows: list[dict[str, Any]], proxy: bool) -> None:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with open(out / "ablation.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    note = (
        "\nLower bits per character is better; every proxy saw the same number of steps and was scored on the same texts.\n"
        if proxy
        else "\nRun with --proxy CONFIG to also train and score a small model per variant.\n"
    )
    atomic_write_text(out / "ablation.md", "# kinyu corpus ablation\n\n" + "\n".join(md) + "\n" + note)

    import matplotlib  # heavy: imported only when the chart is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["variant"] for r in rows]
    panels = [("kept_chars", "kept characters")] + ([("finance_bpc", "finance bits/char"), ("general_bpc", "general bits/char")] if proxy else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 0.5 * len(rows) + 1.8), squeeze=False)
    for ax, (key, title) in zip(axes[0], panels):
        ax.barh(names, [r.get(key, 0) or 0 for r in rows], color="#1565c0")
        ax.set_title(title)
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(out / "ablation.png", dpi=100, metadata={"Software": None})
    plt.close(fig)
