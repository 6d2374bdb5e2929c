"""One test per category of the labelled evaluation set, on real text from ../shared/data: each
class of good financial text survives the default chain, each class of junk goes with its
reason. Documents come through the project's own extraction (testkit.realdata.source_text);
short quoted lines are real lines of those documents."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from kinyu.corpus.filters import JapaneseLineCleaner, QualityConfig
from kinyu.corpus.filters.analysis import analyze_text, signals
from testkit.filters_eval import kinyu_document
from testkit.realdata import source_text
from testkit.shared import shared

pytestmark = pytest.mark.real_data

KOKUJI = "mhlw-pdf/000602943.pdf"  # 厚生労働省告示第五十八号, vertical PDF
JPX_2 = "edinet-asr-html/S100TLCL-0102010.html"  # JPX FY2023 第2【事業の状況】
DAIWA_2 = "edinet-asr-html/S100IYG9-0102010.html"  # Daiwa FY2019 第2【事業の状況】
DAIWA_4 = "edinet-asr-html/S100IYG9-0104010.html"  # Daiwa FY2019 第4【提出会社の状況】


def text_of(source: str, pages: int = 0, vertical: bool = True) -> str:
    # trafilatura's raw table rows (no header line), as the categories were written on: rows that
    # are no table stay residue. Tables kept as tables: tests/test_tables.py.
    shared("real", source)
    return source_text(source, pages, vertical, tables="trafilatura")


def chunk(text: str, start: str, chars: int) -> str:
    """Whole lines from the first line starting with ``start``, about ``chars`` characters."""
    lines = text.split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith(start))
    out, size = [], 0
    while i < len(lines) and size < chars:
        out.append(lines[i])
        size += len(lines[i]) + 1
        i += 1
    return "\n".join(out)


def cleaned(text: str) -> tuple[str, dict[str, str]]:
    """The text the line cleaner keeps, and {removed line: reason}."""
    doc = Document(text=text, id="t", metadata={})
    blocks = JapaneseLineCleaner().clean(doc)
    return doc.text, {line: reason for _, reason, block in blocks for line in block.split("\n")}


# ---- good text: kept -----------------------------------------------------------------------------


def test_statute_kokuji_is_kept_whole_and_in_chunks():
    """告示: long sentences ending in 「…であること。」, numbered items, headings without 。."""
    text = text_of(KOKUJI, pages=30)
    assert kinyu_document(text) is None
    q = signals(analyze_text(text))
    # counted by predicate endings alone this was 0.18 and the 告示 was dropped whole
    assert q["predicate_end_share"] > 0.5
    for start in ("歯科外来診療における院内感染防止対策につき十分な機器", "診療内容に関するデータを適切に提出できる体制"):
        assert kinyu_document(chunk(text, start, 4000)) is None


def test_statute_whole_kokuji_with_its_appendix_list_is_kept():
    """The whole 告示 (~100k characters): set phrases repeat (dup 10-gram share 0.73) and one
    appendix list runs ~700 tokens without a predicate, but it is a statute."""
    text = text_of(KOKUJI)
    doc = Document(text=text, id="kokuji", metadata={})
    JapaneseLineCleaner().clean(doc)
    assert doc.metadata["quality"]["max_noun_run"] > 400
    assert kinyu_document(text) is None


def test_fee_schedule_chapter_is_kept():
    text = text_of("mhlw-pdf/0000196298.pdf")  # 麻酔: furigana lines 「けい」「かん」 repeat
    assert kinyu_document(text) is None
    kept, removed = cleaned(text)
    assert removed.get("けい") == "layout_residue" and "1麻酔の費用は、第1節及び第2節の各区分の所定点数により算定する。" in kept


def test_bulleted_risk_list_is_kept():
    """Short 「・…リスク」 lines are one list, not many sentences without a predicate."""
    text = chunk(text_of(DAIWA_2), "当社グループは、オペレーショナルリスクを以下のように分類して", 700)
    assert text.count("\n・") >= 5
    assert kinyu_document(text) is None
    analysis = analyze_text("\n".join(line for line in text.split("\n") if line.startswith("・")))
    assert signals(analysis)["predicate_end_share"] == 1.0  # the bullets alone: one complete list


def test_numeric_results_prose_is_kept():
    """決算短信 style: the section's sentences with 億円/百万円 figures, one after the other."""
    lines = [line for line in text_of(DAIWA_2).split("\n") if "億円" in line and line.endswith("。") and "|" not in line]
    text = "\n".join(lines)
    assert len(lines) >= 10 and kinyu_document(text) is None
    q = signals(analyze_text(text))
    # figures do not count against the script shares
    assert q["hiragana_text_ratio"] > q["hiragana_ratio"] and q["japanese_text_ratio"] > q["japanese_ratio"]


def test_narrative_and_governance_prose_is_kept():
    assert kinyu_document(chunk(text_of(JPX_2), "記載事項のうち将来に関する事項は", 4000)) is None
    assert kinyu_document(chunk(text_of(DAIWA_4), "当社グループでは、業務を健全かつ適切に遂行できる", 4500)) is None


def test_governance_section_repeating_its_stock_option_notes_is_kept():
    """SMFG's 第4 section restates the same stock-option conditions for 7 series (0.45 of its
    lines): the line cleaner keeps one copy of each sentence, the section stays."""
    text = text_of("edinet-asr-html/S100J1VI-0104010.html")
    assert kinyu_document(text) is None
    _, removed = cleaned(text)
    assert list(removed.values()).count("duplicate_line") >= 5  # distinct sentences, each kept once
    cfg = QualityConfig()
    cfg.line_clean.drop_duplicate_lines = False
    assert kinyu_document(text, cfg) == "dup_lines"


