"""Exact and MinHash dedup stages (kinyu.corpus.dedup) on small synthetic corpora."""

from __future__ import annotations

from pathlib import Path

import pytest
from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter
from rich.console import Console

from kinyu.corpus.dedup import (
    CharNgramTokenizer,
    DedupConfig,
    JapaneseMinhashSignature,
    dedup_check,
    dedup_stages,
    print_clusters,
    run_stages_locally,
)
from kinyu.corpus.extract.readers import read_jsonl_gz

PROSE = (
    "当社グループは、経営理念に基づき持続的な成長と企業価値の向上を目指しております。"
    "当連結会計年度における売上高は、主力製品の販売が堅調に推移したことにより増加いたしました。"
    "今後も新規事業への投資を継続し、収益基盤の強化に努めてまいります。"
)
OTHER = (
    "本資料は、金融商品取引法に基づく開示書類の作成方法について説明するものであり、"
    "記載内容の正確性について保証するものではありません。投資判断は自己の責任で行ってください。"
) * 2
THIRD = "市場金利の上昇局面では、債券価格は下落する傾向があり、保有する有価証券の評価損益に影響を与えます。" * 2


def write_inputs(folder: Path, files: list[list[Document]]) -> None:
    """One ``{rank:05d}.jsonl.gz`` per inner list, as the lead's filter stage writes them."""
    with JsonlWriter(str(folder), output_filename="${rank}.jsonl.gz") as w:
        for rank, docs in enumerate(files):
            for d in docs:
                w.write(d, rank)


def read_folder(folder: Path) -> list[dict]:
    return list(read_jsonl_gz(folder))


def doc(text: str, doc_id: str, source: str) -> Document:
    return Document(text=text, id=doc_id, metadata={"source": source, "sha256": "0" * 64, "format": "txt"})


def run(tmp: Path, files: list[list[Document]], cfg: DedupConfig, tasks: int, workers: int = 1) -> dict[str, list[dict]]:
    write_inputs(tmp / "in", files)
    stages = dedup_stages(cfg, str(tmp / "in"), str(tmp / "out"), str(tmp / "work"), str(tmp / "removed"), tasks=tasks)
    run_stages_locally(stages, str(tmp / "logs"), workers=workers)
    return {
        "out": read_folder(tmp / "out"),
        "exact": read_folder(tmp / "removed" / "exact_dedup"),
        "minhash": read_folder(tmp / "removed" / "minhash_dedup"),
    }


def test_exact_dedup_within_and_across_inputs_records_kept_id(tmp_path):
    files = [
        [
            doc(PROSE, "z.pdf#0", "raw/z.pdf"),
            doc(OTHER, "m.html#0", "raw/m.html"),
            doc(OTHER + "\n", "m2.html#0", "raw/m2.html"),  # same text but a trailing newline: exact dup
        ],
        [doc(PROSE, "a.pdf#0", "raw/a.pdf"), doc(THIRD, "t.txt#0", "raw/t.txt")],
    ]
    result = run(tmp_path, files, DedupConfig(minhash=False), tasks=2)

    kept_ids = [r["id"] for r in result["out"]]
    assert kept_ids == ["m.html#0", "a.pdf#0", "t.txt#0"]  # input order per rank file
    removed = {r["id"]: r["metadata"] for r in result["exact"]}
    assert set(removed) == {"z.pdf#0", "m2.html#0"}
    # across inputs: the copy with the smallest (source, id) survives, whichever file it is in
    assert removed["z.pdf#0"]["kept_id"] == "a.pdf#0"
    assert removed["z.pdf#0"]["duplicate_of"] == "a.pdf#0"
    assert removed["z.pdf#0"]["kept_source"] == "raw/a.pdf"
    # within one input
    assert removed["m2.html#0"]["kept_id"] == "m.html#0"
    assert all(m["filter_reason"] == "exact_duplicate" for m in removed.values())
    assert all(m["duplicate_group_size"] == 2 for m in removed.values())


def near_copy(text: str, k: int) -> str:
    """The text with a small revision: one sentence reworded, as between report years."""
    return text.replace("増加いたしました", f"{k}%増加いたしました")


def near_dup_files() -> list[list[Document]]:
    return [
        [doc(PROSE * 3, "c.pdf#0", "raw/c.pdf"), doc(OTHER, "o.html#0", "raw/o.html")],
        [doc(near_copy(PROSE * 3, 5), "b.pdf#0", "raw/b.pdf"), doc(THIRD, "t.txt#0", "raw/t.txt")],
        [doc(near_copy(PROSE * 3, 7), "d.pdf#0", "raw/d.pdf"), doc(PROSE * 3, "a.pdf#0", "raw/a.pdf")],
    ]


