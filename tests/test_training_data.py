"""The training data order: packing, memory maps, seeded epochs, replay interleave (no model, fast)."""

from __future__ import annotations

import numpy as np
import pytest

from _corpus_fixture import build_financial_and_replay
from kinyu.corpus.shards import list_shards
from kinyu.corpus.tokenize import EOS_TOKEN
from kinyu.training.data import MixedWindowOrder, PackedWindows


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    return build_financial_and_replay(tmp_path_factory.mktemp("train_data"), n_docs=200)


def _eos_id(run):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(run / "tokenizer" / "tokenizer.json")).token_to_id(EOS_TOKEN)


def test_windows_pack_documents_with_eos_and_cover_the_stream(corpora):
    fin, _ = corpora
    shards = list_shards(fin / "tokens" / "train")
    windows = PackedWindows(shards, seq_len=64)
    # memory-mapped, not loaded: the shard's token array is a view on the file
    assert isinstance(shards[0].tokens, np.memmap)
    stream = np.concatenate([np.asarray(s.tokens, dtype=np.int64) for s in shards])
    assert len(windows) == (len(stream) - 1) // 64
    for i in (0, 1, len(windows) // 2, len(windows) - 1):
        w = windows.window(i)
        assert w.shape == (65,) and w.dtype == np.int64
        np.testing.assert_array_equal(w, stream[i * 64 : i * 64 + 65])
    # consecutive windows overlap by exactly the one target token
    assert windows.window(3)[-1] == windows.window(4)[0]
    # documents sit back to back with EOS between them: EOS occurs inside windows, once per document
    eos = _eos_id(fin)
    assert int((stream == eos).sum()) == sum(s.num_docs for s in shards)
    assert any((windows.window(i)[1:-1] == eos).any() for i in range(len(windows)))
    with pytest.raises(IndexError):
        windows.window(len(windows))


def test_windows_cross_shard_boundaries(corpora):
    fin, gen = corpora
    shards = list_shards(fin / "tokens" / "train") + list_shards(gen / "tokens" / "train")
    windows = PackedWindows(shards, seq_len=100)
    stream = np.concatenate([np.asarray(s.tokens, dtype=np.int64) for s in shards])
    boundary = len(shards[0])
    i = boundary // 100  # the window that straddles the two shards
    assert i * 100 < boundary < i * 100 + 101
    np.testing.assert_array_equal(windows.window(i), stream[i * 100 : i * 100 + 101])


def test_order_is_seeded_and_each_epoch_sees_every_window_once(corpora):
    fin, _ = corpora
    windows = PackedWindows.from_folders([fin / "tokens" / "train"], seq_len=64)
    n = len(windows)
    a, b, c = (MixedWindowOrder(windows, seed=s) for s in (7, 7, 8))
    seq_a = [a.locate(i) for i in range(3 * n)]
    assert seq_a == [b.locate(i) for i in range(3 * n)]
    assert seq_a != [c.locate(i) for i in range(3 * n)]
    for epoch in range(3):
        part = seq_a[epoch * n : (epoch + 1) * n]
        assert {e for _, e, _ in part} == {epoch}
        assert sorted(w for _, _, w in part) == list(range(n))
    # epochs are shuffled differently
    assert [w for _, _, w in seq_a[:n]] != [w for _, _, w in seq_a[n : 2 * n]]


@pytest.mark.parametrize("ratio", [0.1, 0.25, 0.5])
def test_replay_share_is_exact_and_evenly_spread(corpora, ratio):
    fin, gen = corpora
    order = MixedWindowOrder(PackedWindows.from_folders([fin / "tokens" / "train"], 64),
                             PackedWindows.from_folders([gen / "tokens" / "train"], 64), ratio, seed=0)
    sources = np.array([order.locate(i)[0] for i in range(5000)])
    assert abs(sources.mean() - ratio) < 0.01
    # evenly spread: every block of 100 samples holds the ratio to within one window
    blocks = sources[:5000].reshape(50, 100).mean(axis=1)
    assert np.all(np.abs(blocks - ratio) <= 0.011)
    assert order.replay_before(5000) == int(sources.sum())


def test_samples_for_domain_epochs_counts_domain_windows_only(corpora):
    fin, gen = corpora
    dom = PackedWindows.from_folders([fin / "tokens" / "train"], 64)
    order = MixedWindowOrder(dom, PackedWindows.from_folders([gen / "tokens" / "train"], 64), 0.2, seed=0)
    total = order.samples_for_domain_epochs(2.0)
    assert order.domain_before(total) == 2 * len(dom)
    assert order.domain_before(total - 1) < 2 * len(dom)
    assert order.domain_epoch(total) == pytest.approx(2.0)
