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
                 "executor.tasks and executor.workers must be >= 1", "tokenize.validation_fraction must be in [0, 1)"):
        assert part in r.stderr, r.stderr
    assert not out.exists()


def test_train_and_eval_configs_fail_the_same_way(tmp_path):
    r = kinyu("train", "plan", "--config", "configs/train/nekomata14b_zero3.yaml", "--deepspeed.zero_stage", "7",
              "--optim.lr", "-1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "deepspeed.zero_stage=7" in r.stderr and "optim.lr=-1.0" in r.stderr
