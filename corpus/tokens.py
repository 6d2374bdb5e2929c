"""The token stages' datatrove steps: train the run's tokenizer on the training split, and write
the token shards with it (the tokenizers themselves: ``kinyu.corpus.tokenize``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.tokens import DocumentTokenizer

from kinyu.corpus.tokenize import tokenizer_eos, tokenizer_sample, train_tokenizer

# documents per encode_batch. Memory holds a batch's texts and HF Encodings (~100 bytes a token,
# offsets and token strings included), so a batch's peak is this times the largest documents: a
# section file of a 有価証券報告書 is up to 144k characters. At 256, a task of U4 filings held
# every document at once and the stage's peak grew with the run (in-process, rank 0 of 2: 204 MB
# at 10 reports, 281 at 20, 373 at 30); at 16 it is 160, 171, 224 MB at the same CPU time.
# Encodings do not depend on the batch, so the shards are the same bytes.
TOKENIZE_BATCH_DOCS = 16


class TokenizerTrainer(PipelineStep):
    """Train a byte-level BPE tokenizer on the documents it reads (the training split), or on a
    bounded sample of them (``kinyu.corpus.tokenize.tokenizer_sample``) when they exceed ``sample_chars``.

    A pipeline step, so that Slurm and Ray runs train it on a worker like every other stage.
    """

    name = "🔠 Tokenizer trainer"
    type = "🔢 - TOKENIZER"

    def __init__(self, out_file: str, vocab_size: int, sample_chars: int):
        super().__init__()
        self.out_file = out_file
        self.vocab_size = vocab_size
        self.sample_chars = sample_chars

    def run(self, data, rank: int = 0, world_size: int = 1):
        def docs():
            for doc in data:
                self.stat_update("documents")
                yield doc.id, doc.text

        with self.track_time():
            texts = tokenizer_sample(docs(), self.sample_chars)
            self.stat_update("sampled_documents", value=len(texts))
            final = Path(self.out_file).parent
            tmp = final.with_name(".tokenizer.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            train_tokenizer(texts, tmp / Path(self.out_file).name, vocab_size=self.vocab_size)
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
        return
        yield  # a generator that yields nothing: this step ends its pipeline


class LazyDocumentTokenizer(DocumentTokenizer):
    """datatrove's DocumentTokenizer whose EOS token is resolved when it runs: the tokenizer file
    may be trained by an earlier stage of the same build."""

    def __init__(self, output_folder, tokenizer_file, eos_token, seed, shuffle, max_tokens_per_file):
        super().__init__(
            output_folder,
            tokenizer_file,
            eos_token=eos_token,
            seed=seed,
            shuffle_documents=shuffle,
            max_tokens_per_file=max_tokens_per_file,
            # datatrove's default, 10,000 documents per encode_batch, held every text and encoding
            # of a task at once: peak memory grew with the corpus (benchmarks/scale.py, filings.py)
            batch_size=TOKENIZE_BATCH_DOCS,
        )

    def run(self, data, rank: int = 0, world_size: int = 1):
        if self.eos_token is None:
            self.eos_token, _ = tokenizer_eos(self.tokenizer_name_or_path)
        return super().run(data, rank, world_size)
