"""Word-level n-gram language models that can be trained on their own text.

The model is an interpolated Kneser–Ney n-gram model (Chen & Goodman's "interpolated KN" with one
absolute discount D per order level), the standard smoothed n-gram model: every token of the
vocabulary gets a positive probability in every context, so perplexity on unseen text is finite.
With ``n`` the order, for a context h of n-1 tokens and its suffix h' (h without its first token),

.. math::

    P_k(w \\mid h) = \\frac{\\max(c_k(h w) - D, 0)}{c_k(h)}
                   + \\frac{D\\, T_k(h)}{c_k(h)}\\, P_{k-1}(w \\mid h'),
    \\qquad P_0(w) = \\frac{1}{V},

where at the highest order c_n counts n-grams, at lower orders c_k(h w) is the *continuation count*
(the number of distinct tokens seen before h w), c_k(h) is the sum over w and T_k(h) the number of
distinct w seen after h. A context never seen backs off entirely: P_k(w | h) = P_{k-1}(w | h').

Every block is preceded by n-1 begin-of-block symbols so that its first tokens are scored and
counted too; n-grams never cross blocks. ``V`` counts the predictable tokens, all ids but ``<s>``.

Chapter: ``book/05_language_models.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validation import check_int, check_memory, check_real
from .text import BOS, check_blocks

__all__ = ["NGramModel", "train", "next_token_probabilities", "log_probabilities", "perplexity", "corpus_perplexity"]


@dataclass(frozen=True)
class _Order:
    """The count table of one order k >= 2: contexts of k-1 tokens by next token."""

    context_keys: np.ndarray  # sorted int64 keys of the contexts seen
    # The discounted part max(c - D, 0) / c(h) as a compressed sparse row table (contexts by next
    # token): row i's tokens are indices[indptr[i]:indptr[i + 1]], their values discounted[...].
    indptr: np.ndarray
    indices: np.ndarray
    discounted: np.ndarray
    cumulative: np.ndarray  # 0, then the running sum of discounted, for drawing inside a row
    kept: np.ndarray  # 1 - backoff: the mass of the discounted counts, per context
    backoff: np.ndarray  # D T(h) / c(h): the weight of the lower order, per context
    ngram_keys: np.ndarray  # sorted int64 keys of the k-grams (context, token), aligned with discounted
    ngram_counts: np.ndarray  # their counts c_k(h w) (an adapted model: the task text's counts)
    context_totals: np.ndarray  # c_k(h), aligned with context_keys (an adapted model: the task's)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (decoding caches per model)
class NGramModel:
    """A trained interpolated Kneser–Ney model. Build it with :func:`train`."""

    n: int
    """The order (1 = unigram, 3 = trigram)."""
    vocab_size: int
    """The number of token ids, including ``<s>`` (ids run over 0..vocab_size-1)."""
    discount: float
    """The absolute discount D."""
    unigram: np.ndarray
    """P_1, the interpolated unigram distribution over all ids (0 at ``<s>``), shape (vocab_size,)."""
    orders: tuple
    """The count tables of orders 2..n."""
    tokens: int
    """How many tokens the model was trained on."""
    unigram_cumulative: np.ndarray
    """The running sum of ``unigram``, for drawing from it."""


def _keys(windows: np.ndarray, base: int) -> np.ndarray:
    """Integer keys of the rows of ``windows`` read as numbers in base ``base``."""
    keys = np.zeros(windows.shape[0], dtype=np.int64)
    for j in range(windows.shape[1]):
        keys = keys * base + windows[:, j]
    return keys


def check_model(model, name: str = "model") -> NGramModel:
    """``model`` if it is an :class:`NGramModel`, else a ``TypeError`` naming the argument ``name``."""
    if not isinstance(model, NGramModel):
        raise TypeError(f"{name} must be an NGramModel (from language.train), got {type(model).__name__}")
    return model


def check_order(n, vocab_size: int) -> int:
    """The model order ``n`` (>= 1), small enough that n-gram keys fit in 62 bits for this vocabulary."""
    n = check_int(n, "n", minimum=1)
    if n * math.log2(vocab_size) >= 62:
        raise ValueError(f"n must keep vocab_size**n below 2**62 (integer n-gram keys): with vocab_size = "
                         f"{vocab_size}, n can be at most {math.ceil(62 / math.log2(vocab_size)) - 1}, got {n}")
    return n


def _pad(blocks: np.ndarray, n: int) -> np.ndarray:
    """Prepend n-1 begin-of-block symbols to every block."""
    return np.concatenate([np.full((blocks.shape[0], n - 1), BOS, dtype=np.int64), blocks], axis=1)


def train(blocks, vocab_size: int, *, n: int = 3, discount: float = 0.75) -> NGramModel:
    """Train an interpolated Kneser–Ney n-gram model on blocks of token ids.

    Parameters
    ----------
    blocks : array_like of int, shape (blocks, length) or (length,)
        Training text; ids in 0..vocab_size-1, without ``BOS`` (it is prepended to each block).
    vocab_size : int
        Number of token ids including ``<unk>`` and ``<s>`` (``len(vocabulary)``), >= 3.
    n : int, default 3
        Order of the model (>= 1).
    discount : float, default 0.75
        Absolute discount D, in (0, 1].

    Returns
    -------
    NGramModel
    """
    vocab_size = check_int(vocab_size, "vocab_size", minimum=3)
    n = check_order(n, vocab_size)
    discount = check_real(discount, "discount", low=0, high=1, low_open=True)
    return fit(check_blocks(blocks, "blocks", vocab_size), vocab_size, n, discount)


def fit(blocks: np.ndarray, vocab_size: int, n: int, discount: float) -> NGramModel:
    """:func:`train` without checking its arguments, for loops that have checked them once."""
    D = discount
    V = vocab_size - 1  # predictable tokens: all but <s>

    # Highest order: raw counts of every n-gram inside a block.
    windows = np.lib.stride_tricks.sliding_window_view(_pad(blocks, n), n, axis=1).reshape(-1, n)
    keys, counts = np.unique(_keys(windows, vocab_size), return_counts=True)
    orders = []
    for k in range(n, 0, -1):
        # keys, counts: the k-grams (context of k-1 tokens, token) and their counts c_k.
        ctx_keys, start, types = np.unique(keys // vocab_size, return_index=True, return_counts=True)
        totals = np.add.reduceat(counts, start).astype(float)
        backoff = D * types / totals
        discounted = np.maximum(counts - D, 0) / np.repeat(totals, types)
        if k == 1:
            uniform = np.full(vocab_size, 1.0 / V)
            uniform[BOS] = 0.0
            unigram = backoff[0] * uniform
            unigram[keys] += discounted
            break
        indptr = np.concatenate([start, [keys.size]])
        cumulative = np.concatenate([[0.0], np.cumsum(discounted)])
        orders.append(_Order(ctx_keys, indptr, keys % vocab_size, discounted, cumulative, 1.0 - backoff, backoff,
                             keys, counts, totals))
        # Continuation counts of the (k-1)-grams: how many distinct tokens were seen before them.
        keys, counts = np.unique(keys % vocab_size ** (k - 1), return_counts=True)
    return NGramModel(n, vocab_size, D, unigram, tuple(reversed(orders)), int(blocks.size), np.cumsum(unigram))


def _context_rows(order: _Order, context_keys: np.ndarray) -> np.ndarray:
    """Row of each context in ``order``'s table, or -1 for contexts never seen."""
    pos = np.minimum(np.searchsorted(order.context_keys, context_keys), order.context_keys.size - 1)
    return np.where(order.context_keys[pos] == context_keys, pos, -1)


