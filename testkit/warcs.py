"""Write web archives and filing bundles for tests and benchmarks: WARC files with warcio (every
record with a fixed id and date, so the same calls write the same bytes) and ZIP files laid out
like an EDINET download. Built at test or benchmark time from the shared real pages; nothing of
the shared data is stored in the repository."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DATE = "2024-06-28T09:00:00Z"


def record_id(key: str) -> str:
    """A stable ``<urn:uuid:...>`` from ``key``."""
    h = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"<urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}>"


def html_page(title: str, body: str, charset: str | None = "utf-8", lang: str = "ja") -> str:
    """A plain page around ``body`` (paragraphs split on blank lines), with or without ``<meta charset>``."""
    meta = f'<meta charset="{charset}">' if charset else ""
    paras = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    return (f'<!DOCTYPE html><html lang="{lang}"><head>{meta}<title>{title}</title></head>'
            f"<body><header><nav><a href=\"/\">トップ</a></nav></header><main><article><h1>{title}</h1>{paras}"
            f"</article></main><footer>© example</footer></body></html>")


class WarcBuilder:
    """Append records to one WARC (``.warc.gz``: one gzip member per record, as crawlers write)."""

    def __init__(self, path: str | Path, gzip: bool | None = None):
        self.path = Path(path)
        self._file = open(self.path, "wb")
        self._writer = WARCWriter(self._file, gzip=self.path.name.endswith(".gz") if gzip is None else gzip)
        self._n = 0

    def _headers(self, url: str, extra: dict | None = None) -> dict:
        self._n += 1
        return {"WARC-Record-ID": record_id(f"{self.path.name}#{self._n}:{url}"), "WARC-Date": DATE, **(extra or {})}

    def warcinfo(self, software: str = "kinyu-testkit") -> None:
        payload = f"software: {software}\r\nformat: WARC File Format 1.1\r\n".encode()
        rec = self._writer.create_warc_record(
            "", "warcinfo", payload=io.BytesIO(payload), warc_content_type="application/warc-fields",
            warc_headers_dict=self._headers("warcinfo", {"WARC-Filename": self.path.name}),
        )
        self._writer.write_record(rec)

    def request(self, url: str) -> None:
        host = url.split("/")[2]
        http = StatusAndHeaders(f"GET /{url.split('/', 3)[-1] if url.count('/') > 2 else ''} HTTP/1.1",
                                [("Host", host), ("User-Agent", "kinyu-testkit")], is_http_request=True)
        rec = self._writer.create_warc_record(url, "request", http_headers=http, warc_headers_dict=self._headers(url))
        self._writer.write_record(rec)

    def response(self, url: str, body: bytes, content_type: str | None = "text/html; charset=utf-8",
                 status: str = "200 OK", headers: list[tuple[str, str]] = (), warc_headers: dict | None = None) -> str:
        """An HTTP response record; returns its WARC-Record-ID."""
        fields = ([("Content-Type", content_type)] if content_type else []) + [("Content-Length", str(len(body))), *headers]
        http = StatusAndHeaders(status, fields, protocol="HTTP/1.1")
        extra = self._headers(url, warc_headers)
        rec = self._writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=extra)
        self._writer.write_record(rec)
        return extra["WARC-Record-ID"]

    def metadata(self, url: str, fields: str = "fetchTimeMs: 120\r\n") -> None:
        rec = self._writer.create_warc_record(url, "metadata", payload=io.BytesIO(fields.encode()),
                                              warc_content_type="application/warc-fields", warc_headers_dict=self._headers(url))
        self._writer.write_record(rec)

    def revisit(self, url: str, refers_to: str, body: bytes) -> None:
        """A revisit record: the same payload as an earlier capture, stored by reference only."""
        digest = "sha1:" + hashlib.sha1(body).hexdigest()
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        rec = self._writer.create_revisit_record(
            url, digest, url, DATE, http_headers=http,
            warc_headers_dict=self._headers(url, {"WARC-Refers-To": refers_to}),
        )
        self._writer.write_record(rec)

    def close(self) -> Path:
        self._file.close()
        return self.path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def cut_file(path: str | Path, drop_bytes: int) -> None:
    """Cut the last ``drop_bytes`` bytes off a file (a download or copy that stopped early)."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) - drop_bytes])


def edinet_zip(path: str | Path, doc_id: str, public_doc: dict[str, bytes], audit_doc: dict[str, bytes] | None = None,
               extra: dict[str, bytes] | None = None) -> Path:
    """A ZIP laid out like an EDINET API download (``type=1``): ``XBRL/PublicDoc/*.htm`` beside the
    XBRL instance and schema, ``XBRL/AuditDoc/`` for the audit report, one folder entry each."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for folder in ("XBRL/", "XBRL/PublicDoc/", "XBRL/AuditDoc/"):
            z.writestr(zipfile.ZipInfo(folder, date_time=(2024, 6, 28, 9, 0, 0)), b"")
        members = {f"XBRL/PublicDoc/{name}": data for name, data in public_doc.items()}
        members[f"XBRL/PublicDoc/jpcrp030000-asr-001_{doc_id}.xbrl"] = b'<?xml version="1.0" encoding="UTF-8"?><xbrli:xbrl/>'
        members[f"XBRL/PublicDoc/jpcrp030000-asr-001_{doc_id}.xsd"] = b'<?xml version="1.0" encoding="UTF-8"?><xsd:schema/>'
        members.update({f"XBRL/AuditDoc/{name}": data for name, data in (audit_doc or {}).items()})
        members.update(extra or {})
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 6, 28, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path


def _central_records(data: bytes):
    """(offset, name) of each central-directory record of a ZIP."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pos = z.start_dir
    while data[pos:pos + 4] == b"PK\x01\x02":
        n, m, k = (int.from_bytes(data[pos + i:pos + i + 2], "little") for i in (28, 30, 32))
        yield pos, data[pos + 46:pos + 46 + n].decode("utf-8", "replace")
        pos += 46 + n + m + k


def set_encrypted_flag(path: str | Path, member: str) -> None:
    """Mark ``member`` as encrypted (general-purpose flag bit 0) in its local and central headers,
    as a password-protected ZIP has it (Python's zipfile cannot write encrypted members)."""
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        local = z.getinfo(member).header_offset
    data[local + 6] |= 0x1
    for pos, name in _central_records(bytes(data)):
        if name == member:
            data[pos + 8] |= 0x1
    Path(path).write_bytes(bytes(data))


def corrupt_member(path: str | Path, member: str) -> None:
    """Overwrite the middle of ``member``'s compressed data (a damaged download)."""
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo(member)
    n, m = (int.from_bytes(data[info.header_offset + i:info.header_offset + i + 2], "little") for i in (26, 28))
    start = info.header_offset + 30 + n + m
    mid = start + info.compress_size // 2
    data[mid:mid + 64] = bytes(64)
    Path(path).write_bytes(bytes(data))


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A small deflated ZIP in memory (a ZIP to nest inside another)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 6, 28, 9, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()
