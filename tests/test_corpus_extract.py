"""Extraction pieces: decoding, layout repair, hidden-content removal, normalisation."""

from __future__ import annotations

import pytest

from kinyu.corpus.extract.decode import DecodeError, decode_bytes
from kinyu.corpus.extract.html import extract_html
from kinyu.corpus.normalize import normalize_japanese
from kinyu.corpus.extract.pdf import join_wrapped_lines, remove_running_lines, repair_layout, undo_letter_spacing
from kinyu.corpus.extract.readers import InputFile, shard_files, sniff_format

PROSE = "当連結会計年度における売上高は前期比12.3%増の4,567億円となりました。"


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp", "iso2022_jp"])
def test_decode_japanese_encodings_without_declaration(encoding):
    text = PROSE + "\n営業利益は原材料価格の上昇により減少しました。"
    decoded = decode_bytes(text.encode(encoding))
    assert decoded.text == text
    assert decoded.how == "detected"


def test_decode_prefers_bom_then_declaration():
    assert decode_bytes(b"\xef\xbb\xbf" + PROSE.encode()).how == "bom"
    html = f'<html><head><meta charset="Shift_JIS"></head><body>{PROSE}</body></html>'.encode("cp932")
    d = decode_bytes(html)
    assert (d.encoding, d.how) == ("cp932", "declared")
    assert PROSE in d.text


def test_decode_ignores_a_wrong_declaration():
    # declared Shift_JIS but really EUC-JP: the strict decode fails or reads worse; detection wins
    html = f'<meta charset="utf-8"><p>{PROSE}</p>'.encode("euc_jp")
    d = decode_bytes(html)
    assert PROSE in d.text and d.encoding == "euc_jp"


@pytest.mark.parametrize(
    "data,reason",
    [(b"", "empty"), (b"   \n\t", "empty"), (bytes(range(256)) * 8, "binary"), (b"\x00\x01\x02garbage" * 50, "binary")],
)
def test_decode_bad_bytes_have_reasons(data, reason):
    with pytest.raises(DecodeError) as e:
        decode_bytes(data)
    assert e.value.reason == reason


def test_sniff_format_by_content_beats_extension():
    assert sniff_format("report.html", b"%PDF-1.7 ...") == "pdf"
    assert sniff_format("noext", b"<!DOCTYPE html><html>") == "html"
    assert sniff_format("a.jsonl.gz", b"\x1f\x8b") == "jsonl"
    assert sniff_format("photo.jpg", b"\xff\xd8\xff") == "unknown"


def test_shards_are_balanced_and_cover_every_file_once():
    files = [InputFile(f"/in/{i}", f"in/{i:02d}", size) for i, size in enumerate([900, 100, 500, 500, 300, 700, 50, 50])]
    shards = [shard_files(files, r, 3) for r in range(3)]
    ids = sorted(f.doc_id for s in shards for f in s)
    assert ids == sorted(f.doc_id for f in files)
    loads = [sum(f.size for f in s) for s in shards]
    assert max(loads) - min(loads) <= 400


def test_letter_spacing_is_undone():
    assert undo_letter_spacing("保 医 発 0 3 0 5 第 ２ 号") == "保医発0305第２号"
    assert undo_letter_spacing("決 算 短 信 〔 日 本 基 準 〕 ( 連 結 )") == "決算短信〔日本基準〕(連結)"
    # ordinary Latin text keeps its spaces
    assert undo_letter_spacing("Net sales rose by 12 percent") == "Net sales rose by 12 percent"


def test_running_headers_and_page_numbers_are_removed():
    bodies = [
        ["売上高は前期比で増加しました。", "営業利益も増加しました。"],
        ["為替相場の変動リスクがあります。", "金利の上昇も懸念されます。"],
        ["配当は安定的に実施します。", "内部留保も重視します。"],
        ["取締役会は九名で構成されます。", "うち三名は社外取締役です。"],
    ]
    pages = [["株式会社みなと精機 有価証券報告書", *body, f"- {i} -"] for i, body in enumerate(bodies, start=1)]
    out, removed = remove_running_lines(pages)
    assert removed == 8
    assert out == bodies


def test_wrapped_japanese_lines_join_without_space_and_headings_stay():
    lines = [
        "第2 事業の状況",
        "当連結会計年度における我が国経済は、雇用・所得環境の改善",
        "が続く中で、緩やかな回復基調で推移しました。",
        "売上高は4,567億円となりました。",
    ]
    out = join_wrapped_lines(lines)
    assert "当連結会計年度における我が国経済は、雇用・所得環境の改善が続く中で、緩やかな回復基調で推移しました。" in out
    assert out[0] == "第2 事業の状況"
    assert out[-1] == "売上高は4,567億円となりました。"


def test_wrap_width_does_not_count_spaces_between_japanese_characters():
    # a 1.1 em pitch puts every gap at pdfminer's word margin: full columns of the same width
    # come out with a space after every character or after some; both are the full width
    spaced = " ".join("保険医療機関は、届出を行った後に、当該届出に係る内容")  # 26 characters, 51 with spaces
    partly = "と異なる事情 が 生じた場合には、速やかに届出の内容の"  # 26 characters, 28 with spaces
    out = join_wrapped_lines([spaced, partly, "変更を行わなければならないこと。"])
    assert out == [spaced + partly + "変更を行わなければならないこと。"]


def test_repair_layout_joins_pages_into_one_text():
    text, info = repair_layout(["一頁目の本文です。\n- 1 -", "二頁目の本文です。\n- 2 -"])
    assert text == "一頁目の本文です。\n\n二頁目の本文です。"
    assert info["running_lines_removed"] == 2


def test_hidden_ix_header_is_dropped_and_prose_kept():
    html = (
        '<html xmlns:ix="http://www.xbrl.org/2013/inlineXBRL"><body>'
        '<div style="display: none"><ix:header><ix:hidden>E03814-000 2023-04-01 jpigp_cor:TreasurySharesIFRSMember'
        "</ix:hidden></ix:header></div>"
        f"<h1>第2【事業の状況】</h1><p>{PROSE}</p><p>当社グループは持続的な成長と中長期的な企業価値の向上に努めてまいります。</p>"
        "</body></html>"
    )
    text, info = extract_html(html)
    assert "TreasurySharesIFRSMember" not in text and "E03814" not in text
    assert PROSE in text
    assert info["hidden_elements_removed"] >= 1


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("本邦及び諸外国の法 規制により", "本邦及び諸外国の法規制により"),
        ("み ん な の 宿", "みんなの宿"),
        ("売上高は 前期比 12.3% 増の 4,567 億円", "売上高は前期比12.3%増の4,567億円"),
        ("⼀つの箱内", "一つの箱内"),  # Kangxi radical U+2F00 from pdfminer
        ("ＮＩＳＡ 口座", "NISA 口座"),  # Latin words keep their space
        ("ｶﾌﾞｼｷｶﾞｲｼｬ", "カブシキガイシャ"),
        ("一行目\r\n\n\n\n二行目\x07", "一行目\n\n二行目"),
    ],
)
def test_normalize_japanese(raw, expected):
    assert normalize_japanese(raw) == expected


def test_normalize_without_nfkc_keeps_full_width():
    assert normalize_japanese("１２３ 円", nfkc=False) == "１２３円"
