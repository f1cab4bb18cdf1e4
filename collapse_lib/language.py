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

Text is a 2-D integer array of token ids, one row per block (the book cuts text into 64-token
blocks); n-grams never cross blocks, and every block is preceded by n-1 begin-of-block symbols
so that its first tokens are scored and counted too. Token id 0 is ``<unk>`` (any word outside
the vocabulary) and id 1 is ``<s>`` (begin of block, never predicted). ``V`` counts the predictable
tokens, i.e. all but ``<s>``.

Decoding: :func:`sample` (temperature and top-k) and :func:`beam_search` continue a batch of
prompts; :func:`self_consuming_generations` runs the protocol of Shumailov et al. (2024): each
generation continues the original training blocks and the continuations become the next training
set, optionally with a fraction of the original blocks kept.

Chapter: ``book/05_language_models.ipynb``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .validation import RNGLike, as_generator, check_choice, check_fraction, check_int, check_real

__all__ = [
    "UNK",
    "BOS",
    "tokenize",
    "Vocabulary",
    "build_vocabulary",
    "cut_blocks",
    "NGramModel",
    "train",
    "next_token_probabilities",
    "log_probabilities",
    "perplexity",
    "corpus_perplexity",
    "sample",
    "beam_search",
    "distinct_ngram_ratio",
    "GenerationsResult",
    "self_consuming_generations",
]

UNK = 0  #: token id of ``<unk>``, every word outside the vocabulary
BOS = 1  #: token id of ``<s>``, the begin-of-block symbol (context only, never predicted)

