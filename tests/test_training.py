"""`kinyu train` on CPU with a real DeepSpeed engine and a tiny Llama on a fixture corpus.

One uninterrupted run (module fixture) is shared: loss, metrics, checkpoints, replay share, and
the reference curve that a killed-and-resumed run must reproduce bit for bit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from _corpus_fixture import build_corpus_run, build_financial_and_replay, general_texts
from kinyu.base.config import ConfigError, load_config
from kinyu.base.runs import sha256_file
from kinyu.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"
METRIC_KEYS = {"step", "tokens", "loss", "lr", "grad_norm", "tokens_per_s", "mfu"}


def tiny_overrides(fin: Path, gen: Path, out: Path, **more) -> dict:
    base = {
        "data.corpus_runs": [str(fin)], "data.replay_runs": [str(gen)], "data.replay_ratio": 0.25,
        "run.out_dir": str(out), "checkpoint.every_steps": 10, "checkpoint.keep_last": 2,
        "logging.data_order": True, "logging.eval_every_steps": 20,
    }
    base.update(more)
    return base


def tiny_cfg(fin, gen, out, **more) -> TrainConfig:
    return load_config(TrainConfig, TINY, tiny_overrides(fin, gen, out, **more))


def read_metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    return build_financial_and_replay(tmp_path_factory.mktemp("train_corpus"))


@pytest.fixture(scope="module")
def shared_run(corpora, tmp_path_factory):
    from kinyu.training.train import run_training

    fin, gen = corpora
    return run_training(tiny_cfg(fin, gen, tmp_path_factory.mktemp("runs") / "uninterrupted"))


def test_loss_falls_and_metrics_have_every_field(shared_run, corpora):
    rows = read_metrics(shared_run)
    assert [r["step"] for r in rows] == list(range(1, 41))
    for r in rows:
        assert METRIC_KEYS <= r.keys()
        assert r["tokens"] == r["step"] * 8 * 128
        assert r["grad_norm"] > 0 and r["tokens_per_s"] > 0 and 0 < r["mfu"] < 1
    first, last = sum(r["loss"] for r in rows[:5]) / 5, sum(r["loss"] for r in rows[-5:]) / 5
    assert last < 0.8 * first, (first, last)
    val = [r for r in rows if "val_loss" in r]
    assert [r["step"] for r in val] == [20, 40]
    assert val[1]["val_loss"] < val[0]["val_loss"]
    # warmup then cosine decay to the floor
    lrs = [r["lr"] for r in rows]
    assert lrs[3] == pytest.approx(3e-3) and lrs[0] == pytest.approx(3e-3 / 4)
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:])) and lrs[-1] > 3e-4
    assert list((shared_run / "tensorboard").glob("events.out.tfevents.*"))

    manifest = json.loads((shared_run / "manifest.json").read_text())
    fin, gen = corpora
    assert manifest["config"]["data"]["replay_ratio"] == 0.25
    assert manifest["versions"]["deepspeed"] and manifest["versions"]["torch"]
    roles = {e["role"]: e for e in manifest["inputs"]}
    assert roles["domain"]["manifest_sha256"] == sha256_file(fin / "manifest.json")
    assert roles["replay"]["manifest_sha256"] == sha256_file(gen / "manifest.json")


def test_replay_share_matches_config(shared_run):
    last = read_metrics(shared_run)[-1]
    assert abs(last["replay_tokens"] / last["tokens"] - 0.25) < 0.01
    windows = [w for line in (shared_run / "data_order.jsonl").read_text().splitlines()
               for w in json.loads(line)["windows"]]
    assert abs(sum(src for src, _, _ in windows) / len(windows) - 0.25) < 0.01


def test_checkpoints_are_complete_atomic_and_pruned(shared_run):
    ckpts = shared_run / "checkpoints"
    assert (ckpts / "latest").read_text().strip() == "step_000040"
    assert sorted(p.name for p in ckpts.iterdir()) == ["latest", "step_000030", "step_000040"]  # keep_last 2
    for name in ("step_000030", "step_000040"):
        state = json.loads((ckpts / name / "state.json").read_text())
        assert {"step", "tokens_seen", "epoch"} <= state.keys()
        assert state["step"] == int(name[5:]) and state["tokens_seen"] == state["step"] * 1024
        assert (ckpts / name / "deepspeed" / name).is_dir()
        assert (ckpts / name / "hf" / "model.safetensors").is_file()


def test_hf_export_loads_and_matches_the_engine(shared_run):
    """Reload the DeepSpeed checkpoint into a fresh engine; the hf/ export gives the same logits."""
    from testkit.models import assert_export_matches_engine

    assert_export_matches_engine(shared_run, total_steps=40)


def test_killed_run_resumes_bit_identical(shared_run, corpora, tmp_path):
    """SIGKILL a run after its first checkpoint, resume it: the same losses, no window repeated or skipped."""
    from kinyu.cli.train import main

    fin, gen = corpora
    out = tmp_path / "killed"
    flags = [x for k, v in tiny_overrides(fin, gen, out).items()
             for x in (f"--{k}", ",".join(v) if isinstance(v, list) else str(v))]
    launcher_vars = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}
    # a fresh, launcher-free process: not the rendezvous this pytest process already holds
    # a fresh, launcher-free process that SIGKILLs itself right after checkpoint 10 is complete
    env = {k: v for k, v in os.environ.items() if k not in launcher_vars} | {"PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "testkit.crash", "checkpoint", "10", "train", "--config", str(TINY), *flags],
                          cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-3000:]
    stopped_at = json.loads((out / "checkpoints" / "step_000010" / "state.json").read_text())["step"]
    assert stopped_at == 10 and not (out / "checkpoints" / "step_000020").exists()
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == list(range(1, 11))

    assert main(["--resume", str(out)]) == 0

    ref, got = read_metrics(shared_run), read_metrics(out)
    assert [r["step"] for r in got] == list(range(1, 41))
    for key in ("loss", "lr", "grad_norm", "tokens", "replay_tokens"):
        assert [r[key] for r in got] == [r[key] for r in ref], key
    assert [r["val_loss"] for r in got if "val_loss" in r] == [r["val_loss"] for r in ref if "val_loss" in r]
    ref_order = (shared_run / "data_order.jsonl").read_text().splitlines()
    got_order = (out / "data_order.jsonl").read_text().splitlines()
    assert got_order == ref_order
    windows = [tuple(w) for line in got_order for w in json.loads(line)["windows"]]
    assert len(set(windows)) == len(windows)  # within one epoch of each source: nothing seen twice
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["from_checkpoint"] for r in manifest["resumes"]] == ["step_000010"]


def test_zero_stages_agree(corpora, tmp_path):
    """ZeRO 0, 1, 2 and 3 (and 2 with activation checkpointing) in one process: one loss curve, loadable exports.

    (That each stage really partitions is test_training_dist.py's job: one process holds everything.)"""
    import torch
    from transformers import AutoModelForCausalLM

    from kinyu.training.train import run_training

    fin, gen = corpora
    curves, norms, exports = {}, {}, {}
    for stage, recompute in ((0, False), (1, False), (2, False), (3, False), ("2+ac", True)):
        run = run_training(tiny_cfg(fin, gen, tmp_path / f"zero{stage}", **{
            "deepspeed.zero_stage": int(str(stage)[0]), "model.activation_checkpointing": recompute,
            "schedule.max_steps": 4, "checkpoint.every_steps": 4,
            "logging.eval_every_steps": 0, "logging.tensorboard": False}))
        curves[stage] = [r["loss"] for r in read_metrics(run)]
        norms[stage] = [r["grad_norm"] for r in read_metrics(run)]
        exports[stage] = AutoModelForCausalLM.from_pretrained(run / "checkpoints" / "step_000004" / "hf")
    assert len(curves[0]) == 4 and curves[0][-1] < curves[0][0]
    # activation checkpointing recomputes the same activations: the very same curve as without it
    assert curves["2+ac"] == curves[2]
    for stage in (1, 2, 3):
        assert curves[stage] == pytest.approx(curves[0], rel=1e-4), stage
        assert norms[stage] == pytest.approx(norms[0], rel=1e-3), stage
        for (name, a), (_, b) in zip(exports[0].state_dict().items(), exports[stage].state_dict().items()):
            torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4, msg=f"ZeRO-{stage} export differs at {name}")


