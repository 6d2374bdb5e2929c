"""Cross-document paragraph dedup (``kinyu.corpus.dedup.paragraphs``): 有報-like documents that
share their 注意書き, the kept copy, tables left alone, the count per filing folder, worker and task
counts, and a real build over three shared filings."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter

from kinyu.corpus.dedup import DedupConfig, dedup_stages, run_stages_locally
from kinyu.corpus.dedup.config import ParagraphDedupConfig
from kinyu.corpus.dedup.paragraphs import units
from kinyu.corpus.extract.readers import read_jsonl_gz
from testkit.shared import shared

FORWARD = "文中の将来に関する事項は、当連結会計年度末現在において当社グループが判断したものであります。"
AUDIT = "当監査法人は、我が国において一般に公正妥当と認められる監査の基準に従って監査を行った。"
HEADING = "【事業等のリスク】"
CAPTION = "(単位:百万円)"
TABLE = "| | 前連結会計年度 | 当連結会計年度 |\n| --- | --- | --- |\n| 売上高 | 608,131 | 642,273 |"


def filing(name: str, own: str) -> str:
    return "\n".join([HEADING, f"{name}は{own}", FORWARD, CAPTION, TABLE, AUDIT])


def documents() -> list[list[Document]]:
    """Four 有報 in three filing folders (S100B has two section files), over two input ranks."""
    def doc(folder: str, section: str, text: str) -> Document:
        source = f"/filings/{folder}/{folder}-{section}.html"
        return Document(text=text, id=f"reports/{folder}/{folder}-{section}.html", metadata={"source": source})

    return [
        [doc("S100C", "0102010", filing("C社", "半導体製造装置の開発を進めております。")),
         doc("S100A", "0102010", filing("A社", "家具・インテリア用品を販売しております。"))],
        [doc("S100B", "0102010", filing("B社", "物流倉庫の運営を行っております。")),
         doc("S100B", "0104010", "B社の株式事務は、株主名簿管理人が取り扱っております。\n" + FORWARD),
         doc("S100D", "0102010", "\n".join([HEADING, FORWARD, AUDIT]))],  # nothing of its own
    ]


def run(tmp: Path, cfg: ParagraphDedupConfig, tasks: int = 2, workers: int = 1) -> tuple[dict[str, str], list[dict]]:
    with JsonlWriter(str(tmp / "in"), output_filename="${rank}.jsonl.gz") as w:
        for rank, docs in enumerate(documents()):
            for d in docs:
                w.write(d, rank)
    stages = dedup_stages(DedupConfig(exact=False, minhash=False, paragraphs=cfg), str(tmp / "in"), str(tmp / "out"),
                          str(tmp / "work"), str(tmp / "removed"), tasks=tasks)
    assert [s[0] for s in stages] == ["paragraph_signatures", "paragraph_repeats", "paragraph_filter"]
    run_stages_locally(stages, str(tmp / "logs"), workers=workers)
    kept = {r["id"]: r["text"] for r in read_jsonl_gz(tmp / "out")}
    return kept, list(read_jsonl_gz(tmp / "removed" / "paragraph_dedup"))


def test_repeated_notes_are_kept_once_in_the_first_filing_and_tables_stay(tmp_path):
    kept, removed = run(tmp_path, ParagraphDedupConfig(enabled=True, min_documents=3, count_per="folder", min_doc_chars=20))
    a = kept["reports/S100A/S100A-0102010.html"]
    assert a == filing("A社", "家具・インテリア用品を販売しております。")  # the smallest source keeps everything
    c = kept["reports/S100C/S100C-0102010.html"]
    # the same table rows stay, and the caption above them
    assert c == "\n".join(["C社は半導体製造装置の開発を進めております。", CAPTION, TABLE])
    # S100B: its two section files count once; the note is in 4 folders, so both files lose it
    assert kept["reports/S100B/S100B-0104010.html"] == "B社の株式事務は、株主名簿管理人が取り扱っております。"
    assert "reports/S100D/S100D-0102010.html" not in kept  # left with nothing of its own
    blocks = [r for r in removed if "parent_id" in r["metadata"]]
    whole = [r for r in removed if "parent_id" not in r["metadata"]]
    assert [r["id"] for r in whole] == ["reports/S100D/S100D-0102010.html"]
    assert whole[0]["metadata"]["filter_reason"] == "boilerplate_only"
    note = [r for r in blocks if r["text"] == FORWARD]
    assert len(note) == 4 and {r["metadata"]["documents"] for r in note} == {4}
    assert {r["metadata"]["kept_id"] for r in note} == {"reports/S100A/S100A-0102010.html"}
    assert {r["metadata"]["filter_reason"] for r in blocks} == {"repeated_paragraph"}
    c_block = next(r for r in note if r["metadata"]["parent_id"] == "reports/S100C/S100C-0102010.html")
    assert c_block["id"] == "reports/S100C/S100C-0102010.html#L2" and c_block["metadata"]["line_no"] == 2
    assert CAPTION not in {r["text"] for r in blocks}


def test_the_threshold_and_the_count_key(tmp_path):
    # per folder, the heading is in 4 folders: min 5 keeps it everywhere (nothing is removed)
    kept, removed = run(tmp_path / "five", ParagraphDedupConfig(enabled=True, min_documents=5, count_per="folder"))
    assert not removed and len(kept) == 5
    # per document, the note is in 5 documents, the heading in 4: min 5 takes the note only
    kept, removed = run(tmp_path / "docs", ParagraphDedupConfig(enabled=True, min_documents=5, count_per="document"))
    assert {r["text"] for r in removed if "parent_id" in r["metadata"]} == {FORWARD}
    assert HEADING in kept["reports/S100C/S100C-0102010.html"]
    # a unit below min_chars is never counted: the heading (9 characters) stays at min_chars 10
    kept, removed = run(tmp_path / "short", ParagraphDedupConfig(enabled=True, min_documents=2, min_chars=10))
    blocks = {r["text"] for r in removed if "parent_id" in r["metadata"]}
    assert HEADING not in blocks and FORWARD in blocks


def test_the_result_does_not_depend_on_tasks_or_workers(tmp_path):
    cfg = ParagraphDedupConfig(enabled=True, min_documents=2)
    one = run(tmp_path / "one", cfg, tasks=1)
    three = run(tmp_path / "three", cfg, tasks=3, workers=2)
    assert one[0] == three[0]
    assert sorted(r["id"] for r in one[1]) == sorted(r["id"] for r in three[1])


def test_units_leave_tables_whole_and_paragraphs_split_on_blank_lines():
    text = f"見出し\n{CAPTION}\n{TABLE}\n注記です。\n\n第二段落の一行目\n第二段落の二行目"
    assert [u[2] for u in units(text, "line", 1)] == ["見出し", "注記です。", "第二段落の一行目", "第二段落の二行目"]
    paragraphs = units(text, "paragraph", 1)
    assert [(u[0], u[2]) for u in paragraphs] == [(7, "第二段落の一行目 第二段落の二行目")]  # the first holds a table


def test_bad_settings_are_refused():
    from kinyu.base.config import ConfigError, validate

    with pytest.raises(ConfigError, match="min_documents must be >= 2"):
        validate(DedupConfig(paragraphs=ParagraphDedupConfig(enabled=True, min_documents=1)), "dedup")


@pytest.mark.real_data
def test_a_build_of_three_real_filings_keeps_their_shared_headings_once(tmp_path):
    """Three filings' 提出会社の状況 sections through a real build: the standard headings they share
    (「(3) 【監査の状況】」 …) stay in the first filing only; their tables stay in all three."""
    from kinyu.base import u4
    from kinyu.corpus.config import CorpusConfig
    from kinyu.corpus.pipeline import build

    reports = u4.unpack(shared("filings-u4"), tmp_path / "u4", "valid")
    folders = sorted(reports.iterdir())[:3]
    inputs = [str(f) for d in folders for f in sorted(d.glob("*-0104010.html"))]
    assert len(inputs) == 3
    cfg = CorpusConfig(output=str(tmp_path / "run"))
    cfg.input.paths = inputs
    cfg.cache.enabled = False
    cfg.dedup.minhash = False
    cfg.tokenize.enabled = False
    cfg.executor.tasks = 2
    cfg.dedup.paragraphs = ParagraphDedupConfig(enabled=True, min_documents=3, count_per="folder")
    run = build(cfg)
    kept = {r["metadata"]["source"]: r["text"] for r in read_jsonl_gz(run / "docs")}
    removed = [r for r in read_jsonl_gz(run / "removed" / "paragraph_dedup") if "parent_id" in r["metadata"]]
    first = min(kept)
    assert removed and all(r["metadata"]["kept_source"] == first for r in removed)
    assert {r["metadata"]["documents"] for r in removed} == {3}
    for r in removed:  # gone from the others, still in the first
        assert r["text"] in kept[first].split("\n")
        assert r["text"] not in kept[r["metadata"]["source"]].split("\n")
    assert any(r["text"].endswith("【監査の状況】") for r in removed), [r["text"] for r in removed]
    assert not any(r["text"].startswith("|") for r in removed)  # no table row
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["accounting"]["balanced"], manifest["accounting"]
    assert "paragraph_filter" in manifest["timings_s"]
