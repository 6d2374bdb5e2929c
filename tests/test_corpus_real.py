"""Extraction on real documents from ../shared/data/real (skipped with a reason where absent)."""

from __future__ import annotations

import re

import pytest

from kinyu.corpus.extract.decode import decode_bytes
from kinyu.corpus.extract.config import ExtractConfig
from kinyu.corpus.extract.extractors import HtmlExtractor, PdfExtractor, PlainTextDecoder
from kinyu.corpus.extract.html import extract_html
from kinyu.corpus.normalize import normalize_japanese
from kinyu.corpus.extract.pdf import extract_pdfminer, repair_layout
from testkit.shared import shared

pytestmark = pytest.mark.real_data

CJK_SPACE_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff] [\u3040-\u30ff\u4e00-\u9fff]")


def html_text(path) -> str:
    text, _ = extract_html(decode_bytes(path.read_bytes()).text)
    return normalize_japanese(text)


def run_extractor(step, path, fmt):
    from datatrove.data import Document, Media, MediaType

    data = path.read_bytes()
    doc = Document(text="", id=path.name, metadata={"format": fmt, "source": str(path)})
    doc.media = [Media(id=path.name, type=MediaType.DOCUMENT, url=str(path), media_bytes=data)]
    (out,) = list(step.run([doc]))
    return out


@pytest.mark.parametrize("name", ["S100TLCL-0000000.html", "S100ISA8-0000000.html"])
def test_edinet_cover_pages_lose_the_hidden_ix_header(name):
    text = html_text(shared("real", "edinet-asr-html", name))
    # trafilatura alone returns 31-35k characters here, >99% XBRL contexts
    assert len(text) < 2000
    assert "有価証券報告書" in text and "株式会社日本取引所グループ" in text
    assert "Member" not in text and "jpcrp" not in text and "E03814" not in text


def test_real_yuho_prose_is_whole_with_no_spaces_inside_japanese():
    folder = shared("real", "edinet-asr-html")
    for path in sorted(folder.glob("*-0102010.html")):
        text = html_text(path)
        assert len(text) > 10_000, path.name
        assert not CJK_SPACE_CJK.search(text), f"{path.name}: {CJK_SPACE_CJK.search(text).group()!r}"
    text = html_text(folder / "S100J1VI-0102010.html")
    assert "本項においては、将来に関する事項が含まれておりますが、当該事項は有価証券報告書提出日現在において判断したものであります。" in text


def test_table_heavy_section_is_not_lost():
    # trafilatura's favor_recall mode returns ~6% of this section; the default keeps it
    text = html_text(shared("real", "edinet-asr-html", "S100J1VI-0104010.html"))
    assert len(text) > 25_000  # raw trafilatura: 52,140 chars before normalisation; favor_recall: 3,272


def test_edinet_sample_kinds_extract_without_residue():
    root = shared("real", "edinet-sample-html")
    step = HtmlExtractor()
    kinds = sorted(p for p in root.iterdir() if p.is_dir())
    assert len(kinds) >= 10
    for kind in kinds:
        honbun = sorted(kind.glob("0101010_honbun_*.htm")) or sorted(kind.glob("*honbun*.htm"))
        doc = run_extractor(step, honbun[0], "html")
        assert "quarantine" not in doc.metadata, (kind.name, doc.metadata)
        text = normalize_japanese(doc.text)
        assert text, kind.name
        assert "xbrli" not in text and "jpcrp_cor:" not in text, kind.name
        assert not CJK_SPACE_CJK.search(text), kind.name


@pytest.mark.parametrize(
    "name,encoding,phrase",
    [
        ("sjis_no_charset_chromium.html", "cp932", "2兆円の定額給付金を盛り込んだ2008年度第2次補正予算案"),
        ("eucjp_mozilla_bug426271.html", "euc_jp", "大きな桃が流れて来たので"),
    ],
)
def test_legacy_encoded_html(name, encoding, phrase):
    doc = run_extractor(HtmlExtractor(), shared("real", "legacy-encoding-html", name), "html")
    assert doc.metadata["encoding"] == encoding
    assert phrase in normalize_japanese(doc.text)
    assert "\ufffd" not in doc.text


