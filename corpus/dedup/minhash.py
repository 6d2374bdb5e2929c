"""MinHash near-dedup as datatrove stages, with Japanese character shingles.

datatrove's MinHash stages 1 and 2 (stage 1 subclassed only to hash UTF-8 bytes), then a
clustering that, like datatrove's stage 3, joins all pairs that met in a bucket, but keeps the
smallest (source, id) of each cluster; then a filter per task. ``benchmarks/dedup_minhash.py``
prints the measurements behind the defaults (char 7-grams, 25 bands x 7 hashes).
"""

from __future__ import annotations

import json
import struct

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import SENTINEL, MinhashConfig, MinhashDedupSignature
from datatrove.utils.binaryio import read_tuples_from_file
from datatrove.utils.hashing import create_hash_func
from datatrove.utils.text import ngrams, simplify_text
from datatrove.utils.word_tokenizers import WordTokenizer

from kinyu.corpus.dedup.config import CharNgramTokenizer, doc_key
from kinyu.corpus.dedup.marks import MarkedDuplicateFilter, read_jsonl
from kinyu.corpus.dedup.unionfind import UnionFind
from kinyu.corpus.ngrams import char_ngrams


class JapaneseMinhashSignature(MinhashDedupSignature):
    """MinHash stage 1 (datatrove's), with shingles hashed as UTF-8 bytes and deduplicated.

    Same signatures as datatrove's step for the same shingles; two changes: (1) each shingle
    is encoded before hashing, because xxhash >= 4.1 rejects ``str`` (datatrove 0.10 passes
    ``str``), and (2) repeated shingles are hashed once, which does not change the minimum.
    With ``CharNgramTokenizer`` a shingle is the n characters themselves (no joining spaces).
    """

    name = "🎯 MinHash stage 1 (Japanese shingles)"

    def __init__(self, output_folder: DataFolderLike, config: MinhashConfig, word_tokenizer: WordTokenizer):
        super().__init__(output_folder, config=config, language=word_tokenizer)
        self._bytes_hash = create_hash_func(self.config.hash_config, bytes)

    def get_shingles(self, text: str) -> np.ndarray:
        n = self.config.n_grams
        words = self.word_tokenizer.word_tokenize(simplify_text(text, self.config.norm_config))
        if isinstance(self.word_tokenizer, CharNgramTokenizer):
            grams = char_ngrams("".join(words), n)
        else:
            grams = {" ".join(x) for x in ngrams(words, n)}
        hash_fc = self._bytes_hash
        return np.fromiter((hash_fc(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams)).reshape((-1, 1))


class DocumentKeysWriter(PipelineStep):
    """Write each document's (source, id) by stream position, for the cluster stage's kept rule.

    Passes every document on unchanged.
    """

    type = "🫂 - DEDUP"
    name = "🔑 document keys"

    def __init__(self, output_folder: DataFolderLike):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.output_folder.open(f"{rank:05d}.keys.jsonl", mode="wt") as f:
            for doc in data:
                f.write(json.dumps(doc_key(doc), ensure_ascii=False) + "\n")
                yield doc


class MinhashClusterKeepSmallest(PipelineStep):
    """MinHash stage 3 (one task): join duplicate pairs into clusters, keep the smallest (source, id).

    Reads datatrove's ``*.dups`` pair files (stage 2), unions the pairs, and per cluster keeps
    the member with the smallest (source, id) (datatrove's own stage 3 keeps the union-find
    root, which depends on the order pairs arrive). Writes per input rank the datatrove
    ``{rank:06d}.remove`` file (sorted uint32 positions) and ``{rank:06d}.kept.jsonl`` with
    ``[position, kept_id, kept_source, cluster_id, cluster_size]`` for each removed document.
    Cluster ids number the clusters in order of their kept (source, id). Memory: the documents
    that have a near-duplicate (as datatrove's stage 3), not the whole corpus.

    A pair that met in a band is joined only when its two signatures agree in at least
    ``min_similarity`` of all their MinHash values (the estimate of their shingle Jaccard,
    read back from stage 1's signature files): banding alone joins a pair at Jaccard 0.3 with
    p = 0.005, and among thousands of filings every statement has hundreds of such pairs, its
    row labels shared with every other filer's (filings-u4 train: 5 sections of 5 filers at
    Jaccard 0.23-0.31 were joined). 0 joins every pair that met, as datatrove's stage 3 does.
    """

    type = "🫂 - DEDUP"
    name = "🎯 MinHash: clusters (keep smallest id)"

    def __init__(self, input_folder: DataFolderLike, keys_folder: DataFolderLike, output_folder: DataFolderLike,
                 signatures_folder: DataFolderLike | None = None, config: MinhashConfig | None = None,
                 min_similarity: float = 0.0):
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.keys_folder = get_datafolder(keys_folder)
        self.output_folder = get_datafolder(output_folder)
        if min_similarity > 0 and (signatures_folder is None or config is None):
            raise ValueError("min_similarity needs the signatures folder and the MinhashConfig of stage 1")
        self.signatures_folder = get_datafolder(signatures_folder) if signatures_folder is not None else None
        self.config = config
        self.min_similarity = min_similarity

    def _signatures(self, wanted: dict[int, set[int]]) -> dict[tuple[int, int], list[tuple]]:
        """(rank, doc index) -> the document's band signatures, for the ``wanted`` documents."""
        cfg = self.config
        line_format = f"{cfg.hashes_per_bucket}{cfg.hash_config.struct_format}I"
        sigs: dict[tuple[int, int], list[tuple]] = {}
        for bucket in range(cfg.num_buckets):
            for file_rank, docs in wanted.items():
                path = f"bucket_{bucket:03d}/{file_rank:05d}.minhash.sig"
                if not self.signatures_folder.exists(path):
                    continue
                with self.signatures_folder.open(path, "rb") as f:
                    for row in read_tuples_from_file(f, line_format, lines_to_buffer=256):
                        if row[-1] in docs:
                            sigs.setdefault((file_rank, row[-1]), [None] * cfg.num_buckets)[bucket] = row[:-1]
        return sigs

    @staticmethod
    def _similarity(a: list[tuple], b: list[tuple]) -> float:
        equal = total = 0
        for band_a, band_b in zip(a, b):
            if band_a is None or band_b is None:
                continue
            equal += sum(x == y for x, y in zip(band_a, band_b))
            total += len(band_a)
        return equal / total if total else 0.0

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"{self.name} must run as one task, got {world_size}")
        clusters_of = UnionFind()
        with self.track_time():
            pairs: set[tuple[tuple[int, int], tuple[int, int]]] = set()
            for dup_file in self.input_folder.list_files(glob_pattern="*.dups"):
                with self.input_folder.open(dup_file, "rb") as f:
                    for f1, d1, f2, d2 in read_tuples_from_file(f, "4I", lines_to_buffer=64):
                        if f1 == SENTINEL:  # match against an external index: not used here
                            continue
                        self.stat_update("pairs")
                        pairs.add(((f1, d1), (f2, d2)))
            if self.min_similarity > 0:
                wanted: dict[int, set[int]] = {}
                for node in {n for pair in pairs for n in pair}:
                    wanted.setdefault(node[0], set()).add(node[1])
                sigs = self._signatures(wanted)
                checked = set()
                for a, b in sorted(pairs):
                    if self._similarity(sigs[a], sigs[b]) >= self.min_similarity:
                        checked.add((a, b))
                    else:
                        self.stat_update("pairs_below_min_similarity")
                pairs = checked
            for a, b in sorted(pairs):
                clusters_of.union(a, b)

            members = clusters_of.groups()
            needed_ranks = sorted({f for f, _ in clusters_of})
            keys: dict[tuple[int, int], tuple[str, str]] = {}
            for file_rank in needed_ranks:
                wanted = {d for f, d in clusters_of if f == file_rank}
                for doc_idx, key in enumerate(read_jsonl(self.keys_folder, f"{file_rank:05d}.keys.jsonl")):
                    if doc_idx in wanted:
                        keys[(file_rank, doc_idx)] = tuple(key)

            clusters = sorted(
                (sorted(nodes, key=lambda n: (keys[n], n)) for nodes in members.values()),
                key=lambda nodes: (keys[nodes[0]], nodes[0]),
            )
            removed: dict[int, list[tuple]] = {}
            for cluster_id, nodes in enumerate(clusters):
                kept_source, kept_id = keys[nodes[0]]
                self.stat_update("clusters")
                self.stat_update("cluster_size", value=len(nodes), unit="cluster")
                for file_rank, doc_idx in nodes[1:]:
                    removed.setdefault(file_rank, []).append((doc_idx, kept_id, kept_source, cluster_id, len(nodes)))
                    self.stat_update("to_remove")
            for file_rank, rows in removed.items():
                rows.sort()
                with self.output_folder.open(f"{file_rank:06d}.remove", "wb") as f:
                    for row in rows:
                        f.write(struct.pack("<I", row[0]))
                with self.output_folder.open(f"{file_rank:06d}.kept.jsonl", "wt") as f:
                    for row in rows:
                        f.write(json.dumps(list(row), ensure_ascii=False) + "\n")
        return
        yield


class MinhashDuplicateFilter(MarkedDuplicateFilter):
    """MinHash stage 4: drop the near-duplicates stage 3 marked, recording their cluster's kept copy.

    Dropped documents carry ``filter_reason="minhash_duplicate"``, ``kept_id`` /
    ``duplicate_of``, ``kept_source``, ``cluster_id`` and ``cluster_size``.
    """

    name = "🎯 MinHash: filter"
    reason = "minhash_duplicate"
    extra_fields = ("cluster_id", "cluster_size")

    def marks_file(self, rank: int) -> str:
        return f"{rank:06d}.kept.jsonl"
