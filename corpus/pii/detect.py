"""Finding Japanese personal information in normalised (NFKC) text.

``find_pii(text)`` returns non-overlapping ``Span``s (start, end, type, rule, public), sorted.
Every rule is a regex for the form plus a check in Python that makes the match an identifier:

- ``email``: RFC-like local@domain.tld (ASCII; NFKC has folded ＠ and full-width letters).
- ``phone``: Japanese numbers — landline (10 digits: 0 + area + local + subscriber, 03-1234-5678,
  (03)1234-5678, 03(1234)5678, 0466-12-3456), mobile 070/080/090 and IP phone 050 (11 digits),
  0120/0570/0180/0990 (10 digits), 0800 (11), +81 forms (+81-3-1234-5678, +81 90 1234 5678,
  +81(0)3-…). The digit count of the national number must fit its prefix. A bare digit run is
  a phone number only when it is a mobile/IP/toll-free number, or a landline right after a phone
  word (TEL, 電話, 連絡先, FAX …). Separators: - ‐ − ー and spaces, parentheses around the area
  or local code.
  Public numbers: a toll-free/navi-dial number (0120, 0800, 0570, 0180, 0990) is always an
  organisation's; a landline or IP number is public when an organisation word (株式会社, 本社,
  本店, 支店, 窓口, センター, 代表, 受付 …, or the filing fields 【電話番号】【連絡場所】) stands
  before it on its line with no personal word (携帯, 自宅, 個人, 様, さん …) in between. Mobile
  numbers are never public. ``Span.public`` marks them; the step keeps them by default
  (``keep_public_contacts``): company phone numbers on filing covers are disclosures.
- ``my_number``: 12 digits (4-4-4 with - or space, or bare) whose last digit is the check
  digit of the My Number Act's ordinance (``my_number_ok``). A 13-digit 法人番号 or longer digit
  run never matches (digits on either side stop it); a space-separated 4-4-4 that is three
  years (2021 2022 2023, a table header) is not one.
- ``card``: 14-19 digits that pass Luhn, begin with a card issuer's prefix (Visa 4, Mastercard
  51-55/2221-2720, Amex 34/37, JCB 3528-3589, Diners 36/38/300-305, Discover 6011/65,
  UnionPay 62) and are either bare or grouped as cards print them (4-4-4-4[-3], 4-6-5, 4-6-4).
  13-digit numbers are left out: a 法人番号 has 13 digits.
- ``bank_account``: the 7-digit account number after 口座番号 / 普通 / 当座 / 普通預金 … (not
  普通株式, 普通社債, 当座貸越: the word must be followed by the number), and ゆうちょ
  記号 NNNNN 番号 NNNNNNNN / 1NNNN-NNNNNNNN after 記号/ゆうちょ/振替. Only the number is masked.
- ``address``: a street address — 〒NNN-NNNN and/or 都道府県 + 市区町村 + town + a house number
  (N丁目, N番地, N番N号, N-N-N; kanji numerals too). A city without a house number (東京都千代田区)
  is not personal and is left alone. Public when an organisation word (本店, 本社, 所在地, 株式会社 …)
  stands on its line before it or just after it.
- ``ip``: IPv4 (octets ≤ 255; four one-digit octets such as the section number 1.2.3.4 only after
  "IP"), IPv6 (validated by ``ipaddress``; at least 3 groups, not a time 12:30:45).

Names are found by ``kinyu.corpus.pii.names`` (MeCab) and merged here. Overlaps: the earlier
type in ``PII_TYPES`` wins (an e-mail's digits are never a phone number).
"""

from __future__ import annotations

import ipaddress
import re

from kinyu.corpus.pii.names import find_names
from kinyu.corpus.pii.spans import Span, shape

PII_TYPES = ("email", "card", "my_number", "bank_account", "phone", "ip", "address", "name")

# Fixed placeholders (deterministic dedup and tokenisation): one per type.
PLACEHOLDERS = {
    "email": "<メール>",
    "phone": "<電話番号>",
    "my_number": "<マイナンバー>",
    "card": "<カード番号>",
    "bank_account": "<口座番号>",
    "address": "<住所>",
    "name": "<氏名>",
    "ip": "<IPアドレス>",
}


# --- e-mail ---------------------------------------------------------------------------------------

RE_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9\-])"
)

# --- phone ----------------------------------------------------------------------------------------

