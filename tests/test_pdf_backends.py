"""pypdfium2 with pdfminer's layout analysis against pdfminer.six: the same text, vertical
(縦書き) columns in order, the same keep/drop decisions and the same quarantine reasons.

The full per-file figures (every page of every shared PDF) are what
``python benchmarks/corpus_extract.py --only quality`` prints; these tests read at most
``PAGES`` pages of the long files to stay quick.
"""

from __future__ import annotations

import pytest

from kinyu.corpus.extract import pdf_layout
from kinyu.corpus.extract.pdf import extract_pdfium
from kinyu.corpus.extract.pdf_layout import LayoutParams, layout_lines
from kinyu.corpus.sample import sample_dir
from testkit.pdf_parity import broken_files, char_similarity, extract
from testkit.realdata import pdf_pages
from testkit.shared import shared

PAGES = 24
PAGE = (0.0, 0.0, 595.0, 842.0)

# --- the layout analysis on hand-placed characters ---------------------------------------------


def column(text: str, x: float, top: float, size: float = 10.0, pitch: float = 11.0):
    """Characters of one vertical column, top down (pdfminer's em boxes)."""
    return [(ch, x, top - (i + 1) * pitch, x + size, top - (i + 1) * pitch + size) for i, ch in enumerate(text)]


def row(text: str, x: float, y: float, size: float = 10.0, pitch: float = 10.0):
    return [(ch, x + i * pitch, y, x + i * pitch + size, y + size) for i, ch in enumerate(text)]


def test_vertical_columns_read_right_to_left_top_down():
    # written in the stream left column first: the reading order must not follow the stream
    chars = column("ですます", 100, 700) + column("にほんご", 120, 700) + column("たてがき", 140, 700)
    assert layout_lines(chars, PAGE) == ["たてがき", "にほんご", "ですます"]


def test_vertical_boxes_before_horizontal_ones_and_tiers_top_first():
    # two columns 2 points apart (< line_margin 0.5 of their width) are one box; the lower tier
    # with the same right edge is another, read after the upper one
    upper = column("上段", 300, 800) + column("右上", 312, 800)
    lower = column("下段", 312, 400)
    heading = row("見出し", 50, 820)
    assert layout_lines(heading + lower + upper, PAGE) == ["右上", "上段", "下段", "見出し"]


def test_horizontal_lines_boxes_and_word_spaces():
    chars = row("abc", 50, 700) + row("def", 95, 700) + row("二行目", 50, 686)
    # a gap wider than word_margin (0.1 of the larger side) is a space; the lines 4 points
    # apart (< line_margin 0.5 of their height) are one box, read top down
    assert layout_lines(chars, PAGE) == ["abc def", "二行目"]
    assert layout_lines(chars, PAGE, LayoutParams(word_margin=0)) == ["abcdef", "二行目"]


def test_without_vertical_detection_a_column_is_one_character_per_line():
    lines = layout_lines(column("たてがき", 140, 700), PAGE, LayoutParams(detect_vertical=False))
    assert lines == list("たてがき")


def test_whitespace_only_lines_come_last_and_an_empty_page_is_empty():
    chars = row("  ", 50, 300) + row("本文", 50, 700)
    assert layout_lines(chars, PAGE) == ["本文", "  "]
    assert layout_lines([], PAGE) == []


def test_neighbour_search_uses_pdfminers_grid_clipped_to_the_page():
    plane = pdf_layout._Plane((0, 0, 100, 100))
    inside, outside = pdf_layout._Line(False, row("a", 10, 10), 0.1), pdf_layout._Line(False, row("b", 500, 500), 0.1)
    plane.add(inside)
    plane.add(outside)  # entirely off the page: pdfminer's Plane never finds it
    assert plane.find(0, 0, 100, 100) == [inside]
    assert plane.find(400, 400, 600, 600) == []


# --- the embedded sample (no shared data needed) -------------------------------------------------


# the sample's PDFs are made by reportlab with non-embedded CID fonts; where pdfium's stand-in
# font has no box for a glyph (the 決算短信's "%" headers, the vertical signature column) the
# file is read with pdfminer.six
FALLBACK = {"tanshin_sakura_shintaku_2025.pdf", "togo_minato_message_tategaki.pdf"}


