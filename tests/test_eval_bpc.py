"""Bits per character: exact on a model of known loss, equal to a hand computation, and the
same whether the text comes as strings or from a corpus run's validation token shards."""

from __future__ import annotations

import math

import pytest

FIN_TEXTS = [
    "当社グループの当連結会計年度の売上高は前年同期比12.5%増の3,456億円となりました。",
    "営業利益は原材料価格の上昇により減少しましたが、経常利益は為替差益の計上により増加しました。",
    "日本銀行は金融緩和を維持し、長期金利は0.5%前後で推移しました。株式市場は堅調でした。",
    "配当金につきましては、1株当たり年間40円とさせていただく予定です。",
] * 3
GENERAL_TEXTS = ["今日は天気が良いので、公園を散歩しました。桜の花がきれいに咲いていました。", "猫が窓辺で昼寝をしている。"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    import torch
    from transformers import AutoModelForCausalLM

    from kinyu.evaluation.harness import set_offline
    from testkit.models import build_tiny_model

    set_offline()
    root = tmp_path_factory.mktemp("bpc")
    random_dir = build_tiny_model(root / "random", FIN_TEXTS + GENERAL_TEXTS, seed=3, vocab_size=300, max_position_embeddings=32)
    uniform_dir = build_tiny_model(root / "uniform", FIN_TEXTS + GENERAL_TEXTS, seed=3, vocab_size=300, max_position_embeddings=32)
    # zero output layer: every next-token distribution is uniform, a loss of exactly ln(V) per token
    model = AutoModelForCausalLM.from_pretrained(str(uniform_dir))
    with torch.no_grad():
        model.lm_head.weight.zero_()
    model.save_pretrained(str(uniform_dir))
    return {"random": random_dir, "uniform": uniform_dir, "root": root}


def test_uniform_model_has_known_bits_per_character(models):
    from transformers import AutoConfig, AutoTokenizer

    from kinyu.evaluation.bpc import bits_per_character

    tok = AutoTokenizer.from_pretrained(str(models["uniform"]))
    vocab = AutoConfig.from_pretrained(str(models["uniform"])).vocab_size
    text = "".join(FIN_TEXTS)  # longer than the 32-token context: several rolling windows
    n_tokens = len(tok(text, add_special_tokens=False).input_ids)
    assert n_tokens > 64
    r = bits_per_character(models["uniform"], texts=[text])
    assert r["tokens"] == n_tokens and r["characters"] == len(text)
    assert r["bits_per_character"] == pytest.approx(n_tokens * math.log2(vocab) / len(text), rel=1e-6)


def test_random_model_matches_hand_computed_nll(models):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from kinyu.evaluation.bpc import bits_per_character

    text = GENERAL_TEXTS[1]
    tok = AutoTokenizer.from_pretrained(str(models["random"]))
    model = AutoModelForCausalLM.from_pretrained(str(models["random"])).eval()
    ids = [tok.bos_token_id] + tok(text, add_special_tokens=False).input_ids
    assert len(ids) <= 32  # one window
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0, :-1].float()
    nll = torch.nn.functional.cross_entropy(logits, torch.tensor(ids[1:]), reduction="sum").item()
    r = bits_per_character(models["random"], texts=[text])
    assert r["nll_nats"] == pytest.approx(nll, rel=1e-5)
    assert r["bits_per_character"] == pytest.approx(nll / math.log(2) / len(text), rel=1e-5)


def test_corpus_run_validation_shards_decode_to_the_same_texts(models):
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.tokens import DocumentTokenizer

    from kinyu.corpus.tokenize import train_tokenizer
    from kinyu.evaluation.bpc import bits_per_character, corpus_validation_texts, read_texts, text_sources

    run = models["root"] / "corpus_run"
    # the corpus tokenizer differs from the model's: text is re-tokenized by the evaluated model
    tokfile = train_tokenizer(FIN_TEXTS * 2, run / "tokenizer" / "tokenizer.json", vocab_size=280)
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(FIN_TEXTS[:4])]
    LocalPipelineExecutor(
        [docs, DocumentTokenizer(str(run / "tokens" / "validation"), str(tokfile), eos_token="<|endoftext|>", seed=0)],
        logging_dir=str(models["root"] / "logs"), tasks=1,
    ).run()
    texts = corpus_validation_texts(run)
    assert sorted(texts) == sorted(FIN_TEXTS[:4])
    assert text_sources([f"val={run}"]) == {"val": ("corpus", f"{run}")}
    assert sorted(read_texts(*text_sources([f"val={run}"])["val"])) == sorted(texts)
    from_shards = bits_per_character(models["random"], corpus_run=run)
    from_strings = bits_per_character(models["random"], texts=FIN_TEXTS[:4])
    assert from_shards["bits_per_character"] == pytest.approx(from_strings["bits_per_character"], rel=1e-6)
    assert from_shards["documents"] == 4


def test_text_folder_and_errors(models, tmp_path):
    from kinyu.evaluation.bpc import bits_per_character, folder_texts, read_texts, text_sources
    from kinyu.evaluation.harness import EvalError

    (tmp_path / "general").mkdir()
    for i, t in enumerate(GENERAL_TEXTS):
        (tmp_path / "general" / f"{i}.txt").write_text(t, encoding="utf-8")
    assert folder_texts(tmp_path / "general") == GENERAL_TEXTS
    sources = text_sources(None, [str(tmp_path / "general")])  # unnamed: the folder's name
    assert sources == {"general": ("texts", str(tmp_path / "general"))}
    assert read_texts(*sources["general"], max_docs=1) == GENERAL_TEXTS[:1]
    with pytest.raises(EvalError, match="given twice"):
        text_sources([f"general={tmp_path}"], [f"general={tmp_path / 'general'}"])
    r = bits_per_character(models["random"], text_dir=tmp_path / "general")
    assert r["documents"] == 2 and r["bits_per_character"] > 0
    with pytest.raises(EvalError, match="text folder not found"):
        folder_texts(tmp_path / "missing")
    with pytest.raises(EvalError, match="exactly one"):
        bits_per_character(models["random"], texts=["a"], text_dir=tmp_path)


def test_per_document_scores_add_up_to_the_pooled_figure(models):
    from kinyu.evaluation.bpc import bits_per_character

    texts = [GENERAL_TEXTS[0], "".join(FIN_TEXTS), GENERAL_TEXTS[1]]
    r = bits_per_character(models["random"], texts=texts)
    docs = r["per_document"]
    assert docs["characters"] == [len(t) for t in texts]
    assert sum(docs["nll_bits"]) == pytest.approx(r["nll_nats"] / math.log(2), rel=1e-9)
    assert r["bits_per_character"] == pytest.approx(sum(docs["nll_bits"]) / sum(docs["characters"]), rel=1e-9)
    # each document's NLL is what scoring it alone gives: documents are scored independently
    alone = bits_per_character(models["random"], texts=[texts[2]])
    assert docs["nll_bits"][2] == pytest.approx(alone["nll_nats"] / math.log(2), rel=1e-5)
