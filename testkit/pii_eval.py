"""The labelled personal-information set (tests/data/pii_eval): generated Japanese texts with
planted personal data and planted tempting numbers, and references into the shared real
documents, whose numbers are the real tempting negatives (amounts, dates, codes, article
numbers, company phone numbers and addresses of filings).

``generated.jsonl`` is written by ``python -m testkit.pii_eval`` from seeded templates (below):
each record holds its text, its personal-data spans (``spans``: start, end, type) and its planted
tempting numbers (``negatives``: start, end, class). ``real.jsonl`` holds references only — a
file under ``real/`` (read through the project's own extraction, ``testkit.realdata``), an
optional ``anchor``/``chars`` chunk as in tests/data/filters_eval, and the personal data found
in it by reading (``spans``: the literal ``text`` of each and which ``occurrence``). In a real
document every number-like token that is not inside a labelled span is a tempting negative,
classed by ``negative_class``. Labelling rules: tests/data/pii_eval/GUIDE.md.

Scoring (``score``): a predicted span counts for the gold span of the same type that it
overlaps (the types' boundaries differ between tools: HojiChar masks only the last four digits
of a phone number); a negative is hit when a predicted span of any type overlaps it.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kinyu.corpus.pii.detect import PII_TYPES, luhn_ok, my_number_ok

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_eval"
GENERATED = DATA / "generated.jsonl"
REAL = DATA / "real.jsonl"
SEED = 18


@dataclass
class Item:
    id: str
    text: str
    spans: list[tuple[int, int, str]]
    negatives: list[tuple[int, int, str]]
    source: str = "generated"
    category: str = ""


# --- generation ------------------------------------------------------------------------------------

SURNAMES = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 山崎 森 池田 橋本 阿部 石川 前田 藤田 後藤 小川 岡田 長谷川 村上 近藤 石井 坂本 遠藤 青木 藤井 西村".split()
GIVEN = "太郎 花子 一郎 健太 美咲 翔太 陽子 大輔 直樹 由美 裕子 隆 誠 恵子 和也 拓也 明美 真由美 浩 修 智子 久美子 達也 亮 彩 愛 大樹 翼 優子 雄一".split()
AREAS = [("03", 4), ("06", 4), ("045", 3), ("052", 3), ("011", 3), ("092", 3), ("075", 3), ("0466", 2), ("0544", 2), ("098", 3)]
ADDRESSES = [
    ("東京都", "新宿区", "西新宿"), ("東京都", "世田谷区", "三軒茶屋"), ("大阪府", "大阪市北区", "梅田"),
    ("神奈川県", "横浜市港北区", "新横浜"), ("北海道", "札幌市中央区", "北一条西"), ("愛知県", "名古屋市中村区", "名駅"),
    ("福岡県", "福岡市博多区", "博多駅前"), ("埼玉県", "さいたま市大宮区", "桜木町"), ("千葉県", "船橋市", "本町"),
    ("兵庫県", "神戸市中央区", "三宮町"), ("京都府", "京都市下京区", "四条通"), ("宮城県", "仙台市青葉区", "一番町"),
    ("広島県", "広島市中区", "紙屋町"), ("静岡県", "浜松市中央区", "鍛冶町"), ("沖縄県", "那覇市", "久茂地"),
]  # fmt: skip
BANKS = ["三菱UFJ銀行", "三井住友銀行", "みずほ銀行", "りそな銀行", "横浜銀行", "城南信用金庫", "千葉銀行", "静岡銀行"]
BRANCHES = ["新宿支店", "渋谷支店", "梅田支店", "本店営業部", "横浜駅前支店", "大宮支店", "博多支店"]
DOMAINS = ["example.co.jp", "gmail.com", "docomo.ne.jp", "ezweb.ne.jp", "yahoo.co.jp", "icloud.com", "mail.example.jp", "outlook.jp"]
COMPANIES = ["株式会社みらい証券", "日本フィナンシャル株式会社", "東和銀行株式会社", "さくら損害保険株式会社", "株式会社北斗ホールディングス"]


def my_number(rng: random.Random) -> str:
    while True:
        body = "".join(rng.choice("0123456789") for _ in range(11))
        for check in "0123456789":
            if my_number_ok(body + check):
                return body + check


def bad_my_number(rng: random.Random) -> str:
    while True:
        digits = "".join(rng.choice("0123456789") for _ in range(12))
        if not my_number_ok(digits) and digits[0] != "0":
            return digits


def card_number(rng: random.Random) -> tuple[str, tuple[int, ...]]:
    prefix, length, groups = rng.choice(
        [("4", 16, (4, 4, 4, 4)), ("5", 16, (4, 4, 4, 4)), ("35", 16, (4, 4, 4, 4)), ("37", 15, (4, 6, 5)),
         ("36", 14, (4, 6, 4)), ("6011", 16, (4, 4, 4, 4)), ("2221", 16, (4, 4, 4, 4))]
    )  # fmt: skip
    if prefix == "5":
        prefix = str(rng.randint(51, 55))
    if prefix == "35":
        prefix = str(rng.randint(3528, 3589))
    while True:
        body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        for check in "0123456789":
            if luhn_ok(body + check):
                return body + check, groups


def grouped(digits: str, groups: tuple[int, ...], sep: str) -> str:
    out, pos = [], 0
    for g in groups:
        out.append(digits[pos : pos + g])
        pos += g
    return sep.join(out)


def phone(rng: random.Random, kind: str | None = None) -> str:
    kind = kind or rng.choice(["landline", "landline", "mobile", "mobile", "ip", "intl"])
    d = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    sep = rng.choice(["-", "-", "-", " ", "ー", ""])
    if kind == "mobile":
        p = rng.choice(["090", "080", "070"])
        m = lambda: str(rng.randint(1, 9)) + d(3)  # noqa: E731  (080-0… is the 0800 toll-free range)
        return rng.choice([f"{p}{sep}{m()}{sep}{d(4)}", f"{p}-{m()}-{d(4)}", f"{p}({m()}){d(4)}"])
    if kind == "ip":
        return f"050{sep}{d(4)}{sep}{d(4)}"
    if kind == "intl":
        if rng.random() < 0.5:
            return rng.choice([f"+81-90-{d(4)}-{d(4)}", f"+81 80 {d(4)} {d(4)}", f"+8190{d(8)}"])
        return rng.choice([f"+81-3-{d(4)}-{d(4)}", f"+81(0)6-{d(4)}-{d(4)}", f"+81 45 {d(3)} {d(4)}"])
    area, local = rng.choice(AREAS)
    local_digits = 6 - len(area)
    first = str(rng.randint(2, 9)) + d(local_digits - 1)
    return rng.choice([f"{area}-{first}-{d(4)}", f"({area}){first}-{d(4)}", f"{area}({first}){d(4)}", f"{area} {first} {d(4)}"])


def address(rng: random.Random, postal: bool) -> str:
    pref, city, town = rng.choice(ADDRESSES)
    n = lambda a, b: str(rng.randint(a, b))  # noqa: E731
    kanji = "一二三四五六七八九"
    street = rng.choice([
        f"{n(1, 9)}-{n(1, 30)}-{n(1, 20)}", f"{n(1, 9)}丁目{n(1, 30)}番{n(1, 20)}号", f"{kanji[rng.randint(0, 8)]}丁目{n(1, 30)}番地",
        f"{n(1, 9)}丁目{n(1, 30)}-{n(1, 20)}", f"{n(100, 999)}番地",
    ])  # fmt: skip
    sep = rng.choice(["", "", " "])
    body = f"{pref}{city}{sep}{town}{street}"
    if postal:
        return f"〒{n(100, 999)}-{n(1000, 9999)} {body}"
    return body


def email(rng: random.Random) -> str:
    local = rng.choice(["taro", "h.sato", "yamada_k", "suzuki.ichiro", "m-tanaka", "info.kojin", "abc123", "nekochan"])
    return f"{local}{rng.randint(1, 99) if rng.random() < 0.5 else ''}@{rng.choice(DOMAINS)}"


def ip(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"2001:db8:{rng.randint(0, 0xffff):x}::{rng.randint(1, 0xffff):x}"
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


def name(rng: random.Random, full: bool | None = None) -> str:
    s = rng.choice(SURNAMES)
    if full if full is not None else rng.random() < 0.6:
        return s + rng.choice(["", " "]) + rng.choice(GIVEN)
    return s


class Builder:
    def __init__(self):
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, str]] = []
        self.negatives: list[tuple[int, int, str]] = []
        self.pos = 0

    def t(self, s: str) -> Builder:
        self.parts.append(s)
        self.pos += len(s)
        return self

    def p(self, kind: str, s: str) -> Builder:
        self.spans.append((self.pos, self.pos + len(s), kind))
        return self.t(s)

    def n(self, cls: str, s: str) -> Builder:
        self.negatives.append((self.pos, self.pos + len(s), cls))
        return self.t(s)

    def item(self, id: str, category: str) -> Item:
        return Item(id, "".join(self.parts), self.spans, self.negatives, "generated", category)


def _inquiry(rng, b: Builder) -> None:  # a customer's message on a complaint / Q&A page
    nm = name(rng)
    b.t(rng.choice(["【お客様の声】\n", "Q. 口座の解約について\n", "お問い合わせ内容:\n"]))
    b.t(rng.choice(["先日、", "昨日、", ""])).t("担当の").p("name", name(rng, False)).t(rng.choice(["様", "さん"]))
    b.t("から説明を受けましたが、納得できません。")
    b.t("私は").p("name", nm).t("と申します。連絡先は").p("phone", phone(rng, "mobile")).t("、メールは").p("email", email(rng))
    b.t("です。\n住所は").p("address", address(rng, rng.random() < 0.5)).t(rng.choice(["です。", " ハイツ101号室です。"]))
    b.t("自宅の電話は").p("phone", phone(rng, "landline")).t("です。")
    b.t(f"{rng.randint(2023, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日に届いた書類の件で、")
    b.n("amount", f"{rng.randint(1, 99)},{rng.randint(100, 999)}円").t("の手数料が引き落とされました。\n")


def _application(rng, b: Builder) -> None:  # a filled-in account-opening form
    b.t("口座開設申込書\n")
    b.t("氏名:").p("name", name(rng, True)).t("\n")
    b.t("生年月日:").n("date", f"{rng.randint(1950, 2000)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日").t("\n")
    b.t("住所:").p("address", address(rng, True)).t("\n")
    b.t(rng.choice(["電話番号:", "TEL:", "携帯電話:"])).p("phone", phone(rng)).t("\n")
    b.t("メールアドレス:").p("email", email(rng)).t("\n")
    mn = my_number(rng)
    b.t(rng.choice(["個人番号(マイナンバー):", "マイナンバー:", "個人番号 "])).p("my_number", rng.choice([mn, grouped(mn, (4, 4, 4), " "), grouped(mn, (4, 4, 4), "-")])).t("\n")
    b.t("お振込先:").t(rng.choice(BANKS)).t(" ").t(rng.choice(BRANCHES)).t(rng.choice([" 普通 ", " 普通預金 ", " 当座 ", " 口座番号 "]))
    b.p("bank_account", "".join(rng.choice("0123456789") for _ in range(7))).t("\n")
    b.t("受付番号:").n("order_number", bad_my_number(rng)).t("\n")


def _card(rng, b: Builder) -> None:  # a card statement or a phishing report quoting a card
    digits, groups = card_number(rng)
    b.t(rng.choice(["ご利用カード:", "カード番号 ", "クレジットカード番号は"]))
    b.p("card", rng.choice([digits, grouped(digits, groups, " "), grouped(digits, groups, "-")]))
    b.t(f"(有効期限 {rng.randint(1, 12):02d}/{rng.randint(26, 31)})。ご利用金額 ").n("amount", f"{rng.randint(1, 999):,}{rng.randint(100, 999)}円")
    b.t("。会員番号 ").n("member_number", _not_luhn(rng, 16)).t(" 宛にお送りします。")
    b.t("名義人:").p("name", name(rng, True)).t("\n")


def _log(rng, b: Builder) -> None:  # an incident report with addresses of machines and people
    b.t("不正アクセスの報告: ").p("ip", ip(rng)).t(" から ").p("ip", ip(rng)).t(" へ接続があり、")
    b.p("email", email(rng)).t(" 宛に通知しました。対応者は").p("name", name(rng, False)).t("氏。")
    b.t("ソフトウェア v").n("version", f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}").t(" を適用、")
    b.t("時刻 ").n("time", f"{rng.randint(10, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}").t("。\n")


def _yucho(rng, b: Builder) -> None:
    b.t("返金先はゆうちょ銀行 ").p("bank_account", f"記号1{rng.randint(1000, 9999)} 番号{rng.randint(10000000, 99999999)}")
    b.t(rng.choice(["、", "です。"])).t("口座名義 ").p("name", name(rng, True)).t(rng.choice(["様", "さん"])).t("。\n")


def _filing(rng, b: Builder) -> None:  # a filing-like passage: numbers that are not personal data
    co = rng.choice(COMPANIES)
    b.t(f"{co}(法人番号 ").n("corporate_number", _corporate_number(rng)).t(f"、証券コード ").n("securities_code", str(rng.randint(1301, 9997)))
    b.t("、EDINETコード ").n("edinet_code", f"E{rng.randint(10000, 99999)}").t(")は、")
    b.n("date", f"{rng.randint(2019, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日").t("開催の取締役会において、")
    b.t("売上高 ").n("amount", f"{rng.randint(1, 999):,},{rng.randint(100, 999)},{rng.randint(100, 999)}千円").t("、営業利益 ")
    b.n("amount", f"△{rng.randint(1, 99):,},{rng.randint(100, 999)}百万円").t("を計上しました。")
    b.t("会社法第").n("article", f"{rng.randint(100, 999)}条第{rng.randint(1, 9)}項").t("に基づき、普通株式 ")
    b.n("shares", f"{rng.randint(1, 9)},{rng.randint(100, 999)},{rng.randint(100, 999)}株").t("を取得します。\n")
    b.t("本社 TEL ").n("public_phone", phone(rng, "landline")).t("(代表)、お客様窓口 ").n("toll_free", f"0120-{rng.randint(100, 999)}-{rng.randint(100, 999)}")
    b.t("、本店所在地 ").n("public_address", address(rng, rng.random() < 0.5)).t("。\n")
    b.t("第").n("section_number", f"{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}").t("項の規定により、")
    b.t("登録番号 T").n("invoice_number", _corporate_number(rng)).t("、受付番号 ").n("order_number", bad_my_number(rng))
    b.t("、注文番号 ").n("order_number", _not_luhn(rng, 16)).t("。")
    years = [str(y) for y in range(rng.randint(2015, 2021), 2030)][:3]
    b.t("\n| 区分 | ").n("years", " ".join(years)).t(" |\n")
    b.t("郵便振替 ").n("amount", f"{rng.randint(1, 99)},{rng.randint(100, 999)},{rng.randint(100, 999)}円").t("、ISBN ")
    b.n("isbn", f"978-4-{rng.randint(10, 99)}-{rng.randint(100000, 999999)}-{rng.randint(0, 9)}").t("。\n")


def _not_luhn(rng: random.Random, n: int) -> str:
    """n digits that fail Luhn (an order or member number, tempting for the card rule)."""
    while True:
        digits = "".join(rng.choice("0123456789") for _ in range(n))
        if not luhn_ok(digits):
            return digits


def _corporate_number(rng: random.Random) -> str:
    """A 13-digit 法人番号 with its check digit (first digit: 9 − (Σ weighted mod 9))."""
    body = "".join(rng.choice("0123456789") for _ in range(12))
    total = sum(int(d) * (1 if i % 2 == 0 else 2) for i, d in enumerate(reversed(body)))
    return str(9 - total % 9) + body


def _plain_name(rng, b: Builder) -> None:  # names with no honorific, title or label: found only by chance
    b.p("name", name(rng, True)).t(rng.choice(["は昨年入社した。", "が窓口で手続きをした。", "と面談した。"]))
    b.t("担当は").p("name", name(rng, True)).t("である。\n")


TEMPLATES = {
    "inquiry": _inquiry, "application": _application, "card": _card, "log": _log, "yucho": _yucho,
    "filing": _filing, "plain_name": _plain_name,
}  # fmt: skip
COUNTS = {"inquiry": 24, "application": 24, "card": 16, "log": 14, "yucho": 10, "filing": 50, "plain_name": 8}


def generate(seed: int = SEED) -> list[Item]:
    rng = random.Random(seed)
    items = []
    for category, count in COUNTS.items():
        for i in range(count):
            b = Builder()
            TEMPLATES[category](rng, b)
            items.append(b.item(f"gen-{category}-{i:03d}", category))
    return items


def write_generated(path: Path = GENERATED) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for it in generate():
            rec = {"id": it.id, "category": it.category, "text": it.text,
                   "spans": [{"start": s, "end": e, "type": t} for s, e, t in it.spans],
                   "negatives": [{"start": s, "end": e, "class": c} for s, e, c in it.negatives]}  # fmt: skip
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


# --- loading ---------------------------------------------------------------------------------------

RE_NUMBER_TOKEN = re.compile(r"[△▲+\-]?[0-9][0-9,.\-/:()]*[0-9]%?|[0-9]")


def negative_class(token: str, after: str) -> str:
    """The class of a number-like token of a real document (for the per-class negative counts)."""
    if re.search(r"^[0-9]{4}年|^(?:19|20)[0-9]{2}[/\-.][0-9]{1,2}", token + after[:1]) or after[:1] in "年月日":
        return "date"
    if after[:1] in "円千百億万" or "," in token:
        return "amount"
    if token.endswith("%") or after[:1] == "%":
        return "percent"
    if after[:1] in "条項号":
        return "article"
    if after[:1] in "株":
        return "shares"
    digits = sum(c.isdigit() for c in token)
    return "long_number" if digits >= 7 else "number"


def _wikipedia_items(rec: dict) -> list[Item]:
    """One item per sentence with a person entity; its spans: the dataset's own 人名 labels."""
    from kinyu.corpus.normalize import normalize_japanese
    from testkit.shared import shared_real_dir

    data = json.loads((shared_real_dir() / rec["source"]).read_text(encoding="utf-8"))
    items = []
    for entry in data:
        people = [e for e in entry["entities"] if e["type"] == "人名"]
        if not people or normalize_japanese(entry["text"]) != entry["text"]:
            continue  # (spans are offsets into the text as stored)
        text = entry["text"]
        spans = [(e["span"][0], e["span"][1], "name") for e in people]
        items.append(Item(f"{rec['id']}-{entry['curid']}-{len(items)}", text, spans, _negatives(text, spans), rec["source"], "wikipedia"))
    return items