_SEP = "\\-‐‑‒–—―−ー "
# A run of digits, separators and parentheses that starts like a phone number (0, (0, +81) and
# is not glued to letters, digits or the separators of a longer number on either side.
RE_PHONE = re.compile(
    r"(?:\+81[ \-]?(?:\(0\)[ \-]?)?[1-9]|\(0[0-9]|0[0-9])"
    rf"(?:[0-9]|[{_SEP}()](?=[0-9(]))*[0-9]"
    r"(?![0-9A-Za-z@]|[.,/\-‐−][0-9])"
)
TOLL_FREE = ("0120", "0800", "0570", "0180", "0990")
PHONE_WORDS = re.compile(r"(?:TEL|Tel|tel|電話|携帯|連絡先|FAX|Fax|fax|ファックス|ファクス|☎|℡)[^\n0-9]{0,8}$")
ORG_WORDS = (
    "株式会社", "(株)", "有限会社", "合同会社", "本社", "本店", "支店", "支社", "営業所", "事務所", "事業所", "窓口",
    "センター", "代表", "受付", "事務局", "お問い合わせ", "お問合せ", "問い合わせ", "問合せ", "カスタマー",
    "フリーダイヤル", "コールセンター", "サポート", "取引所", "銀行", "証券", "保険", "協会", "機構", "法人",
    "組合", "役所", "役場", "庁", "省", "所在地", "所在の場所", "【電話番号】", "【連絡場所】", "【最寄りの連絡場所】",
    "総務部", "広報", "IR",
)  # fmt: skip
PERSONAL_WORDS = ("携帯", "自宅", "個人", "様", "さん", "氏名", "本人", "私", "僕", "連絡ください", "ご連絡を")
RE_ORG = re.compile("|".join(map(re.escape, ORG_WORDS)))
RE_PERSONAL = re.compile("|".join(map(re.escape, PERSONAL_WORDS)))


def _line_before(text: str, start: int, limit: int = 60) -> str:
    """The span's line up to the span; when nothing but an opening bracket precedes it there, the line
    above too: filings set a name and its address on two lines (「H株式会社本店」 / 「(東京都千代田区…)」)."""
    lo = max(0, start - limit)
    nl = text.rfind("\n", lo, start)
    line = text[(nl + 1 if nl >= 0 else lo) : start]
    if nl >= 0 and not line.strip(" \u3000(（[［【「"):
        above = text.rfind("\n", max(0, nl - limit), nl)
        line = text[(above + 1 if above >= 0 else max(0, nl - limit)) : nl] + "\n" + line
    return line


def _line_after(text: str, end: int, limit: int = 20) -> str:
    hi = min(len(text), end + limit)
    nl = text.find("\n", end, hi)
    return text[end : nl if nl >= 0 else hi]


def _org_context(before: str, after: str = "") -> bool:
    """An organisation word before the span (on its line), with no personal word after it; or
    an organisation word right after it."""
    org = None
    for org in RE_ORG.finditer(before):
        pass
    if org is not None and not RE_PERSONAL.search(before, org.end()):
        return True
    return bool(after) and RE_ORG.search(after) is not None and not RE_PERSONAL.search(after)


def _phone_at(text: str, start: int, s: str) -> Span | None:
    """``s`` (at ``start``) as a phone number, or None."""
    groups = re.findall(r"[0-9]+", s)
    digits = "".join(groups)
    intl = s.startswith("+81")
    if intl:
        rest = digits[2:]
        if rest.startswith("0"):  # +81(0)3-…
            rest = rest[1:]
        national = "0" + rest
        groups = groups[1:]
        if groups and groups[0] == "0":
            groups = groups[1:]
    else:
        national = digits
    if national.startswith("00") or len(groups) > 4:
        return None
    mobile = national[:3] in ("070", "080", "090", "050", "020")
    toll_free = national[:4] in TOLL_FREE
    if len(national) != (11 if mobile or national[:4] == "0800" else 10):
        return None
    before = _line_before(text, start)
    if len(groups) == 1 and not intl:
        # a bare landline number: only after a phone word (10 bare digits are also order and
        # account numbers); mobile, IP and toll-free numbers have their own prefixes
        if not (mobile or toll_free) and not PHONE_WORDS.search(before):
            return None
        rule = "bare"
    else:
        if not intl and len(groups) >= 3 and len(groups[-1]) not in (3, 4):
            return None
        rule = "intl" if intl else "grouped"
    kind = "mobile" if mobile else "toll_free" if toll_free else "landline"
    public = toll_free or (not mobile and _org_context(before))
    return Span(start, start + len(s), "phone", f"{kind}:{rule}", public)


