"""``kinyu corpus train-classifier``'s config: the training and held-out documents, the fastText
settings with their reasons, and the thresholds of the measurement."""

from __future__ import annotations

from dataclasses import dataclass

from kinyu.base.config import option


@dataclass
class ClassifierTrainConfig:
    positives: list[str] = option([], "financial documents: corpus runs (their docs/), jsonl(.gz) files or folders of {'text': ...}, .txt files")
    negatives: list[str] = option([], "general documents, in the same forms (e.g. ../shared/data/general-ja/train)")
    heldout_positives: list[str] = option([], "held-out financial documents to measure the model on (same forms)")
    heldout_negatives: list[str] = option([], "held-out general documents (e.g. ../shared/data/general-ja/heldout)")
    out: str = option("runs/finance-classifier/finance.bin", "the model file; its card (sources, settings, held-out figures) goes beside it as <out>.json")
    # A 有報 section is 20-100k characters, a news article ~1,300: cut into ~1,000-character pieces,
    # a filing gives dozens of examples and the classes are not decided by length.
    chunk_chars: int = option(1000, "training documents are cut into pieces of about this many characters")
    max_chars: int = option(20000, "characters of a document the model reads when scoring (the first ones)")
    # fastText: character unigrams + bigrams (word_ngrams 2 over characters), a small embedding;
    # 32 dimensions x (200k buckets + vocabulary): a 26 MB model scoring ~4.5M characters/s (2,400
    # documents/s on general-ja heldout + held-out filings, here), cheap beside MeCab.
    dim: int = option(32, "fastText embedding size")
    epoch: int = option(10, "fastText epochs")
    lr: float = option(0.5, "fastText learning rate (lower it if training reports NaN)")
    word_ngrams: int = option(2, "fastText word n-grams, here character n-grams (2: unigrams and bigrams)")
    bucket: int = option(200_000, "fastText hash buckets for the n-grams")
    min_count: int = option(2, "ignore characters seen fewer times")
    balance: bool = option(True, "repeat the smaller class's pieces until both classes have as many")
    seed: int = option(0, "seeds the shuffle and fastText (one thread: the same model every time)")
    threshold: float = option(0.5, "finance_prob from which a held-out document counts as financial (the build's select.classifier.min_prob)")
    # corpus/filters/domain.py: chABSA min 35, EDINET sections 85-152, Wikipedia max 36: 40 separates them
    lexicon_min_score: float = option(40.0, "the lexicon tagger's threshold in the comparison (quality.domain.min_score)")

    def problems(self) -> list[str]:
        found = []
        if not self.positives or not self.negatives:
            found.append("positives and negatives: give at least one source of each")
        if self.chunk_chars < 50 or self.max_chars < 50:
            found.append("chunk_chars and max_chars must be >= 50")
        if not 0.0 < self.threshold < 1.0:
            found.append("threshold must be in (0, 1)")
        if min(self.dim, self.epoch, self.word_ngrams, self.bucket) < 1 or self.lr <= 0:
            found.append("dim, epoch, word_ngrams, bucket and lr must be > 0")
        return found