_TOKEN = re.compile(r"\.\.\.|[a-z]+(?:'[a-z]+)?|[0-9]+|[.,;:!?()]")


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and split it into words, numbers and punctuation marks.

    Words may contain one inner apostrophe ("don't"); the marks kept as tokens are
    ``. , ; : ! ? ( )``; everything else (quotes, underscores, symbols) is dropped.

    >>> tokenize("The model (it's small) learns: fast, 64 tokens!")
    ['the', 'model', '(', "it's", 'small', ')', 'learns', ':', 'fast', ',', '64', 'tokens', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """A fixed list of tokens: ids 0 and 1 are ``<unk>`` and ``<s>``, then the words."""

    tokens: tuple

    def __post_init__(self):
        object.__setattr__(self, "_index", {tok: i for i, tok in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def size(self) -> int:
        """V, the number of predictable tokens (every token but ``<s>``)."""
        return len(self.tokens) - 1

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Token ids of ``tokens``; words outside the vocabulary become ``UNK``."""
        return np.array([self._index.get(tok, UNK) for tok in tokens], dtype=np.int64)

    def decode(self, ids) -> str:
        """The tokens of ``ids`` joined by spaces (``<s>`` dropped), for reading generated text."""
        words = [self.tokens[i] for i in np.asarray(ids).ravel() if i != BOS]
        text = " ".join(words)
        return re.sub(r" ([.,;:!?)])", r"\1", text).replace("( ", "(")


def build_vocabulary(tokens: Sequence[str], *, min_count: int = 1) -> Vocabulary:
    """The vocabulary of a training text: words seen at least ``min_count`` times, most frequent first.

    Ties are broken alphabetically, so the ids are reproducible.
    """
    min_count = check_int(min_count, "min_count", minimum=1)
    counts: dict = {}
    for tok in tokens:
        counts[tok] = counts.get(tok, 0) + 1
    if not counts:
        raise ValueError("tokens is empty: a vocabulary needs at least one token")
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return Vocabulary(("<unk>", "<s>") + tuple(words))


def cut_blocks(ids, length: int = 64, *, offset: int = 0) -> np.ndarray:
    """Cut a 1-D token stream into consecutive blocks of ``length`` tokens, starting at ``offset``.

    The incomplete block at the end (and the ``offset`` tokens at the start) are dropped.
    Returns an int64 array of shape (number of blocks, length).
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"ids must be a 1-D token stream, got shape {ids.shape}")
    length = check_int(length, "length", minimum=1)
    offset = check_int(offset, "offset", minimum=0)
    count = (ids.size - offset) // length
    if count < 1:
        raise ValueError(f"a stream of {ids.size} tokens holds no block of length {length} after offset {offset}")
    return ids[offset : offset + count * length].reshape(count, length)


@dataclass(frozen=True)
class _Order:
    """The count table of one order k >= 2: contexts of k-1 tokens by next token."""

    context_keys: np.ndarray  # sorted int64 keys of the contexts seen
    table: sp.csr_matrix  # (contexts, vocab_size): the discounted part max(c - D, 0) / c(h)
    cumulative: np.ndarray  # running sum of table.data, for drawing inside a row
    backoff: np.ndarray  # D T(h) / c(h): the weight of the lower order, per context
    ngram_keys: np.ndarray  # sorted int64 keys of the k-grams (context, token)
    ngram_counts: np.ndarray  # their counts c_k(h w)
    context_totals: np.ndarray  # c_k(h), aligned with context_keys


@dataclass(frozen=True)
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
    _top_cache: dict = field(default_factory=dict, compare=False, repr=False)


def _keys(windows: np.ndarray, base: int) -> np.ndarray:
    """Integer keys of the rows of ``windows`` read as numbers in base ``base``."""
    keys = np.zeros(windows.shape[0], dtype=np.int64)
    for j in range(windows.shape[1]):
        keys = keys * base + windows[:, j]
    return keys


def _check_blocks(blocks, name: str, vocab_size: int) -> np.ndarray:
    try:
        arr = np.asarray(blocks)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 2-D array of token ids") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} must be a 2-D integer array of token ids (blocks, tokens), got {arr.dtype} {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: it needs at least one block with at least one token")
    if arr.min() < 0 or arr.max() >= vocab_size:
        raise ValueError(f"{name} must hold token ids in 0..{vocab_size - 1}")
    if np.any(arr == BOS):
        raise ValueError(f"{name} must not contain the begin-of-block id {BOS}; it is added automatically")
    return arr.astype(np.int64, copy=False)


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
    n = check_int(n, "n", minimum=1)
    vocab_size = check_int(vocab_size, "vocab_size", minimum=3)
    discount = check_real(discount, "discount", low=0, high=1, low_open=True)
    if float(vocab_size) ** n >= 2.0**62:
        raise ValueError(f"vocab_size**n must be below 2**62 for integer n-gram keys; got {vocab_size}**{n}")
    blocks = _check_blocks(blocks, "blocks", vocab_size)
    D = float(discount)
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
        table = sp.csr_matrix(
            (discounted, keys % vocab_size, np.concatenate([start, [keys.size]])), shape=(ctx_keys.size, vocab_size)
        )
        orders.append(_Order(ctx_keys, table, np.cumsum(discounted), backoff, keys, counts, totals))
        # Continuation counts of the (k-1)-grams: how many distinct tokens were seen before them.
        keys, counts = np.unique(keys % vocab_size ** (k - 1), return_counts=True)
    return NGramModel(n, vocab_size, D, unigram, tuple(reversed(orders)), int(blocks.size))


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


def _pointwise(model: NGramModel, ctx: np.ndarray, words: np.ndarray) -> np.ndarray:
    """P_{c+1}(word | context) for pairs: contexts (N, c) with c <= n-1, words (N,)."""
    prob = model.unigram[words]
    for order, rows in zip(model.orders, _level_rows(model, ctx)):
        safe = np.maximum(rows, 0)
        ngram = order.context_keys[safe] * model.vocab_size + words
        pos = np.minimum(np.searchsorted(order.ngram_keys, ngram), order.ngram_keys.size - 1)
        count = np.where(order.ngram_keys[pos] == ngram, order.ngram_counts[pos], 0)
        interpolated = order.backoff[safe] * prob + np.maximum(count - model.discount, 0) / order.context_totals[safe]
        prob = np.where(rows >= 0, interpolated, prob)  # an unseen context backs off entirely
    return prob


def _check_contexts(model: NGramModel, contexts) -> np.ndarray:
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
    probs = np.tile(model.unigram, (ctx.shape[0], 1))
    for order, rows in zip(model.orders, _level_rows(model, ctx)):
        seen = rows >= 0
        probs[seen] *= order.backoff[rows[seen]][:, None]
        probs[seen] += order.table[rows[seen]].toarray()
    return probs


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
    blocks = _check_blocks(blocks, "blocks", model.vocab_size)
    n = model.n
    windows = np.lib.stride_tricks.sliding_window_view(_pad(blocks, n), n, axis=1).reshape(-1, n)
    return np.log(_pointwise(model, windows[:, :-1], windows[:, -1])).reshape(blocks.shape)


def perplexity(model: NGramModel, blocks) -> np.ndarray:
    """Perplexity of each block: exp of minus its mean log-probability per token. Shape (blocks,)."""
    return np.exp(-log_probabilities(model, blocks).mean(axis=1))


def corpus_perplexity(model: NGramModel, blocks) -> float:
    """Perplexity of a whole corpus: exp of minus the mean log-probability over all its tokens."""
    return float(np.exp(-log_probabilities(model, blocks).mean()))


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ranges start..start+length, and which range each element came from."""
    owner = np.repeat(np.arange(starts.size), lengths)
    offsets = np.arange(owner.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets, owner


def _top_tokens(model: NGramModel, ctx: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``width`` most probable next tokens after each context and their probabilities, best first.

    Exact without dense (batch, V) rows. The top tokens of P_k(. | h) are among the tokens seen
    after h and the top tokens of the lower order P_{k-1}(. | h'): any other token has the lower
    order's probability times the backoff weight, which the lower order's own top tokens beat.
    The top lists of every context of the lower orders are computed once per model and cached.
    Contexts have c <= n-1 tokens and are scored at order c+1. Ties go to the smaller token id.
    """
    unique, first, inverse = np.unique(_keys(ctx, model.vocab_size), return_index=True, return_inverse=True)
    uctx = ctx[first]
    c = ctx.shape[1]
    cand_ctx = [np.repeat(np.arange(unique.size), width)]
    cand_tok = [np.tile(np.argsort(-model.unigram, kind="stable")[:width], unique.size)]
    for k, (order, rows) in enumerate(zip(model.orders, _level_rows(model, uctx)), start=2):
        seen = np.flatnonzero(rows >= 0)
        if k == c + 1:  # the context's own order: every token seen after it
            indptr = order.table.indptr
            idx, owner = _ragged(indptr[rows[seen]], np.diff(indptr)[rows[seen]])
            cand_ctx.append(seen[owner])
            cand_tok.append(order.table.indices[idx])
        else:  # a lower order: its cached top list
            cand_ctx.append(np.repeat(seen, width))
            cand_tok.append(_order_top(model, k, width)[rows[seen]].ravel())
    pair = np.unique(np.concatenate(cand_ctx) * model.vocab_size + np.concatenate(cand_tok))
    owner, tok = pair // model.vocab_size, pair % model.vocab_size
    prob = _pointwise(model, uctx[owner], tok)
    best = np.lexsort((tok, -prob, owner))  # by context, then probability (descending), then id
    owner, tok, prob = owner[best], tok[best], prob[best]
    take = np.searchsorted(owner, np.arange(unique.size))[:, None] + np.arange(width)[None, :]
    return tok[take][inverse.ravel()], prob[take][inverse.ravel()]


def _order_top(model: NGramModel, k: int, width: int) -> np.ndarray:
    """Top ``width`` tokens of P_k(. | h) for every context h of order k's table (cached)."""
    key = (k, width)
    if key not in model._top_cache:
        order = model.orders[k - 2]
        digits = (order.context_keys[:, None] // model.vocab_size ** np.arange(k - 2, -1, -1)) % model.vocab_size
        model._top_cache[key] = _top_tokens(model, digits, width)[0]
    return model._top_cache[key]


def _draw_exact(model: NGramModel, ctx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw from P(. | context) per context, without dense rows.

    P_k(. | h) is a mixture: the discounted counts of h (total mass 1 - backoff) and, with weight
    backoff, the lower order. One uniform number per context picks the component from the highest
    order down and then the token inside it, by a search in the running sums of the table.
    """
    batch = ctx.shape[0]
    u = rng.random(batch)
    token = np.full(batch, -1, dtype=np.int64)
    levels = list(zip(model.orders, _level_rows(model, ctx)))
    for order, rows in reversed(levels):
        open_ = np.flatnonzero((token < 0) & (rows >= 0))
        r = rows[open_]
        mass = 1.0 - order.backoff[r]
        here = u[open_] < mass
        hit, r_hit = open_[here], r[here]
        start, stop = order.table.indptr[r_hit], order.table.indptr[r_hit + 1]
        base = np.where(start > 0, order.cumulative[np.maximum(start - 1, 0)], 0.0)
        j = np.searchsorted(order.cumulative, base + u[hit], side="right")
        token[hit] = order.table.indices[np.clip(j, start, stop - 1)]
        rest = open_[~here]
        u[rest] = (u[rest] - mass[~here]) / order.backoff[r[~here]]  # uniform again on the lower order
    left = token < 0
    cdf = np.cumsum(model.unigram)
    token[left] = np.minimum(np.searchsorted(cdf, u[left] * cdf[-1], side="right"), model.vocab_size - 1)
    return token


def _draw(model, ctx, rng, temperature: float, top_k: int | None) -> np.ndarray:
    """One draw per context from P(. | context)**(1/temperature), restricted to the top k if given."""
    if top_k is not None:
        tok, prob = _top_tokens(model, ctx, min(top_k, model.vocab_size - 1))
        weight = np.exp(np.log(prob) / temperature - np.log(prob[:, :1]) / temperature)
        cdf = np.cumsum(weight, axis=1)
        pick = (cdf <= rng.random(ctx.shape[0])[:, None] * cdf[:, -1:]).sum(axis=1)
        return tok[np.arange(ctx.shape[0]), np.minimum(pick, tok.shape[1] - 1)]
    if temperature == 1.0:
        return _draw_exact(model, ctx, rng)
    token = np.full(ctx.shape[0], -1, dtype=np.int64)
    if temperature < 1.0:
        # Rejection: propose from P, accept with (P(w) / P_max)**(1/T - 1) <= 1; exact for T < 1.
        # Several proposals per context per round; the first accepted one is the draw.
        p_max = _top_tokens(model, ctx, 1)[1][:, 0]
        per_round = 4
        for _ in range(10):
            open_ = np.flatnonzero(token < 0)
            if open_.size == 0:
                break
            repeated = np.repeat(open_, per_round)
            proposal = _draw_exact(model, ctx[repeated], rng)
            ratio = _pointwise(model, ctx[repeated], proposal) / p_max[repeated]
            accept = (rng.random(repeated.size) < ratio ** (1.0 / temperature - 1.0)).reshape(-1, per_round)
            done = accept.any(axis=1)
            first = accept.argmax(axis=1)
            token[open_[done]] = proposal.reshape(-1, per_round)[done, first[done]]
    open_ = np.flatnonzero(token < 0)  # T > 1, or contexts the rejection loop did not settle
    if open_.size:
        with np.errstate(divide="ignore"):
            logits = np.log(next_token_probabilities(model, ctx[open_])) / temperature
        weight = np.exp(logits - logits.max(axis=1, keepdims=True))
        cdf = np.cumsum(weight, axis=1)
        pick = (cdf <= rng.random(open_.size)[:, None] * cdf[:, -1:]).sum(axis=1)
        token[open_] = np.minimum(pick, model.vocab_size - 1)
    return token


def _check_decoding(model: NGramModel, prompts, length) -> tuple[np.ndarray, int]:
    prompts = _check_blocks(prompts, "prompts", model.vocab_size)
    if prompts.shape[1] < model.n - 1:
        raise ValueError(f"prompts need at least n-1 = {model.n - 1} tokens, got {prompts.shape[1]}")
    return prompts, check_int(length, "length", minimum=1)


def sample(
    model: NGramModel,
    prompts,
    length: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    rng: RNGLike = None,
) -> np.ndarray:
    """Continue each prompt by ``length`` tokens drawn from the model, all prompts at once.

    Parameters
    ----------
    model : NGramModel
    prompts : array_like of int, shape (batch, c), c >= n-1
    length : int
        Tokens to generate per prompt (>= 1).
    temperature : float, default 1.0
        Draw from p**(1/temperature), renormalized; must be > 0. Below 1 sharpens the
        distribution toward its most probable tokens.
    top_k : int, optional
        Draw only among the k most probable tokens (>= 1).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray of int64, shape (batch, length)
        The continuations (without the prompts).

    Notes
    -----
    Every setting draws exactly from the stated distribution. Temperature 1 without top-k uses
    the mixture form of the model (no dense rows); temperature below 1 uses rejection from it;
    top-k uses the exact top-k tokens; temperature above 1 falls back to dense rows.
    """
    prompts, length = _check_decoding(model, prompts, length)
    temperature = check_real(temperature, "temperature", low=0, low_open=True)
    if top_k is not None:
        top_k = check_int(top_k, "top_k", minimum=1)
    rng = as_generator(rng)
    keep = model.n - 1
    out = np.empty((prompts.shape[0], length), dtype=np.int64)
    context = prompts[:, prompts.shape[1] - keep :]
    for step in range(length):
        out[:, step] = _draw(model, context, rng, float(temperature), top_k)
        if keep:
            context = np.concatenate([context[:, 1:], out[:, step : step + 1]], axis=1)
    return out


def beam_search(model: NGramModel, prompts, length: int, *, beam_width: int = 5) -> np.ndarray:
    """The most probable continuation of each prompt found by beam search, all prompts at once.

    Keeps the ``beam_width`` highest-scoring partial continuations (sum of log-probabilities) per
    prompt; each step extends every beam by every token and keeps the best ``beam_width``; the
    best full-length beam is returned. With ``beam_width >= V**(length-1)`` the search is
    exhaustive. Ties go to the smaller token id, then the earlier beam, so the result is
    deterministic.

    Returns
    -------
    numpy.ndarray of int64, shape (batch, length)
    """
    prompts, length = _check_decoding(model, prompts, length)
    width = check_int(beam_width, "beam_width", minimum=1)
    batch, keep = prompts.shape[0], model.n - 1
    w = min(width, model.vocab_size - 1)  # a beam has at most V extensions
    scores = np.zeros((batch, 1))
    context = prompts[:, None, prompts.shape[1] - keep :]
    chosen, parents = [], []  # per step: the token each beam ends with, and the beam it extends
    for _ in range(length):
        beams = scores.shape[1]
        # Each beam's own best w tokens contain the best w extensions over all beams.
        tok, prob = _top_tokens(model, context.reshape(batch * beams, keep), w)
        cand_tok = tok.reshape(batch, beams * w)
        cand_score = (scores[:, :, None] + np.log(prob).reshape(batch, beams, w)).reshape(batch, beams * w)
        cand_beam = np.broadcast_to(np.repeat(np.arange(beams), w), cand_tok.shape)
        best = np.lexsort((cand_beam, cand_tok, -cand_score), axis=1)[:, : min(width, beams * w)]
        src = np.take_along_axis(cand_beam, best, axis=1)
        new = np.take_along_axis(cand_tok, best, axis=1)
        scores = np.take_along_axis(cand_score, best, axis=1)
        context = np.concatenate([np.take_along_axis(context, src[:, :, None], axis=1), new[:, :, None]], axis=2)[:, :, 1:]
        chosen.append(new)
        parents.append(src)
    # Follow the best final beam back through its parents.
    out = np.empty((batch, length), dtype=np.int64)
    beam = np.zeros(batch, dtype=np.int64)
    rows = np.arange(batch)
    for step in range(length - 1, -1, -1):
        out[:, step] = chosen[step][rows, beam]
        beam = parents[step][rows, beam]
    return out


def distinct_ngram_ratio(blocks, k: int = 3) -> float:
    """Distinct k-grams divided by all k-grams in a corpus (k-grams within blocks). 1 = no repeats."""
    k = check_int(k, "k", minimum=1)
    blocks = np.asarray(blocks)
    if blocks.ndim != 2 or blocks.shape[1] < k or blocks.size == 0:
        raise ValueError(f"blocks must be a non-empty 2-D array with at least k = {k} tokens per block")
    windows = np.lib.stride_tricks.sliding_window_view(blocks, k, axis=1).reshape(-1, k)
    return np.unique(windows, axis=0).shape[0] / windows.shape[0]


@dataclass(frozen=True)
class GenerationsResult:
    """The training sets and models of a self-consuming run (see :func:`self_consuming_generations`)."""

    data: np.ndarray
    """The training blocks of every generation, shape (generations + 1, blocks, length);
    generation 0 is the real text."""
    kept: np.ndarray
    """Which blocks of each generation are original (real) blocks, bool, shape (generations + 1, blocks)."""
    models: list
    """The model trained on each generation's data (a list of :class:`NGramModel`)."""


def self_consuming_generations(
    real_blocks,
    vocab_size: int,
    generations: int,
    *,
    n: int = 3,
    discount: float = 0.75,
    decoding: str = "beam",
    beam_width: int = 5,
    temperature: float = 1.0,
    top_k: int | None = None,
    real_fraction: float = 0.0,
    rng: RNGLike = None,
) -> GenerationsResult:
    """Train, regenerate the training set with the model, retrain: Shumailov et al.'s protocol.

    Generation 0 trains on ``real_blocks``. Generation t >= 1 trains on the continuations that
    model t-1 writes for every original block (prompted with the real block, continued by as many
    tokens as a block has), so the training set keeps its size; with ``real_fraction`` > 0, a fresh
    random subset of that fraction of the blocks is the original blocks instead.

    Parameters
    ----------
    real_blocks : array_like of int, shape (blocks, length)
    vocab_size : int
        ``len(vocabulary)``.
    generations : int
        Number of regenerations (>= 0).
    n, discount
        As in :func:`train`.
    decoding : {"beam", "sample"}
        Beam search (``beam_width``) or sampling (``temperature``, ``top_k``).
    real_fraction : float, default 0.0
        Fraction of original blocks kept in every generation (Shumailov et al. used 0 and 0.1).
    rng : numpy.random.Generator, int or None
        Used for sampling and for choosing the kept blocks.

    Returns
    -------
    GenerationsResult
    """
    real = _check_blocks(real_blocks, "real_blocks", check_int(vocab_size, "vocab_size", minimum=3))
    generations = check_int(generations, "generations", minimum=0)
    decoding = check_choice(decoding, "decoding", ("beam", "sample"))
    real_fraction = check_fraction(real_fraction, "real_fraction")
    rng = as_generator(rng)
    count, length = real.shape
    n_kept = int(round(real_fraction * count))
    data = np.empty((generations + 1,) + real.shape, dtype=np.int64)
    kept = np.zeros((generations + 1, count), dtype=bool)
    data[0], kept[0] = real, True
    models = [train(real, vocab_size, n=n, discount=discount)]
    for t in range(1, generations + 1):
        model = models[-1]
        if decoding == "beam":
            data[t] = beam_search(model, real, length, beam_width=beam_width)
        else:
            data[t] = sample(model, real, length, temperature=temperature, top_k=top_k, rng=rng)
        if n_kept:
            chosen = rng.choice(count, size=n_kept, replace=False)
            data[t, chosen] = real[chosen]
            kept[t, chosen] = True
        models.append(train(data[t], vocab_size, n=n, discount=discount))
    return GenerationsResult(data, kept, models)
