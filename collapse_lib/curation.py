"""Curating synthetic data before it is trained on: selection, preferences and watermarks.

- :func:`best_of_k`: the exact law of the item a curator keeps when it draws k candidates from a
  categorical model and keeps the one with the highest reward (ties broken uniformly);
- :func:`bradley_terry_update`: the law of the kept item when the curator chooses among k
  candidates with Bradley–Terry (Luce) probabilities proportional to exp(reward), the update of
  Ferbach et al. (2024), computed exactly through a one-dimensional integral;
- a green-list **watermark** for the n-gram models of :mod:`collapse_lib.language` (Kirchenbauer
  et al., 2023): :func:`green_mask` (which tokens are green after a given token),
  :func:`watermarked_sample` (sampling with the green tokens' logits raised by delta) and
  :func:`watermark_z` (the detector's z statistic).

Chapter: ``book/07_curation_and_verification.md``.
"""

from __future__ import annotations

import numpy as np

from .validation import (
    RNGLike,
    as_float_array,
    as_generator,
    check_int,
    check_memory,
    check_probability_vector,
    check_real,
)

__all__ = [
    "best_of_k",
    "bradley_terry_update",
    "green_mask",
    "watermarked_sample",
    "watermark_z",
]

#: Largest number of candidates a curator compares (the laws are exact for any k; this only
#: keeps arguments sane).
MAX_CANDIDATES = 10**6


def _check_rewards(p, reward) -> tuple[np.ndarray, np.ndarray]:
    p = check_probability_vector(p, "p")
    reward = as_float_array(reward, "reward", "a vector of real rewards, one per category")
    if reward.shape != p.shape:
        raise ValueError(f"reward must have one value per category, shape {p.shape}, got {reward.shape}")
    if not np.all(np.isfinite(reward)):
        raise ValueError("reward must be finite (no NaN or inf)")
    return p, reward


def best_of_k(p, reward, k: int) -> np.ndarray:
    """The law of the item kept from k independent draws of ``p``: the one with the highest reward.

    With the rewards' distinct levels r_(1) < r_(2) < ..., F_l the probability of drawing a reward
    at most r_(l) and F_{l-} of drawing less, the highest level drawn is l with probability
    F_l^k - F_{l-}^k, and then the kept candidate (chosen uniformly among the candidates at that
    level) is item i of the level with probability p_i / p_l. So
    q_i = p_i (F_l^k - F_{l-}^k) / p_l for i at level l.

    Parameters
    ----------
    p : array_like, shape (K,)
        The model's probabilities (non-negative, summing to 1).
    reward : array_like, shape (K,)
        The curator's reward of each category (real).
    k : int
        Candidates drawn (>= 1). k = 1 keeps a single draw: the law is p.

    Returns
    -------
    numpy.ndarray, shape (K,)
        The law of the kept item, summing to 1.

    Examples
    --------
    >>> best_of_k([0.5, 0.3, 0.2], [0.0, 1.0, 2.0], 2)
    array([0.25, 0.39, 0.36])
    """
    p, reward = _check_rewards(p, reward)
    k = check_int(k, "k", minimum=1, maximum=MAX_CANDIDATES)
    levels, level_of = np.unique(reward, return_inverse=True)
    level_mass = np.bincount(level_of, weights=p, minlength=levels.size)
    at_most = np.minimum(np.cumsum(level_mass), 1.0)
    below = np.concatenate([[0.0], at_most[:-1]])
    top_level = at_most**k - below**k  # P(the highest reward drawn is this level)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(level_mass[level_of] > 0, p / level_mass[level_of], 0.0)
    kept = share * top_level[level_of]
    return kept / kept.sum()


