"""The two PDF backends side by side (tests and benchmarks only): character-level similarity of
what each makes of a file, and the quarantine reason each gives a broken file.

The text compared is the final document text before the quality filters: the PDF extractor's
(pages, layout repair, and for pypdfium2 its fallback to pdfminer.six on text pdfium leaves
out) through the Japanese normaliser, i.e. what the filters and the docs/ of a build receive.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document, Media, MediaType

from kinyu.corpus.extract.config import ExtractConfig
from kinyu.corpus.extract.extractors import PdfExtractor
from kinyu.corpus.normalize import normalize_japanese
from testkit.shared import shared_real_dir

BACKENDS = ("pdfminer", "pypdfium2")


def char_similarity(a: str, b: str) -> float:
    """difflib's ratio 2M/T over characters (M: characters in matching blocks, T: both lengths),
    with the matching found line by line first and character by character inside the lines that
    differ (difflib on 200,000 characters at once is quadratic). 1.0 for identical texts."""
    if a == b:
        return 1.0
    la, lb = a.split("\n"), b.split("\n")
    matched = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        if tag == "equal":
            matched += sum(len(line) + 1 for line in la[i1:i2])
        elif tag == "replace":
            x, y = "\n".join(la[i1:i2]), "\n".join(lb[j1:j2])
            matched += sum(m.size for m in difflib.SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks())
    return 2 * matched / (len(a) + len(b) + 2)  # +2: the newline split() leaves off each text's end


def shared_pdfs() -> list[Path]:
    """Every PDF in the shared real data, sorted by path."""
    return sorted(shared_real_dir().rglob("*.pdf"))


def pdf_document(data: bytes, doc_id: str) -> Document:
    doc = Document(text="", id=doc_id, metadata={"format": "pdf", "source": doc_id})
    doc.media = [Media(id=doc_id, type=MediaType.DOCUMENT, url=doc_id, media_bytes=data)]
    return doc


@dataclass
class Extracted:
    text: str  # normalised; "" when quarantined
    metadata: dict

    @property
    def reason(self) -> str | None:
        return self.metadata.get("quarantine", {}).get("reason")


def extract(data: bytes, backend: str, doc_id: str = "x.pdf", **settings) -> Extracted:
    """One file through the PDF extractor with ``backend`` (in this process unless ``timeout_s``
    is given), its text normalised."""
    settings.setdefault("timeout_s", 0)
    step = PdfExtractor(ExtractConfig(pdf_backend=backend, **settings))
    (doc,) = list(step.run([pdf_document(data, doc_id)]))
    return Extracted(normalize_japanese(doc.text) if doc.text else "", dict(doc.metadata))


def broken_files() -> dict[str, bytes]:
    """Broken PDFs of every kind a crawl meets, from the shared data where present and made
    here: encrypted, truncated at several points, empty, only a header, a damaged cross-reference
    table, binary garbage after the header."""
    out: dict[str, bytes] = {"empty.pdf": b"", "header_only.pdf": b"%PDF-1.7\n", "garbage.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 40}
    real = shared_real_dir()
    if (real / "pdf" / "aes-256.pdf").is_file():
        out["aes-256.pdf"] = (real / "pdf" / "aes-256.pdf").read_bytes()
    for name in ("0000196301.pdf", "0000196315-1-2.pdf"):
        path = real / "mhlw-pdf" / name
        if path.is_file():
            data = path.read_bytes()
            for cut in (0.02, 0.15, 0.5, 0.9):
                out[f"{path.stem}-truncated-{int(cut * 100)}.pdf"] = data[: int(len(data) * cut)]
            xref = data.rfind(b"startxref")
            if xref > 0:  # the offset after startxref points nowhere
                out[f"{path.stem}-bad-startxref.pdf"] = data[:xref] + b"startxref\n99999999\n%%EOF\n"
    return out
