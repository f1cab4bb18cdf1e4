"""The self-consuming loop for n-gram language models: Shumailov et al.'s protocol, any data scheme.

Generation 0 trains on the real blocks. At every generation t >= 1 the newest model continues
every original block (prompted with the real block, continued by as many tokens as a block
has), and the next model trains on what the data scheme (:mod:`collapse_lib.schemes`) makes of
those continuations: only them (replace), with a fraction of original blocks swapped back in
(keep-real, Shumailov et al. kept 10%), next to the real blocks (augment), next to new real
blocks (fresh), with everything so far (accumulate), or a subsample of everything so far.

Chapter: ``book/05_language_models.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schemes import Accumulate, AccumulateSubsample, Augment, Fresh, KeepReal, Replace, Scheme, as_scheme
from ..validation import RNGLike, as_generator, check_choice, check_int, check_memory, check_real
from .decoding import check_temperature, continue_by_beam_search, continue_by_sampling
from .kneser_ney import NGramModel, _pointwise, check_order, fit
from .text import check_blocks

__all__ = ["GenerationsResult", "self_consuming_generations", "continuation_log_probability",
           "MAX_LANGUAGE_GENERATIONS"]

#: Most generations of one language-model loop. Each trains a model and writes a corpus (about a
#: second at the book's scale); the book runs 10 to 20, the paper 10.
MAX_LANGUAGE_GENERATIONS = 1_000


@dataclass(frozen=True)
class GenerationsResult:
    """The training sets and models of one self-consuming run, generation first.

    The same fields as :class:`collapse_lib.loops.LoopResult` where they mean the same thing
    (``train_sizes``, ``scheme``); a LoopResult holds many replicates (replicate first, generation
    second), this holds one run, so its lists are indexed by generation.
    """

    data: list
    """The training blocks of every generation, ``data[t]`` of shape (train_sizes[t], length),
    ``data[0]`` being the real text."""
    kept: list
    """Which blocks of each training set are real text (bool arrays aligned with ``data``)."""
    models: list
    """The model trained on each generation's data (:class:`NGramModel`)."""
    train_sizes: np.ndarray
    """Number of training blocks of each generation, shape (generations + 1,)."""
    scheme: Scheme


