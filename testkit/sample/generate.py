"""Write kinyu's embedded sample corpus: ``python -m testkit.sample.generate [--out DIR]``.

The files under ``corpus/sample/data/`` are committed, so users need no reportlab; this script is
how they are made and how a test proves they are unchanged. The output is byte-for-byte
deterministic: PDFs are written by reportlab in invariant mode (fixed dates and document IDs,
uncompressed page streams), the gzip member has ``mtime=0``, and the junk bytes come from a
seeded RNG.

Besides the good documents (Japanese financial prose in PDF, HTML in UTF-8 / Shift_JIS / EUC-JP,
ISO-2022-JP and UTF-8 text, JSONL.gz) it writes the cases later stages must handle: an exact
duplicate, a near-duplicate, table-only pages, a navigation page, an English page, mojibake, a
table of contents, an encrypted PDF, a truncated PDF, an empty file and binary junk.
``MANIFEST.json`` lists every file with what the pipeline is expected to do with it.
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import html
import io
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from testkit.sample import texts as T

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "corpus" / "sample" / "data"  # the committed sample
MANIFEST_NAME = "MANIFEST.json"
ENCRYPTED_USER_PASSWORD = "kinyu-sample"  # documented so tests can open the encrypted PDF on purpose
NEAR_DUPLICATE_NGRAM = 5
JUNK_SEED = 20250314


# --------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------
@dataclass
class Entry:
    """One sample file and what the corpus pipeline should do with it."""

    file: str
    kind: str  # yuho | tanshin | togo | ir_news | market | table | navigation | english | mojibake | toc | ...
    format: str  # pdf | html | txt | jsonl.gz
    encoding: str | None  # Python codec of the bytes (None for PDFs and binary files)
    expect: str  # keep | quarantine:<kind> | drop:<kind> | exact_duplicate_of:<file> | near_duplicate_of:<file>
    title: str = ""
    declared_charset: str | None = None  # what the file itself declares (meta charset / XML declaration)
    documents: int = 1
    contains: list[str] = field(default_factory=list)  # sentences the extracted text must contain
    must_not_contain: list[str] = field(default_factory=list)  # strings extraction must leave out
    notes: str = ""
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        out = {
            "file": self.file,
            "kind": self.kind,
            "format": self.format,
            "encoding": self.encoding,
            "declared_charset": self.declared_charset,
            "expect": self.expect,
            "title": self.title,
            "documents": self.documents,
        }
        if self.contains:
            out["contains"] = self.contains
        if self.must_not_contain:
            out["must_not_contain"] = self.must_not_contain
        if self.notes:
            out["notes"] = self.notes
        out.update(self.extra)
        return out


_GROWTH = re.compile(r"(?:前期比|前年同期比|前年比)[0-9０-９.．]+％(?:増|減)の[0-9０-９,兆億万千百]+円")
_FIGURE = re.compile(r"[0-9０-９][0-9０-９,，.．]*\s*(?:％|%|円|億|万|兆|株|ポイント|倍|名|件)")


def key_sentence(text: str) -> str:
    """The first 「…前期比12.3％増の4,567億円…」 sentence, else the first with a figure, else the first.

    Those noun-heavy sentences are what the quality filters must keep. A leading label such as
    「（１）経営方針　」 is cut off at the last full-width space.
    """
    sentences = []
    for block in text.split("\n\n"):
        block = block.strip()
        if block and not block.startswith("# "):
            sentences += [s.strip() + "。" for s in block.replace("\n", "").split("。") if s.strip()]
    if not sentences:
        raise ValueError("no sentence in text")
    sentences = [s for s in sentences if s[0] not in "）」』】"] or sentences  # 。 inside brackets
    chosen = next(
        (s for s in sentences if _GROWTH.search(s)),
        next((s for s in sentences if _FIGURE.search(s)), sentences[0]),
    )
    return chosen.rsplit("　", 1)[-1] if "　" in chosen[:20] else chosen


def char_ngrams(text: str, n: int = NEAR_DUPLICATE_NGRAM) -> set[str]:
    """Character n-grams of the text with all whitespace removed."""
    s = re.sub(r"\s+", "", text)
    return {s[i : i + n] for i in range(max(len(s) - n + 1, 0))}


def jaccard(a: str, b: str, n: int = NEAR_DUPLICATE_NGRAM) -> float:
    ga, gb = char_ngrams(a, n), char_ngrams(b, n)
    return len(ga & gb) / len(ga | gb) if ga | gb else 1.0


# --------------------------------------------------------------------------------------------
# PDF writing (reportlab)
# --------------------------------------------------------------------------------------------
YUHO_RUNNING_HEADER = "株式会社みなと精機（Ｅ９９９０１）　有価証券報告書（第78期）"
MINCHO = "HeiseiMin-W3"
GOTHIC = "HeiseiKakuGo-W5"
MINCHO_VERTICAL = "HeiseiMin-W3-V"

# Characters that must not start a line (kinsoku): they hang at the end of the previous line
_NO_LINE_START = set("、。，．）」』】〕］％ー…・ぁぃぅぇぉっゃゅょァィゥェォッャュョ")
_TOKEN = re.compile(r"[0-9A-Za-z.,%＋\-]+|.", re.S)


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    registered = set(pdfmetrics.getRegisteredFontNames())
    for face in (MINCHO, GOTHIC):
        if face not in registered:
            pdfmetrics.registerFont(UnicodeCIDFont(face))
    if MINCHO_VERTICAL not in registered:
        # the vertical font has the same face name; give it its own registry name
        vertical = UnicodeCIDFont(MINCHO, isVertical=True)
        vertical.name = vertical.fontName = MINCHO_VERTICAL
        pdfmetrics.registerFont(vertical)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Hard-wrap Japanese text to ``width`` points: greedy, keeps ASCII runs whole, basic kinsoku."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token == "\n":
            lines.append(line)
            line = ""
            continue
        if line and stringWidth(line + token, font, size) > width and token[0] not in _NO_LINE_START:
            lines.append(line)
            line = ""
        line += token
    if line:
        lines.append(line)
    return lines


class FlowPdf:
    """A top-to-bottom A4 page flow with an optional running header and footer page numbers."""

    def __init__(
        self,
        title: str,
        *,
        running_header: str | None = None,
        first_page_number: int | None = None,
        encrypt=None,
        font_size: float = 10.5,
    ) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        _register_fonts()
        self.buf = io.BytesIO()
        self.canvas = canvas.Canvas(self.buf, pagesize=A4, invariant=1, pageCompression=0, encrypt=encrypt)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("kinyu sample corpus (fictional)")
        self.width, self.height = A4
        self.margin_x, self.margin_top, self.margin_bottom = 62.0, 72.0, 70.0
        self.font_size = font_size
        self.leading = font_size * 1.7
        self.running_header = running_header
        self.page_number = first_page_number
        self.y = 0.0
        self._page_open = False

    @property
    def text_width(self) -> float:
        return self.width - 2 * self.margin_x

    def _start_page(self) -> None:
        c = self.canvas
        if self.running_header:
            c.setFont(MINCHO, 8)
            c.drawRightString(self.width - self.margin_x, self.height - 40, self.running_header)
            c.setLineWidth(0.4)
            c.line(self.margin_x, self.height - 45, self.width - self.margin_x, self.height - 45)
        if self.page_number is not None:
            c.setFont(MINCHO, 9)
            c.drawCentredString(self.width / 2, 36, f"- {self.page_number} -")
            self.page_number += 1
        self.y = self.height - self.margin_top
        self._page_open = True

    def new_page(self) -> None:
        if self._page_open:
            self.canvas.showPage()
            self._page_open = False

    def _room(self, needed: float) -> None:
        if not self._page_open:
            self._start_page()
        elif self.y - needed < self.margin_bottom:
            self.new_page()
            self._start_page()

    def space(self, points: float) -> None:
        self.y -= points

    def line(self, text: str, *, font: str = MINCHO, size: float | None = None, align: str = "left",
             char_space: float = 0.0) -> None:
        size = size or self.font_size
        self._room(size * 1.7)
        c = self.canvas
        if char_space:
            from reportlab.pdfbase.pdfmetrics import stringWidth

            t = c.beginText()
            t.setFont(font, size)
            t.setCharSpace(char_space)
            w = stringWidth(text, font, size) + char_space * (len(text) - 1)
            x = {"left": self.margin_x, "center": (self.width - w) / 2,
                 "right": self.width - self.margin_x - w}[align]
            t.setTextOrigin(x, self.y - size)
            t.textOut(text)
            t.setCharSpace(0)  # Tc is graphics state: without this every later line is letter-spaced
            c.drawText(t)
        else:
            c.setFont(font, size)
            if align == "center":
                c.drawCentredString(self.width / 2, self.y - size, text)
            elif align == "right":
                c.drawRightString(self.width - self.margin_x, self.y - size, text)
            else:
                c.drawString(self.margin_x, self.y - size, text)
        self.y -= size * 1.7

    def heading(self, text: str, size: float = 12) -> None:
        self._room(size * 4)
        self.space(size * 0.5)
        self.line(text, font=GOTHIC, size=size)

    def paragraph(self, text: str, *, indent: bool = True) -> None:
        body = ("　" if indent and not text.startswith(("（", "①", "②", "③", "質問", "回答")) else "") + text
        for ln in wrap(body, MINCHO, self.font_size, self.text_width):
            self._room(self.leading)
            self.canvas.setFont(MINCHO, self.font_size)
            self.canvas.drawString(self.margin_x, self.y - self.font_size, ln)
            self.y -= self.leading
        self.y -= self.leading * 0.3

    def table_row(self, cells: list[str], xs: list[float], *, size: float = 8.5, font: str = MINCHO,
                  right_aligned_from: int = 1) -> None:
        """One row of a table drawn cell by cell (what PDF tables are: text at x positions)."""
        self._room(size * 2)
        c = self.canvas
        c.setFont(font, size)
        for i, (cell, x) in enumerate(zip(cells, xs)):
            if not cell:
                continue
            if i >= right_aligned_from:
                c.drawRightString(x, self.y - size, cell)
            else:
                c.drawString(x, self.y - size, cell)
        self.y -= size * 1.9

    def rule(self) -> None:
        self.canvas.setLineWidth(0.5)
        self.canvas.line(self.margin_x, self.y + 2, self.width - self.margin_x, self.y + 2)

    def document(self, doc: T.SampleText, *, with_title: bool = True) -> None:
        if with_title:
            for title_line in wrap(doc.title, GOTHIC, 14, self.text_width):
                self.line(title_line, font=GOTHIC, size=14, align="center")
            self.space(8)
        for kind, text in doc.blocks():
            if kind == "h":
                self.heading(text)
            else:
                self.paragraph(text)

    def finish(self) -> bytes:
        if not self._page_open:
            self._start_page()
        self.canvas.showPage()
        self.canvas.save()
        return self.buf.getvalue()


def pdf_flow(doc: T.SampleText, **kwargs) -> bytes:
    pdf = FlowPdf(doc.title, **kwargs)
    pdf.document(doc)
    return pdf.finish()


def pdf_yuho() -> bytes:
    """Multi-page 有報 extract: hard-wrapped lines, running header, page numbers from 12 (as in the TOC)."""
    doc = T.YUHO_MINATO
    pdf = FlowPdf(doc.title, running_header=YUHO_RUNNING_HEADER,
                  first_page_number=12)
    pdf.document(doc, with_title=False)
    return pdf.finish()


def pdf_toc() -> bytes:
    """The table of contents of the 有報, with dot leaders and page numbers."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pdf = FlowPdf("株式会社みなと精機　有価証券報告書　目次",
                  running_header=YUHO_RUNNING_HEADER)
    size = 10.5
    leader = "…"
    for raw in T.YUHO_MINATO_TOC.strip().splitlines():
        m = re.match(r"^(.*\S)\s+(\d+)$", raw)
        if not m:
            pdf.line(raw, font=GOTHIC, size=12 if raw == "目次" else size,
                     align="center" if raw in ("目次", "第78期　有価証券報告書") else ("right" if raw == "頁" else "left"))
            continue
        label, page = m.groups()
        indent = "　" if label[0] in "１２３４５６７８９" else ""
        label = indent + label
        free = pdf.text_width - stringWidth(label, MINCHO, size) - stringWidth(page, MINCHO, size) - 12
        dots = leader * max(int(free / stringWidth(leader, MINCHO, size)), 3)
        pdf.line(f"{label} {dots} {page}", size=size)
    return pdf.finish()


