"""Personal names: MeCab's 人名 tags (UniDic 名詞,固有名詞,人名,姓/名) next to a word that says a
person is named.

A surname or given name alone is not enough: UniDic tags many place and company words as 人名
too (「豊田」「本田」「松下」 in company names, 「平」 …), and a financial text names companies far
more often than people. So a name is a run of 人名 tokens

- right before an honorific: 様 さま さん 氏 殿 君 くん ちゃん 先生, or a self-introduction (と申します)
  (「山田太郎様」「佐藤氏」「私は佐藤と申します」; 「お客様」「皆様」「同氏」 have no 人名 token before
  the honorific and stay);
- after a title (代表取締役社長, 取締役, 監査役, 執行役員, 頭取, 理事長, 部長 …) with only title words,
  separators and one 「の」 in between (「代表取締役社長 山田太郎」「社長の田中」; 「取締役会は」 has none);
- after a label (氏名, お名前, 名前, 名義人, 契約者, 申込者, 代表者, 担当者, 担当, 事務連絡者氏名,
  役職氏名; then optionally は/が): the next 人名 run, or else the next one or two nouns (a rare surname MeCab does not know is still
  the value of 「氏名:」).

Only a window around each trigger is parsed (at most ``WINDOW`` characters of its line), never
the whole document: the cost follows the number of triggers, not the length of the text.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import fugashi
import unidic_lite

from kinyu.corpus.pii.spans import Span

WINDOW = 14
HONORIFICS = ("様", "さま", "さん", "氏", "殿", "君", "くん", "ちゃん", "先生", "と申します", "と申し")
TITLES = (
    "代表取締役社長", "代表取締役会長", "代表取締役副社長", "代表取締役", "取締役社長", "取締役会長", "取締役副社長",
    "取締役", "代表執行役社長", "代表執行役", "執行役員", "執行役", "監査役", "社長", "会長", "副社長", "頭取", "理事長",
    "部長", "課長", "係長", "支店長", "CEO", "CFO", "COO",
)  # fmt: skip
LABELS = (
    "事務連絡者氏名", "代表者の役職氏名", "役職氏名", "代表者氏名", "氏名", "お名前", "名前", "名義人", "契約者", "申込者",
    "代表者", "担当者", "担当",
)  # fmt: skip
# 様 in 同様/多様/様々/仕様/様式/模様 is no honorific; 氏 of 氏名 is a label. Each alternative starts
# with its literal (lookbehinds after it), so that the regex engine skips ahead on the first
# character: the scan runs at some 200M characters/s.
RE_LABEL = re.compile("|".join(map(re.escape, LABELS)))
RE_TITLE = re.compile("|".join(map(re.escape, TITLES)))
RE_HONORIFIC = re.compile("|".join(map(re.escape, HONORIFICS)))
_NOT_BEFORE_SAMA = frozenset("同多仕模異各態有皆客主方")  # 同様 多様 仕様 … お客様 皆様 株主様
_NOT_AFTER_SAMA = frozenset("々式子相")  # 様々 様式 様子 様相
_NOT_AFTER_SHI = frozenset("名族")  # 氏名 (a label) 氏族


def _triggers(text: str):
    """(kind, trigger, start, end) of every label, title and honorific, in text order."""
    hits = [("label", m.group(), m.start(), m.end()) for m in RE_LABEL.finditer(text)]
    covered = {i for _, _, s, e in hits for i in range(s, e)}
    hits += [("title", m.group(), m.start(), m.end()) for m in RE_TITLE.finditer(text) if m.start() not in covered]
    for m in RE_HONORIFIC.finditer(text):
        h, s, e = m.group(), m.start(), m.end()
        if s in covered:
            continue
        prev, nxt = text[s - 1 : s], text[e : e + 1]
        if h == "様" and (prev in _NOT_BEFORE_SAMA or nxt in _NOT_AFTER_SAMA):
            continue
        if h == "氏" and nxt in _NOT_AFTER_SHI:
            continue
        hits.append(("hon", h, s, e))
    return sorted(hits, key=lambda t: t[2])


# A name is written in kanji or katakana: a trigger with none next to it names nobody
# (「取締役会」「執行役員制度」 and 「…の皆様」 cost no parse).
_NAME_CHAR = re.compile(r"[\u4e00-\u9fff\u3005\u30a1-\u30fa]")
_NOT_AFTER_TITLE = frozenset("会等及各全以兼制候補報酬陣")
_SKIP_AFTER = re.compile(r"[\s:：】\]|)）、]*")
_LABEL_PARTICLE = re.compile(r"(?:は|が)\s*")  # 「担当は山田」「契約者は…」


_local = threading.local()


def _surface_tagger():
    """A per-thread MeCab on unidic-lite (the dictionary of ``kinyu.corpus.japanese.tagger``) that
    prints each token's surface and left context id: no fugashi node objects and no feature
    decoding, which cost more than the parse (see ``kinyu.corpus.japanese.pos_tagger``)."""
    tg = getattr(_local, "tagger", None)
    if tg is None:
        d = unidic_lite.DICDIR
        fmt = "%m\\t%phl\\n"
        tg = fugashi.GenericTagger(f'-d "{d}" -r "{d}/mecabrc" --output-format-type= -F "{fmt}" -U "{fmt}" -E ""')
        _local.tagger = tg
    return tg


@lru_cache(maxsize=1)
def _pos_of_id() -> list[tuple[str, str, str]]:
    """(pos1, pos2, pos3) of every left context id (UniDic's left-id.def)."""
    out = []
    with open(Path(unidic_lite.DICDIR) / "left-id.def", encoding="utf-8") as f:
        for line in f:
            feature = line.rstrip("\n").split(" ", 1)[1].split(",")
            out.append((feature[0], feature[1], feature[2]))
    return out


def _tokens(window: str, offset: int) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """(start, end, surface, (pos1, pos2, pos3)) of each MeCab token of ``window``."""
    pos_of = _pos_of_id()
    out = []
    pos = 0
    for line in _surface_tagger().parse(window).split("\n"):
        surface, _, left_id = line.rpartition("\t")
        if not surface:
            continue
        i = window.find(surface, pos)
        if i < 0:
            break
        out.append((offset + i, offset + i + len(surface), surface, pos_of[int(left_id)]))
        pos = i + len(surface)
    return out


def _is_name(pos: tuple[str, ...]) -> bool:
    return pos[0] == "名詞" and pos[1] == "固有名詞" and pos[2] == "人名"


def _run_before(tokens, end: int) -> tuple[int, int] | None:
    """The run of 人名 tokens that ends at ``end`` (spaces between them allowed)."""
    run = None
    for start, stop, _, pos in reversed(tokens):
        if stop > end:
            continue
        if run is None and stop != end:
            return None
        if not _is_name(pos):
            break
        run = (start, run[1] if run else stop)
    return run


def _run_after(tokens, label: bool) -> tuple[int, int] | None:
    """The first run of 人名 tokens, past title words, separators and one 「の」; for a label,
    else the first one or two nouns."""
    run = None
    seen_no = False
    first_nouns: list[tuple[int, int]] = []
    for start, stop, surface, pos in tokens:
        if _is_name(pos):
            run = (run[0] if run else start, stop)
            continue
        if run:
            if pos[0] == "名詞" and run[1] == start:
                return None  # 「(株)大和証券」: a name-like word inside a company or place name
            break
        if pos[0] == "名詞" or pos[0] in ("補助記号", "空白", "記号", "接尾辞", "接頭辞"):
            if label and pos[1] == "固有名詞" and len(first_nouns) < 2 and (not first_nouns or first_nouns[-1][1] >= start - 1):
                first_nouns.append((start, stop))
            elif first_nouns:
                break
            continue
        if surface == "の" and not seen_no:
            seen_no = True
            continue
        break
    if run:
        return run
    if label and first_nouns:
        return first_nouns[0][0], first_nouns[-1][1]
    return None


def find_names(text: str) -> list[Span]:
    spans: list[Span] = []
    for kind, trigger, start, end in _triggers(text):
        if kind == "hon":
            if not start or not _NAME_CHAR.match(text, start - 1):
                continue
            line_start = text.rfind("\n", 0, start) + 1
            lo = max(line_start, start - WINDOW)
            run = _run_before(_tokens(text[lo:start], lo), start)
        else:
            skip = _SKIP_AFTER.match(text, end).end()
            if kind == "label":
                skip = _LABEL_PARTICLE.match(text, skip).end() if _LABEL_PARTICLE.match(text, skip) else skip
            nxt = text[skip : skip + 2]
            if nxt[:1] == "の":
                nxt = nxt[1:]
            if not nxt or nxt[0] in _NOT_AFTER_TITLE or not _NAME_CHAR.match(nxt):
                continue
            line_end = text.find("\n", skip)
            hi = min(line_end if line_end >= 0 else len(text), skip + WINDOW)
            run = _run_after(_tokens(text[skip:hi], skip), kind == "label")
        if run and run[1] > run[0]:
            spans.append(Span(run[0], run[1], "name", f"{'honorific' if kind == 'hon' else kind}:{trigger}"))
    return spans