def test_minhash_removes_near_duplicates_keeping_smallest_id(tmp_path):
    result = run(tmp_path, near_dup_files(), DedupConfig(), tasks=3)
    assert sorted(r["id"] for r in result["out"]) == ["a.pdf#0", "o.html#0", "t.txt#0"]
    # c is an exact copy of a; b and d are near copies of a
    assert {r["id"]: r["metadata"]["kept_id"] for r in result["exact"]} == {"c.pdf#0": "a.pdf#0"}
    mh = {r["id"]: r["metadata"] for r in result["minhash"]}
    assert set(mh) == {"b.pdf#0", "d.pdf#0"}
    for m in mh.values():
        assert m["filter_reason"] == "minhash_duplicate"
        assert m["kept_id"] == m["duplicate_of"] == "a.pdf#0"
        assert m["cluster_size"] == 3
    assert mh["b.pdf#0"]["cluster_id"] == mh["d.pdf#0"]["cluster_id"]


def test_output_is_independent_of_workers_and_tasks(tmp_path):
    a = run(tmp_path / "a", near_dup_files(), DedupConfig(), tasks=3, workers=1)
    b = run(tmp_path / "b", near_dup_files(), DedupConfig(), tasks=3, workers=2)
    c = run(tmp_path / "c", near_dup_files(), DedupConfig(), tasks=1)

    def strip(rows):  # file_path names the (different) run folder
        return [(r["id"], r["text"], {k: v for k, v in r["metadata"].items() if k != "file_path"}) for r in rows]

    for key in ("out", "exact", "minhash"):
        assert strip(a[key]) == strip(b[key])
        assert sorted(strip(a[key]), key=str) == sorted(strip(c[key]), key=str)


def test_stage_list_shape_and_bad_config(tmp_path):
    stages = dedup_stages(DedupConfig(), "in", "out", str(tmp_path / "w"), str(tmp_path / "r"), tasks=4)
    assert [(name, n) for name, _, n in stages] == [
        ("exact_signatures", 4),
        ("exact_duplicates", 1),
        ("exact_filter", 4),
        ("minhash_signatures", 4),
        ("minhash_buckets", DedupConfig().num_buckets),
        ("minhash_clusters", 1),
        ("minhash_filter", 4),
    ]
    with pytest.raises(ValueError, match="dedup.ngram"):
        dedup_stages(DedupConfig(ngram=0), "in", "out", "w", "r", tasks=1)
    with pytest.raises(ValueError, match="tasks"):
        dedup_stages(DedupConfig(), "in", "out", "w", "r", tasks=0)


def test_char_shingles_are_character_ngrams(tmp_path):
    step = JapaneseMinhashSignature(str(tmp_path), DedupConfig(ngram=3).minhash_config(), CharNgramTokenizer())
    # simplify_text drops punctuation and spaces: 金融商品取引 -> 4 distinct 3-grams
    assert step.get_shingles("金融 商品、取引").shape == (4, 1)
    assert step.get_shingles("金融金融金融").shape == (2, 1)  # 金融金, 融金融: repeats hashed once
    assert CharNgramTokenizer().word_tokenize("有価 証券") == ["有", "価", "証", "券"]


def test_dedup_check_clusters_and_table():
    texts = {
        "a": PROSE * 3,
        "b": near_copy(PROSE * 3, 5),
        "c": OTHER,
        "d": THIRD,
        "e": THIRD.replace("影響を与えます", "影響を及ぼします"),
    }
    clusters = dedup_check(texts, threshold=0.8, ngram=7)
    assert [c.members for c in clusters] == [["a", "b"]]  # d~e: Jaccard 0.69, below 0.8
    assert clusters[0].kept == "a"
    assert 0.8 <= clusters[0].similarity["b"] < 1.0
    console = Console(record=True, width=120)
    print_clusters(clusters, console=console)
    out = console.export_text()
    assert "kept" in out and "duplicate" in out and "b" in out
    # strings by position and Documents by id work too
    assert [c.members for c in dedup_check([PROSE * 3, OTHER, PROSE * 3])] == [["0", "2"]]
    docs = [Document(text=PROSE * 3, id="x"), Document(text=PROSE * 3, id="y")]
    assert dedup_check(docs)[0].members == ["x", "y"]
    with pytest.raises(ValueError, match="threshold"):
        dedup_check(texts, threshold=0)


