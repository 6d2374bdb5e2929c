"""NTCIR-18 U4 table QA as kinyu eval tasks: the answer normalisation (upstream's rules,
reimplemented) and its check on the real gold, the items built from real reports, a
``kinyu eval`` run of both variants on a tiny local model, and decontamination removing an
evaluated split's table from a small build."""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from pathlib import Path

import pytest

from kinyu.evaluation.tasks.u4_tableqa.normalize import cell_value, normalize_answer, same_answer
from testkit.shared import shared


# --- the normalisation ------------------------------------------------------------------------


def test_normalize_answer_follows_upstreams_rules():
    assert normalize_answer("3,597,951百万円") == "3597951000000.0000"
    assert normalize_answer("3597951000000") == "3597951000000.0000"
    assert normalize_answer("0百万円") == "0.0000"
    assert normalize_answer("８，２２１千円") == "8221000.0000"  # NFKC, then 千円
    assert normalize_answer("△ 1,234") == normalize_answer("▲1234") == "-1234.0000"
    assert normalize_answer("64.62%") == "0.6462"
    assert normalize_answer("12円") == normalize_answer("12株") == normalize_answer("12") == "12.0000"
    assert normalize_answer("-0") == "0.0000"
    assert normalize_answer("管理部長\u3000横尾 和浩") == "管理部長横尾和浩"  # text: white space removed
    # kinyu's two rules on top: any lone dash is nil, a Japanese date is its ISO form
    assert same_answer("―", "－") and not same_answer("―", "－", kinyu_rules=False)
    assert same_answer("2020年5月15日", "2020-05-15") and not same_answer("2020年5月15日", "2020-05-15", kinyu_rules=False)


def test_cell_value_reads_a_cell_under_its_unit():
    assert cell_value("3,597,951", "百万円") == "3597951000000"
    assert cell_value("※4 433,053", "百万円") == "433053000000"  # a note mark before the figure
    assert cell_value("※1 , ※3 345,617", "百万円") == "345617000000"
    assert cell_value("△ 740", "千円") == "-740000"
    assert cell_value("99.27", "円") == "99.27"
    assert normalize_answer(cell_value("23.47", "%")) == "0.2347"
    assert normalize_answer(cell_value("142.1 ( 98.4 )", "%")) == "1.4210"
    assert cell_value("有価証券報告書", None) == "有価証券報告書"


# --- real data ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def u4_root():
    return shared("filings-u4")


@pytest.mark.real_data
def test_normalisation_reproduces_the_valid_splits_gold(u4_root, tmp_path):
    """Every valid question's gold cell as displayed, read with its table's unit, normalises to
    the gold ``value``: for at least 97 % of the cells (measured: 1,388 of 1,421)."""
    from kinyu.base import u4
    from kinyu.evaluation.tasks.u4_tableqa.normalize import gold_check

    reports = u4.unpack(u4_root, tmp_path, "valid")
    result = gold_check(reports, u4.questions(u4_root, "valid"))
    assert result["cells"] >= 1400
    assert result["same"] / result["cells"] >= 0.97, result["misses"]
    assert result["same"] > result["same_upstream_rules"]  # the nil-dash and date rules count
    # what misses there are: the gold's own sign or scale, a few text cells; never a lost cell
    assert set(result["misses"]) <= {"section file absent", "sign differs (the gold's sign is not the cell's △)",
                                     "text differs", "scale differs (unit not found or not the gold's)", "number differs"}


@pytest.fixture(scope="module")
def valid_docs(u4_root):
    from kinyu.evaluation.tasks.u4_tableqa.items import read_u4_docs

    return {d["id"]: d for d in read_u4_docs(u4_root, "valid")}


@pytest.mark.real_data
def test_items_from_real_valid_reports(valid_docs):
    from kinyu.evaluation.tasks.u4_tableqa.items import MAX_TABLE_CHARS, multiple_choice
    from kinyu.evaluation.tasks.u4_tableqa.scoring import doc_to_text, exact_match

    assert len(valid_docs) >= 1400
    d = valid_docs["question_tqa_valid3"]  # 東芝 2016年 総資産額: 3,597,951 under 百万円 (its unit column)
    assert d["cell_text"] == "3,597,951" and d["value"] == "3597951000000" and d["unit"] == "百万円"
    assert "| 総資産額 |" in d["table"] and "3,597,951" in d["table"]
    prompt = doc_to_text(d)
    assert prompt.startswith(d["table"]) and prompt.endswith(f"質問: {d['question']}\n回答:")
    # the generative score: the value as shown, with its unit, or as the task writes it
    assert exact_match(d, " 3,597,951\n") and exact_match(d, "3,597,951百万円") and exact_match(d, "3597951000000")
    assert not exact_match(d, "3,597,952") and not exact_match(d, "")
    # the likelihood variant: the gold cell against distinct cells of the table, fixed per item
    assert d["choices"][d["label"]] == "3,597,951" and 2 <= len(d["choices"]) <= 4
    assert len({normalize_answer(c) for c in d["choices"]}) == len(d["choices"])
    assert all(c.replace(" ", "") in d["table"].replace(" ", "") for c in d["choices"])  # cells the prompt shows
    mc = multiple_choice(list(valid_docs.values()))
    assert len(mc) >= 0.95 * len(valid_docs) and all(len(x["choices"]) > 1 for x in mc)
    # big tables are cut around the gold row, the header kept, the cut said
    cut = [x for x in valid_docs.values() if x["table_cut"]]
    assert cut and all(len(x["table"]) <= MAX_TABLE_CHARS or x["table"].count("\n") < 8 for x in cut)
    assert all("行省略" in x["table"] for x in cut[:50])
    shown = sum(x["cell_text"].replace(" ", "") in x["table"].replace(" ", "") for x in valid_docs.values())
    assert shown / len(valid_docs) >= 0.95  # the gold cell is in the table the prompt shows


