"""Exact dedup in three datatrove stages: signatures per task, one merge, a filter per task.

Which copy is kept: the smallest ``(metadata["source"], id)`` of each group of equal
(normalised) texts, so the kept set does not depend on task count, worker count or file order.
"""

from __future__ import annotations

import json

from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.hashing import HashConfig, create_hash_func

from kinyu.corpus.dedup.config import doc_key, exact_dedup_text
from kinyu.corpus.dedup.marks import MarkedDuplicateFilter, SortedRecords, hash_groups


class ExactDedupSignatures(PipelineStep):
    """Exact dedup, stage 1: write (hash of normalised text, source, id, position) per document.

    Keeps every document (it only reads them). The records are sorted by (hash, source, id)
    so that stage 2 can merge all ranks' files in one pass. Unlike datatrove's
    ``ExactDedupSignature`` (a uint16 priority per document) it stores the document's
    (source, id), which stage 2 needs to keep the smallest copy and name it. Memory is bounded:
    past ``max_records_in_memory`` records, sorted runs go to disk and are merged at the end.
    """

    type = "🫂 - DEDUP"
    name = "💥 exact dedup: signatures"

    def __init__(self, output_folder: DataFolderLike, hash_config: HashConfig | None = None, max_records_in_memory: int = 200_000):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.hash_config = hash_config or HashConfig(precision=64, hash_fc="xxhash")
        self.max_records_in_memory = max_records_in_memory

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        # bytes: xxhash >= 4.1 no longer accepts str
        hash_fc = create_hash_func(self.hash_config, bytes)
        records = SortedRecords(self.output_folder, f"{rank:05d}.exact.sigs", self.max_records_in_memory)
        for doc_idx, doc in enumerate(data):
            with self.track_time():
                self.stat_update("total")
                source, doc_id = doc_key(doc)
                records.add((hash_fc(exact_dedup_text(doc.text).encode("utf-8")), source, doc_id, doc_idx))
        records.write(f"{rank:05d}.exact.sigs.jsonl")
        return
        yield  # a generator step: the documents stop here


class ExactDedupFindDuplicates(PipelineStep):
    """Exact dedup, stage 2 (one task): mark every copy but the smallest (source, id).

    Merges the sorted signature files of all ranks (streaming: memory holds one group of equal
    hashes); within one hash the first record is the kept copy. Writes per input rank a
    ``{rank:05d}.exact.dups.jsonl`` of ``[position, kept_id, kept_source, copies]``.
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
        with self.track_time(), self.output_folder.get_output_file_manager(mode="wt") as out:
            for group in hash_groups(self.input_folder, "*.exact.sigs.jsonl"):
                self.stat_update("total", value=len(group))
                if len(group) > 1:
                    _, kept_source, kept_id, _, _ = group[0]
                    for _, _, _, file_rank, doc_idx in group[1:]:
                        out.write(
                            f"{file_rank:05d}.exact.dups.jsonl",
                            json.dumps([doc_idx, kept_id, kept_source, len(group)], ensure_ascii=False) + "\n",
                        )
                        self.stat_update("duplicates")
                    self.stat_update("groups")
        return
        yield


class ExactDedupFilter(MarkedDuplicateFilter):
    """Exact dedup, stage 3: drop each copy that stage 2 marked, recording the kept copy's id.

    Dropped documents carry ``filter_reason="exact_duplicate"``, ``kept_id`` / ``duplicate_of``,
    ``kept_source`` and ``duplicate_group_size``.
    """

    name = "💥 exact dedup: filter"
    reason = "exact_duplicate"
    extra_fields = ("duplicate_group_size",)

    def marks_file(self, rank: int) -> str:
        return f"{rank:05d}.exact.dups.jsonl"

