"""Exact and MinHash near-duplicate removal for Japanese documents, as datatrove stages.

``dedup_stages`` builds the stages the corpus pipeline runs after quality filtering; each is a
list of datatrove steps plus its task count, run in order with the user's executor:

1. ``exact_signatures`` (tasks): hash of each document's normalised text, with its (source, id).
2. ``exact_duplicates`` (1 task): merge the sorted hashes; in each group of equal hashes the copy
   with the smallest (metadata ``source``, ``id``) is kept, the others are marked with its id.
3. ``exact_filter`` (tasks): drop the marked copies into ``removed/exact_dedup/``, then run the
   benchmark decontamination step (``corpus.decontam``), and write the survivors to the work folder.
4. ``minhash_signatures`` (tasks), ``minhash_buckets`` (num_buckets tasks), ``minhash_clusters``
   (1 task): datatrove's MinHash stages 1 and 2 (stage 1 subclassed only to hash UTF-8 bytes),
   then a clustering that, like datatrove's stage 3, joins all pairs that met in a bucket, but
   keeps the smallest (source, id) of each cluster.
5. ``minhash_filter`` (tasks): drop the other cluster members into ``removed/minhash_dedup/``
   and write the kept documents to the output folder.

Which copy is kept: always the one with the smallest ``(metadata["source"], id)`` in Python
string order, so the kept set does not depend on task count, worker count or input file order.
(A copy kept by exact dedup can still lose to a near-duplicate with a smaller key; its removed
record then names that one, so ``kept_id`` chains always end at a kept document.)

Shingles: character n-grams (``CharNgramTokenizer``: every non-space character is a "word").
Measured on the shared ground truth (MHLW chapters across revision years, amended EDINET filings,
different companies' 有報 sections; ``benchmarks/dedup_minhash.py``): after datatrove's
``simplify_text``, character 7-grams separate must-merge pairs (5-gram Jaccard >= 0.8) from
different documents (<= 0.3) with a gap of 0.57 (must-merge min 0.86, different max 0.29), MeCab
word 5-grams 0.55 and word 3-grams 0.45; with 25 bands x 7 hashes the char-7 stages merge 21/21
must-merge pairs and 0/1910 different pairs, at about a quarter of the wall time of datatrove's
default Japanese MinHash (spaCy + SudachiPy word 5-grams, 14x8), which merged 20/21. Characters
also need no dictionary. ``shingle="fugashi"`` selects MeCab (fugashi) words instead.
"""

from __future__ import annotations

import heapq
import json
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal, Sequence

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import (
    SENTINEL,
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupSignature,
)
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.binaryio import read_tuples_from_file
from datatrove.utils.hashing import HashConfig, create_hash_func
from datatrove.utils.text import TextNormConfig, ngrams, simplify_text
from datatrove.utils.word_tokenizers import WordTokenizer

from kinyu.config import ConfigError

from corpus.japanese import JapaneseWordTokenizer


# --------------------------------------------------------------------------------------------
# config


@dataclass
class DedupConfig:
    """Exact and MinHash near-duplicate removal (``corpus.dedup``)."""

    exact: bool = field(default=True, metadata={"help": "drop documents whose normalised text is identical to another's"})
    minhash: bool = field(default=True, metadata={"help": "drop near-duplicates found with MinHash LSH"})
    shingle: Literal["char", "fugashi"] = field(
        default="char",
        metadata={"help": "MinHash shingle units: 'char' (characters, measured best) or 'fugashi' (MeCab words)"},
    )
    ngram: int = field(
        default=7,
        metadata={"help": "units per shingle; char 7-grams separated the ground truth best among 3/4/5/7/9"},
    )
    num_buckets: int = field(
        default=25,
        metadata={"help": "LSH bands; 25x7 flags shingle Jaccard 0.8 with p=0.997 and 0.3 with p=0.005"},
    )
    hashes_per_bucket: int = field(default=7, metadata={"help": "MinHash values per band"})
    seed: int = field(default=1, metadata={"help": "seed of the MinHash permutations (same on every worker)"})
    simplify_text: bool = field(
        default=True,
        metadata={"help": "apply datatrove's simplify_text before shingling (lowercase, no punctuation, digits -> 0)"},
    )
    hash_precision: Literal[32, 64] = field(default=64, metadata={"help": "bits of each MinHash value"})

    def validate(self) -> None:
        if self.ngram < 1:
            raise ConfigError(f"dedup.ngram must be >= 1, got {self.ngram}")
        if self.num_buckets < 1 or self.hashes_per_bucket < 1:
            raise ConfigError(
                f"dedup.num_buckets and dedup.hashes_per_bucket must be >= 1, got {self.num_buckets}, {self.hashes_per_bucket}"
            )
        if self.shingle not in ("char", "fugashi"):
            raise ConfigError(f"dedup.shingle must be 'char' or 'fugashi', got {self.shingle!r}")

    def minhash_config(self) -> MinhashConfig:
        norm = TextNormConfig() if self.simplify_text else _NO_SIMPLIFY
        return MinhashConfig(
            n_grams=self.ngram,
            num_buckets=self.num_buckets,
            hashes_per_bucket=self.hashes_per_bucket,
            seed=self.seed,
            norm_config=norm,
            hash_config=HashConfig(precision=self.hash_precision, hash_fc="xxhash"),
        )

    def word_tokenizer(self) -> WordTokenizer:
        if self.shingle == "char":
            return CharNgramTokenizer()
        from corpus.japanese import FugashiWordTokenizer

        return FugashiWordTokenizer()


