"""Score a local causal LM on japanese-lm-fin-harness's five tasks with the lm-eval 0.4 engine.

lm-eval does the work (``HFLM`` wrapper, 0-shot log-likelihood multiple choice, metric
aggregation, result JSON); what we add is the task definitions (``evaluation/tasks``, loaded
with ``TaskManager(include_path=...)`` so nothing from lm-eval's own catalogue or the hub is
touched), the user's data folders (passed as task metadata), the leaderboard number and the
choice of prompt version:

- ``default``: upstream's default prompts;
- ``1.0-0.N``: one versioned variant (a task without that variant - chabsa has no 0.1.2 or
  0.2.1 - falls back to its default prompt, recorded in the result);
- ``all``: every version, and the best version by leaderboard average is reported, as the
  upstream leaderboard's ``prompt`` column does.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Sequence

from kinyu.base.benchmarks import ALL_TASKS, TASKS, TaskDataError, resolve_task_file
from kinyu.base.errors import UserError
from kinyu.base.layout import TrainRun, resolve_checkpoint_path
from kinyu.evaluation.tasks.metrics import AVERAGE_RULE, leaderboard_average, leaderboard_score, plain_average, skipped_by_average

PROMPT_VERSIONS = (
    "default",
    "1.0-0.1",
    "1.0-0.1.2",
    "1.0-0.2",
    "1.0-0.2.1",
    "1.0-0.3",
    "1.0-0.4",
    "1.0-0.5",
    "1.0-0.6",
)
TASKS_DIR = Path(__file__).resolve().parent / "tasks"
METRICS = ("acc", "acc_norm", "f1", "exact_match")


class EvalError(UserError):
    """A bad evaluation request: unknown task or prompt version, missing model or data."""


def set_offline() -> None:
    """Nothing in an evaluation may reach a hub: model, tokenizer and data are local."""
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ[var] = "1"


def task_name(task: str, version: str) -> str:
    return task if version == "default" else f"{task}-{version}"


def has_version(task: str, version: str) -> bool:
    return (TASKS_DIR / task / f"{task_name(task, version)}.yaml").is_file()


def task_problems(tasks: Sequence[str], prompt_version: str = "default") -> list[str]:
    """The one rule of task names and prompt versions (``EvalConfig.problems`` and :func:`check_tasks`
    both ask it): each problem names its field."""
    found = []
    unknown = [t for t in tasks if t not in ALL_TASKS]
    if unknown:
        found.append(f"tasks: unknown task(s) {unknown}; known tasks: {', '.join(ALL_TASKS)}")
    if prompt_version != "all" and prompt_version not in PROMPT_VERSIONS:
        found.append(f"prompt_version: unknown prompt version {prompt_version!r}; use one of {', '.join(PROMPT_VERSIONS)} or all")
    return found


def check_tasks(tasks: Sequence[str], prompt_version: str = "default") -> list[str]:
    """``tasks`` as a list, or an ``EvalError``: none given, or one the harness does not know (for callers
    that pass tasks without an ``EvalConfig``, whose load already asked :func:`task_problems`)."""
    tasks = list(tasks)
    found = task_problems(tasks, prompt_version) + ([] if tasks else ["no tasks given"])
    if found:
        raise EvalError(found[0] if len(found) == 1 else "; ".join(found))
    return tasks


def check_data(tasks: Sequence[str], data_dir=None, chabsa_dir=None, u4_dir=None, u4_split: str = "valid") -> dict[str, str]:
    """Each task's local data file, resolved before any model is loaded (fails early)."""
    try:
        return {t: str(resolve_task_file(t, data_dir, chabsa_dir, u4_dir, u4_split)) for t in tasks}
    except TaskDataError as e:
        raise EvalError(str(e)) from None


