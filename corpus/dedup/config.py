"""Settings of exact and MinHash dedup, and the kept-copy rule both share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import TextNormConfig
from datatrove.utils.word_tokenizers import WordTokenizer

from kinyu.corpus.japanese import FugashiWordTokenizer, JapaneseWordTokenizer
from kinyu.base.config import option


@dataclass
class ParagraphDedupConfig:
    """Cross-document paragraph dedup, CCNet-style (``kinyu.corpus.dedup.paragraphs``): a unit that
    occurs in at least ``min_documents`` documents is kept once and removed from the others."""

    # off: on 30 filings it removes 0.48 % of the characters, and a 3-seed proxy ablation found no
    # effect beyond noise on any held-out set (README, "Does the data work?")
    enabled: bool = option(False, "remove lines/paragraphs repeated across documents, keeping the first copy (smallest source, id)")
    unit: Literal["line", "paragraph"] = option("line", "what is counted and removed: a line (an extracted HTML paragraph is one line) or a blank-line-separated paragraph; Markdown tables and the caption line above each never")
    min_documents: int = option(5, "a unit under at least this many count keys (documents or folders) is repeated")
    count_per: Literal["document", "folder"] = option("folder", "count a unit once per document, or once per folder of its source (the section files of one 有報 are one <書類管理番号>/ folder)")
    min_chars: int = option(1, "shorter units (whitespace-folded) are never counted or removed")
    min_doc_chars: int = option(50, "a document left with fewer characters is dropped as 'boilerplate_only'")

    def problems(self) -> list[str]:
        found = []
        if self.min_documents < 2:
            found.append(f"min_documents must be >= 2 (a unit in one document is not repeated), got {self.min_documents}")
        if self.unit not in ("line", "paragraph"):
            found.append(f"unit must be 'line' or 'paragraph', got {self.unit!r}")
        if self.count_per not in ("document", "folder"):
            found.append(f"count_per must be 'document' or 'folder', got {self.count_per!r}")
        if self.min_chars < 1 or self.min_doc_chars < 0:
            found.append(f"min_chars must be >= 1 and min_doc_chars >= 0, got {self.min_chars}, {self.min_doc_chars}")
        return found


@dataclass
class DedupConfig:
    """Exact and MinHash near-duplicate removal, and cross-document paragraph dedup (``kinyu.corpus.dedup``)."""

    exact: bool = option(True, "drop documents whose normalised text is identical to another's")
    minhash: bool = option(True, "drop near-duplicates found with MinHash LSH")
    shingle: Literal["char", "fugashi"] = option("char", "MinHash shingle units: 'char' (characters, measured best) or 'fugashi' (MeCab words)")
    ngram: int = option(7, "units per shingle; char 7-grams separated the ground truth best among 3/4/5/7/9")
    num_buckets: int = option(25, "LSH bands; 25x7 flags shingle Jaccard 0.8 with p=0.997 and 0.3 with p=0.005")
    hashes_per_bucket: int = option(7, "MinHash values per band")
    seed: int = option(1, "seed of the MinHash permutations (same on every worker)")
    simplify_text: bool = option(True, "apply datatrove's simplify_text before shingling (lowercase, no punctuation)")
    # datatrove's simplify_text writes every digit as 0 by default: then two companies' balance
    # sheets, the same standard row labels with other figures, are near-duplicates (on
    # filings-u4 valid 11 statements sections of 10 filers were dropped so). Their figures are
    # what tells them apart.
    simplify_numbers: bool = option(False, "with simplify_text, write every digit as 0 before shingling (then statements of different companies with the same labels are near-duplicates)")
    hash_precision: Literal[32, 64] = option(64, "bits of each MinHash value")
    # banding alone joins pairs far below the threshold now and then (Jaccard 0.3: p = 0.005 a
    # pair), and a corpus of filings has thousands of such pairs: statements that share their
    # row labels. Checking each joined pair on all its MinHash values removes them.
    min_similarity: float = option(0.5, "join two documents that met in an LSH band only if this share of all their MinHash values agree (estimated Jaccard); 0 = every pair that met")
    paragraphs: ParagraphDedupConfig = option(factory=ParagraphDedupConfig)

    def problems(self) -> list[str]:
        found = []
        if self.ngram < 1:
            found.append(f"ngram must be >= 1, got {self.ngram}")
        if self.num_buckets < 1 or self.hashes_per_bucket < 1:
            found.append(f"num_buckets and hashes_per_bucket must be >= 1, got {self.num_buckets}, {self.hashes_per_bucket}")
        if not 0.0 <= self.min_similarity <= 1.0:
            found.append(f"min_similarity must be in [0, 1], got {self.min_similarity}")
        if self.shingle not in ("char", "fugashi"):
            found.append(f"shingle must be 'char' or 'fugashi', got {self.shingle!r}")
        return found

    def minhash_config(self) -> MinhashConfig:
        norm = TextNormConfig(norm_numbers=self.simplify_numbers) if self.simplify_text else _NO_SIMPLIFY
        return MinhashConfig(
            n_grams=self.ngram,
            num_buckets=self.num_buckets,
            hashes_per_bucket=self.hashes_per_bucket,
            seed=self.seed,
            norm_config=norm,
            hash_config=HashConfig(precision=self.hash_precision, hash_fc="xxhash"),
        )

    def word_tokenizer(self) -> WordTokenizer:
        return CharNgramTokenizer() if self.shingle == "char" else FugashiWordTokenizer()


_NO_SIMPLIFY = TextNormConfig(
    lowercase=False,
    norm_whitespace=True,
    remove_punctuation=False,
    norm_unicode_diacritics=False,
    norm_numbers=False,
)


class CharNgramTokenizer(JapaneseWordTokenizer):
    """datatrove ``WordTokenizer`` whose words are single characters (whitespace dropped).

    With it, MinHash n-grams are character n-grams: Japanese has no spaces, so character
    shingles need no segmenter and are insensitive to how a dictionary splits a word.
    """

    def word_tokenize(self, text: str) -> list[str]:
        return [c for c in text if not c.isspace()]


def doc_key(doc: Document) -> tuple[str, str]:
    """Sort key of the kept-copy rule: the smallest (source path, id) is kept."""
    return (str(doc.metadata.get("source", "")), str(doc.id))


_RE_WS = re.compile(r"\s+")


def exact_dedup_text(text: str) -> str:
    """The text the exact hash is taken of: the (already normalised) text, whitespace runs folded."""
    return _RE_WS.sub(" ", text).strip()
