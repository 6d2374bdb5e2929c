"""Build small CORPUS_RUN folders for the training tests (a plain helper module, not a conftest).

The layout is the one ``kinyu corpus build`` writes (tokenizer/, tokens/train, tokens/validation,
manifest.json), made with the same tools: ``kinyu.corpus.tokenize.train_tokenizer`` and datatrove's
``DocumentTokenizer``. Once the real build is in place this module can call it instead.

The texts are short Japanese financial sentences composed from templates (financial domain)
and everyday sentences (general domain, used as replay data). They are varied enough that a
tiny model's loss falls visibly within a few dozen steps.
"""

from __future__ import annotations

import random
from pathlib import Path

from kinyu.corpus.tokenize import EOS_TOKEN, write_hf_tokenizer_files

COMPANIES = ["トヨタ自動車", "三菱UFJフィナンシャル・グループ", "ソニーグループ", "日立製作所", "野村ホールディングス",
             "三井住友トラスト", "任天堂", "キーエンス", "東京エレクトロン", "武田薬品工業", "みずほフィナンシャルグループ",
             "ソフトバンクグループ"]
METRICS = ["売上高", "営業利益", "経常利益", "当期純利益", "営業キャッシュ・フロー", "自己資本比率", "一株当たり利益", "配当金"]
MOVES = ["前年同期比で増加しました", "前年同期比で減少しました", "過去最高を更新しました", "計画を上回りました",
         "市場予想を下回りました", "横ばいとなりました"]
REASONS = ["円安による為替差益", "半導体需要の回復", "原材料価格の高騰", "金利上昇に伴う利ざやの改善", "海外事業の好調",
           "販売費及び一般管理費の増加", "資産売却益の計上", "減損損失の計上"]
BANK = ["日本銀行は政策金利を据え置くことを決定した。", "長期金利は0.9%台で推移している。", "日経平均株価は続伸して取引を終えた。",
        "東証プライム市場の売買代金は4兆円を超えた。", "ドル円相場は150円台で推移した。", "社債の発行額は前年を上回った。",
        "金融庁は有価証券報告書の記載内容の充実を求めている。", "投資信託の純資産総額は過去最高となった。"]

GENERAL = ["今日は朝から雨が降っている。", "駅前の公園で桜が咲き始めた。", "週末は家族と一緒に山へ出かけた。",
           "新しい図書館には子ども向けの本がたくさんある。", "夕食にカレーライスを作った。", "電車が遅れて会社に遅刻した。",
           "猫が窓辺で昼寝をしている。", "夏休みに海で泳ぐのが楽しみだ。", "祖母から手紙が届いた。", "商店街のパン屋が改装した。"]


def financial_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        company = rng.choice(COMPANIES)
        parts = [f"{company}の2024年度第{rng.randint(1, 4)}四半期決算について。"]
        for _ in range(rng.randint(2, 5)):
            parts.append(f"{rng.choice(METRICS)}は{rng.randint(1, 999):,}億円となり、{rng.choice(MOVES)}。"
                         f"主な要因は{rng.choice(REASONS)}です。")
        parts.append(rng.choice(BANK))
        texts.append("".join(parts))
    return texts


def general_texts(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(GENERAL) for _ in range(rng.randint(3, 8))) for _ in range(n)]


def _write_shards(texts: list[str], folder: Path, tokenizer_file: Path, logs: Path, prefix: str) -> None:
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.tokens import DocumentTokenizer

    docs = [Document(text=t, id=f"{prefix}-{i}") for i, t in enumerate(texts)]
    LocalPipelineExecutor(
        [docs, DocumentTokenizer(str(folder), str(tokenizer_file), eos_token=EOS_TOKEN, seed=0)],
        logging_dir=str(logs),
        tasks=1,
    ).run()


def build_corpus_run(
    run: Path,
    texts: list[str],
    validation_texts: list[str] | None = None,
    tokenizer_file: Path | None = None,
    vocab_size: int = 512,
) -> Path:
    """Write a CORPUS_RUN at ``run``; train a tokenizer on ``texts`` unless ``tokenizer_file`` is given."""
    import shutil

    from kinyu.corpus.tokenize import train_tokenizer
    from kinyu.base.runs import sha256_file, write_manifest

    run = Path(run)
    tok_dir = run / "tokenizer"
    if tokenizer_file is None:
        tok_file = train_tokenizer(texts, tok_dir / "tokenizer.json", vocab_size=vocab_size)
    else:
        tok_dir.mkdir(parents=True, exist_ok=True)
        tok_file = tok_dir / "tokenizer.json"
        shutil.copyfile(tokenizer_file, tok_file)
        write_hf_tokenizer_files(tok_dir)
    _write_shards(texts, run / "tokens" / "train", tok_file, run / "logs" / "train", "train")
    if validation_texts:
        _write_shards(validation_texts, run / "tokens" / "validation", tok_file, run / "logs" / "validation", "val")
    write_manifest(
        run,
        "corpus",
        {"fixture": "tests/_corpus_fixture.py", "documents": len(texts)},
        inputs=[{"path": str(tok_file), "sha256": sha256_file(tok_file)}],
    )
    return run


def build_financial_and_replay(root: Path, n_docs: int = 300) -> tuple[Path, Path]:
    """A financial CORPUS_RUN and a general-domain replay CORPUS_RUN sharing one tokenizer."""
    from kinyu.corpus.tokenize import train_tokenizer

    root = Path(root)
    fin_texts, gen_texts = financial_texts(n_docs, seed=0), general_texts(n_docs // 2)
    # one tokenizer for both, as a real run would tokenize replay data with the model's tokenizer
    tok = train_tokenizer(fin_texts + gen_texts, root / "shared_tokenizer" / "tokenizer.json", vocab_size=512)
    fin = build_corpus_run(root / "corpus_fin", fin_texts, financial_texts(40, seed=99), tokenizer_file=tok)
    gen = build_corpus_run(root / "corpus_general", gen_texts, general_texts(20, seed=98),
                           tokenizer_file=tok)
    return fin, gen
