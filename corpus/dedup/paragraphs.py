"""Cross-document paragraph dedup (CCNet-style), in three datatrove stages like exact dedup:
unit hashes per task, one merge that counts in how many documents (or folders) each unit occurs,
a filter per task that takes the repeated units out.

Every 有価証券報告書 repeats standard passages (the forward-looking-statement notes, the audit
report's template, the same headings and legal phrases), and a company's filings of consecutive
years repeat whole sections. A unit (a line, or a blank-line-separated paragraph) whose
whitespace-folded text occurs in at least ``min_documents`` documents (or input folders: a
filing's section files count once) is kept once, in the document with the smallest
``(metadata["source"], id)`` (the rule of exact and MinHash dedup, so the result does not depend
on task count, worker count or input order), and removed from every other document.

Markdown tables (``kinyu.corpus.tables.table_blocks``) are never touched, nor the line right above
each (its caption: 「(単位:百万円)」 is in 29 of 30 filings, and the figures mean nothing without
it): a table's rows carry the filer's own figures between standard labels, and removing a row
would break the table; a paragraph holding a table line is no unit either. A whole repeated table is exact and MinHash
dedup's business.
"""

from __future__ import annotations

import contextlib
import json
import posixpath

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.hashing import HashConfig, create_hash_func
from datatrove.utils.typeshelper import StatHints

from kinyu.corpus.dedup.config import ParagraphDedupConfig, doc_key, exact_dedup_text
from kinyu.corpus.dedup.marks import SortedRecords, hash_groups, read_jsonl
from kinyu.corpus.tables import table_blocks

REASON = "repeated_paragraph"  # a removed unit's filter_reason
DROP_REASON = "boilerplate_only"  # a document left with less than min_doc_chars


def units(text: str, unit: str, min_chars: int) -> list[tuple[int, int, str]]:
    """``(first line, end line (exclusive), whitespace-folded text)`` of each unit of ``text`` that
    paragraph dedup may remove: lines (``unit="line"``) or blank-line-separated paragraphs, none
    inside a Markdown table, none shorter than ``min_chars`` once folded."""
    lines = text.split("\n")
    in_table = set()
    for block in table_blocks(lines):
        # and the line right above it: its caption (「(単位:百万円)」「2020年3月31日現在」), in
        # nearly every filing, is what the table's figures mean (the U4 answers are scaled by it)
        in_table.update(range(max(block.start - 1, 0), block.end))
    if unit == "line":
        spans = [(i, i + 1) for i in range(len(lines))]
    else:
        spans, start = [], None
        for i, line in enumerate([*lines, ""]):
            if line.strip() and start is None:
                start = i
            elif not line.strip() and start is not None:
                spans.append((start, i))
                start = None
    out = []
    for start, end in spans:
        if any(j in in_table for j in range(start, end)):
            continue
        folded = exact_dedup_text("\n".join(lines[start:end]))
        if folded and len(folded) >= min_chars:
            out.append((start, end, folded))
    return out


def count_key(doc: Document, count_per: str) -> str:
    """What one occurrence is counted per: the document, or the folder of its source (the section
    files of one 有報 are one ``<書類管理番号>/`` folder)."""
    source, doc_id = doc_key(doc)
    return posixpath.dirname(source) if count_per == "folder" else f"{source}\t{doc_id}"


class ParagraphSignatures(PipelineStep):
    """Paragraph dedup, stage 1: per unit of each document, (hash, source, id, position, line,
    count key), sorted, to ``{rank:05d}.para.sigs.jsonl``. Keeps every document (it only reads
    them). Memory is bounded: past ``max_records_in_memory`` records, sorted runs go to disk and
    are merged at the end."""

    type = "🫂 - DEDUP"
    name = "🧱 paragraph dedup: signatures"

    def __init__(self, output_folder: DataFolderLike, config: ParagraphDedupConfig, max_records_in_memory: int = 500_000):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.config = config
        self.max_records_in_memory = max_records_in_memory

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        hash_fc = create_hash_func(HashConfig(precision=64, hash_fc="xxhash"), bytes)
        c = self.config
        records = SortedRecords(self.output_folder, f"{rank:05d}.para.sigs", self.max_records_in_memory)
        for doc_idx, doc in enumerate(data):
            with self.track_time():
                self.stat_update("documents")
                source, doc_id = doc_key(doc)
                key = count_key(doc, c.count_per)
                for start, _, folded in units(doc.text, c.unit, c.min_chars):
                    self.stat_update("units")
                    records.add((hash_fc(folded.encode("utf-8")), source, doc_id, doc_idx, start, key))
        records.write(f"{rank:05d}.para.sigs.jsonl")
        return
        yield  # a generator step: the documents stop here


