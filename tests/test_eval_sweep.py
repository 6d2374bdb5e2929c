"""`kinyu eval sweep` over a fabricated TRAIN_RUN (two tiny checkpoints), the `kinyu eval`
command on all five tasks with --limit, `compare`, and the command's errors."""

from __future__ import annotations

import json

import pytest

from kinyu.base.layout import TrainRun
from kinyu.evaluation.config import EvalConfig

TEXTS = [
    "当社の売上高は前年同期比で増加し、営業利益は過去最高となりました。",
    "金融商品取引法に基づき、有価証券報告書を提出しております。",
    "為替相場の変動により、海外子会社の業績に影響がありました。",
] * 4


@pytest.fixture(scope="module")
def train_run(tmp_path_factory):
    from kinyu.evaluation.harness import set_offline
    from testkit.models import build_tiny_model

    set_offline()
    layout = TrainRun(tmp_path_factory.mktemp("train") / "run")
    first = None
    for step, seed in ((10, 1), (20, 2)):
        ckpt = layout.checkpoint(step)
        build_tiny_model(ckpt.hf, TEXTS, seed=seed, vocab_size=300, max_position_embeddings=256,
                         tokenizer_file=None if first is None else first / "tokenizer.json")
        first = first or ckpt.hf
        ckpt.deepspeed.mkdir()
        ckpt.state.write_text(json.dumps({"step": step, "tokens_seen": step * 4096, "epoch": 0}))
    layout.checkpoint(30).path.mkdir()  # an unfinished checkpoint: no hf/, skipped
    layout.set_latest(layout.checkpoint(20))
    layout.manifest.write_text("{}")
    layout.metrics.write_text("")
    run = layout.path
    texts = tmp_path_factory.mktemp("texts")
    for name, body in (("fin", TEXTS[:3]), ("general", ["今日は晴れて、子どもたちが公園で遊んでいた。"])):
        (texts / name).mkdir()
        for i, t in enumerate(body):
            (texts / name / f"{i}.txt").write_text(t, encoding="utf-8")
    return run, texts


def test_sweep_bpc_only_writes_outputs_and_resumes(train_run, tmp_path):
    from kinyu.evaluation.sweep import sweep

    run, texts = train_run
    cfg = EvalConfig(out=str(tmp_path / "eval"), bpc_texts=[f"fin={texts / 'fin'}", f"general={texts / 'general'}"])
    out = sweep(run, cfg, progress=False)
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
    sweep(run, cfg, progress=False)
    info = json.loads((out / "sweep.json").read_text())
    assert (info["evaluated"], info["skipped"]) == (0, 2)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "scores").iterdir()} == before
    assert (out / "results.csv").read_bytes() == csv_before


@pytest.mark.real_data
def test_cli_sweep_with_tasks(fin_harness, chabsa_dir, train_run, tmp_path):
    from kinyu.cli.eval import main

    run, texts = train_run
    argv = ["sweep", str(run), "--data-dir", str(fin_harness), "--chabsa-dir", str(chabsa_dir), "--tasks", "chabsa,fp2",
            "--limit", "3", "--bpc-texts", f"general={texts / 'general'}", "--out", str(tmp_path / "ev")]
    assert main(argv) == 0
    res = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert {"average", "mean_all", "chabsa/f1", "fp2/acc", "bpc/general"} <= set(res["metrics"])
    assert "`average` is upstream's leaderboard Ave." in (tmp_path / "ev" / "results.md").read_text()
    assert (tmp_path / "ev" / "plots" / "average.png").is_file()
    assert main(argv) == 0
    assert json.loads((tmp_path / "ev" / "sweep.json").read_text())["skipped"] == 2


