"""Read the datatrove token shards that ``kinyu corpus build`` writes, by memory map.

A shard is datatrove's ``DocumentTokenizer`` output: ``NAME.ds`` (little-endian uint16 or
uint32 token ids, documents back to back, each ending in EOS), ``NAME.ds.index`` (uint64
cumulative document ends, in tokens) and ``NAME.ds.metadata`` (``tokenizer|token_size``,
token count). Training and evaluation read shards only through this module, so the format is
defined in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from kinyu.base.layout import CorpusRun
from kinyu.base.errors import UserError


class ShardError(UserError):
    """A token shard folder that is missing, empty or inconsistent."""


@dataclass(frozen=True)
class TokenShard:
    path: Path  # the .ds file

    @cached_property
    def token_size(self) -> int:
        meta = Path(str(self.path) + ".metadata")
        if meta.is_file():
            first = meta.read_text(encoding="utf-8").splitlines()[0]
            return int(first.rsplit("|", 1)[1])
        # without metadata, infer from the index: the last document end counts tokens
        n_bytes = self.path.stat().st_size
        n_tokens = int(self.doc_ends[-1]) if len(self.doc_ends) else 0
        if n_tokens == 0:
            return 2
        if n_bytes % n_tokens or n_bytes // n_tokens not in (2, 4):
            raise ShardError(f"{self.path}: cannot infer token size ({n_bytes} bytes, {n_tokens} tokens)")
        return n_bytes // n_tokens

    @property
    def dtype(self) -> np.dtype:
        return np.dtype("<u4") if self.token_size == 4 else np.dtype("<u2")

    @cached_property
    def tokens(self) -> np.ndarray:
        """All token ids of this shard as a read-only memory map (nothing loaded into RAM)."""
        if self.path.stat().st_size == 0:
            return np.zeros(0, dtype=self.dtype)
        return np.memmap(self.path, dtype=self.dtype, mode="r")

    @cached_property
    def doc_ends(self) -> np.ndarray:
        index = Path(str(self.path) + ".index")
        if not index.is_file():
            raise ShardError(f"{self.path}: index file {index.name} is missing")
        return np.fromfile(index, dtype="<u8")

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def num_docs(self) -> int:
        return int(self.doc_ends.shape[0])

    def document(self, i: int) -> np.ndarray:
        start = int(self.doc_ends[i - 1]) if i > 0 else 0
        return self.tokens[start : int(self.doc_ends[i])]

    def documents(self):
        for i in range(self.num_docs):
            yield self.document(i)


def list_shards(folder: str | Path) -> list[TokenShard]:
    """Shards of a folder (e.g. ``CORPUS_RUN/tokens/train``), in a stable, sorted order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ShardError(f"token shard folder not found: {folder}")
    shards = [TokenShard(p) for p in sorted(folder.glob("*.ds"))]
    if not shards:
        raise ShardError(f"no token shards (*.ds) in {folder}")
    return shards


def corpus_tokenizer_file(corpus_run: str | Path) -> Path:
    """The tokenizer.json a corpus run's shards were made with."""
    path = CorpusRun(corpus_run).tokenizer_file
    if not path.is_file():
        raise ShardError(f"{corpus_run}: no tokenizer/tokenizer.json (was this folder made by `kinyu corpus build`?)")
    return path
