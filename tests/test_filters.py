"""Japanese quality filters on realistic strings: what each one keeps and what it drops."""

from __future__ import annotations

import pickle

import pytest
from datatrove.data import Document
from datatrove.utils.word_tokenizers import load_word_tokenizer

from kinyu.base.config import ConfigError, load_config, validate
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.filters import (
    BoilerplateFilter,
    DomainConfig,
    FinanceDomainTagger,
    FunctionWordFilter,
    JapaneseAnnotator,
    JapaneseLineCleaner,
    JapaneseScriptFilter,
    LengthFilter,
    MojibakeFilter,
    NounRunFilter,
    PredicateEndFilter,
    QualityConfig,
    RepetitionConfig,
    RepetitionFilter,
    SymbolDigitFilter,
    quality_steps,
)
from kinyu.corpus.filters.analysis import analyze_text, signals
from kinyu.corpus.japanese import FugashiWordTokenizer, parse_pos1, tagger

# Real-style 有価証券報告書 prose: noun-heavy results, rules, short risk items. Must be kept.
RESULTS = (
    "当連結会計年度におけるわが国経済は、雇用・所得環境の改善を背景に緩やかな回復基調で推移しました。\n"
    "このような環境の中、当社グループは主力製品の拡販と原価低減に取り組んでまいりました。\n"
    "以上の結果、売上高は前期比12.3%増の4,567億円となりました。\n"
    "営業利益は前期比8.1%増の321億円、経常利益は前期比7.5%増の343億円となりました。\n"
    "親会社株主に帰属する当期純利益は、前期比9.8%増の215億円となりました。"
)
RULES = (
    "第一条 (目的)\n"
    "この規程は、当社における内部者取引の未然防止を目的として、役職員が遵守すべき事項を定める。\n"
    "第二条 (定義)\n"
    "この規程において「重要事実」とは、金融商品取引法第166条第2項に定める事実をいう。\n"
    "第三条 (売買の制限)\n"
    "役職員は、重要事実を知った場合には、その公表前に当社株式の売買を行ってはならない。"
)
RISKS = (
    "(1)市場リスク\n"
    "金利や為替の変動により、当社グループの業績が悪化する可能性があります。\n"
    "(2)信用リスク\n"
    "取引先の財政状態が悪化した場合、貸倒損失が発生する可能性があります。\n"
    "(3)流動性リスク\n"
    "市場の混乱により、必要な資金の確保が困難となる可能性があります。"
)
KEEP = {"results": RESULTS, "rules": RULES, "risks": RISKS}

# What must go: number dumps, TOC pages, issuer lists, repeated ad copy, navigation, English.
NUMBER_DUMP = "\n".join(f"{1000 + i * 37:,} △{i * 13:,} {i * 1.7:.1f}% {2000 + i}年3月期" for i in range(40))
TOC_PAGE = "\n".join(f"第{i} 事業の状況 ......... {10 + i * 3}" for i in range(1, 30))
ISSUERS = "、".join(
    ["三菱UFJ銀行", "みずほ銀行", "三井住友銀行", "りそな銀行", "野村證券", "大和証券", "SMBC日興証券"] * 30
)
AD_COPY = "\n".join(["【期間限定】今なら口座開設で最大5万円プレゼント!詳しくはこちらをご覧ください。"] * 8)
NAVIGATION = "ホーム > 企業情報 > IR情報 > 決算短信\nトップ | 会社概要 | お問い合わせ | サイトマップ\nログイン\n新規登録"
ENGLISH = (
    "The Company's net sales increased by 12.3% year on year to 456.7 billion yen. "
    "Operating income rose to 32.1 billion yen, driven by higher volumes."
)


def run_filter(step, text: str):
    doc = Document(text=text, id="t", metadata={})
    JapaneseAnnotator().run([doc]).__next__()
    return step.filter(doc), doc


def chain(text: str, cfg: QualityConfig | None = None) -> tuple[list[Document], dict]:
    """Run the default chain in-process; return the kept docs and the drop reasons."""
    data = iter([Document(text=text, id="t", metadata={"source": "test"})])
    steps = quality_steps(cfg or QualityConfig(), None)
    for step in steps:
        data = step.run(data)
    kept = list(data)
    reasons = {k: v.total for s in steps for k, v in s.stats.stats.items() if k.startswith("dropped_")}
    return kept, reasons


# ---- tokenizer / parse -------------------------------------------------------------------------


