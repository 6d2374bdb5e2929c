"""The labelled filter evaluation set (tests/data/filters_eval): its segments, materialised from
the shared real documents, and the keep/drop decisions of kinyu's filters and of HojiChar on them.

A segment is a reference, never a copy: ``source`` (a file under ``real/``, read through the
project's own extraction, see ``testkit.realdata.source_text``) and how to cut it — a whole
document, a chunk of about ``chars`` characters starting at the line that starts with ``anchor``,
the lines matching ``grep`` joined, or (``unit: line``) the one line that starts with ``anchor``.
``misdecode: "utf-8>cp1252"`` re-encodes the text and decodes it with the wrong codec (the
wrong decodes a crawler meets). Documents are judged by the whole default chain (line cleaning,
then the document filters); a line is judged by the line cleaner running on its whole source
document, as in a build. ``unit: table`` (tests/data/filters_eval/tables.jsonl) is the
Markdown table whose header line starts with ``anchor``, cut from the text with tables as tables
(the default build's), and judged like a line: kept when the line cleaner, on its whole source
document, removes none of its lines.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from kinyu.corpus.filters import JapaneseLineCleaner, QualityConfig, quality_steps
from kinyu.corpus.tables import table_blocks
from testkit.realdata import source_text

SEGMENTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "filters_eval" / "segments.jsonl"
# labelled after the filters were tuned on segments.jsonl, and never tuned on
HELDOUT = SEGMENTS.with_name("heldout.jsonl")
# table blocks of filings (kept and removed kinds), labelled after the table rules were tuned
# on filings-u4 valid; its real/ sources were never tuned on
TABLES = SEGMENTS.with_name("tables.jsonl")


@dataclass
class Segment:
    id: str
    unit: str  # "doc", "line" or "table"
    source: str
    category: str
    label: str  # "keep" or "drop"
    note: str = ""
    pages: int = 0
    vertical: bool = True
    anchor: str | None = None
    occurrence: int = 0
    chars: int | None = None
    grep: str | None = None
    misdecode: str | None = None
    text: str = field(default="", repr=False)
    line_no: int = -1  # unit "line"/"table": index of the (header) line in the source text
    table_lines: int = 0  # unit "table": how many lines the table spans
    backend: str = "pdfminer"  # the PDF backend whose text the segment was cut from
    tables: str = "trafilatura"  # how the HTML's tables were written in that text (extract.html_table_format)


def load_segments(path: Path = SEGMENTS) -> list[Segment]:
    segments = []
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        record = json.loads(raw)
        seg = Segment(**record)
        if seg.unit not in ("doc", "line", "table") or seg.label not in ("keep", "drop"):
            raise ValueError(f"{path}:{no}: unit must be doc|line|table and label keep|drop, got {seg.unit!r}/{seg.label!r}")
        segments.append(seg)
    return segments


@lru_cache(maxsize=128)
def _text(source: str, pages: int, vertical: bool, backend: str = "pdfminer", tables: str = "trafilatura") -> str:
    # The set was labelled on trafilatura's table rows (before tables were kept as tables): its
    # anchors and labels are of that text, which the filters still judge as they did (rows
    # without a header line are residue). Tables as tables: tests/test_tables.py, and
    # ``segments(tables="markdown")`` for the segments that still resolve in that text.
    return source_text(source, pages, vertical, backend, tables=tables)


def _find_line(lines: list[str], anchor: str, occurrence: int, where: str) -> int:
    hits = [i for i, line in enumerate(lines) if line.startswith(anchor)]
    if len(hits) <= occurrence:
        raise ValueError(f"{where}: no line starting with {anchor!r} (occurrence {occurrence})")
    return hits[occurrence]


def materialise(seg: Segment, backend: str = "pdfminer", tables: str = "trafilatura") -> Segment:
    """Fill ``seg.text`` (and ``seg.line_no`` for a line) from the shared data, PDFs read with
    ``backend`` (the references were cut from pdfminer.six's text)."""
    seg.backend = backend
    seg.tables = tables = "markdown" if seg.unit == "table" else tables
    lines = _text(seg.source, seg.pages, seg.vertical, backend, tables).split("\n")
    if seg.unit == "table":
        start = _find_line(lines, seg.anchor or "", seg.occurrence, seg.id)
        block = next((b for b in table_blocks(lines) if b.start == start), None)
        if block is None:
            raise ValueError(f"{seg.id}: the line starting with {seg.anchor!r} heads no table")
        seg.line_no = start
        seg.table_lines = block.end - block.start
        seg.text = "\n".join(lines[block.start:block.end])
        return seg
    if seg.unit == "line":
        seg.line_no = _find_line(lines, seg.anchor or "", seg.occurrence, seg.id)
        seg.text = lines[seg.line_no]
        return seg
    if seg.grep:
        pattern = re.compile(seg.grep)
        text = "\n".join(line for line in lines if pattern.search(line))
    elif seg.anchor is not None:
        start = _find_line(lines, seg.anchor, seg.occurrence, seg.id)
        out, size = [], 0
        for line in lines[start:]:
            if seg.chars is not None and size >= seg.chars:
                break
            out.append(line)
            size += len(line) + 1
        text = "\n".join(out).strip()
    else:
        text = "\n".join(lines)
    if seg.misdecode:
        encode_as, decode_as = seg.misdecode.split(">")
        text = text.encode(encode_as, errors="replace").decode(decode_as, errors="replace")
    seg.text = text
    return seg


def segments(path: Path = SEGMENTS, backend: str = "pdfminer", tables: str = "trafilatura") -> list[Segment]:
    """The set's segments with their text. ``tables="markdown"``: cut from the text with tables
    as tables (the default build's); a segment whose anchor is a raw table row of trafilatura's
    has no place there and is left out."""
    out = []
    for s in load_segments(path):
        try:
            out.append(materialise(s, backend, tables))
        except ValueError:
            if tables == "trafilatura":
                raise
    return out


# --- kinyu's decisions ---------------------------------------------------------------------------


def kinyu_document(text: str, cfg: QualityConfig | None = None) -> str | None:
    """None if the default chain keeps ``text``, else the reason it was dropped for."""
    doc = Document(text=text, id="eval", metadata={})
    for step in quality_steps(cfg or QualityConfig(), None):
        if isinstance(step, BaseFilter):
            result = step.filter_batch([doc])[0]  # as a build calls it (a table document's pass is there)
            if result is False or (isinstance(result, tuple) and not result[0]):
                return result[1] if isinstance(result, tuple) else type(step).__name__
        else:
            doc = next(iter(step.run([doc])))
    return None


def kinyu_lines(segs: list[Segment], cfg: QualityConfig | None = None) -> dict[str, str | None]:
    """Per line segment: None if the line cleaner keeps it in its source document, else the reason."""
    cleaner = JapaneseLineCleaner((cfg or QualityConfig()).line_clean)
    by_source: dict[tuple, list[Segment]] = defaultdict(list)
    for seg in segs:
        by_source[(seg.source, seg.pages, seg.vertical, seg.backend, seg.tables)].append(seg)
    out: dict[str, str | None] = {}
    for (source, pages, vertical, backend, tables), group in by_source.items():
        doc = Document(text=_text(source, pages, vertical, backend, tables), id=source, metadata={})
        removed: dict[int, str] = {}
        for line_no, reason, block in cleaner.clean(doc):
            for k in range(block.count("\n") + 1):
                removed[line_no - 1 + k] = reason
        for seg in group:
            span = range(seg.line_no, seg.line_no + (seg.table_lines if seg.unit == "table" else 1))
            out[seg.id] = next((removed[j] for j in span if j in removed), None)
    return out


# --- HojiChar --------------------------------------------------------------------------------------

HOJICHAR_CHAIN = (
    "AcceptJapanese", "DocumentLengthFilter(min_doc_len=50)", "DiscardRareKuten", "DiscardAds",
    "DiscardBBSComments", "DiscardAdultContentJa", "DiscardDiscriminationContentJa", "DiscardViolenceContentJa",
    "DiscardTooManyNouns", "CharRepetitionRatioFilter", "WordRepetitionRatioFilter", "DiscardTooManySpecialToken",
    "SingleCharacterRepetitionFilter", "DiscardTooManyEndingEllipsis", "DiscardTooShortLines",
)  # fmt: skip


def hojichar_chain(for_lines: bool = False):
    """HojiChar's Japanese document filters, each with its defaults (the length filter with
    kinyu's 50-character floor and no ceiling, as HojiChar sets none by default). For single
    lines the length filter is left out: HojiChar has no line cleaner, so a line is judged as a
    document of its own. None when hojichar is not installed (an optional bench dependency)."""
    try:  # optional: only the accuracy benchmark compares against it
        from hojichar import Compose
        from hojichar.filters import document_filters as f
    except ImportError:
        return None
    filters = [f.AcceptJapanese()]
    if not for_lines:
        filters.append(f.DocumentLengthFilter(min_doc_len=50))
    filters += [
        f.DiscardRareKuten(), f.DiscardAds(), f.DiscardBBSComments(), f.DiscardAdultContentJa(),
        f.DiscardDiscriminationContentJa(), f.DiscardViolenceContentJa(), f.DiscardTooManyNouns(),
        f.CharRepetitionRatioFilter(), f.WordRepetitionRatioFilter(), f.DiscardTooManySpecialToken(),
        f.SingleCharacterRepetitionFilter(), f.DiscardTooManyEndingEllipsis(), f.DiscardTooShortLines(),
    ]  # fmt: skip
    return Compose(filters)


def hojichar_decision(chain, text: str) -> str | None:
    """None if HojiChar keeps ``text``, else the name of the first filter that rejected it."""
    from hojichar import Document as HDocument  # optional, see hojichar_chain

    doc = HDocument(text)
    for flt in chain.filters:
        doc = flt.apply(doc)
        if doc.is_rejected:
            return type(flt).__name__
    return None


# --- scoring ---------------------------------------------------------------------------------------


@dataclass
class Score:
    n: int = 0
    correct: int = 0
    tp_keep: int = 0  # kept and labelled keep
    fp_keep: int = 0  # kept but labelled drop
    fn_keep: int = 0  # dropped but labelled keep

    def add(self, label: str, kept: bool) -> None:
        self.n += 1
        self.correct += (label == "keep") == kept
        if kept:
            self.tp_keep += label == "keep"
            self.fp_keep += label == "drop"
        elif label == "keep":
            self.fn_keep += 1

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def tp_drop(self) -> int:
        return self.n - self.tp_keep - self.fp_keep - self.fn_keep

    def precision(self, which: str) -> float | None:
        tp, fp = (self.tp_keep, self.fp_keep) if which == "keep" else (self.tp_drop, self.fn_keep)
        return tp / (tp + fp) if tp + fp else None

    def recall(self, which: str) -> float | None:
        tp, fn = (self.tp_keep, self.fn_keep) if which == "keep" else (self.tp_drop, self.fp_keep)
        return tp / (tp + fn) if tp + fn else None


def score(segs: list[Segment], decisions: dict[str, str | None]) -> dict[tuple[str, str], Score]:
    """Scores keyed by (unit, category), plus (unit, "ALL") and ("all", "ALL")."""
    out: dict[tuple[str, str], Score] = defaultdict(Score)
    for seg in segs:
        kept = decisions[seg.id] is None
        for key in ((seg.unit, seg.category), (seg.unit, "ALL"), ("all", "ALL")):
            out[key].add(seg.label, kept)
    return dict(out)


def kinyu_decisions(segs: list[Segment], cfg: QualityConfig | None = None) -> dict[str, str | None]:
    decisions = kinyu_lines([s for s in segs if s.unit in ("line", "table")], cfg)
    decisions.update({s.id: kinyu_document(s.text, cfg) for s in segs if s.unit == "doc"})
    return decisions


def hojichar_decisions(segs: list[Segment]) -> dict[str, str | None] | None:
    docs, lines = hojichar_chain(), hojichar_chain(for_lines=True)
    if docs is None:
        return None
    # a table is judged as a text of its own (HojiChar has no line cleaner), with the length filter
    return {s.id: hojichar_decision(docs if s.unit in ("doc", "table") else lines, s.text) for s in segs}


def whole_document_losses(segs: list[Segment], decisions: dict[str, str | None]) -> dict[str, Counter]:
    """Good-text document categories in which every document was dropped: {category: reasons}."""
    by_cat: dict[str, list[Segment]] = defaultdict(list)
    for seg in segs:
        if seg.unit == "doc" and seg.label == "keep":
            by_cat[seg.category].append(seg)
    return {
        cat: Counter(decisions[s.id] for s in group)
        for cat, group in by_cat.items()
        if all(decisions[s.id] is not None for s in group)
    }
