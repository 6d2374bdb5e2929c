"""ZIP bundles (EDINET API downloads, TDnet PDF bundles, any folder layout inside) into documents,
one per member, read from the archive without unpacking it to disk.

A member's document id and ``source`` name it inside its archive: ``edinet/S100XXXX.zip!/XBRL/
PublicDoc/0101010_honbun.htm`` (a ZIP inside a ZIP: ``a.zip!/b.zip!/x.htm``); metadata also has
``archive`` (the file on disk), ``member`` and ``modified`` (the member's date).

Each member on its own: an encrypted or corrupt member (bad CRC, truncated data, an unsupported
compression method) is quarantined alone and the next one is read. Zip bombs are bounded before
anything is inflated, from the sizes the archive declares: a member over ``max_member_bytes``
(``too_large``), a member of more than a MiB that inflates more than ``max_ratio`` times its
compressed size, or an archive whose members add up past ``max_total_bytes`` (``zip_bomb``, with
the limit in the detail); reading stops at the declared size, which the CRC check at its end
holds the data to. Members that are not text documents (XBRL instances and schemas, images,
style sheets) are dropped as ``not_text``; folders are counted, not documents. A file that is not
a readable ZIP at all is one quarantined document (``corrupt_archive``).
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime

from datatrove.data import Document, Media, MediaType

from kinyu.base.runs import sha256_bytes
from kinyu.corpus.extract.warc import ArchiveTally, skipped, sniff_payload

ZIP_EXT = (".zip",)
_HTML = (".html", ".htm", ".xhtml", ".xht", ".shtml")
_TEXT = (".txt", ".text", ".md")
_MIB = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    max_member_bytes: int = 64 * _MIB
    max_ratio: float = 200.0
    max_total_bytes: int = 16 << 30
    max_depth: int = 2  # ZIPs inside ZIPs, this many levels deep


def is_zip(name: str, head: bytes) -> bool:
    """A ZIP by extension, or an extension-less file that starts like one (office files, which are
    ZIPs too, keep their own extension and are not read as bundles)."""
    lowered = name.lower()
    return lowered.endswith(ZIP_EXT) or ("." not in lowered.rsplit("/", 1)[-1] and head.startswith(b"PK\x03\x04"))


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; names without the UTF-8 flag were decoded as CP437 by zipfile, but
    Japanese tools write them in UTF-8 or CP932."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for enc in ("utf-8", "cp932"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.filename


def member_format(name: str, head: bytes) -> str | None:
    lowered = name.lower()
    if lowered.endswith(".pdf") or head.startswith(b"%PDF"):
        return "pdf"
    if lowered.endswith(_HTML):
        return "html"
    if lowered.endswith(_TEXT):
        return "text"
    if "." not in lowered.rsplit("/", 1)[-1]:
        return sniff_payload(head)
    return None  # .xbrl, .xsd, .xml, images, style sheets: data, not documents


def _quarantined(doc: Document, reason: str, detail: str) -> Document:
    doc.metadata["quarantine"] = {"reason": reason, "detail": detail}
    doc.media = []
    return doc


class _Budget:
    def __init__(self, total: int):
        self.left = total


def _members(zf: zipfile.ZipFile, id_prefix: str, source_prefix: str, member_prefix: str, archive: str,
             limits: ZipLimits, tally: ArchiveTally, budget: _Budget, depth: int):
    seen: dict[str, int] = {}
    for info in zf.infolist():
        tally.records += 1
        name = member_name(info)
        if info.is_dir():
            tally.other["directory"] += 1
            continue
        seen[name] = seen.get(name, 0) + 1
        unique = name if seen[name] == 1 else f"{name}#{seen[name]}"  # a name may repeat in a ZIP
        member = f"{member_prefix}{unique}"
        lowered = name.lower()
        nested = lowered.endswith(ZIP_EXT)
        fmt = None if nested else member_format(name, b"")
        meta = {
            "source": f"{source_prefix}!/{unique}",
            "archive": archive,
            "member": member,
            "bytes": info.file_size,
            "modified": datetime(*info.date_time).isoformat() if info.date_time[0] >= 1980 else None,
        }
        if fmt:
            meta["format"] = fmt
        doc = Document(text="", id=f"{id_prefix}!/{unique}", metadata=meta)
        problem = _refused(info, nested, fmt, lowered, limits, budget, depth)
        if problem is None:
            budget.left -= info.file_size
            try:
                with zf.open(info) as f:
                    data = f.read(limits.max_member_bytes + 1)
            except NotImplementedError as e:
                problem = ("unsupported_compression", f"{e}"[:500])
            except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, RuntimeError, ValueError) as e:
                problem = ("corrupt", f"{type(e).__name__}: {e}"[:500])
        if problem is not None:
            tally.documents += 1
            reason, detail = problem
            yield skipped(doc, reason, detail) if reason == "not_text" else _quarantined(doc, reason, detail)
            continue
        meta["bytes"] = len(data)
        meta["sha256"] = sha256_bytes(data)
        if nested:
            try:
                inner = zipfile.ZipFile(io.BytesIO(data))
            except (zipfile.BadZipFile, OSError, ValueError) as e:
                tally.documents += 1
                yield _quarantined(doc, "corrupt_archive", f"nested ZIP unreadable: {type(e).__name__}: {e}"[:500])
                continue
            tally.other["archive"] += 1  # a container: its members are the documents
            with inner:
                yield from _members(inner, doc.id, meta["source"], f"{member}!/", archive, limits, tally, budget, depth + 1)
            continue
        tally.documents += 1
        fmt = fmt or member_format(name, data[:2048])
        if fmt is None:
            yield skipped(doc, "not_text", "member neither HTML, PDF nor text")
            continue
        meta["format"] = fmt
        doc.media = [Media(id=doc.id, type=MediaType.DOCUMENT, url=meta["source"], media_bytes=data)]
        yield doc


def _refused(info: zipfile.ZipInfo, nested: bool, fmt: str | None, lowered: str, limits: ZipLimits, budget: _Budget,
             depth: int) -> tuple[str, str] | None:
    """Why a member is not read, from what the archive declares (None: read it)."""
    if not nested and fmt is None and "." in lowered.rsplit("/", 1)[-1]:
        return "not_text", f"member type .{lowered.rsplit('.', 1)[-1]}"
    if info.flag_bits & 0x1:
        return "encrypted", "member is password-protected (ZIP encryption)"
    if info.file_size > limits.max_member_bytes:
        return "too_large", f"member of {info.file_size} bytes > limit {limits.max_member_bytes} (input.max_file_mb)"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _MIB and ratio > limits.max_ratio:
        return "zip_bomb", f"inflates {ratio:.0f}x ({info.compress_size} -> {info.file_size} bytes) > input.zip_max_ratio {limits.max_ratio:g}"
    if info.file_size > budget.left:
        return "zip_bomb", f"the archive's members inflate past input.zip_max_total_mb ({limits.max_total_bytes >> 20} MiB)"
    if nested and depth >= limits.max_depth:
        return "zip_bomb", f"a ZIP nested more than input.zip_max_depth={limits.max_depth} levels deep"
    return None


def read_zip(path: str, doc_id: str, limits: ZipLimits, tally: ArchiveTally, source: str | None = None):
    """Documents of one ZIP file, one member at a time (memory: one member); ``source``: the path as
    the outputs name it (default ``path``; an escaped name when ``path`` is not UTF-8)."""
    opened, path = path, source or path
    try:
        zf = zipfile.ZipFile(opened)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        tally.records += 1
        tally.documents += 1
        doc = Document(text="", id=doc_id, metadata={"source": path, "archive": path})
        yield _quarantined(doc, "corrupt_archive", f"not a readable ZIP: {type(e).__name__}: {e}"[:500])
        return
    with zf:
        yield from _members(zf, doc_id, path, "", path, limits, tally, _Budget(limits.max_total_bytes), 0)
