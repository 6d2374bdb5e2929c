"""One section says which benchmark data is scored (``TaskDataConfig``), shared by kinyu eval, the ablation
proxies, the CPT study and the demo; the study's training settings are a typed section. Old spellings load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import yaml

from kinyu.base.config import ConfigError, config_overrides, load_config, shipped_config, to_dict
from kinyu.evaluation.config import EvalConfig, TaskDataConfig

REPO = Path(__file__).resolve().parents[1]
SECTION_FIELDS = {"tasks", "data_dir", "chabsa_dir", "u4_dir", "u4_split", "limit", "task_limit"}


def _workflow_configs():
    from kinyu.workflows.ablation import ProxyConfig
    from kinyu.workflows.cpt_config import CptStudyConfig
    from kinyu.workflows.demo import DemoConfig

    return {EvalConfig: None, ProxyConfig: 20, CptStudyConfig: 100, DemoConfig: 20}


def test_the_four_workflows_share_the_one_section():
    import dataclasses

    from kinyu.base.config import field_default

    for cls, limit in _workflow_configs().items():
        hints = typing.get_type_hints(cls)
        assert hints["task_data"] is TaskDataConfig, cls
        # no copy of its fields beside it
        assert not SECTION_FIELDS & {f.name for f in dataclasses.fields(cls)}, cls
        # each workflow's own item limit, given in its factory; paths are Paths everywhere
        assert field_default(cls, "task_data").limit == limit, cls
    assert typing.get_type_hints(TaskDataConfig)["data_dir"] == Path | None


def test_old_and_new_spellings_give_the_same_config(tmp_path):
    from kinyu.cli.study import cpt_parser
    from kinyu.workflows.cpt_config import CptStudyConfig

    quick = yaml.safe_load(shipped_config("study/cpt_quick.yaml").read_text())
    variants = {
        # the study's limit: task_limit (the shipped YAMLs) or limit, YAML or flag
        "task_limit": {**quick, "task_limit": 7},
        "limit": {**{k: v for k, v in quick.items() if k != "task_limit"}, "limit": 7},
        # the train section: dotted keys (the shipped YAMLs) or nested
        "nested_train": {**quick, "task_limit": 7,
                         "train": {"run": {"cpu_threads": 1}, "logging": {"peak_flops_per_device": None, "data_order": True}}},
    }
    loaded = {}
    for name, data in variants.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data))
        loaded[name] = to_dict(load_config(CptStudyConfig, tmp_path / f"{name}.yaml"))
    assert loaded["task_limit"] == loaded["limit"] == loaded["nested_train"]
    assert loaded["limit"]["limit"] == 7 and loaded["limit"]["train"]["logging"]["data_order"] is True
    parser = cpt_parser("kinyu study cpt")
    for argv in (["--task-limit", "7"], ["--task_limit", "7"], ["--limit", "7"]):
        cfg = load_config(CptStudyConfig, shipped_config("study/cpt_quick.yaml"), config_overrides(parser.parse_args(argv)))
        assert to_dict(cfg) == loaded["limit"], argv
    # --train as a mapping (repeatable, merged) or one flag per field
    by_mapping = config_overrides(parser.parse_args(["--train", "{run.cpu_threads: 1, logging.peak_flops_per_device: null}",
                                                     "--train", "{logging.data_order: true}"]))
    by_field = config_overrides(parser.parse_args(["--train.logging.data_order", "true"]))
    assert (to_dict(load_config(CptStudyConfig, tmp_path / "limit.yaml", by_mapping))
            == to_dict(load_config(CptStudyConfig, tmp_path / "limit.yaml", by_field)) == loaded["limit"])
    # both spellings of one field in one file: refused, naming both
    (tmp_path / "both.yaml").write_text(yaml.safe_dump({**quick, "limit": 3}))
    with pytest.raises(ConfigError, match=r"(task_)?limit and (task_)?limit are one field"):
        load_config(CptStudyConfig, tmp_path / "both.yaml")
    # kinyu eval's keys, flags and result JSON keep their flat names
    cfg = load_config(EvalConfig, REPO / "configs" / "eval.yaml", {"data_dir": "fh", "u4-dir".replace("-", "_"): "u4", "limit": "5"})
    assert (cfg.task_data.data_dir, cfg.task_data.u4_dir, cfg.task_data.limit) == (Path("fh"), Path("u4"), 5)
    flat = to_dict(cfg)
    assert {"tasks", "data_dir", "chabsa_dir", "u4_dir", "u4_split", "limit"} <= set(flat) and "task_data" not in flat


def test_the_study_refuses_in_train_what_it_sets_itself(tmp_path):
    from kinyu.workflows.cpt_config import CptStudyConfig

    with pytest.raises(ConfigError, match=r"train\.optim\.lr: set by the study"):
        load_config(CptStudyConfig, shipped_config("study/cpt_quick.yaml"), {"train": "{optim.lr: 0.1}"})
    quick = yaml.safe_load(shipped_config("study/cpt_quick.yaml").read_text())
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({**quick, "train": {"run.cpu_threads": "many", "logging.tensorboard": True}}))
    with pytest.raises(ConfigError) as e:
        load_config(CptStudyConfig, tmp_path / "bad.yaml")
    assert "train.run.cpu_threads: expected an integer" in str(e.value) and "train.logging.tensorboard: set by the study" in str(e.value)


@pytest.mark.parametrize("name", ["study/cpt_cpu.yaml", "study/cpt_quick.yaml", "study/cpt_gpu_100m.yaml"])
def test_every_study_run_is_tiny_cpu_then_its_train_settings_then_the_study(name):
    """What train_config gave when ``train`` was a dict of dotted keys: tiny_cpu.yaml, the study's own settings,
    the dict on top (none of the shipped ones names a field the study sets)."""
    from kinyu.training.config import TrainConfig
    from kinyu.workflows.cpt_config import BASE, STUDY_SET_FIELDS, CptStudyConfig, Study
    from kinyu.workflows.cpt_study import train_config

    cfg = load_config(CptStudyConfig, shipped_config(name))
    given = yaml.safe_load(shipped_config(name).read_text())["train"]
    assert not set(given) & set(STUDY_SET_FIELDS)
    study = Study(cfg)
    for args in [(BASE, 0, cfg.base, "general"), ("cpt_replay25", 2, cfg.cpt, "fin_default", 0.25, Path("/base/hf"), 1000)]:
        run = train_config(cfg, study, *args)
        set_here = {key: value for key, value in _dotted(to_dict(run)).items() if key in STUDY_SET_FIELDS}
        assert set(set_here) == set(STUDY_SET_FIELDS)
        expected = load_config(TrainConfig, shipped_config("train/tiny_cpu.yaml"), {**set_here, **given})
        assert to_dict(run) == to_dict(expected)


def _dotted(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and k not in ("extra",):
            out.update(_dotted(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_the_ablate_flags_fill_the_proxys_task_data():
    from kinyu.cli.corpus import ablate_parser, proxy_config

    parser = ablate_parser("kinyu corpus ablate")
    old = proxy_config(parser.parse_args(["--vary", "a=1", "--proxy", "p.yaml", "--data-dir", "fh", "--chabsa-dir", "cj", "--limit", "5"]))
    new = proxy_config(parser.parse_args(["--vary", "a=1", "--proxy", "p.yaml", "--data_dir", "fh", "--chabsa_dir", "cj", "--limit", "5"]))
    assert old == new and old.task_data == TaskDataConfig(data_dir=Path("fh"), chabsa_dir=Path("cj"), limit=5)
    u4 = proxy_config(parser.parse_args(["--vary", "a=1", "--proxy", "p.yaml", "--tasks", "u4_tableqa_mc", "--u4-dir", "u4", "--u4-split", "test"]))
    assert u4.task_data == TaskDataConfig(tasks=["u4_tableqa_mc"], u4_dir=Path("u4"), u4_split="test", limit=20)
    assert proxy_config(parser.parse_args(["--vary", "a=1"])) is None


def test_the_ablation_warns_when_u4_tables_may_be_trained_on(tmp_path):
    from kinyu.corpus.config import CorpusConfig
    from kinyu.workflows.ablation import u4_unguarded

    u4_folder = tmp_path / "filings-u4"
    (u4_folder / "questions").mkdir(parents=True)
    (u4_folder / "reports-valid.tar.xz").write_bytes(b"")
    scored = TaskDataConfig(tasks=["u4_tableqa_mc"])
    own_inputs = load_config(CorpusConfig, None, {"input.paths": [str(tmp_path)]})
    assert "decontamination.benchmark_paths" in u4_unguarded(scored, own_inputs, None)
    assert u4_unguarded(scored, own_inputs, ["train/reports/S100AAAA"]) is None  # the filings-u4 default: train reports only
    assert u4_unguarded(TaskDataConfig(), own_inputs, None) is None  # no U4 task scored
    decontaminated = load_config(CorpusConfig, None, {"input.paths": [str(tmp_path)], "decontamination.enabled": True,
                                                      "decontamination.benchmark_paths": [str(u4_folder)]})
    assert u4_unguarded(scored, decontaminated, None) is None


@pytest.mark.real_data
def test_ablation_scores_u4_tableqa_mc_with_paired_intervals(tmp_path, monkeypatch, shared_data):
    """The U4 multiple-choice task from filings-u4's valid split, scored on every proxy of an ablation (the embedded
    sample as inputs, as the ablation test in test_workflows; the filings-u4 default's split is test_heldout's):
    each variant's task score with its spread over seeds and its difference to the baseline paired by seed."""
    import csv

    from kinyu.corpus.sample import sample_dir
    from kinyu.workflows.ablation import AblationConfig, ProxyConfig, run_ablation
    from kinyu.workflows.eval_sets import EvalSetsConfig

    monkeypatch.setenv("KINYU_CACHE_DIR", str(tmp_path / "cache"))
    proxy_yaml = yaml.safe_load((REPO / "configs" / "train" / "tiny_cpu.yaml").read_text())
    proxy_yaml["schedule"].update(max_steps=1)
    proxy_yaml["checkpoint"]["every_steps"] = 1
    proxy_yaml["logging"]["tensorboard"] = False
    (tmp_path / "proxy.yaml").write_text(yaml.safe_dump(proxy_yaml))
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"input": {"paths": [str(sample_dir())]}}))
    proxy = ProxyConfig(train_config=tmp_path / "proxy.yaml", seeds=2, eval_sets=EvalSetsConfig(general_max_docs=3), ngram_order=0,
                        task_data=TaskDataConfig(tasks=["u4_tableqa_mc"], u4_dir=shared_data("filings-u4"), limit=3))
    out = run_ablation(AblationConfig(vary=["quality.script.min_hiragana_ratio=0.05,0.3"], out=tmp_path / "ablation",
                                      base_config=tmp_path / "base.yaml", workers=1, proxy=proxy))
    result = json.loads((out / "ablation.json").read_text())
    assert set(result["chance"]) == {"u4_tableqa_mc"} and 0 < result["chance"]["u4_tableqa_mc"] < 100
    rows = {r["variant"]: r for r in result["rows"]}
    baseline, other = rows["min_hiragana_ratio=0.05"], rows["min_hiragana_ratio=0.3"]
    for row in rows.values():
        task = row["tasks"]["u4_tableqa_mc"]
        assert len(task["values"]) == 2 and task["ci95"][0] <= task["mean"] <= task["ci95"][1]
    paired = [b - a for a, b in zip(baseline["tasks"]["u4_tableqa_mc"]["values"], other["tasks"]["u4_tableqa_mc"]["values"])]
    diff = other["tasks"]["u4_tableqa_mc"]["vs_baseline"]
    assert diff["mean"] == pytest.approx(sum(paired) / 2, abs=1e-4) and diff["ci95"][0] <= diff["mean"] <= diff["ci95"][1]
    assert all(s["tasks_n"]["u4_tableqa_mc"] == 3 for seeds in result["per_seed"].values() for s in seeds)
    csv_row = next(r for r in csv.DictReader((out / "ablation.csv").open(encoding="utf-8")) if r["variant"] == "min_hiragana_ratio=0.3")
    assert float(csv_row["task_u4_tableqa_mc_diff"]) == pytest.approx(diff["mean"], abs=1e-4)
    assert csv_row["task_u4_tableqa_mc_diff_verdict"] == diff["verdict"]
    md = (out / "ablation.md").read_text()
    assert "| chance | " in md and "per task" in md and "| min_hiragana_ratio=0.3 | " in md
    assert "task_u4" not in md.split("## Proxies")[0]  # the corpora table keeps to the corpora


def test_a_partial_section_in_yaml_keeps_the_parents_defaults_for_the_rest(tmp_path):
    """``cpt: {tokens: ...}`` in a user's study YAML changes the tokens only: the study's own CPT learning
    rate stays (it was PhaseConfig's class default, 3e-3, before), and --help shows the study's defaults."""
    from kinyu.base.config import load_config
    from kinyu.workflows.cpt_config import CptStudyConfig

    study = CptStudyConfig()
    path = tmp_path / "study.yaml"
    path.write_text("cpt: {tokens: 123456}\n", encoding="utf-8")
    cfg = load_config(CptStudyConfig, path)
    assert cfg.cpt.tokens == 123456 and cfg.cpt.lr == study.cpt.lr and cfg.cpt.lr != type(study.cpt)().lr
    assert cfg.base == study.base
    out = subprocess.run([sys.executable, "-m", "kinyu.cli", "study", "cpt", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "300"}, check=True).stdout
    assert f"(default: {study.cpt.tokens!r})" in " ".join(out[out.index("  --cpt.tokens"):].split()[:40])