def _chabsa_items(rec: dict) -> list[Item]:
    from testkit.realdata import chabsa_documents

    items = []
    for stem, text in chabsa_documents():
        spans = _find_spans(text, rec.get("spans_by_doc", {}).get(stem, []), stem)
        items.append(Item(f"{rec['id']}-{stem}", text, spans, _negatives(text, spans), f"chabsa-json/{stem}.json", "chabsa"))
    return items


def _find_spans(text: str, wanted: list[dict], where: str) -> list[tuple[int, int, str]]:
    spans = []
    for sp in wanted:
        starts = [m.start() for m in re.finditer(re.escape(sp["text"]), text)]
        occ = sp.get("occurrence", "all")
        chosen = starts if occ == "all" else starts[occ : occ + 1]
        if not chosen:
            raise ValueError(f"{where}: span {sp['text']!r} not found")
        spans += [(s, s + len(sp["text"]), sp["type"]) for s in chosen]
    return spans


def _negatives(text: str, spans: list, public: list[dict] = ()) -> list[tuple[int, int, str]]:
    negatives = []
    for m in RE_NUMBER_TOKEN.finditer(text):
        if len(m.group()) < 2 and not text[m.end() : m.end() + 1] in "年月日条":
            continue
        if any(m.start() < e and m.end() > s for s, e, _ in spans):
            continue
        negatives.append((m.start(), m.end(), negative_class(m.group(), text[m.end() : m.end() + 2])))
    for sp in public:  # organisations' numbers and addresses, labelled by reading (a text, or a pattern)
        for m in re.finditer(sp["pattern"] if "pattern" in sp else re.escape(sp["text"]), text):
            negatives = [n for n in negatives if not (n[0] < m.end() and n[1] > m.start())]
            negatives.append((m.start(), m.end(), sp["class"]))
    return negatives


