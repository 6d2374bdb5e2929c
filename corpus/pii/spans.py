"""A found span of personal information, and its shape (what an audit shows instead of the value)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    type: str
    rule: str
    public: bool = False


def shape(s: str) -> str:
    """A span with its value hidden and its form kept (audits): digits → 9, Latin → x,
    other letters (kana, kanji) → ○; separators, @ and dots stay: ``090-1234-5678`` →
    ``999-9999-9999``, ``taro@example.jp`` → ``xxxx@xxxxxxx.xx``."""
    out = []
    for ch in s:
        if ch.isdigit():
            out.append("9")
        elif ch.isascii() and ch.isalpha():
            out.append("x")
        elif ch.isalpha():
            out.append("○")
        else:
            out.append(ch)
    return "".join(out)
