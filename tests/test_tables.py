"""Tables kept as tables: the HTML renderer (kinyu.corpus.extract.html_tables), the Markdown table
format the filters read (kinyu.corpus.tables), the filters' judgement of tables, and the U4 gold
cells of real filings through a whole build."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import lxml.html
import pytest
from datatrove.data import Document

from kinyu.base import u4
from kinyu.corpus.extract.html import extract_html
from kinyu.corpus.extract.html_tables import table_markdown
from kinyu.corpus.filters.analysis import get_analysis, signals
from kinyu.corpus.filters.config import QualityConfig
from kinyu.corpus.filters.line_clean import JapaneseLineCleaner
from kinyu.corpus.normalize import normalize_japanese
from kinyu.corpus.tables import split_row, table_blocks
from testkit.shared import shared


def markdown(html: str) -> str:
    return table_markdown(lxml.html.fromstring(html))


# a statement of changes in equity as EDINET writes it: a spacer row, the unit as a row, a header
# of three rows with spans, the label spanned over an indentation column
EQUITY = """<table>
<tr><td></td><td></td><td></td><td></td><td></td></tr>
<tr><td colspan="3"></td><td colspan="2">(単位：百万円)</td></tr>
<tr><td colspan="2"></td><td colspan="3">株主資本</td></tr>
<tr><td colspan="2"></td><td rowspan="2">資本金</td><td colspan="2">資本剰余金</td></tr>
<tr><td colspan="2"></td><td>資本準備金</td><td>その他資本剰余金</td></tr>
<tr><td colspan="2">当期首残高</td><td>79,863</td><td>4,274</td><td>－</td></tr>
<tr><td></td><td>剰余金の配当</td><td></td><td><span>△</span>
<span>17,570</span></td><td></td></tr>
</table>"""


def test_spanned_headers_become_one_header_path_per_column():
    lines = markdown(EQUITY).split("\n")
    assert lines[0] == "(単位：百万円)"  # the unit row is the caption
    assert lines[1] == "|  | 株主資本 / 資本金 | 株主資本 / 資本剰余金 / 資本準備金 | 株主資本 / 資本剰余金 / その他資本剰余金 |"
    assert lines[2] == "| --- | --- | --- | --- |"
    assert lines[3] == "| 当期首残高 | 79,863 | 4,274 | － |"
    # the label indented one column right is still the label; the sign stays with its figure
    assert lines[4] == "| 剰余金の配当 |  | △17,570 |  |"


def test_increase_columns_carry_their_parent_header():
    html = """<table><thead>
    <tr><th rowspan="2">セグメント</th><th rowspan="2">前期</th><th rowspan="2">当期</th><th colspan="2">増減</th></tr>
    <tr><th>金額</th><th>率(%)</th></tr></thead>
    <tbody><tr><td>金融収益</td><td>28,829</td><td>28,522</td><td>△307</td><td>△1.1</td></tr></tbody></table>"""
    lines = markdown(html).split("\n")
    assert lines[0] == "| セグメント | 前期 | 当期 | 増減 / 金額 | 増減 / 率(%) |"
    assert lines[2] == "| 金融収益 | 28,829 | 28,522 | △307 | △1.1 |"


def test_row_label_spanned_over_rows_is_repeated_and_heading_rows_stay_in_the_body():
    html = """<table>
    <tr><td></td><td></td><td>前連結会計年度</td><td>当連結会計年度</td></tr>
    <tr><td colspan="2">流動資産</td><td></td><td></td></tr>
    <tr><td></td><td>現金及び預金</td><td>※2 367,781</td><td>370,793</td></tr></table>"""
    lines = markdown(html).split("\n")
    assert lines[0] == "|  | 前連結会計年度 | 当連結会計年度 |"
    assert lines[2] == "| 流動資産 |  |  |"  # a heading row of the body, not a header
    assert lines[3] == "| 現金及び預金 | ※2 367,781 | 370,793 |"
    segments = """<table><tr><td>セグメント</td><td>項目</td><td>前期</td><td>当期</td></tr>
    <tr><td rowspan="2">日本</td><td>売上高</td><td>1,000</td><td>1,100</td></tr>
    <tr><td>営業利益</td><td>100</td><td>90</td></tr></table>"""
    assert markdown(segments).split("\n")[2:] == ["| 日本 | 売上高 | 1,000 | 1,100 |", "| 日本 | 営業利益 | 100 | 90 |"]


def test_text_columns_before_the_figures_keep_their_own_headers():
    """An officer table: 役職名 | 氏名 | 生年月日 | 略歴 before 所有株式数; the career history is a
    table inside a cell, read as that cell's text."""
    html = """<table><tr><td>役職名</td><td>氏名</td><td>生年月日</td><td>略歴</td><td>所有株式数(千株)</td></tr>
    <tr><td>代表取締役社長</td><td>大和 太郎</td><td>1960年1月1日生</td>
    <td><table><tr><td>1984年4月</td><td>当社入社</td></tr><tr><td>2019年6月</td><td>代表取締役社長(現任)</td></tr></table></td>
    <td>105</td></tr></table>"""
    text, info = extract_html(f"<html><body><p>役員の状況</p>{html}</body></html>")
    assert info["tables"] == 1
    lines = text.split("\n")
    assert "| 役職名 | 氏名 | 生年月日 | 略歴 | 所有株式数(千株) |" in lines
    assert "| 代表取締役社長 | 大和 太郎 | 1960年1月1日生 | 1984年4月 当社入社 2019年6月 代表取締役社長(現任) | 105 |" in lines