@pytest.mark.parametrize("on", [False, True])
def test_activation_checkpointing_recomputes_layers_in_backward(corpora, tmp_path, on):
    """With checkpointing on, every decoder layer runs its forward again during backward (and only then)."""
    import torch

    from kinyu.training.train import build_model, check_inputs

    fin, gen = corpora
    cfg = tiny_cfg(fin, gen, tmp_path / "unused", **{"model.activation_checkpointing": on})
    model = build_model(cfg, check_inputs(cfg), torch.float32).train()
    assert getattr(model, "is_activation_checkpointing", None) is on  # transformers 5 name of is_gradient_checkpointing
    calls = {"forward": 0, "backward": 0}
    phase = "forward"
    layer = model.model.layers[0]
    # a pre-hook: the recomputation stops early once it has rebuilt the last saved tensor, inside the MLP
    layer.mlp.register_forward_pre_hook(lambda *_: calls.__setitem__(phase, calls[phase] + 1))
    ids = torch.randint(0, model.config.vocab_size, (2, 32))
    loss = model(input_ids=ids, labels=ids).loss
    phase = "backward"
    loss.backward()
    assert calls == {"forward": 1, "backward": 1 if on else 0}
    assert layer.mlp.down_proj.weight.grad is not None


def test_continue_from_checkpoint_with_rewarm(shared_run, corpora, tmp_path):
    """A new stage from a kinyu hf/ export (ZeRO-3): warmup restarts from that run's LR floor."""
    from kinyu.training.train import run_training

    fin, gen = corpora
    hf = shared_run / "checkpoints" / "step_000040" / "hf"
    floor = json.loads((hf.parent / "state.json").read_text())["lr"]
    run = run_training(tiny_cfg(fin, gen, tmp_path / "stage2", **{
        "model.path": str(hf), "deepspeed.zero_stage": 3, "schedule.max_steps": 3, "schedule.warmup_steps": 2,
        "schedule.rewarm_from_checkpoint": True, "optim.lr": 1e-3, "optim.min_lr": 1e-4,
        "checkpoint.every_steps": 3, "logging.eval_every_steps": 0}))
    rows = read_metrics(run)
    assert rows[0]["lr"] == pytest.approx(floor + (1e-3 - floor) / 2)
    assert rows[1]["lr"] == pytest.approx(1e-3)
    # a trained model starts far below a fresh one's loss (~ln 512 = 6.2)
    assert rows[0]["loss"] < read_metrics(shared_run)[0]["loss"] - 1.0
    manifest = json.loads((run / "manifest.json").read_text())
    assert any(e["role"] == "model" and e["config_sha256"] for e in manifest["inputs"])


