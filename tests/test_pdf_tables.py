"""Tables in PDFs as kinyu's Markdown tables (kinyu.corpus.extract.pdf_tables), on both backends:
the sample's 連結損益計算書 page, a real MHLW fee schedule (点数表), and prose pages left as they were."""

from __future__ import annotations

import pytest

from kinyu.corpus.extract.pdf import extract_pdfium, extract_pdfminer, repair_layout
from kinyu.corpus.extract.pdf_tables import find_tables
from kinyu.corpus.normalize import normalize_japanese
from kinyu.corpus.sample import sample_dir
from kinyu.corpus.tables import labelled_share, split_row, table_blocks
from testkit.shared import shared

BACKENDS = {"pdfminer": extract_pdfminer, "pypdfium2": extract_pdfium}


def document_text(extract, data: bytes, **kw) -> str:
    """What the PDF extractor gives the quality steps: the layout repair, then the normaliser."""
    return normalize_japanese(repair_layout(extract(data, **kw).pages)[0])


def tables_of(text: str) -> list[list[str]]:
    lines = text.split("\n")
    return [lines[b.start : b.end] for b in table_blocks(lines)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sample_income_statement_is_one_labelled_table_with_its_header_path(backend):
    data = (sample_dir() / "table_minato_pl.pdf").read_bytes()
    text = document_text(BACKENDS[backend], data)
    lines = text.split("\n")
    blocks = table_blocks(lines)
    assert len(blocks) == 1
    block = blocks[0]
    assert labelled_share(lines, block) == 1.0
    header = split_row(lines[block.start])
    assert header[1] == "前連結会計年度 / (自2023年4月1日 / 至2024年3月31日)", header
    assert header[2] == "当連結会計年度 / (自2024年4月1日 / 至2025年3月31日)", header
    rows = lines[block.start + 2 : block.end]
    assert rows[0] == "| 売上高 | 114,644 | 128,745 |"
    assert "| 法人税等調整額 | △113 | △9 |" in rows
    assert "| 親会社株主に帰属する当期純利益 | 8,637 | 9,863 |" in rows
    assert "| 営業外収益 | | |" in rows  # a heading row of the body, no figures
    assert len(rows) == 24
    assert lines[block.start - 1] == "(単位:百万円)"  # the unit: the table's caption
    # in its place: after the page's title, a paragraph of its own
    assert "\n【連結損益計算書】\n\n(単位:百万円)\n| |" in text


def test_both_backends_write_the_same_tables_on_the_sample():
    data = (sample_dir() / "table_minato_pl.pdf").read_bytes()
    assert extract_pdfium(data).pages == extract_pdfminer(data).pages


def test_off_writes_the_text_as_before():
    data = (sample_dir() / "table_minato_pl.pdf").read_bytes()
    for extract in BACKENDS.values():
        text = document_text(extract, data, tables=False)
        assert not tables_of(text) and "売上高" in text


def test_prose_characters_make_no_table():
    # a paragraph of full lines, and a line with a figure after a short gap: no table
    def row(text, x, y, size=10.0):
        return [(ch, x + i * size, y, x + (i + 1) * size, y + size) for i, ch in enumerate(text)]

    chars = row("当社グループの売上高は前期比で増加しました。", 50, 700) + row("営業利益は", 50, 685) + row("120億円", 115, 685)
    chars += row("経常利益は", 50, 670) + row("130億円", 115, 670)
    assert find_tables(chars) == []
    # the same rows with the figures in a column of their own: a table
    chars = row("営業利益", 50, 685) + row("120億円", 400, 685) + row("経常利益", 50, 670) + row("130億円", 400, 670)
    (table,) = find_tables(chars)
    assert table.lines[2:] == ["| 営業利益 | 120億円 |", "| 経常利益 | 130億円 |"]


@pytest.mark.real_data
@pytest.mark.parametrize("backend", BACKENDS)
def test_mhlw_fee_schedule_rows_carry_their_points(backend):
    # 2018 別表第三 調剤報酬点数表, page 2: 調剤料's items, each with its points right-aligned
    data = shared("real", "mhlw-pdf", "0000196304.pdf").read_bytes()
    text = document_text(BACKENDS[backend], data, max_pages=2)
    tables = tables_of(text)
    assert len(tables) >= 3
    lines = text.split("\n")
    assert all(labelled_share(lines, b) == 1.0 for b in table_blocks(lines))
    rows = {row for table in tables for row in table[2:]}
    for row in (
        "| ロ15日分以上21日分以下の場合 | 67点 |",
        "| ニ31日分以上の場合 | 86点 |",
        "| イ後発医薬品調剤体制加算1 | 18点 |",
        "| ( 2 ) 8日目以上の部分(1日分につき) | 10点 |",
        "| ハ29日分以上の場合 | 400点 |",
        # a label over three lines, wrapped at the text's right edge, its points on the last
        "| イ同一グループの保険薬局(財務上又は営業上若しくは事業上、緊密な関係にある範囲の保険薬局をいう。"
        "以下この表において同じ。)による処方箋受付回数4万回を超え40万回以下の場合 | 20点 |",
        "| 3調剤基本料3 | |",  # a heading row over its sub-items
    ):
        assert row in rows, row
    # before: the points on lines of their own, away from their labels
    before = document_text(BACKENDS[backend], data, max_pages=2, tables=False)
    assert not tables_of(before) and "\n67点\n" in before


@pytest.mark.real_data
@pytest.mark.parametrize("backend", BACKENDS)
def test_text_outside_the_tables_is_as_before(backend):
    # every line of a fee schedule page that is not a table line stands, in the same order, in
    # the page's text without tables
    data = shared("real", "mhlw-pdf", "0000196304.pdf").read_bytes()
    extract = BACKENDS[backend]
    for on, off in zip(extract(data, max_pages=3).pages, extract(data, max_pages=3, tables=False).pages):
        outside = [ln for ln in on.split("\n") if ln.strip() and not ln.startswith("|")]
        rest = iter(ln for ln in off.split("\n") if ln.strip())
        assert all(any(ln == other for other in rest) for ln in outside)


@pytest.mark.real_data
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["000602943.pdf", "0000196315-1-2.pdf"])
def test_prose_pages_are_unchanged(backend, name):
    # a vertical 告示 and a horizontal 通知: no table, the text identical to the text without tables
    data = shared("real", "mhlw-pdf", name).read_bytes()
    extract = BACKENDS[backend]
    assert extract(data, max_pages=2).pages == extract(data, max_pages=2, tables=False).pages