def test_layout_frame_gives_way_to_the_tables_inside_and_pipes_are_escaped():
    inner = "<table><tr><th>項目</th><th>金額</th></tr><tr><td>A|B区分</td><td>1,234</td></tr></table>"
    text, info = extract_html(f"<html><body><table><tr><td><p>本文の段落です。</p>{inner}</td></tr></table></body></html>")
    assert info["tables"] == 1
    lines = text.split("\n")
    assert "| 項目 | 金額 |" in lines and "| A\\|B区分 | 1,234 |" in lines
    assert split_row("| A\\|B区分 | 1,234 |") == ["A\\|B区分", "1,234"]


def test_cover_form_takes_its_first_field_as_header():
    html = """<table><tr><td>【表紙】</td><td></td></tr><tr><td>【提出書類】</td><td>有価証券報告書</td></tr>
    <tr><td>【会社名】</td><td>株式会社かえで商事</td></tr></table>"""
    assert markdown(html).split("\n") == ["【表紙】", "| 【提出書類】 | 有価証券報告書 |", "| --- | --- |", "| 【会社名】 | 株式会社かえで商事 |"]


def test_table_blocks_split_adjacent_tables_and_refuse_ragged_rows():
    lines = ["| a | b |", "| --- | --- |", "| 売上高 | 1 |", "| c | d |", "| --- | --- |", "| 利益 | 2 |", "| x | y | z |"]
    blocks = table_blocks(lines)
    assert [(b.start, b.end) for b in blocks] == [(0, 3), (3, 6)]
    assert table_blocks(["| 売上高 | 1 | 2 |", "| 利益 | 3 | 4 |"]) == []  # no header line: no table


STATEMENT = normalize_japanese(
    "当社グループの連結貸借対照表は次のとおりであります。\n(単位:百万円)\n"
    + markdown("""<table><tr><td></td><td>前連結会計年度</td><td>当連結会計年度</td></tr>
    <tr><td>現金及び預金</td><td>367,781</td><td>370,793</td></tr><tr><td>受取手形及び売掛金</td><td>447,831</td><td>440,755</td></tr>
    <tr><td>商品及び製品</td><td>293,445</td><td>292,579</td></tr><tr><td>貸倒引当金</td><td>△9,147</td><td>△10,561</td></tr>
    <tr><td>流動資産合計</td><td>1,317,605</td><td>1,304,427</td></tr></table>""")
)


