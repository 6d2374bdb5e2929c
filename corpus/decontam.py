"""Benchmark decontamination: remove training text that overlaps the evaluation data.

The benchmark items are the lines of every question, context and choice of the fin-harness
tasks (``data.json``; cpa_audit's ``CPA_AUDIT.xlsx``), chABSA sentences (``*_ann.json``), the
NTCIR-18 U4 table-QA questions and tables of its evaluated splits (a ``filings-u4`` folder: valid
and test, each table one item, its text row by row; the train split is training data and stays
in the corpus), or any folder of ``.json`` / ``.jsonl`` / ``.txt`` benchmark data the config names. Both sides are
put in one matching form (the corpus normaliser, then lowercase, no whitespace).

A document is contaminated by an item when

* character 13-grams: at least ``min_overlap`` of the item's distinct 13-grams occur in the
  document (a planted copy matches 100 %; a shared 17-character stock phrase of a 100-character
  sentence only 5 %), or
* near match: a line of the document has Jaccard >= ``lsh_threshold`` with the item on
  character ``lsh_ngram``-grams (found with a datasketch MinHash LSH index of the items,
  confirmed exactly), which catches lightly edited copies whose 13-grams are broken.

``mode="paragraph"`` removes the lines (paragraphs) that the matched n-grams or the near-matched
line cover and keeps the rest of the document; ``mode="document"`` drops the whole document.
Either way the removed text goes to the exclusion writer (``removed/decontamination/``) with the
matched benchmark item ids.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

import numpy as np
import regex
from datasketch import MinHash, MinHashLSH
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.base import u4
from kinyu.base.benchmarks import CHABSA, cell_text, read_json_file, read_xlsx_rows, task_folders, task_of_file
from kinyu.base.config import option
from kinyu.base.errors import PathNotFound, UserError
from kinyu.corpus.ngrams import ngram_hashes
from kinyu.corpus.normalize import normalize_japanese


@dataclass
class DecontaminationConfig:
    """Benchmark decontamination (``kinyu.corpus.decontam``)."""

    enabled: bool = option(False, "remove training text overlapping the benchmark data in benchmark_paths")
    benchmark_paths: list[str] = option([], "benchmark folders/files: a fin-harness data dir (or its task folders), chABSA json folder, "
                                        "a filings-u4 folder (its valid/test questions and tables; train stays training data), .jsonl/.txt")
    ngram: int = option(13, "characters per n-gram for overlap (13: the GPT-3 convention)")
    min_overlap: float = option(0.5, "share of an item's distinct n-grams that must occur in a document to match")
    mode: Literal["paragraph", "document"] = option("paragraph", "'paragraph': drop only the overlapping lines; 'document': drop the whole document")
    lsh_threshold: float = option(0.6, "Jaccard (char lsh_ngram-grams) of a line and an item for a near match; 0 disables. "
            "On 5,262 lines of real 有報 sections 0.5 matched a section heading, 0.6 nothing spurious")
    lsh_ngram: int = option(5, "characters per shingle for near matches")
    lsh_num_perm: int = option(128, "MinHash permutations of the LSH index")
    min_item_chars: int = option(20, "ignore benchmark lines shorter than this (generic phrasing such as 「正しいものはどれか。」)")
    seed: int = option(1, "MinHash seed")

    def problems(self) -> list[str]:
        found = []
        if self.mode not in ("paragraph", "document"):
            found.append(f"mode must be 'paragraph' or 'document', got {self.mode!r}")
        if self.ngram < 1 or self.lsh_ngram < 1:
            found.append("ngram and lsh_ngram must be >= 1")
        if not 0.0 < self.min_overlap <= 1.0:
            found.append(f"min_overlap must be in (0, 1], got {self.min_overlap}")
        if not 0.0 <= self.lsh_threshold <= 1.0:
            found.append(f"lsh_threshold must be in [0, 1], got {self.lsh_threshold}")
        if self.enabled:
            if not self.benchmark_paths:
                found.append("enabled is true but benchmark_paths is empty: name the benchmark data folders "
                             "(e.g. a fin-harness data dir and the chABSA json dir)")
            missing = [p for p in self.benchmark_paths if not Path(p).exists()]
            if missing:
                found.append(f"benchmark_paths not found: {missing}")
        return found


def fin_harness_benchmark_paths(fin_harness_dir: str | Path | None, chabsa_dir: str | Path | None = None) -> list[str]:
    """Benchmark paths for the fin-harness tasks: each task folder of ``fin_harness_dir`` + chABSA."""
    paths: list[str] = []
    if fin_harness_dir is not None:
        root = Path(fin_harness_dir)
        if not root.is_dir():
            raise PathNotFound(f"fin-harness data dir not found: {root}")
        paths += [str(p) for p in task_folders(root)]
    if chabsa_dir is not None:
        if not Path(chabsa_dir).is_dir():
            raise PathNotFound(f"chABSA dir not found: {chabsa_dir}")
        paths.append(str(chabsa_dir))
    return paths


# --------------------------------------------------------------------------------------------
# benchmark items


@dataclass(frozen=True)
class BenchmarkItem:
    """One line of one benchmark field; ``item_id`` = ``task:item:field[:line]``."""

    item_id: str
    text: str


_TEXT_FIELDS = ("question", "context", "text", "sentence", "passage", "document", "comment")


def _field_items(prefix: str, name: str, value) -> Iterable[BenchmarkItem]:
    if not isinstance(value, str) or not value.strip():
        return
    lines = [ln for ln in value.split("\n") if ln.strip()]
    if len(lines) == 1:
        yield BenchmarkItem(f"{prefix}:{name}", lines[0])
    else:
        for i, ln in enumerate(lines):
            yield BenchmarkItem(f"{prefix}:{name}:{i}", ln)


def _record_items(task: str, key, record: dict) -> Iterable[BenchmarkItem]:
    prefix = f"{task}:{record.get('id', key)}"
    for name in _TEXT_FIELDS:
        # the worked answer ("comment") is not shown to the model but is still benchmark text
        yield from _field_items(prefix, name, record.get(name))
    for ci, choice in enumerate(record.get("choices") or []):
        text = choice.get("text") if isinstance(choice, dict) else choice
        yield from _field_items(prefix, f"choice{ci}", text)


def _json_items(path: Path, task: str) -> Iterable[BenchmarkItem]:
    kind, records = read_json_file(path)
    if kind == CHABSA:
        for s in records:
            yield from _field_items(f"chabsa:{s['document_id']}:{s['sentence_id']}", "sentence", s["sentence"])
        return
    for i, rec in enumerate(records):
        if isinstance(rec, dict):
            yield from _record_items(task, i, rec)
        elif isinstance(rec, str):
            yield from _field_items(f"{task}:{i}", "text", rec)


_XLSX_KEYS = ("key", "q_no", "a_no", "abnormal_flg")  # cpa_audit's row keys and answer: not text


def _xlsx_items(path: Path, task: str) -> Iterable[BenchmarkItem]:
    """fin-harness cpa_audit layout: sheet 'data', question + statements ア–カ + choices 1–6."""
    for ri, rec in enumerate(read_xlsx_rows(path)):
        key = f"{cell_text(rec.get('key'))}-{cell_text(rec.get('q_no', ri))}"
        for col, value in rec.items():
            if col not in _XLSX_KEYS:
                yield from _field_items(f"{task}:{key}", col, value if isinstance(value, str) else None)


def load_benchmark_items(paths: Iterable[str | Path]) -> list[BenchmarkItem]:
    """All benchmark items under ``paths`` (folders are searched recursively, in sorted order)."""
    items: list[BenchmarkItem] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise PathNotFound(f"benchmark path not found: {p}")
        if p.is_dir() and u4.is_u4_folder(p):
            # NTCIR-18 U4 table QA: the evaluated splits' questions and their tables (one item a table)
            items += [BenchmarkItem(item_id, text) for item_id, text in u4.benchmark_texts(p)]
            continue
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            # a fin-harness file is named by its task, also when the whole data dir is given
            task = task_of_file(f) or (p.name if p.is_dir() else f.parent.name) or f.stem
            suffix = f.suffix.lower()
            if suffix == ".json":
                items += _json_items(f, task)
            elif suffix == ".jsonl":
                for i, line in enumerate(f.read_text(encoding="utf-8").splitlines()):
                    if line.strip():
                        rec = json.loads(line)
                        items += _record_items(task, i, rec) if isinstance(rec, dict) else _field_items(f"{task}:{i}", "text", rec)
            elif suffix == ".xlsx":
                items += _xlsx_items(f, task_of_file(f) or f.stem.lower())
            elif suffix == ".txt":
                for i, line in enumerate(f.read_text(encoding="utf-8").splitlines()):
                    items += _field_items(f"{task}:{f.stem}:{i}", "text", line)
            elif not p.is_dir():
                raise UserError(f"unsupported benchmark file type: {f} (use .json, .jsonl, .xlsx or .txt)")
    seen: set[str] = set()
    unique = []
    for it in items:  # ids repeat only if a folder is named twice
        if it.item_id not in seen:
            seen.add(it.item_id)
            unique.append(it)
    return unique


# --------------------------------------------------------------------------------------------
# matching


_RE_BLANK_RUN = regex.compile(r"\n{3,}")
_RE_SPACE_PUNCT = regex.compile(r"[\p{P}\s|]+")


def match_form(text: str) -> str:
    """The form both benchmark and corpus text are compared in.

    The corpus normaliser (NFKC, ...), lowercase, then whitespace, punctuation and the ``|`` of
    table rows removed: a copy whose commas were changed (、 vs ，) or whose line breaks moved
    still matches, and so does a table whether it is written as Markdown rows or as plain text.
    """
    return _RE_SPACE_PUNCT.sub("", normalize_japanese(text).lower())


class BenchmarkIndex:
    """The benchmark items' n-grams (sorted arrays) and a datasketch MinHash LSH of their lines."""

    def __init__(self, items: list[BenchmarkItem], cfg: DecontaminationConfig):
        self.cfg = cfg
        self._permutations = None
        self.items: list[BenchmarkItem] = []
        hashes, owners, counts = [], [], []
        self.shingles: list[np.ndarray] = []
        # near matches are confirmed with the exact Jaccard, so the bands are tuned against misses
        self.lsh = (
            MinHashLSH(threshold=cfg.lsh_threshold, num_perm=cfg.lsh_num_perm, weights=(0.02, 0.98))
            if cfg.lsh_threshold > 0
            else None
        )
        kept: list[tuple[BenchmarkItem, str]] = []
        for it in items:
            form = match_form(it.text)
            if len(form) >= max(cfg.min_item_chars, cfg.ngram, cfg.lsh_ngram):
                kept.append((it, form))
        self.items = [it for it, _ in kept]
        # hash all items in one vectorised pass, then slice out each item's own n-grams
        joined = "".join(form for _, form in kept)
        starts = np.cumsum([0] + [len(form) for _, form in kept])
        all_grams = ngram_hashes(joined, cfg.ngram)
        all_shingles = ngram_hashes(joined, cfg.lsh_ngram)
        for idx in range(len(kept)):
            grams = np.unique(all_grams[starts[idx] : starts[idx + 1] - cfg.ngram + 1])
            hashes.append(grams)
            owners.append(np.full(len(grams), idx, dtype=np.int64))
            counts.append(len(grams))
            sh = np.unique(all_shingles[starts[idx] : starts[idx + 1] - cfg.lsh_ngram + 1])
            self.shingles.append(sh)
            if self.lsh is not None:
                self.lsh.insert(idx, self._minhash(sh))
        if not self.items:
            raise UserError("no benchmark items long enough to match were found in the benchmark paths")
        h = np.concatenate(hashes)
        o = np.concatenate(owners)
        order = np.lexsort((o, h))
        self.hashes, self.owners = h[order], o[order]
        self.ngram_counts = np.asarray(counts, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.items)

    def _minhash(self, shingles: np.ndarray):
        if self._permutations is None:  # drawn once: datasketch draws them per MinHash otherwise
            self._permutations = MinHash(num_perm=self.cfg.lsh_num_perm, seed=self.cfg.seed).permutations
        m = MinHash(
            num_perm=self.cfg.lsh_num_perm,
            seed=self.cfg.seed,
            hashfunc=int,
            permutations=self._permutations,
            scheme="affine32",
        )
        m.update_batch((shingles & np.uint64(0xFFFFFFFF)).tolist())
        return m

    def ngram_matches(self, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Items whose share of n-grams found in ``grams`` reaches min_overlap: (item indices, shares)."""
        if len(grams) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0)
        uniq = np.unique(grams)
        lo = np.searchsorted(self.hashes, uniq, side="left")
        hi = np.searchsorted(self.hashes, uniq, side="right")
        hit = hi > lo
        if not hit.any():
            return np.empty(0, dtype=np.int64), np.empty(0)
        lo, hi = lo[hit], hi[hit]
        lengths = hi - lo
        starts = np.repeat(lo - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(lengths.sum())
        owners = self.owners[starts]
        found = np.bincount(owners, minlength=len(self.items))
        share = found / self.ngram_counts
        matched = np.flatnonzero(share >= self.cfg.min_overlap)
        return matched, share[matched]

    def near_match(self, form: str) -> tuple[int, float] | None:
        """The best item with Jaccard >= lsh_threshold to this line, or None."""
        if self.lsh is None or len(form) < self.cfg.min_item_chars:
            return None
        sh = np.unique(ngram_hashes(form, self.cfg.lsh_ngram))
        best = None
        for idx in sorted(self.lsh.query(self._minhash(sh))):
            other = self.shingles[idx]
            inter = len(np.intersect1d(sh, other, assume_unique=True))
            j = inter / (len(sh) + len(other) - inter)
            if j >= self.cfg.lsh_threshold and (best is None or j > best[1]):
                best = (idx, j)
        return best


@dataclass
class Contamination:
    """What matched in one document: per removed line, the items; and all matched items."""

    lines: dict[int, list[str]]  # line index -> matched item ids
    items: dict[str, tuple[str, float]]  # item id -> (match kind, share or Jaccard)


def find_contamination(text: str, index: BenchmarkIndex) -> Contamination | None:
    """Lines of ``text`` that overlap benchmark items, or None when the text is clean."""
    cfg = index.cfg
    lines = text.split("\n")
    forms = [match_form(ln) for ln in lines]
    joined = "".join(forms)
    line_of = np.repeat(np.arange(len(lines)), [len(f) for f in forms])
    grams = ngram_hashes(joined, cfg.ngram)
    matched, shares = index.ngram_matches(grams)
    result = Contamination({}, {})
    if len(matched):
        for idx, share in zip(matched.tolist(), shares.tolist()):
            result.items[index.items[idx].item_id] = ("ngram", round(share, 4))
        # every position whose n-gram belongs to a matched item marks the lines it spans
        item_hashes = np.unique(np.concatenate([index.hashes[index.owners == i] for i in matched]))
        positions = np.flatnonzero(np.isin(grams, item_hashes))
        matched_set = set(matched.tolist())
        for p in positions.tolist():
            first, last = int(line_of[p]), int(line_of[p + cfg.ngram - 1])
            lo = np.searchsorted(index.hashes, grams[p], side="left")
            hi = np.searchsorted(index.hashes, grams[p], side="right")
            ids = [index.items[o].item_id for o in index.owners[lo:hi].tolist() if o in matched_set]
            for ln in range(first, last + 1):
                bucket = result.lines.setdefault(ln, [])
                bucket.extend(i for i in ids if i not in bucket)
    for ln, form in enumerate(forms):
        near = index.near_match(form)
        if near is not None:
            item_id = index.items[near[0]].item_id
            result.items.setdefault(item_id, ("near", round(near[1], 4)))
            bucket = result.lines.setdefault(ln, [])
            if item_id not in bucket:
                bucket.append(item_id)
    if not result.items:
        return None
    rank = {i: (-score, i) for i, (_, score) in result.items.items()}
    for ln in result.lines:
        result.lines[ln].sort(key=rank.__getitem__)
    result.items = dict(sorted(result.items.items(), key=lambda kv: rank[kv[0]]))
    return result


class BenchmarkDecontaminationFilter(PipelineStep):
    """Remove text that overlaps benchmark items (13-gram share or LSH near match).

    In paragraph mode the overlapping lines are cut out of the document and the rest is kept
    (a document left empty is dropped); in document mode the whole document is dropped.
    Removed text is written to the exclusion writer with ``filter_reason="benchmark_overlap"``,
    ``benchmark_item`` (the first matched item id), ``benchmark_items`` and ``match``
    (item id -> [kind, share/Jaccard]); a removed paragraph also has ``parent_id`` and
    ``paragraph_index``.
    """

    type = "🔻 - FILTER"
    name = "🧪 benchmark decontamination"

    def __init__(self, cfg: DecontaminationConfig, exclusion_writer: DiskWriter | None = None, items: list[BenchmarkItem] | None = None):
        super().__init__()  # cfg was checked when it loaded (kinyu.base.config.load_config)
        self.cfg = cfg
        self.exclusion_writer = exclusion_writer
        self._items = items
        self._index: BenchmarkIndex | None = None

    @property
    def index(self) -> BenchmarkIndex:
        if self._index is None:
            items = self._items if self._items is not None else load_benchmark_items(self.cfg.benchmark_paths)
            self._index = BenchmarkIndex(items, self.cfg)
        return self._index

    def __getstate__(self):  # ship the config, not the built index, to workers
        state = self.__dict__.copy()
        state["_index"] = None
        return state

    def _removed_doc(self, doc: Document, text: str, item_ids: list[str], found: Contamination, **extra) -> Document:
        removed_id = extra.pop("removed_id", doc.id)
        meta = dict(doc.metadata)
        meta.update(
            filter_reason="benchmark_overlap",
            benchmark_item=item_ids[0],
            benchmark_items=item_ids,
            match={i: list(found.items[i]) for i in item_ids if i in found.items},
            **extra,
        )
        return Document(text=text, id=removed_id, metadata=meta)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        index = self.index
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for doc in data:
                self.stat_update("total")
                with self.track_time():
                    found = find_contamination(doc.text, index)
                if found is None:
                    self.stat_update("forwarded")
                    self.update_doc_stats(doc)  # doc_len: the characters passed on, as datatrove's filters count them
                    yield doc
                    continue
                self.stat_update("contaminated_docs")
                self.stat_update("matched_items", value=len(found.items))
                all_ids = list(found.items)  # best match first
                lines = doc.text.split("\n")
                remaining = [ln for i, ln in enumerate(lines) if i not in found.lines]
                if self.cfg.mode == "document" or not "".join(remaining).strip():
                    self.stat_update("dropped")
                    if writer:
                        writer.write(self._removed_doc(doc, doc.text, all_ids, found), rank)
                    continue
                for ln in sorted(found.lines):
                    self.stat_update("removed_paragraphs")
                    if writer:
                        ids = found.lines[ln]
                        writer.write(
                            self._removed_doc(
                                doc, lines[ln], ids, found, parent_id=doc.id, paragraph_index=ln, removed_id=f"{doc.id}#p{ln}"
                            ),
                            rank,
                        )
                # a cut paragraph leaves its blank separators behind: fold runs of them
                doc.text = _RE_BLANK_RUN.sub("\n\n", "\n".join(remaining)).strip("\n")
                doc.metadata["decontaminated_paragraphs"] = len(found.lines)
                doc.metadata["benchmark_items"] = all_ids
                self.stat_update("forwarded")
                self.update_doc_stats(doc)
                yield doc


def decontamination_step(cfg: DecontaminationConfig, exclusion_writer: DiskWriter | None = None) -> BenchmarkDecontaminationFilter:
    return BenchmarkDecontaminationFilter(cfg, exclusion_writer=exclusion_writer)