def load_real(path: Path = REAL) -> list[Item]:
    """The real references, materialised from the shared data (testkit.realdata)."""
    from testkit.realdata import source_text

    items = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(raw)
        if rec.get("kind") == "wikipedia_ner":
            items += _wikipedia_items(rec)
            continue
        if rec.get("kind") == "chabsa":
            items += _chabsa_items(rec)
            continue
        text = source_text(rec["source"], rec.get("pages", 0), True)
        if rec.get("anchor"):
            lines = text.split("\n")
            hits = [i for i, line in enumerate(lines) if line.startswith(rec["anchor"])]
            if not hits:
                raise ValueError(f"{rec['id']}: no line starts with {rec['anchor']!r}")
            out, size = [], 0
            for line in lines[hits[rec.get("occurrence", 0)] :]:
                if rec.get("chars") and size >= rec["chars"]:
                    break
                out.append(line)
                size += len(line) + 1
            text = "\n".join(out)
        spans = _find_spans(text, rec.get("spans", []), rec["id"])
        negatives = _negatives(text, spans, rec.get("public", []))
        items.append(Item(rec["id"], text, spans, negatives, rec["source"], rec.get("category", "real")))
    return items


def load_generated(path: Path = GENERATED) -> list[Item]:
    items = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(raw)
        items.append(Item(rec["id"], rec["text"], [(s["start"], s["end"], s["type"]) for s in rec["spans"]],
                          [(n["start"], n["end"], n["class"]) for n in rec["negatives"]], "generated", rec["category"]))  # fmt: skip
    return items


