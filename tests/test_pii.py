"""The personal-information step (quality.pii): every type with real Japanese strings, every
tempting non-personal number of financial text, the modes, the audit records, and the floor on
the labelled set (tests/data/pii_eval)."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from kinyu.base.config import ConfigError, validate
from kinyu.corpus.filters import PiiConfig, PiiFilter, QualityConfig, quality_steps
from kinyu.corpus.normalize import normalize_japanese
from kinyu.corpus.pii import find_pii, luhn_ok, my_number_ok, shape


def found(text: str, kind: str | None = None, public: bool | None = None) -> list[str]:
    return [text[s.start : s.end] for s in find_pii(text) if (kind is None or s.type == kind) and (public is None or s.public == public)]


# --- each type -------------------------------------------------------------------------------------


def test_email():
    assert found("ご質問は yamada.taro@example.co.jp までお送りください。", "email") == ["yamada.taro@example.co.jp"]
    assert found(normalize_japanese("連絡先：ｓａｔｏ＠ｄｏｃｏｍｏ．ｎｅ．ｊｐ"), "email") == ["sato@docomo.ne.jp"]  # full width, NFKC
    assert found("メールtaro_k+bank@gmail.com宛に", "email") == ["taro_k+bank@gmail.com"]


@pytest.mark.parametrize(
    "number",
    ["03-1234-5678", "(03)1234-5678", "03(1234)5678", "045-123-4567", "0466-12-3456", "090-1234-5678",
     "080 9876 5432", "07012345678", "050-3123-4567", "+81-90-1234-5678", "+81 3 1234 5678", "+81(0)6-1234-5678",
     "+819012345678", "090ー1234ー5678"],
)  # fmt: skip
def test_phone_formats(number):
    assert found(f"お客様の連絡先は{number}です。", "phone") == [number]


def test_phone_full_width_after_nfkc_and_two_numbers_in_a_row():
    assert found(normalize_japanese("携帯：０９０－１２３４－５６７８"), "phone") == ["090-1234-5678"]
    assert found("自宅 03-1234-5678 携帯 090-8765-4321", "phone") == ["03-1234-5678", "090-8765-4321"]
    assert found("03-1234-5678 03-8765-4321", "phone") == ["03-1234-5678", "03-8765-4321"]


def test_bare_landline_needs_a_phone_word():
    assert found("電話 0312345678 にお電話ください", "phone") == ["0312345678"]
    assert found("管理番号 0312345678 の件", "phone") == []


def test_public_company_numbers_are_found_and_kept():
    cover = "| 【電話番号】 | (03)3666-1361 |"  # a real EDINET cover line
    assert found(cover, "phone", public=True) == ["(03)3666-1361"]
    assert found("株式会社みらい証券 本社 TEL 03-3210-1234(代表)", "phone", public=True) == ["03-3210-1234"]
    assert found("フリーダイヤル 0120-123-456", "phone", public=True) == ["0120-123-456"]
    assert found("0800-123-4567", "phone", public=True) == ["0800-123-4567"]
    # a mobile number is never an organisation's; a personal word after the company word wins
    assert found("株式会社みらい証券 担当 090-1234-5678", "phone", public=False) == ["090-1234-5678"]
    assert found("株式会社みらい証券の山田様の自宅 03-1234-5678", "phone", public=False) == ["03-1234-5678"]


def test_my_number_check_digit():
    assert my_number_ok("123456789018") and not my_number_ok("123456789012")
    for text in ("個人番号 123456789018", "マイナンバー:1234-5678-9018", "番号 1234 5678 9018"):
        assert found(text, "my_number") == [text.split(maxsplit=1)[-1].split(":")[-1]]
    assert found("受付番号 123456789012", "my_number") == []  # wrong check digit
    assert found("2021 2022 2023", "my_number") == []  # three years in a table header


def test_card_luhn_and_issuer():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    for card in ("4111 1111 1111 1111", "5500-0000-0000-0004", "3530111333300000", "3782 822463 10005", "6011111111111117"):
        assert found(f"カード番号 {card} で決済", "card") == [card]
    assert found("注文番号 4111 1111 1111 1112", "card") == []  # fails Luhn
    assert found("会員番号 9111111111111111", "card") == []  # no issuer starts with 9
    assert found("1234 5678 1234 5670", "card") == []  # Luhn, but no issuer


def test_bank_accounts_in_context():
    assert found("三井住友銀行 渋谷支店 普通 1234567", "bank_account") == ["1234567"]
    assert found("口座番号:7654321", "bank_account") == ["7654321"]
    assert found("みずほ銀行 新宿支店 当座預金 0123456", "bank_account") == ["0123456"]
    assert found("ゆうちょ銀行 記号12345 番号12345671", "bank_account") == ["12345 番号12345671"]
    # 普通株式, 普通社債, 当座貸越 and share counts are no accounts
    assert found("普通株式 1234567株を発行", "bank_account") == []
    assert found("当座貸越契約 1234567千円", "bank_account") == []
    assert found("普通 1234567株", "bank_account") == []


def test_addresses():
    assert found("〒160-0023 東京都新宿区西新宿2-8-1 に住んでいます", "address") == ["〒160-0023 東京都新宿区西新宿2-8-1"]
    assert found("住所は大阪府大阪市北区梅田1丁目2番3号です", "address") == ["大阪府大阪市北区梅田1丁目2番3号"]
    assert found("自宅は札幌市中央区北一条西二丁目1番地", "address") == ["札幌市中央区北一条西二丁目1番地"]
    assert found("〒100-0001", "address") == ["〒100-0001"]
    # a city alone is not personal; 市場 is no city
    assert found("東京都千代田区に本社を置く", "address") == []
    assert found("国内市場1-2位の", "address") == []


def test_company_addresses_in_filings_are_public():
    assert found("| 【本店の所在の場所】 | 東京都中央区日本橋兜町2番1号 |", "address", public=True) == ["東京都中央区日本橋兜町2番1号"]
    row = "| SMBC日興証券株式会社 | 東京都千代田区丸の内3丁目3番1号 | 19,228 | 3.59 |"  # a real 大株主 row
    assert found(row, "address", public=True) == ["東京都千代田区丸の内3丁目3番1号"]
    # a 発行登録書's 縦覧に供する場所 (EDINET sample instance 0200000_honbun_jpcrp110000-rst): the name, then
    # its address in brackets on the next line
    places = "H株式会社本店\n(東京都千代田区霞が関三丁目2番1号)\n株式会社東京証券取引所\n(東京都中央区日本橋兜町2番1号)"
    assert found(places, "address", public=True) == ["東京都千代田区霞が関三丁目2番1号", "東京都中央区日本橋兜町2番1号"]
    # the line above counts only when the address opens its own line, and a person's name there is no organisation
    assert found("山田太郎様\n(東京都千代田区霞が関三丁目2番1号)", "address", public=False) == ["東京都千代田区霞が関三丁目2番1号"]
    assert found("株式会社かえで商事\n担当者の自宅は東京都千代田区霞が関三丁目2番1号", "address", public=False) == ["東京都千代田区霞が関三丁目2番1号"]


def test_ip_addresses():
    assert found("接続元 203.0.113.42 から", "ip") == ["203.0.113.42"]
    assert found("IPアドレス 2001:db8::8a2e:370:7334 を遮断", "ip") == ["2001:db8::8a2e:370:7334"]
    assert found("第1.2.3.4項", "ip") == [] and found("v1.2.3.4", "ip") == [] and found("12:30:45", "ip") == []
    assert found("IP 1.2.3.4", "ip") == ["1.2.3.4"]


def test_names_next_to_honorifics_titles_and_labels():
    assert found("担当の山田太郎様より", "name") == ["山田太郎"]
    assert found("佐藤さんと面談", "name") == ["佐藤"]
    assert found("日本銀行総裁の植田和男氏が", "name") == ["植田和男"]
    assert found("代表取締役社長 山田太郎", "name") == ["山田太郎"]
    assert found("氏名:鈴木 一郎", "name") == ["鈴木 一郎"]
    assert found("私は田中と申します。", "name") == ["田中"]
    assert found("| 代表執行役グループCEO 清田瞭 |", "name") == ["清田瞭"]  # a real cover's officer


def test_words_that_look_like_name_contexts_are_not_names():
    for text in ("お客様各位", "皆様のご支援", "同様の方法で", "多様な人材", "取締役会は", "同氏は", "株主の皆さま",
                 "| 地位 | 氏名 | 出席状況 |", "監査役 (株)大和証券"):  # fmt: skip
        assert found(text, "name") == [], text


# --- tempting negatives (real strings of the shared filings and their kind) ------------------------------

NEGATIVES = [
    "法人番号 1010001008846",  # 13 digits (JPX's)
    "会社法人等番号 0100-01-008846",
    "適格請求書発行事業者登録番号 T1010001008846",
    "証券コード 8697",
    "EDINETコード E03814",
    "2024年3月31日現在、2023-04-01から2024-03-31まで",
    "売上高 1,234,567千円、営業利益 △45,678百万円、純資産 12,345億円",
    "普通株式 536,351,448株",
    "金融商品取引法第24条第1項、会社法第459条第1項第2号",
    "自己資本比率 16.88% 1株当たり純資産 556.97円",
    "ISBN 978-4-12-345678-9",
    "| 2019 2020 2021 |",
    "第19期(自2019年4月1日至2020年3月31日)",
    "受付時間 9:00-17:00、0570-00-1234(ナビダイヤル)",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_financial_numbers_are_not_personal_data(text):
    assert [s for s in find_pii(text) if not s.public] == [], text


# --- the step ------------------------------------------------------------------------------------------

FORM = "氏名:山田太郎\n連絡先 090-1234-5678 / taro@example.co.jp\n個人番号 1234-5678-9018\n売上高 1,234,567千円"


def run(text: str, cfg: PiiConfig | None = None) -> tuple[Document, object]:
    doc = Document(text=text, id="d", metadata={})
    return doc, PiiFilter(cfg or PiiConfig()).filter(doc)


def test_mask_with_fixed_placeholders_and_counts():
    doc, kept = run(FORM)
    assert kept is True
    assert doc.text == "氏名:山田太郎\n連絡先 <電話番号> / <メール>\n個人番号 <マイナンバー>\n売上高 1,234,567千円"
    assert doc.metadata["pii"]["counts"] == {"email": 1, "my_number": 1, "name": 1, "phone": 1}
    assert run(FORM)[0].text == doc.text  # deterministic


def test_names_are_masked_one_flag_away():
    doc, _ = run(FORM, PiiConfig(name="mask"))
    assert doc.text.startswith("氏名:<氏名>\n")


def test_drop_mode_masks_the_other_types_first():
    doc, kept = run(FORM, PiiConfig(my_number="drop"))
    assert kept == (False, "pii_my_number")
    assert "090-1234-5678" not in doc.text and "1234-5678-9018" not in doc.text  # what removed/pii/ holds


def test_tag_and_off():
    doc, _ = run(FORM, PiiConfig(phone="tag", email="off"))
    assert "090-1234-5678" in doc.text and "taro@example.co.jp" in doc.text
    assert "email" not in doc.metadata["pii"]["counts"] and doc.metadata["pii"]["counts"]["phone"] == 1


def test_public_numbers_kept_unless_asked():
    text = "【電話番号】 03-3666-1361"
    assert run(text)[0].text == text
    assert run(text, PiiConfig(keep_public_contacts=False))[0].text == "【電話番号】 <電話番号>"


def test_audit_hides_the_values_by_default():
    doc, _ = run(FORM)
    audit = doc.metadata["pii"]["audit"]
    assert len(audit) == 3 and len({a["type"] for a in audit}) == 3  # one of each type first
    flat = str(audit)
    for value in ("山田太郎", "090-1234-5678", "taro@example.co.jp", "1234-5678-9018"):
        assert value not in flat
    phone = next(a for a in audit if a["type"] == "phone")
    assert phone["shape"] == "999-9999-9999" and "[<電話番号>]" in phone["context"] and phone["action"] == "mask"
    name = next(a for a in audit if a["type"] == "name")
    assert name["context"].startswith("氏名:[○○○○]") and name["action"] == "tag"
    revealed = run(FORM, PiiConfig(audit_reveal=True))[0].metadata["pii"]["audit"]
    assert any(a.get("value") == "090-1234-5678" for a in revealed)


def test_shape():
    assert shape("taro@example.jp") == "xxxx@xxxxxxx.xx" and shape("山田 太郎") == "○○ ○○"


def test_bad_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="quality.pii.phone"):
        cfg = QualityConfig()
        cfg.pii.phone = "hide"
        validate(cfg, "quality")


def test_runs_first_so_the_annotator_parses_masked_text():
    steps = quality_steps(QualityConfig(), None)
    assert type(steps[0]) is PiiFilter and type(steps[1]).__name__ == "JapaneseAnnotator"
    data = iter([Document(text=FORM, id="a", metadata={})])
    for s in steps[:2]:
        data = s.run(data)
    (doc,) = list(data)
    assert "090-1234-5678" not in doc.text and doc.metadata["quality"]["chars"] == len(doc.text.replace("\n", "").replace(" ", ""))


def test_no_text_change_without_a_hit():
    text = "当社グループの当連結会計年度の業績は、売上高1,234,567千円(前期比5.6%増)となりました。"
    doc, kept = run(text)
    assert kept is True and doc.text is text and "pii" not in doc.metadata


# --- the labelled set -----------------------------------------------------------------------------------


def test_generated_set_is_what_the_generator_writes():
    from testkit.pii_eval import GENERATED, generate

    lines = GENERATED.read_text(encoding="utf-8").splitlines()
    items = generate()
    assert len(lines) == len(items) == 146
    import json

    first = json.loads(lines[0])
    assert first["text"] == items[0].text and [tuple(s.values())[:2] for s in first["spans"]] == [s[:2] for s in items[0].spans]


def test_floor_on_the_generated_set():
    from testkit.pii_eval import kinyu_spans, load_generated, score

    sc = score(load_generated(), kinyu_spans)
    for t in ("email", "phone", "my_number", "card", "bank_account", "ip", "address"):
        assert sc.precision(t) >= 0.98 and sc.recall(t) >= 0.98, t
    assert sc.recall("name") >= 0.85 and sc.precision("name") >= 0.95
    assert sum(sc.neg_hit.values()) == 0


@pytest.mark.real_data
@pytest.mark.slow
def test_floor_on_the_real_filings():
    from testkit.pii_eval import kinyu_spans, load_real, score, summary
    from testkit.shared import shared

    shared("real", "edinet-asr-html")
    items = [i for i in load_real() if i.category != "wikipedia"]
    assert summary(items)["negative_total"] >= 1000
    sc = score(items, kinyu_spans)
    assert sum(sc.neg_hit.values()) == 0  # no amount, date, code, article number or company contact is touched
    assert sc.recall("name") >= 0.7 and sc.precision("name") >= 0.9


@pytest.mark.real_data
@pytest.mark.slow
def test_filter_decisions_on_the_labelled_filter_set_do_not_change_with_the_step():
    from testkit.filters_eval import kinyu_document, segments
    from testkit.shared import shared

    shared("real")
    off = QualityConfig()
    off.pii.enabled = False
    docs = [s for s in segments() if s.unit == "doc"]
    assert [kinyu_document(s.text) for s in docs] == [kinyu_document(s.text, off) for s in docs]
