"""The embedded sample corpus: deterministic, small, and each file really is the case it claims to be."""

from __future__ import annotations

import gzip
import html
import json
import re

import pytest

from kinyu.corpus.japanese import count_japanese, japanese_ratio
from kinyu.corpus.sample import DROP_KINDS, MANIFEST_NAME, QUARANTINE_KINDS, load_manifest, sample_dir

ENTRIES = load_manifest()
BY_NAME = {e.file: e for e in ENTRIES}
PDF_READABLE = [e for e in ENTRIES if e.format == "pdf" and not e.expect.startswith("quarantine:")]
VERTICAL = "togo_minato_message_tategaki.pdf"
YUHO = "yuho_minato_seiki_2025.pdf"
TANSHIN = "tanshin_sakura_shintaku_2025.pdf"


def squash(text: str) -> str:
    """Text with all whitespace removed, so hard-wrapped PDF lines compare equal to the source."""
    return re.sub(r"\s+", "", text)


def pdfminer_text(path, **laparams) -> str:
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    return extract_text(str(path), laparams=LAParams(**laparams))


def pdfium_pages(path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def decoded(entry) -> str:
    data = entry.path.read_bytes()
    if entry.format == "jsonl.gz":
        return "\n".join(json.loads(line)["text"] for line in gzip.decompress(data).decode("utf-8").splitlines())
    return data.decode(entry.encoding)


# --- determinism and size ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    pytest.importorskip("reportlab", reason="regenerating the sample corpus needs reportlab (kinyu[test])")
    from testkit.sample import generate

    out = tmp_path_factory.mktemp("sample")
    generate.write(out)
    return out


def test_regenerated_file_set_matches_committed(regenerated):
    committed = sorted(p.name for p in sample_dir().iterdir() if p.is_file())
    assert sorted(p.name for p in regenerated.iterdir()) == committed


def test_regenerated_non_pdf_files_are_byte_identical(regenerated):
    for path in sample_dir().iterdir():
        if path.suffix == ".pdf" or path.name == MANIFEST_NAME:
            continue
        new = (regenerated / path.name).read_bytes()
        if path.name.endswith(".gz"):
            # deflate bytes may differ between zlib builds; the content and the gzip header must not
            assert gzip.decompress(new) == gzip.decompress(path.read_bytes()), path.name
            assert new[:10] == path.read_bytes()[:10], f"{path.name}: gzip header (mtime/flags) differs"
        else:
            assert new == path.read_bytes(), f"{path.name} differs from a fresh `python -m testkit.sample.generate`"
    old = json.loads((sample_dir() / MANIFEST_NAME).read_text(encoding="utf-8"))
    new = json.loads((regenerated / MANIFEST_NAME).read_text(encoding="utf-8"))
    old.pop("pdf_producer"), new.pop("pdf_producer")
    assert new == old


def _pdf_pages_text(data: bytes) -> list[str] | str:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:  # the encrypted and corrupt samples: the same failure both times
        return f"unreadable: {e}"
    return [page.get_textpage().get_text_range() for page in pdf]


def test_regenerated_pdfs_equal_the_committed_ones(regenerated):
    import reportlab

    producer = json.loads((sample_dir() / MANIFEST_NAME).read_text(encoding="utf-8"))["pdf_producer"]
    same_reportlab = producer == f"reportlab {reportlab.Version}"
    pdfs = sorted(sample_dir().glob("*.pdf"))
    assert pdfs
    for path in pdfs:
        new, old = (regenerated / path.name).read_bytes(), path.read_bytes()
        if same_reportlab:
            assert new == old, f"{path.name} is not reproducible"
        else:  # another reportlab may lay the bytes out differently; every page's text must still match
            assert _pdf_pages_text(new) == _pdf_pages_text(old), f"{path.name}: text differs from the committed PDF"


def test_generator_is_deterministic_within_one_process():
    pytest.importorskip("reportlab")
    from testkit.sample import generate

    first, _ = generate.build()
    second, _ = generate.build()
    assert first.keys() == second.keys()
    assert all(first[k] == second[k] for k in first), [k for k in first if first[k] != second[k]]


def test_sample_corpus_is_small_and_large_enough():
    total = sum(p.stat().st_size for p in sample_dir().iterdir() if p.is_file())
    assert total < 2 * 1024 * 1024, f"sample corpus is {total} bytes"
    keep = [e for e in ENTRIES if e.expect == "keep"]
    assert len(keep) >= 30
    # enough prose for a tiny tokenizer to learn from (the PDFs add more on top)
    assert sum(count_japanese(decoded(e)) for e in keep if e.format != "pdf") > 20_000


# --- manifest -------------------------------------------------------------------------------


def test_manifest_lists_exactly_the_files_on_disk():
    on_disk = {p.name for p in sample_dir().iterdir() if p.is_file()} - {MANIFEST_NAME}
    assert on_disk == set(BY_NAME)


def test_manifest_expectations_are_well_formed():
    for e in ENTRIES:
        if e.action == "quarantine":
            assert e.reason in QUARANTINE_KINDS, e.file
        elif e.action == "drop":
            assert e.reason in DROP_KINDS, e.file
        elif e.action in ("exact_duplicate_of", "near_duplicate_of"):
            assert BY_NAME[e.reason].expect == "keep", f"{e.file}: its original must be kept"
        else:
            assert e.expect == "keep", e.file
    expects = {e.expect.split(":")[0] + (":" + e.reason if e.action in ("drop", "quarantine") else "") for e in ENTRIES}
    # no "drop:table": the sample's table pages (HTML and PDF) are kept as Markdown tables
    for needed in ("drop:navigation", "drop:english", "drop:mojibake", "drop:toc",
                   "quarantine:encrypted", "quarantine:corrupt", "quarantine:empty", "quarantine:binary",
                   "quarantine:undecodable",
                   "exact_duplicate_of", "near_duplicate_of"):
        assert needed in expects
    kept_formats = {(e.format, e.encoding) for e in ENTRIES if e.expect == "keep"}
    for needed in (("pdf", None), ("html", "utf-8"), ("html", "cp932"), ("html", "euc_jp"), ("txt", "iso2022_jp"),
                   ("txt", "utf-8"), ("jsonl.gz", "utf-8")):
        assert needed in kept_formats
    assert len([e for e in ENTRIES if e.format == "pdf" and e.expect == "keep"]) >= 6


def test_kept_documents_contain_their_key_sentences():
    for e in ENTRIES:
        if e.expect != "keep" or e.format == "pdf":
            continue
        text = html.unescape(re.sub(r"<[^>]+>", "", decoded(e)))
        assert e.contains, e.file
        for sentence in e.contains:
            assert squash(sentence) in squash(text), f"{e.file}: {sentence}"
    growth = re.compile(r"前期比[0-9.]+％増の[0-9,]+億")
    assert sum(bool(growth.search(s)) for e in ENTRIES for s in e.contains) >= 5


# --- PDFs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", PDF_READABLE, ids=lambda e: e.file)
def test_pdf_extracts_japanese_with_pdfminer_and_pypdfium2(entry):
    vertical = entry.file == VERTICAL
    text = pdfminer_text(entry.path, detect_vertical=vertical)
    assert count_japanese(text) > 100, entry.file
    pdfium_text = "".join(pdfium_pages(entry.path))
    assert count_japanese(pdfium_text) > 100, entry.file
    for sentence in entry.contains:
        assert squash(sentence) in squash(text), f"pdfminer lost {sentence!r} in {entry.file}"
        if not vertical:  # pypdfium2 reads vertical columns left to right, i.e. backwards
            assert squash(sentence) in squash(pdfium_text), f"pypdfium2 lost {sentence!r} in {entry.file}"


def test_vertical_pdf_reads_in_order_with_detect_vertical():
    from testkit.sample import texts

    text = squash(pdfminer_text(BY_NAME[VERTICAL].path, detect_vertical=True))
    positions = [text.find(squash(para)) for _, para in texts.TATEGAKI_MESSAGE.blocks()]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)
    # without vertical detection pdfminer puts out one character per line: proof the glyphs run downwards
    lines = [ln for ln in pdfminer_text(BY_NAME[VERTICAL].path).splitlines() if ln.strip()]
    assert sum(len(ln.strip()) == 1 for ln in lines) > 0.9 * len(lines)