def _level_rows(model: NGramModel, ctx: np.ndarray) -> list:
    """For contexts of c tokens (batch, c): the row of each suffix in the tables of orders 2..c+1."""
    full = _keys(ctx, model.vocab_size)
    return [
        _context_rows(order, full % model.vocab_size ** (k - 1))
        for k, order in enumerate(model.orders[: ctx.shape[1]], start=2)
    ]


def _pointwise(model: NGramModel, ctx: np.ndarray, words: np.ndarray, levels: list | None = None) -> np.ndarray:
    """P_{c+1}(word | context) for pairs: contexts (N, c) with c <= n-1, words (N,).

    ``levels``: the contexts' :func:`_level_rows`, when the caller has them already.
    """
    prob = model.unigram[words]
    for order, rows in zip(model.orders, _level_rows(model, ctx) if levels is None else levels):
        safe = np.maximum(rows, 0)
        ngram = order.context_keys[safe] * model.vocab_size + words
        pos = np.minimum(np.searchsorted(order.ngram_keys, ngram), order.ngram_keys.size - 1)
        # The stored max(c - D, 0) / c(h) of the pair (it is aligned with ngram_keys), 0 if unseen.
        interpolated = order.backoff[safe] * prob + np.where(order.ngram_keys[pos] == ngram, order.discounted[pos], 0)
        prob = np.where(rows >= 0, interpolated, prob)  # an unseen context backs off entirely
    return prob