def self_consuming_generations(
    real_blocks,
    vocab_size: int,
    generations: int,
    *,
    scheme: Scheme | str = "replace",
    n: int = 3,
    discount: float = 0.75,
    decoding: str = "beam",
    beam_width: int = 5,
    temperature: float = 1.0,
    top_k: int | None = None,
    candidates: int = 1,
    judge: NGramModel | str = "self",
    rng: RNGLike = None,
) -> GenerationsResult:
    """Train, regenerate the training set with the model, retrain: Shumailov et al.'s protocol.

    Parameters
    ----------
    real_blocks : array_like of int, shape (blocks, length)
    vocab_size : int
        ``len(vocabulary)``.
    generations : int
        Number of regenerations (>= 0).
    scheme : Scheme or str, default "replace"
        What each generation trains on (:mod:`collapse_lib.schemes`). Every scheme counts in
        blocks: ``KeepReal(fraction)`` swaps a fresh random subset of that fraction of the blocks
        back to the original text; ``Fresh(real_size, sampler)`` adds ``sampler(real_size, rng)``,
        new real blocks of shape (real_size, length); ``AccumulateSubsample(budget)`` trains on
        ``budget`` blocks (default: as many as the real text has).
    n, discount
        As in :func:`~collapse_lib.language.train`.
    decoding : {"beam", "sample"}
        Beam search (``beam_width``) or sampling (``temperature``, ``top_k``).
    candidates : int, default 1
        With sampling: continuations drawn per prompt, of which the one the ``judge`` finds most
        probable (lowest perplexity given the prompt) is kept: best-of-k curation.
    judge : NGramModel or "self", default "self"
        Who rates the candidates: the model that wrote them ("self") or a fixed model, for
        example one trained on other real text.
    rng : numpy.random.Generator, int or None
        Used for sampling and for choosing blocks.

    Returns
    -------
    GenerationsResult
    """
    # Everything is checked once here; the loop then calls the unchecked fit and decoders.
    vocab_size = check_int(vocab_size, "vocab_size", minimum=3)
    real = check_blocks(real_blocks, "real_blocks", vocab_size)
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_LANGUAGE_GENERATIONS)
    scheme = as_scheme(scheme)
    n = check_order(n, vocab_size)
    discount = check_real(discount, "discount", low=0, high=1, low_open=True)
    decoding = check_choice(decoding, "decoding", ("beam", "sample"))
    beam_width = check_int(beam_width, "beam_width", minimum=1)
    temperature = check_temperature(temperature)
    top_k = None if top_k is None else check_int(top_k, "top_k", minimum=1)
    candidates = check_int(candidates, "candidates", minimum=1, maximum=1000)
    if candidates > 1 and decoding != "sample":
        raise ValueError("candidates > 1 needs decoding='sample' (beam search writes one continuation per prompt)")
    if not (isinstance(judge, NGramModel) or judge == "self"):
        raise TypeError(f"judge must be 'self' or an NGramModel (from language.train), got {judge!r}")
    if isinstance(judge, NGramModel) and judge.vocab_size != vocab_size:
        raise ValueError(f"judge must use the same vocabulary (vocab_size {vocab_size}), got {judge.vocab_size}")
    rng = as_generator(rng)
    count, length = real.shape
    if length < n - 1:
        raise ValueError(f"real_blocks need at least n-1 = {n - 1} tokens to prompt the model, got {length}")
    stored = (generations + 1) * (generations + 2) / 2 if isinstance(scheme, Accumulate | AccumulateSubsample) \
        else 2 * (generations + 1)  # in units of the real text: what data holds, at most
    if isinstance(scheme, Fresh):
        stored += (generations + 1) * scheme.real_size / count
    check_memory(8.0 * stored * real.size + 16.0 * candidates * real.size, "generations and candidates",
                 "every generation's text and one generation's candidates")
    n_kept = int(round(scheme.fraction * count)) if isinstance(scheme, KeepReal) else 0
    budget = count
    if isinstance(scheme, AccumulateSubsample) and scheme.budget is not None:
        budget = scheme.budget

    def write(model: NGramModel) -> np.ndarray:
        if decoding == "beam":
            return continue_by_beam_search(model, real, length, beam_width)
        if candidates == 1:
            return continue_by_sampling(model, real, length, temperature, top_k, rng)
        prompts = np.repeat(real, candidates, axis=0)  # candidates of one prompt are adjacent
        drawn = continue_by_sampling(model, prompts, length, temperature, top_k, rng)
        scores = continuation_log_probability(model if judge == "self" else judge, prompts, drawn)
        best = scores.reshape(count, candidates).argmax(axis=1)
        return drawn.reshape(count, candidates, length)[np.arange(count), best]

    data, kept = [real], [np.ones(count, dtype=bool)]
    models = [fit(real, vocab_size, n, discount)]
    pool, pool_real = [real], [kept[0]]  # everything so far (accumulate schemes)
    for _ in range(generations):
        synthetic = write(models[-1])
        none_real = np.zeros(count, dtype=bool)
        match scheme:
            case Replace():
                train_set, is_real = synthetic, none_real
            case KeepReal():
                train_set, is_real = synthetic, none_real.copy()
                if n_kept:
                    chosen = rng.choice(count, size=n_kept, replace=False)
                    train_set[chosen] = real[chosen]
                    is_real[chosen] = True
            case Augment():
                train_set, is_real = np.concatenate([real, synthetic]), np.concatenate([kept[0], none_real])
            case Fresh():
                new = check_blocks(scheme.sampler(scheme.real_size, rng), "Fresh.sampler's blocks", vocab_size)
                if new.shape != (scheme.real_size, length):
                    raise ValueError(f"Fresh.sampler must return shape ({scheme.real_size}, {length}), got {new.shape}")
                train_set = np.concatenate([new, synthetic])
                is_real = np.concatenate([np.ones(scheme.real_size, dtype=bool), none_real])
            case Accumulate() | AccumulateSubsample():
                pool.append(synthetic)
                pool_real.append(none_real)
                train_set, is_real = np.concatenate(pool), np.concatenate(pool_real)
                if isinstance(scheme, AccumulateSubsample) and budget < train_set.shape[0]:
                    chosen = rng.choice(train_set.shape[0], size=budget, replace=False)
                    train_set, is_real = train_set[chosen], is_real[chosen]
        data.append(train_set)
        kept.append(is_real)
        models.append(fit(train_set, vocab_size, n, discount))
    sizes = np.array([block.shape[0] for block in data])
    return GenerationsResult(data, kept, models, sizes, scheme)


def continuation_log_probability(model: NGramModel, prompts: np.ndarray, continuations: np.ndarray) -> np.ndarray:
    """Log-probability of each continuation under ``model``, given its prompt's last n-1 tokens.

    Parameters
    ----------
    model : NGramModel
    prompts : array_like of int, shape (batch, c), c >= n-1
    continuations : array_like of int, shape (batch, length)

    Returns
    -------
    numpy.ndarray, shape (batch,)
        The sum over the continuation's tokens of log P(token | the n-1 tokens before it).
    """
    from .kneser_ney import check_model

    check_model(model)
    prompts = check_blocks(prompts, "prompts", model.vocab_size)
    continuations = check_blocks(continuations, "continuations", model.vocab_size)
    if prompts.shape[0] != continuations.shape[0]:
        raise ValueError(f"prompts and continuations must have the same number of rows, got {prompts.shape[0]} "
                         f"and {continuations.shape[0]}")
    keep = model.n - 1
    if prompts.shape[1] < keep:
        raise ValueError(f"prompts need at least n-1 = {keep} tokens, got {prompts.shape[1]}")
    text = np.concatenate([prompts[:, prompts.shape[1] - keep :], continuations], axis=1)
    windows = np.lib.stride_tricks.sliding_window_view(text, keep + 1, axis=1).reshape(-1, keep + 1)
    log_p = np.log(_pointwise(model, windows[:, :-1], windows[:, -1]))
    return log_p.reshape(continuations.shape).sum(axis=1)
