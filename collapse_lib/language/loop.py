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
from ..validation import RNGLike, as_generator, check_bool, check_choice, check_int, check_memory, check_real
from .adaptation import adapt, check_strength
from .decoding import check_temperature, continue_by_beam_search, continue_by_sampling
from .kneser_ney import NGramModel, _pointwise, check_model, check_order, fit
from .text import check_blocks

__all__ = ["GenerationsResult", "self_consuming_generations", "continuation_log_probability",
           "PopulationResult", "population_generations", "MAX_LANGUAGE_GENERATIONS"]

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
    """The model trained on each generation's data (:class:`NGramModel`); with
    ``keep_models=False`` only the first and the last, ``None`` in between."""
    train_sizes: np.ndarray
    """Number of training blocks of each generation, shape (generations + 1,)."""
    scheme: Scheme
    measures: list | None = None
    """``measure(model)`` of every generation's model, when a ``measure`` was given."""


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
    pretrained: NGramModel | None = None,
    strength: float = 10.0,
    measure=None,
    keep_models: bool = True,
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
    pretrained : NGramModel, optional
        Shumailov et al.'s protocol with a pretrained model: every generation starts again from
        ``pretrained`` and is fine-tuned on its training set (:func:`~collapse_lib.language.adapt`
        with ``strength``), instead of being trained from scratch. Same order and vocabulary.
    strength : float, default 10.0
        The fine-tuning prior's strength tau (used with ``pretrained``).
    measure : callable, optional
        Called with every generation's model as soon as it is trained (for example its
        held-out perplexity); the results are ``GenerationsResult.measures``.
    keep_models : bool, default True
        False keeps only the first and the last model: a fine-tuned model carries the
        pretrained model's tables, tens of megabytes each, so a long run would hold them all.
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
    discount, decoding, beam_width, temperature, top_k = _check_writing(discount, decoding, beam_width, temperature,
                                                                         top_k)
    candidates = check_int(candidates, "candidates", minimum=1, maximum=1000)
    if candidates > 1 and decoding != "sample":
        raise ValueError("candidates > 1 needs decoding='sample' (beam search writes one continuation per prompt)")
    if not (isinstance(judge, NGramModel) or judge == "self"):
        raise TypeError(f"judge must be 'self' or an NGramModel (from language.train), got {judge!r}")
    if isinstance(judge, NGramModel) and judge.vocab_size != vocab_size:
        raise ValueError(f"judge must use the same vocabulary (vocab_size {vocab_size}), got {judge.vocab_size}")
    train_model = _trainer(pretrained, strength, vocab_size, n, discount)
    if measure is not None and not callable(measure):
        raise TypeError(f"measure must be a callable taking a model, got {type(measure).__name__}")
    keep_models = check_bool(keep_models, "keep_models")
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
        if candidates == 1:
            return _write(model, real, decoding, beam_width, temperature, top_k, rng)
        prompts = np.repeat(real, candidates, axis=0)  # candidates of one prompt are adjacent
        drawn = continue_by_sampling(model, prompts, length, temperature, top_k, rng)
        scores = continuation_log_probability(model if judge == "self" else judge, prompts, drawn)
        best = scores.reshape(count, candidates).argmax(axis=1)
        return drawn.reshape(count, candidates, length)[np.arange(count), best]

    data, kept = [real], [np.ones(count, dtype=bool)]
    models = [train_model(real)]
    measures = None if measure is None else [measure(models[0])]
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
        models.append(train_model(train_set))
        if measure is not None:
            measures.append(measure(models[-1]))
        if not keep_models and len(models) > 2:
            models[-2] = None  # the model that wrote this generation's text is no longer needed
    sizes = np.array([block.shape[0] for block in data])
    return GenerationsResult(data, kept, models, sizes, scheme, measures)



def _check_writing(discount, decoding, beam_width, temperature, top_k) -> tuple:
    """The training and decoding arguments the loops share, checked."""
    return (check_real(discount, "discount", low=0, high=1, low_open=True),
            check_choice(decoding, "decoding", ("beam", "sample")),
            check_int(beam_width, "beam_width", minimum=1),
            check_temperature(temperature),
            None if top_k is None else check_int(top_k, "top_k", minimum=1))


def _trainer(pretrained, strength, vocab_size: int, n: int, discount: float):
    """The training step of a loop: Kneser–Ney from scratch, or fine-tuning ``pretrained``."""
    strength = check_strength(strength)
    if pretrained is None:
        return lambda blocks: fit(blocks, vocab_size, n, discount)
    check_model(pretrained, "pretrained")
    if (pretrained.n, pretrained.vocab_size) != (n, vocab_size):
        raise ValueError(f"pretrained must have the loop's order and vocabulary (n = {n}, vocab_size = "
                         f"{vocab_size}), got n = {pretrained.n}, vocab_size = {pretrained.vocab_size}")
    return lambda blocks: adapt(pretrained, fit(blocks, vocab_size, n, discount), strength)


def _write(model: NGramModel, prompts: np.ndarray, decoding: str, beam_width: int, temperature: float,
           top_k: int | None, rng: np.random.Generator) -> np.ndarray:
    """Continue every prompt by as many tokens as it has: beam search or sampling."""
    if decoding == "beam":
        return continue_by_beam_search(model, prompts, prompts.shape[1], beam_width)
    return continue_by_sampling(model, prompts, prompts.shape[1], temperature, top_k, rng)


