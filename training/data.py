"""Training windows from datatrove token shards: packed, memory-mapped, seeded, resumable by one number.

The shards of a source (all ``tokens/train`` folders of its CORPUS_RUNs) are read as one token
stream by memory map; documents already end with EOS, so cutting the stream into windows of
``seq_len + 1`` tokens at stride ``seq_len`` packs documents back to back with EOS between
them (input = window[:-1], target = window[1:]). Nothing but the current window is read.

The order of windows is a pure function of (seed, global sample index): sample ``i`` comes
from the replay source when ``floor((i + 1) r) > floor(i r)`` for the replay ratio ``r`` (an
exact, evenly spread interleave), otherwise from the domain source; the k-th window of a
source lies in epoch ``k // n`` at position ``k % n`` of that epoch's seeded permutation. The
data position of a checkpoint is therefore one integer, the number of samples consumed, and a
resumed run can neither repeat nor skip a window, whatever the number of processes.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from kinyu.corpus.shards import TokenShard, list_shards
from kinyu.training.config import ScheduleConfig


def replay_before(i: int, ratio: Fraction) -> int:
    """How many of samples ``0 .. i-1`` come from the replay source at this replay ratio."""
    return (i * ratio.numerator) // ratio.denominator


def replay_fraction(replay_ratio: float) -> Fraction:
    # a fraction keeps the interleave exact in integer arithmetic at any index
    return Fraction(replay_ratio).limit_denominator(10_000)


def samples_for_epochs(domain_windows: int, ratio: Fraction, epochs: float) -> int:
    """Fewest samples whose domain part covers ``epochs`` passes over ``domain_windows`` windows."""
    want = math.ceil(epochs * domain_windows)
    i = math.ceil(want / (1 - float(ratio)))
    while i - replay_before(i, ratio) < want:
        i += 1
    while i > 0 and (i - 1) - replay_before(i - 1, ratio) >= want:
        i -= 1
    return i


class PackedWindows:
    """``seq_len + 1``-token windows at stride ``seq_len`` over the concatenated shards of one source."""

    def __init__(self, shards: list[TokenShard], seq_len: int):
        self.shards = list(shards)
        self.seq_len = seq_len
        lengths = np.array([len(s) for s in self.shards], dtype=np.int64)
        self.shard_starts = np.concatenate([[0], np.cumsum(lengths)])
        self.total_tokens = int(self.shard_starts[-1])
        # each window needs one token beyond its seq_len inputs for the last target
        self.num_windows = max(0, (self.total_tokens - 1) // seq_len)

    @classmethod
    def from_folders(cls, folders: list[str | Path], seq_len: int) -> "PackedWindows":
        return cls([s for f in folders for s in list_shards(f)], seq_len)

    def __len__(self) -> int:
        return self.num_windows

    def window(self, i: int) -> np.ndarray:
        if not 0 <= i < self.num_windows:
            raise IndexError(f"window {i} out of range (0..{self.num_windows - 1})")
        start, end = i * self.seq_len, i * self.seq_len + self.seq_len + 1
        first = int(np.searchsorted(self.shard_starts, start, side="right")) - 1
        pieces, pos, k = [], start, first
        while pos < end:
            shard_start = int(self.shard_starts[k])
            take_to = min(end, int(self.shard_starts[k + 1]))
            pieces.append(self.shards[k].tokens[pos - shard_start : take_to - shard_start])
            pos, k = take_to, k + 1
        return (pieces[0] if len(pieces) == 1 else np.concatenate(pieces)).astype(np.int64)


class MixedWindowOrder:
    """The seeded order of training windows, domain and replay interleaved at ``replay_ratio``."""

    DOMAIN, REPLAY = 0, 1

    def __init__(self, domain: PackedWindows, replay: PackedWindows | None = None, replay_ratio: float = 0.0,
                 seed: int = 0):
        if len(domain) == 0:
            raise ValueError(f"the domain shards hold fewer than seq_len+1={domain.seq_len + 1} tokens: no window to train on")
        if replay_ratio > 0 and (replay is None or len(replay) == 0):
            raise ValueError("replay_ratio > 0 but the replay shards hold no full window")
        self.sources = (domain, replay)
        self.seed = seed
        self.ratio = replay_fraction(replay_ratio)
        self._perm_cache: dict[tuple[int, int], np.ndarray] = {}

    def replay_before(self, i: int) -> int:
        """How many of samples ``0 .. i-1`` come from the replay source."""
        return replay_before(i, self.ratio)

    def domain_before(self, i: int) -> int:
        return i - self.replay_before(i)

    def samples_for_domain_epochs(self, epochs: float) -> int:
        """Fewest samples whose domain part covers ``epochs`` passes over the domain windows."""
        return samples_for_epochs(len(self.sources[0]), self.ratio, epochs)

    def _permutation(self, source: int, epoch: int) -> np.ndarray:
        # one lookup, no check-then-read: the read-ahead thread (RankBatches) may clear the cache meanwhile
        key = (source, epoch)
        perm = self._perm_cache.get(key)
        if perm is None:
            if len(self._perm_cache) > 8:
                self._perm_cache.clear()
            perm = np.random.default_rng([self.seed, source, epoch]).permutation(len(self.sources[source]))
            self._perm_cache[key] = perm
        return perm

    def locate(self, i: int) -> tuple[int, int, int]:
        """(source, epoch of that source, window id) of global sample ``i``."""
        replay_here = self.replay_before(i + 1) > self.replay_before(i)
        source = self.REPLAY if replay_here else self.DOMAIN
        k = self.replay_before(i) if replay_here else self.domain_before(i)
        n = len(self.sources[source])
        epoch, pos = divmod(k, n)
        return source, epoch, int(self._permutation(source, epoch)[pos])

    def sample(self, i: int) -> np.ndarray:
        source, _, window = self.locate(i)
        return self.sources[source].window(window)

    def batch(self, indices: list[int] | range) -> np.ndarray:
        """Windows of the given global sample indices, shape (len(indices), seq_len + 1), int64."""
        return np.stack([self.sample(i) for i in indices])

    def domain_epoch(self, i: int) -> float:
        """Domain epochs completed after ``i`` samples (fractional)."""
        return self.domain_before(i) / len(self.sources[0])


class RankBatches:
    """The micro batches one rank trains on, in the data order: step ``s``, micro batch ``m`` of rank
    ``r`` holds global samples ``s * global_batch + (m * world + r) * micro_batch_size`` onwards.

    With ``prefetch`` the next micro batch is read (and, on CUDA, pinned) in a background thread
    while the device computes the current one; the order is a pure function of the step, so
    reading ahead changes no result.
    """

    def __init__(self, order: MixedWindowOrder, schedule: ScheduleConfig, rank: int, world: int, device: torch.device,
                 prefetch: bool):
        self.order, self.rank, self.world = order, rank, world
        self.micro, self.accum = schedule.micro_batch_size, schedule.grad_accum_steps
        self.global_batch = self.micro * self.accum * world
        self.device = device
        self.pin = device.type == "cuda"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinyu-batches") if prefetch else None
        self._ahead: tuple[tuple[int, int], Future] | None = None

    def first_sample(self, step: int, micro: int) -> int:
        return step * self.global_batch + (micro * self.world + self.rank) * self.micro

    def _host_batch(self, step: int, micro: int) -> torch.Tensor:
        start = self.first_sample(step, micro)
        batch = torch.from_numpy(self.order.batch(range(start, start + self.micro)))
        return batch.pin_memory() if self.pin else batch

    def _next_key(self, step: int, micro: int) -> tuple[int, int]:
        return (step, micro + 1) if micro + 1 < self.accum else (step + 1, 0)

    def _get(self, step: int, micro: int) -> torch.Tensor:
        if self._pool is None:
            return self._host_batch(step, micro)
        ahead = self._ahead
        batch = ahead[1].result() if ahead is not None and ahead[0] == (step, micro) else self._host_batch(step, micro)
        key = self._next_key(step, micro)
        self._ahead = (key, self._pool.submit(self._host_batch, *key))
        return batch

    def micro_batches(self, step: int) -> Iterator[torch.Tensor]:
        """The ``grad_accum_steps`` micro batches of this rank for optimiser step ``step`` (0-based), on device."""
        for micro in range(self.accum):
            yield self._get(step, micro).to(self.device, non_blocking=self.pin)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def validation_windows(folders: list[str | Path], seq_len: int) -> PackedWindows | None:
    """The corpus runs' validation shards as windows (validation uses the first ones, in order)."""
    existing = [f for f in folders if Path(f).is_dir() and any(Path(f).glob("*.ds"))]
    if not existing:
        return None
    return PackedWindows.from_folders(existing, seq_len)
