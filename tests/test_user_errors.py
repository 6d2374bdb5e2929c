"""Every command, given a bad input of each kind a user makes, answers with one error line and exit 2,
never a traceback: the one ``UserError`` base (``kinyu.base.errors``) caught once where the CLI
dispatches (``kinyu.cli.common.Group.main``), so that no command can miss an error class.

The kinds: a missing path, a config value out of range, an unknown YAML key, a flag value of the
wrong type, and a folder that is not the run folder the command needs. Every case fails before any
work (no build, no training), so the whole walk takes seconds.
"""

from __future__ import annotations

import importlib

import pytest

from kinyu.cli import GROUPS, main

KINDS = ("missing path", "bad config value", "bad YAML key", "bad flag value", "wrong run folder")
TINY = "configs/train/tiny_cpu.yaml"
VARY = "quality.script.min_hiragana_ratio=0.05,0.15"

# (group, command) -> {kind: argv after `kinyu GROUP [COMMAND]`}; {missing}, {yaml}, {stray}, {out}
# are filled in below. A command without a config has no YAML or config-value case.
CASES: dict[tuple[str, str], dict[str, list[str]]] = {
    ("corpus", "build"): {
        "missing path": ["--input", "{missing}", "--output", "{out}"],
        "bad config value": ["--tasks", "0", "--output", "{out}"],
        "bad YAML key": ["--config", "{yaml}", "--output", "{out}"],
        "bad flag value": ["--quality.script.min_hiragana_ratio", "abc", "--output", "{out}"],
        # --overwrite never deletes a folder kinyu did not write
        "wrong run folder": ["--output", "{stray}", "--overwrite"],
    },
    ("corpus", "train-tokenizer"): {
        "missing path": ["{missing}"],
        "bad flag value": ["{stray}", "--vocab-size", "abc"],
        "wrong run folder": ["{stray}"],
    },
    ("corpus", "train-classifier"): {
        "missing path": ["--positive", "{missing}", "--negative", "{missing}", "--out", "{out}/m.bin"],
        "bad config value": ["--positive", "{stray}", "--negative", "{stray}", "--threshold", "2", "--out", "{out}/m.bin"],
        "bad YAML key": ["--config", "{yaml}", "--positive", "{stray}", "--negative", "{stray}"],
        "bad flag value": ["--positive", "{stray}", "--negative", "{stray}", "--epoch", "abc"],
        # neither a corpus run (docs/) nor jsonl or text files
        "wrong run folder": ["--positive", "{pictures}", "--negative", "{stray}", "--out", "{out}/m.bin"],
    },
    ("corpus", "stats"): {
        "missing path": ["{missing}"],
        "bad flag value": ["{stray}", "--samples", "abc"],
        "wrong run folder": ["{stray}"],
    },
    ("corpus", "report"): {
        "missing path": ["{missing}"],
        "bad flag value": ["{stray}", "--samples", "abc"],
        "wrong run folder": ["{stray}"],
    },
    ("corpus", "dedup-check"): {
        "missing path": ["{missing}"],
        "bad flag value": ["{stray}", "--threshold", "abc"],
        "wrong run folder": ["{stray}"],
    },
    ("corpus", "ablate"): {
        "missing path": ["--config", "{missing}", "--vary", VARY, "--out", "{out}"],
        "bad config value": ["--vary", "quality.script.min_hiragana_ratio=0.05,5", "--out", "{out}"],
        "bad YAML key": ["--config", "{yaml}", "--vary", VARY, "--out", "{out}"],
        "bad flag value": ["--vary", "quality.script.min_hiragana_ratio=abc,0.1", "--out", "{out}"],
        # the proxy is a training YAML, not a folder
        "wrong run folder": ["--vary", VARY, "--proxy", "{stray}", "--out", "{out}"],
    },
    ("train", ""): {
        "missing path": ["--config", TINY, "--data.corpus_runs", "{missing}", "--run.out_dir", "{out}"],
        "bad config value": ["--config", TINY, "--optim.lr", "-1", "--run.out_dir", "{out}"],
        "bad YAML key": ["--config", "{yaml}"],
        "bad flag value": ["--config", TINY, "--optim.lr", "abc", "--run.out_dir", "{out}"],
        "wrong run folder": ["--resume", "{stray}"],
    },
    ("train", "plan"): {
        "missing path": ["--config", "{missing}"],
        "bad config value": ["--config", TINY, "--deepspeed.zero_stage", "7"],
        "bad YAML key": ["--config", "{yaml}"],
        "bad flag value": ["--config", TINY, "--nodes", "abc"],
        "wrong run folder": ["--config", TINY, "--data.corpus_runs", "{stray}"],
    },
    ("eval", ""): {
        "missing path": ["--model", "{missing}"],
        "bad config value": ["--model", "{stray}", "--batch-size", "0"],
        "bad YAML key": ["--config", "{yaml}", "--model", "{stray}"],
        "bad flag value": ["--model", "{stray}", "--limit", "abc"],
        "wrong run folder": ["--model", "{stray}"],  # not a model export
    },
    ("eval", "sweep"): {
        "missing path": ["{missing}"],
        "bad config value": ["{stray}", "--batch-size", "0"],
        "bad YAML key": ["{stray}", "--config", "{yaml}"],
        "bad flag value": ["{stray}", "--limit", "abc"],
        "wrong run folder": ["{stray}"],  # not a training run
    },
    ("eval", "compare"): {
        "missing path": ["--models", "{missing}", "{missing}"],
        "bad config value": ["--models", "{stray}", "{stray}", "--tasks", "no_such_task"],
        "bad YAML key": ["--models", "{stray}", "{stray}", "--config", "{yaml}"],
        "bad flag value": ["--models", "{stray}", "{stray}", "--limit", "abc"],
        "wrong run folder": ["--models", "{stray}", "{stray}"],
    },
    ("study", "cpt"): {
        "missing path": ["--quick", "--finance-inputs", "{missing}", "--out", "{out}"],
        "bad config value": ["--quick", "--seeds", "0", "--out", "{out}"],
        "bad YAML key": ["--config", "{yaml}"],
        "bad flag value": ["--quick", "--seeds", "abc"],
        "wrong run folder": ["--quick", "--out", "{stray}"],  # a folder the study did not make
    },
    ("study", "calibrate"): {
        "missing path": ["--finance-inputs", "{missing}", "--out", "{out}"],
        "bad config value": ["--calibration-pairs", "0", "--out", "{out}"],
        "bad YAML key": ["--config", "{yaml}"],
        "bad flag value": ["--calibration-pairs", "abc"],
        "wrong run folder": ["--out", "{stray}"],  # a folder the study did not make
    },
    ("data", "unpack-filings"): {
        "missing path": ["--from", "{missing}", "--to", "{out}"],
        "bad flag value": ["--from", "{stray}", "--split", "nosuch", "--to", "{out}"],
        "wrong run folder": ["--from", "{stray}", "--to", "{out}"],  # no reports-<split>.tar.xz there
    },
    ("demo", ""): {
        "missing path": ["--data-dir", "{missing}", "--out", "{out}"],
        "bad config value": ["--steps", "0", "--out", "{out}"],
        "bad YAML key": ["--config", "{yaml}"],
        "bad flag value": ["--steps", "abc"],
        "wrong run folder": ["--out", "{stray_parent}"],  # its corpus/ holds files kinyu did not write
    },
}