def test_iso2022jp_text():
    doc = run_extractor(PlainTextDecoder(), shared("real", "legacy-encoding-html", "iso2022jp_ude_1.txt"), "text")
    assert doc.metadata["encoding"].startswith("iso2022")
    assert "コンソール アプリケーション" in doc.text


def test_vertical_kokuji_reads_in_order():
    data = shared("real", "mhlw-pdf", "0000196314.pdf").read_bytes()
    pages = extract_pdfminer(data, detect_vertical=True, max_pages=1).pages
    text = normalize_japanese(repair_layout(pages)[0])
    assert text.startswith("基本診療料の施設基準等の一部を改正する件")
    assert "一部を次のように改正し、平成三十年四月一日から適用する。" in text


def test_letter_spaced_header_is_undone():
    doc = run_extractor(PdfExtractor(), shared("real", "mhlw-pdf", "0000196315-1-2.pdf"), "pdf")
    text = normalize_japanese(doc.text)
    assert "保医発0305第2号" in text[:20]  # a one-character vertical box (「地」) may come first
    assert "平成30年3月5日" in text


def test_vertical_japanese_letter_spaced_poem():
    doc = run_extractor(PdfExtractor(), shared("real", "pdf", "jo.pdf"), "pdf")
    assert "わたくしといふ現象は" in normalize_japanese(doc.text)


def test_kangxi_radical_is_folded():
    doc = run_extractor(PdfExtractor(), shared("real", "pdfjs-ja-pdf", "issue15340.pdf"), "pdf")
    text = normalize_japanese(doc.text)
    assert "一つの箱内" in text and "\u2f00" not in text


@pytest.mark.parametrize("backend", ["pdfminer", "pypdfium2"])
def test_encrypted_pdf_is_quarantined_with_reason(backend):
    doc = run_extractor(PdfExtractor(ExtractConfig(pdf_backend=backend)), shared("real", "pdf", "aes-256.pdf"), "pdf")
    assert doc.metadata["quarantine"]["reason"] == "encrypted"
    assert doc.text == "" and doc.media == []
    detail = doc.metadata["quarantine"]["detail"]
    assert "password" in detail.lower() and not detail.rstrip().endswith(":"), detail  # a reason, not a bare class name


def test_corrupted_pdf_gives_partial_text_and_a_warning():
    # pdfminer.six reports the recovered corruption (pypdfium2 reads the same text silently:
    # test_pdf_backends.test_corrupted_stream_reads_the_same_with_pypdfium2)
    doc = run_extractor(PdfExtractor(ExtractConfig(pdf_backend="pdfminer")), shared("real", "pdf", "zen_of_python_corrupted.pdf"), "pdf")
    assert "quarantine" not in doc.metadata
    assert "Beautiful is better than ugly." in doc.text
    assert any("Data-loss" in w for w in doc.metadata["extract_warnings"])


@pytest.mark.parametrize("backend", ["pdfminer", "pypdfium2"])
def test_truncated_pdf_is_quarantined_as_corrupt(backend, tmp_path):
    truncated = tmp_path / "0000196301-truncated.pdf"
    truncated.write_bytes(shared("real", "mhlw-pdf", "0000196301.pdf").read_bytes()[:20_000])
    doc = run_extractor(PdfExtractor(ExtractConfig(pdf_backend=backend)), truncated, "pdf")
    assert doc.metadata["quarantine"]["reason"] in ("corrupt", "no_text"), doc.metadata["quarantine"]
    assert doc.metadata["quarantine"]["detail"]
    assert doc.text == "" and doc.media == []