_NO_SIMPLIFY = TextNormConfig(
    lowercase=False,
    norm_whitespace=True,
    remove_punctuation=False,
    norm_unicode_diacritics=False,
    norm_numbers=False,
)


class CharNgramTokenizer(JapaneseWordTokenizer):
    """datatrove ``WordTokenizer`` whose words are single characters (whitespace dropped).

    With it, MinHash n-grams are character n-grams: Japanese has no spaces, so character
    shingles need no segmenter and are insensitive to how a dictionary splits a word.
    """

    def word_tokenize(self, text: str) -> list[str]:
        return [c for c in text if not c.isspace()]


def doc_key(doc: Document) -> tuple[str, str]:
    """Sort key of the kept-copy rule: the smallest (source path, id) is kept."""
    return (str(doc.metadata.get("source", "")), str(doc.id))


# --------------------------------------------------------------------------------------------
# exact dedup

_RE_WS = re.compile(r"\s+")


def exact_dedup_text(text: str) -> str:
    """The text the exact hash is taken of: the (already normalised) text, whitespace runs folded."""
    return _RE_WS.sub(" ", text).strip()


class ExactDedupSignatures(PipelineStep):
    """Exact dedup, stage 1: write (hash of normalised text, source, id, position) per document.

    Keeps every document (it only reads them). The records are sorted by (hash, source, id)
    so that stage 2 can merge all ranks' files in one pass. Unlike datatrove's
    ``ExactDedupSignature`` (a uint16 priority per document) it stores the document's
    (source, id), which stage 2 needs to keep the smallest copy and name it.
    """

    type = "🫂 - DEDUP"
    name = "💥 exact dedup: signatures"

    def __init__(self, output_folder: DataFolderLike, hash_config: HashConfig | None = None):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.hash_config = hash_config or HashConfig(precision=64, hash_fc="xxhash")

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        # bytes: xxhash >= 4.1 no longer accepts str
        hash_fc = create_hash_func(self.hash_config, bytes)
        records = []
        for doc_idx, doc in enumerate(data):
            with self.track_time():
                self.stat_update("total")
                source, doc_id = doc_key(doc)
                records.append((hash_fc(exact_dedup_text(doc.text).encode("utf-8")), source, doc_id, doc_idx))
        records.sort()
        with self.output_folder.open(f"{rank:05d}.exact.sigs.jsonl", mode="wt") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
        yield  # a generator step: the documents stop here


def _read_jsonl(folder, path):
    with folder.open(path, mode="rt") as f:
        for line in f:
            yield json.loads(line)


class ExactDedupFindDuplicates(PipelineStep):
    """Exact dedup, stage 2 (one task): mark every copy but the smallest (source, id).

    Merges the sorted signature files of all ranks; within one hash the first record is the
    kept copy. Writes per input rank a ``{rank:05d}.exact.dups.jsonl`` of
    ``[position, kept_id, kept_source, copies]``.
    """

    type = "🫂 - DEDUP"
    name = "💥 exact dedup: find duplicates"

    def __init__(self, input_folder: DataFolderLike, output_folder: DataFolderLike):
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.output_folder = get_datafolder(output_folder)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"{self.name} must run as one task, got {world_size}")
        files = self.input_folder.list_files(glob_pattern="*.exact.sigs.jsonl")

        def records(path: str):
            file_rank = int(path.split(".")[0])
            for h, source, doc_id, doc_idx in _read_jsonl(self.input_folder, path):
                yield h, source, doc_id, file_rank, doc_idx

        streams = [records(f) for f in files]
        with self.track_time(), self.output_folder.get_output_file_manager(mode="wt") as out:
            group: list[tuple] = []

            def flush():
                if len(group) > 1:
                    _, kept_source, kept_id, _, _ = group[0]
                    for _, _, _, file_rank, doc_idx in group[1:]:
                        out.write(
                            f"{file_rank:05d}.exact.dups.jsonl",
                            json.dumps([doc_idx, kept_id, kept_source, len(group)], ensure_ascii=False) + "\n",
                        )
                        self.stat_update("duplicates")
                    self.stat_update("groups")

            for record in heapq.merge(*streams):
                self.stat_update("total")
                if group and record[0] != group[0][0]:
                    flush()
                    group = []
                group.append(record)
            flush()
        return
        yield