def _commands() -> set[tuple[str, str]]:
    out = set()
    for group, (module, _) in GROUPS.items():
        out |= {(group, c.name) for c in importlib.import_module(module).GROUP.commands}
    return out


def test_the_walk_covers_every_command():
    assert set(CASES) == _commands(), "a command without bad-input cases (or a case for a command that is gone)"
    for command, cases in CASES.items():
        assert set(cases) <= set(KINDS), command
        assert {"missing path", "bad flag value", "wrong run folder"} <= set(cases), command


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("user-errors")
    stray = root / "stray"  # a folder of someone's files: no run of any kind
    stray.mkdir()
    (stray / "notes.txt").write_text("not written by kinyu\n", encoding="utf-8")
    (stray / "corpus").mkdir()
    (stray / "corpus" / "notes.txt").write_text("not written by kinyu either\n", encoding="utf-8")
    pictures = root / "pictures"
    pictures.mkdir()
    (pictures / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    yaml = root / "typo.yaml"
    yaml.write_text("no_such_field: 1\n", encoding="utf-8")
    return {"missing": str(root / "missing"), "yaml": str(yaml), "stray": str(stray / "corpus"),
            "stray_parent": str(stray), "pictures": str(pictures), "out": str(root / "out")}


@pytest.mark.parametrize("command, kind", [(c, k) for c, cases in CASES.items() for k in cases],
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else v.replace(" ", "-"))
def test_a_bad_input_is_one_error_line_and_exit_2(command, kind, places, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # nothing a case writes by mistake lands in the repository
    monkeypatch.setenv("COLUMNS", "100")
    group, name = command
    argv = [group, *([name] if name else []), *(a.format(**places) for a in CASES[command][kind])]
    try:
        code = main(argv)
    except SystemExit as e:  # argparse: a flag value it converts itself
        code = e.code
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    assert code == 2, f"kinyu {' '.join(argv)} -> {code}\n{err}"
    prog = f"kinyu {group} {name}".strip()
    lines = err.strip().splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith(f"{prog}: error: ")]
    assert len(errors) == 1, err
    # the error line ends the output; below it only the items of a list of problems
    assert all(line.startswith("  - ") for line in lines[errors[0] + 1:]), err


@pytest.mark.parametrize("command", sorted(CASES), ids=lambda c: " ".join(c).strip())
def test_help_prints_its_text_as_written(command, capsys, monkeypatch):
    """argparse formats a description only where it holds ``%(prog)``: elsewhere an escaped ``%%`` is
    printed as it is (the ablation's and the study's said "95 %% intervals")."""
    monkeypatch.setenv("COLUMNS", "100")
    group, name = command
    with pytest.raises(SystemExit) as e:
        main([group, *([name] if name else []), "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and out.startswith("usage: kinyu"), out[:200]
    assert "%%" not in out and "%(" not in out, [line for line in out.splitlines() if "%" in line]