# --- the tools -------------------------------------------------------------------------------------


def kinyu_spans(text: str, keep_public: bool = True) -> list[tuple[int, int, str]]:
    """What the default step acts on: every span found, less the public ones it keeps."""
    from kinyu.corpus.pii import find_pii

    return [(s.start, s.end, s.type) for s in find_pii(text) if not (keep_public and s.public)]


def hojichar_detector():
    """HojiChar's MaskPersonalInformation as spans: the matches of the two patterns its
    ``apply`` substitutes (phone, then e-mail). None when hojichar is not installed."""
    try:
        from hojichar.filters.document_filters import MaskPersonalInformation
    except ImportError:
        return None
    flt = MaskPersonalInformation()

    def spans(text: str) -> list[tuple[int, int, str]]:
        out = [(m.start(), m.end(), "phone") for m in flt.phone_pat.finditer(text)]
        out += [(m.start(), m.end(), "email") for m in flt.email_pat.finditer(text)]
        return out

    return spans


PRESIDIO_TYPES = {
    "EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "card", "IP_ADDRESS": "ip",
    "PERSON": "name", "LOCATION": "address", "US_BANK_NUMBER": "bank_account", "IBAN_CODE": "bank_account",
}  # fmt: skip


def presidio_detector():
    """Presidio's AnalyzerEngine with its default (predefined) recognizers, on a blank spaCy
    pipeline: no model is downloaded, so its NER recognizer finds nothing and the regex
    recognizers do the work — what a Presidio run on Japanese text without a Japanese model
    gives. tldextract (its e-mail validation) is kept to its bundled suffix list (no network).
    Every result counts (Presidio's default score threshold, 0); entity types with no kinyu
    counterpart (URL, DATE_TIME, US_DRIVER_LICENSE, …) are scored as type ``other``: they
    only hit negatives. None when presidio-analyzer is not installed."""
    try:
        import spacy
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
    except ImportError:
        return None
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class BlankSpacy(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    engine = BlankSpacy(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=engine)
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])

    def spans(text: str) -> list[tuple[int, int, str]]:
        return [(r.start, r.end, PRESIDIO_TYPES.get(r.entity_type, "other")) for r in analyzer.analyze(text, language="en")]

    return spans


