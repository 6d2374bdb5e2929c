"""Data safety of run folders: ``--overwrite`` removes only a kinyu corpus run and says what it
removed; a build never writes into (or deletes) a folder that is not its own; outputs are written
with the umask's permissions, not private ones."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from kinyu.base.layout import TrainRun, train_run_evidence
from kinyu.base.runs import NotARunFolder, atomic_write_json, atomic_write_text, remove_run_folder
from kinyu.corpus.sample import sample_dir


def run_cli(*args: str) -> int:
    from kinyu.cli import main

    return main(["corpus", "build", *args])


@pytest.fixture(scope="module")
def one_text(tmp_path_factory) -> Path:
    """A folder with one readable sample text: the smallest real build."""
    folder = tmp_path_factory.mktemp("one_text") / "in"
    folder.mkdir()
    good = next(p for p in sorted(sample_dir().glob("*.txt")) if p.stat().st_size > 2000)
    (folder / good.name).write_bytes(good.read_bytes())
    return folder


def small_build(out: Path, inputs: Path, *extra: str) -> int:
    return run_cli("--input", str(inputs), "--output", str(out), "--tasks", "1", "--cache.enabled", "false",
                   "--tokenize.enabled", "false", *extra)


def test_overwrite_never_deletes_a_folder_that_is_not_a_kinyu_run(tmp_path, one_text, capsys):
    # the case: refused without --overwrite, and --overwrite must not delete notes.txt either
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "notes.txt").write_text("x\n")
    assert small_build(folder, one_text) == 2
    assert "not a kinyu corpus run" in capsys.readouterr().err
    assert small_build(folder, one_text, "--overwrite") == 2
    err = capsys.readouterr().err
    assert "refusing to remove" in err and "only removes kinyu corpus runs" in err and "Traceback" not in err
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "x\n"


def test_a_foreign_config_yaml_does_not_make_a_run(tmp_path, one_text, capsys):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "config.yaml").write_text("model: bert\nlr: 0.1\n")
    (folder / "train.py").write_text("print('mine')\n")
    for extra in ((), ("--overwrite",)):
        assert small_build(folder, one_text, *extra) == 2
        assert "not a kinyu corpus run" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["config.yaml", "train.py"]


def test_overwrite_does_not_remove_a_training_run(tmp_path, one_text, capsys):
    train = tmp_path / "train-run"
    atomic_write_json(train / "manifest.json", {"stage": "train"})
    atomic_write_text(train / "checkpoints" / "latest", "step_000010\n")
    assert small_build(train, one_text, "--overwrite") == 2
    assert "refusing to remove" in capsys.readouterr().err
    assert TrainRun(train).latest_file.is_file()


def test_overwrite_removes_a_corpus_run_and_says_what_it_removed(tmp_path, one_text, capsys):
    out = tmp_path / "run"
    assert small_build(out, one_text) == 0
    (out / "stale.txt").write_text("from the old run\n")
    capsys.readouterr()
    assert small_build(out, one_text, "--overwrite", "--seed", "1") == 0
    err = capsys.readouterr().err
    assert f"--overwrite: removed {out}: a kinyu corpus run (its config.yaml of a corpus build;" in err
    assert " files, " in err
    assert not (out / "stale.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["config"]["seed"] == 1


def test_an_output_inside_or_holding_an_input_is_refused(tmp_path, one_text, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_bytes(next(one_text.iterdir()).read_bytes())
    for out in (inputs / "run", tmp_path):  # inside the input folder; holding it
        assert small_build(out, inputs, "--overwrite") == 2
        assert "input" in capsys.readouterr().err
    assert sorted(p.name for p in inputs.iterdir()) == ["a.txt"]


def test_remove_run_folder_needs_evidence(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert remove_run_folder(empty, None) is None and empty.is_dir()  # nothing to remove, nothing removed
    assert remove_run_folder(tmp_path / "absent", None) is None
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "data.csv").write_text("1,2\n")
    with pytest.raises(NotARunFolder):
        remove_run_folder(mine, None, "training run")
    link = tmp_path / "link"
    link.symlink_to(mine)
    with pytest.raises(NotARunFolder):
        remove_run_folder(link, "its manifest.json")
    assert (mine / "data.csv").is_file()
    train = tmp_path / "train"
    assert train_run_evidence(train) is None
    atomic_write_json(train / "manifest.json", {"stage": "train"})
    line = remove_run_folder(train, train_run_evidence(train), "training run")
    assert line.startswith(f"removed {train}: a kinyu training run (its manifest.json of a training run; 1 file,")
    assert not train.exists()


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield 0o027
    finally:
        os.umask(old)


def test_atomic_writes_respect_the_umask(tmp_path, umask_027):
    atomic_write_text(tmp_path / "a.txt", "x")
    TrainRun(tmp_path / "train").set_latest(TrainRun(tmp_path / "train").checkpoint(10))
    for path in (tmp_path / "a.txt", TrainRun(tmp_path / "train").latest_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path
    os.umask(0o002)
    atomic_write_text(tmp_path / "b.txt", "x")
    assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o664


def test_every_file_of_a_build_respects_the_umask(tmp_path, one_text, umask_027):
    # manifest, config, quarantine, stats, shard metadata (kinyu's atomic writes) and datatrove's own files
    out = tmp_path / "run"
    assert run_cli("--input", str(one_text), "--output", str(out), "--tasks", "1", "--cache.enabled", "false") == 0
    from kinyu.corpus.reporting.html import build_report

    build_report(out)
    modes = {str(p.relative_to(out)): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()}
    assert {"manifest.json", "config.yaml", "quarantine.jsonl", "stats/summary.json", "report.html"} <= set(modes)
    assert any(name.endswith(".ds.metadata") for name in modes)
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != 0o640}
    assert not wrong
