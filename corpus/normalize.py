"""Japanese text normalisation: NFKC, no spaces inside Japanese, clean newlines and controls."""

from __future__ import annotations

import re
import unicodedata

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from kinyu.corpus.japanese import JAPANESE_OR_PUNCT

# Both pdfminer (letter-spaced and vertical text) and trafilatura (line wraps and split cells
# in 有報 HTML: 65-190 per real section) put spaces between Japanese characters, where
# Japanese never has them. Digits next to Japanese are joined too (「12 月」 -> 「12月」);
# Latin words keep their spaces (「NISA 口座」 is written both ways).
_JA = f"[{JAPANESE_OR_PUNCT}]"
_RE_SPACE_BETWEEN_JA = re.compile(f"(?<={_JA})[ \\t\u3000]+(?={_JA})")
_RE_SPACE_JA_DIGIT = re.compile(f"(?<={_JA})[ \\t\u3000]+(?=[0-9０-９])|(?<=[0-9０-９%％])[ \\t\u3000]+(?={_JA})")
_RE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")
_RE_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_RE_BLANK_RUN = re.compile(r"\n{3,}")


def normalize_japanese(text: str, nfkc: bool = True, join_japanese_spaces: bool = True) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    if nfkc:
        # NFKC folds full-width ASCII, half-width kana and look-alikes such as the Kangxi
        # radical 「⼀」 (U+2F00) that pdfminer emits for 「一」.
        text = unicodedata.normalize("NFKC", text)
    text = _RE_CONTROL.sub("", text)
    text = _RE_SPACES.sub(" ", text)
    if join_japanese_spaces:
        # applied twice: the look-behind of the second space in 「あ い う」 is the removed one
        for _ in range(2):
            text = _RE_SPACE_BETWEEN_JA.sub("", text)
            text = _RE_SPACE_JA_DIGIT.sub("", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _RE_BLANK_RUN.sub("\n\n", text)
    return text.strip()


class JapaneseNormalizer(PipelineStep):
    """Normalise every document's text (NFKC, spaces inside Japanese, newlines, controls).

    Keeps every document; counts the characters it removed. Runs after extraction so that
    all formats reach the filters in the same form.
    """

    name = "🔤 Japanese normaliser"
    type = "✂️ - FORMAT"

    def __init__(self, nfkc: bool = True, join_japanese_spaces: bool = True):
        super().__init__()
        self.nfkc = nfkc
        self.join_japanese_spaces = join_japanese_spaces

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                before = len(doc.text)
                doc.text = normalize_japanese(doc.text, self.nfkc, self.join_japanese_spaces)
                self.stat_update("chars_in", value=before)
                self.stat_update("chars_out", value=len(doc.text))
            yield doc