# --- scoring ---------------------------------------------------------------------------------------


@dataclass
class Scores:
    tp: Counter = field(default_factory=Counter)  # gold spans found (by a predicted span of their type)
    fn: Counter = field(default_factory=Counter)
    pred_ok: Counter = field(default_factory=Counter)  # predicted spans overlapping gold of their type
    pred_bad: Counter = field(default_factory=Counter)
    neg_total: Counter = field(default_factory=Counter)
    neg_hit: Counter = field(default_factory=Counter)
    misses: dict = field(default_factory=lambda: defaultdict(list))
    false: dict = field(default_factory=lambda: defaultdict(list))

    def precision(self, t: str) -> float | None:
        n = self.pred_ok[t] + self.pred_bad[t]
        return self.pred_ok[t] / n if n else None

    def recall(self, t: str) -> float | None:
        n = self.tp[t] + self.fn[t]
        return self.tp[t] / n if n else None


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[1] and a[1] > b[0]


def score(items: list[Item], detector) -> Scores:
    sc = Scores()
    for it in items:
        pred = detector(it.text)
        for g in it.spans:
            if any(p[2] == g[2] and _overlap(p, g) for p in pred):
                sc.tp[g[2]] += 1
            else:
                sc.fn[g[2]] += 1
                sc.misses[g[2]].append(f"{it.id}: {it.text[g[0]:g[1]]!r}")
        for p in pred:
            if any(p[2] == g[2] and _overlap(p, g) for g in it.spans):
                sc.pred_ok[p[2]] += 1
            else:
                sc.pred_bad[p[2]] += 1
                lo = max(0, p[0] - 12)
                sc.false[p[2]].append(f"{it.id}: {it.text[lo:p[0]]!r} [{it.text[p[0]:p[1]]!r}]")
        for n in it.negatives:
            sc.neg_total[n[2]] += 1
            if any(_overlap(p, n) for p in pred):
                sc.neg_hit[n[2]] += 1
    return sc


def load_all() -> list[Item]:
    return load_generated() + load_real()


def summary(items: list[Item]) -> dict:
    spans = Counter(t for it in items for _, _, t in it.spans)
    negatives = Counter(c for it in items for _, _, c in it.negatives)
    return {"items": len(items), "spans": dict(spans), "positive_spans": sum(spans.values()),
            "negatives": dict(negatives), "negative_total": sum(negatives.values())}  # fmt: skip


__all__ = ["PII_TYPES", "Item", "Scores", "generate", "load_all", "load_generated", "load_real", "score", "summary",
           "kinyu_spans", "hojichar_detector", "presidio_detector", "write_generated"]  # fmt: skip

if __name__ == "__main__":
    write_generated()
    print(f"wrote {GENERATED}: {summary(load_generated())}")