def test_sample_pdfs_read_alike_in_both_backends():
    for path in sorted(sample_dir().glob("*.pdf")):
        data = path.read_bytes()
        a, b = extract(data, "pdfminer", path.name), extract(data, "pypdfium2", path.name)
        assert a.reason == b.reason, path.name
        if a.reason is None:
            assert char_similarity(a.text, b.text) >= 0.98, path.name
            fallback = b.metadata.get("extract_fallback", "")
            assert (path.name in FALLBACK) == fallback.startswith("pypdfium2 incomplete"), (path.name, fallback)
            assert b.metadata["extractor"].startswith("pdfminer.six" if path.name in FALLBACK else "pypdfium2")


def test_sample_vertical_message_reads_in_order_with_pypdfium2():
    data = (sample_dir() / "togo_minato_message_tategaki.pdf").read_bytes()
    result = extract_pdfium(data)  # the columns right to left; the signature column is left out
    assert result.incomplete and result.incomplete.startswith("page 1")
    from kinyu.corpus.extract.pdf import repair_layout
    from kinyu.corpus.normalize import normalize_japanese

    text = normalize_japanese(repair_layout(result.pages)[0])
    assert text.startswith("社長メッセージ\n株主・投資家の皆様には、平素より格別のご高配")
    assert "代表取締役社長" not in text
    assert "代表取締役社長" in extract(data, "pypdfium2").text  # read again with pdfminer.six


def test_unreadable_file_falls_back_to_pdfminer_and_says_why():
    data = (sample_dir() / "truncated_report.pdf").read_bytes()
    out = extract(data, "pypdfium2")
    assert out.reason == extract(data, "pdfminer").reason == "corrupt"
    assert "after pypdfium2 corrupt" in out.metadata["quarantine"]["detail"]
    off = extract(data, "pypdfium2", pdf_fallback=False)
    assert off.reason == "corrupt" and "pypdfium2" not in off.metadata["quarantine"]["detail"]


# --- the shared real PDFs --------------------------------------------------------------------------

MHLW = ("0000196286", "0000196292", "0000196298", "0000196301", "0000196304", "0000196314", "0000196315-1-2",
        "000602943", "000603747", "000603756", "000603763", "000603766", "000603771", "000907836", "000907845")  # fmt: skip
PDFJS = ("90ms_rksj_h_sample", "issue15340", "issue16538", "issue6387", "noembed-jis7", "noembed-sjis", "vertical")
# every readable PDF of the shared data (aes-256.pdf, encrypted: test_broken_files_...)
REAL_PDFS = [f"mhlw-pdf/{n}.pdf" for n in MHLW] + [f"pdfjs-ja-pdf/{n}.pdf" for n in PDFJS] + [
    "pdf/issue-449-vertical.pdf", "pdf/jo.pdf", "pdf/zen_of_python_corrupted.pdf"]  # fmt: skip


@pytest.mark.real_data
@pytest.mark.parametrize("source", REAL_PDFS)
def test_real_pdf_text_is_the_same_in_both_backends(source):
    data = shared("real", *source.split("/")).read_bytes()
    from kinyu.corpus.extract.pdf import repair_layout
    from kinyu.corpus.normalize import normalize_japanese

    texts = [normalize_japanese(repair_layout(pdf_pages(data, PAGES, True, b))[0]) for b in ("pdfminer", "pypdfium2")]
    assert char_similarity(*texts) >= 0.98, source


VERTICAL_KOKUJI = {
    "0000196314.pdf": ("厚生労働省告示第四十四号", "の一部を次のように改正し、平成三十年四月一日から適用する。"),
    "000602943.pdf": ("厚生労働省告示第五十八号", "の一部を次のように改正し、令和二年四月一日から適用する。"),
    "000907845.pdf": ("厚生労働省告示第五十五号", "の一部を次のように改正し、令和四年四月一日から適用する。"),
}