def bradley_terry_update(p, reward, k: int) -> np.ndarray:
    """The law of the kept item when a curator picks one of k draws with probabilities proportional to exp(reward).

    The Bradley–Terry (Luce) choice among k candidates of a categorical model p gives
    p_next(x) = p(x) H(x) with H(x) = E[k e^{r(x)} / (e^{r(x)} + sum_{j<k} e^{r(X_j)})], the
    X_j independent draws of p (Ferbach et al., 2024). With 1/a = int_0^inf e^{-a u} du,
    H(x) = k e^{r(x)} int_0^inf e^{-u e^{r(x)}} phi(u)^(k-1) du, phi(u) = sum_j p_j e^{-u e^{r_j}},
    a one-dimensional integral computed by quadrature for every category.

    Parameters
    ----------
    p : array_like, shape (K,)
    reward : array_like, shape (K,)
        Rewards; only their differences matter.
    k : int
        Candidates compared (>= 1); k = 1 returns p.

    Returns
    -------
    numpy.ndarray, shape (K,)
    """
    import scipy.integrate

    p, reward = _check_rewards(p, reward)
    k = check_int(k, "k", minimum=1, maximum=MAX_CANDIDATES)
    if k == 1:
        return p.copy()
    weight = np.exp(reward - reward.max())  # e^{r} up to a common factor, largest 1
    support = np.flatnonzero(p > 0)
    log_p, w = np.log(p[support]), weight[support]
    # Substituting u = c v with c = 1 / ((k - 1) E_p[e^r]) keeps the integrand's width near 1 for
    # every k: phi(c v)^(k-1) is close to e^{-v} when k is large.
    c = 1.0 / ((k - 1) * (p[support] @ w))

    def log_phi(u):
        terms = log_p - u * w
        top = terms.max()
        return top + np.log(np.exp(terms - top).sum())

    H = np.zeros_like(p)
    for i, a in zip(support, w):
        integral = scipy.integrate.quad(lambda v, a=a: np.exp(-a * c * v + (k - 1) * log_phi(c * v)), 0, np.inf,
                                        epsabs=1e-14, epsrel=1e-11, limit=200)[0]
        H[i] = k * a * c * integral
    updated = p * H
    return updated / updated.sum()


# --------------------------------------------------------------------------- watermarks
_MIX1, _MIX2, _GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def _hash_uniform(key: int, previous: np.ndarray, token: np.ndarray) -> np.ndarray:
    """A pseudo-random number in [0, 1) for every (key, previous token, token): splitmix64 mixing."""
    with np.errstate(over="ignore"):
        x = (np.uint64(key) * _GOLDEN) ^ (previous.astype(np.uint64) * _MIX1) ^ (token.astype(np.uint64) * _MIX2)
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / 2.0**53


def _check_watermark(gamma, key) -> tuple[float, int]:
    gamma = check_real(gamma, "gamma", low=0, high=1, low_open=True, high_open=True)
    key = check_int(key, "key", minimum=0, maximum=2**63 - 1)
    return gamma, key


def green_mask(previous, vocab_size: int, *, gamma: float = 0.25, key: int = 0) -> np.ndarray:
    """Which tokens are on the green list after each previous token: a hash of (key, previous, token) below gamma.

    Each token is green with probability gamma, independently across tokens and previous tokens
    (for a fixed key); this plays the role of Kirchenbauer et al.'s vocabulary permutation seeded
    by the previous token.

    Parameters
    ----------
    previous : array_like of int, shape (batch,)
        The token before the one being generated.
    vocab_size : int
    gamma : float
        Expected share of green tokens, in (0, 1).
    key : int
        The watermark's secret key (>= 0).

    Returns
    -------
    numpy.ndarray of bool, shape (batch, vocab_size)
    """
    gamma, key = _check_watermark(gamma, key)
    vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
    previous = np.atleast_1d(np.asarray(previous))
    if previous.ndim != 1 or not np.issubdtype(previous.dtype, np.integer) or previous.min(initial=0) < 0:
        raise ValueError("previous must be a one-dimensional array of token ids (integers >= 0)")
    check_memory(8.0 * previous.size * vocab_size, "previous and vocab_size", "the green lists")
    return _hash_uniform(key, previous[:, None], np.arange(vocab_size)[None, :]) < gamma


