"""Side by side: two checkpoints' greedy answers to the same prompts, as markdown.

The default prompts are the first items of each task, rendered exactly as the harness does
(task description + 0-shot item, lm-eval's own ``fewshot_context``), with the gold answer;
or the prompts of a file: ``*.jsonl`` (``prompt`` per line) or text (prompts separated by a
blank line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from kinyu.evaluation.config import EvalConfig
from kinyu.evaluation.harness import EvalError, check_data, check_tasks, load_model, resolve_device, task_manager


def read_prompt_file(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"prompt file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [{"source": path.name, "prompt": it["prompt"], "gold": it.get("gold")} for it in items]
    blocks = [b.strip("\n") for b in text.split("\n\n") if b.strip()]
    return [{"source": path.name, "prompt": b, "gold": None} for b in blocks]


def task_prompts(tasks: Sequence[str], data_dir=None, chabsa_dir=None, per_task: int = 2,
                 u4_dir=None, u4_split: str = "valid") -> list[dict[str, Any]]:
    """The first ``per_task`` items of each task as the harness renders them (default prompt)."""
    tasks = check_tasks(tasks)
    check_data(tasks, data_dir, chabsa_dir, u4_dir, u4_split)
    tm = task_manager(data_dir, chabsa_dir, u4_dir, u4_split)
    task_dict = tm.load(list(tasks))["tasks"]
    out = []
    for name in tasks:
        task = task_dict[name]
        for doc in list(task.test_docs())[:per_task]:
            gold = task.doc_to_target(doc)
            if isinstance(gold, int):  # a multiple-choice task: the gold is an index (a generative one has no choices)
                gold = task.doc_to_choice(doc)[gold]
            out.append({"source": name, "prompt": task.fewshot_context(doc, 0), "gold": gold})
    return out


def greedy_answers(model_dir, prompts: Sequence[str], max_new_tokens: int = 32, device: str = "cpu", dtype: str = "auto") -> list[str]:
    import torch  # heavy: imported when a model runs

    device = resolve_device(device)
    model, tokenizer = load_model(model_dir, device, dtype)
    answers = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids.to(device)
        max_ctx = getattr(model.config, "max_position_embeddings", None)
        if max_ctx and ids.shape[1] + max_new_tokens > max_ctx:
            ids = ids[:, -(max_ctx - max_new_tokens):]  # keep the end: the question is last
        with torch.no_grad():
            out = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
            )
        answers.append(tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True))
    return answers


def _cell(text: str | None) -> str:
    if text is None:
        return ""
    return text.replace("|", "\\|").replace("\n", "<br>")


def compare_models(model_a: str | Path, model_b: str | Path, cfg: EvalConfig, prompts_file: str | Path | None = None) -> str:
    """Markdown: each prompt, the gold answer where known, and both models' greedy answers.

    Prompts come from ``prompts_file``, else from the first ``cfg.compare_items_per_task`` items
    of each of ``cfg.task_data.tasks``.
    """
    if prompts_file:
        items = read_prompt_file(prompts_file)
    elif (data := cfg.task_data).data_dir or data.chabsa_dir or data.u4_dir:
        items = task_prompts(data.tasks, data.data_dir, data.chabsa_dir, cfg.compare_items_per_task, data.u4_dir, data.u4_split)
    else:
        raise EvalError("compare needs prompts: --prompts FILE, or --data-dir / --u4-dir for a few items of each task")
    prompts = [it["prompt"] for it in items]
    max_new_tokens = cfg.compare_max_new_tokens
    a = greedy_answers(model_a, prompts, max_new_tokens, cfg.device, cfg.dtype)
    b = greedy_answers(model_b, prompts, max_new_tokens, cfg.device, cfg.dtype)
    lines = [
        "# Greedy answers side by side",
        "",
        f"- A: `{model_a}`",
        f"- B: `{model_b}`",
        f"- max new tokens: {max_new_tokens}",
        "",
        "| # | source | prompt (end) | gold | A | B |",
        "| ---: | --- | --- | --- | --- | --- |",
    ]
    for i, (it, ans_a, ans_b) in enumerate(zip(items, a, b), 1):
        tail = it["prompt"][-160:]
        lines.append(f"| {i} | {it['source']} | {_cell(tail)} | {_cell(it['gold'])} | {_cell(ans_a)} | {_cell(ans_b)} |")
    return "\n".join(lines) + "\n"