def run_chain(text: str, cfg: QualityConfig | None = None) -> tuple[str | None, Document]:
    """The default quality chain on one document: (drop reason or None, the document)."""
    from datatrove.pipeline.filters.base_filter import BaseFilter

    from kinyu.corpus.filters.config import quality_steps

    doc = Document(text=text, id="t", metadata={})
    for step in quality_steps(cfg or QualityConfig(), None):
        if isinstance(step, BaseFilter):
            result = step.filter_batch([doc])[0]
            ok, reason = (result, None) if isinstance(result, bool) else result
            if not ok:
                return reason, doc
        else:
            doc = next(iter(step.run(iter([doc]))), doc)
    return None, doc


def test_statement_document_is_kept_with_its_table():
    reason, doc = run_chain(STATEMENT)
    assert reason is None
    assert "| 受取手形及び売掛金 | 447,831 | 440,755 |" in doc.text.split("\n")
    q = doc.metadata["quality"]
    assert q["tables"] == 1 and q["table_chars"] > q["chars"] / 2


def test_prose_signals_are_of_the_prose_only():
    prose = "当期の売上高は前期比12.3%増の4,567億円となりました。営業利益も増加いたしました。\n"
    mixed = normalize_japanese(prose + STATEMENT)
    sig = signals(get_analysis(Document(text=mixed, id="m")))
    plain = signals(get_analysis(Document(text=normalize_japanese(prose + "当社グループの連結貸借対照表は次のとおりであります。\n(単位:百万円)"), id="p")))
    assert sig["hiragana_text_ratio"] == plain["hiragana_text_ratio"]
    assert sig["predicate_end_share"] == plain["predicate_end_share"]
    assert sig["chars"] == plain["chars"] + sig["table_chars"]


def test_bare_figures_are_still_removed_with_their_own_reasons():
    figures = "| 売上高 | 前期 | 当期 |\n| --- | --- | --- |\n| 1,234 | 5,678 | 9,012 |\n| 3,456 | 7,890 | 1,234 |"
    text = "当社の業績は次のとおりであります。\n" + figures + "\n\n| 1,234 | 5,678 | 9,012 | 1 |\n| 2,345 | 6,789 | 123 | 2 |"
    doc = Document(text=text, id="f", metadata={})
    blocks = JapaneseLineCleaner().clean(doc)
    assert [reason for _, reason, _ in blocks] == ["table_no_labels", "table_residue"]
    assert doc.text == "当社の業績は次のとおりであります。"
    # the same block judged row by row when tables are not kept: residue, as before
    cfg = QualityConfig().line_clean
    cfg.keep_tables = False
    doc = Document(text=STATEMENT, id="s", metadata={})
    assert "table_residue" in {reason for _, reason, _ in JapaneseLineCleaner(cfg).clean(doc)}


# --- real filings: the U4 gold cells through a whole build ----------------------------------

FILING = "S100ILF5"  # a 有価証券報告書 of filings-u4's valid split: 22 section files, 4 MB


@pytest.fixture(scope="module")
def u4_valid(tmp_path_factory):
    root = shared("filings-u4")
    work = tmp_path_factory.mktemp("u4")
    reports = u4.unpack(root, work, "valid")
    return root, reports


@pytest.mark.real_data
def test_gold_cells_of_a_real_filing_survive_the_default_build_with_label_and_header(u4_valid, tmp_path):
    """Every question of U4 on one filing: its cell's value on one line with its row label, its
    column header in the table's header line, in the text a default build keeps. Fails when
    tables are dropped or flattened again."""
    from kinyu.cli import main

    root, reports = u4_valid
    cells = [c for c in u4.gold_cells(reports, u4.questions(root, "valid")) if c.file.startswith(FILING)]
    cells = [c for c in cells if c.text and c.row_label and c.column_header]
    assert len(cells) >= 100
    out = tmp_path / "run"
    rc = main(["corpus", "build", "--input", str(reports / FILING), "--output", str(out), "--workers", "2",
               "--tokenize.enabled", "false", "--cache.enabled", "false"])
    assert rc == 0
    texts = {}
    for f in (out / "docs").glob("*.jsonl.gz"):
        for line in gzip.open(f, "rt", encoding="utf-8"):
            doc = json.loads(line)
            texts[Path(doc["metadata"]["source"]).name] = doc["text"]
    result = u4.score(cells, texts)
    assert result["label+header"] >= 0.98, result["causes"]
    # the statements are kept, as tables
    assert any(name.startswith(f"{FILING}-0105") for name in texts)
    stats = json.loads((out / "stats" / "summary.json").read_text())
    assert stats  # the run finished and accounted for its documents