def pdf_vertical() -> bytes:
    """社長メッセージ set vertically (縦書き): columns from right to left, each read top to bottom."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_fonts()
    doc = T.TATEGAKI_MESSAGE
    width, height = A4
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=0)
    c.setTitle(doc.title)
    c.setAuthor("kinyu sample corpus (fictional)")
    size, pitch, top, bottom = 12.0, 21.0, height - 80, 80
    per_column = int((top - bottom) // size)
    x = width - 80
    c.setFont(MINCHO_VERTICAL, 18)
    c.drawString(x, top, doc.title)
    x -= 2 * pitch
    c.setFont(MINCHO_VERTICAL, size)
    for _, para in doc.blocks():
        body = para if para.startswith("代表取締役") else "　" + para
        column = ""
        columns = []
        for ch in body:
            if len(column) >= per_column and ch not in _NO_LINE_START:
                columns.append(column)
                column = ""
            column += ch
        columns.append(column)
        for col in columns:
            if x < 60:
                c.showPage()
                c.setFont(MINCHO_VERTICAL, size)
                x = width - 80
            c.drawString(x, top, col)
            x -= pitch
    c.showPage()
    c.save()
    return buf.getvalue()


def pdf_tanshin() -> bytes:
    """決算短信: letter-spaced title, summary tables drawn as text (table residue) mixed with prose."""
    doc = T.TANSHIN_SAKURA_PROSE
    pdf = FlowPdf(doc.title, first_page_number=1)
    pdf.line("2025年５月14日", align="right", size=9)
    pdf.line("2025年３月期　決算短信〔日本基準〕（連結）", font=GOTHIC, size=14, align="center", char_space=6)
    pdf.space(4)
    for text in (
        "上場会社名　さくら信託銀行株式会社　　　　　　　　　　　上場取引所　東",
        "コード番号　9999　　ＵＲＬ　https://www.sakura-shintaku.example/",
        "代　表　者　（役職名）取締役社長　　（氏名）桜井　誠",
        "定時株主総会開催予定日　2025年６月26日　　配当支払開始予定日　2025年６月27日",
        "特定取引勘定設置の有無　有　　決算補足説明資料作成の有無　有　　（百万円未満切捨て）",
    ):
        pdf.line(text, size=8.5)
    pdf.rule()
    pdf.line("１．2025年３月期の連結業績（2024年４月１日～2025年３月31日）", font=GOTHIC, size=9.5)
    pdf.line("（１）連結経営成績　　　　　　　　　　　　　　　　　　　　　（％表示は対前期増減率）", size=8.5)
    xs = [62, 215, 255, 335, 375, 480, 530]
    for row in T.TANSHIN_SUMMARY_ROWS:
        pdf.table_row(list(row), xs)
    pdf.line("（注）包括利益　2025年３月期　61,203百万円（18.4％）　2024年３月期　51,688百万円（△12.6％）", size=8)
    pdf.line("（２）連結財政状態", size=8.5)
    for row in (
        ("", "総資産", "純資産", "自己資本比率", "連結自己資本比率（国内基準）"),
        ("", "百万円", "百万円", "％", "％"),
        ("2025年３月期", "38,561,204", "2,418,330", "6.2", "12.84"),
        ("2024年３月期", "37,327,118", "2,301,927", "6.1", "12.61"),
    ):
        pdf.table_row(list(row), [62, 250, 340, 420, 530])
    pdf.line("（３）連結キャッシュ・フローの状況", size=8.5)
    for row in (
        ("", "営業活動による", "投資活動による", "財務活動による", "現金及び現金同等物"),
        ("", "キャッシュ・フロー", "キャッシュ・フロー", "キャッシュ・フロー", "期末残高"),
        ("2025年３月期", "812,455", "△1,234", "△31,870", "5,402,113"),
        ("2024年３月期", "△264,019", "188,403", "△29,552", "4,622,762"),
    ):
        pdf.table_row(list(row), [62, 250, 340, 430, 530])
    pdf.line("２．配当の状況", font=GOTHIC, size=9.5)
    for row in (
        ("", "第２四半期末", "期末", "合計", "配当金総額（合計）", "配当性向（連結）"),
        ("2024年３月期", "70.00", "80.00", "150.00", "26,815", "51.4"),
        ("2025年３月期", "75.00", "85.00", "160.00", "28,402", "51.8"),
    ):
        pdf.table_row(list(row), [62, 215, 275, 335, 440, 530])
    pdf.space(6)
    pdf.paragraph(
        "※ 業績予想の適切な利用に関する説明、その他特記事項　本資料に記載されている業績見通し等の将来に関する記述は、"
        "当社が現在入手している情報及び合理的であると判断する一定の前提に基づいており、実際の業績等は様々な要因により"
        "大きく異なる可能性があります。"
    )
    pdf.new_page()
    blocks = doc.blocks()
    for i, (kind, text) in enumerate(blocks):
        if kind == "h":
            pdf.heading(text)
        else:
            pdf.paragraph(text)
        if i == 3:  # a small table in the middle of the prose, as 決算短信 pages have
            pdf.line("【損益の内訳】　　　　　　　　　　　　　　　　　　（単位：億円）", size=8.5)
            for row in (
                ("", "前期", "当期", "増減"),
                ("資金利益", "958", "1,052", "94"),
                ("信託報酬", "581", "612", "31"),
                ("与信関係費用", "△175", "△187", "△12"),
            ):
                pdf.table_row(list(row), [90, 300, 380, 460])
            pdf.space(6)
    return pdf.finish()


def pdf_table_only() -> bytes:
    """A page that is only a financial table (連結損益計算書), drawn with a grid."""
    pdf = FlowPdf("株式会社みなと精機　連結損益計算書", running_header=YUHO_RUNNING_HEADER,
                  first_page_number=64)
    pdf.line("【連結損益計算書】", font=GOTHIC, size=10)
    pdf.line("（単位：百万円）", size=8.5, align="right")
    rows = [
        ("", "前連結会計年度", "当連結会計年度"),
        ("", "（自 2023年４月１日", "（自 2024年４月１日"),
        ("", "　至 2024年３月31日）", "　至 2025年３月31日）"),
        ("売上高", "114,644", "128,745"),
        ("売上原価", "82,213", "90,106"),
        ("売上総利益", "32,431", "38,639"),
        ("販売費及び一般管理費", "20,707", "24,737"),
        ("営業利益", "11,724", "13,902"),
        ("営業外収益", "", ""),
        ("　受取利息", "112", "145"),
        ("　受取配当金", "231", "264"),
        ("　為替差益", "418", "97"),
        ("　その他", "86", "92"),
        ("　営業外収益合計", "847", "598"),
        ("営業外費用", "", ""),
        ("　支払利息", "95", "121"),
        ("　その他", "147", "92"),
        ("　営業外費用合計", "242", "213"),
        ("経常利益", "12,329", "14,287"),
        ("特別損失", "", ""),
        ("　固定資産除却損", "64", "187"),
        ("税金等調整前当期純利益", "12,265", "14,100"),
        ("法人税、住民税及び事業税", "3,541", "4,012"),
        ("法人税等調整額", "△113", "△9"),
        ("当期純利益", "8,837", "10,097"),
        ("非支配株主に帰属する当期純利益", "200", "234"),
        ("親会社株主に帰属する当期純利益", "8,637", "9,863"),
    ]
    c = pdf.canvas
    for row in rows:
        top = pdf.y + 3
        pdf.table_row(list(row), [70, 400, 530], size=9)
        c.setLineWidth(0.3)
        c.line(pdf.margin_x, top, pdf.width - pdf.margin_x, top)
    c.line(pdf.margin_x, pdf.y + 3, pdf.width - pdf.margin_x, pdf.y + 3)
    return pdf.finish()


def pdf_encrypted() -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption(ENCRYPTED_USER_PASSWORD, ownerPassword="kinyu-sample-owner", strength=128)
    pdf = FlowPdf("取締役会資料（社外秘）", encrypt=enc)
    pdf.document(T.ENCRYPTED_MEMO)
    return pdf.finish()


def pdf_truncated() -> bytes:
    """A valid PDF cut roughly in half: no xref table, no trailer, no %%EOF."""
    whole = pdf_flow(T.TRUNCATED_SOURCE, first_page_number=1)
    return whole[: len(whole) // 2]


# --------------------------------------------------------------------------------------------
# HTML and text writing
# --------------------------------------------------------------------------------------------
def _blocks_html(doc: T.SampleText) -> str:
    out = []
    for kind, text in doc.blocks():
        tag = "h2" if kind == "h" else "p"
        out.append(f"    <{tag}>{html.escape(text, quote=False)}</{tag}>")
    return "\n".join(out)


def html_page(doc: T.SampleText, *, site: str, meta: str | None, lang: bool = True) -> str:
    """A plain corporate / broker page: a small header and footer around one article."""
    head_meta = f"  {meta}\n" if meta else ""
    lang_attr = ' lang="ja"' if lang else ""
    return (
        "<!DOCTYPE html>\n"
        f"<html{lang_attr}>\n<head>\n{head_meta}"
        f"  <title>{html.escape(doc.title)} | {html.escape(site)}</title>\n"
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "</head>\n<body>\n"
        '  <header class="site-header">\n'
        f'    <a class="logo" href="/">{html.escape(site)}</a>\n'
        '    <nav><ul><li><a href="/">ホーム</a></li><li><a href="/ir/">投資家情報</a></li>'
        '<li><a href="/news/">ニュース</a></li><li><a href="/contact/">お問い合わせ</a></li></ul></nav>\n'
        "  </header>\n"
        '  <main>\n  <article>\n'
        f"    <h1>{html.escape(doc.title, quote=False)}</h1>\n"
        f"{_blocks_html(doc)}\n"
        "  </article>\n  </main>\n"
        f'  <footer><p>Copyright &copy; 2025 {html.escape(site)} All Rights Reserved.</p></footer>\n'
        "</body>\n</html>\n"
    )


IXBRL_HIDDEN_MARKERS = ["E99902-000", "Japan GAAP", "2024-04-01", "CurrentYearDuration", "xbrli:context"]


def ixbrl_page(doc: T.SampleText) -> str:
    """EDINET-like inline XBRL (XHTML): the ix:header sits in a display:none div and must not be text."""
    blocks = doc.blocks()
    body = []
    for kind, text in blocks:
        esc = html.escape(text, quote=False)
        if kind == "h":
            body.append(f'<p class="smt_head2" style="font-weight:bold;">{esc}</p>')
        else:
            body.append(f'<p class="smt_text6" style="margin-left:10px;">{esc}</p>')
    text_block = "\n".join(body)
    # tag the directors' pay total as a number, as EDINET filings do
    text_block = text_block.replace(
        "報酬等の総額は３億12百万円",
        '報酬等の総額は<ix:nonFraction name="jpcrp_cor:TotalAmountOfRemunerationEtcDirectors" '
        'contextRef="CurrentYearDuration" unitRef="JPY" decimals="-6" scale="6" format="ixt:num-dot-decimal">312'
        "</ix:nonFraction>百万円（３億12百万円）",
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:ix="http://www.xbrl.org/2013/inlineXBRL" '
        'xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:ixt="http://www.xbrl.org/inlineXBRL/transformation/2020-02-12" '
        'xmlns:jpcrp_cor="http://disclosure.edinet-fsa.go.jp/taxonomy/jpcrp/2024-11-01/jpcrp_cor" '
        'xmlns:iso4217="http://www.xbrl.org/2003/iso4217" xmlns:link="http://www.xbrl.org/2003/linkbase" '
        'xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        "<head>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
        f"<title>{html.escape(doc.title)}</title>\n"
        '<style type="text/css">.smt_head2{font-size:11pt;} .smt_text6{font-size:10.5pt;}</style>\n'
        "</head>\n<body>\n"
        '<div style="display:none">\n<ix:header>\n'
        "<ix:hidden>\n"
        '<ix:nonNumeric name="jpcrp_cor:DocumentTypeDeiCover" contextRef="FilingDateInstant">有価証券報告書</ix:nonNumeric>\n'
        '<ix:nonNumeric name="jpdei_cor:EDINETCodeDEI" contextRef="FilingDateInstant">E99902</ix:nonNumeric>\n'
        '<ix:nonNumeric name="jpdei_cor:AccountingStandardsDEI" contextRef="FilingDateInstant">Japan GAAP</ix:nonNumeric>\n'
        "</ix:hidden>\n"
        "<ix:references>\n"
        '<link:schemaRef xlink:type="simple" xlink:href="jpcrp030000-asr-001_E99902-000_2025-03-31_01_2025-06-20.xsd" />\n'
        "</ix:references>\n"
        "<ix:resources>\n"
        '<xbrli:context id="CurrentYearDuration"><xbrli:entity><xbrli:identifier scheme="http://disclosure.edinet-fsa.go.jp">'
        "E99902-000</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:startDate>2024-04-01</xbrli:startDate>"
        "<xbrli:endDate>2025-03-31</xbrli:endDate></xbrli:period></xbrli:context>\n"
        '<xbrli:context id="FilingDateInstant"><xbrli:entity><xbrli:identifier scheme="http://disclosure.edinet-fsa.go.jp">'
        "E99902-000</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:instant>2025-06-20</xbrli:instant>"
        "</xbrli:period></xbrli:context>\n"
        '<xbrli:unit id="JPY"><xbrli:measure>iso4217:JPY</xbrli:measure></xbrli:unit>\n'
        "</ix:resources>\n"
        "</ix:header>\n</div>\n"
        f'<h1 class="smt_head1">{html.escape(doc.title, quote=False)}</h1>\n'
        '<ix:nonNumeric name="jpcrp_cor:OverviewOfCorporateGovernanceTextBlock" contextRef="FilingDateInstant" escape="true">\n'
        f"{text_block}\n"
        "</ix:nonNumeric>\n"
        "</body>\n</html>\n"
    )


def table_only_page() -> str:
    rows = [
        ("セグメント", "売上高（前期）", "売上高（当期）", "増減率", "セグメント利益（前期）", "セグメント利益（当期）"),
        ("食品原料", "168,372", "184,201", "9.4％", "5,486", "6,100"),
        ("化学品", "136,732", "162,301", "18.7％", "6,482", "8,200"),
        ("機械設備", "102,131", "110,204", "7.9％", "3,612", "3,500"),
        ("調整額", "△925", "△106", "－", "△1,820", "△2,000"),
        ("合計", "406,310", "456,600", "12.4％", "13,760", "15,800"),
    ]
    head = "".join(f"<th>{c}</th>" for c in rows[0])
    body = "\n".join("      <tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows[1:])
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n  <meta charset="utf-8">\n'
        "  <title>セグメント情報</title>\n</head>\n<body>\n"
        '  <table class="financial" border="1">\n'
        "    <caption>（単位：百万円）</caption>\n"
        f"    <thead><tr>{head}</tr></thead>\n    <tbody>\n{body}\n    </tbody>\n  </table>\n"
        "</body>\n</html>\n"
    )


def navigation_page() -> str:
    menu = ["ホーム", "商品・サービス", "株式", "投資信託", "債券", "ＮＩＳＡ", "ｉＤｅＣｏ", "マーケット情報",
            "口座開設", "ログイン", "よくあるご質問", "店舗・ＡＴＭ", "お問い合わせ"]
    items = "\n".join(f'      <li><a href="/menu/{i}/">{m}</a></li>' for i, m in enumerate(menu))
    footer = ["会社概要", "サイトマップ", "プライバシーポリシー", "勧誘方針", "反社会的勢力に対する基本方針",
              "金融商品取引法に基づく表示事項", "ご利用上の注意", "English"]
    flinks = " | ".join(f'<a href="/f/{i}/">{m}</a>' for i, m in enumerate(footer))
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n  <meta charset="utf-8">\n'
        "  <title>いちょう証券 | トップページ</title>\n</head>\n<body>\n"
        '  <div id="cookie-banner">当サイトでは、利便性の向上及びアクセス解析のためにクッキー（Cookie）を使用しています。'
        "サイトの閲覧を続けることで、クッキーの使用に同意したものとみなします。"
        '<button>同意する</button> <a href="/cookie/">詳しくはこちら</a></div>\n'
        '  <header>\n    <a href="/">いちょう証券</a>\n    <ul class="global-nav">\n'
        f"{items}\n    </ul>\n"
        '    <form action="/search"><input type="text" name="q" placeholder="サイト内検索"><button>検索</button></form>\n'
        "  </header>\n"
        '  <nav class="breadcrumb"><a href="/">ホーム</a> &gt; トップページ</nav>\n'
        '  <ul class="banners">\n'
        '    <li><a href="/campaign/">新規口座開設キャンペーン実施中</a></li>\n'
        '    <li><a href="/app/">スマホアプリはこちら</a></li>\n'
        '    <li><a href="/login/">ログイン</a></li>\n'
        '    <li><a href="/news/">お知らせ一覧</a></li>\n'
        "  </ul>\n"
        '  <p class="top-link"><a href="#top">ページの先頭へ戻る</a></p>\n'
        f"  <footer>\n    <p>{flinks}</p>\n"
        "    <p>いちょう証券株式会社　金融商品取引業者　関東財務局長（金商）第9999号</p>\n"
        "    <p>Copyright &copy; Icho Securities Co., Ltd. All Rights Reserved.</p>\n  </footer>\n"
        "</body>\n</html>\n"
    )


def english_page() -> str:
    paras = T.ENGLISH_NEWS.strip().split("\n\n")
    title, body = paras[0], paras[1:]
    ps = "\n".join(f"    <p>{html.escape(p, quote=False)}</p>" for p in body)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
        f"  <title>{html.escape(title)}</title>\n</head>\n<body>\n  <article>\n"
        f"    <h1>{html.escape(title, quote=False)}</h1>\n{ps}\n  </article>\n</body>\n</html>\n"
    )


def sloppy_cp1252(data: bytes) -> str:
    """Decode bytes as Windows-1252 the way sloppy software does: undefined bytes become Latin-1."""
    out = []
    for b in data:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def mojibake_utf8_as_cp1252(text: str) -> str:
    """UTF-8 bytes read as cp1252 and saved again as UTF-8: 「株式会社」 -> 「æ ªå¼ä¼šç¤¾」."""
    return sloppy_cp1252(text.encode("utf-8"))


def mojibake_replacement(text: str) -> str:
    """Shift_JIS bytes read as UTF-8 with errors='replace': Japanese turns into U+FFFD runs."""
    return text.encode("cp932").decode("utf-8", errors="replace")


def mojibake_half_sjis(text: str) -> str:
    """The first paragraph decoded right, the rest Shift_JIS read as cp1252 (half-decoded page)."""
    paras = text.strip().split("\n\n")
    good, bad = paras[0], paras[1:]
    garbled = [sloppy_cp1252(p.encode("cp932")) for p in bad]
    ps = "\n".join(f"    <p>{html.escape(p, quote=False)}</p>" for p in [good, *garbled])
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n  <meta charset="utf-8">\n'
        "  <title>マーケットレポート</title>\n</head>\n<body>\n"
        f"{ps}\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# The sample set
# --------------------------------------------------------------------------------------------
TXT_DOCS = [
    T.KESSAN_KAEDE, T.SEGMENT_HOSHIZORA, T.ZAISEI_AOBA, T.MARKET_YEN, T.MARKET_BOND, T.MARKET_REIT,
    T.IR_ZOUHAI_KODAMA, T.IR_CHUKI_SUZURAN, T.TOGO_JINTEKI_MIZUNARA, T.TOGO_TCFD_NAGISA, T.JIGYO_WAKABA,
    T.BANK_HANAMIZUKI, T.RISK_HANAMIZUKI, T.FUND_TANPOPO, T.JIGYO_HIBARI, T.MARKET_US, T.TANSHIN_KOMOREBI,
    T.IR_GENSON_HOSHIZORA, T.MARKET_BOJ, T.FUND_GAIKOKU, T.KADAI_SAKURA, T.Q1_AOBA, T.MARKET_COMMODITY,
    T.GREENBOND_NAGISA,
]
HTML_UTF8_META = [(T.MARKET_ICHO_DAILY, "いちょう証券"), (T.MA_KOTORI, "ことり物産株式会社"),
                  (T.RND_KOHAKU, "こはく電子株式会社"), (T.KESSAN_ICHO, "いちょう証券"),
                  (T.TOGO_MATERIALITY_KAEDE, "かえで商事株式会社"), (T.PBR_TSUBAME, "つばめ運輸株式会社")]
# the planted values of texts/toiawase_hanamizuki.txt (after NFKC), and what the build must make of them
PLANTED_PII = ["4817263", "090-3812-5527", "hanako.yamamoto@example.jp", "4111 1111 1111 1111", "472918364055",
               "〒980-0811", "一番町3丁目5番12号"]  # fmt: skip
PLANTED_PII_EXPECT = {
    "placeholders": ["<口座番号>", "<電話番号>", "<メール>", "<カード番号>", "<マイナンバー>", "<住所>"],
    "kept": ["0120-874-310", "宮城県仙台市青葉区中央二丁目1番1号", "6370001004251", "山本花子", "佐々木"],
    "counts": {"address": 2, "bank_account": 1, "card": 1, "email": 1, "my_number": 1, "name": 2, "phone": 2},
}
HTML_UTF8_NO_CHARSET = [(T.HAITO_KUSUNOKI, "くすのきホールディングス"), (T.QA_HOSHIZORA, "ほしぞら電機株式会社")]


def build() -> tuple[dict[str, bytes], list[Entry]]:
    """Every sample file's bytes, and its manifest entry."""
    files: dict[str, bytes] = {}
    entries: list[Entry] = []

    def add(name: str, data: bytes, entry: Entry) -> None:
        if name in files:
            raise ValueError(f"duplicate sample file name {name}")
        files[name] = data
        entries.append(entry)

    def keep(doc: T.SampleText, fmt: str, encoding: str | None, declared: str | None, notes: str = "",
             ext: str | None = None, data: bytes | None = None, **kw) -> str:
        name = f"{doc.name}.{ext or fmt}"
        add(name, data, Entry(name, doc.genre, fmt, encoding, "keep", doc.title, declared,
                              contains=[key_sentence(doc.body)], notes=notes, **kw))
        return name

    # PDFs
    keep(T.YUHO_MINATO, "pdf", None, None, data=pdf_yuho(),
         notes="multi-page; hard-wrapped lines, running header and footer page numbers (- 12 - ...) on every page")
    keep(T.TATEGAKI_MESSAGE, "pdf", None, None, data=pdf_vertical(),
         notes="vertical writing (縦書き): read with pdfminer LAParams(detect_vertical=True)")
    keep(T.TANSHIN_SAKURA_PROSE, "pdf", None, None, data=pdf_tanshin(),
         notes="letter-spaced title (決 算 短 信 〔 日 本 基 準 〕); summary-table residue lines (△1,234) mixed with prose")
    keep(T.IR_JISHA_HIBARI, "pdf", None, None, data=pdf_flow(T.IR_JISHA_HIBARI))
    keep(T.IR_SHUSEI_AOBA, "pdf", None, None, data=pdf_flow(T.IR_SHUSEI_AOBA))
    keep(T.TOGO_SHIRAKABA, "pdf", None, None, data=pdf_flow(T.TOGO_SHIRAKABA, first_page_number=1))
    keep(T.TOGO_HANAMIZUKI, "pdf", None, None, data=pdf_flow(T.TOGO_HANAMIZUKI, first_page_number=1))
    keep(T.CFO_YAMABIKO, "pdf", None, None, data=pdf_flow(T.CFO_YAMABIKO, first_page_number=28))
    keep(T.YUHO_SETSUBI_MINATO, "pdf", None, None,
         data=pdf_flow(T.YUHO_SETSUBI_MINATO, running_header=YUHO_RUNNING_HEADER, first_page_number=32))

    # HTML in UTF-8, with and without a charset declaration; EDINET-like inline XBRL
    for doc, site in HTML_UTF8_META:
        keep(doc, "html", "utf-8", "utf-8",
             data=html_page(doc, site=site, meta='<meta charset="utf-8">').encode("utf-8"))
    for doc, site in HTML_UTF8_NO_CHARSET:
        keep(doc, "html", "utf-8", None, data=html_page(doc, site=site, meta=None).encode("utf-8"),
             notes="UTF-8 with no charset declaration anywhere")
    keep(T.GOVERNANCE_TSUBAME, "html", "utf-8", "utf-8", ext="htm", data=ixbrl_page(T.GOVERNANCE_TSUBAME).encode("utf-8"),
         must_not_contain=IXBRL_HIDDEN_MARKERS,
         notes="EDINET-like inline XBRL (XHTML); the ix:header in a display:none div is XBRL context, not text")

    # a customer-voice page with planted personal data (fictional): the quality.pii step masks it,
    # keeps the bank's own toll-free number, head-office address and 法人番号, and counts the names
    keep(T.TOIAWASE_HANAMIZUKI, "html", "utf-8", "utf-8",
         data=html_page(T.TOIAWASE_HANAMIZUKI, site="はなみずき銀行", meta='<meta charset="utf-8">').encode("utf-8"),
         must_not_contain=PLANTED_PII, extra={"pii": PLANTED_PII_EXPECT},
         notes="planted personal data: phone, e-mail, My Number, card, bank account, street address are masked; "
               "the bank's 0120 number, head-office address and 法人番号 stay; the names are counted (tag)")

    # Shift_JIS (cp932, what Japanese sites labelled Shift_JIS really use), EUC-JP, ISO-2022-JP
    meta_sjis = '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    keep(T.RISK_KOHAKU, "html", "cp932", "Shift_JIS",
         data=html_page(T.RISK_KOHAKU, site="こはく電子株式会社", meta=meta_sjis).encode("cp932"))
    keep(T.JUGYOIN_HIBARI, "html", "cp932", "Shift_JIS",
         data=html_page(T.JUGYOIN_HIBARI, site="ひばり食品株式会社", meta='<meta charset="Shift_JIS">').encode("cp932"))
    keep(T.CF_YAMABIKO, "html", "cp932", None,
         data=html_page(T.CF_YAMABIKO, site="やまびこ通信株式会社", meta=None, lang=False).encode("cp932"),
         notes="Shift_JIS with no charset declaration and no lang attribute: the encoding must be detected")
    keep(T.MARKET_EUC_WEEKLY, "html", "euc_jp", "EUC-JP",
         data=html_page(T.MARKET_EUC_WEEKLY, site="いちょう証券", meta='<meta charset="EUC-JP">').encode("euc_jp"))
    keep(T.IR_BUNKATSU_KOHAKU, "html", "euc_jp", None, ext="html",
         data=html_page(T.IR_BUNKATSU_KOHAKU, site="こはく電子株式会社", meta=None).encode("euc_jp"),
         notes="EUC-JP with no charset declaration: the encoding must be detected")
    keep(T.ISO2022_NEWS, "txt", "iso2022_jp", None, data=T.ISO2022_NEWS.plain().encode("iso2022_jp"),
         notes="ISO-2022-JP (JIS) text, as Japanese e-mail is sent")

    # plain UTF-8 text
    for doc in TXT_DOCS:
        keep(doc, "txt", "utf-8", None, data=doc.plain().encode("utf-8"))

    # JSONL.gz, a few records
    lines = "".join(
        json.dumps({"id": f"market-flash-{i:02d}", "text": t}, ensure_ascii=False) + "\n"
        for i, t in enumerate(T.JSONL_RECORDS)
    )
    add("market_flash.jsonl.gz", gzip.compress(lines.encode("utf-8"), compresslevel=9, mtime=0),
        Entry("market_flash.jsonl.gz", "market", "jsonl.gz", "utf-8", "keep", "市況速報", None,
              documents=len(T.JSONL_RECORDS), contains=[key_sentence(T.JSONL_RECORDS[0])],
              notes='one {"id", "text"} record per line, gzip'))

    # exact duplicate: the bond comment copied under another name
    original = f"{T.MARKET_BOND.name}.txt"
    add("market_bond_comment_copy.txt", files[original],
        Entry("market_bond_comment_copy.txt", "duplicate", "txt", "utf-8", f"exact_duplicate_of:{original}",
              T.MARKET_BOND.title, notes="byte-identical copy"))

    # near duplicate: the かえで商事 summary with a few sentences edited
    original_text = T.KESSAN_KAEDE.plain()
    edited = original_text
    for old, new in T.KESSAN_KAEDE_EDITS:
        if old not in edited:
            raise ValueError(f"near-duplicate edit not found: {old}")
        edited = edited.replace(old, new)
    score = jaccard(original_text, edited)
    if score < 0.8:
        raise ValueError(f"near-duplicate Jaccard {score:.3f} < 0.8")
    original = f"{T.KESSAN_KAEDE.name}.txt"
    add("kessan_kaede_shoji_gaikyo_rev.txt", edited.encode("utf-8"),
        Entry("kessan_kaede_shoji_gaikyo_rev.txt", "near_duplicate", "txt", "utf-8",
              f"near_duplicate_of:{original}", T.KESSAN_KAEDE.title,
              notes=f"{len(T.KESSAN_KAEDE_EDITS)} sentences edited",
              extra={"jaccard_char5": round(score, 4)}))

    # pages a quality filter must drop
    # a table page is kept as a table (kinyu.corpus.tables): a header, labelled rows of figures
    add("table_kaede_segment.html", table_only_page().encode("utf-8"),
        Entry("table_kaede_segment.html", "table", "html", "utf-8", "keep", "セグメント情報", "utf-8",
              contains=["食品原料"], notes="only an HTML table of figures, kept as a Markdown table"))
    add("table_minato_pl.pdf", pdf_table_only(),
        Entry("table_minato_pl.pdf", "table", "pdf", None, "keep", "連結損益計算書",
              contains=["親会社株主に帰属する当期純利益"],
              notes="a PDF page of only a financial table (連結損益計算書), kept as a Markdown table (extract.pdf_tables)"))
    add("yuho_minato_seiki_mokuji.pdf", pdf_toc(),
        Entry("yuho_minato_seiki_mokuji.pdf", "toc", "pdf", None, "drop:toc", "目次",
              notes="table of contents with dot leaders (第２【事業の状況】 ……… 12)"))
    add("nav_icho_securities_top.html", navigation_page().encode("utf-8"),
        Entry("nav_icho_securities_top.html", "navigation", "html", "utf-8", "drop:navigation",
              "いちょう証券 | トップページ", "utf-8", notes="menus, cookie banner, footer links, copyright; no article"))
    add("english_minato_results.html", english_page().encode("utf-8"),
        Entry("english_minato_results.html", "english", "html", "utf-8", "drop:english",
              T.ENGLISH_NEWS.strip().split("\n\n")[0], "utf-8", notes="English financial news"))
    add("mojibake_utf8_as_cp1252.txt", mojibake_utf8_as_cp1252(T.MOJIBAKE_SOURCES[0]).encode("utf-8"),
        Entry("mojibake_utf8_as_cp1252.txt", "mojibake", "txt", "utf-8", "drop:mojibake",
              notes="UTF-8 bytes decoded as cp1252 (Latin-1 for undefined bytes) and saved again as UTF-8"))
    add("mojibake_replacement_chars.txt", mojibake_replacement(T.MOJIBAKE_SOURCES[1]).encode("utf-8"),
        Entry("mojibake_replacement_chars.txt", "mojibake", "txt", "utf-8", "drop:mojibake",
              notes="Shift_JIS decoded as UTF-8 with errors='replace': runs of U+FFFD"))
    add("mojibake_half_sjis.html", mojibake_half_sjis(T.MOJIBAKE_SOURCES[2]).encode("utf-8"),
        Entry("mojibake_half_sjis.html", "mojibake", "html", "utf-8", "drop:mojibake", "マーケットレポート", "utf-8",
              notes="first paragraph right, the rest Shift_JIS bytes shown as cp1252"))

    # files to quarantine
    add("encrypted_board_materials.pdf", pdf_encrypted(),
        Entry("encrypted_board_materials.pdf", "encrypted", "pdf", None, "quarantine:encrypted",
              notes=f"RC4-128 encrypted with user password {ENCRYPTED_USER_PASSWORD!r}",
              extra={"user_password": ENCRYPTED_USER_PASSWORD}))
    add("truncated_report.pdf", pdf_truncated(),
        Entry("truncated_report.pdf", "truncated", "pdf", None, "quarantine:corrupt",
              notes="the first half of a valid PDF's bytes (no xref, no trailer, no %%EOF)"))
    add("bom_utf8_sjis_body.txt", codecs.BOM_UTF8 + T.UNDECODABLE_SOURCE.encode("cp932"),
        Entry("bom_utf8_sjis_body.txt", "undecodable", "txt", None, "quarantine:undecodable",
              notes="a UTF-8 byte-order mark in front of a Shift_JIS body: the bytes contradict their own BOM"))
    add("empty.html", b"", Entry("empty.html", "empty", "html", None, "quarantine:empty", notes="0 bytes"))
    junk = random.Random(JUNK_SEED).randbytes(4096)
    add("junk.html", junk, Entry("junk.html", "binary", "html", None, "quarantine:binary",
                                 notes=f"4096 random bytes (random.Random({JUNK_SEED})) with an .html name"))
    return files, entries


