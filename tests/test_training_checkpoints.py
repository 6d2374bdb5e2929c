"""Damaged and hostile checkpoints, and runs that go non-finite (issue 25, training).

One short uninterrupted run (module fixture: 12 steps, checkpoints 4, 8 and 12) is copied per test
and then damaged the way a disk, a cut-off copy or an attacker would: the resume is refused with one
line naming the file and the previous good checkpoint, nothing pickled runs, and no checkpoint holds
a non-finite step. The real DeepSpeed engine and real files throughout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _corpus_fixture import build_financial_and_replay
from kinyu.base.config import load_config
from kinyu.base.runs import sha256_file
from kinyu.training.config import TrainConfig, TrainInputError

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"
SETTINGS = {"schedule.max_steps": 12, "checkpoint.every_steps": 4, "checkpoint.keep_last": 3,
            "logging.eval_every_steps": 0, "logging.tensorboard": False, "data.replay_ratio": 0.25}
MODEL_STATES = "deepspeed/step_000012/mp_rank_00_model_states.pt"
OPTIM_STATES = "deepspeed/step_000012/zero_pp_rank_0_mp_rank_00_optim_states.pt"
LAUNCHER_VARS = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}


def _metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    return build_financial_and_replay(tmp_path_factory.mktemp("ckpt_corpus"))


@pytest.fixture(scope="module")
def reference(corpora, tmp_path_factory):
    from kinyu.training.train import run_training

    fin, gen = corpora
    out = tmp_path_factory.mktemp("ckpt_runs") / "reference"
    cfg = load_config(TrainConfig, TINY, {**SETTINGS, "data.corpus_runs": [str(fin)], "data.replay_runs": [str(gen)],
                                          "run.out_dir": str(out)})
    return run_training(cfg)


@pytest.fixture
def run(reference, tmp_path) -> Path:
    """A copy of the reference run to damage."""
    return Path(shutil.copytree(reference, tmp_path / "run"))


def _snapshot(run: Path) -> dict[str, str]:
    return {p.relative_to(run).as_posix(): sha256_file(p) for p in sorted(run.rglob("*")) if p.is_file()}


def _refused(argv: list[str], capsys) -> str:
    """``kinyu train ARGV`` in this process: exit 2 and one line on stderr; that line."""
    from kinyu.cli.train import main

    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def _overwrite_inside(path: Path) -> None:
    """Flip bytes in the middle of the file: its size stays the same."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    path.write_bytes(bytes(data))


