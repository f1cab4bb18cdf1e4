"""Checkers for chapter 5, language models (``book/05_language_models.md``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import language as lm
from .. import laws, montecarlo
from ..schemes import Accumulate
from . import WrongAnswer, as_answer_array, correct

__all__ = ["check_expected_types", "check_by_hand", "check_accumulate"]


def check_expected_types(answer, counts, M: int) -> None:
    """Exercise ``ex-language-types``: expected distinct words after one generation of the unigram loop.

    The exact value is sum over words of 1 - (1 - q)^M with q = count / M; the e^{-c} limit is
    accepted too (the tolerance is its distance from the exact sum).
    """
    answer = as_answer_array(answer, (), "one number, the expected number of word types")
    q = np.asarray(counts, dtype=float)
    q = q[q > 0] / M
    truth = float(np.sum(1 - laws.probability_lost(q, M)))
    limit = float(np.sum(-np.expm1(-M * q)))
    if abs(answer - truth) > abs(truth - limit) + 1e-9 * truth:
        if answer >= q.size:
            hint = "no word can be gained, and rare words are lost: the answer is below the number of types now"
        elif answer < q.size / 2:
            hint = "is that the expected number of words *lost*? A word survives with probability 1 - (1 - q)^M"
        else:
            hint = "a word with count c survives with probability 1 - (1 - c/M)^M; check q and the power"
        raise WrongAnswer(hint)
    correct("the expected vocabulary after one generation")


def check_by_hand(answer) -> None:
    """Exercise ``ex-language-by-hand``: P(c | a b) of a trigram Kneser–Ney model (D = 0.75) on "a b a b c"."""
    answer = as_answer_array(answer, (), "one probability")
    vocabulary = lm.Vocabulary(("<unk>", "<s>", "a", "b", "c"))
    a, b, c = vocabulary.encode(["a", "b", "c"])
    model = lm.train(vocabulary.encode(["a", "b", "a", "b", "c"]), len(vocabulary), n=3, discount=0.75)
    truth = lm.next_token_probabilities(model, [[a, b]])[0, c]
    if abs(answer - truth) > 1e-12:
        hint = ("check the lower orders: they use continuation counts (distinct left neighbours, including <s>), "
                "not raw counts, and V = 4 predictable tokens (<unk>, a, b, c)")
        raise WrongAnswer(hint)
    correct("P(c | a b) by hand equals the library's model")


def check_accumulate(function: Callable, *, real_blocks, test_blocks, vocab_size: int, seeds=(1, 2)) -> None:
    """Exercise ``ex-language-accumulate``: held-out perplexities of the accumulate loop, sampling at T = 1.

    ``function(generations, seed)`` returns the perplexities of generations 0..5 for each seed in
    ``seeds``. Generation 0 must be the model of the real blocks, exactly. Generations 1..5 are
    compared with the library's accumulate loop (:func:`collapse_lib.language.self_consuming_generations`
    with ``Accumulate()``) over eight seeds: each of your values must lie within the
    family-wise tolerance of their mean, in units of the spread of single runs.
    """
    real_blocks, test_blocks = np.asarray(real_blocks), np.asarray(test_blocks)
    reference = np.array([
        [lm.corpus_perplexity(model, test_blocks) for model in lm.self_consuming_generations(
            real_blocks, vocab_size, 5, scheme=Accumulate(), decoding="sample", rng=seed).models]
        for seed in range(100, 108)
    ])
    mean, se = montecarlo.mean_and_se(reference, axis=0)
    run_sd = se * np.sqrt(reference.shape[0] + 1)  # a single run's spread around the mean of eight
    for seed in seeds:
        values = as_answer_array(function(5, seed), (6,), "the perplexities of generations 0..5")
        if abs(values[0] - mean[0]) > 1e-9 * mean[0]:
            raise WrongAnswer("generation 0 is the model trained on the real blocks alone")
        try:
            montecarlo.check_agreement({"perplexity": (values[1:], run_sd[1:], mean[1:])}, quiet=True)
        except montecarlo.DisagreementError:
            hint = ("too high: does every generation train on the real blocks *and* every earlier generation's "
                    "continuations?" if np.any(values[1:] > mean[1:]) else
                    "too low: each generation should add the newest model's continuations of the real blocks")
            raise WrongAnswer(f"seed {seed}: {hint}") from None
    correct(f"your accumulate loop matches the library's over {len(seeds)} seeds")
