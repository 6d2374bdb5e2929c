"""``kinyu train plan``: model-state figures are DeepSpeed's, a plan that cannot fit says so and exits 1."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from kinyu.cli import main as kinyu
from kinyu.base.config import load_config
from kinyu.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
NEKOMATA = REPO / "configs" / "train" / "nekomata14b_zero3.yaml"
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"
NEKOMATA_ARCH = REPO / "configs" / "train" / "models" / "nekomata-14b.json"


def _printed_gpu_gib(estimator, *args) -> list[float]:
    """The per-GPU GB column DeepSpeed's ``*_all_cold`` / ``*_all_live`` estimators print, row by row."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        estimator(*args)
    return [float(m.group(1)) for m in re.finditer(r"\|\s*([0-9.]+)GB \|", out.getvalue())]


@pytest.fixture(scope="module")
def nekomata():
    from kinyu.training.plan import model_shape

    cfg = load_config(TrainConfig, NEKOMATA, {"model.architecture": str(NEKOMATA_ARCH)})
    return cfg, model_shape(cfg)


def test_nekomata_architecture_has_qwen14b_parameter_count(nekomata):
    _, shape = nekomata
    # Qwen-14B: 14.2B parameters; the untied 152064 x 5120 embedding and head are the largest layers
    assert 14.1e9 < shape.total_params < 14.3e9
    assert shape.largest_layer_params == 152064 * 5120
    assert shape.config.model_type == "qwen2"


@pytest.mark.parametrize("nodes,gpus", [(1, 8), (2, 8)])
def test_model_states_equal_deepspeed_estimators(nekomata, nodes, gpus):
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs_all_cold
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs_all_cold

    from kinyu.training.plan import GiB, Cluster, model_states_bytes

    _, shape = nekomata
    cluster = Cluster(nodes=nodes, gpus_per_node=gpus)
    # zero2 rows: offload_optimizer=cpu, none
    z2 = _printed_gpu_gib(estimate_zero2_model_states_mem_needs_all_cold, shape.total_params, gpus, nodes)
    assert round(model_states_bytes(shape, 2, True, cluster)[0] / GiB, 2) == z2[0]
    assert round(model_states_bytes(shape, 2, False, cluster)[0] / GiB, 2) == z2[1]
    # zero3 rows: (offload_param, offload_optimizer, zero_init) = (cpu,cpu,1) (cpu,cpu,0) (none,cpu,1) (none,cpu,0)
    # (none,none,1) (none,none,0); kinyu loads inside zero.Init and never offloads parameters
    z3 = _printed_gpu_gib(estimate_zero3_model_states_mem_needs_all_cold, shape.total_params,
                          shape.largest_layer_params, gpus, nodes)
    assert round(model_states_bytes(shape, 3, True, cluster)[0] / GiB, 2) == z3[2]
    assert round(model_states_bytes(shape, 3, False, cluster)[0] / GiB, 2) == z3[4]


def test_meta_device_counts_equal_deepspeeds_count_of_a_live_model(tmp_path):
    """Counting on the meta device gives DeepSpeed's own count of a real model (total and largest layer)."""
    import torch
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs_all_live, model_to_params
    from transformers import AutoConfig, AutoModelForCausalLM

    from kinyu.training.plan import GiB, Cluster, model_shape, model_states_bytes

    arch = tmp_path / "arch.json"
    arch.write_text(json.dumps({"model_type": "qwen2", "hidden_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
                                "num_key_value_heads": 2, "intermediate_size": 160, "vocab_size": 999}))
    cfg = load_config(TrainConfig, TINY, {"model.architecture": str(arch)})
    shape = model_shape(cfg)
    fields = {k: v for k, v in json.loads(arch.read_text()).items() if k != "model_type"}
    torch.manual_seed(0)
    live = AutoModelForCausalLM.from_config(AutoConfig.for_model("qwen2", **fields))
    assert (shape.total_params, shape.largest_layer_params) == model_to_params(live)
    z3 = _printed_gpu_gib(estimate_zero3_model_states_mem_needs_all_live, live, 4, 1)
    assert round(model_states_bytes(shape, 3, False, Cluster(1, 4))[0] / GiB, 2) == z3[4]


