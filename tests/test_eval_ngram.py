"""The character n-gram baseline (kinyu.evaluation.ngram): a proper distribution over its vocabulary
(unknown-character mass included) in every context, and its bits per character as the sum of those
probabilities' logs."""

from __future__ import annotations

import math

import pytest

from kinyu.evaluation.ngram import UNK, CharNgramLM, bits_per_character_ngram

TRAIN = ["当社グループの売上高は前年同期比12.5%増の3,456億円となりました。",
         "営業利益は原材料価格の上昇により減少しましたが、経常利益は増加しました。",
         "配当金につきましては、1株当たり年間40円とさせていただく予定です。"]


@pytest.mark.parametrize("order", [1, 3, 5])
@pytest.mark.parametrize("context", ["", "売上", "利益は", "しました", "未知の文脈", "x"])
def test_probabilities_sum_to_one_over_the_vocabulary(order, context):
    lm = CharNgramLM(TRAIN, order=order)
    assert lm.vocab[-1] == UNK and len(set(lm.vocab)) == len(lm.vocab)
    probs = [lm.prob(c, context) for c in lm.vocab]
    assert all(p > 0 for p in probs)
    assert sum(probs) == pytest.approx(1.0, abs=1e-12)


def test_unseen_characters_share_the_unknown_mass_and_context_helps():
    lm = CharNgramLM(TRAIN, order=3)
    assert lm.prob("龍", "売上") == lm.prob(UNK, "売上") < lm.prob("高", "売上")
    assert lm.prob("高", "売上") > 5 * lm.prob("高", "となり")  # 売上 is followed by 高 in training, となり never
    assert lm.prob("高", "売上") > CharNgramLM(TRAIN, order=1).prob("高", "売上")


def test_bits_per_character_is_the_summed_log_probability():
    lm = CharNgramLM(TRAIN, order=3)
    text = "売上高は増加しました。"
    by_hand = -sum(math.log2(lm.prob(c, text[:i])) for i, c in enumerate(text))
    r = bits_per_character_ngram(lm, [text, TRAIN[0]])
    assert r["per_document"]["nll_bits"][0] == pytest.approx(by_hand)
    assert r["per_document"]["characters"] == [len(text), len(TRAIN[0])]
    assert r["bits_per_character"] == pytest.approx(sum(r["per_document"]["nll_bits"]) / (len(text) + len(TRAIN[0])))
    # a seen sentence is cheaper than its characters shuffled, and both below uniform over the vocabulary
    shuffled = TRAIN[0][::2] + TRAIN[0][1::2]
    seen, unseen = (bits_per_character_ngram(lm, [t])["bits_per_character"] for t in (TRAIN[0], shuffled))
    assert seen < unseen < math.log2(len(lm.vocab))
    with pytest.raises(ValueError):
        CharNgramLM([""], order=3)
