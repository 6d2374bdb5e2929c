"""Quality filters on the shared real data and the embedded sample, and through a real
datatrove executor (removed/ output with reasons)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest
from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter

from kinyu.corpus.extract.decode import decode_bytes
from kinyu.corpus.filters import JapaneseLineCleaner, QualityConfig, quality_steps
from kinyu.corpus.filters import analysis as A
from kinyu.corpus.extract.html import extract_html
from kinyu.corpus.japanese import pos_tagger, tagger
from kinyu.corpus.normalize import normalize_japanese
from kinyu.corpus.sample import sample_files
from testkit.realdata import chabsa_documents, edinet_sections
from testkit.shared import shared


def run_chain(pairs, cfg=None):
    steps = quality_steps(cfg or QualityConfig(), None)
    data = iter([Document(text=t, id=n, metadata={"source": n}) for n, t in pairs])
    for step in steps:
        data = step.run(data)
    kept = list(data)
    reasons = {k: v.total for s in steps for k, v in s.stats.stats.items() if k.startswith("dropped_")}
    return kept, reasons


@pytest.fixture(scope="module")
def chabsa():
    shared("real", "chabsa-json")
    return chabsa_documents()


@pytest.fixture(scope="module")
def edinet_tables():
    shared("real", "edinet-asr-html")
    # 第4【提出会社の状況】 (table-heavy) of two groups, and one prose section
    # trafilatura's raw rows: what is residue without a header line (tables as tables: test_tables.py)
    return edinet_sections("edinet-asr-html/S100[IT][SQ][AD][8T]-010[24]010.html", tables="trafilatura")


@pytest.mark.real_data
def test_chabsa_company_documents_are_kept(chabsa):
    kept, reasons = run_chain(chabsa)
    assert len(chabsa) == 230
    assert len(kept) == len(chabsa), reasons
    # and they keep their sentences: the line cleaner takes a copyright line and 7 notes that a
    # company repeats word for word (kept once), 8 of 6,119 lines
    lines_in = sum(t.count("\n") + 1 for _, t in chabsa)
    removed = sum(d.metadata["quality"]["removed_lines"] for d in kept)
    assert removed <= lines_in / 500


@pytest.mark.real_data
def test_chabsa_without_restored_periods_is_kept_too(chabsa):
    bare = chabsa_documents(add_period=False)
    kept, reasons = run_chain(bare)
    assert len(kept) >= 0.99 * len(bare), reasons


@pytest.mark.real_data
def test_edinet_tables_lose_residue_and_keep_prose(edinet_tables):
    assert len(edinet_tables) == 4
    for name, text in edinet_tables:
        doc = Document(text=text, id=name, metadata={})
        blocks = JapaneseLineCleaner().clean(doc)
        kept_lines = set(doc.text.split("\n"))
        # every prose line (a sentence that ends in 。, outside a table) is still there
        prose = [line for line in text.split("\n") if line.endswith("。") and "|" not in line]
        assert prose and all(line in kept_lines for line in prose), name
        if "0104010" in name:
            assert sum(b[2].count("\n") + 1 for b in blocks) > 100, name
            # no number-only table row is left
            assert not [line for line in kept_lines if line.startswith("|") and not re.search(r"[ぁ-ん]", line)]


@pytest.mark.real_data
def test_edinet_sections_and_the_cover_form_pass_the_chain():
    shared("real", "edinet-asr-html")
    pairs = edinet_sections("edinet-asr-html/S100TLCL-0*.html")  # cover, 第2, 第4 of JPX FY2023
    kept, reasons = run_chain(pairs)
    assert sorted(d.id for d in kept) == ["S100TLCL-0000000.html", "S100TLCL-0102010.html", "S100TLCL-0104010.html"]
    assert reasons == {}
    # the cover is its form as a table: the filer's name, address and filing date (U4 asks for them)
    cover = next(d for d in kept if d.id == "S100TLCL-0000000.html").text
    assert "| 【会社名】 | 株式会社日本取引所グループ |" in cover.split("\n")
    # trafilatura's raw rows of the same cover are residue, all removed: too short
    _, reasons = run_chain(edinet_sections("edinet-asr-html/S100TLCL-0000000.html", tables="trafilatura"))
    assert reasons == {"dropped_too_short": 1}


def test_embedded_sample_text_files():
    """The embedded sample's text and HTML files come out of the chain as its manifest says.
    Every one of them decodes (undecodable files are the quarantine's, and expected as such)."""
    files = [f for f in sample_files() if f.format in ("txt", "html") and f.action in ("keep", "drop")]
    assert files, "the embedded sample has no text/HTML files to keep or drop"
    pairs, expect = [], {}
    for f in files:
        raw = decode_bytes(f.path.read_bytes()).text
        text = extract_html(raw)[0] if f.format == "html" else raw
        pairs.append((f.file, normalize_japanese(text)))
        expect[f.file] = f.action
    kept, _ = run_chain(pairs)
    kept_ids = {d.id for d in kept}
    wrong = [n for n, action in expect.items() if (n in kept_ids) != (action == "keep")]
    assert not wrong, wrong


@pytest.mark.real_data
def test_local_executor_writes_removed_with_reasons(tmp_path, chabsa):
    edinet = shared("real", "edinet-asr-html")
    inputs = tmp_path / "in"
    inputs.mkdir()
    docs = [{"id": n, "text": t, "metadata": {"source": n}} for n, t in chabsa[:20]]
    docs += [{"id": n, "text": t, "metadata": {"source": n}} for n, t in edinet_sections("edinet-asr-html/S100ISA8-0*.html")]
    docs.append({"id": "english", "text": "Net sales rose 12% to 45.6 billion yen. " * 5, "metadata": {}})
    docs.append({"id": "ads", "text": "\n".join(["【期間限定】今なら口座開設で最大5万円プレゼント!詳しくはこちらをご覧ください。"] * 8), "metadata": {}})
    with gzip.open(inputs / "docs.jsonl.gz", "wt", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    assert edinet.exists()
    removed = tmp_path / "removed"
    out = tmp_path / "out"
    LocalPipelineExecutor(
        [JsonlReader(str(inputs)), *quality_steps(QualityConfig(), removed), JsonlWriter(str(out))],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    ).run()

    def read(folder: Path) -> list[dict]:
        return [json.loads(line) for p in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(p, "rt", encoding="utf-8")]

    kept = read(out)
    assert {d["id"] for d in kept} >= {n for n, _ in chabsa[:20]}
    assert all("quality" in d["metadata"] and "finance_score" in d["metadata"]["quality"] for d in kept)
    dropped = {d["id"]: d["metadata"]["filter_reason"] for sub in removed.iterdir() if sub.name != "line_clean" for d in read(sub)}
    # the advert repeated 8 times: the line cleaner keeps one copy, too short to be a document
    assert dropped["english"] == "not_japanese" and dropped["ads"] == "too_short"
    assert "S100ISA8-0000000.html" in {d["id"] for d in kept}  # the cover form, as a table
    blocks = read(removed / "line_clean")
    assert blocks and {b["metadata"]["filter_reason"] for b in blocks} >= {"table_residue"}
    assert all(b["metadata"]["parent_id"] and b["metadata"]["line_no"] >= 1 for b in blocks)
    stats = json.loads((tmp_path / "logs" / "stats.json").read_text())
    assert any("dropped_not_japanese" in s.get("stats", {}) for s in stats)


@pytest.mark.real_data
def test_word_classes_from_mecab_ids_agree_with_fugashi_pos(chabsa):
    """The analysis reads MeCab's part-of-speech id instead of fugashi's feature strings: on real
    prose both must give the same word class for every token."""
    by_pos1 = {"名詞": A.NOUN, "代名詞": A.NOUN, "接頭辞": A.NOUN, "接尾辞": A.NOUN, "助詞": A.PARTICLE,
               "助動詞": A.AUX, "動詞": A.VERB, "形容詞": A.VERB, "補助記号": A.SYMBOL, "記号": A.SYMBOL}  # fmt: skip
    checked = 0
    for _, text in chabsa[:40]:
        for line in text.split("\n"):
            expected = [by_pos1.get(w.feature.pos1, A.OTHER) for w in tagger()(line)]
            ids = np.array(pos_tagger().parse(line).split(), dtype=np.int64)
            assert A._TOKEN_CLASS[ids].tolist() == expected, line
            checked += len(expected)
    assert checked > 10_000
