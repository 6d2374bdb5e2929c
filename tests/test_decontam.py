"""Benchmark decontamination (kinyu.corpus.decontam): planted benchmark text must leave the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter

from kinyu.corpus.decontam import (
    BenchmarkDecontaminationFilter,
    BenchmarkIndex,
    DecontaminationConfig,
    decontamination_step,
    fin_harness_benchmark_paths,
    find_contamination,
    load_benchmark_items,
)
from kinyu.corpus.dedup import run_stages_locally
from kinyu.corpus.dedup.stages import chain, filter_pass
from kinyu.corpus.gates import removed_writer
from kinyu.corpus.extract.readers import read_jsonl_gz
from kinyu.corpus.normalize import normalize_japanese
from testkit.shared import shared_data_dir
from kinyu.base.config import validate

GOOD_1 = "当社は、資本効率の向上を経営の重要課題と位置付け、自己資本利益率の目標を定めております。"
GOOD_2 = "また、株主還元については、安定的な配当の継続を基本方針とし、業績に応じた増配を検討いたします。"
GOOD_3 = "当事業年度の設備投資は、生産能力の増強と物流拠点の再編を中心に実施いたしました。"
GOOD_4 = "なお、為替相場の変動が連結業績に与える影響については、継続的に注視してまいります。"
CLEAN_DOC = "\n".join([GOOD_3, GOOD_1, GOOD_4])


def fin_dirs() -> tuple[Path, Path]:
    fin, chabsa = shared_data_dir() / "fin-harness", shared_data_dir() / "real" / "chabsa-json"
    if not (fin / "fp2" / "data.json").is_file() or not chabsa.is_dir():
        pytest.skip(f"fin-harness / chABSA data not found under {shared_data_dir()} (set KINYU_SHARED_DATA)")
    return fin, chabsa


@pytest.fixture(scope="module")
def planted():
    """A long fp2 question and a chABSA sentence, read from the benchmark files, with their item ids."""
    fin, chabsa = fin_dirs()
    fp2 = json.loads((fin / "fp2" / "data.json").read_text(encoding="utf-8"))["data"]
    question = max((r for r in fp2 if "\n" not in r["question"]), key=lambda r: (len(r["question"]), -r["id"]))
    ann = json.loads((chabsa / "e00008_ann.json").read_text(encoding="utf-8"))
    sentence = ann["sentences"][5]
    return {
        "question": normalize_japanese(question["question"]),
        "question_id": f"fp2:{question['id']}:question",
        "sentence": normalize_japanese(sentence["sentence"]) + "。",
        "sentence_id": f"chabsa:{ann['header']['document_id']}:{sentence['sentence_id']}:sentence",
        "paths": fin_harness_benchmark_paths(fin, chabsa),
    }


def read_folder(folder: Path) -> list[dict]:
    return list(read_jsonl_gz(folder))


@pytest.mark.real_data
def test_benchmark_items_cover_all_tasks(planted):
    items = load_benchmark_items(planted["paths"])
    tasks = {i.item_id.split(":")[0] for i in items}
    assert tasks == {"cma_basics", "cpa_audit", "fp2", "security_sales_1", "chabsa"}
    ids = {i.item_id for i in items}
    assert planted["question_id"] in ids and planted["sentence_id"] in ids
    # choices are items too, and multi-line contexts are split into lines
    assert any(":choice" in i for i in ids) and any(i.startswith("fp2:0:context:") for i in ids)


@pytest.mark.real_data
def test_planted_benchmark_text_is_removed_paragraph_mode(planted, tmp_path):
    docs = [
        Document(text="\n".join([GOOD_1, planted["question"], GOOD_2]), id="report-a", metadata={"source": "a.pdf"}),
        Document(text="\n".join([GOOD_3, GOOD_2 + planted["sentence"], GOOD_4]), id="report-b", metadata={"source": "b.pdf"}),
        Document(text=CLEAN_DOC, id="report-c", metadata={"source": "c.pdf"}),
    ]
    with JsonlWriter(str(tmp_path / "in"), output_filename="${rank}.jsonl.gz") as w:
        for d in docs:
            w.write(d, 0)
    decon = DecontaminationConfig(enabled=True, benchmark_paths=planted["paths"], mode="paragraph")
    step = decontamination_step(decon, exclusion_writer=removed_writer(tmp_path / "removed", "decontamination"))
    stages = chain([filter_pass("decontamination", [step], tasks=1)], str(tmp_path / "in"), str(tmp_path / "out"),
                   str(tmp_path / "work"), tasks=1)
    run_stages_locally(stages, str(tmp_path / "logs"))

    out = {r["id"]: r for r in read_folder(tmp_path / "out")}
    assert out["report-a"]["text"] == "\n".join([GOOD_1, GOOD_2])
    assert out["report-b"]["text"] == "\n".join([GOOD_3, GOOD_4])
    assert out["report-c"]["text"] == CLEAN_DOC  # clean documents untouched
    assert "decontaminated_paragraphs" not in out["report-c"]["metadata"]
    assert out["report-a"]["metadata"]["decontaminated_paragraphs"] == 1

    removed = {r["id"]: r for r in read_folder(tmp_path / "removed" / "decontamination")}
    assert set(removed) == {"report-a#p1", "report-b#p1"}
    qa = removed["report-a#p1"]["metadata"]
    assert removed["report-a#p1"]["text"] == planted["question"]
    assert qa["filter_reason"] == "benchmark_overlap"
    assert qa["benchmark_item"] == planted["question_id"]
    assert qa["match"][planted["question_id"]] == ["ngram", 1.0]
    assert qa["parent_id"] == "report-a" and qa["paragraph_index"] == 1
    sb = removed["report-b#p1"]["metadata"]
    assert planted["sentence_id"] in sb["benchmark_items"]
    assert sb["benchmark_item"] == planted["sentence_id"]


@pytest.mark.real_data
def test_planted_benchmark_text_is_removed_document_mode(planted):
    cfg = DecontaminationConfig(enabled=True, benchmark_paths=planted["paths"], mode="document")
    kept_removed = []

    class Collect:  # a stand-in exclusion writer: the step only calls write() inside a with block
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, doc, rank=0):
            kept_removed.append(doc)

    step = BenchmarkDecontaminationFilter(cfg, exclusion_writer=Collect())
    docs = [
        Document(text="\n".join([GOOD_1, planted["question"], GOOD_2]), id="a", metadata={}),
        Document(text=CLEAN_DOC, id="c", metadata={}),
        Document(text="\n".join([GOOD_4, planted["sentence"]]), id="b", metadata={}),
    ]
    out = list(step.run(iter(docs)))
    assert [d.id for d in out] == ["c"] and out[0].text == CLEAN_DOC
    assert [d.id for d in kept_removed] == ["a", "b"]
    assert kept_removed[0].metadata["benchmark_item"] == planted["question_id"]
    assert kept_removed[1].metadata["benchmark_item"] == planted["sentence_id"]
    assert kept_removed[0].text.startswith(GOOD_1)  # the whole document went


ORIGINAL = (
    "株式の配当金は、原則として配当所得として総合課税の対象となるが、上場株式等の配当金については"
    "申告分離課税を選択することもでき、その場合は上場株式等の譲渡損失と損益通算することができる。"
)
# a reworded copy: 58 % of the 13-grams survive, character 5-gram Jaccard 0.67
EDITED = (
    "株式の配当金は、原則として配当収入として総合課税の対象となるが、上場株式等の配当金については"
    "申告分離課税を選ぶこともでき、その場合は上場株式等の譲渡損失と損益通算することが可能である。"
)


def small_benchmark(tmp_path: Path) -> Path:
    folder = tmp_path / "bench" / "mytask"
    folder.mkdir(parents=True)
    rows = [
        {"id": 1, "question": "日本銀行が金融政策決定会合において長短金利操作の運用を柔軟化した理由として最も適切なものはどれか。",
         "choices": [{"id": 0, "text": "物価目標の持続的かつ安定的な実現を見通せる状況に至ったため"}, {"id": 1, "text": "A"}]},
        {"id": 2, "context": ORIGINAL},
    ]
    (folder / "data.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return folder


def test_near_copy_is_found_by_lsh_and_short_items_ignored(tmp_path):
    folder = small_benchmark(tmp_path)
    # min_overlap=1.0: the 13-gram test takes only verbatim copies, so the edit must be found by LSH
    cfg = DecontaminationConfig(enabled=True, benchmark_paths=[str(folder)], min_overlap=1.0, lsh_threshold=0.6)
    items = load_benchmark_items(cfg.benchmark_paths)
    assert {i.item_id for i in items} == {"mytask:1:question", "mytask:1:choice0", "mytask:1:choice1", "mytask:2:context"}
    index = BenchmarkIndex(items, cfg)
    assert len(index) == 3  # the one-letter choice "A" is too short to match anything

    found = find_contamination("\n".join([GOOD_1, EDITED, GOOD_2]), index)
    assert found is not None and found.lines == {1: ["mytask:2:context"]}
    kind, score = found.items["mytask:2:context"]
    assert kind == "near" and 0.6 <= score < 0.7
    # the verbatim copy matches on 13-grams, even with other punctuation and spaces
    verbatim = ORIGINAL.replace("、", ",").replace("もでき", "も でき")
    assert find_contamination(verbatim, index).items["mytask:2:context"] == ("ngram", 1.0)
    assert find_contamination(CLEAN_DOC, index) is None
    # with the default 50 % share, the same reworded copy is caught by its 13-grams alone
    default = BenchmarkIndex(items, DecontaminationConfig(enabled=True, benchmark_paths=[str(folder)], lsh_threshold=0))
    assert find_contamination(EDITED, default).items["mytask:2:context"][0] == "ngram"
    # a stock phrase shared with a benchmark item is not enough
    assert find_contamination("当社の株式の配当金は、原則として年2回お支払いしております。", default) is None


def test_config_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="benchmark_paths is empty"):
        validate(DecontaminationConfig(enabled=True))
    with pytest.raises(ValueError, match="not found"):
        validate(DecontaminationConfig(enabled=True, benchmark_paths=[str(tmp_path / "nope")]))
    with pytest.raises(ValueError, match="mode"):
        validate(DecontaminationConfig(mode="sentence"))
    validate(DecontaminationConfig())  # disabled by default: nothing to check
    with pytest.raises(ValueError, match="no benchmark items"):
        BenchmarkIndex([], DecontaminationConfig())


def test_paragraph_mode_keeps_blank_line_paragraph_layout(tmp_path):
    folder = small_benchmark(tmp_path)
    cfg = DecontaminationConfig(enabled=True, benchmark_paths=[str(folder)])
    step = BenchmarkDecontaminationFilter(cfg)
    docs = [
        Document(text=f"{GOOD_1}\n\n{ORIGINAL}\n\n{GOOD_2}", id="d", metadata={}),
        Document(text=f"{ORIGINAL}\n\n{EDITED}", id="all-benchmark", metadata={}),
    ]
    out = list(step.run(iter(docs)))
    assert [d.id for d in out] == ["d"]  # a document with nothing left is dropped whole
    assert out[0].text == f"{GOOD_1}\n\n{GOOD_2}"
    assert out[0].metadata["benchmark_items"] == ["mytask:2:context"]


def test_the_pipeline_runs_decontamination_as_a_stage_between_exact_dedup_and_minhash(tmp_path):
    from kinyu.base.config import load_config
    from kinyu.corpus.config import CorpusConfig
    from kinyu.corpus.dedup.marks import RankFileJsonlReader
    from kinyu.corpus.pipeline import build_stages
    from kinyu.corpus.progress import ProgressReporter

    bench = small_benchmark(tmp_path)
    run = tmp_path / "run"

    def stages(**over):
        cfg = load_config(CorpusConfig, None, {"output": str(run), "decontamination.enabled": True,
                                               "decontamination.benchmark_paths": [str(bench)], **over})
        return {s.name: s for s in build_stages(cfg)}

    both = stages()
    assert list(both)[1:9] == ["exact_signatures", "exact_duplicates", "exact_filter", "decontamination",
                               "minhash_signatures", "minhash_buckets", "minhash_clusters", "minhash_filter"]
    reader, progress, step, writer = both["decontamination"].pipeline
    # it reads what exact dedup kept, by rank (counted for the progress bar), and MinHash reads what it kept
    assert isinstance(progress, ProgressReporter) and both["decontamination"].progress == "docs"
    assert isinstance(reader, RankFileJsonlReader) and reader.data_folder.path == str(run / "work" / "exact_filter")
    assert isinstance(step, BenchmarkDecontaminationFilter) and writer.output_folder.path == str(run / "work" / "decontamination")
    assert both["minhash_signatures"].pipeline[0].data_folder.path == str(run / "work" / "decontamination")
    assert not any(isinstance(s, BenchmarkDecontaminationFilter) for s in both["exact_filter"].pipeline)
    # without exact dedup it reads the filtered documents; without MinHash it writes docs/
    assert list(stages(**{"dedup.exact": False}))[1:3] == ["decontamination", "minhash_signatures"]
    alone = stages(**{"dedup.exact": False, "dedup.minhash": False})["decontamination"].pipeline
    assert alone[0].data_folder.path == str(run / "work" / "filtered") and alone[-1].output_folder.path == str(run / "docs")