def test_fugashi_word_tokenizer_for_datatrove():
    tok = FugashiWordTokenizer()
    words = tok.word_tokenize("売上高は前期比12.3%増の4,567億円となりました。")
    assert words[:3] == ["売上", "高", "は"] and "4" in words and words[-1] == "。"
    assert tok.sent_tokenize("増収となりました。減益です!\n次期の見通し") == ["増収となりました。", "減益です!", "次期の見通し"]
    text = "当社は成長した。  次に"
    assert [text[s:e] for s, e in tok.span_tokenize(text)] == ["当社は成長した。", "次に"]
    clone = pickle.loads(pickle.dumps(tok))
    assert clone == tok and load_word_tokenizer(clone) is load_word_tokenizer(tok)


def test_pos_tagger_segments_like_tagger():
    text = "以上の結果、売上高は前期比12.3%増の4,567億円(前期は3,998億円)となりました"
    assert len(parse_pos1(text)) == len(tagger()(text))
    assert parse_pos1("売上が増加した")[-2:] == ["動詞", "助動詞"]


def test_signals_of_noun_heavy_prose_and_of_a_table():
    prose = signals(analyze_text("売上高は前期比12.3%増の4,567億円となりました。"))
    assert prose["predicate_end_share"] == 1.0 and prose["complete_sentences"] == 1
    assert 0.25 < prose["function_word_ratio"] < 0.35
    # the decimal point of 12.3 is not a sentence end
    assert prose["sentences"] == 1
    table = signals(analyze_text("| 普通株式 | 2,180,000,000 |\n| 計 | 2,180,000,000 |"))
    assert table["function_word_ratio"] == 0.0 and table["predicate_end_share"] == 0.0
    assert table["max_noun_run"] >= 20  # the run goes on across the row break


def test_signals_after_subset_equal_a_fresh_parse():
    text = RESULTS + "\n| 計 | 2,180,000,000 |\n" + RISKS
    analysis = analyze_text(text)
    keep = [i for i, line in enumerate(analysis.lines) if not line.startswith("|")]
    assert signals(analysis.subset(keep)) == signals(analyze_text("\n".join(analysis.lines[i] for i in keep)))


# ---- document filters: keep and drop -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KEEP))
def test_default_chain_keeps_real_style_financial_prose(name):
    kept, reasons = chain(KEEP[name])
    assert len(kept) == 1, reasons
    assert kept[0].text == KEEP[name]  # nothing removed by the line cleaner either
    q = kept[0].metadata["quality"]
    assert q["finance_score"] > 0 and q["removed_lines"] == 0


@pytest.mark.parametrize(
    "text, reason",
    [
        (NUMBER_DUMP, "too_short"),  # the line cleaner takes every row, nothing is left
        (TOC_PAGE, "too_short"),
        (ISSUERS, "too_short"),  # removed as a keyword list line
        (AD_COPY, "too_short"),  # the line cleaner keeps one copy of the repeated advert
        (NAVIGATION, "too_short"),
        (ENGLISH, "not_japanese"),
    ],
)
def test_default_chain_drops_junk(text, reason):
    kept, reasons = chain(text)
    assert kept == [] and reasons == {f"dropped_{reason}": 1}


def test_function_word_filter():
    assert run_filter(FunctionWordFilter(), RESULTS)[0] is True
    assert run_filter(FunctionWordFilter(), ISSUERS)[0] == (False, "few_function_words")


def test_predicate_end_filter():
    assert run_filter(PredicateEndFilter(), RISKS)[0] is True
    headings = "第1 企業の概況\n第2 事業の状況\n第3 設備の状況\n第4 提出会社の状況\n第5 経理の状況"
    assert run_filter(PredicateEndFilter(), headings)[0] == (False, "few_predicate_endings")


def test_noun_run_filter():
    assert run_filter(NounRunFilter(), RESULTS)[0] is True
    result, doc = run_filter(NounRunFilter(), NUMBER_DUMP)
    assert result == (False, "long_noun_run") and doc.metadata["quality"]["max_noun_run"] > 400


def test_symbol_digit_filter():
    assert run_filter(SymbolDigitFilter(), RESULTS)[0] is True
    assert run_filter(SymbolDigitFilter(), NUMBER_DUMP)[0] == (False, "digits")
    assert run_filter(SymbolDigitFilter(), "■□■□ ===== ***** <<<>>> 当社 ■□■□ ===== *****")[0] == (False, "symbols")


