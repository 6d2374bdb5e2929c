"""The fixed evaluation sets of the study and the ablation (kinyu.workflows.eval_sets, heldout): held out by
filer before any filter, leaks found by containment, and the sets split into tables, prose and a neutral set.

A filer's other sections and other years must never train while one of its filings is scored: the pick is by
filer group (EDINET code, else 書類管理番号), and a held-out text copied inside a longer training document
(which Jaccard cannot see) is dropped by its share of contained 50-grams."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from testkit.shared import shared

# the Japan Exchange Group (EDINET code E03814): FY2019 (S100ISA8) and FY2023 (S100TLCL), each with its cover;
# S100J1VI / S100IYG9: other filers, no cover
JPX = ["S100ISA8-0000000.html", "S100ISA8-0102010.html", "S100TLCL-0000000.html"]
OTHERS = ["S100J1VI-0102010.html", "S100IYG9-0102010.html", "S100TPKY-0102010.html"]


def _filings(tmp_path: Path) -> Path:
    folder = tmp_path / "filings"
    folder.mkdir()
    for name in JPX + OTHERS:
        shutil.copy(shared("real", "edinet-asr-html", name), folder / name)
    return folder


@pytest.mark.real_data
def test_the_pick_holds_out_whole_filers_where_file_hashing_would_split_one(tmp_path):
    from kinyu.corpus.extract.readers import list_input_files
    from kinyu.workflows.eval_sets import EvalSetsConfig, choose_heldout, rank

    files = list_input_files([str(_filings(tmp_path))])
    jpx = {f"filings/{n}" for n in JPX}
    # a seed under which hashing by file splits the filer's two years, and the group pick holds the filer out
    seed = next(s for s in range(1000)
                if len({rank(i, s) < 0.5 for i in jpx}) == 2 and rank("edinet:E03814", s) < 0.5)
    choice = choose_heldout(EvalSetsConfig(heldout_fraction=0.5, seed=seed), files, [])
    assert {choice.groups[i] for i in jpx} == {"edinet:E03814"}  # FY2019 and FY2023 joined by the covers' EDINET code
    assert jpx <= choice.heldout_ids and not jpx & choice.training_ids
    # every group is wholly on one side: no filer is both scored and trained on
    for group in set(choice.groups.values()):
        sides = {i in choice.heldout_ids for i, g in choice.groups.items() if g == group}
        assert len(sides) == 1, group
    assert choice.training_ids and choice.heldout_ids | choice.training_ids == {f.doc_id for f in files}


def _u4_fixture(tmp_path: Path) -> Path:
    """A filings-u4 folder in its real layout (reports-<split>.tar.xz with reports/<doc>/<doc>-<section>.html) made of
    shared filings: the JPX FY2019 filing trains, its FY2023 filing is in valid."""
    splits = {"train": ["S100ISA8-0000000.html", "S100ISA8-0102010.html", "S100J1VI-0102010.html"],
              "valid": ["S100TLCL-0000000.html"], "test": ["S100IYG9-0102010.html"]}
    u4 = tmp_path / "filings-u4"
    (u4 / "questions").mkdir(parents=True)
    for split, names in splits.items():
        with tarfile.open(u4 / f"reports-{split}.tar.xz", "w:xz") as tar:
            for name in names:
                data = shared("real", "edinet-asr-html", name).read_bytes()
                info = tarfile.TarInfo(f"reports/{name.split('-')[0]}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return u4


@pytest.mark.real_data
@pytest.mark.slow
def test_u4_default_holds_out_valid_and_test_by_company_and_drops_a_held_out_filers_training_files(tmp_path, monkeypatch):
    from kinyu.base.config import load_config, shipped_config
    from kinyu.corpus.config import CorpusConfig
    from kinyu.corpus.extract.readers import input_files
    from kinyu.workflows.eval_sets import EvalSetsConfig, u4_default_inputs
    from kinyu.workflows.heldout import build_eval_sets

    monkeypatch.setenv("KINYU_CACHE_DIR", str(tmp_path / "cache"))
    cfg = EvalSetsConfig(filings_u4=str(_u4_fixture(tmp_path)), general_max_docs=5)
    train, heldout = u4_default_inputs(cfg, tmp_path / "data")
    assert [Path(p).name for p in train] == ["S100ISA8", "S100J1VI"] and [Path(p).name for p in heldout] == ["S100IYG9", "S100TLCL"]
    assert all(Path(p).is_relative_to(tmp_path / "data" / "filings-u4") for p in train + heldout)
    capped = u4_default_inputs(EvalSetsConfig(filings_u4=cfg.filings_u4, filings_u4_train_reports=1), tmp_path / "data")
    assert len(capped[0]) == 1 and capped[0][0] in train  # the cap picks by hash, from the same unpacked reports

    cfg.heldout_inputs = heldout
    # general text: two real held-out articles, and one that the base's general corpus holds too (a syndicated
    # copy); the base corpus is a run folder's docs/ as every corpus build writes it
    articles = [json.loads(line)["text"] for line in shared("general-ja", "heldout", "dokujo-tsushin.jsonl")
                .read_text(encoding="utf-8").splitlines()[:3]]
    (tmp_path / "general").mkdir()
    (tmp_path / "general" / "heldout.jsonl").write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n"
                                                                 for t in articles), encoding="utf-8")
    base_corpus = tmp_path / "base_corpus"
    (base_corpus / "docs").mkdir(parents=True)
    with gzip.open(base_corpus / "docs" / "00000.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "news#1", "text": "前書き。\n" + articles[1] + "\n後書き。"}, ensure_ascii=False) + "\n")
    cfg.general_texts = str(tmp_path / "general")
    corpus = load_config(CorpusConfig, shipped_config("corpus.yaml"), {"input.paths": train})
    sets = build_eval_sets(cfg, corpus, tmp_path / "eval_sets", general_training=base_corpus)
    m = sets.manifest
    general_scored = [json.loads(line)["text"] for line in (tmp_path / "eval_sets" / "general" / "texts.jsonl")
                      .read_text(encoding="utf-8").splitlines()]
    assert sorted(general_scored) == sorted([articles[0], articles[2]])  # the copy in the base's corpus is not scored
    assert m["leaks"]["general"]["dropped"] == [{"id": "general#1", "reason": m["leaks"]["general"]["dropped"][0]["reason"]}]
    assert "50-grams" in m["leaks"]["general"]["dropped"][0]["reason"] and m["leaks"]["general"]["documents"] == 3
    # FY2019 of the same filer (E03814) as the held-out FY2023 cover: dropped from training, and said so
    assert m["groups"]["training_files_dropped_same_filer"] == ["S100ISA8/S100ISA8-0000000.html", "S100ISA8/S100ISA8-0102010.html"]
    assert m["groups"]["members"]["edinet:E03814"]["heldout"] and m["groups"]["heldout_by_hash"] == 0
    assert set(m["finance"]["heldout_files"]) == {"S100TLCL/S100TLCL-0000000.html", "S100IYG9/S100IYG9-0102010.html"}
    corpus.input.exclude = sets.exclude
    assert [f.doc_id for f in input_files(corpus)] == ["S100J1VI/S100J1VI-0102010.html"]  # what every variant trains on
    # containment figures per document, written beside the manifest; the sets with their labels
    leaks = json.loads((tmp_path / "eval_sets" / "leaks.json").read_text(encoding="utf-8"))
    assert {d["id"] for d in leaks["per_document"]} <= set(m["finance"]["heldout_files"]) and leaks["per_document"]
    assert all(0 <= d["contained_50"] <= d["contained_13"] <= 1 for d in leaks["per_document"])
    assert m["finance_tables"]["documents"] and m["finance_prose"]["documents"] and m["finance_neutral"]["documents"]
    assert [t.split("=")[0] for t in sets.bpc_texts()] == ["finance", "finance_kept", "finance_neutral", "finance_prose",
                                                          "finance_tables", "general"]
    again = load_config(CorpusConfig, shipped_config("corpus.yaml"), {"input.paths": train})
    assert build_eval_sets(cfg, again, tmp_path / "eval_sets", general_training=base_corpus).manifest == m  # reused


@pytest.mark.real_data
def test_containment_catches_a_short_heldout_text_inside_a_long_training_document_that_jaccard_misses():
    import lxml.html

    from kinyu.corpus.ngrams import char_ngrams, jaccard
    from kinyu.workflows.eval_sets import EvalSetsConfig
    from kinyu.workflows.heldout import TrainingNgrams, containment

    def text(name):
        tree = lxml.html.fromstring(shared("real", "edinet-asr-html", name).read_bytes())
        return "\n".join(t.strip() for t in tree.itertext() if t.strip())

    long_doc = text("S100ISA8-0102010.html")
    inside = long_doc[len(long_doc) // 2: len(long_doc) // 2 + 3000]  # a held-out text copied into the training document
    other = text("S100J1VI-0102010.html")[:3000]  # another filer's text
    assert len(long_doc) > 8 * len(inside)
    assert jaccard(char_ngrams(inside, 5), char_ngrams(long_doc, 5)) < 0.5  # the near-copy test cannot see it
    leaks = containment([{"id": "f/inside", "text": inside}, {"id": "f/other", "text": other}], TrainingNgrams([long_doc]),
                        EvalSetsConfig(), {"f/inside": "a", "f/other": "b"})
    by_id = {d["id"]: d for d in leaks["per_document"]}
    assert by_id["f/inside"]["contained_50"] == 1.0 and by_id["f/other"]["contained_50"] < 0.2
    assert [d["id"] for d in leaks["dropped"]] == ["f/inside"] and "50-grams" in leaks["dropped"][0]["reason"]


def test_tables_prose_and_the_neutral_rule():
    from kinyu.workflows.heldout import is_neutral_paragraph, neutral_rows, split_tables

    prose = "当社グループは、お客様の信頼を第一に考え、市場の公正性と信頼性を確保するための取組みを、中長期的な視点に立って継続して進めてまいります。"
    text = "\n".join(["# 第2 事業の状況", prose, "| 区分 | 金額 |", "| --- | --- |", "| 営業収益 | 1,234 |", "", prose])
    tables, rest = split_tables(text)
    assert tables == "| 区分 | 金額 |\n| --- | --- |\n| 営業収益 | 1,234 |"
    assert rest == "\n".join(["# 第2 事業の状況", prose, prose])
    assert is_neutral_paragraph(prose)
    assert not is_neutral_paragraph("# 第2 事業の状況")  # a heading
    assert not is_neutral_paragraph("営業収益は1,234百万円、営業利益は567百万円、経常利益は890百万円、当期純利益は123百万円となりました。")  # figures
    assert not is_neutral_paragraph("取締役会長、代表取締役社長、取締役副社長、専務取締役、常務取締役、社外取締役、監査役、会計監査人。")  # a list
    # each distinct paragraph once, across documents
    assert neutral_rows([{"id": "a", "text": text}, {"id": "b", "text": prose}]) == [{"id": "a", "text": prose}]