def manifest_json(entries: list[Entry]) -> bytes:
    from reportlab import Version as reportlab_version

    manifest = {
        "description": "kinyu sample corpus: fictional Japanese financial documents written for kinyu, "
        "plus the broken and off-topic files the pipeline must handle. Regenerate with "
        "`python -m testkit.sample.generate`.",
        "pdf_producer": f"reportlab {reportlab_version}",
        "files": [e.as_json() for e in sorted(entries, key=lambda e: e.file)],
    }
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write(out: Path) -> dict[str, bytes]:
    """Write every sample file plus MANIFEST.json into ``out``.

    Files that an earlier manifest in ``out`` listed but this run no longer makes are removed;
    nothing else in ``out`` is touched.
    """
    files, entries = build()
    files[MANIFEST_NAME] = manifest_json(entries)
    out.mkdir(parents=True, exist_ok=True)
    previous = out / MANIFEST_NAME
    if previous.is_file():
        for item in json.loads(previous.read_text(encoding="utf-8")).get("files", []):
            stale = out / item["file"]
            if item["file"] not in files and stale.parent == out and stale.is_file():
                stale.unlink()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testkit.sample.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        import reportlab  # noqa: F401
    except ImportError:
        print("error: the sample generator needs reportlab (pip install 'kinyu[test]')", file=sys.stderr)
        return 2
    files = write(args.out)
    manifest = json.loads(files[MANIFEST_NAME])
    for e in manifest["files"]:
        print(f"{len(files[e['file']]):>8}  {e['file']:<48} {e['expect']}")
        if "jaccard_char5" in e:
            print(f"{'':>8}  character-5-gram Jaccard vs {e['expect'].split(':', 1)[1]}: {e['jaccard_char5']:.4f}")
    total = sum(len(b) for b in files.values())
    print(f"{len(files)} files, {total:,} bytes -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