@dataclass(frozen=True)
class PopulationResult:
    """The training sets and models of a population of language models, generation first."""

    data: list
    """``data[t][i]``: model i's training blocks at generation t (generation 0: its real text)."""
    writers: list
    """``writers[t][i]``: who wrote each of those blocks, -1 for real text, j for model j."""
    models: list
    """``models[t][i]``: model i trained (or fine-tuned) on ``data[t][i]``."""
    prompts: list
    """``prompts[i]``: the real blocks model i continues every generation."""
    reads: str


def population_generations(
    real_blocks,
    vocab_size: int,
    generations: int,
    *,
    orders=(3, 3),
    start: str = "split",
    reads: str = "others",
    discount: float = 0.75,
    decoding: str = "beam",
    beam_width: int = 5,
    temperature: float = 1.0,
    top_k: int | None = None,
    pretrained: NGramModel | dict | None = None,
    strength: float = 10.0,
    rng: RNGLike = None,
) -> PopulationResult:
    """Several language models trained, generation after generation, on each other's text.

    Generation 0: model i (of order ``orders[i]``) trains on its real text: its own share of the
    real blocks (``start="split"``, the blocks cut into as many consecutive parts as there are
    models) or all of them (``"all"``). At every later generation each model continues its
    real prompts (as in :func:`self_consuming_generations`), and each model then trains afresh on

    - ``reads="others"``: the text the *other* models wrote, all of it (two models: each
      learns only from the other);
    - ``reads="pool"``: as many blocks as it has prompts, drawn without replacement from a
      shared pool of everything the population wrote this generation (its own text included);
    - ``reads="self"``: its own text, which is the single-model loop run side by side.

    Parameters
    ----------
    real_blocks : array_like of int, shape (blocks, length)
    vocab_size : int
    generations : int
        Number of regenerations (>= 0).
    orders : sequence of int, default (3, 3)
        One Kneser–Ney order per model (at least 2 models).
    start : {"split", "all"}
    reads : {"others", "pool", "self"}
    discount, decoding, beam_width, temperature, top_k
        As in :func:`self_consuming_generations`.
    pretrained : NGramModel or dict of int to NGramModel, optional
        Fine-tune a pretrained model every generation instead of training from scratch: one
        model, or one per order (a dict order -> model).
    strength : float, default 10.0
        The fine-tuning prior's strength (with ``pretrained``).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    PopulationResult
    """
    vocab_size = check_int(vocab_size, "vocab_size", minimum=3)
    real = check_blocks(real_blocks, "real_blocks", vocab_size)
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_LANGUAGE_GENERATIONS)
    if isinstance(orders, str | bytes) or not hasattr(orders, "__len__"):
        raise TypeError(f"orders must be a sequence of model orders, one per model, got {type(orders).__name__}")
    orders = list(orders)
    for i, order in enumerate(orders):
        try:
            orders[i] = check_order(order, vocab_size)
        except (TypeError, ValueError) as error:
            raise type(error)(f"orders[{i}]: {error}") from None
    if not 2 <= len(orders) <= 16:
        raise ValueError(f"orders must name 2 to 16 models, got {len(orders)}")
    start = check_choice(start, "start", ("split", "all"))
    reads = check_choice(reads, "reads", ("others", "pool", "self"))
    discount, decoding, beam_width, temperature, top_k = _check_writing(discount, decoding, beam_width, temperature,
                                                                         top_k)
    strength = check_strength(strength)
    if pretrained is not None and not isinstance(pretrained, dict):
        pretrained = {order: check_model(pretrained, "pretrained") for order in set(orders)}
    if pretrained is not None and set(orders) - set(pretrained):
        raise ValueError(f"pretrained must hold a model for every order in {sorted(set(orders))}")
    trainers = {order: _trainer(None if pretrained is None else pretrained[order], strength, vocab_size, order,
                                discount) for order in set(orders)}
    rng = as_generator(rng)
    m, (count, length) = len(orders), real.shape
    if length < max(orders) - 1:
        raise ValueError(f"real_blocks need at least {max(orders) - 1} tokens to prompt the models, got {length}")
    if start == "split" and count < m:
        raise ValueError(f"start='split' needs at least one real block per model ({m}), got {count}")
    check_memory(8.0 * real.size * (m if start == "all" else 1) * 3 * (generations + 1), "generations",
                 "every generation's text")
    prompts = np.array_split(real, m) if start == "split" else [real] * m
    data = [list(prompts)]
    writers = [[np.full(p.shape[0], -1) for p in prompts]]
    models = [[trainers[order](block) for order, block in zip(orders, prompts)]]
    for _ in range(generations):
        written = [_write(model, p, decoding, beam_width, temperature, top_k, rng)
                   for model, p in zip(models[-1], prompts)]
        authors = [np.full(w.shape[0], i) for i, w in enumerate(written)]
        if reads == "self":
            train_sets, sources = written, authors
        elif reads == "others":
            train_sets = [np.concatenate([w for j, w in enumerate(written) if j != i]) for i in range(m)]
            sources = [np.concatenate([a for j, a in enumerate(authors) if j != i]) for i in range(m)]
        else:
            pool, pool_authors = np.concatenate(written), np.concatenate(authors)
            chosen = [rng.choice(pool.shape[0], size=p.shape[0], replace=False) for p in prompts]
            train_sets, sources = [pool[c] for c in chosen], [pool_authors[c] for c in chosen]
        data.append(list(train_sets))
        writers.append(list(sources))
        models.append([trainers[order](block) for order, block in zip(orders, train_sets)])
    return PopulationResult(data, writers, models, prompts, reads)


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