def test_multipage_yuho_has_running_header_page_numbers_and_hard_wraps():
    from pdfminer.high_level import extract_text

    path = BY_NAME[YUHO].path
    pages = pdfium_pages(path)
    assert len(pages) >= 3
    for i in range(len(pages)):
        page = extract_text(str(path), page_numbers=[i])
        assert "有価証券報告書（第78期）" in page
        assert f"- {12 + i} -" in page
    lines = [ln for ln in pdfminer_text(path).splitlines() if ln.strip()]
    # hard-wrapped: many lines stop in mid-sentence
    assert sum(not ln.rstrip().endswith(("。", "】")) for ln in lines) > len(lines) / 2


def test_tanshin_has_letter_spaced_title_and_table_residue():
    text = pdfminer_text(BY_NAME[TANSHIN].path)
    assert "決 算 短 信 〔 日 本 基 準 〕" in text
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    residue = [ln for ln in lines if re.fullmatch(r"[△\d,.\s]+", ln)]
    assert "△1,234" in text and len(residue) > 10
    assert any(ln.endswith("。") for ln in lines)


def test_table_and_toc_pdfs_hold_no_prose():
    table = pdfminer_text(BY_NAME["table_minato_pl.pdf"].path)
    assert "。" not in table and "△113" in table
    toc = pdfminer_text(BY_NAME["yuho_minato_seiki_mokuji.pdf"].path)
    assert "。" not in toc
    assert re.search(r"第２【事業の状況】\s*…{3,}\s*12", toc)


