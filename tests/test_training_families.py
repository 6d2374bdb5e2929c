"""The model families users bring, from a local Hugging Face folder: train, resume, export, evaluate.

Tiny Llama, Qwen2, Mistral, GPT-NeoX (rinna's Japanese models) and Gemma models are built
locally with one shared tokenizer; the corpus is the embedded sample built by ``kinyu corpus
build`` with ``tokenize.tokenizer`` = a model folder, so its shards are made with the model's
own tokenizer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from _corpus_fixture import financial_texts, general_texts
from kinyu.corpus.tokenize import train_tokenizer
from kinyu.cli import main as kinyu
from kinyu.base.config import load_config
from testkit.models import FAMILIES, assert_export_matches_engine, build_tiny_model
from kinyu.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """(tokenizer.json shared by every tiny model, a model folder, the CORPUS_RUN built with its tokenizer)."""
    root = tmp_path_factory.mktemp("families")
    tokenizer = train_tokenizer(financial_texts(200), root / "tokenizer" / "tokenizer.json", vocab_size=512)
    model_dir = build_tiny_model(root / "llama", [], tokenizer_file=tokenizer, hidden_size=64,
                                 max_position_embeddings=128)
    corpus = root / "corpus"
    assert kinyu(["corpus", "build", "--output", str(corpus), "--tasks", "2", "--cache.dir", str(root / "cache"),
                  "--tokenize.tokenizer", str(model_dir)]) == 0
    return tokenizer, model_dir, corpus


def family_config(model_dir: Path, corpus: Path, out: Path, **more) -> TrainConfig:
    return load_config(TrainConfig, TINY, {
        "model.path": str(model_dir), "data.corpus_runs": [str(corpus)], "data.seq_len": 64,
        "data.val_max_windows": 8, "run.out_dir": str(out), "schedule.micro_batch_size": 2,
        "schedule.grad_accum_steps": 1, "schedule.max_steps": 4, "schedule.warmup_steps": 1, "optim.lr": 1e-3,
        "optim.min_lr": 1e-4, "checkpoint.every_steps": 2, "checkpoint.keep_last": 0,
        "logging.eval_every_steps": 4, "logging.tensorboard": False, **more})


def read_metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_corpus_shards_are_made_with_the_model_tokenizer(sample, tmp_path):
    """``tokenize.tokenizer`` = a model folder: the corpus run's tokenizer is the model's, and training accepts it."""
    from tokenizers import Tokenizer

    from kinyu.corpus.shards import list_shards
    from kinyu.training.train import check_inputs

    _, model_dir, corpus = sample
    assert (corpus / "tokenizer" / "tokenizer.json").read_bytes() == (model_dir / "tokenizer.json").read_bytes()
    model_tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    shard = list_shards(corpus / "tokens" / "train")[0]
    text = model_tok.decode(shard.document(0).tolist())
    assert model_tok.encode(text).ids == shard.document(0).tolist()[:-1]  # EOS appended by the shard writer
    inputs = check_inputs(family_config(model_dir, corpus, tmp_path / "run"))
    assert inputs.tokenizer_src == model_dir and inputs.vocab_size == model_tok.get_vocab_size()


def test_a_model_whose_tokenizer_differs_from_the_shards_is_refused(sample, tmp_path, capsys):
    """Same vocabulary size, other token ids: refused before any work, nothing written."""
    _, _, corpus = sample
    other_tok = train_tokenizer(general_texts(200), tmp_path / "other" / "tokenizer.json", vocab_size=512)
    other = build_tiny_model(tmp_path / "other_model", [], tokenizer_file=other_tok, hidden_size=64,
                             max_position_embeddings=128)
    out = tmp_path / "run"
    assert kinyu(["train", "--config", str(TINY), "--model.path", str(other), "--data.corpus_runs", str(corpus),
                  "--data.seq_len", "64", "--run.out_dir", str(out)]) == 2
    assert "tokenizer mismatch" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("family", FAMILIES)
def test_family_trains_resumes_exports_and_evaluates(family, sample, tmp_path):
    from kinyu.base.layout import TrainRun
    from kinyu.training.train import run_training

    tokenizer, _, corpus = sample
    model_dir = build_tiny_model(tmp_path / "model", [], tokenizer_file=tokenizer, hidden_size=64,
                                 max_position_embeddings=128, family=family, seed=1)
    assert json.loads((model_dir / "config.json").read_text())["model_type"] == family

    run = run_training(family_config(model_dir, corpus, tmp_path / "run"))
    ref = read_metrics(run)
    assert [r["step"] for r in ref] == [1, 2, 3, 4] and ref[-1]["loss"] < ref[0]["loss"]
    assert "val_loss" in ref[-1]

    # what a crash right after checkpoint 2 leaves behind; the resumed run must retrace the same steps
    crashed = tmp_path / "crashed"
    shutil.copytree(run, crashed)
    shutil.rmtree(TrainRun(crashed).checkpoint(4).path)
    TrainRun(crashed).set_latest(TrainRun(crashed).checkpoint(2))
    assert kinyu(["train", "--resume", str(crashed)]) == 0
    got = read_metrics(crashed)
    for key in ("step", "loss", "lr", "grad_norm", "val_loss"):
        assert [r.get(key) for r in got] == [r.get(key) for r in ref], key

    # hf/ export: loads with AutoModelForCausalLM and gives the DeepSpeed checkpoint's logits
    assert assert_export_matches_engine(run, total_steps=4).config.model_type == family

    # kinyu eval: bits per character of the export on the corpus run's validation shards (issue 20: through latest)
    out = tmp_path / "eval.json"
    assert kinyu(["eval", "--model", str(TrainRun(run).latest_file / "hf"), "--bpc-corpora", f"sample={corpus}", "--out", str(out)]) == 0
    bpc = json.loads(out.read_text())["bpc"]["sample"]
    assert bpc["documents"] > 0 and 0 < bpc["bits_per_character"] < 20


def test_model_folder_without_weights_is_refused(sample, tmp_path, capsys):
    _, model_dir, corpus = sample
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(model_dir / name, bare / name)
    out = tmp_path / "run"
    assert kinyu(["train", "--config", str(TINY), "--model.path", str(bare), "--data.corpus_runs", str(corpus),
                  "--data.seq_len", "64", "--run.out_dir", str(out)]) == 2
    assert "no weights" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("model_type,expect", [("t5", "is not a causal language model"),
                                                ("no_such_model", "does not load as a transformers config")])
def test_unsupported_architecture_is_refused(sample, tmp_path, capsys, model_type, expect):
    _, model_dir, corpus = sample
    odd = tmp_path / "odd"
    shutil.copytree(model_dir, odd)
    config = json.loads((odd / "config.json").read_text())
    (odd / "config.json").write_text(json.dumps({**config, "model_type": model_type}))
    out = tmp_path / "run"
    assert kinyu(["train", "--config", str(TINY), "--model.path", str(odd), "--data.corpus_runs", str(corpus),
                  "--data.seq_len", "64", "--run.out_dir", str(out)]) == 2
    assert expect in capsys.readouterr().err
    assert not out.exists()
    # a fresh model of an architecture that is no causal LM: refused the same way
    assert kinyu(["train", "--config", str(TINY), "--model.architecture", "t5", "--data.corpus_runs", str(corpus),
                  "--data.seq_len", "64", "--run.out_dir", str(out)]) == 2
    assert "is not a causal language model" in capsys.readouterr().err
