"""Bytes to text for Japanese HTML and plain text: BOM, declared charset, then detection.

Japanese pages still come in Shift_JIS (really CP932), EUC-JP and ISO-2022-JP, often with
no declaration at all. The order is the one browsers use: a BOM wins, then the document's
own declaration (``<meta charset>``, ``http-equiv``, the XML declaration), then detection.
A document fetched over HTTP (a WARC response record) may also carry the server's charset in its
``Content-Type`` header; as in browsers, that comes after the BOM and before the document's own
declaration. A declaration that does not decode cleanly is not trusted, nor is a header that names
a single-byte Latin charset for bytes that are not ASCII (a server default, never Japanese).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

from kinyu.corpus.japanese import count_japanese
from kinyu.corpus.extract.limits import ExtractionError

# A declared name maps to the codec that browsers really use for it.
_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
    "cp932": "cp932",
    "euc-jp": "euc_jp",
    "eucjp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "iso-2022-jp": "iso2022_jp_ext",
    "csiso2022jp": "iso2022_jp_ext",
    "utf-8": "utf-8",
    "utf8": "utf-8",
}

# Tried in order when nothing is declared; the strict decode that succeeds first and looks
# like Japanese wins. ISO-2022-JP is pure 7-bit with ESC sequences, so it goes first (it would
# otherwise pass as ASCII-ish UTF-8).
_DETECTION_ORDER = ("iso2022_jp_ext", "utf-8", "cp932", "euc_jp")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_RE_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_RE_XML_DECL = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_\-]+)["']""", re.I)


class DecodeError(ExtractionError):
    pass


@dataclass
class Decoded:
    text: str
    encoding: str  # the codec that decoded the bytes
    how: str  # bom | http_header | declared | detected


def looks_binary(data: bytes, sample: int = 4096) -> bool:
    """NUL bytes or many C0 control bytes in the head: not text in any Japanese encoding.

    ISO-2022-JP uses ESC (0x1b), so ESC is not counted.
    """
    head = data[:sample]
    if not head:
        return False
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0D, 0x0C, 0x1B))
    return controls / len(head) > 0.05


def declared_encoding(data: bytes) -> str | None:
    head = data[:4096]
    for rx in (_RE_META_CHARSET, _RE_XML_DECL):
        m = rx.search(head)
        if m:
            name = m.group(1).decode("ascii", "ignore").lower()
            return _ALIASES.get(name, name)
    return None


def _japanese_score(text: str) -> float:
    return count_japanese(text[:20000]) / max(1, min(len(text), 20000))


# server defaults that say nothing about a Japanese page (ISO-8859-1 is HTTP/1.1's old default)
_LATIN_DEFAULTS = re.compile(r"^(iso-?8859-\d+|latin-?\d|windows-125\d|cp125\d|us-ascii|ascii)$")


def header_encoding(charset: str | None, data: bytes) -> str | None:
    """The codec an HTTP ``charset`` names, or None when it is absent, unknown, or a Latin server
    default on non-ASCII bytes."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    if _LATIN_DEFAULTS.match(name) and not data.isascii():
        return None
    name = _ALIASES.get(name, name)
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def decode_bytes(data: bytes, http_charset: str | None = None) -> Decoded:
    """Decode Japanese text bytes or raise ``DecodeError`` with a reason (empty/binary/undecodable).

    ``http_charset``: the charset of the HTTP ``Content-Type`` header the bytes came with, if any."""
    if not data.strip():
        raise DecodeError("empty", f"{len(data)} bytes, no content")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom):].decode(enc), enc, "bom")
            except UnicodeDecodeError as e:
                raise DecodeError("undecodable", f"BOM says {enc} but: {e}") from None
    if looks_binary(data):
        raise DecodeError("binary", "NUL or control bytes in the first 4 KiB: not a text file")
    from_header = header_encoding(http_charset, data)
    if from_header:
        try:
            return Decoded(data.decode(from_header), from_header, "http_header")
        except UnicodeDecodeError:
            pass  # a wrong header: the document's own declaration, then detection
    declared = declared_encoding(data)
    if declared:
        try:
            codecs.lookup(declared)
            return Decoded(data.decode(declared), declared, "declared")
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration is common; fall through to detection
    candidates = []
    for enc in _DETECTION_ORDER:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "utf-8" or enc.startswith("iso2022"):
            # these decode strictly only when the bytes really are that encoding (or ASCII)
            if enc.startswith("iso2022") and b"\x1b$" not in data:
                continue
            return Decoded(text, enc, "detected")
        candidates.append((_japanese_score(text), enc, text))
    if candidates:
        # CP932 and EUC-JP can both decode some byte strings; the one that reads as more
        # Japanese (kana/kanji rather than half-width katakana soup) is right.
        score, enc, text = max(candidates, key=lambda c: (c[0], c[1] == "cp932"))
        return Decoded(text, enc, "detected")
    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return Decoded(str(best), best.encoding, "detected")
    raise DecodeError("undecodable", "no Japanese encoding (UTF-8, CP932, EUC-JP, ISO-2022-JP) decodes it")
