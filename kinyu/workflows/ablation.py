"""``kinyu corpus ablate``: one corpus per filter setting, and optionally one proxy model each.

Each variant is the base config with ``--vary KEY=V1,V2`` applied (the cartesian product of all
``--vary``). Corpora are built through the extraction cache, so only the filters re-run. With
``--proxy``, the same small model is trained on every variant for the same number of steps and
scored on one fixed evaluation set (bits per character on held-out financial text and on
general text, plus the tasks when a data dir is given): the table then answers "does this
setting make a better model?", not only "how much did it remove?". Variants already built,
trained or scored are not redone.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path
from typing import Any

from kinyu.config import ConfigError, load_config, set_field
from kinyu.runs import atomic_write_json, atomic_write_text


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


def variants(base_config: Path | None, vary: list[tuple[str, list[str]]]) -> list[tuple[str, dict[str, str]]]:
    from corpus.config import CorpusConfig

    keys = [k for k, _ in vary]
    out = []
    for values in itertools.product(*[vals for _, vals in vary]):
        assign = dict(zip(keys, values))
        cfg = load_config(CorpusConfig, base_config)
        for k, v in assign.items():
            set_field(cfg, k, v)  # fail now, with the field name, not after the first build
        out.append((variant_name(assign), assign))
    return out


def run_ablation(
    base_config: Path | None,
    vary_items: list[str],
    out: Path,
    proxy_config: Path | None = None,
    data_dir: str | None = None,
    chabsa_dir: str | None = None,
    eval_texts: str | None = None,
    limit: int = 20,
    workers: int = 1,
) -> Path:
    from rich.console import Console

    from corpus.config import CorpusConfig
    from corpus.pipeline import build
    from corpus.report_cli import kept_ids, load_summary, removed_reasons

    console = Console()
    out = Path(out)
    plan = variants(base_config, parse_vary(vary_items))
    rows: list[dict[str, Any]] = []
    runs: dict[str, Path] = {}
    for name, assign in plan:
        vdir = out / "variants" / name
        overrides = {**assign, "output": str(vdir / "corpus"), "executor.workers": workers}
        cfg = load_config(CorpusConfig, base_config, overrides)
        if not (vdir / "corpus" / "manifest.json").is_file():
            console.rule(f"[bold]corpus[/] {name}")
            build(cfg)
        runs[name] = vdir / "corpus"
        summary = load_summary(vdir / "corpus")
        acc = summary["accounting"]
        tokens = summary.get("tokens", {}).get("train", {}).get("tokens", 0)
        rows.append({"variant": name, **assign, "kept_docs": acc["kept"], "kept_chars": acc["kept_chars"], "train_tokens": tokens})

    # what each variant removed that another kept
    kept = {n: kept_ids(r) for n, r in runs.items()}
    for row in rows:
        name = row["variant"]
        others_kept = set().union(*(kept[o] for o in kept if o != name)) if len(kept) > 1 else set()
        lost = sorted(others_kept - kept[name])
        reasons = removed_reasons(runs[name])
        row["removed_but_kept_elsewhere"] = len(lost)
        row["examples"] = "; ".join(f"{i} ({reasons.get(i, '?')})" for i in lost[:3])

    if proxy_config is not None:
        fixed = _fixed_eval_sets(runs[plan[0][0]], eval_texts)
        for row in rows:
            row.update(_proxy(row["variant"], runs[row["variant"]], out, proxy_config, fixed, data_dir, chabsa_dir, limit, console))

    _write_outputs(out, rows, proxy=proxy_config is not None)
    return out


def _fixed_eval_sets(first_run: Path, eval_texts: str | None) -> dict[str, list[str]]:
    """The same texts for every variant: the first variant's validation split (the split is by
    document id, so those documents are in no variant's training data) and general text."""
    from corpus.sample import general_dir
    from evaluation.bpc import corpus_validation_texts, folder_texts

    fin = folder_texts(eval_texts) if eval_texts else corpus_validation_texts(first_run)
    return {"finance_bpc": fin, "general_bpc": folder_texts(general_dir())}


def _proxy(name, corpus_run, out, proxy_config, fixed, data_dir, chabsa_dir, limit, console) -> dict[str, Any]:
    from evaluation.bpc import bits_per_character
    from training.config import TrainConfig
    from training.train import latest_checkpoint, run_training

    vdir = out / "variants" / name
    result_file = vdir / "proxy.json"
    if result_file.is_file():
        return json.loads(result_file.read_text(encoding="utf-8"))
    train_dir = vdir / "train"
    cfg = load_config(TrainConfig, proxy_config, {"data.corpus_runs": [str(corpus_run)], "run.out_dir": str(train_dir)})
    try:
        ckpt = latest_checkpoint(train_dir)
        step = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))["step"]
        finished = cfg.schedule.max_steps is not None and step >= cfg.schedule.max_steps
    except FileNotFoundError:
        ckpt, finished = None, False
    if not finished:
        console.rule(f"[bold]proxy training[/] {name}")
        run_training(cfg, resume=ckpt is not None)
        ckpt = latest_checkpoint(train_dir)
    model_dir = ckpt / "hf"
    state = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
    result: dict[str, Any] = {"proxy_steps": state["step"], "proxy_tokens": state["tokens_seen"]}
    for set_name, texts in fixed.items():
        result[set_name] = round(bits_per_character(model_dir, texts=texts)["bits_per_character"], 4)
    if data_dir or chabsa_dir:
        from evaluation.harness import evaluate_model

        scores = evaluate_model(model_dir, data_dir=data_dir, chabsa_dir=chabsa_dir, limit=limit)
        avg = scores.get("average")
        if avg is not None:
            result["tasks_average"] = round(float(avg), 2)
    atomic_write_json(result_file, result)
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

    import matplotlib

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
