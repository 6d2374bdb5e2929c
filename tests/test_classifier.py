"""The finance-domain classifier: training is deterministic and separates the classes, the CLI
measures it on held-out documents beside the lexicon, a build scores every document with it
(``metadata.finance_prob``), drops below the threshold and shows the distribution; on real text
(chABSA 有報 sentences vs livedoor news) it calls held-out companies and articles right."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from kinyu.base.config import ConfigError
from kinyu.corpus.classifier.config import ClassifierTrainConfig
from kinyu.corpus.classifier.evaluate import evaluate
from kinyu.corpus.classifier.features import chunks, fasttext_line
from kinyu.corpus.classifier.model import FinanceModel, card_path
from kinyu.corpus.classifier.train import train_classifier
from _corpus_fixture import financial_texts, general_texts
from testkit.shared import shared


def write_jsonl(path: Path, texts: list[str], prefix: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"id": f"{prefix}-{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    base = tmp_path_factory.mktemp("clf")
    return {
        "base": base,
        "fin": write_jsonl(base / "fin" / "train.jsonl", financial_texts(300, seed=1), "fin"),
        "gen": write_jsonl(base / "gen" / "train.jsonl", general_texts(300, seed=2), "gen"),
        "fin_heldout": write_jsonl(base / "fin_heldout.jsonl", financial_texts(40, seed=3), "finh"),
        "gen_heldout": write_jsonl(base / "gen_heldout.jsonl", general_texts(40, seed=4), "genh"),
    }


def small(data, out: Path, **kw) -> ClassifierTrainConfig:
    return ClassifierTrainConfig(positives=[str(data["fin"])], negatives=[str(data["gen"])], out=str(out), epoch=5, bucket=20000, **kw)


def test_features_are_characters_with_digits_folded():
    assert fasttext_line("売上高　１２３億円\nＡＢＣ") == "売 上 高 0 0 0 億 円 a b c"
    assert fasttext_line("あいうえお", max_chars=3) == "あ い う"
    pieces = chunks("一行目です。\n" * 300, 100)
    assert all(len(p) <= 100 for p in pieces) and "".join(pieces).count("一行目") == 300


def test_training_is_deterministic_and_separates_the_classes(data):
    a = train_classifier(small(data, data["base"] / "a" / "finance.bin"))
    b = train_classifier(small(data, data["base"] / "b" / "finance.bin"))
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    card = json.loads(card_path(a).read_text())
    assert card["features"] == "chars-v1" and card["training"]["finance"]["documents"] == 300
    assert card["model_sha256"] == hashlib.sha256(a.read_bytes()).hexdigest()
    model = FinanceModel(a)
    assert model.prob(financial_texts(1, seed=9)[0]) > 0.9
    assert model.prob(general_texts(1, seed=9)[0]) < 0.1
    result = evaluate(a, [str(data["fin_heldout"])], [str(data["gen_heldout"])])
    assert result["classifier"]["precision"] == result["classifier"]["recall"] == 1.0
    assert set(result) >= {"lexicon", "lexicon_best", "per_source", "classifier_scores"}


def test_a_model_of_other_features_is_refused(data, tmp_path):
    model = train_classifier(small(data, tmp_path / "finance.bin"))
    card = json.loads(card_path(model).read_text())
    card_path(model).write_text(json.dumps({**card, "features": "words-v9"}))
    with pytest.raises(ConfigError, match="train it again"):
        FinanceModel(model)
    with pytest.raises(ConfigError, match="not found"):
        FinanceModel(tmp_path / "missing.bin")


def test_cli_trains_and_measures_beside_the_lexicon(data, tmp_path, capsys):
    from kinyu.cli import main

    out = tmp_path / "m" / "finance.bin"
    code = main(["corpus", "train-classifier", "--positive", str(data["fin"]), "--negative", str(data["gen"]),
                 "--heldout-positive", str(data["fin_heldout"]), "--heldout-negative", str(data["gen_heldout"]),
                 "--out", str(out), "--epoch", "5", "--bucket", "20000"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "classifier (finance_prob)" in printed and "lexicon (finance_score)" in printed
    heldout = json.loads(card_path(out).read_text())["heldout"]
    assert heldout["classifier"]["recall"] == 1.0 and heldout["documents"] == {
        "positives": 40, "negatives": 40, "positive_sources": [str(data["fin_heldout"])], "negative_sources": [str(data["gen_heldout"])]}
    assert main(["corpus", "train-classifier", "--positive", str(data["fin"]), "--out", str(out)]) == 2  # no negatives


def test_build_scores_every_document_and_drops_below_the_threshold(data, tmp_path, capsys):
    from kinyu.cli import main

    model = train_classifier(small(data, tmp_path / "finance.bin"))
    inputs = tmp_path / "in"
    write_jsonl(inputs / "mixed.jsonl", financial_texts(8, seed=11) + general_texts(8, seed=12), "doc")
    run = tmp_path / "run"
    assert main(["corpus", "build", "--input", str(inputs), "--output", str(run), "--tasks", "1", "--cache.enabled", "false",
                 "--select.classifier.enabled", "true", "--select.classifier.model_path", str(model),
                 "--tokenize.enabled", "false"]) == 0
    kept = [json.loads(line) for p in sorted((run / "docs").glob("*.gz")) for line in gzip.open(p, "rt")]
    removed = [json.loads(line) for p in sorted((run / "removed" / "classifier").glob("*.gz")) for line in gzip.open(p, "rt")]
    assert kept and removed and all(r["metadata"]["finance_prob"] >= 0.5 for r in kept)
    assert all(r["metadata"]["filter_reason"] == "not_finance" and r["metadata"]["finance_prob"] < 0.5 for r in removed)
    assert {int(r["id"].rsplit("#", 1)[1]) for r in removed} <= set(range(9, 17))  # only general texts go
    hist = json.loads((run / "stats" / "histograms.json").read_text())["finance prob"]
    assert hist["edges"][0] == 0.0 and hist["edges"][-1] == 1.0 and sum(hist["kept"]) == len(kept)
    capsys.readouterr()
    assert main(["corpus", "stats", str(run), "--samples", "0"]) == 0
    out = capsys.readouterr().out
    assert "finance_prob" in out and "0.90-1.00" in out and "financial (select.classifier)" in out
    assert main(["corpus", "report", str(run)]) == 0
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "financial (select.classifier)" in report and "not_finance" in report


def _chabsa_docs(folder: Path) -> list[tuple[str, str]]:
    out = []
    for p in sorted(folder.glob("*.json")):
        sentences = json.loads(p.read_text(encoding="utf-8"))["sentences"]
        out.append((p.stem, "\n".join(s["sentence"] + "。" for s in sentences)))
    return out


@pytest.mark.real_data
def test_real_filings_against_real_news(tmp_path):
    docs = _chabsa_docs(shared("real", "chabsa-json"))
    train, heldout = docs[::2], docs[1::2]  # other companies held out
    fin = write_jsonl(tmp_path / "fin.jsonl", [t for _, t in train], "chabsa")
    fin_heldout = write_jsonl(tmp_path / "fin_heldout.jsonl", [t for _, t in heldout], "chabsa-h")
    general = shared("general-ja")
    cats = ("it-life-hack.jsonl", "sports-watch.jsonl", "livedoor-homme.jsonl")
    cfg = ClassifierTrainConfig(positives=[str(fin)], negatives=[str(general / "train" / c) for c in cats],
                                out=str(tmp_path / "finance.bin"), epoch=5)
    model = train_classifier(cfg)
    result = evaluate(model, [str(fin_heldout)], [str(general / "heldout" / c) for c in cats])
    clf = result["classifier"]
    assert result["documents"]["positives"] == 115 and result["documents"]["negatives"] > 200
    assert clf["precision"] >= 0.97 and clf["recall"] >= 0.95, clf
