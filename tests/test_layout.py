"""The run folders' names have one owner (kinyu.base.layout): checkpoint names round-trip, the
``latest`` pointer is written atomically and resolves wherever a checkpoint path is taken."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kinyu.base.layout import (
    CorpusRun,
    TrainRun,
    checkpoint_name,
    checkpoint_step,
    latest_checkpoint,
    resolve_checkpoint_path,
)


@pytest.mark.parametrize("step", [0, 1, 500, 999_999, 1_234_567])
def test_checkpoint_names_round_trip(step):
    name = checkpoint_name(step)
    assert name.startswith("step_") and len(name) >= len("step_000000")
    assert checkpoint_step(name) == step


@pytest.mark.parametrize("name", ["latest", ".tmp_step_000010", "step_", "step_12a", "step_-1", "xstep_000010", "step_000010/hf"])
def test_other_names_are_not_checkpoints(name):
    assert checkpoint_step(name) is None


def test_checkpoint_step_must_be_whole_and_not_negative():
    assert checkpoint_name(40) == "step_000040"
    with pytest.raises(ValueError):
        checkpoint_name(-1)


def fake_train_run(root: Path, steps=(10, 20, 1_000_000)) -> TrainRun:
    run = TrainRun(root)
    for step in steps:
        run.checkpoint(step).hf.mkdir(parents=True)
        run.checkpoint(step).state.write_text(json.dumps({"step": step}))
    run.staging(30).mkdir()  # an interrupted save
    run.set_latest(run.checkpoint(steps[-1]))
    return run


def test_train_run_lists_checkpoints_by_step_and_points_at_the_latest(tmp_path):
    run = fake_train_run(tmp_path / "run")
    # by step, not by name: step_1000000 sorts before step_000020 as text
    assert [c.step for c in run.list_checkpoints()] == [10, 20, 1_000_000]
    assert [p.name for p in run.staged()] == [".tmp_step_000030"]
    assert run.latest_file.read_text() == "step_1000000\n" and run.has_checkpoint()
    assert latest_checkpoint(run.path) == run.checkpoint(1_000_000)
    assert latest_checkpoint(run.path).hf == run.path / "checkpoints" / "step_1000000" / "hf"
    with pytest.raises(FileNotFoundError):
        latest_checkpoint(tmp_path / "empty")


def test_latest_is_replaced_atomically(tmp_path, monkeypatch):
    run = fake_train_run(tmp_path / "run", steps=(10, 20))
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((Path(src).parent, Path(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    run.set_latest(run.checkpoint(10))
    # written into a temp file beside it, then renamed over it: a reader never sees half a name
    assert replaced == [(run.checkpoints, run.latest_file)]
    assert latest_checkpoint(run.path).step == 10
    assert sorted(p.name for p in run.checkpoints.iterdir()) == [".tmp_step_000030", "latest", "step_000010", "step_000020"]


def test_resolve_checkpoint_path(tmp_path):
    run = fake_train_run(tmp_path / "run", steps=(10, 20))
    assert resolve_checkpoint_path(run.latest_file / "hf") == run.checkpoint(20).hf
    assert resolve_checkpoint_path(run.latest_file) == run.checkpoint(20).path
    assert resolve_checkpoint_path(run.checkpoint(10).hf) == run.checkpoint(10).hf  # any other path as given
    plain = tmp_path / "models" / "latest" / "hf"  # a folder a user named latest: not a pointer
    plain.mkdir(parents=True)
    assert resolve_checkpoint_path(plain) == plain
    (run.latest_file).write_text("../../elsewhere\n")
    with pytest.raises(ValueError, match="not a checkpoint"):
        resolve_checkpoint_path(run.latest_file / "hf")


def test_corpus_run_names_match_the_documented_layout(tmp_path):
    run = CorpusRun(tmp_path)
    rel = {k: str(getattr(run, k).relative_to(tmp_path)) for k in (
        "docs", "removed", "quarantine", "stats", "summary", "histograms", "logs", "tokenizer_file", "manifest",
        "config", "report", "work")}
    assert rel == {"docs": "docs", "removed": "removed", "quarantine": "quarantine.jsonl", "stats": "stats",
                   "summary": "stats/summary.json", "histograms": "stats/histograms.json", "logs": "logs",
                   "tokenizer_file": "tokenizer/tokenizer.json", "manifest": "manifest.json", "config": "config.yaml",
                   "report": "report.html", "work": "work"}
    assert run.tokens("train") == tmp_path / "tokens" / "train" and run.tokens("validation") == tmp_path / "tokens" / "validation"
    assert run.stage_logs("extract") == tmp_path / "logs" / "extract"
    with pytest.raises(ValueError, match="token split"):
        run.tokens("test")
    run.stats.mkdir()
    for name in ("extract", "summary", "histograms", "minhash_filter"):
        (run.stats / f"{name}.json").write_text("[]")
    assert run.stats_stages() == ["extract", "minhash_filter"]
    train = TrainRun(tmp_path / "t")
    assert [str(p.relative_to(train.path)) for p in (train.metrics, train.tensorboard, train.manifest, train.checkpoints)] == [
        "metrics.jsonl", "tensorboard", "manifest.json", "checkpoints"]
    ckpt = train.checkpoint(500)
    assert [str(p.relative_to(train.path)) for p in (ckpt.hf, ckpt.deepspeed, ckpt.state)] == [
        "checkpoints/step_000500/hf", "checkpoints/step_000500/deepspeed", "checkpoints/step_000500/state.json"]


def test_train_model_path_may_name_latest(tmp_path):
    from kinyu.training.config import ModelConfig

    run = fake_train_run(tmp_path / "run", steps=(10, 20))
    assert ModelConfig(path=str(run.latest_file / "hf")).model_dir() == run.checkpoint(20).hf
    assert ModelConfig().model_dir() is None


def test_corpus_tokenizer_may_name_latest(tmp_path):
    from kinyu.corpus.tokenize import resolve_tokenizer_file

    run = fake_train_run(tmp_path / "run", steps=(10, 20))
    (run.checkpoint(20).hf).mkdir(parents=True, exist_ok=True)
    (run.checkpoint(20).hf / "tokenizer.json").write_text("{}")
    assert resolve_tokenizer_file(run.latest_file / "hf") == run.checkpoint(20).hf / "tokenizer.json"


def test_eval_takes_latest_a_checkpoint_folder_or_names_the_right_path(tmp_path):
    from kinyu.evaluation.harness import EvalError, check_model_dir

    run = TrainRun(tmp_path / "train")
    for step in (10, 20):
        hf = run.checkpoint(step).hf
        hf.mkdir(parents=True)
        (hf / "config.json").write_text("{}")
        (hf / "tokenizer.json").write_text("{}")
    run.set_latest(run.checkpoint(20))
    assert check_model_dir(run.latest_file / "hf") == run.checkpoint(20).hf
    assert check_model_dir(run.latest_file) == run.checkpoint(20).hf  # the checkpoint folder: its hf/ export
    assert check_model_dir(run.checkpoint(10).path) == run.checkpoint(10).hf
    with pytest.raises(EvalError, match=r"is a training run, not a model: give .*checkpoints/latest/hf.*kinyu eval sweep"):
        check_model_dir(run.path)
