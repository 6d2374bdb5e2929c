"""A text as the classifier's input: characters as tokens (Japanese has no spaces), so that
fastText's word n-grams are character n-grams; digits folded to 0, Latin letters lowercased.

The same function serves training and prediction, so the model always sees text the same way;
``FEATURES`` names this form in the model's card, and a model made with another is refused.
"""

from __future__ import annotations

import re
import unicodedata

FEATURES = "chars-v1"  # characters NFKC, digits -> 0, lowercase, whitespace dropped
LABEL_FINANCE = "__label__finance"
LABEL_GENERAL = "__label__general"

_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def fasttext_line(text: str, max_chars: int | None = None) -> str:
    """``text`` (its first ``max_chars`` non-space characters) as space-separated characters, one line."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub("", text)
    if max_chars:
        text = text[:max_chars]
    return " ".join(_DIGITS.sub("0", text).lower())


def chunks(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of about ``size`` characters at line breaks (a longer line is cut
    inside), so that one long filing gives many training examples and a short article one."""
    out, current = [], ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                out.append(current)
                current = ""
            out.append(line[:size])
            line = line[size:]
        if current and len(current) + len(line) > size:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current.strip():
        out.append(current)
    return [c for c in out if c.strip()]