def test_activations_follow_korthikanti_and_checkpointing_cuts_them():
    from transformers import LlamaConfig

    from kinyu.training.plan import activation_bytes

    c = LlamaConfig(hidden_size=64, num_hidden_layers=3, num_attention_heads=4, intermediate_size=160, vocab_size=100)
    s, b, h, a, inter, layers, v = 32, 2, 64, 4, 160, 3, 100
    layer = 11 * s * b * h + 2 * s * b * h + 6 * s * b * inter + 4 * s * b * h  # SwiGLU: gated MLP
    logits = 10 * s * b * v
    assert activation_bytes(c, s, b, checkpointing=False, eager_attention=False) == layers * layer + logits
    assert activation_bytes(c, s, b, checkpointing=False, eager_attention=True) == layers * (layer + 5 * a * s * s * b) + logits
    assert activation_bytes(c, s, b, checkpointing=True, eager_attention=False) == layers * 2 * s * b * h + layer + logits


def test_paper_setting_fits_on_8_a100_and_prints_time(capsys):
    rc = kinyu(["train", "plan", "--config", str(NEKOMATA), "--tokens", "370M", "--gpu-mem", "80GB", "--nodes", "1",
               "--gpus-per-node", "8"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "FITS" in out and "DOES NOT FIT" not in out
    assert "370,000,000 per epoch" in out and "5 epoch(s)" in out
    steps = int(re.search(r"steps\s+([0-9,]+) x 64 windows", out).group(1).replace(",", ""))
    assert steps == -(-5 * ((370_000_000 - 1) // 2048) // 64)  # ceil(5 epochs of windows / global batch 64)
    assert re.search(r"time\s+[0-9.,]+ h", out)


def test_plan_that_cannot_fit_says_so_and_exits_nonzero(capsys):
    rc = kinyu(["train", "plan", "--config", str(NEKOMATA), "--tokens", "370M", "--gpu-mem", "80GB", "--gpus-per-node", "8",
               "--deepspeed.zero_stage", "0", "--model.activation_checkpointing", "false"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "DOES NOT FIT" in out
    # 14B at ZeRO-0 needs ~20 bytes per parameter on every GPU; the cheapest fix is to partition the
    # optimiser states over the 8 GPUs (ZeRO-2), not the costlier ZeRO-3 or offload
    assert "the cheapest settings that fit" in out
    assert re.search(r"^  --deepspeed.zero_stage 2  ->  [0-9.]+ GiB per GPU$", out, re.M), out


def test_plan_suggests_changes_that_really_fit():
    from kinyu.training.plan import Cluster, make_plan

    cfg = load_config(TrainConfig, NEKOMATA, {"deepspeed.zero_stage": 2, "model.activation_checkpointing": False,
                                              "schedule.micro_batch_size": 4})
    plan = make_plan(cfg, Cluster(1, 8), tokens=10**8)
    assert not plan.fits and plan.suggestions
    flags = plan.suggestions[0].split("  ->  ")[0].split()
    fixed = load_config(TrainConfig, NEKOMATA, {"deepspeed.zero_stage": 2, "model.activation_checkpointing": False,
                                                "schedule.micro_batch_size": 4,
                                                **{flags[i][2:]: flags[i + 1] for i in range(0, len(flags), 2)}})
    assert make_plan(fixed, Cluster(1, 8), tokens=10**8).fits


def test_plan_counts_tokens_in_the_corpus_shards(tmp_path, capsys):
    from _corpus_fixture import build_corpus_run, financial_texts
    from kinyu.corpus.shards import list_shards
    run = build_corpus_run(tmp_path / "corpus", financial_texts(60), vocab_size=300)
    tokens = sum(len(s) for s in list_shards(run / "tokens" / "train"))
    rc = kinyu(["train", "plan", "--config", str(TINY), "--data.corpus_runs", str(run), "--gpu-mem", "16GB",
               "--gpus-per-node", "1", "--schedule.max_steps", "7"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"{tokens:,} per epoch (tokens/train shards" in out
    assert "steps        7 x 8 windows" in out


def test_plan_without_architecture_or_tokens_fails_clearly(tmp_path, capsys):
    rc = kinyu(["train", "plan", "--config", str(NEKOMATA), "--tokens", "370M", "--model.architecture", "qwen2"])
    assert rc == 2 and "holds no config.json yet" in capsys.readouterr().err
    rc = kinyu(["train", "plan", "--config", str(NEKOMATA), "--data.corpus_runs", str(tmp_path / "nowhere")])
    assert rc == 2 and "--tokens" in capsys.readouterr().err


def test_train_refuses_a_config_that_cannot_fit_the_gpus_before_any_work(tmp_path, monkeypatch):
    """On CUDA, `kinyu train` runs the plan's fit check first (GPU faked here: nothing reaches a device)."""
    from types import SimpleNamespace

    import torch

    from _corpus_fixture import build_corpus_run, financial_texts
    from kinyu.training.config import TrainInputError
    from kinyu.training.train import check_inputs

    run = build_corpus_run(tmp_path / "corpus", financial_texts(60), vocab_size=300)
    cfg = load_config(TrainConfig, TINY, {"data.corpus_runs": [str(run)], "model.architecture": str(NEKOMATA_ARCH),
                                          "run.out_dir": str(tmp_path / "out"), "logging.eval_every_steps": 0,
                                          "deepspeed.precision": "bf16", "deepspeed.zero_stage": 2})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 8)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "NVIDIA A100-SXM4-80GB")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i=0: SimpleNamespace(total_memory=80 * 2**30))
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    # a 14B model at ZeRO-2 on one 80 GB GPU: ~20 bytes per parameter, unless the optimiser goes to the CPU
    with pytest.raises(TrainInputError, match=r"needs about .* GiB per GPU .* It would fit with: .*offload_optimizer true"):
        check_inputs(cfg)
    assert not (tmp_path / "out").exists()
    cfg.deepspeed.check_fit = False
    check_inputs(cfg)  # the user's call: no refusal


def _apply(line: str, base: dict, cluster):
    """A suggestion line as a config and a cluster: ``--a.b v ... [--nodes N (M GPUs)]  ->  ...``."""
    from kinyu.training.plan import Cluster

    flags = line.split("  ->  ")[0]
    nodes = re.search(r"--nodes (\d+) \(\d+ GPUs\)", flags)
    flags = re.sub(r"--nodes \d+ \(\d+ GPUs\)", "", flags).split()
    changes = {flags[i][2:]: flags[i + 1] for i in range(0, len(flags), 2)}
    on = Cluster(int(nodes.group(1)) if nodes else cluster.nodes, cluster.gpus_per_node, cluster.gpu_mem)
    return load_config(TrainConfig, NEKOMATA, {**base, **changes}), on


def test_plan_search_tries_other_zero_stages_offload_and_nodes(capsys):
    # the case: ZeRO-2 on one 24 GB GPU; ZeRO-3 on more GPUs fits, so the search must find it
    from kinyu.training.plan import Cluster, GiB, make_plan

    base = {"deepspeed.zero_stage": 2}
    cluster = Cluster(1, 1, 24 * GiB)
    plan = make_plan(load_config(TrainConfig, NEKOMATA, base), cluster, tokens=10**8)
    assert not plan.fits and plan.suggestions
    # nothing fits one GPU, not even every memory saving at once: the cheapest setting needs more GPUs
    everything = load_config(TrainConfig, NEKOMATA, {"deepspeed.zero_stage": 3, "deepspeed.offload_optimizer": True,
                                                     "model.activation_checkpointing": True, "schedule.micro_batch_size": 1})
    assert not make_plan(everything, cluster, tokens=10**8).fits
    assert "--deepspeed.zero_stage 3" in plan.suggestions[0] and "--nodes 2 (2 GPUs)" in plan.suggestions[0]
    assert any("offload_optimizer" not in s for s in plan.suggestions)  # and the cheapest without CPU offload
    for line in plan.suggestions:
        cfg, on = _apply(line, base, cluster)
        fixed = make_plan(cfg, on, tokens=10**8)
        assert fixed.fits, line
        assert f"{fixed.total / GiB:.1f} GiB per GPU" in line
    rc = kinyu(["train", "plan", "--config", str(NEKOMATA), "--tokens", "370M", "--gpu-mem", "24GB", "--nodes", "1",
                "--gpus-per-node", "1", "--deepspeed.zero_stage", "2"])
    out = capsys.readouterr().out
    assert rc == 1 and "nothing tried" not in out and plan.suggestions[0] in out
