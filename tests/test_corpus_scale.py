"""Bounded memory at scale: the parts of a build that used to hold the whole corpus now hold a
bounded amount, with the same output as before where the corpus fits."""

from __future__ import annotations

import random

from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter

from kinyu.corpus.dedup import ExactDedupSignatures, read_documents
from kinyu.corpus.tokenize import tokenizer_sample


def docs(n: int, seed: int = 0) -> list[Document]:
    rng = random.Random(seed)
    words = ["売上高", "営業利益", "増加", "減少", "当社", "金利", "為替", "配当"]
    out = []
    for i in range(n):
        text = "".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
        out.append(Document(text=text, id=f"d{i:04d}", metadata={"source": f"s{i % 7}.jsonl"}))
    return out


def test_exact_signatures_spill_sorted_runs_and_merge_to_the_same_file(tmp_path, monkeypatch):
    from kinyu.corpus.dedup.marks import SortedRecords

    corpus = docs(500)  # many identical texts: equal hashes across runs
    list(ExactDedupSignatures(str(tmp_path / "all")).run(iter(corpus)))
    spilling = ExactDedupSignatures(str(tmp_path / "spill"), max_records_in_memory=7)
    writes = []
    write = SortedRecords._write
    monkeypatch.setattr(SortedRecords, "_write", lambda self, path, records: (writes.append(path), write(self, path, records)))
    list(spilling.run(iter(corpus)))
    assert len(writes) == 500 // 7 + 1  # 71 sorted runs of 7 on disk, then the merged file
    whole = (tmp_path / "all" / "00000.exact.sigs.jsonl").read_bytes()
    assert whole and (tmp_path / "spill" / "00000.exact.sigs.jsonl").read_bytes() == whole
    assert sorted(p.name for p in (tmp_path / "spill").iterdir()) == ["00000.exact.sigs.jsonl"]  # runs removed


def test_tokenizer_sample_is_everything_when_it_fits_and_bounded_otherwise():
    pairs = [(d.id, d.text) for d in docs(300)]
    total = sum(len(t) for _, t in pairs)
    assert tokenizer_sample(iter(pairs), total) == [t for _, t in pairs]
    budget = total // 4
    sample = tokenizer_sample(iter(pairs), budget)
    assert 0 < sum(map(len, sample)) <= budget
    # the same documents whatever order they arrive in (picked by id hash), kept in stream order
    shuffled = pairs[:]
    random.Random(1).shuffle(shuffled)
    assert sorted(tokenizer_sample(iter(shuffled), budget)) == sorted(sample)
    positions = [pairs.index(next(p for p in pairs if p[1] == t)) for t in sample]
    assert positions == sorted(positions)


def test_dedup_check_sample_reads_a_fixed_subset(tmp_path):
    with JsonlWriter(str(tmp_path), output_filename="${rank}.jsonl.gz") as w:
        for i, d in enumerate(docs(200)):
            w.write(d, i % 3)
    everything = read_documents(tmp_path)
    sample = read_documents(tmp_path, sample=20)
    assert len(everything) == 200 and len(sample) == 20
    assert [d.id for d in read_documents(tmp_path, sample=20)] == [d.id for d in sample]
    order = [d.id for d in everything]
    assert [order.index(d.id) for d in sample] == sorted(order.index(d.id) for d in sample)