class ParagraphFindRepeats(PipelineStep):
    """Paragraph dedup, stage 2 (one task): merge every rank's sorted units; a unit whose hash
    occurs under at least ``min_documents`` count keys is marked in every document but the first
    (smallest source, id). Writes per input rank ``{rank:05d}.para.dups.jsonl`` rows of
    ``[position, line, kept_id, kept_source, count]``. Memory: one group of equal hashes."""

    type = "🫂 - DEDUP"
    name = "🧱 paragraph dedup: find repeats"

    def __init__(self, input_folder: DataFolderLike, output_folder: DataFolderLike, min_documents: int):
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.output_folder = get_datafolder(output_folder)
        self.min_documents = min_documents

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"{self.name} must run as one task, got {world_size}")
        with self.track_time(), self.output_folder.get_output_file_manager(mode="wt") as out:
            for group in hash_groups(self.input_folder, "*.para.sigs.jsonl"):
                self.stat_update("total", value=len(group))
                count = len({r[6] for r in group})
                if count < self.min_documents:
                    continue
                _, kept_source, kept_id, kept_rank, kept_idx, _, _ = group[0]
                self.stat_update("repeated_units")
                for _, _, _, file_rank, doc_idx, line, _ in group:
                    if (file_rank, doc_idx) == (kept_rank, kept_idx):
                        continue  # the kept document keeps every copy of its own
                    out.write(f"{file_rank:05d}.para.dups.jsonl", json.dumps([doc_idx, line, kept_id, kept_source, count], ensure_ascii=False) + "\n")
                    self.stat_update("marked")
        return
        yield


class ParagraphDedupFilter(PipelineStep):
    """Paragraph dedup, stage 3: take the marked units out of each document (by its position in
    the rank's stream, as exact dedup's filter does).

    Each removed unit goes to ``removed/paragraph_dedup/`` as a block of its document (``parent_id``,
    ``line_no``, ``filter_reason="repeated_paragraph"``, the kept copy's ``kept_id`` /
    ``kept_source`` and ``documents``: under how many count keys it occurs), like the line
    cleaner's blocks; ``metadata["paragraph_dedup"]`` of a changed document says how many units
    and characters went. A document left with less than ``min_doc_chars`` (stripped) is dropped
    whole as ``boilerplate_only``: what remains of it is a heading or two.
    """

    type = "🫂 - DEDUP"
    name = "🧱 paragraph dedup: filter"

    def __init__(self, marks_folder: DataFolderLike, config: ParagraphDedupConfig, exclusion_writer=None):
        super().__init__()
        self.marks_folder = get_datafolder(marks_folder)
        self.config = config
        self.exclusion_writer = exclusion_writer

    def _marks(self, rank: int) -> dict[int, dict[int, list]]:
        path = f"{rank:05d}.para.dups.jsonl"
        marks: dict[int, dict[int, list]] = {}
        if self.marks_folder.exists(path):
            for doc_idx, line, *rest in read_jsonl(self.marks_folder, path):
                marks.setdefault(doc_idx, {})[line] = rest
        return marks

    def _strip(self, doc: Document, marked: dict[int, list]) -> list[tuple[int, str, list]]:
        """Remove ``marked`` units from ``doc`` in place; return (line_no, text, mark) per removed unit."""
        lines = doc.text.split("\n")
        gone: set[int] = set()
        removed = []
        for start, end, _ in units(doc.text, self.config.unit, self.config.min_chars):
            if start in marked:
                removed.append((start, "\n".join(lines[start:end]), marked[start]))
                gone.update(range(start, end))
                if self.config.unit == "paragraph" and end < len(lines) and not lines[end].strip():
                    gone.add(end)  # and the blank line that separated it from the next
        before = len(doc.text)
        doc.text = "\n".join(line for i, line in enumerate(lines) if i not in gone)
        doc.metadata["paragraph_dedup"] = {"removed_units": len(removed), "removed_chars": before - len(doc.text)}
        return removed

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        marks = self._marks(rank)
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for position, doc in enumerate(data):
                self.stat_update(StatHints.total)
                marked = marks.pop(position, None)
                if marked:
                    with self.track_time():
                        removed = self._strip(doc, marked)
                    self.stat_update("documents_changed")
                    for line_no, text, (kept_id, kept_source, count) in removed:
                        self.stat_update("removed_units")
                        self.stat_update("removed_chars", value=len(text))
                        if writer:
                            writer.write(Document(text=text, id=f"{doc.id}#L{line_no}", metadata={
                                "filter_reason": REASON, "parent_id": doc.id, "line_no": line_no, "source": doc.metadata.get("source"),
                                "kept_id": kept_id, "kept_source": kept_source, "documents": count}), rank)
                    if len(doc.text.strip()) < self.config.min_doc_chars:
                        self.stat_update(StatHints.dropped)
                        self.stat_update(f"dropped_{DROP_REASON}")
                        if writer:
                            doc.metadata["filter_reason"] = DROP_REASON
                            writer.write(doc, rank)
                        continue
                self.stat_update(StatHints.forwarded)
                yield doc
