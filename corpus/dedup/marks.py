"""What the exact and MinHash filters share: reading the marks an earlier stage wrote per rank,
dropping the marked documents by stream position, and reading a rank's own file."""

from __future__ import annotations

import heapq
import json

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers import JsonlReader


def read_jsonl(folder, path: str):
    """Rows of one jsonl file of a datatrove ``DataFolder``."""
    with folder.open(path, mode="rt") as f:
        for line in f:
            yield json.loads(line)


def hash_groups(folder, pattern: str):
    """Merge every rank's sorted signature file (``{rank:05d}.<...>``, rows ``[hash, source, id, ...]``)
    and yield each group of equal hashes, ``(hash, source, id, file_rank, ...)`` rows in (source, id)
    order: the first is the kept copy (exact and paragraph dedup, stage 2). Memory: one group."""

    def records(path: str):
        file_rank = int(path.split(".")[0])
        for h, source, doc_id, *rest in read_jsonl(folder, path):
            yield (h, source, doc_id, file_rank, *rest)

    group: list[tuple] = []
    for record in heapq.merge(*(records(f) for f in folder.list_files(glob_pattern=pattern))):
        if group and record[0] != group[0][0]:
            yield group
            group = []
        group.append(record)
    if group:
        yield group


class SortedRecords:
    """Records of one rank, written to ``folder`` as one sorted jsonl file with bounded memory:
    past ``limit`` records a sorted run goes to a part file; ``write`` merges the runs and the
    rest into ``name`` and removes the parts (exact and paragraph dedup, stage 1)."""

    def __init__(self, folder, stem: str, limit: int):
        self.folder, self.stem, self.limit = folder, stem, limit
        self.records: list[tuple] = []
        self.parts: list[str] = []

    def _write(self, path: str, records) -> None:
        with self.folder.open(path, mode="wt") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def add(self, record: tuple) -> None:
        self.records.append(record)
        if len(self.records) >= self.limit:
            self.parts.append(f"{self.stem}.part{len(self.parts):04d}")
            self._write(self.parts[-1], sorted(self.records))
            self.records = []

    def write(self, name: str) -> None:
        self.records.sort()
        runs = [(tuple(r) for r in read_jsonl(self.folder, p)) for p in self.parts]
        self._write(name, heapq.merge(self.records, *runs))
        for p in self.parts:
            self.folder.rm(p)


class MarkedDuplicateFilter(BaseFilter):
    """Base of the dedup filters: drop the documents an earlier stage marked as duplicates.

    The marks file of a rank holds ``[position, kept_id, kept_source, *extra_fields]`` rows for
    the documents to drop, by their position in the rank's stream (0, 1, 2, ...). A dropped
    document carries ``kept_id`` / ``duplicate_of`` (the kept copy's id), ``kept_source`` and
    the ``extra_fields``, so that ``kept_id`` chains can be followed to a kept document.
    Memory: the marks of one rank (its duplicates only).
    """

    type = "🫂 - DEDUP"
    reason = ""
    extra_fields: tuple[str, ...] = ()

    def __init__(self, marks_folder: DataFolderLike, exclusion_writer=None):
        super().__init__(exclusion_writer=exclusion_writer)
        self.marks_folder = get_datafolder(marks_folder)

    def marks_file(self, rank: int) -> str:
        raise NotImplementedError

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        path = self.marks_file(rank)
        self._marks = {}
        if self.marks_folder.exists(path):
            self._marks = {row[0]: row[1:] for row in read_jsonl(self.marks_folder, path)}
        self._position = -1
        yield from super().run(data, rank, world_size)

    def filter(self, doc: Document):
        self._position += 1
        mark = self._marks.get(self._position)
        if mark is None:
            return True
        kept_id, kept_source, *extra = mark
        doc.metadata.update(
            kept_id=kept_id, duplicate_of=kept_id, kept_source=kept_source, **dict(zip(self.extra_fields, extra))
        )
        return False, self.reason


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
