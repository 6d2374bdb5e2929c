"""In-process near-duplicate check of a small collection or of a run's ``docs/`` (datasketch).

Cost: every checked document's shingles are held in memory (measured: about 140 bytes per character), so
a big run is checked on a deterministic sample (``sample``: the documents with the smallest id
hashes, read in one streaming pass that holds only the sample).
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from datasketch import MinHash, MinHashLSH
from datatrove.data import Document
from datatrove.utils.text import simplify_text
from rich.console import Console
from rich.table import Table

from kinyu.base.errors import PathNotFound, UserError
from kinyu.corpus.dedup.config import CharNgramTokenizer
from kinyu.corpus.dedup.unionfind import UnionFind
from kinyu.corpus.ngrams import char_ngrams, jaccard
from kinyu.corpus.extract.readers import read_jsonl_gz


@dataclass
class DuplicateCluster:
    """A set of near-duplicate documents: ``kept`` is the smallest key, ``members`` all of them."""

    cluster_id: int
    kept: str
    members: list[str]
    # Jaccard of each member with the kept one (kept: 1.0), on the shingles used for MinHash
    similarity: dict[str, float]


def char_shingles(text: str, ngram: int, simplify: bool = True) -> set[str]:
    """The MinHash stages' character shingles; a text shorter than ``ngram`` is one shingle."""
    text = simplify_text(text) if simplify else text
    chars = "".join(CharNgramTokenizer().word_tokenize(text))
    return char_ngrams(chars, ngram) or ({chars} if chars else set())


def dedup_check(
    texts_or_docs: Sequence[str | Document] | dict[str, str],
    threshold: float = 0.8,
    ngram: int = 7,
    num_perm: int = 128,
    seed: int = 1,
) -> list[DuplicateCluster]:
    """Near-duplicate clusters of a small collection, in memory (datasketch MinHash LSH).

    ``texts_or_docs``: strings (named by position), ``Document``s (named by id), or a mapping
    name -> text. Candidates from the LSH index are confirmed with the exact Jaccard of their
    character-n-gram shingles (>= ``threshold``), then joined transitively. Returns clusters
    of two or more, ordered by their kept (smallest) name.
    """
    if not 0.0 < threshold <= 1.0:
        raise UserError(f"threshold must be in (0, 1], got {threshold}")
    if isinstance(texts_or_docs, dict):
        named = [(str(k), v) for k, v in texts_or_docs.items()]
    else:
        named = [(str(x.id), x.text) if isinstance(x, Document) else (str(i), x) for i, x in enumerate(texts_or_docs)]
    if len({n for n, _ in named}) != len(named):
        raise ValueError("dedup_check: names/ids must be unique")
    shingles = {name: char_shingles(text, ngram) for name, text in named}
    # candidates are confirmed exactly below, so tune the bands against false negatives
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(0.02, 0.98))
    sigs = {}
    for name, sh in shingles.items():
        m = MinHash(num_perm=num_perm, seed=seed)
        m.update_batch([s.encode("utf-8") for s in sorted(sh)])
        sigs[name] = m
        if sh:
            lsh.insert(name, m)
    clusters_of = UnionFind(shingles)
    for name, sh in shingles.items():
        if not sh:
            continue
        for other in sorted(lsh.query(sigs[name])):
            if other != name and jaccard(sh, shingles[other]) >= threshold:
                clusters_of.union(name, other)
    clusters = []
    for members in sorted((sorted(m) for m in clusters_of.groups().values() if len(m) > 1), key=lambda m: m[0]):
        kept = members[0]
        sim = {m: round(jaccard(shingles[kept], shingles[m]), 4) for m in members}
        clusters.append(DuplicateCluster(len(clusters), kept, members, sim))
    return clusters


def _sample_rank(doc_id: str) -> bytes:
    return hashlib.sha256(doc_id.encode("utf-8")).digest()[:8]


def read_documents(folder: str | Path, sample: int | None = None) -> list[Document]:
    """The documents of a folder of datatrove jsonl.gz files (e.g. ``CORPUS_RUN/docs``), in file order.

    ``sample``: only the ``sample`` documents with the smallest sha256(id) (the same ones on
    every machine), kept in a bounded heap while the folder streams past.
    """
    rows = enumerate(read_jsonl_gz(folder))
    if sample is not None:
        if sample < 1:
            raise UserError(f"sample must be >= 1, got {sample}")
        picked = heapq.nsmallest(sample, ((_sample_rank(str(r.get("id", i))), i, r) for i, r in rows), key=lambda t: t[:2])
        rows = ((i, r) for _, i, r in sorted(picked, key=lambda t: t[1]))
    docs = [Document(text=r["text"], id=str(r.get("id", i)), metadata=r.get("metadata") or {}) for i, r in rows]
    if not docs:
        raise PathNotFound(f"no .jsonl.gz documents in {folder}")
    return docs


def dedup_check_folder(folder: str | Path, threshold: float = 0.8, ngram: int = 7, sample: int | None = None) -> list[DuplicateCluster]:
    """``dedup_check`` over the documents of a folder (``kinyu corpus dedup-check RUN_DIR`` reads RUN_DIR/docs)."""
    return dedup_check(read_documents(folder, sample), threshold=threshold, ngram=ngram)


def print_clusters(clusters: Iterable[DuplicateCluster], console=None, title: str = "near-duplicate clusters") -> None:
    """Rich table of ``dedup_check`` clusters: one row per member, kept copy first."""
    console = console or Console()
    table = Table(title=title)
    table.add_column("cluster", justify="right")
    table.add_column("document")
    table.add_column("role")
    table.add_column("Jaccard vs kept", justify="right")
    n = 0
    for c in clusters:
        n += 1
        for m in c.members:
            table.add_row(str(c.cluster_id), m, "kept" if m == c.kept else "duplicate", f"{c.similarity[m]:.3f}")
        table.add_section()
    if n == 0:
        console.print("no near-duplicates found")
        return
    console.print(table)