def test_zero3_loads_a_checkpoint_into_shards(shared_run, corpora, tmp_path):
    """Under ZeRO-3 from_pretrained runs inside deepspeed.zero.Init: no rank materialises the full model."""
    import torch

    from kinyu.training.train import build_model, check_inputs, deepspeed_config

    fin, gen = corpora
    cfg = tiny_cfg(fin, gen, tmp_path / "unused", **{
        "model.path": str(shared_run / "checkpoints" / "step_000040" / "hf"), "deepspeed.zero_stage": 3})
    model = build_model(cfg, check_inputs(cfg), torch.float32, deepspeed_config(cfg, 1, False, cpu=True))
    params = list(model.parameters())
    assert all(hasattr(p, "ds_id") and p.numel() == 0 for p in params)
    assert sum(p.ds_numel for p in params) > 100_000


# --- a bad config fails at once, before any work -----------------------------------------------------


def _check_fails_fast(argv: list[str], capsys, expect: str, out: Path) -> None:
    from kinyu.cli.train import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expect in err, err
    # "at once, before any work": nothing was written (speed itself belongs in benchmarks/)
    assert not out.exists(), "a failing config must not create the run folder"


def test_unknown_field_fails(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(TINY.read_text().replace("  seq_len: 128", "  seq_len: 128\n  seqlen: 64"))
    _check_fails_fast(["--config", str(cfg), "--run.out_dir", str(tmp_path / "o")], capsys, "seqlen", tmp_path / "o")
    with pytest.raises(ConfigError, match="unknown config field 'optim.learning_rate'"):
        load_config(TrainConfig, TINY, {"optim.learning_rate": 1})


def test_missing_shards_fail(tmp_path, capsys):
    empty = tmp_path / "corpus_without_tokens"
    (empty / "tokenizer").mkdir(parents=True)
    _check_fails_fast(["--config", str(TINY), "--data.corpus_runs", str(empty), "--run.out_dir", str(tmp_path / "o")],
                capsys, "missing token shards", tmp_path / "o")
    _check_fails_fast(["--config", str(TINY), "--data.corpus_runs", str(tmp_path / "nowhere"),
                 "--run.out_dir", str(tmp_path / "o")], capsys, "CORPUS_RUN folder not found", tmp_path / "o")


def test_tokenizer_mismatch_fails(shared_run, corpora, tmp_path, capsys):
    fin, gen = corpora
    # a corpus made with another tokenizer (trained on other text) against the model's own
    other = build_corpus_run(tmp_path / "other_corpus", general_texts(60, seed=5), vocab_size=300)
    model_dir = shared_run / "checkpoints" / "step_000040" / "hf"
    _check_fails_fast(["--config", str(TINY), "--data.corpus_runs", str(other), "--model.path", str(model_dir),
                 "--run.out_dir", str(tmp_path / "o"), "--logging.eval_every_steps", "0"],
                capsys, "tokenizer mismatch", tmp_path / "o")
    # replay shards with a tokenizer other than the domain corpus's
    _check_fails_fast(["--config", str(TINY), "--data.corpus_runs", str(fin), "--data.replay_runs", str(other),
                 "--data.replay_ratio", "0.1", "--run.out_dir", str(tmp_path / "o")],
                capsys, "tokenizer mismatch between corpus runs", tmp_path / "o")


def test_seq_len_beyond_positions_fails(corpora, tmp_path, capsys):
    fin, _ = corpora
    _check_fails_fast(["--config", str(TINY), "--data.corpus_runs", str(fin), "--data.seq_len", "512",
                 "--run.out_dir", str(tmp_path / "o")], capsys, "larger than the model's 256 positions", tmp_path / "o")


def test_existing_run_is_not_overwritten(shared_run, corpora, capsys):
    fin, _ = corpora
    from kinyu.cli.train import main

    before = (shared_run / "metrics.jsonl").read_bytes()
    assert main(["--config", str(TINY), "--data.corpus_runs", str(fin), "--run.out_dir", str(shared_run)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (shared_run / "metrics.jsonl").read_bytes() == before


def test_cli_help_lists_every_config_field():
    from kinyu.cli.train import build_parser

    text = build_parser().format_help()
    for flag in ("--config", "--resume", "--auto-resume", "--data.replay_ratio", "--deepspeed.zero_stage",
                 "--schedule.rewarm_from_checkpoint", "--checkpoint.keep_last", "--logging.peak_flops_per_device"):
        assert flag in text


def test_evaluation_snapshots_hold_no_optimiser_state_and_cannot_resume(corpora, tmp_path):
    # checkpoint.resumable=false (the study's curve points): hf/ and state.json only, the same weights
    from safetensors.torch import load_file

    from kinyu.training.config import TrainInputError
    from kinyu.base.layout import latest_checkpoint
    from kinyu.training.train import run_training

    fin, gen = corpora
    more = {"schedule.max_steps": 4, "checkpoint.every_steps": 2, "logging.eval_every_steps": 0, "logging.tensorboard": False}
    full = run_training(tiny_cfg(fin, gen, tmp_path / "full", **more))
    snap = run_training(tiny_cfg(fin, gen, tmp_path / "snap", **more, **{"checkpoint.resumable": False}))
    ckpt = latest_checkpoint(snap)
    assert (ckpt.hf / "model.safetensors").is_file() and ckpt.state.is_file()
    assert not ckpt.deepspeed.exists() and latest_checkpoint(full).deepspeed.is_dir()
    a, b = load_file(latest_checkpoint(full).hf / "model.safetensors"), load_file(ckpt.hf / "model.safetensors")
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    with pytest.raises(TrainInputError, match="cannot be resumed"):
        run_training(tiny_cfg(fin, gen, tmp_path / "snap", **more, **{"checkpoint.resumable": False}), resume=True)