def test_full_stop_written_as_period_ends_sentences():
    """Lecture notes writing 「．」 (NFKC ".") were too_few_sentences."""
    text = text_of("pdfjs-ja-pdf/issue16538.pdf")
    assert kinyu_document(text) is None
    assert signals(analyze_text(text))["complete_sentences"] >= 10


def test_short_notice_sentence_is_not_judged_by_its_top_ngram():
    text = text_of("pdfjs-ja-pdf/issue15340.pdf")  # 69 characters: 漏電遮断 three times
    assert kinyu_document(text) is None
    cfg = QualityConfig()
    cfg.repetition.top_ngram_min_chars = 0
    assert kinyu_document(text, cfg) == "top_4gram"


# ---- junk: dropped, with its reason ------------------------------------------------------------------


def test_table_residue_documents_are_dropped():
    # a statement template: every row goes, the captions left are no document
    shared("real", "edinet-sample-html")
    statement = "edinet-sample-html/02_開示府令-有価証券報告書/0105050_honbun_jpcrp030000-asr-001_X99001-000_2026-03-31_01_2026-06-12_ixbrl.htm"
    assert kinyu_document(text_of(statement)) == "low_hiragana"  # what is left: 「前連結会計年度(自…至…)」
    # a cross-shareholding table: stock, numbers and the same rationale in every row
    rows = chunk(text_of(DAIWA_4), "| 9,950 | 19,495 |", 3000)
    assert kinyu_document(rows) in ("mostly_removed", "only_table_rows")
    _, removed = cleaned(rows)
    assert "duplicate_table_row" in removed.values()


def test_cover_page_is_dropped():
    assert kinyu_document(text_of("edinet-asr-html/S100TLCL-0000000.html")) == "too_short"
    fund = "edinet-sample-html/11_特定有価証券府令-有価証券報告書【みなし有価証券届出書】/0000000_header_jpsps060700-drs-001_Y99009-000_2027-01-31_01_2027-04-24_ixbrl.htm"
    assert kinyu_document(text_of(fund)) == "mostly_removed"  # form fields 「| 【提出日】 | …」 go first


def test_placeholder_template_is_dropped():
    template = "edinet-sample-html/16_自社株買付府令-公開買付届出書/0101010_honbun_jptoi020000-ton-001_X99013-000_2026-09-28_01_2026-09-28_ixbrl.htm"
    text = text_of(template)
    assert kinyu_document(text) == "mostly_removed"
    _, removed = cleaned(text)
    assert "placeholder" in removed.values()


def test_columns_read_out_of_order_are_dropped():
    text = text_of(KOKUJI, pages=4, vertical=False)
    assert kinyu_document(text) == "broken_lines"
    assert kinyu_document(text_of(KOKUJI, pages=4)) is None  # the same pages read in order


def test_english_mojibake_fragments_and_repetition_are_dropped():
    assert kinyu_document(text_of("pdf/zen_of_python_corrupted.pdf")) == "not_japanese"
    news = text_of("legacy-encoding-html/sjis_no_charset_chromium.html")
    assert kinyu_document(news) is None
    assert kinyu_document(news.encode("utf-8").decode("cp1252", errors="replace")) in ("mojibake", "replacement_chars")
    assert kinyu_document(news.encode("utf-8").decode("cp932", errors="replace")) in ("mojibake", "replacement_chars")
    assert kinyu_document(text_of("pdfjs-ja-pdf/noembed-sjis.pdf")) == "too_short"
    assert kinyu_document(text_of("pdfjs-ja-pdf/issue6387.pdf")).startswith(("top_", "dup_"))


# ---- line cleaning ----------------------------------------------------------------------------------


def test_line_cleaning_of_pdf_layout_residue():
    kept, removed = cleaned(text_of("mhlw-pdf/0000196286.pdf"))
    assert removed["ふん"] == "layout_residue"  # furigana
    assert removed["5点"] == "table_residue"  # a fee cell alone on its line
    assert "A001再診料" in kept.split("\n")  # the heading of the fee item stays


def test_line_cleaning_of_urls_placeholders_and_form_fields():
    kept, removed = cleaned(text_of(JPX_2))
    assert removed["https://www.jpx.co.jp/corporate/sustainability/jpx-esg/environment/01.html"] == "url"
    assert "・障害や大規模災害によるシステム停止又はシステムに誤作動が発生するリスク" in kept.split("\n")
    _, removed = cleaned(text_of("edinet-asr-html/S100TLCL-0000000.html"))
    assert set(removed.values()) == {"table_residue"}  # 「| 【提出書類】 | 有価証券報告書 |」…


def test_line_cleaning_of_table_rows_with_a_verb_in_a_label():
    kept, removed = cleaned(text_of("edinet-asr-html/S100TPKY-0104010.html"))
    assert removed["| 新株予約権の目的となる株式の数 | 27,000株 | 27,000株 |"] == "table_residue"
    risk_rows = [line for line in text_of("edinet-asr-html/S100TTEY-0102010.html").split("\n") if line.startswith("| | (1) |")]
    kept, _ = cleaned(text_of("edinet-asr-html/S100TTEY-0102010.html"))
    assert risk_rows and all(row in kept.split("\n") for row in risk_rows)  # 「…可能性があります」 cells