def test_script_filter():
    assert run_filter(JapaneseScriptFilter(), RULES)[0] is True
    assert run_filter(JapaneseScriptFilter(), ENGLISH)[0] == (False, "not_japanese")
    # kanji only (Chinese text / kanji keyword wall): no hiragana
    chinese = "本公司营业收入同比增长百分之十二点三达到四千五百六十七亿元人民币净利润同比增长"
    assert run_filter(JapaneseScriptFilter(), chinese)[0] == (False, "low_hiragana")


def test_length_filter():
    assert run_filter(LengthFilter(), RISKS)[0] is True
    assert run_filter(LengthFilter(), "該当事項はありません。")[0] == (False, "too_short")
    nouns = "第1 企業の概況 第2 事業の状況 第3 設備の状況 第4 提出会社の状況 第5 経理の状況 第6 提出会社の株式事務の概要"
    assert run_filter(LengthFilter(), nouns)[0] == (False, "too_few_sentences")


def test_mojibake_filter():
    assert run_filter(MojibakeFilter(), RESULTS)[0] is True
    sjis_as_latin1 = RESULTS.encode("shift_jis").decode("latin-1")
    utf8_as_cp932 = RESULTS.encode("utf-8").decode("cp932", errors="ignore")
    replaced = RESULTS.encode("shift_jis").decode("utf-8", errors="replace")
    assert run_filter(MojibakeFilter(), sjis_as_latin1)[0] == (False, "mojibake")
    assert run_filter(MojibakeFilter(), utf8_as_cp932)[0] == (False, "mojibake")
    assert run_filter(MojibakeFilter(), replaced)[0] == (False, "replacement_chars")


def test_repetition_filter():
    assert run_filter(RepetitionFilter(), RESULTS + "\n" + RULES)[0] is True
    assert run_filter(RepetitionFilter(), AD_COPY)[0] == (False, "dup_lines")
    # the same advert with a varying number defeats exact line dedup but not character n-grams
    varied = "\n".join(f"【期間限定】今なら口座開設で最大{i}万円プレゼント!詳しくはこちらをご覧ください。" for i in range(8))
    result, doc = run_filter(RepetitionFilter(), varied)
    assert result == (False, "dup_10gram") and doc.metadata["quality"]["dup_10gram_char_frac"] > 0.6


def test_boilerplate_filter():
    assert run_filter(BoilerplateFilter(), RESULTS)[0] is True
    page = (
        "当サイトではCookieを使用しています。Cookieの利用に同意してください。\n"
        "ログインまたは会員登録をしてください。パスワードをお忘れの方はお問い合わせください。\n"
        "利用規約とプライバシーポリシーをご確認ください。Copyright © 2024 All rights reserved."
    )
    assert run_filter(BoilerplateFilter(), page)[0] == (False, "boilerplate")


def test_finance_domain_tagger_tags_and_optionally_drops():
    fin, doc = run_filter(FinanceDomainTagger(), RESULTS)
    assert fin is True and doc.metadata["quality"]["finance_score"] > 40
    recipe = "鍋に水を入れて火にかけ、沸騰したら野菜を加えて弱火で十分ほど煮込みます。塩で味を調えたら完成です。"
    _, other = run_filter(FinanceDomainTagger(), recipe)
    assert other.metadata["quality"]["finance_score"] < 10
    strict = FinanceDomainTagger(DomainConfig(min_score=40))
    assert run_filter(strict, recipe)[0] == (False, "off_domain")
    assert run_filter(strict, RESULTS)[0] is True


def test_bad_lexicon_fails_early(tmp_path):
    bad = tmp_path / "lex.tsv"
    bad.write_text("売上高\tmany\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a number"):
        validate(DomainConfig(lexicon_path=str(bad)))
    with pytest.raises(ConfigError, match="lexicon not found"):
        validate(DomainConfig(lexicon_path=str(tmp_path / "missing.tsv")))
    # a config naming a missing lexicon fails when it is loaded, naming the field
    with pytest.raises(ConfigError, match=r"domain\.lexicon_path: finance lexicon not found"):
        load_config(QualityConfig, None, {"domain.lexicon_path": str(tmp_path / "missing.tsv")})


def test_wrong_config_type_is_refused():
    with pytest.raises(TypeError, match="NounRunConfig"):
        NounRunFilter(DomainConfig())


# ---- line cleaning ------------------------------------------------------------------------------