def check_model_dir(model_dir: str | Path) -> Path:
    """The model folder to load (a ``TRAIN_RUN/checkpoints/latest/...`` path resolved to the checkpoint it names)."""
    path = resolve_checkpoint_path(model_dir)
    if not path.is_dir():
        raise EvalError(f"model directory not found: {path}")
    if not (path / "config.json").is_file() and (path / "hf" / "config.json").is_file():
        path = path / "hf"  # a checkpoint folder (step_NNNNNN, or checkpoints/latest): its HF export
    if not (path / "config.json").is_file() and TrainRun(path).checkpoints.is_dir():
        raise EvalError(f"{path} is a training run, not a model: give {TrainRun(path).latest_file / 'hf'} "
                        f"(its newest checkpoint), or score every checkpoint with `kinyu eval sweep {path}`")
    if not (path / "config.json").is_file():
        raise EvalError(f"{path}: no config.json - not a Hugging Face model export (save_pretrained)")
    if not any((path / n).is_file() for n in ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")):
        raise EvalError(
            f"{path}: the model's tokenizer is missing (no tokenizer.json / tokenizer_config.json); "
            "save it beside the weights with tokenizer.save_pretrained(DIR)"
        )
    return path


def resolve_device(device: str) -> str:
    import torch  # heavy (seconds): imported when a model is about to run, not for `--help`

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EvalError("--device cuda asked for, but no CUDA device is available")
    return device


def load_model(model_dir: str | Path, device: str = "cpu", dtype: str = "auto"):
    """(model, tokenizer) of a local HF export, in eval mode on ``device``."""
    import torch  # torch and transformers are heavy: imported when a model is loaded
    from transformers import AutoModelForCausalLM, AutoTokenizer

    set_offline()
    path = check_model_dir(model_dir)
    device = resolve_device(device)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError) as e:
        raise EvalError(f"{path}: the model's tokenizer could not be loaded: {e}") from None
    torch_dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    if torch_dtype == "auto" and device == "cpu":
        torch_dtype = torch.float32  # half precision on CPU is slow and changes scores
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch_dtype)
    model.to(device).eval()
    return model, tokenizer


def load_lm(model_dir: str | Path, batch_size: int = 8, device: str = "cpu", dtype: str = "auto"):
    """lm-eval's HF wrapper around the local model at ``model_dir`` (loaded once)."""
    device = resolve_device(device)
    model, tokenizer = load_model(model_dir, device, dtype)
    return make_lm(model, tokenizer, batch_size, device)


def free_device_memory() -> None:
    """Hand the cached GPU memory of a model no longer referenced back (a no-op on CPU)."""
    import torch  # heavy, see resolve_device

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def quiet_lm_eval() -> None:
    """Keep lm-eval's errors only: it warns once per chABSA neutral item (258 a run), per
    local dataset and per truncated prompt, which buries the results of a long run."""
    logging.getLogger("lm_eval").setLevel(logging.ERROR)


def make_lm(model, tokenizer, batch_size: int = 8, device: str = "cpu"):
    """lm-eval's HF wrapper around an already loaded model (no second load, no hub)."""
    from lm_eval.models.huggingface import HFLM  # lm_eval pulls in torch and datasets: imported when scoring

    quiet_lm_eval()
    return HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size, device=device)


def task_manager(data_dir=None, chabsa_dir=None, u4_dir=None, u4_split: str = "valid"):
    from lm_eval.tasks import TaskManager  # heavy, see make_lm

    metadata = {"data_dir": str(data_dir) if data_dir else None, "chabsa_dir": str(chabsa_dir) if chabsa_dir else None,
                "u4_dir": str(u4_dir) if u4_dir else None, "u4_split": u4_split}
    return TaskManager(include_path=str(TASKS_DIR), include_defaults=False, metadata=metadata)