_PHONE_BEFORE = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@._+/-‐−")
_RE_GROUP_END = re.compile(r"[0-9](?![0-9])")


def _phones(text: str) -> list[Span]:
    """Phone numbers; a candidate run that is no number as a whole (two numbers joined by a
    space, 「03-1234-5678 03-8765-4321」) is tried group by group, longest first."""
    out = []
    pos = 0
    while True:
        m = RE_PHONE.search(text, pos)
        if m is None:
            return out
        if m.start() and text[m.start() - 1] in _PHONE_BEFORE:
            pos = m.start() + 1
            continue
        s = m.group()
        ends = [e.end() for e in _RE_GROUP_END.finditer(s)]
        span = None
        for end in reversed(ends):
            if end < len(s) and s[end] not in " ":
                continue  # only cut at a space: 03-1234-5678 is not 03-1234
            span = _phone_at(text, m.start(), s[:end])
            if span:
                break
        if span:
            out.append(span)
            pos = span.end
        else:
            nxt = s.find(" ")
            pos = m.start() + nxt + 1 if nxt > 0 else m.end()


# --- My Number ------------------------------------------------------------------------------------

RE_MY_NUMBER = re.compile(r"([0-9]{4})(?<![0-9\-‐−.,+][0-9]{4})([\- ]?)([0-9]{4})\2([0-9]{4})(?![0-9]|[\-‐−.,][0-9])")
RE_YEAR = re.compile(r"(?:19|20)[0-9]{2}")