def watermarked_sample(model, prompts, length: int, *, gamma: float = 0.25, delta: float = 2.0, key: int = 0,
                       rng: RNGLike = None) -> np.ndarray:
    """Continue each prompt by ``length`` tokens from the model with green tokens' logits raised by ``delta``.

    At every step the next-token probabilities p(w | context) are replaced by
    p(w) e^{delta [w green]} / sum_v p(v) e^{delta [v green]}, the green list depending on the
    previous token (:func:`green_mask`): Kirchenbauer et al.'s "soft" watermark. delta = 0 is
    ordinary sampling.

    Parameters
    ----------
    model : language.NGramModel
    prompts : array_like of int, shape (batch, c), c >= n-1
    length : int
    gamma, key
        As in :func:`green_mask`.
    delta : float
        The watermark's strength, >= 0 (at most 50).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray of int64, shape (batch, length)
    """
    from .language.decoding import DENSE_CHUNK_BYTES, _check_decoding
    from .language.kneser_ney import next_token_probabilities

    prompts, length = _check_decoding(model, prompts, length)
    gamma, key = _check_watermark(gamma, key)
    delta = check_real(delta, "delta", low=0, high=50)
    rng = as_generator(rng)
    V, keep = model.vocab_size, model.n - 1
    out = np.empty((prompts.shape[0], length), dtype=np.int64)
    context = prompts[:, prompts.shape[1] - max(keep, 1):]
    chunk = max(1, DENSE_CHUNK_BYTES // (16 * V))
    for step in range(length):
        previous = context[:, -1]
        for start in range(0, prompts.shape[0], chunk):
            rows = slice(start, start + chunk)
            probs = next_token_probabilities(model, context[rows, context.shape[1] - keep:] if keep else
                                             np.zeros((previous[rows].size, 0), dtype=np.int64))
            probs *= np.where(_hash_uniform(key, previous[rows, None], np.arange(V)[None, :]) < gamma,
                              np.exp(delta), 1.0)
            cdf = np.cumsum(probs, axis=1)
            draw = (cdf <= rng.random(probs.shape[0])[:, None] * cdf[:, -1:]).sum(axis=1)
            out[rows, step] = np.minimum(draw, V - 1)
        context = np.concatenate([context[:, 1:], out[:, step : step + 1]], axis=1) if context.shape[1] > 1 \
            else out[:, step : step + 1]
    return out


def watermark_z(tokens, previous, *, gamma: float = 0.25, key: int = 0) -> np.ndarray:
    """The detector's z statistic of each text: (green count - gamma T) / sqrt(T gamma (1 - gamma)).

    Without a watermark each of the T tokens is green with probability gamma, so z is about
    standard normal; a watermark raises it by about sqrt(T) (green rate - gamma) / sqrt(gamma (1 - gamma)).

    Parameters
    ----------
    tokens : array_like of int, shape (batch, T)
        The texts to test.
    previous : array_like of int, shape (batch,)
        The token before each text's first token (for a continuation: the prompt's last token).
    gamma, key
        As in :func:`green_mask`.

    Returns
    -------
    numpy.ndarray, shape (batch,)
    """
    gamma, key = _check_watermark(gamma, key)
    tokens = np.asarray(tokens)
    if tokens.ndim == 1:
        tokens = tokens[None, :]
    if tokens.ndim != 2 or tokens.shape[1] < 1 or not np.issubdtype(tokens.dtype, np.integer) or tokens.min() < 0:
        raise ValueError(f"tokens must be a (batch, T) array of token ids with T >= 1, got shape {tokens.shape}")
    previous = np.atleast_1d(np.asarray(previous))
    if previous.shape != (tokens.shape[0],) or not np.issubdtype(previous.dtype, np.integer) or previous.min() < 0:
        raise ValueError(f"previous must hold one token id per text, shape ({tokens.shape[0]},), got {previous.shape}")
    before = np.concatenate([previous[:, None], tokens[:, :-1]], axis=1)
    green = (_hash_uniform(key, before, tokens) < gamma).sum(axis=1)
    T = tokens.shape[1]
    return (green - gamma * T) / np.sqrt(T * gamma * (1 - gamma))