def _plain_metrics(raw: dict[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in raw.items():
        name, _, filt = key.partition(",")
        if name in METRICS and filt == "none" and isinstance(value, (int, float)):
            out[name] = float(value)
    return out


def run_lm_eval(
    lm, names: Sequence[str], data_dir=None, chabsa_dir=None, limit: int | None = None, seed: int = 0, log_samples: bool = False,
    u4_dir=None, u4_split: str = "valid",
):
    """One lm-eval ``simple_evaluate`` over our task names; returns its result dict."""
    from lm_eval import simple_evaluate  # heavy, see make_lm

    set_offline()
    quiet_lm_eval()
    return simple_evaluate(
        model=lm,
        tasks=list(names),
        task_manager=task_manager(data_dir, chabsa_dir, u4_dir, u4_split),
        limit=limit,
        bootstrap_iters=0,
        log_samples=log_samples,
        random_seed=seed,
        numpy_random_seed=seed,
        torch_random_seed=seed,
        fewshot_random_seed=seed,
    )


def evaluate_lm(
    lm,
    tasks: Sequence[str] = TASKS,
    data_dir=None,
    chabsa_dir=None,
    prompt_version: str = "default",
    limit: int | None = None,
    seed: int = 0,
    log_samples: bool = False,
    u4_dir=None,
    u4_split: str = "valid",
) -> dict[str, Any]:
    """Scores of an lm-eval LM on ``tasks`` (see the module doc for ``prompt_version``).

    ``log_samples`` adds lm-eval's per-item records (requests and log-likelihoods) as ``samples``.
    """
    tasks = check_tasks(tasks, prompt_version)
    files = check_data(tasks, data_dir, chabsa_dir, u4_dir, u4_split)
    versions = list(PROMPT_VERSIONS) if prompt_version == "all" else [prompt_version]
    plan = {v: {t: (v if has_version(t, v) else "default") for t in tasks} for v in versions}
    names = sorted({task_name(t, tv) for p in plan.values() for t, tv in p.items()})
    raw = run_lm_eval(lm, names, data_dir, chabsa_dir, limit, seed, log_samples, u4_dir, u4_split)
    metrics = {n: _plain_metrics(raw["results"][n]) for n in names}
    n_samples = {n: int(raw["n-samples"][n]["effective"]) for n in names}
    by_version = {}
    for v, p in plan.items():
        per_task = {}
        for t, tv in p.items():
            n = task_name(t, tv)
            per_task[t] = {
                "prompt_version": tv,
                "lm_eval_task": n,
                "n": n_samples[n],
                **metrics[n],
                "score": leaderboard_score(metrics[n]),
            }
        scores = {t: r["score"] for t, r in per_task.items()}
        by_version[v] = {"tasks": per_task, "average": leaderboard_average(scores), "mean_all": plain_average(scores),
                         "skipped_zero": skipped_by_average(scores)}
    best = max(versions, key=lambda v: by_version[v]["average"])  # first wins ties: default
    extra = {"samples": raw["samples"]} if log_samples else {}
    return {
        "prompt_version": best,
        "tasks": by_version[best]["tasks"],
        "average": by_version[best]["average"],  # upstream's leaderboard Ave. (zeros skipped)
        "mean_all": by_version[best]["mean_all"],  # every task, zeros included
        "average_skipped": by_version[best]["skipped_zero"],
        "average_rule": AVERAGE_RULE,
        "by_version": {v: {"average": r["average"], "mean_all": r["mean_all"], "scores": {t: x["score"] for t, x in r["tasks"].items()}} for v, r in by_version.items()},
        "limit": limit,
        "data_files": files,
        **({"u4_split": u4_split} if any(t in files for t in ALL_TASKS if t not in TASKS) else {}),
        "lm_eval_results": {n: raw["results"][n] for n in names},
        "lm_eval_version": raw.get("lm_eval_version"),
        **extra,
    }


def evaluate_model(
    model_dir: str | Path,
    tasks: Sequence[str] = TASKS,
    data_dir=None,
    limit: int | None = None,
    *,
    chabsa_dir=None,
    prompt_version: str = "default",
    batch_size: int = 8,
    device: str = "cpu",
    dtype: str = "auto",
    seed: int = 0,
    u4_dir=None,
    u4_split: str = "valid",
) -> dict[str, Any]:
    """Load the local model at ``model_dir`` and score it (checks tasks and data first)."""
    tasks = check_tasks(tasks, prompt_version)
    check_data(tasks, data_dir, chabsa_dir, u4_dir, u4_split)
    lm = load_lm(model_dir, batch_size, device, dtype)
    result = evaluate_lm(lm, tasks, data_dir, chabsa_dir, prompt_version, limit, seed, u4_dir=u4_dir, u4_split=u4_split)
    return {"model": str(model_dir), **result}


def results_table(result: dict[str, Any]) -> str:
    """A markdown table of one evaluation: per task acc / acc_norm / f1 (/ exact_match, where a
    generative task was scored) / leaderboard score."""
    em = any("exact_match" in r for r in result["tasks"].values())
    names = ["acc", "acc_norm", "f1"] + (["exact_match"] if em else [])
    lines = [
        f"prompt version: {result['prompt_version']}" + (f", limit {result['limit']}" if result.get("limit") else ""),
        "",
        "| task | prompt | n | " + " | ".join(names) + " | score |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in names) + " | ---: |",
    ]
    fmt = lambda x: "" if x is None else f"{x:.4f}"  # noqa: E731
    for task, r in result["tasks"].items():
        lines.append(f"| {task} | {r['prompt_version']} | {r['n']} | " + " | ".join(fmt(r.get(m)) for m in names) + f" | {r['score']:.2f} |")
    skipped = result.get("average_skipped", [])
    pad = "| " * (len(names) + 2)
    lines.append(f"| **average** (leaderboard Ave., zeros skipped) {pad}| **{result['average']:.2f}** |")
    if "mean_all" in result:
        lines.append(f"| mean of all {len(result['tasks'])} tasks {pad}| {result['mean_all']:.2f} |")
    lines += ["", "average: upstream's leaderboard Ave., the mean of the task scores that are not 0"
              + (f" (skipped here: {', '.join(skipped)})" if skipped else " (no task scored 0 here)") + "; the mean of all tasks counts them."]
    return "\n".join(lines) + "\n"