class _PositionalFilter(BaseFilter):
    """A filter that knows each document's position in its rank's stream (0, 1, 2, ...)."""

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._position = -1
        self._load(rank)
        yield from super().run(data, rank, world_size)

    def _next_position(self) -> int:
        self._position += 1
        return self._position

    def _load(self, rank: int) -> None:
        raise NotImplementedError


class ExactDedupFilter(_PositionalFilter):
    """Exact dedup, stage 3: drop each copy that stage 2 marked, recording the kept copy's id.

    Dropped documents carry ``filter_reason="exact_duplicate"``, ``kept_id`` / ``duplicate_of``
    (the kept document's id), ``kept_source`` and ``duplicate_group_size``.
    """

    type = "🫂 - DEDUP"
    name = "💥 exact dedup: filter"

    def __init__(self, duplicates_folder: DataFolderLike, exclusion_writer=None):
        super().__init__(exclusion_writer=exclusion_writer)
        self.duplicates_folder = get_datafolder(duplicates_folder)

    def _load(self, rank: int) -> None:
        path = f"{rank:05d}.exact.dups.jsonl"
        self._dups = {}
        if self.duplicates_folder.exists(path):
            self._dups = {row[0]: row[1:] for row in _read_jsonl(self.duplicates_folder, path)}

    def filter(self, doc: Document):
        dup = self._dups.get(self._next_position())
        if dup is None:
            return True
        kept_id, kept_source, copies = dup
        doc.metadata.update(kept_id=kept_id, duplicate_of=kept_id, kept_source=kept_source, duplicate_group_size=copies)
        return False, "exact_duplicate"