class _Marker:
    """Unpickling it creates a file (what a crafted checkpoint would do with a shell command instead)."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


# --- checksums at save ------------------------------------------------------------------------------


def test_every_checkpoint_records_size_and_sha256_of_every_file(reference):
    from kinyu.base.layout import Checkpoint
    from kinyu.training.checkpoints import checksum_problem

    names = sorted(p.name for p in (reference / "checkpoints").iterdir())
    assert names == ["latest", "step_000004", "step_000008", "step_000012"]
    for name in names[1:]:
        ckpt = reference / "checkpoints" / name
        listed = json.loads((ckpt / "checksums.json").read_text())["files"]
        on_disk = sorted(p.relative_to(ckpt).as_posix() for p in ckpt.rglob("*") if p.is_file())
        assert sorted([*listed, "checksums.json"]) == on_disk
        assert {"state.json", "hf/model.safetensors", f"deepspeed/{name}/mp_rank_00_model_states.pt",
                "deepspeed/rng_state_rank00000.pt"} <= listed.keys()
        for rel, entry in listed.items():
            assert entry == {"bytes": (ckpt / rel).stat().st_size, "sha256": sha256_file(ckpt / rel)}, rel
        assert (ckpt / "checksums.json").stat().st_mtime >= max((ckpt / rel).stat().st_mtime for rel in listed)
        assert checksum_problem(Checkpoint(ckpt)) is None


# --- a changed checkpoint is refused, the previous one offered, and it resumes bit-identical -------------


def test_overwritten_model_state_is_refused_and_the_previous_checkpoint_resumes(run, reference, capsys):
    _overwrite_inside(run / "checkpoints" / "step_000012" / MODEL_STATES)
    before = _snapshot(run)
    line = _refused(["--resume", str(run)], capsys)
    assert str(run / "checkpoints" / "step_000012" / MODEL_STATES) in line and "sha256" in line, line
    assert f"--resume {run} --resume-from step_000008" in line, line
    assert _snapshot(run) == before  # refused before any work: nothing written, nothing rotated out

    from kinyu.cli.train import main

    assert main(["--resume", str(run), "--resume-from", "step_000008"]) == 0
    ref, got = _metrics(reference), _metrics(run)
    assert [r["step"] for r in got] == list(range(1, 13))
    for key in ("loss", "lr", "grad_norm", "tokens", "replay_tokens"):
        assert [r[key] for r in got] == [r[key] for r in ref], key
    # the damaged checkpoint was written again, whole, and verifies
    for rel in (MODEL_STATES, "hf/model.safetensors"):
        assert sha256_file(run / "checkpoints" / "step_000012" / rel) == sha256_file(reference / "checkpoints" /
                                                                                     "step_000012" / rel), rel
    assert main(["--resume", str(run)]) == 0  # a finished run: verifies, nothing left to train


def test_resume_from_names_a_checkpoint_of_the_run(run, capsys):
    line = _refused(["--resume", str(run), "--resume-from", "step_000005"], capsys)
    assert "no such checkpoint" in line and "step_000004, step_000008, step_000012" in line, line


def test_rotation_keeps_the_newest_verified_checkpoint(run):
    """A resume from an earlier checkpoint with keep_last 1: the checkpoint it writes stays, though a later
    (damaged) one of the first attempt is still there; that one is replaced when the run reaches its step."""
    _overwrite_inside(run / "checkpoints" / "step_000012" / MODEL_STATES)
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS} | {"PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "testkit.crash", "checkpoint", "6", "train", "--resume", str(run),
                           "--resume-from", "step_000004", "--checkpoint.keep_last", "1",
                           "--checkpoint.every_steps", "3"],
                          cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.returncode == -9, proc.stderr.decode()[-3000:]
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["latest", "step_000006", "step_000008", "step_000012"], names
    assert (run / "checkpoints" / "latest").read_text().strip() == "step_000006"


@pytest.mark.slow
def test_two_ranks_share_the_hashing_and_both_refuse_a_changed_file(run):
    """Under torchrun each rank hashes every other file: a change only rank 1 reads still stops both, at once."""
    listed = sorted(json.loads((run / "checkpoints" / "step_000012" / "checksums.json").read_text())["files"])
    rel = next(r for i, r in enumerate(listed) if i % 2 == 1 and not r.endswith(".pt"))  # rank 1's share
    target = run / "checkpoints" / "step_000012" / rel
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS | {"GROUP_RANK"}} | {
        "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2",
           "--rdzv-backend", "c10d", "--rdzv-endpoint", "127.0.0.1:0", "-m", "kinyu.cli", "train", "--resume", str(run),
           "--schedule.micro_batch_size", "4", "--schedule.grad_accum_steps", "1"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    refusals = [ln for ln in proc.stderr.splitlines() if "is damaged, not loaded" in ln]
    assert len(refusals) == 2 and all(f"{target} changed since it was saved" in ln and "--resume-from step_000008"
                                      in ln for ln in refusals), proc.stderr[-4000:]


# --- a truncated file: one line, the file, the fix -----------------------------------------------------


@pytest.mark.parametrize("rewrite_checksums", [False, True])
def test_truncated_checkpoint_file_is_one_line_naming_it(run, capsys, rewrite_checksums):
    """Cut off as a broken copy leaves it; with checksums.json made again to match, the scan still names it."""
    from kinyu.base.layout import Checkpoint
    from kinyu.training.checkpoints import write_checksums

    target = run / "checkpoints" / "step_000012" / OPTIM_STATES
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    if rewrite_checksums:
        write_checksums(Checkpoint(run / "checkpoints" / "step_000012"))
    line = _refused(["--resume", str(run)], capsys)
    assert str(target) in line, line
    assert ("not a complete torch file" if rewrite_checksums else "is truncated") in line, line
    assert "--resume-from step_000008" in line and "delete" in line, line


def test_truncated_file_through_the_launcher_prints_no_traceback(run):
    target = run / "checkpoints" / "step_000012" / MODEL_STATES
    target.write_bytes(target.read_bytes()[:1000])
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS} | {"PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "kinyu.cli", "train", "--resume", str(run)], cwd=REPO, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "[rank0]" not in proc.stderr, proc.stderr[-3000:]
    errors = [ln for ln in proc.stderr.splitlines() if "error" in ln.lower()]
    assert len(errors) == 1 and str(target) in errors[0], proc.stderr[-3000:]


def test_checkpoint_without_checksums_is_not_loaded(run, capsys):
    (run / "checkpoints" / "step_000012" / "checksums.json").unlink()
    line = _refused(["--resume", str(run)], capsys)
    assert "checksums.json is missing" in line and "--resume-from step_000008" in line, line


# --- nothing pickled runs -------------------------------------------------------------------------------


@pytest.mark.parametrize("rel,rewrite_checksums", [("deepspeed/rng_state_rank00000.pt", False),
                                                   ("deepspeed/rng_state_rank00000.pt", True),
                                                   (MODEL_STATES, True)])
def test_crafted_pickle_in_a_checkpoint_does_not_run(run, tmp_path, capsys, rel, rewrite_checksums):
    import torch

    marker = tmp_path / "pwned"
    target = run / "checkpoints" / "step_000012" / rel
    torch.save({"python": _Marker(marker), "torch": torch.get_rng_state()}, target)
    if rewrite_checksums:  # the attacker rewrote checksums.json too: the pickle scan refuses it
        from kinyu.base.layout import Checkpoint
        from kinyu.training.checkpoints import write_checksums

        write_checksums(Checkpoint(run / "checkpoints" / "step_000012"))
    line = _refused(["--resume", str(run)], capsys)
    assert str(target) in line, line
    assert ("pickles io.open" in line) if rewrite_checksums else ("changed since it was saved" in line or
                                                                "longer than" in line or "truncated" in line), line
    assert not marker.exists()


def test_deepspeeds_own_loader_loads_weights_only(reference, tmp_path):
    """DeepSpeed's checkpoint engine calls torch.load(weights_only=False): inside weights_only_loading it
    still reads DeepSpeed's own optimiser state, and refuses a pickle that would run code."""
    import pickle

    import torch

    from kinyu.training.train import setup_environment

    setup_environment()
    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine

    from kinyu.training.checkpoints import weights_only_loading

    marker, crafted = tmp_path / "pwned", tmp_path / "crafted.pt"
    torch.save({"x": _Marker(marker)}, crafted)
    with weights_only_loading():
        state = TorchCheckpointEngine().load(str(reference / "checkpoints" / "step_000012" / OPTIM_STATES))
        assert "optimizer_state_dict" in state
        with pytest.raises(pickle.UnpicklingError):
            TorchCheckpointEngine().load(str(crafted))
    assert not marker.exists()
    assert "TORCH_FORCE_WEIGHTS_ONLY_LOAD" not in os.environ