def test_encrypted_pdf_needs_its_user_password():
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    import pypdfium2 as pdfium

    entry = BY_NAME["encrypted_board_materials.pdf"]
    with pytest.raises(PDFPasswordIncorrect):
        pdfminer_text(entry.path)
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(str(entry.path))
    opened = pdfium.PdfDocument(str(entry.path), password=entry.extra["user_password"])
    assert "取締役会資料" in opened[0].get_textpage().get_text_range()
    opened.close()


def test_truncated_pdf_is_half_a_pdf_that_no_reader_opens():
    from pdfminer.pdfparser import PDFSyntaxError
    import pypdfium2 as pdfium

    data = BY_NAME["truncated_report.pdf"].path.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" not in data and b"startxref" not in data
    with pytest.raises(PDFSyntaxError):
        pdfminer_text(BY_NAME["truncated_report.pdf"].path)
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(data)


# --- encodings and HTML ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if e.encoding and e.format in ("html", "txt")], ids=lambda e: e.file
)
def test_text_files_decode_as_declared(entry):
    data = entry.path.read_bytes()
    text = data.decode(entry.encoding)  # strict: raises if the manifest is wrong
    if entry.declared_charset:
        assert entry.declared_charset.encode("ascii") in data
    if entry.expect == "keep":
        assert japanese_ratio(re.sub(r"<[^>]+>|[\x00-\x7f]", "", text)) > 0.6
    if entry.encoding not in ("utf-8", "iso2022_jp"):  # ISO-2022-JP is 7-bit, so also valid UTF-8
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")


def test_shift_jis_without_charset_declares_nothing():
    data = BY_NAME["cf_yamabiko_tsushin_sjis_nocharset.html"].path.read_bytes()
    assert b"charset" not in data.lower() and b"lang=" not in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "キャッシュ・フロー" in data.decode("cp932")


def test_iso2022jp_is_seven_bit_with_jis_escapes():
    data = BY_NAME["ir_mail_iso2022jp.txt"].path.read_bytes()
    assert max(data) < 0x80 and b"\x1b$B" in data