def test_line_cleaner_removes_residue_and_keeps_prose():
    text = "\n".join(
        [
            "第2【事業の状況】",
            "(1)経営方針",
            "当社グループは、市場の持続的な発展を図ります。",
            "| 種類 | 発行可能株式総数(株) |",
            "| 普通株式 | 2,180,000,000 |",
            "△1,234",
            "売上高は前期比12.3%増の4,567億円となりました。",
            "第2 事業の状況 ......... 12",
            "ホーム > 企業情報 > IR情報",
            "株式 投資信託 NISA iDeCo 債券 FX 外貨預金",
            "Copyright © 2024 Example Inc. All Rights Reserved.",
            "(2)2020年度の見通し",
            "536,351,448 536,351,448 東京証券取引所市場第一部 単元株式数 100株",
            "受注高1,443億71百万円(前連結会計年度比4.7%減)",
            "該当事項はありません。",
            "| リスク | 当社グループは為替変動の影響を受ける可能性があります。 |",
        ]
    )
    doc = Document(text=text, id="d", metadata={})
    blocks = JapaneseLineCleaner().clean(doc)
    assert [(no, reason) for no, reason, _ in blocks] == [
        (4, "table_residue"), (8, "toc"), (9, "navigation"), (10, "keyword_list"),
        (11, "boilerplate"), (13, "table_residue"),
    ]  # fmt: skip
    assert blocks[0][2] == "| 種類 | 発行可能株式総数(株) |\n| 普通株式 | 2,180,000,000 |\n△1,234"
    assert doc.text.split("\n") == [
        "第2【事業の状況】", "(1)経営方針", "当社グループは、市場の持続的な発展を図ります。",
        "売上高は前期比12.3%増の4,567億円となりました。", "(2)2020年度の見通し",
        "受注高1,443億71百万円(前連結会計年度比4.7%減)", "該当事項はありません。",
        "| リスク | 当社グループは為替変動の影響を受ける可能性があります。 |",
    ]  # fmt: skip
    q = doc.metadata["quality"]
    assert q["removed_lines"] == 8 and q["chars"] == signals(analyze_text(doc.text))["chars"]


def test_line_cleaner_drops_repeated_table_rows_and_can_be_switched_off():
    rows = "| 新株予約権の目的となる株式の種類 | 普通株式 | 同左 |"
    text = f"新株予約権の内容は次のとおりであります。\n{rows}\n{rows}"
    cfg = QualityConfig()
    cfg.line_clean.drop_table_residue = False
    doc = Document(text=text, id="d", metadata={})
    blocks = JapaneseLineCleaner(cfg.line_clean).clean(doc)
    assert [(no, r) for no, r, _ in blocks] == [(3, "duplicate_table_row")]
    cfg.line_clean.enabled = False
    kept, _ = chain(text + "\n" + RESULTS, cfg)
    assert rows + "\n" + rows in kept[0].text


def test_steps_pickle_and_are_deterministic():
    steps = quality_steps(QualityConfig(), None)
    clone = pickle.loads(pickle.dumps(steps))
    texts = [RESULTS + "\n| 計 | 2,180,000,000 |", RISKS]
    outs = []
    for pipeline in (steps, clone):
        data = iter([Document(text=t, id=str(i), metadata={}) for i, t in enumerate(texts)])
        for step in pipeline:
            data = step.run(data)
        outs.append([(d.text, d.metadata) for d in data])
    assert outs[0] == outs[1] and len(outs[0]) == 2


def test_disabled_filters_are_left_out():
    cfg = QualityConfig()
    cfg.repetition.enabled = False
    cfg.domain.enabled = False
    names = [type(s).__name__ for s in quality_steps(cfg, None)]
    assert names[:3] == ["PiiFilter", "JapaneseAnnotator", "JapaneseLineCleaner"]
    assert "RepetitionFilter" not in names and "FinanceDomainTagger" not in names and "NounRunFilter" in names


def test_impossible_thresholds_fail_early_naming_the_field():
    # checked once, when the config loads (the build's steps are made from a checked config)
    with pytest.raises(ConfigError, match=r"quality\.script\.min_hiragana_ratio"):
        load_config(CorpusConfig, None, {"quality.script.min_hiragana_ratio": 10})
    with pytest.raises(ConfigError, match=r"quality\.repetition\.max_dup_ngram_frac: .*same length"):
        load_config(CorpusConfig, None, {"quality.repetition.dup_ngram_sizes": "[10, 20, 30]"})
    # a config built by hand is checked the same way, by the same rules
    cfg = QualityConfig()
    cfg.script.min_hiragana_ratio = 10
    with pytest.raises(ConfigError, match=r"quality\.script\.min_hiragana_ratio"):
        validate(cfg, "quality")
    with pytest.raises(ConfigError, match="same length"):
        validate(RepetitionConfig(dup_ngram_sizes=(10, 20, 30)))