# --- non-finite loss or gradient ------------------------------------------------------------------------


def test_non_finite_loss_stops_the_run_before_any_checkpoint(reference, corpora, tmp_path, capsys):
    """A model whose weights hold a NaN: step 1's loss is NaN; one line, and no checkpoint is written."""
    from safetensors.torch import load_file, save_file

    fin, gen = corpora
    model = Path(shutil.copytree(reference / "checkpoints" / "step_000012" / "hf", tmp_path / "nan_model"))
    weights = load_file(model / "model.safetensors")
    name = next(k for k in weights if k.endswith("q_proj.weight"))
    weights[name][0, 0] = float("nan")
    save_file(weights, model / "model.safetensors", metadata={"format": "pt"})
    out = tmp_path / "out"
    line = _refused(["--config", str(TINY), "--data.corpus_runs", str(fin), "--data.replay_runs", str(gen),
                     "--model.path", str(model), "--run.out_dir", str(out), "--checkpoint.every_steps", "1",
                     "--logging.eval_every_steps", "0", "--logging.tensorboard", "false"], capsys)
    assert "step 1: the loss is nan" in line and "no checkpoint was written" in line, line
    assert not list((out / "checkpoints").glob("*")) and not (out / "metrics.jsonl").exists()


def test_diverging_run_stops_at_the_first_non_finite_gradient_and_keeps_its_last_good_checkpoint(corpora, tmp_path,
                                                                                                   capsys):
    """An absurd learning rate: step 1 is finite and saved, step 2's gradient norm is not: the run stops there."""
    import torch
    from safetensors.torch import load_file

    fin, gen = corpora
    out = tmp_path / "out"
    line = _refused(["--config", str(TINY), "--data.corpus_runs", str(fin), "--run.out_dir", str(out),
                     "--optim.lr", "1e30", "--optim.min_lr", "0", "--schedule.warmup_steps", "1",
                     "--schedule.max_steps", "6", "--checkpoint.every_steps", "1", "--checkpoint.keep_last", "0",
                     "--logging.eval_every_steps", "0", "--logging.tensorboard", "false"], capsys)
    assert re.match(r"kinyu train: error: step 2: the (gradient norm|loss) is (nan|inf)", line), line
    assert "the newest checkpoint is still step_000001" in line, line
    assert sorted(p.name for p in (out / "checkpoints").glob("step_*")) == ["step_000001"]
    from kinyu.base.layout import Checkpoint
    from kinyu.training.checkpoints import checksum_problem

    assert checksum_problem(Checkpoint(out / "checkpoints" / "step_000001")) is None
    assert all(torch.isfinite(w).all() for w in load_file(out / "checkpoints" / "step_000001" / "hf" /
                                                          "model.safetensors").values())
    assert [r["step"] for r in _metrics(out)] == [1]


def test_non_finite_gradient_norm_stops_with_the_step_and_the_newest_checkpoint(reference):
    from kinyu.training.train import stop_if_not_finite

    stop_if_not_finite(7, 2.5, 0.9, reference)  # finite: goes on
    with pytest.raises(TrainInputError, match=r"^step 7: the gradient norm is inf; .*newest checkpoint is still "
                                              r"step_000012"):
        stop_if_not_finite(7, 2.5, float("inf"), reference)
    with pytest.raises(TrainInputError, match=r"^step 3: the loss is nan and the gradient norm is nan"):
        stop_if_not_finite(3, float("nan"), float("nan"), reference)