# --------------------------------------------------------------------------------------------
# MinHash near dedup


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
            chars = "".join(words)
            grams = {chars[i : i + n] for i in range(len(chars) - n + 1)}
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
    Cluster ids number the clusters in order of their kept (source, id).
    """

    type = "🫂 - DEDUP"
    name = "🎯 MinHash: clusters (keep smallest id)"

    def __init__(self, input_folder: DataFolderLike, keys_folder: DataFolderLike, output_folder: DataFolderLike):
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.keys_folder = get_datafolder(keys_folder)
        self.output_folder = get_datafolder(output_folder)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"{self.name} must run as one task, got {world_size}")
        parent: dict[tuple[int, int], tuple[int, int]] = {}

        def find(x):
            root = x
            while parent.setdefault(root, root) != root:
                root = parent[root]
            while parent[x] != root:  # path compression
                parent[x], x = root, parent[x]
            return root

        with self.track_time():
            for dup_file in self.input_folder.list_files(glob_pattern="*.dups"):
                with self.input_folder.open(dup_file, "rb") as f:
                    for f1, d1, f2, d2 in read_tuples_from_file(f, "4I", lines_to_buffer=64):
                        if f1 == SENTINEL:  # match against an external index: not used here
                            continue
                        self.stat_update("pairs")
                        ra, rb = find((f1, d1)), find((f2, d2))
                        if ra != rb:
                            parent[max(ra, rb)] = min(ra, rb)

            members: dict[tuple[int, int], list[tuple[int, int]]] = {}
            for node in parent:
                members.setdefault(find(node), []).append(node)
            needed_ranks = sorted({f for f, _ in parent})
            keys: dict[tuple[int, int], tuple[str, str]] = {}
            for file_rank in needed_ranks:
                wanted = {d for f, d in parent if f == file_rank}
                for doc_idx, key in enumerate(_read_jsonl(self.keys_folder, f"{file_rank:05d}.keys.jsonl")):
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


class MinhashDuplicateFilter(_PositionalFilter):
    """MinHash stage 4: drop the near-duplicates stage 3 marked, recording their cluster's kept copy.

    Dropped documents carry ``filter_reason="minhash_duplicate"``, ``kept_id`` /
    ``duplicate_of``, ``kept_source``, ``cluster_id`` and ``cluster_size``.
    """

    type = "🫂 - DEDUP"
    name = "🎯 MinHash: filter"

    def __init__(self, clusters_folder: DataFolderLike, exclusion_writer=None):
        super().__init__(exclusion_writer=exclusion_writer)
        self.clusters_folder = get_datafolder(clusters_folder)

    def _load(self, rank: int) -> None:
        path = f"{rank:06d}.kept.jsonl"
        self._removed = {}
        if self.clusters_folder.exists(path):
            self._removed = {row[0]: row[1:] for row in _read_jsonl(self.clusters_folder, path)}

    def filter(self, doc: Document):
        hit = self._removed.get(self._next_position())
        if hit is None:
            return True
        kept_id, kept_source, cluster_id, cluster_size = hit
        doc.metadata.update(
            kept_id=kept_id, duplicate_of=kept_id, kept_source=kept_source, cluster_id=cluster_id, cluster_size=cluster_size
        )
        return False, "minhash_duplicate"


class RankFileJsonlReader(JsonlReader):
    """Read exactly ``{rank:05d}.jsonl.gz`` (nothing if absent) from a folder an earlier stage wrote.

    datatrove's reader deals the folder's files out by position, which shifts when a rank
    wrote no file (all its documents dropped); document positions must stay tied to the rank.
    """

    name = "🐿 Jsonl (own rank's file)"

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        path = f"{rank:05d}.jsonl.gz"
        if not self.data_folder.exists(path):
            return
        for doc in self.read_files_shard([path]):
            self.update_doc_stats(doc)
            yield doc


# --------------------------------------------------------------------------------------------
# stage builder


def dedup_stages(
    cfg: DedupConfig,
    decon,
    input_folder: DataFolderLike,
    output_folder: DataFolderLike,
    work_folder: str,
    removed_folder: str,
    tasks: int,
) -> list[tuple[str, list[PipelineStep], int]]:
    """The dedup + decontamination stages, in order: ``(stage_name, steps, num_tasks)``.

    Run each with the same executor kind, each depending on the previous. ``input_folder``
    holds datatrove jsonl(.gz) documents; kept documents are written to ``output_folder`` as
    ``${rank}.jsonl.gz``; dropped ones to ``removed_folder/{exact_dedup,decontamination,minhash_dedup}/``;
    everything else stays under ``work_folder``. ``decon`` is a ``DecontaminationConfig`` or None.
    """
    from corpus.decontam import DecontaminationConfig, decontamination_step

    cfg.validate()
    decon = decon or DecontaminationConfig(enabled=False)
    decon.validate()
    if tasks < 1:
        raise ValueError(f"tasks must be >= 1, got {tasks}")
    work = str(work_folder).rstrip("/")
    removed = str(removed_folder).rstrip("/")

    def removed_writer(step: str) -> JsonlWriter:
        return JsonlWriter(f"{removed}/{step}", output_filename="${rank}.jsonl.gz")

    def input_reader() -> JsonlReader:
        return JsonlReader(input_folder, glob_pattern="*.jsonl*", add_file_path=False)

    stages: list[tuple[str, list[PipelineStep], int]] = []
    first_pass: list[PipelineStep] = []
    if cfg.exact:
        stages.append(("exact_signatures", [input_reader(), ExactDedupSignatures(f"{work}/exact/sigs")], tasks))
        stages.append(("exact_duplicates", [ExactDedupFindDuplicates(f"{work}/exact/sigs", f"{work}/exact/dups")], 1))
        first_pass.append(ExactDedupFilter(f"{work}/exact/dups", exclusion_writer=removed_writer("exact_dedup")))
    if decon.enabled:
        first_pass.append(decontamination_step(decon, exclusion_writer=removed_writer("decontamination")))

    if not cfg.minhash:
        final_writer = JsonlWriter(output_folder, output_filename="${rank}.jsonl.gz")
        stages.append(("dedup_filter", [input_reader(), *first_pass, final_writer], tasks))
        return stages

    if first_pass:
        stages.append(
            (
                "exact_filter" if cfg.exact else "decontamination",
                [input_reader(), *first_pass, JsonlWriter(f"{work}/prefiltered", output_filename="${rank}.jsonl.gz")],
                tasks,
            )
        )

        def minhash_reader() -> JsonlReader:
            return RankFileJsonlReader(f"{work}/prefiltered", add_file_path=False)
    else:
        minhash_reader = input_reader

    mh = cfg.minhash_config()
    stages.append(
        (
            "minhash_signatures",
            [
                minhash_reader(),
                DocumentKeysWriter(f"{work}/minhash/keys"),
                JapaneseMinhashSignature(f"{work}/minhash/sigs", config=mh, word_tokenizer=cfg.word_tokenizer()),
            ],
            tasks,
        )
    )
    stages.append(
        (
            "minhash_buckets",
            [MinhashDedupBuckets(f"{work}/minhash/sigs", f"{work}/minhash/buckets", config=mh)],
            mh.num_buckets,
        )
    )
    stages.append(
        (
            "minhash_clusters",
            [MinhashClusterKeepSmallest(f"{work}/minhash/buckets", f"{work}/minhash/keys", f"{work}/minhash/clusters")],
            1,
        )
    )
    stages.append(
        (
            "minhash_filter",
            [
                minhash_reader(),
                MinhashDuplicateFilter(f"{work}/minhash/clusters", exclusion_writer=removed_writer("minhash_dedup")),
                JsonlWriter(output_folder, output_filename="${rank}.jsonl.gz"),
            ],
            tasks,
        )
    )
    return stages


def run_stages_locally(stages, logging_dir: str, workers: int = 1) -> None:
    """Run ``dedup_stages`` output one after the other with ``LocalPipelineExecutor`` (tests, tools)."""
    from datatrove.executor import LocalPipelineExecutor

    for name, steps, num_tasks in stages:
        LocalPipelineExecutor(
            pipeline=steps,
            tasks=num_tasks,
            workers=min(workers, num_tasks),
            logging_dir=f"{logging_dir.rstrip('/')}/{name}",
            skip_completed=True,
        ).run()


# --------------------------------------------------------------------------------------------
# in-process inspection (datasketch)


@dataclass
class DuplicateCluster:
    """A set of near-duplicate documents: ``kept`` is the smallest key, ``members`` all of them."""

    cluster_id: int
    kept: str
    members: list[str]
    # Jaccard of each member with the kept one (kept: 1.0), on the shingles used for MinHash
    similarity: dict[str, float]


def char_shingles(text: str, ngram: int, simplify: bool = True) -> set[str]:
    text = simplify_text(text) if simplify else text
    chars = "".join(CharNgramTokenizer().word_tokenize(text))
    if len(chars) < ngram:
        return {chars} if chars else set()
    return {chars[i : i + ngram] for i in range(len(chars) - ngram + 1)}


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
    from datasketch import MinHash, MinHashLSH

    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
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
    parent = {name: name for name in shingles}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    from corpus.dedup_eval import jaccard

    for name, sh in shingles.items():
        if not sh:
            continue
        for other in sorted(lsh.query(sigs[name])):
            if other != name and jaccard(sh, shingles[other]) >= threshold:
                ra, rb = find(name), find(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for name in shingles:
        groups.setdefault(find(name), []).append(name)
    clusters = []
    for members in sorted((sorted(m) for m in groups.values() if len(m) > 1), key=lambda m: m[0]):
        kept = members[0]
        sim = {m: round(jaccard(shingles[kept], shingles[m]), 4) for m in members}
        clusters.append(DuplicateCluster(len(clusters), kept, members, sim))
    return clusters


def read_documents(folder: str | Path) -> list[Document]:
    """All documents of a folder of datatrove jsonl.gz files (e.g. ``CORPUS_RUN/docs``), in file order."""
    from corpus.readers import read_jsonl_gz

    docs = [
        Document(text=row["text"], id=str(row.get("id", i)), metadata=row.get("metadata") or {})
        for i, row in enumerate(read_jsonl_gz(folder))
    ]
    if not docs:
        raise FileNotFoundError(f"no .jsonl.gz documents in {folder}")
    return docs


def dedup_check_folder(folder: str | Path, threshold: float = 0.8, ngram: int = 7) -> list[DuplicateCluster]:
    """``dedup_check`` over the documents of a folder (``kinyu corpus dedup-check RUN_DIR`` reads RUN_DIR/docs)."""
    return dedup_check(read_documents(folder), threshold=threshold, ngram=ngram)


def print_clusters(clusters: Iterable[DuplicateCluster], console=None, title: str = "near-duplicate clusters") -> None:
    """Rich table of ``dedup_check`` clusters: one row per member, kept copy first."""
    from rich.console import Console
    from rich.table import Table

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


__all__ = [
    "DedupConfig",
    "CharNgramTokenizer",
    "dedup_stages",
    "run_stages_locally",
    "dedup_check",
    "dedup_check_folder",
    "read_documents",
    "print_clusters",
    "DuplicateCluster",
    "ExactDedupSignatures",
    "ExactDedupFindDuplicates",
    "ExactDedupFilter",
    "JapaneseMinhashSignature",
    "MinhashClusterKeepSmallest",
    "MinhashDuplicateFilter",
]
