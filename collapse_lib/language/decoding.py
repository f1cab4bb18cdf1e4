"""Decoding: continuing prompts with an n-gram model, by sampling or by beam search.

:func:`sample` draws exactly from the model at any temperature, optionally restricted to the
top k tokens; :func:`beam_search` finds the most probable continuation a beam of given width
finds. Both work on a whole batch of prompts at once and never build dense (batch, V) rows
where they can avoid it.

Chapter: ``book/05_language_models.md``.
"""

from __future__ import annotations

import weakref

import numpy as np

from ..validation import RNGLike, as_generator, check_int, check_memory, check_real
from .kneser_ney import (
    NGramModel,
    _keys,
    _level_rows,
    _pointwise,
    check_model,
    next_token_probabilities,
    ragged_ranges,
)
from .text import check_blocks

__all__ = ["sample", "beam_search"]

# Top-token lists (tokens and probabilities) of every context of a model's orders, computed once
# per model and dropped with the model: {model: {(order, width): (tokens, probabilities)}}.
_TOP_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: Most entries (contexts x width) of one cached top-token table; a wider top list of a large
#: model is computed per call instead (16 bytes an entry: 32 MB).
TOP_TABLE_ENTRIES = 2_000_000


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
    cand_tok = [np.tile(_unigram_top(model, width), unique.size)]
    for k, (order, rows) in enumerate(zip(model.orders, _level_rows(model, uctx)), start=2):
        seen = np.flatnonzero(rows >= 0)
        if k == c + 1:  # the context's own order: the tokens seen after it that can reach the top
            idx, owner = ragged_ranges(order.indptr[rows[seen]], np.diff(order.indptr)[rows[seen]])
            keep = _could_be_top(model, order, uctx[seen], rows[seen], idx, owner, width)
            cand_ctx.append(seen[owner[keep]])
            cand_tok.append(order.indices[idx[keep]])
        else:  # a lower order: its cached top list
            cand_ctx.append(np.repeat(seen, width))
            cand_tok.append(_order_top(model, k, width)[0][rows[seen]].ravel())
    pair = _distinct(np.concatenate(cand_ctx) * model.vocab_size + np.concatenate(cand_tok))
    owner, tok = pair // model.vocab_size, pair % model.vocab_size
    prob = _pointwise(model, uctx[owner], tok)
    best = np.lexsort((tok, -prob, owner))  # by context, then probability (descending), then id
    owner, tok, prob = owner[best], tok[best], prob[best]
    take = np.searchsorted(owner, np.arange(unique.size))[:, None] + np.arange(width)[None, :]
    return tok[take][inverse.ravel()], prob[take][inverse.ravel()]


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique`` by a plain sort (numpy 2's hashing unique is slower here)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if values.size else values


def _unigram_top(model: NGramModel, width: int) -> np.ndarray:
    """The ``width`` most probable tokens of the unigram distribution, ties to the smaller id (cached)."""
    cache = _TOP_CACHE.setdefault(model, {})
    if ("unigram", width) not in cache:
        cache["unigram", width] = np.argsort(-model.unigram, kind="stable")[:width]
    return cache["unigram", width]


def _could_be_top(model: NGramModel, order, ctx: np.ndarray, rows: np.ndarray, idx: np.ndarray, owner: np.ndarray,
                  width: int) -> np.ndarray:
    """Which entries of the contexts' rows can be among their ``width`` most probable tokens.

    P(x | h) = d(h, x) + b(h) P'(x | h'), with d the discounted count, b the back-off weight and P'
    the lower order. The ``width`` tokens most probable under P' (they are candidates anyway) give a
    floor T(h): the smallest of their P(. | h). A token outside that list has P' at most the list's
    smallest value L(h'), so if d(h, x) + b(h) L(h') < T(h) it cannot reach the top (exact: such a
    token is strictly below the width-th best). Long rows, as after common contexts of a large
    pretrained model, shrink to a few entries.
    """
    if idx.size <= width * rows.size:  # short rows: nothing worth pruning
        return np.ones(idx.size, dtype=bool)
    lower_tok, lower_prob = _top_by_lookup(model, ctx[:, 1:], width)
    owners = np.repeat(np.arange(rows.size), lower_tok.shape[1])
    floor = _pointwise(model, ctx[owners], lower_tok.ravel()).reshape(lower_tok.shape).min(axis=1)
    ceiling = order.discounted[idx] + order.backoff[rows][owner] * lower_prob[owner, -1]
    return ceiling >= floor[owner]


def _order_top(model: NGramModel, k: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``width`` tokens of P_k(. | h), and their probabilities, for every context h of order k's table (cached)."""
    cache = _TOP_CACHE.setdefault(model, {})
    if (k, width) not in cache:
        order = model.orders[k - 2]
        digits = (order.context_keys[:, None] // model.vocab_size ** np.arange(k - 2, -1, -1)) % model.vocab_size
        tokens, probabilities = _top_tokens(model, digits, width)
        cache[k, width] = tokens.astype(np.int32), probabilities  # int32 ids: a quarter less memory
    return cache[k, width]


def _worth_a_table(model: NGramModel, width: int, queries: int, margin: int = 1) -> bool:
    """Whether to compute the top lists of every context of the highest order once (:func:`_top_by_lookup`).

    Worth it when the questions still to come outnumber the table's contexts (``margin`` times
    over) and the table stays small. A beam search, which can remember what it asked instead
    (:func:`_top_memoised`), asks for a margin of 4: a pretrained model has far more contexts than
    a beam search visits, and its beams ask about the same few contexts again and again.
    """
    if model.n < 2:
        return False
    if (model.n, width) in _TOP_CACHE.get(model, {}):  # computed already, by an earlier call
        return True
    contexts = model.orders[-1].context_keys.size
    return queries >= margin * contexts and contexts * width <= TOP_TABLE_ENTRIES


def _top_by_lookup(model: NGramModel, ctx: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_top_tokens` for contexts of n-1 tokens, by look-ups in the cached tables of every order.

    P_n(. | h) is the table's own distribution when h was seen, and P_{n-1}(. | h') exactly when
    it was not (an unseen context backs off entirely), and so on down to the unigram. So the top
    list of h is the cached list of its longest seen suffix.
    """
    order_unigram = _unigram_top(model, width)
    tok = np.broadcast_to(order_unigram, (ctx.shape[0], width)).copy()
    prob = np.broadcast_to(model.unigram[order_unigram], (ctx.shape[0], width)).copy()
    for k, rows in enumerate(_level_rows(model, ctx), start=2):  # low to high: the longest seen suffix wins
        seen = np.flatnonzero(rows >= 0)
        tokens, probabilities = _order_top(model, k, width)
        tok[seen] = tokens[rows[seen]]
        prob[seen] = probabilities[rows[seen]]
    return tok, prob


def _top_memoised(model: NGramModel, ctx: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_top_tokens` for contexts of n-1 tokens, remembering the answer for each context asked.

    For a model whose highest-order table is too large to list in full (a pretrained model): a
    beam search asks about the same contexts again and again, so each is computed once per model.
    """
    cache = _TOP_CACHE.setdefault(model, {})
    known_keys, known_tok, known_prob = cache.get(("asked", width), (np.empty(0, np.int64), None, None))
    keys = _keys(ctx, model.vocab_size)
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    pos = np.minimum(np.searchsorted(known_keys, unique), max(known_keys.size - 1, 0))
    missing = known_keys[pos] != unique if known_keys.size else np.ones(unique.size, dtype=bool)
    if missing.any():
        new_tok, new_prob = _top_tokens(model, ctx[first[missing]], width)
        if known_keys.size:
            merged = np.concatenate([known_keys, unique[missing]])
            order = np.argsort(merged, kind="stable")
            known_keys = merged[order]
            known_tok = np.concatenate([known_tok, new_tok])[order]
            known_prob = np.concatenate([known_prob, new_prob])[order]
        else:
            known_keys, known_tok, known_prob = unique[missing], new_tok, new_prob
        cache["asked", width] = (known_keys, known_tok, known_prob)
    rows = np.searchsorted(known_keys, unique)[inverse.ravel()]
    return known_tok[rows], known_prob[rows]


def _draw_exact(model: NGramModel, ctx: np.ndarray, rng: np.random.Generator, levels: list | None = None) -> np.ndarray:
    """One draw from P(. | context) per context, without dense rows.

    P_k(. | h) is a mixture: the discounted counts of h (total mass 1 - backoff) and, with weight
    backoff, the lower order. One uniform number per context picks the component from the highest
    order down and then the token inside it, by a search in the running sums of the table.
    ``levels``: the contexts' :func:`_level_rows`, when the caller has them already.
    """
    batch = ctx.shape[0]
    u = rng.random(batch)
    token = np.full(batch, -1, dtype=np.int64)
    levels = _level_rows(model, ctx) if levels is None else levels
    open_ = np.arange(batch)  # the contexts whose token is not drawn yet
    for order, rows in zip(reversed(model.orders), reversed(levels)):
        r = rows[open_]
        seen = r >= 0  # a context not seen at this order backs off entirely, u unchanged
        here = seen & (u[open_] < order.kept[np.maximum(r, 0)])
        hit, r_hit = open_[here], r[here]
        start, stop = order.indptr[r_hit], order.indptr[r_hit + 1]
        j = np.searchsorted(order.cumulative, order.cumulative[start] + u[hit], side="right") - 1
        token[hit] = order.indices[np.clip(j, start, stop - 1)]
        rest = seen & ~here
        r_rest, o_rest = r[rest], open_[rest]
        u[o_rest] = (u[o_rest] - order.kept[r_rest]) / order.backoff[r_rest]  # uniform again on the lower order
        open_ = open_[~here]
    cdf = model.unigram_cumulative
    token[open_] = np.minimum(np.searchsorted(cdf, u[open_] * cdf[-1], side="right"), model.vocab_size - 1)
    return token


def _draw(model, ctx, rng, temperature: float, top_k: int | None, lookup: bool = False) -> np.ndarray:
    """One draw per context from P(. | context)**(1/temperature), restricted to the top k if given.

    ``lookup``: find top tokens in the model's cached tables (:func:`_top_by_lookup`), for callers
    that will ask about many more contexts than the model has.
    """
    top = _top_by_lookup if lookup else _top_tokens
    if top_k is not None:
        tok, prob = top(model, ctx, min(top_k, model.vocab_size - 1))
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
        p_max = top(model, ctx, 1)[1][:, 0]
        levels = _level_rows(model, ctx)  # found once, reused by every round's proposals
        per_round = 4
        for _ in range(10):
            open_ = np.flatnonzero(token < 0)
            if open_.size == 0:
                break
            repeated = np.repeat(open_, per_round)
            repeated_levels = [rows[repeated] for rows in levels]
            proposal = _draw_exact(model, ctx[repeated], rng, repeated_levels)
            ratio = _pointwise(model, ctx[repeated], proposal, repeated_levels) / p_max[repeated]
            accept = (rng.random(repeated.size) < ratio ** (1.0 / temperature - 1.0)).reshape(-1, per_round)
            done = accept.any(axis=1)
            first = accept.argmax(axis=1)
            token[open_[done]] = proposal.reshape(-1, per_round)[done, first[done]]
    open_ = np.flatnonzero(token < 0)  # T > 1, or contexts the rejection loop did not settle
    # Dense rows, a chunk of contexts at a time so that memory does not grow with the batch.
    chunk = max(1, DENSE_CHUNK_BYTES // (8 * model.vocab_size))
    for part in np.array_split(open_, -(-open_.size // chunk)) if open_.size else ():
        with np.errstate(divide="ignore"):
            logits = np.log(next_token_probabilities(model, ctx[part])) / temperature
        weight = np.exp(logits - logits.max(axis=1, keepdims=True))
        cdf = np.cumsum(weight, axis=1)
        pick = (cdf <= rng.random(part.size)[:, None] * cdf[:, -1:]).sum(axis=1)
        token[part] = np.minimum(pick, model.vocab_size - 1)
    return token


#: Bytes of one chunk of dense (contexts, V) rows in the temperature fallback of :func:`_draw`.
DENSE_CHUNK_BYTES = 32 * 2**20


#: Most tokens one call generates per prompt. Each token is one vectorised step (about 0.2 ms of
#: Python at least), and an n-gram model only sees n-1 tokens back, so longer text is generated
#: just as well in several calls.
MAX_LENGTH = 10_000


def _check_decoding(model: NGramModel, prompts, length) -> tuple[np.ndarray, int]:
    prompts = check_blocks(prompts, "prompts", check_model(model).vocab_size)
    if prompts.shape[1] < model.n - 1:
        raise ValueError(f"prompts need at least n-1 = {model.n - 1} tokens, got {prompts.shape[1]}")
    return prompts, check_int(length, "length", minimum=1, maximum=MAX_LENGTH)


#: Temperatures allowed for sampling. Below 0.01, P**(1/T) underflows for probabilities under
#: 1e-3 (1e-3**100 = 1e-300), so rounding rather than the model would decide the draw (use beam
#: search or top_k=1 for the most probable token); above 100 all tokens are nearly equally likely.
TEMPERATURE_RANGE = (0.01, 100.0)


def check_temperature(temperature) -> float:
    """``temperature`` as a float in ``TEMPERATURE_RANGE``, or a clear error."""
    return check_real(temperature, "temperature", low=TEMPERATURE_RANGE[0], high=TEMPERATURE_RANGE[1])


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
        Tokens to generate per prompt, 1 to ``MAX_LENGTH`` (10,000).
    temperature : float, default 1.0
        Draw from p**(1/temperature), renormalized; in [0.01, 100] (``TEMPERATURE_RANGE``).
        Below 1 sharpens the distribution toward its most probable tokens.
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
    temperature = check_temperature(temperature)
    if top_k is not None:
        top_k = check_int(top_k, "top_k", minimum=1)
    # The continuations, one step's per-context arrays (40 proposals below T = 1) and the top-k
    # lists; dense rows come in chunks of DENSE_CHUNK_BYTES whatever the batch.
    per_context = length + 64 + (4 * min(top_k, model.vocab_size) if top_k is not None else 0)
    check_memory(8.0 * prompts.shape[0] * per_context, "prompts and length" + (" and top_k" if top_k else ""),
                 "the continuations and one step's working arrays")
    return continue_by_sampling(model, prompts, length, temperature, top_k, as_generator(rng))


def continue_by_sampling(model: NGramModel, prompts: np.ndarray, length: int, temperature: float,
                         top_k: int | None, rng: np.random.Generator) -> np.ndarray:
    """:func:`sample` without checking its arguments, for loops that have checked them once."""
    keep = model.n - 1
    out = np.empty((prompts.shape[0], length), dtype=np.int64)
    context = prompts[:, prompts.shape[1] - keep :]
    width = 1 if top_k is None else min(top_k, model.vocab_size - 1)
    lookup = (top_k is not None or temperature < 1.0) and _worth_a_table(model, width, prompts.shape[0] * length)
    for step in range(length):
        out[:, step] = _draw(model, context, rng, float(temperature), top_k, lookup)
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
    beams = min(width, model.vocab_size - 1)
    check_memory(8.0 * prompts.shape[0] * beams * (2 * length + 4 * beams), "prompts, length and beam_width",
                 "the beams' back-pointers and candidates")
    return continue_by_beam_search(model, prompts, length, width)


def continue_by_beam_search(model: NGramModel, prompts: np.ndarray, length: int, width: int) -> np.ndarray:
    """:func:`beam_search` without checking its arguments, for loops that have checked them once.

    The search sees only each prompt's last n-1 tokens, so prompts that end alike are searched
    once (cut blocks of real text share a tenth of their ends; the output is unchanged).
    """
    keep = model.n - 1
    ends, first, inverse = np.unique(prompts[:, prompts.shape[1] - keep :], axis=0, return_index=True,
                                     return_inverse=True)
    if ends.shape[0] < prompts.shape[0]:
        return _beam_search_distinct(model, prompts[first], length, width)[inverse.ravel()]
    return _beam_search_distinct(model, prompts, length, width)


def _beam_search_distinct(model: NGramModel, prompts: np.ndarray, length: int, width: int) -> np.ndarray:
    """The beam search of :func:`continue_by_beam_search`, prompt by prompt."""
    batch, keep = prompts.shape[0], model.n - 1
    w = min(width, model.vocab_size - 1)  # a beam has at most V extensions
    top = _top_by_lookup if _worth_a_table(model, w, batch * w * length, margin=4) else _top_memoised
    scores = np.zeros((batch, 1))
    context = prompts[:, None, prompts.shape[1] - keep :]
    chosen, parents = [], []  # per step: the token each beam ends with, and the beam it extends
    for _ in range(length):
        beams = scores.shape[1]
        # Each beam's own best w tokens contain the best w extensions over all beams.
        tok, prob = top(model, context.reshape(batch * beams, keep), w)
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