@pytest.mark.real_data
def test_cli_eval_all_five_tasks_with_limit(fin_harness, train_run, tmp_path, capsys):
    from kinyu.cli.eval import main

    run, texts = train_run
    model = run / "checkpoints" / "step_000010" / "hf"
    out = tmp_path / "r.json"
    assert main(["--model", str(model), "--data-dir", str(fin_harness), "--limit", "2", "--batch-size", "4",
                 "--bpc-texts", f"fin={texts / 'fin'}", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert sorted(res["tasks"]) == ["chabsa", "cma_basics", "cpa_audit", "fp2", "security_sales_1"]
    assert all(r["n"] == 2 for r in res["tasks"].values())
    assert res["bpc"]["fin"]["bits_per_character"] > 0
    printed = capsys.readouterr().out
    assert "| **average** (leaderboard Ave., zeros skipped) |" in printed and "| mean of all 5 tasks |" in printed
    scores = [r["score"] for r in res["tasks"].values()]
    assert res["mean_all"] == pytest.approx(sum(scores) / 5)
    assert res["average_skipped"] == sorted(t for t, r in res["tasks"].items() if not r["score"])


@pytest.mark.real_data
def test_cli_compare(fin_harness, train_run, tmp_path):
    from kinyu.cli.eval import main

    run, _ = train_run
    a, b = (run / "checkpoints" / s / "hf" for s in ("step_000010", "step_000020"))
    out = tmp_path / "cmp.md"
    assert main(["compare", "--models", str(a), str(b), "--data-dir", str(fin_harness), "--tasks", "cma_basics,chabsa",
                 "--compare-items-per-task", "1", "--compare-max-new-tokens", "4", "--out", str(out)]) == 0
    md = out.read_text()
    assert md.count("\n| 1 | cma_basics |") == 1 and "| 2 | chabsa |" in md
    prompts = tmp_path / "p.txt"
    prompts.write_text("日本の金利は\n\n株価が", encoding="utf-8")
    assert main(["compare", "--models", str(a), str(b), "--prompts", str(prompts), "--compare-max-new-tokens", "3",
                 "--out", str(out)]) == 0
    assert "| 2 | p.txt | 株価が |" in out.read_text()


def test_cli_eval_takes_the_latest_pointer_as_a_model_path(train_run, tmp_path):
    from kinyu.cli.eval import main

    run, texts = train_run
    scores = {}
    for name, model in (("latest", run / "checkpoints" / "latest" / "hf"), ("named", TrainRun(run).checkpoint(20).hf)):
        out = tmp_path / f"{name}.json"
        assert main(["--model", str(model), "--bpc-texts", f"fin={texts / 'fin'}", "--out", str(out)]) == 0
        scores[name] = json.loads(out.read_text())["bpc"]["fin"]["bits_per_character"]
    assert scores["latest"] == scores["named"] > 0


def test_cli_errors(train_run, tmp_path, capsys):
    from kinyu.cli.eval import main

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


@pytest.mark.real_data
def test_python_api_evaluate_model(fin_harness, train_run):
    from kinyu.evaluation.harness import evaluate_model, results_table

    run, _ = train_run
    res = evaluate_model(run / "checkpoints" / "step_000020" / "hf", ["cma_basics", "cpa_audit"], fin_harness, 3)
    assert [r["n"] for r in res["tasks"].values()] == [3, 3]
    assert res["tasks"]["cpa_audit"]["score"] == pytest.approx(100 * res["tasks"]["cpa_audit"]["acc"])
    assert res["data_files"]["cpa_audit"].endswith("CPA_AUDIT.xlsx")
    assert "| cpa_audit | default | 3 |" in results_table(res)


# fictional items in fin-harness's cma_basics layout (data.json rows): no shared data needed
MCQ_ITEMS = [
    ("日本銀行が金融緩和を続けた場合、長期金利は一般にどうなるか。", ["上昇する", "低下する", "変わらない", "消滅する"], 1),
    ("株式の配当利回りの計算に使うものはどれか。", ["株価と配当金", "売上高と利益", "負債と資本", "為替と金利"], 0),
    ("有価証券報告書を提出する根拠となる法律はどれか。", ["民法", "会社法", "金融商品取引法", "刑法"], 2),
    ("円安が輸出企業の業績に与える影響として一般的なものはどれか。", ["悪化する", "改善する", "無関係", "倒産する"], 1),
    ("自己資本比率が高い会社の特徴はどれか。", ["借入が多い", "財務が安定している", "赤字である", "上場していない"], 1),
    ("営業利益から営業外損益を加減したものはどれか。", ["売上総利益", "経常利益", "当期純利益", "包括利益"], 1),
    ("債券価格と利回りの関係として正しいものはどれか。", ["同じ方向に動く", "逆の方向に動く", "無関係", "常に一定"], 1),
    ("分散投資の主な目的はどれか。", ["手数料の削減", "リスクの低減", "税金の回避", "配当の増加"], 1),
]


def test_prompt_version_all_reports_the_best_scoring_version(train_run, tmp_path):
    from kinyu.cli.eval import main

    run, _ = train_run
    model = run / "checkpoints" / "step_000010" / "hf"
    rows = [{"id": i, "question": q, "context": "", "choices": [{"id": j, "text": t} for j, t in enumerate(opts)], "answer": a}
            for i, (q, opts, a) in enumerate(MCQ_ITEMS)]
    (tmp_path / "data" / "cma_basics").mkdir(parents=True)
    (tmp_path / "data" / "cma_basics" / "data.json").write_text(json.dumps({"data": rows}, ensure_ascii=False), encoding="utf-8")
    common = ["--model", str(model), "--data-dir", str(tmp_path / "data"), "--tasks", "cma_basics"]
    assert main([*common, "--prompt-version", "all", "--out", str(tmp_path / "all.json")]) == 0
    every = json.loads((tmp_path / "all.json").read_text())
    averages = {v: r["average"] for v, r in every["by_version"].items()}
    assert len(averages) == 9 and len(set(averages.values())) > 1  # the versions really score differently here
    best = max(averages, key=averages.get)
    assert best != "default"  # reporting the default prompt instead would fail below
    assert every["prompt_version"] == best and every["average"] == max(averages.values())
    assert every["tasks"]["cma_basics"]["prompt_version"] == best
    # the reported scores are those of a run of the best version alone
    assert main([*common, "--prompt-version", best, "--out", str(tmp_path / "best.json")]) == 0
    alone = json.loads((tmp_path / "best.json").read_text())
    assert alone["average"] == every["average"]
    assert alone["tasks"]["cma_basics"]["acc"] == every["tasks"]["cma_basics"]["acc"]