@pytest.mark.real_data
def test_gold_context_is_read_from_the_html(u4_valid):
    root, reports = u4_valid
    items = u4.questions(root, "valid")
    cells = {c.qid: c for c in u4.gold_cells(reports, items)}
    c = cells["question_tqa_valid3"]  # 東芝 2016年 総資産額, 経営指標等
    assert (c.text, c.row_label, c.column_header) == ("3,597,951", "総資産額", "第177期")
    # the test split's questions get their cells from the public gold standard
    test_items = u4.questions(root, "test")
    assert 1000 < len(test_items) < 2898 and all("cell_id" in v for v in test_items.values())


@pytest.mark.parametrize("text", ["(百万円)", "（単位：千円）", "百万円", "(%)"])
def test_a_unit_over_a_column_is_no_column_header_to_the_yardstick(text):
    """The yardstick's column header is the first text above a cell that is neither a figure nor a
    unit caption: 「(百万円)」 over the figures states their unit, it names no column."""
    grid = [[(None, ""), ("h1", u4.compact(text))], [(None, ""), ("h2", "当連結会計年度")], [("l", "売上高"), ("v", "1,234")]]
    assert u4.is_unit_caption(text) and not u4.is_figure(text)
    assert u4.cell_context(None, "v", grid) == ("1,234", "売上高", "当連結会計年度")


@pytest.mark.parametrize("text", ["14,263百万円", "(△326,876)", "34.0(17.0)", "1,000株", "△12.3%"])
def test_a_figure_with_its_unit_or_a_bracketed_part_is_a_figure_to_the_yardstick(text):
    assert u4.is_figure(text) and not u4.is_unit_caption(text)


def test_a_value_inside_its_label_is_still_found_beside_it():
    """「-」 for a drug in development 「TAK-831(注7)」, 「1」 beside 「第1回新株予約権」: the value and its
    label apart on the line, whichever is inside the other."""
    lines = ["|開発品|開発段階|", "|---|---|", "|TAK-831(注7)|-|", "|第1回新株予約権|1|"]
    dash = u4.GoldCell("", "c1", "t", "f", "-", "TAK-831(注7)", "開発段階")
    one = u4.GoldCell("", "c2", "t", "f", "1", "第1回新株予約権", "開発段階")
    assert u4.judge(dash, lines) == "ok" and u4.judge(one, lines) == "ok"
    alone = u4.GoldCell("", "c3", "t", "f", "-", "TAK-831(注7)", "開発段階")
    assert u4.judge(alone, ["|開発品|開発段階|", "|---|---|", "|TAK-831(注7)||"]) == "value not on a line with its label"


@pytest.mark.real_data
def test_every_figure_cell_of_a_real_filing_has_its_label_and_header(u4_valid, tmp_path):
    """Beyond the questions: every figure cell of every table of SoftBank's FY2019 有報 (valid;
    tables under a unit row, years under 「3月31日に終了した1年間」, frames around tables), as
    ``benchmarks/tables.py --every-cell`` reads them. 0.950 before the header rules of session 8."""
    _, reports = u4_valid
    one = tmp_path / "reports"
    one.mkdir()
    (one / "S100IWZG").symlink_to(reports / "S100IWZG")
    cells = u4.every_cell(one)
    assert len(cells) > 1000
    texts = {p.name: extract_html(p.read_text(encoding="utf-8"))[0] for p in sorted((one / "S100IWZG").glob("*.html"))}
    result = u4.score(cells, texts)
    assert result["label+header"] >= 0.99, result["causes"]


# --- header rules found on the dense check of train/valid (every figure cell of every table) ---

