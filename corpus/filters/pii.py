"""Japanese personal information (``quality.pii``): find it, and per type mask it, drop the
document, or count it.

What is found and how: ``kinyu.corpus.pii`` (e-mail, phone, My Number, card and bank account
numbers, street addresses, IP addresses by regex plus check digits / Luhn / context; names by
MeCab 人名 tags next to 様, さん, 氏, 代表取締役, 氏名 …).

Per type, one mode:
- ``mask``: the span becomes the type's fixed placeholder (``<電話番号>``, ``<メール>``, …: fixed
  strings, so dedup and tokenisation stay deterministic, and two copies of a form that differ
  only in the caller's number become exact duplicates);
- ``drop``: the document goes to ``removed/pii/`` with reason ``pii_<type>`` (its other
  types masked first, so ``removed/`` never holds a value that a ``mask`` type would hide);
- ``tag``: counted, text untouched;
- ``off``: not looked for.

Where it runs: first of the quality chain, right after normalisation and before the MeCab
annotator, the line cleaner and the filters. Masking changes the text, and this way

- every later step, and every file of the run folder, sees only masked text: the documents
  the filters drop (``removed/<filter>/``), the lines the line cleaner removes, and the removed
  samples that ``kinyu corpus stats`` and the report print (after the filters, those would hold
  the personal data in plain);
- the one MeCab parse is of the masked text, so the filters still parse each document once
  (masking after the annotator would cost a second parse of every document with a hit);
- the filters judge the text that is trained on. The placeholders are short and Japanese
  (「<電話番号>」), and on the labelled filter set (tests/data/filters_eval) the chain's decisions
  do not change with the step on or off (tests/test_pii.py checks it).

Defaults fit financial text: public numbers stay. Corporate numbers (法人番号, 13 digits),
securities and EDINET codes, dates, amounts and article numbers match no rule; a company's
phone number and address in an organisation context (【電話番号】 on a filing cover, 本店, 株式会社 …
on the line before it) are public (``keep_public_contacts``); names are ``tag`` (officers' names
in filings are public disclosures) and ``--quality.pii.name mask`` masks them.

Counts: per type, the step's stats count spans found (``found_<type>``), masked
(``masked_<type>``), counted only (``tagged_<type>``), kept as public (``public_<type>``), documents with a hit (``docs_<type>``)
and documents dropped (``dropped_pii_<type>``); ``kinyu corpus stats`` and the report show them.
Audit: each document with a hit carries ``metadata["pii"]``: counts per type and up to
``audit_per_doc`` records (type, rule, action, the span's shape with digits → 9 and letters →
x/○, and 20 characters of masked context on either side) — the value itself only when
``audit_reveal`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from datatrove.data import Document
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter
from kinyu.corpus.pii.detect import PII_TYPES, PLACEHOLDERS, find_pii
from kinyu.corpus.pii.spans import Span, shape

Mode = Literal["mask", "drop", "tag", "off"]
MODES = ("mask", "drop", "tag", "off")
AUDIT_CONTEXT = 20
STAT_OF_ACTION = {"mask": "masked", "drop": "masked", "tag": "tagged", "public": "public"}


@dataclass
class PiiConfig:
    """Japanese personal information: per type ``mask`` (fixed placeholder), ``drop`` (the
    document, reason pii_<type>), ``tag`` (count only) or ``off``. Measured on the labelled set
    tests/data/pii_eval (benchmarks/pii_accuracy.py)."""

    enabled: bool = option(True, "look for personal information (first quality step, after normalisation)")
    # Structured identifiers: precision and recall 1.00 on the labelled set; none of the 1,000+
    # tempting numbers of the real filings (amounts, dates, codes, 法人番号, article numbers)
    # matches.
    email: Mode = option("mask", "e-mail addresses: mask|drop|tag|off (placeholder <メール>)")
    phone: Mode = option("mask", "Japanese phone numbers (landline, mobile, 050, 0120/0800, +81): mask|drop|tag|off (<電話番号>)")
    my_number: Mode = option("mask", "My Numbers (12 digits, valid check digit): mask|drop|tag|off (<マイナンバー>)")
    card: Mode = option("mask", "credit card numbers (Luhn, issuer prefix): mask|drop|tag|off (<カード番号>)")
    bank_account: Mode = option("mask", "bank account numbers after 口座番号/普通/当座, ゆうちょ 記号-番号: mask|drop|tag|off (<口座番号>)")
    # Street level only (a house number after the city): a city alone is not personal.
    address: Mode = option("mask", "street addresses and 〒 postal codes: mask|drop|tag|off (<住所>)")
    # tag: officers' names in filings are public disclosures; names are found only next to an
    # honorific, a title or a label (recall on names in such context in the labelled set, not
    # on every name: see the README).
    name: Mode = option("tag", "personal names (MeCab 人名 next to 様/さん/氏/代表取締役/氏名 …): mask|drop|tag|off (<氏名>)")
    ip: Mode = option("mask", "IPv4/IPv6 addresses: mask|drop|tag|off (<IPアドレス>)")
    # The phone numbers and addresses of companies on filing covers and in shareholder tables
    # are disclosures (all 10 phone numbers and 95 of 96 addresses in the 18 real EDINET sections).
    keep_public_contacts: bool = option(
        True, "keep phone numbers and addresses in an organisation's context (filing covers, 本店, 株式会社 …; toll-free numbers)"
    )
    audit_per_doc: int = option(3, "audit records kept per document in metadata['pii'] (type, rule, shape, masked context)")
    audit_reveal: bool = option(False, "write the found value itself into the audit records (a reviewer's run only: it puts the values in the run folder)")

    def modes(self) -> dict[str, str]:
        return {t: getattr(self, t) for t in PII_TYPES}

    def problems(self) -> list[str]:
        return [f"{t}: mode must be one of {list(MODES)}, got {m!r}" for t, m in self.modes().items() if m not in MODES]


def _hidden(text_out: str, lo: int, hi: int, shown: list[tuple[int, int]], reveal: bool) -> str:
    """``text_out[lo:hi]`` with every kept (tagged or public) span in it shown by its shape only."""
    if reveal:
        return text_out[lo:hi]
    parts, pos = [], lo
    for s, e in shown:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        parts += [text_out[pos:s], shape(text_out[s:e])]
        pos = e
    parts.append(text_out[pos:hi])
    return "".join(parts)


def _audit_record(text_out: str, at: int, length: int, span: Span, value: str, action: str,
                  shown: list[tuple[int, int]], reveal: bool) -> dict:  # fmt: skip
    """One audit record: the span's type, rule, action and shape, and its context in the text as
    written (a masked span shows as its placeholder, a kept one by its shape unless ``reveal``)."""
    lo, hi = max(0, at - AUDIT_CONTEXT), min(len(text_out), at + length + AUDIT_CONTEXT)
    middle = text_out[at : at + length] if action in ("mask", "drop") else (value if reveal else shape(value))
    context = f"{_hidden(text_out, lo, at, shown, reveal)}[{middle}]{_hidden(text_out, at + length, hi, shown, reveal)}"
    record = {"type": span.type, "rule": span.rule, "action": action, "shape": shape(value), "context": context}
    if reveal:
        record["value"] = value
    return record


def _audit_pick(placed: list, n: int) -> list:
    """Up to ``n`` spans for the audit, one of each type first (in text order), then the rest."""
    seen: dict[str, int] = {}
    rank = []
    for i, item in enumerate(placed):
        k = seen.get(item[0].type, 0)
        seen[item[0].type] = k + 1
        rank.append((k, i))
    return [placed[i] for _, i in sorted(rank)[:n]]


def apply_pii(text: str, cfg: PiiConfig) -> tuple[str, list[tuple[Span, str]], list[str]]:
    """(new text, [(span, action)], the types that drop the document). ``action``: mask, tag,
    drop (a span of a drop type, masked in the text) or public (kept: an organisation's number)."""
    modes = cfg.modes()
    wanted = tuple(t for t in PII_TYPES if modes[t] != "off")
    if not wanted:
        return text, [], []
    spans = find_pii(text, wanted)
    if not spans:
        return text, [], []
    decided = []
    drops = []
    for span in spans:
        mode = modes[span.type]
        if span.public and cfg.keep_public_contacts:
            action = "public"
        elif mode == "drop":
            action = "drop"
            if span.type not in drops:
                drops.append(span.type)
        else:
            action = mode
        decided.append((span, action))
    parts = []
    pos = 0
    for span, action in decided:
        if action in ("mask", "drop"):
            parts.append(text[pos : span.start])
            parts.append(PLACEHOLDERS[span.type])
            pos = span.end
    parts.append(text[pos:])
    return "".join(parts), decided, drops


class PiiFilter(QualityFilter):
    """Finds Japanese personal information and masks, drops or counts it, per type (``PiiConfig``).

    Runs before the MeCab annotator (``before_annotator``), right after normalisation: every
    later step and every file of the run folder sees only masked text.
    """

    name = "🔒 Personal information"
    config_class = PiiConfig
    before_annotator = True

    def __init__(self, config=None, exclusion_writer: DiskWriter | None = None):
        super().__init__(config, exclusion_writer)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        cfg = self.config
        original = doc.text
        text, decided, drops = apply_pii(original, cfg)
        if not decided:
            return True
        counts: dict[str, int] = {}
        placed = []  # (span, action, start in the new text, length there, value)
        shift = 0
        for span, action in decided:
            value = original[span.start : span.end]
            length = len(PLACEHOLDERS[span.type]) if action in ("mask", "drop") else len(value)
            placed.append((span, action, span.start + shift, length, value))
            shift += length - len(value)
            counts[span.type] = counts.get(span.type, 0) + 1
            self.stat_update(f"found_{span.type}")
            self.stat_update(f"{STAT_OF_ACTION[action]}_{span.type}")
        for t in counts:
            self.stat_update(f"docs_{t}")
        doc.text = text
        kept = [(at, at + length) for _, action, at, length, _ in placed if action in ("tag", "public")]
        doc.metadata["pii"] = {
            "counts": dict(sorted(counts.items())),
            "audit": [
                _audit_record(text, at, length, span, value, action, kept, cfg.audit_reveal)
                for span, action, at, length, value in _audit_pick(placed, cfg.audit_per_doc)
            ],
        }
        if drops:
            return False, f"pii_{drops[0]}"
        return True
