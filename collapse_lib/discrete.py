"""Categorical distributions refitted to their own samples (multinomial Wright–Fisher).

A categorical distribution ``p`` over K categories is "trained" on M draws from the
previous generation's model by counting: the next model is the vector of empirical
frequencies. This is the multinomial (haploid) Wright–Fisher chain of population
genetics. This module simulates it, builds its transition matrix for two categories,
and analyses absorbing Markov chains through the fundamental matrix.

Chapter: ``book/02_discrete_absorption.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from .validation import (
    MAX_COUNT,
    MAX_GENERATIONS,
    PROBABILITY_ATOL,
    RNGLike,
    as_float_array,
    as_generator,
    check_bool,
    check_int,
    check_memory,
    check_probability_vector,
)

__all__ = [
    "resample",
    "iter_resample",
    "simulate_absorption",
    "AbsorptionSample",
    "wright_fisher_matrix",
    "absorption",
    "AbsorptionResult",
]


def _draw_counts(rng: np.random.Generator, M: int, freq: np.ndarray) -> np.ndarray:
    """One generation: counts of M draws from each row of ``freq`` (shape (R, K))."""
    if freq.shape[-1] == 2:
        # Two categories: the count of the first is Binomial(M, p); much faster than multinomial.
        first = rng.binomial(M, freq[:, 0])
        return np.stack([first, M - first], axis=-1)
    return rng.multinomial(M, freq)


def _check_common(p, M, replicates=None):
    """Checked p, M and replicates (1 when None), and the memory one generation needs."""
    p = check_probability_vector(p, "p")
    M = check_int(M, "M", minimum=1, maximum=MAX_COUNT)
    R = 1 if replicates is None else check_int(replicates, "replicates", minimum=1)
    check_memory(3 * 8.0 * R * p.size, "replicates", "one generation of every chain")
    return p, M, R


def _check_generations(generations) -> int:
    return check_int(generations, "generations", minimum=0, maximum=MAX_GENERATIONS)


def iter_resample(
    p, M: int, generations: int, *, replicates: int | None = None, rng: RNGLike = None
) -> Iterator[np.ndarray]:
    """Yield the frequencies of each generation, one generation at a time.

    The same chain as :func:`resample`, for when storing every generation would not
    fit in memory (many categories, replicates or generations): compute summaries on
    the fly instead.

    Parameters
    ----------
    p : array_like, shape (K,)
        Initial probabilities (generation 0).
    M : int
        Samples drawn per generation (M >= 1).
    generations : int
        Number of refits (>= 0); ``generations + 1`` arrays are yielded.
    replicates : int, optional
        Number of independent chains. When given, each yielded array has shape
        (replicates, K); otherwise (K,).
    rng : numpy.random.Generator, int or None
        Random generator or seed.

    Yields
    ------
    numpy.ndarray
        Frequencies of generation 0, 1, ..., ``generations``. The array is a fresh
        copy each time, so it is safe to keep.
    """
    p, M, R = _check_common(p, M, replicates)
    generations = _check_generations(generations)
    return _iterate(p, M, generations, R, replicates is None, as_generator(rng))


def _iterate(p, M, generations, R, single, rng) -> Iterator[np.ndarray]:
    # A separate generator, so that iter_resample checks its arguments when called, not at the first next().
    freq = np.broadcast_to(p, (R, p.size)).copy()
    yield freq[0].copy() if single else freq.copy()
    for _ in range(generations):
        freq = _draw_counts(rng, M, freq) / M
        yield freq[0].copy() if single else freq.copy()


def resample(
    p, M: int, generations: int, *, replicates: int | None = None, rng: RNGLike = None
) -> np.ndarray:
    """Refit a categorical distribution to M of its own draws, generation after generation.

    Generation t+1 is the vector of empirical frequencies of M draws from
    generation t. Chains are vectorized across replicates.

    Parameters
    ----------
    p : array_like, shape (K,)
        Initial probabilities; non-negative, finite, summing to 1.
    M : int
        Samples drawn per generation (M >= 1).
    generations : int
        Number of refits (>= 0).
    replicates : int, optional
        Number of independent chains (>= 1).
    rng : numpy.random.Generator, int or None
        Random generator or seed.

    Returns
    -------
    numpy.ndarray
        Frequencies, generation 0 being ``p``: shape (generations+1, K), or
        (replicates, generations+1, K) when ``replicates`` is given. The replicate
        array is a view with generations stored contiguously, which is what makes
        the simulation fast; call ``numpy.ascontiguousarray`` if you need otherwise.

    Examples
    --------
    >>> freqs = resample([0.5, 0.3, 0.2], M=10, generations=5, rng=0)
    >>> freqs.shape
    (6, 3)
    >>> bool(np.allclose(freqs.sum(axis=1), 1))
    True
    """
    p, M, R = _check_common(p, M, replicates)
    generations = _check_generations(generations)
    check_memory(8.0 * (generations + 1) * R * p.size, "generations and replicates", "the frequencies of every generation")
    rng = as_generator(rng)
    K = p.size
    # Generation-major storage: each generation's write is one contiguous block.
    out = np.empty((generations + 1, R, K))
    out[0] = p
    if K == 2:
        # One binomial per chain; both columns written in one contiguous pass.
        share, counts = np.full(R, p[0]), np.empty((R, 2), dtype=np.int64)
        for t in range(1, generations + 1):
            first = rng.binomial(M, share)
            counts[:, 0] = first
            np.subtract(M, first, out=counts[:, 1])
            np.divide(counts, M, out=out[t])
            share = out[t, :, 0]
    else:
        for t in range(1, generations + 1):
            np.divide(rng.multinomial(M, out[t - 1]), M, out=out[t])
    if replicates is None:
        return out[:, 0, :]
    return np.moveaxis(out, 1, 0)


class AbsorptionSample(NamedTuple):
    """Outcome of chains run until absorption (see :func:`simulate_absorption`)."""

    time: np.ndarray
    """Generation at which each chain first became a delta (int; -1 if not absorbed)."""
    category: np.ndarray
    """Category holding all the mass at absorption (int; -1 if not absorbed)."""
    absorbed: np.ndarray
    """Whether each chain was absorbed within ``max_generations``."""


def simulate_absorption(
    p,
    M: int,
    *,
    replicates: int,
    max_generations: int = MAX_GENERATIONS,
    rng: RNGLike = None,
) -> AbsorptionSample:
    """Run independent chains until each is absorbed in a delta (one category has all M draws).

    Only the chains that are still running are simulated at each generation, so the
    cost is proportional to the total number of chain-generations actually needed.

    Parameters
    ----------
    p : array_like, shape (K,)
        Initial probabilities (generation 0).
    M : int
        Samples drawn per generation (M >= 1).
    replicates : int
        Number of independent chains (>= 1).
    max_generations : int, default ``MAX_GENERATIONS`` (100,000)
        Stop after this many generations even if some chains are still running
        (they are reported with ``absorbed=False``); at most ``MAX_GENERATIONS``.
        Absorption happens with probability one, but the expected time grows like M:
        since every unabsorbed state has heterozygosity at least 1/M, a chain is still
        running after t generations with probability at most M (1 - 1/M)^t, which at
        the default cap is below 10^-18 for M <= 2,000.
    rng : numpy.random.Generator, int or None
        Random generator or seed.

    Returns
    -------
    AbsorptionSample
        Absorption time, absorbing category, and whether each chain was absorbed.
    """
    if replicates is None:
        raise TypeError("replicates must be an integer >= 1, got None")
    p, M, R = _check_common(p, M, replicates)
    max_generations = check_int(max_generations, "max_generations", minimum=0, maximum=MAX_GENERATIONS)
    rng = as_generator(rng)

    if p.size == 2:
        return _absorb_two(p, M, R, max_generations, rng)
    freq = np.broadcast_to(p, (R, p.size)).copy()
    time = np.full(R, -1, dtype=np.int64)
    category = np.full(R, -1, dtype=np.int64)
    is_delta = freq.max(axis=1) == 1.0
    time[is_delta] = 0
    category[is_delta] = freq[is_delta].argmax(axis=1)
    active = np.flatnonzero(~is_delta)
    t = 0
    while active.size and t < max_generations:
        t += 1
        counts = _draw_counts(rng, M, freq[active])
        done = counts.max(axis=1) == M
        finished = active[done]
        time[finished] = t
        category[finished] = counts[done].argmax(axis=1)
        active = active[~done]
        freq[active] = counts[~done] / M
    return AbsorptionSample(time=time, category=category, absorbed=time >= 0)


def _absorb_two(p: np.ndarray, M: int, R: int, max_generations: int, rng: np.random.Generator) -> AbsorptionSample:
    """:func:`simulate_absorption` for two categories: one binomial count per running chain.

    The same draws as the general path (the first category's count is Binomial(M, p_1)), without
    the (R, 2) frequency rows. Every generation only the running chains are drawn.
    """
    time = np.full(R, -1, dtype=np.int64)
    category = np.full(R, -1, dtype=np.int64)
    if p.max() == 1.0:  # generation 0 is already a delta: every chain is absorbed at once
        time[:] = 0
        category[:] = int(p.argmax())
        return AbsorptionSample(time=time, category=category, absorbed=time >= 0)
    active = np.arange(R)
    share = np.full(R, p[0])  # the first category's frequency in the running chains
    t = 0
    while active.size and t < max_generations:
        t += 1
        counts = rng.binomial(M, share)
        done = (counts == 0) | (counts == M)
        if done.any():
            finished = active[done]
            time[finished] = t
            category[finished] = np.where(counts[done] == M, 0, 1)
            running = ~done
            active, counts = active[running], counts[running]
        share = counts / M
    return AbsorptionSample(time=time, category=category, absorbed=time >= 0)


#: Largest M for the exact (sympy) transition matrix (M = 100 takes about 1 s to build here).
MAX_EXACT_M = 100
#: Most states an exact (sympy) absorption analysis accepts: 33 states (M = 32) take about 2 s
#: here, and the exact inverse grows so fast that 41 states take 6.5 s.
MAX_EXACT_STATES = 33


def wright_fisher_matrix(M: int, *, exact: bool = False):
    """Transition matrix of the two-category chain on counts 0, ..., M.

    ``P[i, j] = Binomial(M, i/M).pmf(j)``: from i draws of category 1 among M, the
    next generation draws M times with probability i/M.

    Parameters
    ----------
    M : int
        Samples per generation (M >= 1).
    exact : bool, default False
        If True, return a ``sympy.Matrix`` of exact rationals instead of floats.

    Returns
    -------
    numpy.ndarray or sympy.Matrix
        The (M+1, M+1) row-stochastic matrix.
    """
    M = check_int(M, "M", minimum=1)
    if check_bool(exact, "exact"):
        if M > MAX_EXACT_M:
            raise ValueError(f"M must be at most {MAX_EXACT_M} with exact=True (building its {(M + 1) ** 2:,} "
                             f"exact entries takes seconds to minutes); use exact=False, got {M}")
        import sympy

        return sympy.Matrix(
            M + 1,
            M + 1,
            lambda i, j: sympy.binomial(M, j) * sympy.Rational(i, M) ** j * (1 - sympy.Rational(i, M)) ** (M - j),
        )
    check_memory(3 * 8.0 * (M + 1) ** 2, "M", "the (M+1) x (M+1) transition matrix")
    return _binomial_rows(M)


def _binomial_rows(M: int) -> np.ndarray:
    """Binomial(M, i/M).pmf(j) for i, j = 0..M, in log space: log C(M, j) + j log(i/M) + (M-j) log(1-i/M).

    About eight times faster than ``scipy.stats.binom.pmf`` on the same grid. The log terms are
    up to about M ln M, so the relative error is of order eps M ln M (2e-11 at M = 2,000;
    tested against scipy); ``xlogy`` makes 0 log 0 = 0, so rows 0 and M are exact deltas. Row
    M - i is row i reversed, so only half the rows are computed.
    """
    from scipy.special import gammaln, xlogy  # imported here: scipy.special costs ~0.2 s to import

    j = np.arange(M + 1, dtype=float)
    log_choose = gammaln(M + 1.0) - gammaln(j + 1.0) - gammaln(M - j + 1.0)
    half = np.arange(M // 2 + 1, dtype=float)[:, None]  # rows 0..floor(M/2)
    top = xlogy(j, half / M)
    top += xlogy(M - j, (M - half) / M)
    top += log_choose
    np.exp(top, out=top)
    P = np.empty((M + 1, M + 1))
    P[: M // 2 + 1] = top
    P[M // 2 + 1 :] = top[(M + 1) // 2 - 1 :: -1, ::-1]  # row M - i is row i reversed
    return P


@dataclass(frozen=True)
class AbsorptionResult:
    """Absorbing-chain analysis of a transition matrix (see :func:`absorption`).

    With the states reordered so that transient states come first, the matrix has
    the canonical form ``[[Q, R], [0, I]]``. ``B`` and ``t`` are computed with the result
    (one factorisation of I - Q); the fundamental matrix ``N`` is computed from the same
    factorisation the first time it is read, since it costs several times more and is not
    often needed.
    """

    transient: np.ndarray
    """Indices of the transient states, increasing."""
    absorbing: np.ndarray
    """Indices of the absorbing states (``P[i, i] == 1``), increasing."""
    B: Any
    """Absorption probabilities ``N R``, shape (transient, absorbing)."""
    t: Any
    """Expected number of steps to absorption from each transient state, ``N 1``."""
    _inverse: Any = field(repr=False, compare=False)  # () -> N, from the stored factorisation

    @cached_property
    def N(self) -> Any:
        """Fundamental matrix ``(I - Q)^{-1}``: expected visits to transient state j from transient state i."""
        return self._inverse()


def _is_sympy_matrix(P) -> bool:
    return type(P).__module__.startswith("sympy")


def _reaches_absorbing(adjacency: np.ndarray, absorbing: np.ndarray) -> np.ndarray:
    """States from which some absorbing state can be reached (search backwards from them)."""
    reached = np.zeros(adjacency.shape[0], dtype=bool)
    reached[absorbing] = True
    frontier = absorbing
    while frontier.size:
        predecessors = np.flatnonzero(adjacency[:, frontier].any(axis=1) & ~reached)
        reached[predecessors] = True
        frontier = predecessors
    return reached


def absorption(P) -> AbsorptionResult:
    """Analyse an absorbing Markov chain through its fundamental matrix.

    Parameters
    ----------
    P : array_like or sympy.Matrix, shape (S, S)
        Row-stochastic transition matrix with at least one absorbing state, from
        every state of which an absorbing state can be reached. A sympy matrix of
        exact numbers is analysed exactly and returns sympy matrices.

    Returns
    -------
    AbsorptionResult
        ``transient`` and ``absorbing`` indices, the fundamental matrix ``N``, the
        absorption probabilities ``B`` and the expected absorption times ``t``.

    Raises
    ------
    ValueError
        If P is not square, has negative or non-finite entries, rows that do not
        sum to one, no absorbing state, or states that never reach an absorbing one.
    """
    exact = _is_sympy_matrix(P)
    if exact:
        import sympy

        if not all(entry.is_number for entry in P):
            raise TypeError("P: a sympy matrix must contain numbers only (no free symbols)")
        S = P.shape[0]
        if P.shape != (S, S):
            raise ValueError(f"P must be a square matrix, got shape {P.shape}")
        if S > MAX_EXACT_STATES:
            raise ValueError(f"P: an exact (sympy) analysis is limited to {MAX_EXACT_STATES} states (the exact "
                             f"inverse of {S} would take minutes); pass a float matrix, e.g. numpy.array(P, float)")
        if any(entry.is_negative for entry in P):
            raise ValueError("P must have non-negative entries")
        bad = [i for i in range(S) if sympy.simplify(sum(P.row(i)) - 1) != 0]
        if bad:
            raise ValueError(f"P must be row-stochastic: rows {bad} do not sum to 1")
        diagonal_one = np.array([sympy.simplify(P[i, i] - 1) == 0 for i in range(S)])
        adjacency = np.array([[P[i, j] != 0 for j in range(S)] for i in range(S)])
    else:
        P = as_float_array(P, "P", "a square numeric matrix")
        if P.ndim != 2 or P.shape[0] != P.shape[1]:
            raise ValueError(f"P must be a square matrix, got shape {P.shape}")
        if not np.all(np.isfinite(P)):
            raise ValueError("P must contain only finite entries (no NaN or inf)")
        if np.any(P < 0):
            raise ValueError(f"P must have non-negative entries; smallest is {P.min():g}")
        S = P.shape[0]
        check_memory(4 * 8.0 * S**2, "P", "the fundamental matrix and its solve")
        row_error = np.abs(P.sum(axis=1) - 1)
        if np.any(row_error > PROBABILITY_ATOL):
            bad = np.flatnonzero(row_error > PROBABILITY_ATOL)
            raise ValueError(f"P must be row-stochastic: rows {bad.tolist()[:10]} do not sum to 1")
        diagonal_one = np.abs(np.diag(P) - 1) <= PROBABILITY_ATOL
        adjacency = P > 0

    absorbing = np.flatnonzero(diagonal_one)
    transient = np.flatnonzero(~diagonal_one)
    if absorbing.size == 0:
        raise ValueError("P has no absorbing state (no i with P[i, i] == 1)")
    trapped = np.flatnonzero(~_reaches_absorbing(adjacency, absorbing))
    if trapped.size:
        raise ValueError(
            f"P: states {trapped.tolist()[:10]} can never reach an absorbing state, "
            "so the chain is not absorbing"
        )

    if exact:
        T, A = [int(i) for i in transient], [int(i) for i in absorbing]
        Q = P.extract(T, T)
        R = P.extract(T, A)
        N = (sympy.eye(len(T)) - Q).inv()
        return AbsorptionResult(transient=transient, absorbing=absorbing, B=N * R, t=N * sympy.ones(len(T), 1),
                                _inverse=lambda: N)

    if transient.size == 0:  # every state absorbing: nothing to solve
        return AbsorptionResult(transient=transient, absorbing=absorbing, B=np.zeros((0, absorbing.size)),
                                t=np.zeros(0), _inverse=lambda: np.zeros((0, 0)))
    import scipy.linalg  # imported here: most users of this module never solve a linear system

    # I - Q, built in place and factorised once: B and t solve (I - Q) [B, t] = [R, 1]; N, when
    # asked for, solves (I - Q) N = I with the same factors.
    contiguous = transient[-1] - transient[0] + 1 == transient.size
    block = np.s_[transient[0] : transient[-1] + 1] if contiguous else transient
    I_minus_Q = -(P[block, block] if contiguous else P[np.ix_(transient, transient)])
    I_minus_Q[np.diag_indices(transient.size)] += 1.0
    right = np.empty((transient.size, absorbing.size + 1))
    right[:, :-1] = P[np.ix_(transient, absorbing)]
    right[:, -1] = 1.0
    factors = scipy.linalg.lu_factor(I_minus_Q, overwrite_a=True, check_finite=False)
    solution = scipy.linalg.lu_solve(factors, right, overwrite_b=True, check_finite=False)
    return AbsorptionResult(
        transient=transient, absorbing=absorbing, B=solution[:, :-1], t=solution[:, -1],
        _inverse=lambda: scipy.linalg.lu_solve(factors, np.eye(transient.size), check_finite=False),
    )