@pytest.mark.real_data
def test_items_are_fixed_per_question_and_train_is_refused(u4_root, valid_docs):
    from kinyu.base.benchmarks import TaskDataError, resolve_task_file
    from kinyu.evaluation.tasks.u4_tableqa.items import read_u4_docs

    again = {d["id"]: d for d in read_u4_docs(u4_root, "valid")}
    assert [again[q]["choices"] for q in list(valid_docs)[:50]] == [valid_docs[q]["choices"] for q in list(valid_docs)[:50]]
    with pytest.raises(ValueError, match="train is training data"):
        read_u4_docs(u4_root, "train")
    with pytest.raises(TaskDataError, match="train is training data"):
        resolve_task_file("u4_tableqa", None, u4_dir=u4_root, u4_split="train")


@pytest.mark.real_data
def test_kinyu_eval_runs_both_u4_variants_on_a_tiny_model(u4_root, valid_docs, tmp_path, capsys):
    from kinyu.cli.eval import main
    from kinyu.evaluation.harness import set_offline
    from testkit.models import build_tiny_model

    set_offline()
    texts = [d["table"] + "\n" + d["question"] for d in list(valid_docs.values())[:30]]
    model = build_tiny_model(tmp_path / "tiny", texts, seed=0, vocab_size=300, max_position_embeddings=2048)
    out = tmp_path / "eval.json"
    assert main(["--model", str(model), "--tasks", "u4_tableqa,u4_tableqa_mc", "--u4-dir", str(u4_root),
                 "--limit", "10", "--batch-size", "4", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    gen, mc = result["tasks"]["u4_tableqa"], result["tasks"]["u4_tableqa_mc"]
    assert gen["n"] == mc["n"] == 10
    assert 0.0 <= gen["exact_match"] <= 1.0 and gen["score"] == 100 * gen["exact_match"]
    assert 0.0 <= mc["acc"] <= 1.0 and mc["score"] == 100 * mc["acc"]
    assert result["u4_split"] == "valid" and result["data_files"]["u4_tableqa"] == str(Path(u4_root).resolve())
    assert "| u4_tableqa | default | 10 |" in capsys.readouterr().out
    assert "acc,none" in result["lm_eval_results"]["u4_tableqa_mc"]  # lm-eval's own result
    # a user error is one line and exit 2: the train split is never evaluated
    assert main(["--model", str(model), "--tasks", "u4_tableqa", "--u4-dir", str(u4_root), "--u4-split", "train"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train is training data" in err[0]
    # compare reads the U4 items too: the table QA prompts with their gold values, both models' answers
    md = tmp_path / "compare.md"
    assert main(["compare", "--models", str(model), str(model), "--tasks", "u4_tableqa", "--u4-dir", str(u4_root),
                 "--compare-items-per-task", "2", "--compare-max-new-tokens", "2", "--out", str(md)]) == 0
    rows = [line for line in md.read_text().splitlines() if line.startswith("| ") and "u4_tableqa" in line]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert cells[1] == "u4_tableqa" and cells[3]  # the gold value is shown


def _member(archive: Path, name: str, out: Path) -> Path:
    with tarfile.open(archive) as tar:
        for m in tar:
            if Path(m.name).name == name:
                out.mkdir(parents=True, exist_ok=True)
                (out / name).write_bytes(tar.extractfile(m).read())
                return out / name
    raise FileNotFoundError(name)


@pytest.mark.real_data
def test_decontamination_removes_a_u4_eval_table_and_keeps_train(u4_root, tmp_path):
    """A build of one valid section file (東芝's 経営指標等, the tables of questions) and one
    train section file, decontaminated against the filings-u4 folder: the valid tables go to
    removed/decontamination, the train file's tables stay (train is training data)."""
    from kinyu.cli import main
    from kinyu.corpus.decontam import load_benchmark_items

    items = load_benchmark_items([u4_root])
    ids = [it.item_id for it in items]
    assert "u4:valid:S100JBJB-0101010-tab3:table" in ids and any(i.startswith("u4:test:") for i in ids)
    assert not any(i.startswith("u4:train:") for i in ids)

    inp = tmp_path / "in"
    _member(u4_root / "reports-valid.tar.xz", "S100JBJB-0101010.html", inp)
    _member(u4_root / "reports-train.tar.xz", "S100INDK-0101010.html", inp)
    out = tmp_path / "run"
    assert main(["corpus", "build", "--input", str(inp), "--output", str(out), "--workers", "1",
                 "--tokenize.enabled", "false", "--cache.enabled", "false",
                 "--decontamination.enabled", "true", "--decontamination.benchmark_paths", str(u4_root)]) == 0
    removed = [json.loads(line) for f in (out / "removed" / "decontamination").glob("*.jsonl.gz")
               for line in gzip.open(f, "rt", encoding="utf-8")]
    matched = {r["metadata"]["benchmark_item"] for r in removed}
    assert "u4:valid:S100JBJB-0101010-tab3:table" in matched
    assert all(Path(r["metadata"]["source"]).name == "S100JBJB-0101010.html" for r in removed)
    docs = {Path(d["metadata"]["source"]).name: d["text"] for f in (out / "docs").glob("*.jsonl.gz")
            for d in map(json.loads, gzip.open(f, "rt", encoding="utf-8"))}
    assert "2,875,276" not in docs.get("S100JBJB-0101010.html", "")  # 東芝 2016年3月 売上高 (tab3), gone
    assert "S100INDK-0101010.html" in docs and "|" in docs["S100INDK-0101010.html"]
