"""The ``kinyu`` command as a user meets it: bad configs end in one clear message (rc 2, no
traceback, nothing written), mistyped flags get a suggestion, a repeated flag accumulates or is
refused, never silently dropped; Ctrl-C prints one line and exits 130, and the build resumes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def kinyu(*args: str, cwd: Path = REPO, timeout: int = 300) -> subprocess.CompletedProcess:
    """The real command, in its own process (what a user's shell runs)."""
    return subprocess.run([sys.executable, "-m", "kinyu.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "100"})


def test_out_of_range_flag_is_rc2_without_traceback_and_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    r = kinyu("corpus", "build", "--output", str(out), "--quality.script.min_hiragana_ratio", "5")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert "quality.script.min_hiragana_ratio is a share of characters/lines and must be in [0, 1], got 5.0" in r.stderr
    assert not out.exists()  # no config.yaml left behind to refuse the corrected retry


def test_a_yaml_with_two_bad_fields_lists_both(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("quality:\n  script:\n    min_hiragana_ratio: 5\n  length:\n    min_chars: -3\nexecutor:\n  tasks: 0\n")
    out = tmp_path / "run"
    r = kinyu("corpus", "build", "--config", str(bad), "--output", str(out), "--tokenize.validation_fraction", "2")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    for part in ("quality.script.min_hiragana_ratio", "quality.length.min_chars must not be negative",
                 "executor.tasks must be >= 1", "tokenize.validation_fraction must be in [0, 1)"):
        assert part in r.stderr, r.stderr
    assert not out.exists()


def test_train_and_eval_configs_fail_the_same_way(tmp_path):
    r = kinyu("train", "plan", "--config", "configs/train/nekomata14b_zero3.yaml", "--deepspeed.zero_stage", "7",
              "--optim.lr", "-1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "deepspeed.zero_stage=7" in r.stderr and "optim.lr=-1.0" in r.stderr


def _digest(run: Path) -> dict[str, str]:
    import hashlib

    out = {}
    for part in ("docs", "removed", "tokens", "quarantine.jsonl"):
        root = run / part
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        out.update({str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files})
    return out


def _wait_for_documents(run: Path, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Until the extract stage has reported documents done (a real mid-build moment)."""
    import json
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the build ended before it could be interrupted"
        for p in (run / "logs" / "extract" / "progress").glob("*.json"):
            try:
                if json.loads(p.read_text())["docs"] > 0:
                    return
            except (OSError, ValueError):
                pass
        time.sleep(0.05)
    raise AssertionError("no progress reported")


@pytest.mark.slow
def test_ctrl_c_prints_one_line_exits_130_and_the_rerun_resumes(tmp_path):
    import signal

    from kinyu.cli import main

    reference, out = tmp_path / "reference", tmp_path / "run"
    common = ["--tasks", "4", "--cache.enabled", "false"]
    assert main(["corpus", "build", "--output", str(reference), "--workers", "1", *common]) == 0
    # two workers: the parent, datatrove's process pool, its manager and the extraction children all get the SIGINT
    proc = subprocess.Popen([sys.executable, "-m", "kinyu.cli", "corpus", "build", "--output", str(out), "--workers", "2", *common],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            # a Python started with SIGINT ignored (pytest run in the background of a script) keeps
                            # ignoring it: the build gets the disposition of a terminal's foreground job
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for_documents(out, proc)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground process group
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert stderr.count("interrupted; rerun the same command to resume") == 1
    assert "Traceback" not in stderr + stdout and "KeyboardInterrupt" not in stderr + stdout
    # below the progress bars, the message is the one line printed
    assert stderr.rstrip().splitlines()[-1] == "kinyu corpus build: interrupted; rerun the same command to resume"
    assert not (out / "manifest.json").exists(), "the interrupt should land before the build finished"
    for log in (out / "logs").glob("*/console.log"):
        assert "Traceback" not in log.read_text(), log
    assert main(["corpus", "build", "--output", str(out), "--workers", "1", *common]) == 0
    assert _digest(out) == _digest(reference)


@pytest.mark.parametrize("argv, target, says", [
    (["study", "cpt", "--quick"], "kinyu.workflows.cpt_study.run_study", "rerun the same command to resume"),
    (["study", "calibrate", "--quick"], "kinyu.workflows.calibration.run_calibration", "rerun the same command to resume"),
    (["train", "--config", "configs/train/tiny_cpu.yaml"], "kinyu.training.train.run_training", "kinyu train --resume TRAIN_RUN"),
])
def test_ctrl_c_in_a_resumable_command_says_how_to_go_on(argv, target, says, monkeypatch, capsys):
    """Every command that can resume says how in its one Ctrl-C line (not just the build)."""
    from kinyu.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(REPO)
    monkeypatch.setattr(target, interrupted)
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "interrupted; " in err and says in err and "Traceback" not in err


def test_default_build_shows_progress_and_keeps_datatrove_logs_in_the_run(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    from kinyu.corpus.sample import sample_dir

    for p in sorted(sample_dir().glob("*.txt"))[:3]:
        (inputs / p.name).write_bytes(p.read_bytes())
    args = ["corpus", "build", "--input", str(inputs), "--tasks", "2", "--cache.enabled", "false"]
    quiet = kinyu(*args, "--output", str(tmp_path / "quiet"))
    assert quiet.returncode == 0, quiet.stderr
    lines = quiet.stderr.splitlines()
    assert not [ln for ln in lines if "| INFO" in ln or "Launching pipeline" in ln]  # no datatrove logging
    extract = [ln for ln in lines if ln.startswith("extract ")]
    assert len(extract) == 1 and "3/3 files" in extract[0] and "docs/s" in extract[0] and "ETA" in extract[0]
    assert any(ln.startswith("minhash_filter ") and "docs/s" in ln for ln in lines)
    assert any(ln.startswith("minhash_buckets ") and "tasks" in ln for ln in lines)
    console_log = (tmp_path / "quiet" / "logs" / "extract" / "console.log").read_text()
    assert "Launching pipeline for rank=0" in console_log and "Launching pipeline for rank=1" in console_log
    verbose = kinyu(*args, "--output", str(tmp_path / "verbose"), "-v")
    assert verbose.returncode == 0, verbose.stderr
    assert "Launching pipeline for rank=0" in verbose.stderr
    assert not [ln for ln in verbose.stderr.splitlines() if ln.startswith("extract ") and "files" in ln]
    assert _digest(tmp_path / "quiet") == _digest(tmp_path / "verbose")  # how it prints changes nothing it writes


def test_progress_reporter_counts_what_the_next_steps_finished(tmp_path):
    import json

    from datatrove.data import Document

    from kinyu.corpus.progress import ProgressReporter, read_counts

    docs = [Document(text=str(i), id=str(i), metadata={"source": f"f{i // 2}"}) for i in range(5)]
    step = ProgressReporter(str(tmp_path / "progress"), every_s=0)
    stream = step.run(iter(docs), rank=3)
    first = next(stream)
    assert first is docs[0]
    assert json.loads((tmp_path / "progress" / "00003.json").read_text())["docs"] == 0  # not finished yet
    rest = list(stream)
    assert [d.id for d in [first, *rest]] == [d.id for d in docs]  # unchanged, in order
    assert read_counts(tmp_path) == {"docs": 5, "files": 3, "tasks": 0}
    assert json.loads((tmp_path / "progress" / "00003.json").read_text())["done"] is True


def _cli(capsys, *args: str) -> tuple[int, str]:
    from kinyu.cli import main

    try:
        code = main(list(args))
    except SystemExit as e:  # argparse's own errors
        code = e.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("typed,meant", [
    ("--worker", "--workers"),  # a prefix is not silently taken for the flag
    ("--wrokers", "--workers"),
    ("--quality.script.min_hiragana_ration", "--quality.script.min_hiragana_ratio"),
    ("--tokenize.vocab-sise", "--tokenize.vocab-size"),
])
def test_a_mistyped_flag_gets_the_closest_one(capsys, typed, meant):
    code, err = _cli(capsys, "corpus", "build", typed, "2")
    assert code == 2
    assert f"unrecognized arguments: {typed} 2 (did you mean {meant}?)" in err


def test_a_mistyped_command_gets_the_closest_one(capsys):
    assert _cli(capsys, "corpus", "biuld")[1].startswith("kinyu corpus: unknown command 'biuld' (did you mean build?)")
    assert _cli(capsys, "corpsu")[1].startswith("kinyu: unknown command 'corpsu' (did you mean corpus?)")


def test_a_repeated_flag_accumulates_or_is_refused_never_dropped(capsys, tmp_path):
    import yaml

    code, err = _cli(capsys, "corpus", "build", "--workers", "2", "--workers", "3")
    assert code == 2 and "--workers given twice (--workers 2, then --workers 3); give it once" in err
    code, err = _cli(capsys, "corpus", "build", "--tokenize.vocab_size", "100", "--tokenize.vocab-size", "200")
    assert code == 2 and "given twice" in err  # the two spellings of one field are one flag
    from kinyu.cli import main

    assert main(["corpus", "build", "--print-config", "--input.exclude", "*.bak", "--input.exclude", "drafts/*,*.tmp",
                 "--executor.slurm_sbatch_args", "{account: fin}", "--executor.slurm_sbatch_args", "{qos: high}",
                 "--input", "a", "--input", "b", "c", "--workers", "2", "--workers", "2"]) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["input"]["exclude"] == ["*.bak", "drafts/*", "*.tmp"]
    assert cfg["executor"]["slurm_sbatch_args"] == {"account": "fin", "qos": "high"}
    assert cfg["input"]["paths"] == ["a", "b", "c"] and cfg["executor"]["workers"] == 2


def test_a_failing_stage_is_one_error_line_pointing_at_its_task_log(tmp_path, capsys, monkeypatch):
    from kinyu.cli import main
    from kinyu.corpus.gates import EmptyTextFilter
    from kinyu.corpus.sample import sample_dir

    def boom(self, doc):
        raise RuntimeError("boom in a filter")

    monkeypatch.setattr(EmptyTextFilter, "filter", boom)  # one worker: the tasks run in this process
    inputs = tmp_path / "in"
    inputs.mkdir()
    p = next(p for p in sorted(sample_dir().glob("*.txt")) if p.stat().st_size > 2000)
    (inputs / p.name).write_bytes(p.read_bytes())
    out = tmp_path / "run"
    code = main(["corpus", "build", "--input", str(inputs), "--output", str(out), "--tasks", "1", "--cache.enabled", "false"])
    err = capsys.readouterr().err
    assert code == 1
    assert "kinyu corpus build: error: stage extract failed: RuntimeError: boom in a filter" in err
    assert f"{out / 'logs' / 'extract' / 'logs'}/task_*.log" in err and "Traceback" not in err
    assert "boom in a filter" in (out / "logs" / "extract" / "logs" / "task_00000.log").read_text()
