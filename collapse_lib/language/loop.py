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
from .kneser_ney import NGramModel, check_order, fit
from .text import check_blocks

__all__ = ["GenerationsResult", "self_consuming_generations", "MAX_LANGUAGE_GENERATIONS"]

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
    rng = as_generator(rng)
    count, length = real.shape
    if length < n - 1:
        raise ValueError(f"real_blocks need at least n-1 = {n - 1} tokens to prompt the model, got {length}")
    stored = (generations + 1) * (generations + 2) / 2 if isinstance(scheme, Accumulate | AccumulateSubsample) \
        else 2 * (generations + 1)  # in units of the real text: what data holds, at most
    if isinstance(scheme, Fresh):
        stored += (generations + 1) * scheme.real_size / count
    check_memory(8.0 * stored * real.size, "generations", "every generation's text")
    n_kept = int(round(scheme.fraction * count)) if isinstance(scheme, KeepReal) else 0
    budget = count
    if isinstance(scheme, AccumulateSubsample) and scheme.budget is not None:
        budget = scheme.budget

    def write(model: NGramModel) -> np.ndarray:
        if decoding == "beam":
            return continue_by_beam_search(model, real, length, beam_width)
        return continue_by_sampling(model, real, length, temperature, top_k, rng)

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
