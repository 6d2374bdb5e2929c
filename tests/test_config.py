"""Typed YAML configs: strict loading, overrides, CLI flags, and the shipped configs."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
import yaml

from kinyu.base.config import ConfigError, add_config_arguments, commented_yaml, config_overrides, load_config

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Inner:
    lr: float = field(default=1e-3, metadata={"help": "peak 5% of the time"})
    kind: Literal["a", "b"] = "a"
    extra: dict = field(default_factory=dict)


@dataclass
class Outer:
    name: str = "x"
    steps: int | None = None
    paths: list[str] = field(default_factory=list)
    inner: Inner = field(default_factory=Inner)


def test_unknown_field_names_the_section_and_the_known_fields(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("inner:\n  lrr: 0.1\n")
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['lrr'\] in section 'inner'.*'lr'"):
        load_config(Outer, p)


@pytest.mark.parametrize("yaml_text,msg", [("steps: ten\n", "steps: expected an integer"), ("inner:\n  kind: c\n", "not one of")])
def test_wrong_types_fail_with_the_field(tmp_path, yaml_text, msg):
    p = tmp_path / "c.yaml"
    p.write_text(yaml_text)
    with pytest.raises(ConfigError, match=msg):
        load_config(Outer, p)


def test_cli_flags_override_yaml_and_coerce(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: from-yaml\ninner:\n  lr: 0.5\n")
    parser = argparse.ArgumentParser()
    add_config_arguments(parser, Outer)
    args = parser.parse_args(["--inner.lr", "2e-4", "--paths", "a,b", "--steps", "none", "--inner.extra", '{"k": 1}'])
    cfg = load_config(Outer, p, config_overrides(args))
    assert (cfg.name, cfg.inner.lr, cfg.paths, cfg.steps, cfg.inner.extra) == ("from-yaml", 2e-4, ["a", "b"], None, {"k": 1})
    assert "5%" in parser.format_help()


def test_commented_yaml_round_trips():
    cfg = Outer(paths=["p"], inner=Inner(lr=0.25))
    assert load_config(Outer, None, None) == Outer()
    data = yaml.safe_load(commented_yaml(cfg))
    assert data["inner"]["lr"] == 0.25 and data["paths"] == ["p"]


def test_shipped_corpus_config_is_the_default_pipeline():
    from kinyu.corpus.config import CorpusConfig

    cfg = load_config(CorpusConfig, REPO / "configs" / "corpus.yaml")
    assert cfg == CorpusConfig()
    # and it is, comment for comment, what `kinyu corpus build --print-config` writes: the field help in
    # the code and the readable copy cannot drift apart
    from kinyu.base.config import commented_yaml
    from kinyu.cli.corpus import CONFIG_HEADER

    assert (REPO / "configs" / "corpus.yaml").read_text(encoding="utf-8") == CONFIG_HEADER + commented_yaml(CorpusConfig()) + "\n"


@pytest.mark.parametrize("name", ["study/cpt_quick.yaml", "study/cpt_cpu.yaml", "study/cpt_gpu_100m.yaml"])
def test_shipped_study_configs_load(name):
    from kinyu.workflows.cpt_config import CptStudyConfig

    cfg = load_config(CptStudyConfig, REPO / "configs" / name)
    assert cfg.seeds >= 3 and cfg.replay_ratios[0] == 0.0


@pytest.mark.parametrize("name", ["tiny_cpu.yaml", "nekomata14b_zero3.yaml"])
def test_shipped_train_configs_load(name):
    from kinyu.training.config import TrainConfig

    cfg = load_config(TrainConfig, REPO / "configs" / "train" / name)
    assert cfg.data.seq_len > 0


def test_shipped_eval_config_loads():
    from kinyu.evaluation.config import EvalConfig

    cfg = load_config(EvalConfig, REPO / "configs" / "eval.yaml")
    assert cfg.task_data.tasks == ["chabsa", "cma_basics", "cpa_audit", "fp2", "security_sales_1"]


def test_shipped_crawl_config_is_the_default_pipeline_plus_selection(tmp_path):
    from kinyu.base.config import ConfigError
    from kinyu.corpus.config import CorpusConfig

    model = tmp_path / "finance.bin"
    model.write_bytes(b"")
    cfg = load_config(CorpusConfig, "configs/crawl.yaml", {"select.classifier.model_path": str(model)})
    assert cfg.select.language.enabled and cfg.select.classifier.enabled and cfg.select.classifier.min_prob == 0.5
    default = CorpusConfig()
    assert (cfg.quality, cfg.dedup, cfg.extract, cfg.input) == (default.quality, default.dedup, default.extract, default.input)
    with pytest.raises(ConfigError, match="select.classifier.model_path"):
        load_config(CorpusConfig, "configs/crawl.yaml")  # the model must be named


@dataclass
class Ranged:
    share: float = 0.5
    count: int = 1

    def problems(self) -> list[str]:
        out = []
        if not 0 <= self.share <= 1:
            out.append(f"share must be in [0, 1], got {self.share}")
        if self.count < 1:
            out.append(f"count must be >= 1, got {self.count}")
        return out


@dataclass
class Sections:
    a: Ranged = field(default_factory=Ranged)
    b: Ranged = field(default_factory=Ranged)
    steps: int = 1


def test_every_problem_of_file_and_flags_is_listed_at_once(tmp_path):
    # a type error does not hide the range checks: the mistyped field keeps its default, the rest is checked
    p = tmp_path / "c.yaml"
    p.write_text("a:\n  share: 5\n  count: 0\nb:\n  count: many\nsteps: ten\n")
    with pytest.raises(ConfigError) as e:
        load_config(Sections, p, {"b.share": "-1", "a.nope": "1"})
    problems = e.value.problems
    assert len(problems) == 6, problems
    joined = "\n".join(problems)
    for part in ("a.share must be in [0, 1], got 5", "a.count must be >= 1, got 0", "b.count: expected an integer",
                 "steps: expected an integer", "b.share must be in [0, 1], got -1", "unknown config field 'a.nope'"):
        assert part in joined
    assert str(p) in problems[0]  # the file's problems name the file
