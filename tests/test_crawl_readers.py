"""The archive readers and selection steps on archives written here (no shared data): WARC record
fates, a file cut short or damaged, ZIP members (encrypted, corrupt, bombs, nesting, CP932 names),
the HTTP-header charset, URL rules, the language rule and their config checks."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import pytest
from datatrove.data import Document

from kinyu.base.config import ConfigError, load_config
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.extract.archives import ZipLimits, member_name, read_zip
from kinyu.corpus.extract.decode import decode_bytes
from kinyu.corpus.extract.readers import RawFileReader, sniff_format
from kinyu.corpus.extract.warc import ArchiveTally, read_warc
from kinyu.corpus.select.language import LanguageConfig, LanguageFilter, script_shares
from kinyu.corpus.select.url import UrlFilter, UrlRulesConfig, domain_matches
from testkit.warcs import WarcBuilder, corrupt_member, cut_file, set_encrypted_flag, zip_bytes

PROSE = "当連結会計年度における売上高は前期比12.3%増の4,567億円となりました。営業利益は原材料価格の上昇により減少しました。"
PAGE = f"<html><body><p>{PROSE}</p></body></html>"


def fate(doc: Document) -> str:
    if "quarantine" in doc.metadata:
        return "quarantine:" + doc.metadata["quarantine"]["reason"]
    if "record_skip" in doc.metadata:
        return "skip:" + doc.metadata["record_skip"]["reason"]
    return doc.metadata["format"]


def warc_fates(path, max_bytes: int = 1 << 20) -> tuple[dict[int, str], ArchiveTally]:
    tally = ArchiveTally(str(path), "in/crawl", "warc")
    return {d.metadata["record"]: fate(d) for d in read_warc(str(path), "in/crawl", max_bytes, tally)}, tally


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_records_become_documents_or_are_counted(tmp_path, name):
    path = tmp_path / name
    with WarcBuilder(path) as w:
        w.warcinfo()
        w.request("https://www.jpx.co.jp/a.html")
        rid = w.response("https://www.jpx.co.jp/a.html", PAGE.encode("cp932"), "text/html; charset=Shift_JIS")
        w.response("https://www.jpx.co.jp/b.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
        w.response("https://www.jpx.co.jp/c.txt", PROSE.encode(), "text/plain")
        w.response("https://www.jpx.co.jp/d", PAGE.encode(), "application/octet-stream")  # sniffed
        w.response("https://www.jpx.co.jp/e.js", b"var x = 1;", "application/javascript")
        w.response("https://www.jpx.co.jp/f", b"", status="302 Found", headers=[("Location", "/g")])
        w.response("https://www.jpx.co.jp/big.html", PAGE.encode() * 400)
        w.revisit("https://www.jpx.co.jp/a.html", rid, PAGE.encode("cp932"))
        w.metadata("https://www.jpx.co.jp/a.html")
        w.response("https://www.jpx.co.jp/cut.html", PAGE.encode(), warc_headers={"WARC-Truncated": "time"})
    got, tally = warc_fates(path, max_bytes=50_000)
    assert got == {3: "html", 4: "pdf", 5: "text", 6: "html", 7: "skip:not_text", 8: "skip:http_302",
                   9: "quarantine:too_large", 10: "skip:revisit", 12: "quarantine:truncated"}
    assert (tally.records, tally.documents, dict(tally.other)) == (12, 9, {"warcinfo": 1, "request": 1, "metadata": 1})
    (doc,) = [d for d in read_warc(str(path), "in/crawl", 50_000, ArchiveTally("", "", "warc")) if d.metadata["record"] == 3]
    assert doc.metadata["http_charset"] == "Shift_JIS" and doc.media[0].media_bytes == PAGE.encode("cp932")
    assert doc.metadata["warc_record_id"] == rid and doc.id == "in/crawl#3"


@pytest.mark.parametrize("name,cut", [("cut.warc", 300), ("cut.warc", 9000), ("cut.warc.gz", 50), ("cut.warc.gz", 150),
                                      ("cut.warc.gz", 300), ("cut.warc.gz", 400)])
def test_a_warc_cut_short_quarantines_the_record_it_ends_in(tmp_path, name, cut):
    # cut inside the payload, inside the headers, inside the gzip member's first bytes: never lost quietly
    path = tmp_path / name
    with WarcBuilder(path) as w:
        w.response("https://a.jp/1", PAGE.encode())
        w.response("https://a.jp/2", (PAGE * 50).encode())
    cut_file(path, cut)
    got, tally = warc_fates(path)
    assert got[1] == "html" and got[2] in ("quarantine:truncated", "quarantine:corrupt_archive")
    assert tally.records == tally.documents == 2


def test_garbage_after_good_records_is_one_corrupt_archive_document(tmp_path):
    path = tmp_path / "bad.warc"
    with WarcBuilder(path) as w:
        w.response("https://a.jp/1", PAGE.encode())
    path.write_bytes(path.read_bytes() + b"this is not a WARC record\r\n" * 20)
    got, tally = warc_fates(path)
    assert got == {1: "html", 2: "quarantine:corrupt_archive"} and tally.documents == 2


def zip_fates(path, limits: ZipLimits = ZipLimits()) -> tuple[dict[str, str], ArchiveTally]:
    tally = ArchiveTally(str(path), "in/b.zip", "zip")
    return {d.id: fate(d) for d in read_zip(str(path), "in/b.zip", limits, tally)}, tally


def test_zip_members_alone_encrypted_corrupt_bomb_nested(tmp_path):
    path = tmp_path / "b.zip"
    inner = zip_bytes({"deep.zip": zip_bytes({"x.htm": PAGE.encode()}), "y.htm": PAGE.encode()})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("XBRL/", b"")
        z.writestr("XBRL/PublicDoc/a.htm", PAGE.encode())
        z.writestr("XBRL/PublicDoc/locked.htm", PAGE.encode() * 20)
        z.writestr("XBRL/PublicDoc/broken.htm", (PAGE * 200).encode())
        z.writestr("XBRL/PublicDoc/zeros.htm", bytes(8 << 20))
        z.writestr("XBRL/PublicDoc/report.pdf", b"%PDF-1.4\n%%EOF\n")
        z.writestr("XBRL/PublicDoc/x.xbrl", b"<xbrli:xbrl/>")
        z.writestr("XBRL/PublicDoc/README", PAGE.encode())  # no extension: sniffed
        z.writestr("XBRL/inner.zip", inner)
    set_encrypted_flag(path, "XBRL/PublicDoc/locked.htm")
    corrupt_member(path, "XBRL/PublicDoc/broken.htm")
    got, tally = zip_fates(path, ZipLimits(max_depth=1))
    p = "in/b.zip!/XBRL/PublicDoc"
    assert got == {
        f"{p}/a.htm": "html", f"{p}/locked.htm": "quarantine:encrypted", f"{p}/broken.htm": "quarantine:corrupt",
        f"{p}/zeros.htm": "quarantine:zip_bomb", f"{p}/report.pdf": "pdf", f"{p}/x.xbrl": "skip:not_text",
        f"{p}/README": "html",
        "in/b.zip!/XBRL/inner.zip!/deep.zip": "quarantine:zip_bomb",  # deeper than max_depth
        "in/b.zip!/XBRL/inner.zip!/y.htm": "html",
    }
    assert dict(tally.other) == {"directory": 1, "archive": 1} and tally.documents == 9
    assert tally.records == tally.documents + 2


def test_zip_limits_on_member_size_and_the_whole_archive(tmp_path):
    path = tmp_path / "b.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for i in range(4):
            z.writestr(f"{i}.htm", PAGE.encode() * 300)
    size = len(PAGE.encode()) * 300
    got, _ = zip_fates(path, ZipLimits(max_member_bytes=size - 1))
    assert set(got.values()) == {"quarantine:too_large"}
    got, _ = zip_fates(path, ZipLimits(max_total_bytes=int(size * 2.5)))
    assert list(got.values()) == ["html", "html", "quarantine:zip_bomb", "quarantine:zip_bomb"]


def test_not_a_zip_is_one_quarantined_document(tmp_path):
    path = tmp_path / "b.zip"
    path.write_bytes(b"PK\x03\x04" + bytes(64))
    got, tally = zip_fates(path)
    assert got == {"in/b.zip": "quarantine:corrupt_archive"} and (tally.records, tally.documents) == (1, 1)


def test_member_names_written_in_cp932_read_as_japanese(tmp_path):
    path = tmp_path / "b.zip"
    name = "有価証券報告書/本文.htm"
    raw = name.encode("cp932")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a" * len(raw), PAGE.encode())
    # as a Japanese Windows tool writes it: the name's CP932 bytes, no UTF-8 flag
    path.write_bytes(path.read_bytes().replace(b"a" * len(raw), raw))
    with zipfile.ZipFile(path) as z:
        (info,) = z.infolist()
        assert not info.flag_bits & 0x800 and member_name(info) == name


def test_archives_are_sniffed_and_office_files_are_not(tmp_path):
    warc = io.BytesIO()
    with gzip.GzipFile(fileobj=warc, mode="wb") as g:
        g.write(b"WARC/1.1\r\nWARC-Type: warcinfo\r\n")
    assert sniff_format("crawl/CC-MAIN-00001", warc.getvalue()) == "warc"
    assert sniff_format("a.warc.gz", b"") == "warc" and sniff_format("S100ABCD.zip", b"") == "zip"
    assert sniff_format("edinet/S100ABCD", b"PK\x03\x04") == "zip"
    assert sniff_format("report.xlsx", b"PK\x03\x04") == "unknown"
    assert sniff_format("notes.jsonl.gz", b"\x1f\x8b") == "jsonl"


def test_reader_streams_archives_and_writes_one_row_per_archive(tmp_path):
    (tmp_path / "in").mkdir()
    with WarcBuilder(tmp_path / "in" / "a.warc") as w:
        w.request("https://a.jp/1")
        w.response("https://a.jp/1", PAGE.encode())
    with zipfile.ZipFile(tmp_path / "in" / "b.zip", "w") as z:
        z.writestr("x.htm", PAGE.encode())
    (tmp_path / "in" / "c.html").write_text(PAGE * 5, encoding="utf-8")
    reader = RawFileReader([str(tmp_path / "in")], max_file_bytes=500, archive_log=str(tmp_path / "log"))
    docs = list(reader.run(rank=0, world_size=1))
    assert [d.id for d in docs] == ["in/a.warc#2", "in/b.zip!/x.htm", "in/c.html"]
    assert fate(docs[2]) == "quarantine:too_large"  # max_file_bytes holds for plain files ...
    assert fate(docs[0]) == "html"  # ... and for each record, not for the archive file
    rows = [json.loads(line) for line in (tmp_path / "log" / "00000.jsonl").read_text().splitlines()]
    assert [(r["id"], r["records"], r["documents"], r["not_documents"]) for r in rows] == [
        ("in/a.warc", 2, 1, {"request": 1}), ("in/b.zip", 1, 1, {})]


def test_http_header_charset_comes_after_the_bom_and_before_the_declaration():
    cp932 = f'<html><head><meta charset="EUC-JP"></head><body>{PROSE}</body></html>'.encode("cp932")
    d = decode_bytes(cp932, "Shift_JIS")
    assert (d.encoding, d.how) == ("cp932", "http_header") and PROSE in d.text
    assert decode_bytes(cp932).how != "http_header"
    utf8 = PROSE.encode("utf-8")
    assert decode_bytes(b"\xef\xbb\xbf" + utf8, "Shift_JIS").how == "bom"
    # a server's Latin default says nothing about Japanese bytes; a wrong header falls through
    assert decode_bytes(utf8, "ISO-8859-1").encoding == "utf-8"
    assert decode_bytes(utf8, "windows-1252").how == "detected"
    assert decode_bytes(PROSE.encode("euc_jp"), "utf-8").encoding == "euc_jp"
    assert decode_bytes(b"plain ascii page", "iso-8859-1").how == "http_header"


def test_url_rules():
    assert domain_matches("www.jpx.co.jp", "jpx.co.jp") and domain_matches("jpx.co.jp", "jpx.co.jp")
    assert domain_matches("www.jpx.co.jp", "*.jpx.co.jp") and not domain_matches("jpx.co.jp", "*.jpx.co.jp")
    assert not domain_matches("notjpx.co.jp", "jpx.co.jp")
    cfg = UrlRulesConfig(allow_domains=["disclosure2.edinet-fsa.go.jp", "*.jpx.co.jp"], deny_domains=["ads.jpx.co.jp"],
                         allow_patterns=["https://www.release.tdnet.info/inbs/*.pdf"], deny_patterns=["*print=1"])
    step = UrlFilter(cfg)

    def verdict(url):
        result = step.filter(Document(text="", id="x", metadata={"url": url} if url else {}))
        return result if result is True else result[1]

    assert verdict("https://disclosure2.edinet-fsa.go.jp/WZEK0040.aspx?S100TLCL") is True
    assert verdict("https://www.jpx.co.jp/markets/index.html") is True
    assert verdict("https://www.release.tdnet.info/inbs/140120240628.pdf") is True
    assert verdict("https://ads.jpx.co.jp/x") == "denied_domain"
    assert verdict("https://www.jpx.co.jp/a.html?print=1") == "denied_url"
    assert verdict("https://www.release.tdnet.info/inbs/index.html") == "not_allowed"
    assert verdict("https://example.com/") == "not_allowed"
    assert verdict(None) is True  # a file, not a crawled page


CHINESE = "本公司本年度营业收入同比增长百分之十二，主要由于海外市场需求回升以及产品结构持续优化。"
ENGLISH = "Net sales for the fiscal year increased by 12 percent, mainly due to a recovery in overseas demand."


def test_language_rule_keeps_japanese_only():
    ja, kana, _ = script_shares(PROSE)
    assert ja == 1.0 and 0.2 < kana < 0.6
    ja, kana, letters = script_shares("MicrosoftはWindows 8搭載のタブレット「Surface」を発表した。")
    assert 0.3 < ja < 0.6 and kana > 0.05 and letters > 0
    step = LanguageFilter(LanguageConfig(enabled=True))
    verdicts = {name: step.filter(Document(text=t, id=name)) for name, t in
                (("ja", PROSE), ("en", ENGLISH), ("zh", CHINESE), ("empty", "12,345 / 67.8%"))}
    assert verdicts == {"ja": True, "en": (False, "not_japanese"), "zh": (False, "no_kana"), "empty": (False, "not_japanese")}


def test_selection_config_is_checked(tmp_path):
    with pytest.raises(ConfigError, match="allow_domains: not a domain"):
        load_config(CorpusConfig, None, {"select.url.allow_domains": ["https://www.jpx.co.jp/*"]})
    with pytest.raises(ConfigError, match="select.classifier.model_path"):
        load_config(CorpusConfig, None, {"select.classifier.enabled": True})
    with pytest.raises(ConfigError, match="model_path: finance classifier not found"):
        load_config(CorpusConfig, None, {"select.classifier.enabled": True, "select.classifier.model_path": str(tmp_path / "no.bin")})
    with pytest.raises(ConfigError, match="zip_max_ratio"):
        load_config(CorpusConfig, None, {"input.zip_max_ratio": 1})
