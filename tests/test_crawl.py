"""`kinyu corpus build` on a web archive and an EDINET-like ZIP written at test time from the shared
real pages: every record's fate, provenance, the HTTP-header charset, per-archive and total
accounting, the selection funnel in `kinyu corpus stats`, byte-identical outputs for any --workers."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from testkit.shared import shared
from testkit.warcs import WarcBuilder, corrupt_member, cut_file, edinet_zip, html_page, set_encrypted_flag, zip_bytes

EDINET_URL = "https://disclosure2.edinet-fsa.go.jp/WZEK0040.aspx?S100TLCL"
SJIS_URL = "http://www.example.co.jp/news/teigaku.html"
ENGLISH = ("Read these from the shared folder at test or benchmark time. Do not copy them into the project "
           "repository. The documents were collected from public repositories and their licences are listed. ") * 4
DOC = "jpcrp030000-asr-001_X99001-000_2026-03-31_01_2026-06-12_ixbrl.htm"


def write_crawl(folder: Path) -> dict:
    """crawl.warc.gz (every kind of record), S100XXXX.zip (an EDINET download with a bad member of
    each kind and a ZIP inside), broken.zip (not a ZIP)."""
    real, general = shared("real"), shared("general-ja")
    folder.mkdir(parents=True)
    with open(general / "heldout" / "it-life-hack.jsonl", encoding="utf-8") as f:
        news = [json.loads(line) for line, _ in zip(f, range(2))]
    edinet = (real / "edinet-asr-html" / "S100TLCL-0102010.html").read_bytes()
    ids = {}
    with WarcBuilder(folder / "crawl.warc.gz") as w:
        w.warcinfo()                                                                          # 1
        w.request(EDINET_URL)                                                                 # 2
        ids["edinet"] = w.response(EDINET_URL, edinet)                                        # 3
        for rec in news:                                                                      # 4-7
            title, _, body = rec["text"].partition("\n")
            w.request(rec["url"])
            w.response(rec["url"], html_page(title, body).encode("utf-8"))
        w.response("https://example.com/about", html_page("About", ENGLISH, lang="en").encode())  # 8
        w.response("https://www.mhlw.go.jp/file/06-Seisakujouhou-12400000-Hokenkyoku/0000196301.pdf",
                   (real / "mhlw-pdf" / "0000196301.pdf").read_bytes(), "application/pdf")   # 9
        w.response("https://www.jpx.co.jp/missing.html", b"<html><body>Not Found</body></html>", status="404 Not Found")  # 10
        w.response("https://www.jpx.co.jp/old.html", b"", status="301 Moved Permanently",
                   headers=[("Location", "https://www.jpx.co.jp/new.html")])                  # 11
        w.response("https://www.jpx.co.jp/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")  # 12
        w.revisit(EDINET_URL, ids["edinet"], edinet)                                          # 13
        # Shift_JIS page without any declaration: only the HTTP header says what it is
        w.response(SJIS_URL, (real / "legacy-encoding-html" / "sjis_no_charset_chromium.html").read_bytes(),
                   "text/html; charset=Shift_JIS")                                            # 14
        w.response("https://www.release.tdnet.info/inbs/140120240628000000.htm",
                   (real / "edinet-asr-html" / "S100TQDT-0102010.html").read_bytes()[:100_000],
                   warc_headers={"WARC-Truncated": "length"})                                 # 15
        w.metadata("https://www.jpx.co.jp/last.html")                                         # 16
        w.response("https://www.jpx.co.jp/last.html", (real / "edinet-asr-html" / "S100ISA8-0102010.html").read_bytes())  # 17
    cut_file(folder / "crawl.warc.gz", 5000)  # the download stopped inside the last record

    sample = real / "edinet-sample-html" / "02_開示府令-有価証券報告書"
    public = {
        f"0102010_honbun_{DOC}": (real / "edinet-asr-html" / "S100TOZP-0102010.html").read_bytes(),
        "0105000_locked.htm": (real / "edinet-asr-html" / "S100TPKY-0104010.html").read_bytes(),
        "0106000_broken.htm": (real / "edinet-asr-html" / "S100TQDT-0104010.html").read_bytes(),
        "bomb.htm": bytes(20 << 20),  # 20 MiB of zeros: ~1000x
        "attach.zip": zip_bytes({"0200000_honbun.htm": (real / "edinet-asr-html" / "S100TPKY-0102010.html").read_bytes()}),
    }
    audit = {p.name: p.read_bytes() for p in sorted(sample.glob("jpaud-aai-*.htm"))}
    z = edinet_zip(folder / "S100XXXX.zip", "X99001-000", public, audit)
    set_encrypted_flag(z, "XBRL/PublicDoc/0105000_locked.htm")
    corrupt_member(z, "XBRL/PublicDoc/0106000_broken.htm")
    (folder / "broken.zip").write_bytes(b"PK\x03\x04" + bytes(100))
    return {"ids": ids, "audit": sorted(audit)}


def run_cli(*args: str) -> int:
    from kinyu.cli import main

    return main(list(args))


def build(inputs: Path, out: Path, cache: Path, *extra: str) -> Path:
    code = run_cli("corpus", "build", "--input", str(inputs), "--output", str(out), "--tasks", "2", "--cache.dir", str(cache),
                   "--select.language.enabled", "true", *extra)
    assert code == 0
    return out


def fates(run: Path) -> dict[str, str]:
    """Document id -> kept | <removed step>:<reason> | quarantine:<reason>."""
    out = {}
    for rec in read(run / "docs"):
        out[rec["id"]] = "kept"
    for step in sorted((run / "removed").iterdir()):
        for rec in read(step):
            if "parent_id" not in rec.get("metadata", {}):
                out[rec["id"]] = f"{step.name}:{rec['metadata']['filter_reason']}"
    for line in (run / "quarantine.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out[row["id"]] = f"quarantine:{row['reason']}"
    return out


def read(folder: Path):
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            yield from (json.loads(line) for line in f if line.strip())


def digest(run: Path) -> dict[str, str]:
    out = {}
    for part in ("docs", "removed", "tokens", "quarantine.jsonl", "stats/archives.json"):
        root = run / part
        for p in [root] if root.is_file() else sorted(q for q in root.rglob("*") if q.is_file()):
            out[str(p.relative_to(run))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    base = tmp_path_factory.mktemp("crawl")
    written = write_crawl(base / "in")
    run = build(base / "in", base / "run", base / "cache", "--workers", "1")
    return {"base": base, "run": run, **written}


WARC = "in/crawl.warc.gz"
ZIP = "in/S100XXXX.zip"


@pytest.mark.real_data
def test_every_warc_record_has_its_fate(crawl):
    got = {k: v for k, v in fates(crawl["run"]).items() if k.startswith(WARC)}
    expected = {
        3: "kept", 5: "kept", 7: "kept",
        8: "language:not_japanese",
        9: "kept",  # the PDF payload, through pdfminer
        10: "archive_records:http_404", 11: "archive_records:http_301", 12: "archive_records:not_text",
        13: "archive_records:revisit",
        14: "kept",
        15: "quarantine:truncated",  # WARC-Truncated: the crawler cut it
        17: "quarantine:truncated",  # the file ends inside it
    }
    assert got == {f"{WARC}#{n}": fate for n, fate in expected.items()}


@pytest.mark.real_data
def test_every_zip_member_has_its_fate(crawl):
    got = {k: v for k, v in fates(crawl["run"]).items() if k.startswith(ZIP) or k.startswith("in/broken.zip")}
    pub = f"{ZIP}!/XBRL/PublicDoc"
    expected = {
        f"{pub}/0102010_honbun_{DOC}": "kept",
        f"{pub}/0105000_locked.htm": "quarantine:encrypted",
        f"{pub}/0106000_broken.htm": "quarantine:corrupt",
        f"{pub}/bomb.htm": "quarantine:zip_bomb",
        f"{pub}/attach.zip!/0200000_honbun.htm": "kept",
        f"{pub}/jpcrp030000-asr-001_X99001-000.xbrl": "archive_records:not_text",
        f"{pub}/jpcrp030000-asr-001_X99001-000.xsd": "archive_records:not_text",
        "in/broken.zip": "quarantine:corrupt_archive",
    }
    for name in crawl["audit"]:
        expected[f"{ZIP}!/XBRL/AuditDoc/{name}"] = "kept"
    assert got == expected
    q = {json.loads(line)["id"]: json.loads(line) for line in (crawl["run"] / "quarantine.jsonl").read_text().splitlines()}
    assert "input.zip_max_ratio" in q[f"{pub}/bomb.htm"]["detail"]
    assert q[f"{pub}/0105000_locked.htm"]["path"].endswith("S100XXXX.zip!/XBRL/PublicDoc/0105000_locked.htm")


@pytest.mark.real_data
def test_provenance_of_captures_and_members(crawl):
    docs = {rec["id"]: rec["metadata"] for rec in read(crawl["run"] / "docs")}
    edinet = docs[f"{WARC}#3"]
    assert edinet["url"] == EDINET_URL and edinet["warc_record_id"] == crawl["ids"]["edinet"]
    assert edinet["warc_date"] == "2024-06-28T09:00:00Z" and edinet["content_type"] == "text/html; charset=utf-8"
    assert edinet["http_status"] == 200 and edinet["archive"].endswith("crawl.warc.gz") and edinet["record"] == 3
    pdf = docs[f"{WARC}#9"]
    assert pdf["format"] == "pdf" and pdf["content_type"] == "application/pdf" and pdf["pages"] >= 1
    member = docs[f"{ZIP}!/XBRL/PublicDoc/0102010_honbun_{DOC}"]
    assert member["source"].endswith(f"S100XXXX.zip!/XBRL/PublicDoc/0102010_honbun_{DOC}")
    assert member["member"] == f"XBRL/PublicDoc/0102010_honbun_{DOC}" and member["modified"] == "2024-06-28T09:00:00"
    nested = docs[f"{ZIP}!/XBRL/PublicDoc/attach.zip!/0200000_honbun.htm"]
    assert nested["member"] == "XBRL/PublicDoc/attach.zip!/0200000_honbun.htm" and nested["archive"] == member["archive"]


@pytest.mark.real_data
def test_charset_from_the_http_header_before_detection(crawl):
    (rec,) = [r for r in read(crawl["run"] / "docs") if r["id"] == f"{WARC}#14"]
    assert (rec["metadata"]["encoding"], rec["metadata"]["encoding_source"]) == ("cp932", "http_header")
    assert "定額給付金" in rec["text"]


@pytest.mark.real_data
def test_every_record_is_accounted_for_per_archive_and_in_total(crawl):
    run = crawl["run"]
    acc = json.loads((run / "stats" / "summary.json").read_text())["accounting"]
    assert acc["balanced"] and acc["inputs"] == acc["kept"] + acc["dropped"] + acc["quarantined"]
    rows = {r["id"]: r for r in json.loads((run / "stats" / "archives.json").read_text())}
    warc, bundle, broken = rows[WARC], rows[ZIP], rows["in/broken.zip"]
    assert warc["not_documents"] == {"metadata": 1, "request": 3, "warcinfo": 1}
    assert (warc["records"], warc["documents"]) == (17, 12)
    assert (warc["kept"], warc["dropped"], warc["quarantined"]) == (5, 5, 2)
    assert bundle["not_documents"] == {"archive": 1, "directory": 3}
    assert bundle["documents"] == bundle["kept"] + bundle["dropped"] + bundle["quarantined"]
    assert (broken["records"], broken["documents"], broken["quarantined"]) == (1, 1, 1)
    assert all(r["balanced"] for r in rows.values())
    totals = acc["archives"]
    assert totals["documents"] == sum(r["documents"] for r in rows.values()) == acc["inputs"]  # every input here is an archive
    assert totals["records"] == totals["documents"] + sum(totals["not_documents"].values())


@pytest.mark.real_data
def test_stats_show_the_selection_funnel_and_the_archives(crawl, capsys):
    assert run_cli("corpus", "stats", str(crawl["run"]), "--samples", "0") == 0
    out = capsys.readouterr().out
    for text in ("selection funnel", "records read", "http_404", "not_japanese", "zip_bomb", "archives", "balanced"):
        assert text in out, text
    assert run_cli("corpus", "stats", str(crawl["run"]), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    steps = [r["step"] for r in data["selection"]]
    assert steps[0].startswith("records read") and steps[-1].startswith("kept")
    assert data["selection"][-1]["documents"] == sum(1 for _ in read(crawl["run"] / "docs"))
    assert next(r for r in data["selection"] if r["step"].startswith("to extract"))["reasons"]["not_text"] == 3
    assert {r["id"] for r in data["archives"]} == {WARC, ZIP, "in/broken.zip"}


@pytest.mark.real_data
def test_outputs_are_byte_identical_for_any_workers(crawl):
    base = crawl["base"]
    again = build(base / "in", base / "run-w2", base / "cache-w2", "--workers", "2", "--cache.enabled", "false")
    assert digest(again) == digest(crawl["run"])


@pytest.mark.real_data
def test_url_rules_drop_by_domain_and_pattern_before_extraction(crawl, capsys):
    """Allow lists keep the regulators' and the exchange's sites; a denied domain goes first; pages
    without a URL (ZIP members) pass; every drop is counted in the funnel with its reason."""
    base = crawl["base"]
    run = build(base / "in", base / "run-url", base / "cache", "--workers", "1",
                "--select.url.allow_domains", "disclosure2.edinet-fsa.go.jp", "--select.url.allow_domains", "*.jpx.co.jp",
                "--select.url.allow_patterns", "https://www.release.tdnet.info/inbs/*",
                "--select.url.deny_domains", "www.example.co.jp")
    got = {k: v for k, v in fates(run).items() if k.startswith(WARC)}
    assert got[f"{WARC}#3"] == "kept"  # EDINET
    for n in (5, 7, 8, 9):  # news, an English page, the MHLW PDF: outside the allow lists
        assert got[f"{WARC}#{n}"] == "url_rules:not_allowed", n
    assert got[f"{WARC}#14"] == "url_rules:denied_domain"
    assert got[f"{WARC}#10"] == "archive_records:http_404" and got[f"{WARC}#15"] == "quarantine:truncated"
    # ZIP members carry no URL: the rules let them through
    assert {k: v for k, v in fates(run).items() if k.startswith(ZIP)} == {k: v for k, v in fates(crawl["run"]).items() if k.startswith(ZIP)}
    # the dropped payload is not written with the removed record
    assert all(not rec.get("media") for rec in read(run / "removed" / "url_rules"))
    capsys.readouterr()  # the build's own output
    assert run_cli("corpus", "stats", str(run), "--json") == 0
    row = next(r for r in json.loads(capsys.readouterr().out)["selection"] if r["step"].startswith("allowed (select.url)"))
    assert row["reasons"] == {"not_allowed": 4, "denied_domain": 1}