def test_years_under_a_period_are_a_header_row_not_figures():
    """「2019年」「2020年」 under 「3月31日に終了した1年間」 beside 増減 / 増減率: the second header row."""
    html = """<table><tr><td colspan="5">(単位:百万円)</td></tr>
    <tr><td></td><td colspan="2">3月31日に終了した1年間</td><td></td><td></td></tr>
    <tr><td></td><td>2019年</td><td>2020年</td><td>増減</td><td>増減率</td></tr>
    <tr><td>売上高</td><td>4,656,815</td><td>4,861,247</td><td>204,432</td><td>4.4％</td></tr></table>"""
    lines = markdown(html).split("\n")
    assert lines[1] == "|  | 3月31日に終了した1年間 / 2019年 | 3月31日に終了した1年間 / 2020年 | 増減 | 増減率 |"
    assert lines[3] == "| 売上高 | 4,656,815 | 4,861,247 | 204,432 | 4.4％ |"
    # a year beside a label is a figure of the body (a history of 設立 years)
    body = """<table><tr><td>項目</td><td>年</td></tr><tr><td>設立</td><td>1950年</td></tr><tr><td>上場</td><td>1961年</td></tr></table>"""
    assert markdown(body).split("\n")[2:] == ["| 設立 | 1950年 |", "| 上場 | 1961年 |"]


def test_a_column_of_row_numbers_is_part_of_the_label():
    html = """<table><tr><td></td><td>評価指標</td><td>目標値</td><td>評価ウエイト</td></tr>
    <tr><td>1</td><td>ROIC(投下資本利益率)達成率</td><td>8.0%</td><td>60%</td></tr>
    <tr><td>2</td><td>重点事業売上高比率達成率</td><td>70%</td><td>20%</td></tr></table>"""
    lines = markdown(html).split("\n")
    assert lines[0] == "|  | 評価指標 | 目標値 | 評価ウエイト |"
    assert lines[2:] == ["| 1 | ROIC(投下資本利益率)達成率 | 8.0% | 60% |", "| 2 | 重点事業売上高比率達成率 | 70% | 20% |"]


def test_a_row_that_names_the_value_column_is_the_header_and_titles_over_it_are_in_the_path():
    grant = """<table><tr><td></td><td>第2回新株予約権</td></tr>
    <tr><td>付与日</td><td>2016年7月5日</td></tr><tr><td>付与対象者の区分及び人数</td><td>当社取締役 16名</td></tr>
    <tr><td>権利確定条件</td><td>権利確定日まで継続して勤務していること</td></tr></table>"""
    assert markdown(grant).split("\n")[:3] == ["|  | 第2回新株予約権 |", "| --- | --- |", "| 付与日 | 2016年7月5日 |"]
    resolution = """<table><tr><td colspan="3">2008年5月15日決議</td></tr>
    <tr><td></td><td>事業年度末現在</td><td>提出日の前月末現在</td></tr>
    <tr><td>新株予約権の目的となる株式の種類</td><td>普通株式</td><td>同左</td></tr></table>"""
    # spanned over every column, the label's too, as any spanned header is
    assert markdown(resolution).split("\n")[0] == "| 2008年5月15日決議 | 2008年5月15日決議 / 事業年度末現在 | 2008年5月15日決議 / 提出日の前月末現在 |"
    # a form without an empty corner keeps its single-text rows as captions
    assert markdown("""<table><tr><td>【表紙】</td><td></td></tr><tr><td>【提出書類】</td><td>有価証券報告書</td></tr>
    <tr><td>【会社名】</td><td>株式会社かえで商事</td></tr></table>""").split("\n")[0] == "【表紙】"


