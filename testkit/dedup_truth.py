"""Near-duplicate ground truth from the shared real data, and how well a dedup run met it.

The shared data (``../shared/data/real``, see its MANIFEST.md) has documents whose near-duplicate
status is known: MHLW fee-schedule chapters across revision years, amended EDINET filings beside
their originals, and different companies' securities-report sections as negative controls.
This module turns them into text documents and scores a set of merged pairs against them.

Text comes from a stand-in for the corpus extractor (pdfminer.six with vertical detection for
PDFs, trafilatura for HTML, whitespace removed), so the measurement does not depend on the
extraction stage; the pairs' truth is their character 5-gram Jaccard on that same text, computed
here rather than copied from the manifest.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from pdfminer.high_level import extract_text
from pdfminer.layout import LAParams

from kinyu.corpus.ngrams import char_ngrams, jaccard
from testkit.shared import shared_data_dir

# MHLW horizontal chapters: (2018, 2020) and (2020, 2022) revisions of the same chapter, plus
# unrelated chapters of one year. The vertical 告示 files are left out: they are 200k+
# characters each and slow to extract, and the horizontal ones already span 0.07–0.98.
MHLW_FILES = (
    "0000196286", "0000196292", "0000196298", "0000196301", "0000196304",
    "000603747", "000603756", "000603763", "000603766", "000603771", "000907836",
)
# EDINET sample: the amended annual report (20) mirrors the original (02) section by section.
EDINET_SAMPLE_FOLDERS = ("02_開示府令-有価証券報告書", "20_開示府令-訂正有価証券報告書")

GROUND_TRUTH_NGRAM = 5
NEAR_DUPLICATE_MIN = 0.8  # pairs at or above must be merged
DIFFERENT_MAX = 0.3  # pairs at or below must never be merged


_WS = re.compile(r"\s+")


def strip_whitespace(text: str) -> str:
    return _WS.sub("", text)


def extract_pdf(path: Path) -> str:
    return strip_whitespace(extract_text(str(path), laparams=LAParams(detect_vertical=True)))


def extract_html(path: Path) -> str:
    text = trafilatura.extract(path.read_bytes(), include_tables=True, favor_recall=True) or ""
    return strip_whitespace(text)


@dataclass(frozen=True)
class GroundTruthDoc:
    """One document of the ground-truth set: ``doc_id`` names it, ``group`` is its source set."""

    doc_id: str
    group: str
    text: str


def _cached_extract(path: Path, extract, cache_dir: Path | None) -> str:
    if cache_dir is None:
        return extract(path)
    key = hashlib.sha256(path.read_bytes()).hexdigest()[:24] + f"_{extract.__name__}.txt"
    cached = cache_dir / key
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    text = extract(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(cached)
    return text


def load_ground_truth_docs(
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    include_asr: bool = True,
) -> list[GroundTruthDoc]:
    """Extract the ground-truth documents (MHLW horizontal PDFs, EDINET 02/20, EDINET asr HTML).

    Raises FileNotFoundError naming the missing folder when the shared data is absent.
    """
    real = (data_dir or shared_data_dir()) / "real"
    folders = [real / "mhlw-pdf", *(real / "edinet-sample-html" / f for f in EDINET_SAMPLE_FOLDERS)]
    if include_asr:
        folders.append(real / "edinet-asr-html")
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(f"shared ground-truth folder missing: {folder}")
    docs = []
    for name in MHLW_FILES:
        docs.append(GroundTruthDoc(f"mhlw/{name}", "mhlw", _cached_extract(real / "mhlw-pdf" / f"{name}.pdf", extract_pdf, cache_dir)))
    for folder in EDINET_SAMPLE_FOLDERS:
        kind = folder.split("_")[0]
        for path in sorted((real / "edinet-sample-html" / folder).glob("*.htm")):
            section = path.name.split("_")[0]
            docs.append(GroundTruthDoc(f"edinet-sample/{kind}/{section}", "edinet-sample", _cached_extract(path, extract_html, cache_dir)))
    if include_asr:
        for path in sorted((real / "edinet-asr-html").glob("*.html")):
            docs.append(GroundTruthDoc(f"asr/{path.stem}", "asr", _cached_extract(path, extract_html, cache_dir)))
    return [d for d in docs if d.text]


@dataclass(frozen=True)
class ScoredPair:
    a: str
    b: str
    jaccard: float  # character 5-gram Jaccard on whitespace-stripped text


def score_pairs(docs: list[GroundTruthDoc], n: int = GROUND_TRUTH_NGRAM) -> list[ScoredPair]:
    """Jaccard of every pair of documents (the truth the dedup is measured against)."""
    grams = {d.doc_id: char_ngrams(d.text, n) for d in docs}
    return [ScoredPair(a.doc_id, b.doc_id, jaccard(grams[a.doc_id], grams[b.doc_id])) for a, b in itertools.combinations(docs, 2)]


@dataclass
class DedupScore:
    """Recall on must-merge pairs and false merges of must-not-merge pairs."""

    must_merge: int
    merged: int
    must_not_merge: int
    false_merges: int
    missed: list[ScoredPair]
    false: list[ScoredPair]

    @property
    def recall(self) -> float:
        return self.merged / self.must_merge if self.must_merge else 1.0

    def as_dict(self) -> dict:
        return {
            "must_merge_pairs": self.must_merge,
            "merged": self.merged,
            "recall": round(self.recall, 4),
            "must_not_merge_pairs": self.must_not_merge,
            "false_merges": self.false_merges,
            "missed": [(p.a, p.b, round(p.jaccard, 3)) for p in self.missed],
            "false": [(p.a, p.b, round(p.jaccard, 3)) for p in self.false],
        }

    def __str__(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)


def score_clusters(
    pairs: list[ScoredPair],
    cluster_of: dict[str, object],
    near_min: float = NEAR_DUPLICATE_MIN,
    different_max: float = DIFFERENT_MAX,
) -> DedupScore:
    """Score a clustering (doc_id -> cluster label; absent = singleton) against scored pairs.

    Two documents count as merged when they share a cluster, i.e. all but one of them would be
    removed; transitive merges therefore count too, as they do in the pipeline.
    """
    def merged(p: ScoredPair) -> bool:
        ca, cb = cluster_of.get(p.a), cluster_of.get(p.b)
        return ca is not None and ca == cb

    must = [p for p in pairs if p.jaccard >= near_min]
    must_not = [p for p in pairs if p.jaccard <= different_max]
    missed = [p for p in must if not merged(p)]
    false = [p for p in must_not if merged(p)]
    return DedupScore(len(must), len(must) - len(missed), len(must_not), len(false), missed, false)
