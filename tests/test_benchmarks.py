"""The benchmark tasks and their files have one owner (kinyu.base.benchmarks): evaluation scores the
items that decontamination removes, read from the same file by the same reader."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from kinyu.base.benchmarks import (
    TASK_FILES,
    TASKS,
    TaskDataError,
    read_chabsa,
    read_json_file,
    read_xlsx_rows,
    resolve_task_file,
    task_folders,
    task_of_file,
)
from kinyu.corpus.decontam import fin_harness_benchmark_paths, load_benchmark_items
from kinyu.evaluation.tasks.data import read_task_docs

EVAL_TASKS_DIR = Path(__file__).resolve().parents[1] / "evaluation" / "tasks"

QUESTION = "日本銀行が金融政策決定会合において長短金利操作の運用を柔軟化した理由として最も適切なものはどれか。"
CONTEXT = "１．物価目標の持続的な実現を見通せる状況に至ったため\n２．長期金利の変動幅を縮小する必要が生じたため"
SENTENCE = "当期の売上高は、国内の自動車向け部品の需要回復により前期比12.5%増加いたしました"


def test_one_task_list_for_the_harness_the_config_and_the_files():
    from kinyu.evaluation.config import EvalConfig
    from kinyu.evaluation.harness import TASKS as HARNESS_TASKS

    assert HARNESS_TASKS is TASKS and EvalConfig().task_data.tasks == list(TASKS)
    assert set(TASK_FILES) | {"chabsa"} == set(TASKS)
    for task in TASKS:  # each task has its lm-eval definition
        assert (EVAL_TASKS_DIR / task / f"{task}.yaml").is_file()
    assert task_of_file("/data/fin-harness/cpa/CPA_AUDIT.xlsx") == "cpa_audit"
    assert task_of_file("fp2/data.json") == "fp2" and task_of_file("/data/other/data.json") is None


def fake_fin_harness(root: Path) -> Path:
    """A fin-harness data dir of fictional items in the real layout (data.json, CPA_AUDIT.xlsx) and a chABSA folder."""
    for task in ("cma_basics", "fp2", "security_sales_1"):
        rows = [{"id": 0, "question": QUESTION, "context": CONTEXT if task == "fp2" else None, "answer": 1,
                 "choices": [{"id": 0, "text": "物価目標の持続的かつ安定的な実現を見通せる状況に至ったため"}, {"id": 1, "text": "B"}]}]
        (root / task).mkdir(parents=True)
        (root / task / "data.json").write_text(json.dumps({"data": rows}, ensure_ascii=False), encoding="utf-8")
    (root / "cpa").mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    sheet.append(["key", "q_no", "question", "ア", "イ", "ウ", "エ", "オ", "カ", "a_no", 1, 2, 3, 4, 5, 6, "abnormal_flg"])
    sheet.append(["R5_2", 1, QUESTION, "監査人は独立性を保持しなければならないとされている。", "イの記述", "ウの記述", "エの記述",
                  None, None, 2, "アイ", "アウ", "アエ", "イウ", "イエ", None, 0])
    sheet.append(["R5_2", 2, "異常のある問題", "ア", "イ", "ウ", "エ", None, None, 1, "a", "b", "c", "d", "e", "f", 1])
    book.create_sheet("README").append(["not data"])
    book.save(root / "cpa" / "CPA_AUDIT.xlsx")
    chabsa = root / "chabsa"
    chabsa.mkdir()
    ann = {"header": {"document_id": "E99999"},
           "sentences": [{"sentence_id": 0, "sentence": SENTENCE,
                          "opinions": [{"target": "売上高", "polarity": "positive"}, {"target": "需要", "polarity": "neutral"}]}]}
    (chabsa / "e99999_ann.json").write_text(json.dumps(ann, ensure_ascii=False), encoding="utf-8")
    return root


def decontamination_texts(paths) -> dict[str, set[str]]:
    by_task: dict[str, set[str]] = {}
    for item in load_benchmark_items(paths):
        by_task.setdefault(item.item_id.split(":")[0], set()).add(item.text)
    return by_task


def evaluation_texts(task: str, data_dir: Path, chabsa_dir: Path) -> set[str]:
    """Every line of text an evaluation document of ``task`` shows the model."""
    texts = set()
    for doc in read_task_docs(task, data_dir, chabsa_dir):
        fields = [doc["sentence"]] if task == "chabsa" else [doc["question"], doc["context"], *doc["choices"]["text"]]
        texts |= {line for f in fields if f != "nan" for line in f.split("\n") if line.strip()}
    return texts


def check_same_items(data_dir: Path, chabsa_dir: Path) -> None:
    removed = decontamination_texts(fin_harness_benchmark_paths(data_dir, chabsa_dir))
    for task in TASKS:
        scored = evaluation_texts(task, data_dir, chabsa_dir)
        # cpa_audit's context prefixes each statement with its mark ("ア: "); the statement itself is the item
        scored = {t.split(": ", 1)[1] if task == "cpa_audit" and t[:3] in [f"{m}: " for m in "アイウエオカ"] else t for t in scored}
        assert scored and scored <= removed[task], task


def test_evaluation_and_decontamination_read_the_same_items(tmp_path):
    root = fake_fin_harness(tmp_path / "fin")
    check_same_items(root, root / "chabsa")
    assert read_task_docs("chabsa", root, None)[1] == {"id": 1, "sentence": SENTENCE, "target": "需要", "polarity": "neutral"}
    cpa = read_task_docs("cpa_audit", root)
    assert len(cpa) == 1 and cpa[0]["choices"]["text"][5] == "nan" and cpa[0]["answer"] == 1  # abnormal row dropped
    assert cpa[0]["context"].startswith("ア: 監査人は") and "オ:" not in cpa[0]["context"]


def test_readers_return_plain_records(tmp_path):
    root = fake_fin_harness(tmp_path / "fin")
    kind, records = read_json_file(root / "fp2" / "data.json")
    assert kind == "records" and records[0]["question"] == QUESTION
    kind, sentences = read_json_file(root / "chabsa" / "e99999_ann.json")
    assert kind == "chabsa" and sentences[0]["document_id"] == "E99999" and sentences[0]["sentence_id"] == 0
    assert read_chabsa(root / "chabsa") == sentences
    rows = read_xlsx_rows(root / "cpa" / "CPA_AUDIT.xlsx")  # sheet "data", not the first one named
    assert [r["q_no"] for r in rows] == [1, 2] and rows[0]["6"] is None and rows[0]["オ"] is None
    assert list(rows[0])[9:12] == ["a_no", "1", "2"]  # a header 1 (stored 1.0) reads "1"
    assert task_folders(root) == [root / "cma_basics", root / "cpa", root / "fp2", root / "security_sales_1"]
    with pytest.raises(TaskDataError, match="fp2/data.json"):
        resolve_task_file("fp2", tmp_path)


@pytest.mark.real_data
def test_real_benchmarks_same_items_for_evaluation_and_decontamination(fin_harness, chabsa_dir):
    check_same_items(fin_harness, chabsa_dir)
    assert [len(read_task_docs(t, fin_harness, chabsa_dir)) for t in ("cpa_audit", "chabsa")] == [398, 7723]


def test_a_fin_harness_data_dir_gives_the_items_of_its_task_folders(tmp_path):
    root = fake_fin_harness(tmp_path / "fin")
    whole = load_benchmark_items([root])
    by_task = load_benchmark_items(fin_harness_benchmark_paths(root, root / "chabsa"))
    # each task's items keep their task's name (the three data.json tasks number their items alike)
    assert len(whole) == len(by_task) and set(whole) == set(by_task)
    assert {i.item_id.split(":")[0] for i in whole} == set(TASKS)