def test_a_title_in_the_label_column_above_the_header_keeps_the_header():
    html = """<table><tr><td>配当</td><td></td><td></td></tr>
    <tr><td>決議</td><td>株式の種類</td><td>配当金の総額(百万円)</td></tr>
    <tr><td>2019年3月28日定時株主総会</td><td>普通株式</td><td>30,097</td></tr></table>"""
    lines = markdown(html).split("\n")
    assert lines[0] == "| 配当 / 決議 | 株式の種類 | 配当金の総額(百万円) |"
    assert lines[2] == "| 2019年3月28日定時株主総会 | 普通株式 | 30,097 |"
    # above the first figures, a label alone is a heading of the body
    sheet = """<table><tr><td>資産の部</td><td></td></tr><tr><td>現金及び預金</td><td>1,234</td></tr>
    <tr><td>売掛金</td><td>567</td></tr></table>"""
    assert markdown(sheet).split("\n")[2:4] == ["| 資産の部 |  |", "| 現金及び預金 | 1,234 |"]


def test_a_tall_header_over_one_row_of_figures_is_a_header():
    """A derivative table: 契約額 / うち1年超 / 公正価値 over one row of 為替予約; cells of two figures."""
    html = """<table><tr><td></td><td colspan="3">前連結会計年度(2019年3月31日)</td></tr>
    <tr><td></td><td>契約額</td><td>うち1年超</td><td>公正価値</td></tr>
    <tr><td>為替予約</td><td>7,672</td><td>6,261</td><td>270</td></tr></table>"""
    lines = markdown(html).split("\n")
    assert lines[0] == ("|  | 前連結会計年度(2019年3月31日) / 契約額 | 前連結会計年度(2019年3月31日) / うち1年超 "
                        "| 前連結会計年度(2019年3月31日) / 公正価値 |")
    assert lines[2] == "| 為替予約 | 7,672 | 6,261 | 270 |"
    two = """<table><tr><td>資産の種類</td><td>事業所名</td><td>金額</td></tr>
    <tr><td>建物</td><td>柏崎工場<br>本社</td><td>4,999<br>1,008</td></tr><tr><td>建物</td><td>柏崎工場</td><td>2,344</td></tr></table>"""
    assert markdown(two).split("\n")[0] == "| 資産の種類 | 事業所名 | 金額 |"


@pytest.mark.parametrize("text", ["12.5％", "（1,234）", "74(74)", "374(―)", "34.0(17.0)", "△0.3％ポイント", "＋2,900", "－1,200"])
def test_full_width_percent_and_a_bracketed_part_are_figures(text):
    from kinyu.corpus.tables import is_figure

    assert is_figure(text)


def test_a_frame_of_paragraph_cells_leaves_the_table_inside_whole():
    """A one-column frame (the unit, then the table in a cell), whose inner cells hold paragraphs:
    the inner table is read as a table, not cell by cell."""
    inner = ("<table><tr><td><p>　</p></td><td><p>日本</p></td><td><p>米州</p></td></tr>"
             "<tr><td><p>当連結会計年度末</p></td><td><p>178,704</p></td><td><p>209,658</p></td></tr></table>")
    html = f"<html><body><p>非流動資産の地域別内訳は以下のとおりです。</p><table><tr><td></td></tr><tr><td><p>(単位:百万円)</p>{inner}</td></tr></table></body></html>"
    text, info = extract_html(html)
    lines = text.split("\n")
    assert "| 当連結会計年度末 | 178,704 | 209,658 |" in lines, text
    assert "178,704" not in [line.strip() for line in lines]


def test_a_frame_with_spacer_rows_leaves_the_tables_inside_whole():
    """A frame of rows of empty cells above each framed table, its title and table in one cell per
    row (財務活動から生じた負債の変動, two years): each inner table is a table, not one line of text."""
    spacer = "<tr>" + "<td></td>" * 14 + "</tr>"
    inner = ("<table><tr><td></td><td>2019年1月1日残高</td><td>2019年12月31日残高</td></tr>"
             "<tr><td></td><td>百万円</td><td>百万円</td></tr>"
             "<tr><td>短期借入金</td><td>238,023</td><td>192,581</td></tr></table>")
    html = (f"<html><body><p>各年度の財務活動から生じた負債の変動は、以下のとおりです。</p><table>{spacer}{spacer}"
            f"<tr><td colspan='14'><p>前年度（自 2019年１月１日　至 2019年12月31日）</p><div>{inner}</div></td></tr>"
            "</table></body></html>")
    lines = extract_html(html)[0].split("\n")
    assert "|  | 2019年1月1日残高 / 百万円 | 2019年12月31日残高 / 百万円 |" in lines, lines
    assert "| 短期借入金 | 238,023 | 192,581 |" in lines