def test_ixbrl_hidden_header_holds_the_xbrl_markers():
    entry = BY_NAME["governance_tsubame_unyu.htm"]
    text = entry.path.read_text(encoding="utf-8")
    start = text.index('<div style="display:none">')
    end = text.index("</div>", start)
    hidden, visible = text[start:end], text[:start] + text[end:]
    assert "<ix:header>" in hidden and "<ix:nonFraction" in visible
    visible_text = re.sub(r"<[^>]+>", "", visible)
    for marker in entry.must_not_contain:
        assert marker in hidden and marker not in visible_text, marker
    assert squash(entry.contains[0]) in squash(visible_text)


def test_jsonl_records():
    entry = BY_NAME["market_flash.jsonl.gz"]
    data = entry.path.read_bytes()
    assert data[4:8] == b"\x00\x00\x00\x00"  # mtime 0: reproducible gzip
    records = [json.loads(line) for line in gzip.decompress(data).decode("utf-8").splitlines()]
    assert len(records) == entry.documents >= 3
    assert all(count_japanese(r["text"]) > 50 for r in records)


# --- hard cases -----------------------------------------------------------------------------


def test_exact_duplicate_is_byte_identical():
    dup = BY_NAME["market_bond_comment_copy.txt"]
    assert dup.path.read_bytes() == BY_NAME[dup.reason].path.read_bytes()


def test_near_duplicate_is_close_but_not_identical():
    from testkit.sample.generate import jaccard

    near = BY_NAME["kessan_kaede_shoji_gaikyo_rev.txt"]
    a = BY_NAME[near.reason].path.read_text(encoding="utf-8")
    b = near.path.read_text(encoding="utf-8")
    score = jaccard(a, b, 5)
    assert 0.8 <= score < 1.0
    assert round(score, 4) == near.extra["jaccard_char5"]


def test_mojibake_files_are_garbled():
    from testkit.sample import texts

    cp1252 = BY_NAME["mojibake_utf8_as_cp1252.txt"].path.read_text(encoding="utf-8")
    assert "æ" in cp1252 and count_japanese(cp1252) == 0
    # recoverable: undoing the sloppy cp1252 decoding gives the source text back
    raw = bytes(ord(c) if ord(c) < 256 else c.encode("cp1252")[0] for c in cp1252)
    assert raw.decode("utf-8") == texts.MOJIBAKE_SOURCES[0]
    replaced = BY_NAME["mojibake_replacement_chars.txt"].path.read_text(encoding="utf-8")
    assert replaced.count("\ufffd") > len(replaced) / 2
    half = BY_NAME["mojibake_half_sjis.html"].path.read_text(encoding="utf-8")
    body = re.sub(r"<[^>]+>", "", half.split("<body>")[1])
    assert count_japanese(body) > 20 and len(re.findall("[\u0080-\u00ff\u0152-\u02dc\u2018-\u2122]", body)) > count_japanese(body)


def test_off_topic_pages():
    english = BY_NAME["english_minato_results.html"].path.read_text(encoding="utf-8")
    assert "net sales" in english and count_japanese(english) == 0
    nav = BY_NAME["nav_icho_securities_top.html"].path.read_text(encoding="utf-8")
    assert "クッキー" in nav and "All Rights Reserved" in nav and "<article" not in nav and "。" in nav
    table = BY_NAME["table_kaede_segment.html"].path.read_text(encoding="utf-8")
    assert "<table" in table and "<p>" not in table


def test_unreadable_files():
    import codecs

    assert BY_NAME["empty.html"].path.stat().st_size == 0
    bom = BY_NAME["bom_utf8_sjis_body.txt"].path.read_bytes()
    assert bom.startswith(codecs.BOM_UTF8)
    with pytest.raises(UnicodeDecodeError):
        bom.decode("utf-8-sig")
    assert "前年同期比" in bom[len(codecs.BOM_UTF8):].decode("cp932")  # the body is Shift_JIS
    junk = BY_NAME["junk.html"].path.read_bytes()
    assert len(junk) == 4096 and b"\x00" in junk
    with pytest.raises(UnicodeDecodeError):
        junk.decode("utf-8")
