"""JSON, JSONL and Parquet inputs: one document per record, the text from a configurable field
path (datatrove's text_key), the same provenance and accounting as any other input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from datatrove.data import Document

from kinyu.corpus.extract.readers import RawFileReader, read_jsonl_gz, sniff_format
from kinyu.corpus.extract.records import MissingField, field_text, record_text
from testkit.shared import shared


def read(path: Path, **kw) -> list[Document]:
    return list(RawFileReader([str(path)], **kw).run())


def test_field_paths():
    rec = {"text": "本文", "a": {"b": "入れ子"}, "sentences": [{"sentence": "一文目"}, {"sentence": "二文目"}], "n": 3}
    assert field_text(rec, "text") == "本文"
    assert field_text(rec, "a.b") == "入れ子"
    assert field_text(rec, "sentences[].sentence") == "一文目\n二文目"
    assert field_text(rec, "body") is None  # absent: the next key is tried
    with pytest.raises(TypeError, match="'n' is int, not a string"):
        field_text(rec, "n")
    with pytest.raises(KeyError, match="no 'x'"):
        field_text(rec, "sentences[].x")
    assert record_text(rec, ("body", "a.b")) == "入れ子"
    with pytest.raises(MissingField, match=r"none of the text fields \['body'\] .* it has: text, a, sentences, n"):
        record_text(rec, ("body",))


def test_formats_are_sniffed():
    assert sniff_format("x.json", b"{") == "json"
    assert sniff_format("x.parquet", b"") == "parquet" and sniff_format("x.bin", b"PAR1....") == "parquet"
    assert sniff_format("x.jsonl.gz", b"\x1f\x8b") == "jsonl" and sniff_format("x.json.gz", b"") == "jsonl"


def test_json_list_object_and_bad_records(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    (data / "list.json").write_text(json.dumps([{"text": "一つ目の文書です。", "id": 7, "metadata": {"url": "u"}},
                                                {"title": "本文なし"}, {"text": "三つ目。"}], ensure_ascii=False))
    (data / "chabsa_like.json").write_text(json.dumps({"header": {"document_id": "E1"}, "sentences": [
        {"sentence": "売上高は増加しました", "opinions": []}, {"sentence": "利益は減少しました", "opinions": []}]}, ensure_ascii=False))
    (data / "broken.json").write_text('{"text": "閉じていない')
    docs = {d.id: d for d in read(data)}
    assert set(docs) == {"in/list.json#1", "in/list.json#2", "in/list.json#3", "in/chabsa_like.json", "in/broken.json"}
    first = docs["in/list.json#1"]
    assert first.text == "一つ目の文書です。"
    assert {k: first.metadata[k] for k in ("format", "record", "record_id", "record_metadata", "extractor")} == {
        "format": "json", "record": 1, "record_id": "7", "record_metadata": {"url": "u"}, "extractor": "json"}
    assert first.metadata["source"] == str(data / "list.json") and len(first.metadata["sha256"]) == 64
    assert first.metadata["bytes"] == (data / "list.json").stat().st_size
    bad = docs["in/list.json#2"].metadata["quarantine"]
    assert bad["reason"] == "bad_record" and "record 2" in bad["detail"] and "it has: title" in bad["detail"]
    assert docs["in/chabsa_like.json"].text == "売上高は増加しました\n利益は減少しました"
    assert "record" not in docs["in/chabsa_like.json"].metadata  # the file is the one record
    assert docs["in/broken.json"].metadata["quarantine"]["reason"] == "corrupt"


def test_jsonl_and_parquet_with_a_configured_text_key(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"body": f"第{i}四半期の売上高は増加しました。", "id": f"r{i}", "n": i} for i in range(1, 2500)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet", row_group_size=1000)
    (tmp_path / "lines.jsonl.gz").write_bytes(gzip.compress(
        ("\n".join(json.dumps(r, ensure_ascii=False) for r in rows[:3]) + "\nnot json\n").encode()))
    docs = read(tmp_path, text_keys=("text", "body"))
    parquet = [d for d in docs if d.metadata["format"] == "parquet"]
    assert len(parquet) == 2499 and parquet[-1].id == f"{tmp_path.name}/rows.parquet#2499"
    assert parquet[0].metadata["row"] == 1 and parquet[0].metadata["record_id"] == "r1"
    assert parquet[0].text == rows[0]["body"] and parquet[0].metadata["extractor"] == "parquet"
    lines = [d for d in docs if d.metadata["format"] == "jsonl"]
    assert [d.metadata.get("line") for d in lines] == [1, 2, 3, 4]
    assert lines[3].metadata["quarantine"]["reason"] == "bad_jsonl_record"
    # the default keys find no 'body': each record is quarantined with a reason that says what to set
    missing = read(tmp_path / "rows.parquet")[0].metadata["quarantine"]
    assert missing["reason"] == "bad_record" and "input.text_keys" in missing["detail"] and "body" in missing["detail"]
    with pytest.raises(StopIteration):
        next(iter(d for d in read(tmp_path / "rows.parquet") if "quarantine" not in d.metadata))


def test_build_reads_json_and_parquet_and_accounts_for_every_record(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kinyu.cli import main
    from kinyu.corpus.sample import sample_dir

    texts = [p.read_text(encoding="utf-8") for p in sorted(sample_dir().glob("*.txt")) if p.stat().st_size > 2000][:4]
    data = tmp_path / "in"
    data.mkdir()
    (data / "a.json").write_text(json.dumps([{"content": {"body": t}} for t in texts[:2]] + [{"other": 1}], ensure_ascii=False))
    pq.write_table(pa.Table.from_pylist([{"content": {"body": t}} for t in texts[2:]]), data / "b.parquet")
    out = tmp_path / "run"
    assert main(["corpus", "build", "--input", str(data), "--output", str(out), "--tasks", "2", "--cache.enabled", "false",
                 "--input.text_keys", "text", "--input.text_keys", "content.body"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    acc = manifest["accounting"]
    assert (acc["inputs"], acc["input_files"], acc["quarantined"]) == (5, 2, 1) and acc["balanced"]
    kept = list(read_jsonl_gz(out / "docs"))
    assert {r["metadata"]["format"] for r in kept} == {"json", "parquet"} and len(kept) >= 3
    assert sorted(Path(i["path"]).name for i in manifest["inputs"]) == ["a.json", "b.parquet"]
    quarantine = [json.loads(line) for line in (out / "quarantine.jsonl").read_text().splitlines()]
    assert [(q["id"], q["reason"]) for q in quarantine] == [("in/a.json#3", "bad_record")]


@pytest.mark.real_data
def test_chabsa_files_are_read_not_quarantined_and_a_build_warns_without_decontamination(tmp_path, capsys):
    from kinyu.base.config import load_config
    from kinyu.corpus.config import CorpusConfig
    from kinyu.corpus.pipeline import warn_benchmark_inputs

    folder = shared("real", "chabsa-json")
    files = sorted(folder.glob("*.json"))
    docs = read(folder)
    assert len(files) == len(docs) == 230
    assert not [d.id for d in docs if "quarantine" in d.metadata]
    for path, doc in zip(files, sorted(docs, key=lambda d: d.id)):
        sentences = [s["sentence"] for s in json.loads(path.read_text(encoding="utf-8"))["sentences"]]
        assert doc.text == "\n".join(sentences) and doc.metadata["format"] == "json"
    said = []
    cfg = load_config(CorpusConfig, None, {"input.paths": [str(folder)]})
    assert warn_benchmark_inputs(cfg, said.append) == 230 and "chabsa evaluation task's data" in said[0]
    clean = load_config(CorpusConfig, None, {"input.paths": [str(folder)], "decontamination.enabled": True,
                                             "decontamination.benchmark_paths": [str(folder)]})
    said.clear()
    assert warn_benchmark_inputs(clean, said.append) == 230 and not said