def test_full_width_plus_signs_are_figures_not_header_rows():
    """「＋2,900」 rows under the header (a cash-flow plan): the body, not three more header rows."""
    html = """<table><tr><td></td><td>2018年度実績</td><td>2019年度実績</td></tr>
    <tr><td>基礎収益キャッシュ・フロー</td><td>＋2,900</td><td>＋2,390</td></tr>
    <tr><td>資産入替えによる回収</td><td>＋2,400</td><td>＋1,200</td></tr>
    <tr><td>その他の資金移動</td><td>△1,200</td><td>△500</td></tr></table>"""
    lines = markdown(html).split("\n")
    assert lines[0] == "|  | 2018年度実績 | 2019年度実績 |"
    assert lines[2] == "| 基礎収益キャッシュ・フロー | ＋2,900 | ＋2,390 |"


def test_a_unit_in_a_cell_of_its_own_joins_its_figure():
    """Figures spanned over two columns in every row but the ratio's, whose ％ stands in a cell of
    its own: one column per period, 「0.76％」 one cell, and a label spanned into the column of
    「①」 said once."""
    html = """<table><tr><td colspan="2"></td><td colspan="2">前連結会計年度末</td><td colspan="2">当連結会計年度末</td></tr>
    <tr><td colspan="2">危険債権</td><td colspan="2">3,983</td><td colspan="2">3,269</td></tr>
    <tr><td>合計</td><td>①</td><td colspan="2">6,952</td><td colspan="2">6,503</td></tr>
    <tr><td>不良債権比率</td><td>(＝①／②)</td><td>0.76</td><td>％</td><td>0.68</td><td>％</td></tr></table>"""
    lines = markdown(html).split("\n")
    assert lines[0] == "|  |  | 前連結会計年度末 | 当連結会計年度末 |"
    assert lines[2:] == ["| 危険債権 |  | 3,983 | 3,269 |", "| 合計 | ① | 6,952 | 6,503 |",
                         "| 不良債権比率 | (＝①／②) | 0.76％ | 0.68％ |"]


def test_a_note_across_the_table_is_a_line_under_it_not_a_row_of_copies():
    """A segment table of three header rows over one row of figures, with the notes in one cell
    spanned over every column: the header is found, the notes are written once, under the table."""
    note = "（注）１．「中量産品」の区分は、ロット生産品を含んでいる。"
    html = f"""<table><tr><td></td><td colspan="3">報告セグメント</td><td rowspan="3">合計</td></tr>
    <tr><td></td><td colspan="2">インダストリー＆社会基盤</td><td rowspan="2">計</td></tr>
    <tr><td></td><td>中量産品（注）１</td><td>小計</td></tr>
    <tr><td>外部顧客からの売上収益</td><td>1,080,881</td><td>1,866,575</td><td>4,057,053</td><td>4,078,344</td></tr>
    <tr><td colspan="5">{note}</td></tr></table>"""
    lines = markdown(html).split("\n")
    assert lines[0] == ("|  | 報告セグメント / インダストリー＆社会基盤 / 中量産品（注）１ | 報告セグメント / インダストリー＆社会基盤 / 小計 "
                        "| 報告セグメント / 計 | 合計 |")
    assert lines[2:] == ["| 外部顧客からの売上収益 | 1,080,881 | 1,866,575 | 4,057,053 | 4,078,344 |", note]
    # a heading across the body's width, under a row of figures: its label once
    heading = html.replace(f'<tr><td colspan="5">{note}</td></tr>',
                           '<tr><td colspan="5">その他の項目</td></tr><tr><td>減価償却費</td><td>1</td><td>2</td><td>3</td><td>4</td></tr>')
    assert markdown(heading).split("\n")[3:] == ["| その他の項目 |  |  |  |  |", "| 減価償却費 | 1 | 2 | 3 | 4 |"]