def _check_contexts(model: NGramModel, contexts) -> np.ndarray:
    check_model(model)
    try:
        ctx = np.asarray(contexts)
    except (TypeError, ValueError):
        raise TypeError("contexts must be an integer array of shape (batch, n-1)") from None
    if ctx.ndim == 1:
        ctx = ctx[None, :]
    if ctx.ndim != 2 or (ctx.size and not np.issubdtype(ctx.dtype, np.integer)):
        raise TypeError(f"contexts must be an integer array of shape (batch, n-1), got {ctx.dtype} {ctx.shape}")
    if ctx.size and (ctx.min() < 0 or ctx.max() >= model.vocab_size):
        raise ValueError(f"contexts must hold token ids in 0..{model.vocab_size - 1}")
    if ctx.shape[1] < model.n - 1:
        raise ValueError(f"contexts must have at least n-1 = {model.n - 1} columns, got {ctx.shape[1]}")
    return ctx[:, ctx.shape[1] - (model.n - 1) :].astype(np.int64, copy=False)


def next_token_probabilities(model: NGramModel, contexts) -> np.ndarray:
    """P(w | context) for every token w, for a batch of contexts (dense).

    Parameters
    ----------
    model : NGramModel
    contexts : array_like of int, shape (batch, c) with c >= n-1
        Preceding tokens; only the last n-1 are used. Use ``BOS`` for the start of a block.

    Returns
    -------
    numpy.ndarray, shape (batch, vocab_size)
        Each row sums to 1; the ``<s>`` column is 0.
    """
    ctx = _check_contexts(model, contexts)
    check_memory(8.0 * ctx.shape[0] * model.vocab_size, "contexts", "the dense probability rows")
    probs = np.tile(model.unigram, (ctx.shape[0], 1))
    for order, rows in zip(model.orders, _level_rows(model, ctx)):
        seen = np.flatnonzero(rows >= 0)
        probs[seen] *= order.backoff[rows[seen]][:, None]
        entries, owner = ragged_ranges(order.indptr[rows[seen]], np.diff(order.indptr)[rows[seen]])
        probs[seen[owner], order.indices[entries]] += order.discounted[entries]  # (context, token) pairs are unique
    return probs


def ragged_ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ranges start..start+length, and which range each element came from."""
    owner = np.repeat(np.arange(starts.size), lengths)
    offsets = np.arange(owner.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets, owner


def log_probabilities(model: NGramModel, blocks) -> np.ndarray:
    """Natural-log probability of every token of every block, each block scored from its start.

    Parameters
    ----------
    model : NGramModel
    blocks : array_like of int, shape (blocks, length)
        Token ids (``<unk>`` allowed, ``<s>`` not); each block is preceded by n-1 ``BOS``.

    Returns
    -------
    numpy.ndarray, shape (blocks, length)
    """
    blocks = check_blocks(blocks, "blocks", check_model(model).vocab_size)
    n = model.n
    windows = np.lib.stride_tricks.sliding_window_view(_pad(blocks, n), n, axis=1).reshape(-1, n)
    return np.log(_pointwise(model, windows[:, :-1], windows[:, -1])).reshape(blocks.shape)


def perplexity(model: NGramModel, blocks) -> np.ndarray:
    """Perplexity of each block: exp of minus its mean log-probability per token. Shape (blocks,)."""
    return np.exp(-log_probabilities(model, blocks).mean(axis=1))


def corpus_perplexity(model: NGramModel, blocks) -> float:
    """Perplexity of a whole corpus: exp of minus the mean log-probability over all its tokens."""
    return float(np.exp(-log_probabilities(model, blocks).mean()))