@pytest.mark.real_data
@pytest.mark.parametrize("name", sorted(VERTICAL_KOKUJI))
def test_vertical_kokuji_opening_reads_in_order_with_pypdfium2(name):
    number, enacting = VERTICAL_KOKUJI[name]
    data = shared("real", "mhlw-pdf", name).read_bytes()
    from kinyu.corpus.extract.pdf import repair_layout
    from kinyu.corpus.normalize import normalize_japanese

    text = normalize_japanese(repair_layout(extract_pdfium(data, max_pages=2).pages)[0])
    lines = text.split("\n")
    assert lines[0] == "基本診療料の施設基準等の一部を改正する件"  # the title column, right of the notice
    assert lines[1].replace(" ", "") == "○" + number
    assert lines[2].startswith("診療報酬の算定方法(平成二十年厚生労働省告示第五十九号)の規定に基づき、基本診療料の施設基準等")
    assert lines[2].endswith(enacting)
    assert "第一届出の通則\n一保険医療機関(健康保険法(大正十一年法律第七十号)第六十三条第三項第一号に規定する保険医療機関をいう。" in text


@pytest.mark.real_data
def test_pdfium_leaving_out_text_falls_back_to_pdfminer():
    # jo.pdf: vertical text in a non-embedded CID font whose text objects pdfium measures as
    # zero wide and so leaves out of its text page (48 of 65 on the page)
    data = shared("real", "pdf", "jo.pdf").read_bytes()
    assert extract_pdfium(data).incomplete
    out = extract(data, "pypdfium2", "jo.pdf")
    assert out.metadata["extractor"].startswith("pdfminer.six")
    assert out.metadata["extract_fallback"].startswith("pypdfium2 incomplete: page 1")
    assert out.text == extract(data, "pdfminer").text and "わたくしといふ現象は" in out.text
    kept = extract(data, "pypdfium2", "jo.pdf", pdf_fallback=False)  # keeps what pdfium read, with a warning
    assert kept.metadata["extractor"].startswith("pypdfium2") and kept.metadata["extract_warnings"]
    assert len(kept.text) < len(out.text) / 2


@pytest.mark.real_data
def test_broken_files_get_the_same_quarantine_reason():
    files = broken_files()
    assert {"aes-256.pdf", "0000196301-truncated-50.pdf"} <= set(files)
    for name, data in files.items():
        a, b = extract(data, "pdfminer", name), extract(data, "pypdfium2", name)
        if name == "0000196301-bad-startxref.pdf":
            # pdfminer finds no page behind a wrong startxref offset; pdfium rebuilds the
            # cross-reference table and reads the whole file: text, not a quarantine
            assert (a.reason, b.reason) == ("no_text", None)
            intact = shared("real", "mhlw-pdf", "0000196301.pdf").read_bytes()
            assert b.text == extract(intact, "pypdfium2").text
            continue
        assert a.reason == b.reason, (name, a.metadata.get("quarantine"), b.metadata.get("quarantine"))
        assert a.text == b.text == "" or char_similarity(a.text, b.text) >= 0.98, name


@pytest.mark.real_data
def test_corrupted_stream_reads_the_same_with_pypdfium2():
    data = shared("real", "pdf", "zen_of_python_corrupted.pdf").read_bytes()
    a, b = extract(data, "pdfminer"), extract(data, "pypdfium2")
    assert "Beautiful is better than ugly." in b.text and a.text == b.text  # the /Rotate 90 page read upright


@pytest.mark.slow
@pytest.mark.real_data
def test_same_keep_drop_decisions_on_the_labelled_set():
    from testkit.filters_eval import HELDOUT, SEGMENTS, kinyu_decisions, load_segments, materialise

    for path in (SEGMENTS, HELDOUT):
        pdf = [s for s in load_segments(path) if s.source.endswith(".pdf")]
        by_backend = {}
        for backend in ("pdfminer", "pypdfium2"):
            segs = [materialise(s, backend) for s in load_segments(path) if s.source.endswith(".pdf")]
            by_backend[backend] = kinyu_decisions(segs)
        assert len(by_backend["pdfminer"]) == len(pdf) > 20
        assert by_backend["pypdfium2"] == by_backend["pdfminer"], path.name
