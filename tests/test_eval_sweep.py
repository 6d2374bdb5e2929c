"""`kinyu eval sweep` over a fabricated TRAIN_RUN (two tiny checkpoints), the `kinyu eval`
command on all five tasks with --limit, `compare`, and the command's errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("KINYU_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
FIN = SHARED / "fin-harness"
CHABSA = SHARED / "real" / "chabsa-json"
HAVE_DATA = (FIN / "fp2" / "data.json").is_file() and CHABSA.is_dir()
needs_data = pytest.mark.skipif(not HAVE_DATA, reason="japanese-lm-fin-harness data not found under ../shared/data")

TEXTS = [
    "当社の売上高は前年同期比で増加し、営業利益は過去最高となりました。",
    "金融商品取引法に基づき、有価証券報告書を提出しております。",
    "為替相場の変動により、海外子会社の業績に影響がありました。",
] * 4


@pytest.fixture(scope="module")
def train_run(tmp_path_factory):
    from evaluation.harness import set_offline
    from testkit.models import build_tiny_model

    set_offline()
    run = tmp_path_factory.mktemp("train") / "run"
    first = None
    for step, seed in ((10, 1), (20, 2)):
        ckpt = run / "checkpoints" / f"step_{step:06d}"
        build_tiny_model(ckpt / "hf", TEXTS, seed=seed, vocab_size=300, max_position_embeddings=256,
                         tokenizer_file=None if first is None else first / "tokenizer.json")
        first = first or ckpt / "hf"
        (ckpt / "deepspeed").mkdir()
        (ckpt / "state.json").write_text(json.dumps({"step": step, "tokens_seen": step * 4096, "epoch": 0}))
    (run / "checkpoints" / "step_000030").mkdir()  # an unfinished checkpoint: no hf/, skipped
    (run / "checkpoints" / "latest").write_text("step_000020")
    (run / "manifest.json").write_text("{}")
    (run / "metrics.jsonl").write_text("")
    texts = tmp_path_factory.mktemp("texts")
    for name, body in (("fin", TEXTS[:3]), ("general", ["今日は晴れて、子どもたちが公園で遊んでいた。"])):
        (texts / name).mkdir()
        for i, t in enumerate(body):
            (texts / name / f"{i}.txt").write_text(t, encoding="utf-8")
    return run, texts


def test_sweep_bpc_only_writes_outputs_and_resumes(train_run, tmp_path):
    from evaluation.sweep import sweep

    run, texts = train_run
    out = sweep(run, tmp_path / "eval", text_dirs=[f"fin={texts / 'fin'}", f"general={texts / 'general'}"], progress=False)
    results = json.loads((out / "results.json").read_text())
    rows = results["checkpoints"]
    assert [r["step"] for r in rows] == [10, 20]
    assert [r["tokens_seen"] for r in rows] == [40960, 81920]
    assert results["metrics"] == ["bpc/fin", "bpc/general"]
    assert rows[0]["metrics"]["bpc/fin"] != rows[1]["metrics"]["bpc/fin"]  # different weights, different scores
    assert (out / "results.csv").read_text().splitlines()[0] == "checkpoint,step,tokens_seen,epoch,bpc/fin,bpc/general"
    assert "| step_000020 | 20 | 81920 |" in (out / "results.md").read_text()
    assert sorted(p.name for p in (out / "plots").glob("*.png")) == ["bpc__fin.png", "bpc__general.png"]
    assert json.loads((out / "sweep.json").read_text())["evaluated"] == 2

    before = {p.name: p.stat().st_mtime_ns for p in (out / "scores").iterdir()}
    csv_before = (out / "results.csv").read_bytes()
    sweep(run, tmp_path / "eval", text_dirs=[f"fin={texts / 'fin'}", f"general={texts / 'general'}"], progress=False)
    info = json.loads((out / "sweep.json").read_text())
    assert (info["evaluated"], info["skipped"]) == (0, 2)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "scores").iterdir()} == before
    assert (out / "results.csv").read_bytes() == csv_before


@needs_data
def test_cli_sweep_with_tasks(train_run, tmp_path):
    from evaluation.cli import main

    run, texts = train_run
    argv = ["sweep", str(run), "--data-dir", str(FIN), "--chabsa-dir", str(CHABSA), "--tasks", "chabsa,fp2",
            "--limit", "3", "--bpc-texts", f"general={texts / 'general'}", "--out", str(tmp_path / "ev")]
    assert main(argv) == 0
    res = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert {"average", "chabsa/f1", "fp2/acc", "bpc/general"} <= set(res["metrics"])
    assert (tmp_path / "ev" / "plots" / "average.png").is_file()
    assert main(argv) == 0
    assert json.loads((tmp_path / "ev" / "sweep.json").read_text())["skipped"] == 2


@needs_data
def test_cli_eval_all_five_tasks_with_limit(train_run, tmp_path, capsys):
    from evaluation.cli import main

    run, texts = train_run
    model = run / "checkpoints" / "step_000010" / "hf"
    out = tmp_path / "r.json"
    assert main(["--model", str(model), "--data-dir", str(FIN), "--limit", "2", "--batch-size", "4",
                 "--bpc-texts", f"fin={texts / 'fin'}", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert sorted(res["tasks"]) == ["chabsa", "cma_basics", "cpa_audit", "fp2", "security_sales_1"]
    assert all(r["n"] == 2 for r in res["tasks"].values())
    assert res["bpc"]["fin"]["bits_per_character"] > 0
    assert "| **average** |" in capsys.readouterr().out


@needs_data
def test_cli_compare(train_run, tmp_path):
    from evaluation.cli import main

    run, _ = train_run
    a, b = (run / "checkpoints" / s / "hf" for s in ("step_000010", "step_000020"))
    out = tmp_path / "cmp.md"
    assert main(["compare", "--models", str(a), str(b), "--data-dir", str(FIN), "--tasks", "cma_basics,chabsa",
                 "--compare-items-per-task", "1", "--compare-max-new-tokens", "4", "--out", str(out)]) == 0
    md = out.read_text()
    assert md.count("\n| 1 | cma_basics |") == 1 and "| 2 | chabsa |" in md
    prompts = tmp_path / "p.txt"
    prompts.write_text("日本の金利は\n\n株価が", encoding="utf-8")
    assert main(["compare", "--models", str(a), str(b), "--prompts", str(prompts), "--compare-max-new-tokens", "3",
                 "--out", str(out)]) == 0
    assert "| 2 | p.txt | 株価が |" in out.read_text()


def test_cli_errors(train_run, tmp_path, capsys):
    from evaluation.cli import main

    run, texts = train_run
    model = run / "checkpoints" / "step_000010" / "hf"
    assert main(["--model", str(model), "--tasks", "chabsa,nope", "--data-dir", str(tmp_path)]) == 2
    assert "unknown task" in capsys.readouterr().err
    assert main(["--model", str(model), "--tasks", "fp2", "--data-dir", str(tmp_path)]) == 2
    assert "fp2/data.json" in capsys.readouterr().err
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "config.json").write_text((model / "config.json").read_text())
    assert main(["--model", str(bare), "--bpc-texts", str(texts / "general")]) == 2
    assert "tokenizer is missing" in capsys.readouterr().err
    assert main(["--model", str(tmp_path / "nowhere"), "--bpc-texts", str(texts / "general")]) == 2
    assert "model directory not found" in capsys.readouterr().err
    assert main(["--model", str(model), "--prompt-version", "2.0"]) == 2
    assert "prompt_version" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path)]) == 2
    assert "no checkpoints" in capsys.readouterr().err


@needs_data
def test_python_api_evaluate_model(train_run):
    from evaluation.harness import evaluate_model, results_table

    run, _ = train_run
    res = evaluate_model(run / "checkpoints" / "step_000020" / "hf", ["cma_basics", "cpa_audit"], FIN, 3)
    assert [r["n"] for r in res["tasks"].values()] == [3, 3]
    assert res["tasks"]["cpa_audit"]["score"] == pytest.approx(100 * res["tasks"]["cpa_audit"]["acc"])
    assert res["data_files"]["cpa_audit"].endswith("CPA_AUDIT.xlsx")
    assert "| cpa_audit | default | 3 |" in results_table(res)
