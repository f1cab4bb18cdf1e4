"""Checkers for chapter 5, language models (``book/05_language_models.md``)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import numpy as np

from .. import language as lm
from .. import laws
from . import WrongAnswer, as_answer_array, correct, hidden_test_failed, hint_of

__all__ = ["check_expected_types", "grade_expected_types", "check_by_hand", "grade_by_hand",
           "check_accumulate", "grade_accumulate"]

#: The solution prints the expected number of types with one decimal: values typed from it are accepted.
TYPES_ROUNDING = 0.05


def _types_hint(answer, counts, M: int) -> str | None:
    answer = as_answer_array(answer, (), "one number, the expected number of word types")
    q = np.asarray(counts, dtype=float)
    q = q[q > 0] / M
    truth = float(np.sum(1 - laws.probability_lost(q, M)))
    limit = float(np.sum(-np.expm1(-M * q)))
    if abs(answer - truth) > abs(truth - limit) + TYPES_ROUNDING + 1e-9 * truth:
        if answer >= q.size:
            return "no word can be gained, and rare words are lost: the answer is below the number of types now"
        if answer < q.size / 2:
            return "is that the expected number of words *lost*? A word survives with probability 1 - (1 - q)^M"
        return "a word with count c survives with probability 1 - (1 - c/M)^M; check q and the power"
    return None


def check_expected_types(answer, counts, M: int) -> None:
    """Exercise ``ex-language-types``: expected distinct words after one generation of the unigram loop.

    The exact value is sum over words of 1 - (1 - q)^M with q = count / M; the e^{-c} limit is
    accepted too (the tolerance is its distance from the exact sum, plus the rounding to one
    decimal of the solution's printout).
    """
    hint = _types_hint(answer, counts, M)
    if hint:
        raise WrongAnswer(hint)
    correct("the expected vocabulary after one generation")


def grade_expected_types(answer, counts, M: int) -> None:
    """Hidden test of ``ex-language-types``: the same exact comparison."""
    if hint_of(_types_hint, answer, counts, M):
        raise hidden_test_failed("ex-language-types", "not the expected number of surviving word types")


#: A hand calculation may be rounded to three decimals.
BY_HAND_TOLERANCE = 5e-4


def _by_hand_hint(answer) -> str | None:
    answer = as_answer_array(answer, (), "one probability")
    vocabulary = lm.Vocabulary(("<unk>", "<s>", "a", "b", "c"))
    a, b, c = vocabulary.encode(["a", "b", "c"])
    model = lm.train(vocabulary.encode(["a", "b", "a", "b", "c"]), len(vocabulary), n=3, discount=0.75)
    truth = lm.next_token_probabilities(model, [[a, b]])[0, c]
    if abs(answer - truth) > BY_HAND_TOLERANCE:
        if not 0 < answer < 1:
            return "a probability of a token that was seen is strictly between 0 and 1"
        return ("check the lower orders: they use continuation counts (distinct left neighbours, including <s>), "
                "not raw counts, and V = 4 predictable tokens (<unk>, a, b, c)")
    return None


def check_by_hand(answer) -> None:
    """Exercise ``ex-language-by-hand``: P(c | a b) of a trigram Kneser–Ney model (D = 0.75) on "a b a b c".

    Compared with the library's model to three decimals (a hand calculation may be rounded).
    """
    hint = _by_hand_hint(answer)
    if hint:
        raise WrongAnswer(hint)
    correct("P(c | a b) by hand equals the library's model")


def grade_by_hand(answer) -> None:
    """Hidden test of ``ex-language-by-hand``: the same comparison with the library's model."""
    if hint_of(_by_hand_hint, answer):
        raise hidden_test_failed("ex-language-by-hand", "not the model's P(c | a b)")


@contextlib.contextmanager
def _watched(function: Callable, calls: list):
    """Record every call of ``lm.train`` and ``lm.sample`` made while the block runs: the name,
    the arguments and the result. Both names are replaced wherever they are bound to the library's
    functions: in ``collapse_lib``'s modules and in the globals of the student's function (which
    covers ``from collapse_lib.language import train``)."""
    originals = {"train": lm.train, "sample": lm.sample}

    def recorder(name):
        def wrapper(*args, **kwargs):
            result = originals[name](*args, **kwargs)
            calls.append((name, args, kwargs, result))
            return result
        return wrapper

    wrappers = {name: recorder(name) for name in originals}
    namespaces = [vars(module) for name, module in list(sys.modules.items())
                  if name.startswith("collapse_lib") and module is not None]
    namespaces.append(getattr(function, "__globals__", {}))
    patched = []
    for namespace in namespaces:
        for key, value in list(namespace.items()):
            for name, original in originals.items():
                if value is original:
                    namespace[key] = wrappers[name]
                    patched.append((namespace, key, original))
    try:
        yield
    finally:
        for namespace, key, original in patched:
            namespace[key] = original


def _same_blocks(a, b) -> bool:
    """Whether two arrays of blocks hold the same blocks, in any order."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    return bool(np.array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])]))


def _accumulate_hint(function: Callable, real_blocks, test_blocks, vocab_size: int, generations: int,
                     seeds) -> str | None:
    """None when ``function(generations, seed)`` runs the accumulate loop, else a hint.

    The calls of ``lm.train`` and ``lm.sample`` are watched, so the check is exact: model 0 trains on
    the real blocks; model t samples continuations of the real blocks at T = 1; model t + 1 trains
    on the real blocks and every continuation so far; and the returned perplexities are the models'
    perplexities on the test blocks.
    """
    if not callable(function):
        return f"pass your function itself, not {type(function).__name__}"
    real_blocks, test_blocks = np.asarray(real_blocks), np.asarray(test_blocks)
    for seed in seeds:
        calls: list = []
        with _watched(function, calls):
            values = function(generations, seed)
        values = as_answer_array(values, (generations + 1,),
                                 f"the perplexities of generations 0..{generations}")
        trained = [(args, kwargs, model) for name, args, kwargs, model in calls if name == "train"]
        sampled = [(args, kwargs, blocks) for name, args, kwargs, blocks in calls if name == "sample"]
        if len(trained) != generations + 1 or len(sampled) != generations:
            return (f"seed {seed}: {generations} generations need {generations + 1} calls of lm.train and "
                    f"{generations} of lm.sample (the check watches them); yours made {len(trained)} and "
                    f"{len(sampled)}")
        models = [model for _, _, model in trained]
        pool = []
        for t, (args, kwargs, model) in enumerate(trained):
            if not _same_blocks(args[0] if args else kwargs.get("blocks"), np.concatenate([real_blocks, *pool])):
                return (f"seed {seed}: generation {t} must train on the real blocks and every earlier "
                        "generation's continuations, nothing else" if t else
                        f"seed {seed}: generation 0 trains on the real blocks alone")
            if t < generations:
                sample_args, sample_kwargs, blocks = sampled[t]
                if sample_args[0] is not model:
                    return (f"seed {seed}: generation {t + 1}'s training text must be written by model {t}, the "
                            "newest model")
                prompts = sample_args[1] if len(sample_args) > 1 else sample_kwargs.get("prompts")
                if not np.array_equal(np.asarray(prompts), real_blocks):
                    return f"seed {seed}: every generation continues the real blocks"
                if sample_kwargs.get("temperature", 1.0) != 1.0 or sample_kwargs.get("top_k") is not None:
                    return f"seed {seed}: sample at T = 1, from the whole distribution"
                pool.append(blocks)
        expected = np.array([lm.corpus_perplexity(model, test_blocks) for model in models])
        if not np.allclose(values, expected, rtol=1e-9):
            return (f"seed {seed}: the values you return are not the held-out perplexities (on test_blocks) of "
                    "the models you trained, in order")
    return None


def check_accumulate(function: Callable, *, real_blocks, test_blocks, vocab_size: int, seeds=(1, 2)) -> None:
    """Exercise ``ex-language-accumulate``: held-out perplexities of the accumulate loop, sampling at T = 1.

    ``function(generations, seed)`` returns the perplexities of generations 0..5, for each seed in
    ``seeds``. The check watches the function's calls of ``lm.train`` and ``lm.sample``, so it is
    exact, with no statistical tolerance: each model must train on the real blocks and every
    earlier generation's continuations, each generation must be written by the newest model
    continuing the real blocks at T = 1, and the values returned must be the trained models'
    held-out perplexities.
    """
    hint = _accumulate_hint(function, real_blocks, test_blocks, vocab_size, 5, seeds)
    if hint:
        raise WrongAnswer(hint)
    correct(f"your accumulate loop trains and samples as it should, for {len(seeds)} seeds")


def grade_accumulate(function: Callable, *, real_blocks, test_blocks, vocab_size: int, seeds=(1, 2)) -> None:
    """Hidden test of ``ex-language-accumulate``: the same exact checks for another number of
    generations (three) and another seed."""
    if hint_of(_accumulate_hint, function, real_blocks, test_blocks, vocab_size, 3, (max(seeds) + 1,)):
        raise hidden_test_failed("ex-language-accumulate", "the function does not run the accumulate loop")
