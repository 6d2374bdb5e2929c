"""Line-level cleaning inside kept documents: drop table residue, TOC lines, keyword lists,
navigation and boilerplate lines, PDF layout residue, template placeholders and bare URLs, keep
the prose around them.

Every rule spares a line that holds a predicate (動詞・助動詞・形容詞, from the document's one
MeCab parse), except the boilerplate, layout-residue, placeholder and URL rules: table cells, TOC entries, keyword lists and menus
are nominal, while a prose line — however short or number-heavy, like
「売上高は前期比12.3%増の4,567億円となりました。」 or 「該当事項はありません。」 — has a
predicate. Headings (「(1)市場リスク」, 「第三条 (目的)」) have none but match none of the rules.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.corpus.filters.analysis import CHAR_INDEX, IS_PARTICLE, IS_PREDICATE, get_analysis, set_analysis, signals
from kinyu.corpus.filters.annotate import update_quality
from kinyu.base.config import option
from kinyu.corpus.tables import filled_share, header_labels, labelled_share

# TOC: a dot/line leader, then a page number at the end of the line (「第2 事業の状況 ……… 12」;
# NFKC turns … into ...).
RE_TOC = re.compile(
    r"(?:\.{3,}|…{2,}|‥{2,}|・{3,}|･{3,}|·{3,}|-{4,}|―{2,}|─{2,}|_{3,})\s*(?:\d{1,4}|[ivxlcIVXLC]{1,6})\s*$"
)
# a table cell that is a number, with sign and unit: 「△1,234」「12.3%」「100株」「-」
RE_NUMERIC_CELL = re.compile(r"^(?:[△▲+\-−]?[\d,.]+(?:%|円|千円|百万円|億円|株|千株|人|件|倍|年|月|日|期|点)?|[-―])$")
# Template placeholders: a long run of dots or 「・」 that ends the line or a table cell (the EDINET
# sample instances write 「当社は、.......................。」 and 「(注)3.........」). Text after the run
# makes it a leader instead: a glossary in chABSA writes 「VD..........ディテクタ(Voltage
# Ditector)。」, a TOC 「事業の状況 ........ 12」. Ten: an ellipsis 「……」 is six dots after NFKC.
RE_PLACEHOLDER = re.compile(r"[.・･…‥]{10,}[\s。、)」]*(?:\||$)")
_PLACEHOLDER_KEYS = ("..........", "・・・・・・・・・・", "･･････････", "…………", "‥‥‥‥")
# Layout residue of PDFs: furigana printed beside a kanji (「じよくそう」「くう」「ふん」), item
# markers or page numbers left alone on a line (「(III)」「(3)」「(」「12」) and single characters
# (the kanji under the furigana, 「褥」).
RE_MARKER_ONLY = re.compile(r"^[(\[(]?\s*(?:\d{1,4}|[ivxlcIVXLC]{1,6}|[一二三四五六七八九十]{1,3})?\s*[)\])]?$")
RE_HIRAGANA_ONLY = re.compile(r"^[\u3041-\u309f]+$")
RE_HIRAGANA_CHAR = re.compile(r"[\u3041-\u309f]")
LAYOUT_RESIDUE_MAX_CHARS = 6
RE_URL_LINE = re.compile(r"^(?:https?://|www\.)\S+$")
RE_ITEM_SEPARATORS = re.compile(r"[、,/|・:;#\s]+")
NAV_WORDS = (
    "ホーム|トップページ|トップ|トップへ戻る|ページの先頭へ|ページの先頭へ戻る|ページトップへ|ページトップ|先頭へ戻る|"
    "前へ|次へ|前のページ|次のページ|一覧へ戻る|一覧に戻る|一覧を見る|もっと見る|続きを読む|詳しくはこちら|"
    "メニュー|閉じる|検索|サイトマップ|お問い合わせ|お問合せ|ログイン|ログアウト|新規登録|会員登録|"
    "English|日本語|印刷|印刷する|シェア|ツイート|いいね|戻る|Menu|MENU|Home|HOME|Top|TOP|Share|Print|Search|Login"
)
RE_NAV_LINE = re.compile(f"^(?:{NAV_WORDS})(?:[\\s|/・>»›]+(?:{NAV_WORDS}))*$")
RE_NAV_WORD = re.compile(f"(?:^|[\\s|/・>»›])(?:{NAV_WORDS})(?=$|[\\s|/・>»›])")
_NAV_KEYS = tuple(sorted(set(NAV_WORDS.split("|"))))
# every match of RE_BOILERPLATE contains one of these (case variants included)
_BOILERPLATE_KEYS = (
    "©", "(c)", "(C)", "opyright", "OPYRIGHT", "ll rights", "LL RIGHTS", "ll Rights", "無断", "ookie", "OOKIE",
    "クッキー", "avascript", "avaScript", "AVASCRIPT", "でシェア", "で共有", "で送る", "ブックマークする", "この記事をシェア",
)  # fmt: skip
RE_BOILERPLATE = re.compile(
    r"©|\(c\)\s*\d{4}|copyright|all rights reserved|無断転載|無断複製|無断転用"
    r"|(?:cookie|クッキー).{0,40}(?:使用|利用|同意|設定|受け入れ|許可)"
    r"|javascript.{0,20}(?:有効|無効|オン|オフ|enable|disable)"
    r"|(?:twitter|facebook|line|x)で(?:シェア|共有|送る)|ブックマークする|この記事をシェア",
    re.IGNORECASE,
)



@dataclass
class LineCleanConfig:
    """Thresholds of the line cleaner (each reason can be switched off).

    Defaults were set on the shared real data (benchmarks/filters_thresholds.py,
    tests/test_filters_real.py): of the 230 chABSA company documents (6,119 sentences) one line
    is removed (a 「Copyright© …」 attribution), while the EDINET sections lose 2-700 table
    rows each.
    """

    enabled: bool = option(True, "run the line cleaner")
    # A Markdown table as the extractors write it (kinyu.corpus.tables: a header line, a
    # separator, rows of one column count) is judged as a table, whole: kept when its rows carry
    # labels, dropped as table_no_labels when they do not (a run of bare figures). Its lines are
    # never judged as prose lines or as residue. On filings-u4 valid the residue rules removed
    # the rows of 97 % of the U4 gold cells (benchmarks/tables.py).
    keep_tables: bool = option(True, "keep well-formed tables whole (header, separator, labelled rows); false: their lines are judged line by line")
    # share of a table's rows whose first cell is a label (text, not a figure): a statement's
    # rows all have one; a block of bare figures has none. A table read by columns, one row of
    # figures under a header that names them (従業員数/平均年齢/…, sales by region), has its
    # labels in the header and is kept (filings-u4 valid: 19 such tables were dropped at first)
    table_min_labelled_share: float = option(0.5, "tables whose rows have labels less often than this are dropped as table_no_labels")
    # share of a table's rows with something beside their label (a figure, a second cell, a
    # clause of prose): a statement's heading rows (「流動資産」) have nothing, its other rows
    # their figures; an empty form or a template's statement (the EDINET sample instances) has
    # labels or dashes only. 0.2, not 0.5: a 株主資本等変動計算書 or a statement under many
    # headings has filled rows in 0.33-0.47 of its rows (filings-u4 valid: 9 of 10 tables dropped
    # at 0.5 were such real tables; the 10th, a heading over a unit, is still dropped)
    table_min_filled_share: float = option(0.2, "tables whose rows have something beside their label less often than this are dropped as table_empty")
    drop_table_residue: bool = option(True, "remove table rows and number/unit residue lines")
    drop_toc: bool = option(True, "remove dot-leader table-of-contents lines")
    drop_keyword_lists: bool = option(True, "remove keyword/issuer list lines")
    drop_navigation: bool = option(True, "remove menus, breadcrumbs and navigation words")
    drop_boilerplate: bool = option(True, "remove short copyright/cookie/JavaScript/share lines")
    drop_duplicate_table_rows: bool = option(True, "remove repeated table rows (kept once)")
    drop_duplicate_lines: bool = option(True, "remove repeated prose lines of at least duplicate_line_min_chars (kept once)")
    # A sentence this long said twice in one document is a repetition, not emphasis: SMFG's 第4
    # sections restate the same stock-option conditions for 7 series (0.45-0.52 of their lines)
    # and were dropped whole as dup_lines; 告示 restate provisions per ward type. In chABSA, 7 of
    # 6,119 sentences repeat a note of the same company. Headings and short captions
    # (「(建設事業)」「該当事項はありません。」) may repeat and stay. 40.
    duplicate_line_min_chars: int = option(40, "prose lines at least this long are kept only once per document")
    drop_layout_residue: bool = option(True, "remove PDF furigana and lone item markers/page numbers (6 characters at most)")
    drop_placeholders: bool = option(True, "remove template lines with a run of 10+ placeholder dots")
    drop_urls: bool = option(True, "remove lines that are a bare URL")
    # A line without a predicate is table residue when digits+symbols make up at least this share
    # of its characters and hiragana less than ``table_max_hiragana``. 0.6: 「△1,234」 is 1.0,
    # 「4,567億円」 0.75, while headings with a year 「(2)2020年度の見通し」 are 0.54 and dates
    # 「2020年3月31日現在」 0.5 (kept as captions). In chABSA no line without a predicate reaches 0.6.
    table_numeric_share: float = option(0.6, "digits+symbols share above which a line without predicate is table residue")
    # ... or when at least this many of its space-separated cells are numbers (a table row
    # flattened with spaces: 「536,351,448 536,351,448 東京証券取引所市場第一部 100株」). A results
    # line without spaces, 「受注高1,443億71百万円(前連結会計年度比4.7%減)」, has none and stays.
    table_min_number_cells: int = option(3, "space-separated number cells that make a line a flattened table row")
    # A table row (two or more | or tabs) is residue unless it holds 。, or a predicate with at
    # least this share of hiragana (a cell of prose). Career-history rows in EDINET 役員の状況
    # have a stray verb (「入社」「転籍」) but ~0.02 hiragana; prose cells ~0.25+.
    table_row_min_hiragana: float = option(0.15, "hiragana share a |-table row with a predicate needs to count as prose")
    # Prose has hiragana (particles, endings); table cells and lists hardly any. 0.1 = one kana
    # in ten characters; 「(1)2019年度から2021年度の3か年」 (0.2) stays.
    table_max_hiragana: float = option(0.1, "table residue lines have less hiragana than this share")
    # A line without a predicate split by 、,/|・ or spaces into at least this many items, of at
    # most ``keyword_max_item_chars`` characters on average, is a keyword/issuer list.
    keyword_min_items: int = option(5, "items a keyword-list line has at least")
    keyword_max_item_chars: float = option(8.0, "mean characters per item of a keyword-list line at most")
    # Boilerplate lines are only removed when shorter than this (a long line that mentions
    # cookies is a paragraph of a privacy policy, judged by the document-level filter).
    boilerplate_max_chars: int = option(200, "boilerplate lines are only removed below this length")


def classify_line(
    line: str,
    counts: list[int],
    cfg: LineCleanConfig,
    predicates: int,
    particles: int,
    maybe_boilerplate: bool = True,
    maybe_nav: bool = True,
    maybe_placeholder: bool = True,
) -> str | None:
    """Reason to drop one non-blank line, or None to keep it.

    ``counts``: the line's character-class counts (a row of ``char_class_counts``);
    ``predicates``/``particles``: how many 動詞・助動詞・形容詞 / 助詞 tokens the line has in the
    document's one MeCab parse. ``maybe_boilerplate``/``maybe_nav``/``maybe_placeholder``:
    False when the whole document has no boilerplate / navigation word / placeholder run
    (skips those regexes).
    """
    chars = sum(counts) - counts[_SPACE] - counts[_NEWLINE]
    if chars <= 0:
        return None
    stripped = line.strip()
    if maybe_boilerplate and cfg.drop_boilerplate and chars <= cfg.boilerplate_max_chars:
        if RE_BOILERPLATE.search(stripped):
            return "boilerplate"
    # checked before the predicate: MeCab reads furigana as words (「くう」 is 食う) and a
    # placeholder sentence has its verb (「当社は、……を行っております。」)
    if cfg.drop_layout_residue and chars <= LAYOUT_RESIDUE_MAX_CHARS:
        lone_letter = chars == 1 and counts[_HIRA] + counts[_KATA] + counts[_KANJI] == 1  # not a lone 「。」
        if lone_letter or RE_HIRAGANA_ONLY.match(stripped) or RE_MARKER_ONLY.match(stripped):
            return "layout_residue"
    if maybe_placeholder and cfg.drop_placeholders and RE_PLACEHOLDER.search(stripped):
        if not (cfg.drop_toc and stripped[-1] in _PAGE_NUMBER_END and RE_TOC.search(stripped)):
            return "placeholder"
    if cfg.drop_urls and stripped[:1] in "hw" and RE_URL_LINE.match(stripped):
        return "url"
    pipes = stripped.count("|") + stripped.count("\t")
    predicate = predicates > 0
    if predicate and pipes < 2:
        return None  # a prose line: the common case
    if cfg.drop_navigation and chars <= 120 and not predicate:
        if RE_NAV_LINE.match(stripped) or stripped.count(">") + stripped.count("»") + stripped.count("›") >= 2:
            return "navigation"
        if maybe_nav and RE_NAV_WORD.search(stripped) and len(_items(stripped)) >= 3:
            return "navigation"
    if pipes >= 2:
        # A table row: its cells are residue unless one holds a sentence. A verb inside a cell
        # of a career history (「当社入社」「同社へ転籍」) does not make the row prose.
        if cfg.drop_table_residue and stripped.startswith("| 【"):
            return "table_residue"  # a cover-page form field: 【提出日】, 【発行予定期間】…
        if cfg.drop_table_residue and "。" not in stripped:
            # A cell of prose ends like a sentence, in kana (「…可能性があります」); a label cell
            # with a verb inside ends in a noun (「…株式を発行する場合の発行価格」「…業務」).
            sentence_cell = any(cell.strip()[-1:] in _KANA_END for cell in stripped.split("|"))
            if not predicate or not sentence_cell or counts[_HIRA] / chars < cfg.table_row_min_hiragana:
                return "table_residue"
        return None
    reason = _nominal_line_reason(stripped, chars, counts, cfg)
    if reason == "keyword_list" and (particles or "(" in stripped or "「" in stripped):
        # particles or brackets: a phrase or a sentence fragment, not a bare list of keywords
        return None
    return reason


_SPACE, _NEWLINE, _HIRA = CHAR_INDEX["space"], CHAR_INDEX["newline"], CHAR_INDEX["hira"]
_KATA, _KANJI = CHAR_INDEX["kata"], CHAR_INDEX["kanji"]


_PAGE_NUMBER_END = frozenset("0123456789ivxlcIVXLC")
_KANA_END = frozenset(chr(c) for c in range(0x3041, 0x3097))


def _nominal_line_reason(stripped: str, chars: int, counts, cfg: LineCleanConfig) -> str | None:
    """What a line would be dropped as if it has no predicate."""
    if cfg.drop_toc and stripped[-1] in _PAGE_NUMBER_END and RE_TOC.search(stripped):
        return "toc"
    digits = counts[CHAR_INDEX["digit"]]
    symbols = counts[CHAR_INDEX["symbol"]]
    hira_share = counts[_HIRA] / chars
    # a line of mostly Latin letters is English: the document's script filter judges it
    latin_share = counts[CHAR_INDEX["latin"]] / chars
    if cfg.drop_table_residue and digits and hira_share < cfg.table_max_hiragana and latin_share < 0.5:
        if (digits + symbols) / chars >= cfg.table_numeric_share:
            return "table_residue"
        cells = stripped.split()
        if sum(1 for cell in cells if RE_NUMERIC_CELL.match(cell)) >= cfg.table_min_number_cells:
            return "table_residue"
        if len(cells) == 1 and RE_NUMERIC_CELL.match(stripped):
            return "table_residue"  # one number cell on its own line: 「282点」「△1,234」
    if cfg.drop_keyword_lists and hira_share < 0.2 and latin_share < 0.5 and not stripped.endswith("。"):
        items = _items(stripped)
        if len(items) >= cfg.keyword_min_items and sum(map(len, items)) / len(items) <= cfg.keyword_max_item_chars:
            return "keyword_list"
    return None


# a prose cell at least this long stands for its row when rows are compared for repetition
_PROSE_CELL_MIN_CHARS = 20


def _row_key(row: str) -> str:
    """What makes a table row a repetition: its longest cell when that is prose, else the row."""
    cell = max((c.strip() for c in row.split("|")), key=len)
    return cell if len(cell) >= _PROSE_CELL_MIN_CHARS and RE_HIRAGANA_CHAR.search(cell) else row.strip()


def _items(line: str) -> list[str]:
    return [item for item in RE_ITEM_SEPARATORS.split(line) if item]


class JapaneseLineCleaner(PipelineStep):
    """Removes table residue, TOC lines, keyword lists, navigation and boilerplate lines from
    each document and keeps the prose around them (see the module docstring for the rules).

    Reads the document's one MeCab parse and never re-parses; afterwards the document's
    ``metadata["quality"]`` signals describe the cleaned text and ``quality["removed_lines"]`` /
    ``quality["removed_chars"]`` say what went. Each removed block (consecutive lines removed for
    the same reason) is written to ``exclusion_writer`` as a document with ``filter_reason``,
    ``parent_id`` and ``line_no`` (1-based, in the text as this step received it).
    """

    name = "✂ Japanese line cleaner"
    type = "✂️ - FORMAT"
    config_class = LineCleanConfig

    def __init__(self, config: LineCleanConfig | None = None, exclusion_writer: DiskWriter | None = None):
        super().__init__()
        self.config = config or LineCleanConfig()
        self.exclusion_writer = exclusion_writer

    def clean(self, doc: Document) -> list[tuple[int, str, str]]:
        """Clean ``doc`` in place; return the removed blocks as (line_no, reason, text)."""
        analysis = get_analysis(doc)
        cfg = self.config
        reasons: list[str | None] = []
        seen_rows: set[str] = set()
        seen_lines: set[str] = set()
        counts = analysis.chars.tolist()
        ntok = analysis.ntok.tolist()
        predicates = analysis.per_line(IS_PREDICATE)
        particles = analysis.per_line(IS_PARTICLE)
        # cheap substring checks over the whole text decide whether the per-line regexes can
        # find anything (most documents hold no boilerplate and no menu)
        text = analysis.text
        maybe_boilerplate = any(key in text for key in _BOILERPLATE_KEYS)
        maybe_nav = any(word in text for word in _NAV_KEYS)
        maybe_placeholder = any(key in text for key in _PLACEHOLDER_KEYS)
        checks_prose = maybe_boilerplate or maybe_placeholder
        dedup_lines = cfg.drop_duplicate_lines
        min_dup = cfg.duplicate_line_min_chars
        table_reason = self.judge_tables(analysis) if cfg.keep_tables else {}
        for i, line in enumerate(analysis.lines):
            if i in table_reason:
                reasons.append(table_reason[i])
                continue
            if not ntok[i]:
                reasons.append(None)  # blank
                continue
            if not checks_prose and predicates[i] and len(line) > LAYOUT_RESIDUE_MAX_CHARS and "|" not in line and (
                "\t" not in line and not line.startswith("http")
            ):
                reason = None  # prose: a line with a predicate and no table cells
            else:
                reason = classify_line(
                    line, counts[i], cfg, predicates[i], particles[i], maybe_boilerplate, maybe_nav, maybe_placeholder
                )
            if reason is None and dedup_lines and len(line) >= min_dup and "|" not in line:
                # the same sentence again (stock-option conditions per series, provisions per ward
                # type): kept once
                key = line.strip()
                reason = "duplicate_line" if key in seen_lines else None
                seen_lines.add(key)
            if reason is None and cfg.drop_duplicate_table_rows and line.count("|") >= 2:
                # The same row again (filings repeat whole stock-option tables per series, 「同左」),
                # or the same prose cell in another row: a cross-shareholding table gives the same
                # holding rationale for each of dozens of stocks, a stock-option table the same
                # condition for every series. Kept once.
                key = _row_key(line)
                reason = "duplicate_table_row" if key in seen_rows else None
                seen_rows.add(key)
            reasons.append(reason)
        blocks: list[tuple[int, str, str]] = []
        keep: list[int] = []
        for i, reason in enumerate(reasons):
            if reason is None:
                blank = not ntok[i]
                # collapse blank lines left behind (no leading, trailing or repeated blank lines)
                if blank and (not keep or not ntok[keep[-1]]):
                    continue
                keep.append(i)
            elif blocks and reasons[i - 1] == reason:
                no, _, text = blocks[-1]
                blocks[-1] = (no, reason, text + "\n" + analysis.lines[i])
            else:
                blocks.append((i + 1, reason, analysis.lines[i]))
        while keep and not ntok[keep[-1]]:
            keep.pop()
        chars_before = signals(analysis)["chars"]
        if blocks:
            analysis = analysis.subset(keep)
            doc.text = analysis.text
            set_analysis(doc, analysis)
        quality = update_quality(doc, analysis)
        quality["removed_lines"] = sum(b[2].count("\n") + 1 for b in blocks)
        quality["removed_chars"] = chars_before - quality["chars"]
        return blocks

    def judge_tables(self, analysis) -> dict[int, str | None]:
        """Per line of a table: None (kept with its table) or the reason its table goes."""
        out: dict[int, str | None] = {}
        for block in analysis.tables:
            reason = None
            if (labelled_share(analysis.lines, block) < self.config.table_min_labelled_share
                    and not header_labels(analysis.lines, block)):
                reason = "table_no_labels"
            elif filled_share(analysis.lines, block) < self.config.table_min_filled_share:
                reason = "table_empty"
            self.stat_update("tables_kept" if reason is None else "tables_dropped")
            for j in range(block.start, block.end):
                out[j] = reason
        return out

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for doc in data:
                self.stat_update("docs")
                self.stat_update("chars_in", value=len(doc.text))
                if not self.config.enabled:
                    yield doc
                    continue
                with self.track_time():
                    blocks = self.clean(doc)
                for line_no, reason, text in blocks:
                    self.stat_update(f"removed_{reason}")
                    self.stat_update(f"removed_{reason}_lines", value=text.count("\n") + 1)
                    self.stat_update(f"removed_{reason}_chars", value=len(text))
                    if writer:
                        writer.write(
                            Document(
                                text=text,
                                id=f"{doc.id}#L{line_no}",
                                metadata={
                                    "filter_reason": reason,
                                    "parent_id": doc.id,
                                    "line_no": line_no,
                                    "source": doc.metadata.get("source"),
                                },
                            ),
                            rank,
                        )
                self.stat_update("chars_out", value=len(doc.text))
                yield doc