def my_number_ok(digits: str) -> bool:
    """The check digit of a 12-digit 個人番号 (行政手続における特定の個人を識別するための番号の利用等に
    関する法律施行令 第8条): P_n the n-th digit counted from the right of the first 11, Q_n = n+1
    for n ≤ 6 and n−5 for n ≥ 7; remainder r = Σ P_n·Q_n mod 11; check = 0 if r ≤ 1 else 11 − r."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = digits[:11]
    total = sum(int(body[11 - n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    r = total % 11
    return int(digits[11]) == (0 if r <= 1 else 11 - r)


def _my_number(text: str, m: re.Match) -> Span | None:
    digits = m.group(1) + m.group(3) + m.group(4)
    if not my_number_ok(digits):
        return None
    if m.group(2) == " " and all(RE_YEAR.fullmatch(g) for g in (m.group(1), m.group(3), m.group(4))):
        return None
    return Span(m.start(), m.end(), "my_number", "check_digit" + ("" if m.group(2) else ":bare"))


# --- credit cards ---------------------------------------------------------------------------------

RE_CARD = re.compile(r"[0-9]{4}(?<![0-9\-‐−.,+][0-9]{4})(?:[\- ]?[0-9]{2,7}){1,4}(?![0-9]|[\-‐−.,][0-9])")
_CARD_GROUPS = {(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 2), (4, 4, 4, 3)}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_issuer(digits: str) -> str | None:
    d2, d3, d4 = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return "visa"
    if 51 <= d2 <= 55 or 2221 <= d4 <= 2720:
        return "mastercard"
    if d2 in (34, 37):
        return "amex"
    if 3528 <= d4 <= 3589:
        return "jcb"
    if d2 in (36, 38, 39) or 300 <= d3 <= 305:
        return "diners"
    if d4 == 6011 or d2 == 65 or 644 <= d3 <= 649:
        return "discover"
    if d2 == 62:
        return "unionpay"
    return None


def _card(text: str, m: re.Match) -> Span | None:
    s = m.group()
    groups = tuple(len(g) for g in re.split(r"[\- ]", s))
    digits = s.replace("-", "").replace(" ", "")
    if not 14 <= len(digits) <= 19:
        return None
    if len(groups) > 1 and (groups not in _CARD_GROUPS or len(set(re.findall(r"[\- ]", s))) > 1):
        return None
    issuer = card_issuer(digits)
    if issuer is None or not luhn_ok(digits):
        return None
    return Span(m.start(), m.end(), "card", issuer)


# --- bank accounts --------------------------------------------------------------------------------

_UNIT_AFTER = r"(?![0-9,.]|\s*(?:株|円|千|百万|億|万|人|件|%|口|名|年|月|日|個|台|倍|期|回|号))"
RE_BANK = re.compile(
    r"(?:口座番号|口座No\.?|口座|普通預金|当座預金|貯蓄預金|普通|当座)(?:\s*\((?:普通|当座)\))?[\s:は]{0,3}(?:No\.?\s*)?"
    r"(?P<num>[0-9]{7})" + _UNIT_AFTER
)
RE_YUCHO = re.compile(
    r"(?:記号[\s:]*(?P<k>1[0-9]{4})[\s、,]*番号[\s:]*(?P<n>[0-9]{8}))"
    r"|(?:(?:ゆうちょ|振替|貯金|口座)[^\n0-9]{0,12}(?<![0-9])(?P<k2>[01][0-9]{4})[\-‐−](?P<n2>[0-9]{6,8})(?![0-9]))"
)


RE_BANK_WORD = re.compile("口座|普通|当座|預金|記号|振替|ゆうちょ")


def _bank(text: str) -> list[Span]:
    out: list[Span] = []
    if RE_BANK_WORD.search(text) is None:
        return out
    for m in RE_BANK.finditer(text):
        out.append(Span(m.start("num"), m.end("num"), "bank_account", "context"))
    for m in RE_YUCHO.finditer(text):
        if m.group("k"):
            out.append(Span(m.start("k"), m.end("n"), "bank_account", "yucho"))
        else:
            out.append(Span(m.start("k2"), m.end("n2"), "bank_account", "yucho"))
    return out


# --- addresses ------------------------------------------------------------------------------------

PREFECTURES = (
    "北海道|東京都|京都府|大阪府|青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|群馬県|埼玉県|千葉県|"
    "神奈川県|新潟県|富山県|石川県|福井県|山梨県|長野県|岐阜県|静岡県|愛知県|三重県|滋賀県|兵庫県|奈良県|和歌山県|"
    "鳥取県|島根県|岡山県|広島県|山口県|徳島県|香川県|愛媛県|高知県|福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|鹿児島県|沖縄県"
)
_KANJI_NUM = "0-9一二三四五六七八九十〇"
_NUM = f"[{_KANJI_NUM}]{{1,5}}"
_DASH = "[\\-‐−ー]"
_PLACE = "[\u4e00-\u9fff\u3005\u30a1-\u30f6\u30fc\u3041-\u3093ヶケ]"
_STREET = (
    f"(?:{_NUM}丁目(?:{_DASH}?{_NUM}(?:番地?|{_DASH})?(?:{_NUM}号?)?)?"
    f"|{_NUM}番地?(?:の?{_NUM}号?)?"
    f"|{_NUM}{_DASH}{_NUM}(?:{_DASH}{_NUM})?"
    f"|{_NUM}地割{_NUM}(?:番地?)?)"
)
_CITY_CH = "[\u4e00-\u9fff\u3005\u30a1-\u30f6\u30fcヶケ]"  # no hiragana: 「当社は千代田区」 starts at 千
_CITY = f"(?:さいたま市|{_CITY_CH}{{1,6}}?[市区町村郡])(?:{_CITY_CH}{{1,5}}?[区町村])?"
_TOWN = f"{_PLACE}{{0,10}}?"
RE_ADDRESS_PREF = re.compile(
    rf"(?P<pref>{PREFECTURES})\s?(?P<city>{_CITY})\s?{_TOWN}\s?(?P<street>{_STREET})(?![0-9町丁通]|{_DASH}[0-9])"
)
RE_ADDRESS_CITY = re.compile(rf"(?P<city>{_CITY})\s?{_TOWN}\s?(?P<street>{_STREET})(?![0-9町丁通]|{_DASH}[0-9])")
RE_POSTAL = re.compile(r"〒\s?[0-9]{3}[\-‐−ー][0-9]{4}(?![0-9])")


# An address's cheap anchor: the 市区町村郡 of its city followed, within its town name, by a house
# number (「市場」「区分」「町村」 are no city); only there are the full patterns tried.
RE_ADDRESS_ANCHOR = re.compile(rf"[市区町村郡](?![場分別])(?:{_CITY_CH}{{0,5}}?[区町村])?\s?{_TOWN}\s?{_STREET}(?![0-9町丁通])")


def _addresses(text: str) -> list[Span]:
    out: list[Span] = []
    postals = {m.end(): m.start() for m in RE_POSTAL.finditer(text)} if "〒" in text else {}
    used_postal = set()
    done = 0
    for anchor in RE_ADDRESS_ANCHOR.finditer(text):
        if anchor.start() < done:
            continue
        line_start = text.rfind("\n", 0, anchor.start()) + 1
        lo = max(line_start, anchor.start() - 24, done)
        hi = min(len(text), anchor.end() + 2)
        m = RE_ADDRESS_PREF.search(text, lo, hi) or RE_ADDRESS_CITY.search(text, lo, hi)
        if m is None:
            continue
        start, end = m.start(), m.end()
        postal_start = next((postals[e] for e in range(start, max(start - 3, -1), -1) if e in postals), None)
        if postal_start is None and m.re is RE_ADDRESS_CITY and not re.search("丁目|番地|号", m.group("street")):
            continue  # city + N-N without a prefecture or 〒: too often a table cell or a code
        if postal_start is not None:
            used_postal.add(postal_start)
            start = postal_start
        rule = "postal+street" if postal_start is not None else "street"
        public = _org_context(_line_before(text, start, 200), _line_after(text, end))
        out.append(Span(start, end, "address", rule, public))
        done = end
    for end, start in postals.items():
        if start not in used_postal:
            public = _org_context(_line_before(text, start, 200), _line_after(text, end))
            out.append(Span(start, end, "address", "postal", public))
    return out


# --- IP addresses ---------------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
RE_IPV4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})(?![0-9]|\.[0-9])")
_IP_BEFORE = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-")
RE_IPV6_ANCHOR = re.compile(r"[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:")
RE_IPV6 = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Za-z:])")
RE_IP_WORD = re.compile(r"(?:IP|ip|アドレス|address|host|ホスト|サーバ)[^\n]{0,12}$")


def _ips(text: str) -> list[Span]:
    out = []
    if "." in text:
        for m in RE_IPV4.finditer(text):
            if m.start() and text[m.start() - 1] in _IP_BEFORE or any(int(g) > 255 or (len(g) > 1 and g[0] == "0") for g in m.groups()):
                continue
            before = text[max(0, m.start() - 4) : m.start()]
            if re.search(r"(?:v|V|ver|Ver|第)\s?$", before):
                continue  # version and section numbers: v1.2.3.4, 第1.2.3.4
            if all(len(g) == 1 for g in m.groups()) and not RE_IP_WORD.search(_line_before(text, m.start(), 30)):
                continue  # 1.2.3.4 is an outline number unless the text says it is an address
            out.append(Span(m.start(), m.end(), "ip", "ipv4"))
    if "::" in text or (":" in text and RE_IPV6_ANCHOR.search(text)):
        for m in RE_IPV6.finditer(text):
            s = m.group()
            if s.count(":") < 2 or (s.count(":") < 3 and "::" not in s):
                continue
            if re.fullmatch(r"[0-9:]+", s) and all(len(g) <= 2 for g in s.split(":")):
                continue  # a time, 12:30:45
            try:
                ipaddress.IPv6Address(s)
            except ValueError:
                continue
            out.append(Span(m.start(), m.end(), "ip", "ipv6"))
    return out


# --- all together ---------------------------------------------------------------------------------


def find_pii(text: str, types: tuple[str, ...] | frozenset[str] = PII_TYPES) -> list[Span]:
    """Every personal-information span of the given ``types`` in ``text``, non-overlapping,
    sorted by position (on overlap the type earlier in ``PII_TYPES`` wins, then the longer span)."""
    types = frozenset(types)
    spans: list[Span] = []
    if "email" in types and "@" in text:
        spans += [Span(m.start(), m.end(), "email", "email") for m in RE_EMAIL.finditer(text)]
    if _RE_DIGIT.search(text):
        if ("card" in types or "my_number" in types) and RE_LONG_NUMBER.search(text):
            if "card" in types:
                spans += [s for m in RE_CARD.finditer(text) if (s := _card(text, m))]
            if "my_number" in types:
                spans += [s for m in RE_MY_NUMBER.finditer(text) if (s := _my_number(text, m))]
        if "bank_account" in types:
            spans += _bank(text)
        if "phone" in types:
            spans += _phones(text)
        if "ip" in types:
            spans += _ips(text)
        if "address" in types:
            spans += _addresses(text)
    if "name" in types:
        spans += find_names(text)
    return resolve_overlaps(spans)


_RE_DIGIT = re.compile("[0-9]")
RE_LONG_NUMBER = re.compile(r"[0-9][0-9\- ]{10,22}[0-9]")  # a card or My Number has 12+ digits
_PRIORITY = {t: i for i, t in enumerate(PII_TYPES)}


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep the best span of each overlapping group: the earlier type of ``PII_TYPES``, then the longer."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (_PRIORITY[s.type], -(s.end - s.start), s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