def test_configs_load_from_yaml_with_overrides(tmp_path):
    from kinyu.base.config import ConfigError, load_config

    from kinyu.corpus.decontam import DecontaminationConfig

    path = tmp_path / "dedup.yaml"
    path.write_text("shingle: fugashi\nngram: 5\nnum_buckets: 20\n", encoding="utf-8")
    cfg = load_config(DedupConfig, path, overrides={"hashes_per_bucket": "6"})
    assert (cfg.shingle, cfg.ngram, cfg.num_buckets, cfg.hashes_per_bucket) == ("fugashi", 5, 20, 6)
    assert cfg.minhash_config().n_grams == 5
    with pytest.raises(ConfigError, match="shingle"):
        load_config(DedupConfig, overrides={"shingle": "spacy"})
    with pytest.raises(ConfigError, match="ngram"):
        load_config(DedupConfig, overrides={"ngram": "0"})
    decon = load_config(DecontaminationConfig, overrides={"mode": "document", "benchmark_paths": "a,b"})
    assert decon.mode == "document" and decon.benchmark_paths == ["a", "b"] and decon.ngram == 13


def test_dedup_check_folder_reads_a_run_folder(tmp_path):
    from kinyu.corpus.dedup import dedup_check_folder

    write_inputs(tmp_path / "docs", [[doc(PROSE * 3, "x", "x.pdf"), doc(OTHER, "y", "y.pdf")], [doc(near_copy(PROSE * 3, 5), "z", "z.pdf")]])
    clusters = dedup_check_folder(tmp_path / "docs", threshold=0.8)
    assert [(c.kept, c.members) for c in clusters] == [("x", ["x", "z"])]
    with pytest.raises(FileNotFoundError, match="no .jsonl"):
        dedup_check_folder(tmp_path / "empty")


COMPREHENSIVE_INCOME_ROWS = (
    "当期純利益", "その他の包括利益", "その他有価証券評価差額金", "繰延ヘッジ損益", "為替換算調整勘定",
    "退職給付に係る調整額", "持分法適用会社に対する持分相当額", "その他の包括利益合計", "包括利益",
    "親会社株主に係る包括利益", "非支配株主に係る包括利益",
)


def statement(figures: list[tuple[str, str]]) -> str:
    """A 連結包括利益計算書 as kinyu writes it: every filer has these row labels, with its own figures."""
    header = "| | 前連結会計年度 (自2018年4月1日至2019年3月31日) | 当連結会計年度 (自2019年4月1日至2020年3月31日) |"
    rows = [f"| {label} | {a} | {b} |" for label, (a, b) in zip(COMPREHENSIVE_INCOME_ROWS, figures)]
    return "\n".join(["【連結包括利益計算書】", "(単位:百万円)", header, "| --- | --- | --- |", *rows])


def test_two_filers_statements_are_not_near_duplicates_but_a_copy_is(tmp_path):
    import random

    def figures(seed: int) -> list[tuple[str, str]]:
        rng = random.Random(seed)
        return [(f"{rng.randint(1, 900_000):,}", f"△{rng.randint(1, 900_000):,}") for _ in COMPREHENSIVE_INCOME_ROWS]

    a, b = statement(figures(1)), statement(figures(2))
    files = [[doc(a, "S100A-0105025.html", "a.html")], [doc(b, "S100B-0105025.html", "b.html")],
             [doc(a.replace("(単位:百万円)", "(単位:百万円)\n訂正"), "S100C-0105025.html", "c.html")]]
    # one hash per band: any shared shingle is likely to meet in some band, as among thousands
    # of filings a pair at Jaccard 0.3 meets now and then with the default bands
    loose = dict(num_buckets=25, hashes_per_bucket=1)
    result = run(tmp_path / "checked", files, DedupConfig(**loose), tasks=3)
    # the other filer's statement stays; the copy of a (one line added) goes as a's near-duplicate
    assert sorted(r["id"] for r in result["out"]) == ["S100A-0105025.html", "S100B-0105025.html"]
    assert {r["id"]: r["metadata"]["kept_id"] for r in result["minhash"]} == {"S100C-0105025.html": "S100A-0105025.html"}
    # without the check on all MinHash values, the pair that met in a band is joined
    unchecked = run(tmp_path / "unchecked", files, DedupConfig(**loose, min_similarity=0.0), tasks=3)
    assert [r["id"] for r in unchecked["out"]] == ["S100A-0105025.html"]
    # the two statements share their labels, not their figures: well below the check's 0.5
    step = JapaneseMinhashSignature(str(tmp_path / "sig"), DedupConfig().minhash_config(), CharNgramTokenizer())
    sa, sb = set(step.get_shingles(a).ravel()), set(step.get_shingles(b).ravel())
    assert 0.1 < len(sa & sb) / len(sa | sb) < 0.4
