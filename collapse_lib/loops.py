"""The self-consuming loop, for any model family, under every data scheme the literature compares.

A **model family** is a small fit/sample interface (:class:`ModelFamily`): how to summarise a
block of data by additive sufficient statistics, how to fit parameters from them, and how to
sample from fitted parameters. When the family also knows the exact law of the statistics of
``n`` samples (``sample_stats``), the driver draws those directly and never materialises the
samples: the exact fast path, used automatically.

The data schemes (what each generation trains on) are the values of
:mod:`collapse_lib.schemes`: ``Replace()``, ``KeepReal(fraction)``, ``Augment()``,
``Fresh(real_size, sampler)``, ``Accumulate()``, ``AccumulateSubsample(budget)``, or their
shorthand strings. In every scheme the newest model contributes ``synthetic_size`` samples per
generation; for keep-real, ``synthetic_size`` is the whole training size.

Chapter: ``book/04_breaking_the_loop.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .gaussian import _bartlett_factor, _psd_sqrt
from .schemes import (
    SCHEMES,
    Accumulate,
    AccumulateSubsample,
    Augment,
    Fresh,
    KeepReal,
    Replace,
    Scheme,
    as_scheme,
)
from .validation import (
    MAX_GENERATIONS,
    RNGLike,
    as_float_array,
    as_generator,
    check_bool,
    check_int,
    check_memory,
    check_real,
)

__all__ = [
    "SCHEMES",
    "ModelFamily",
    "LoopResult",
    "run_loop",
    "gaussian_family",
    "categorical_family",
    "linear_regression_family",
]

Stats = tuple  # additive sufficient statistics: a tuple of arrays with a leading replicate axis
Params = tuple  # fitted parameters: a tuple of arrays with a leading replicate axis


@dataclass(frozen=True)
class ModelFamily:
    """A model family as the loop sees it. All arrays have a leading replicate axis R.

    The fields are:

    - ``name``: for messages and plots.
    - ``stats(data) -> Stats``: additive sufficient statistics of a data block of shape (R, n, ...).
    - ``fit(stats) -> Params``: the fitted parameters.
    - ``sample(params, n, rng) -> data``: n samples per replicate, shape (R, n, ...).
    - ``sample_stats(params, n, rng) -> Stats`` (optional): the statistics of n samples drawn from
      their exact law, without drawing the samples. Enables the fast path.
    - ``min_size``: the smallest training set the family can be fitted on.
    - ``data_ndim``: dimensions of one replicate's data block, including the sample axis: 1 for
      labels of shape (n,), 2 for vectors of shape (n, d).
    """

    name: str
    stats: Callable
    fit: Callable
    sample: Callable
    sample_stats: Callable | None = None
    min_size: int = 1
    data_ndim: int = 2


@dataclass(frozen=True)
class LoopResult:
    """Fitted parameters of every generation, and the size of each training set."""

    params: Params
    """Tuple of arrays, each of shape (replicates, generations + 1, ...)."""
    train_sizes: np.ndarray
    """Number of training points of each generation, shape (generations + 1,)."""
    scheme: Scheme


def _add(a: Stats, b: Stats) -> Stats:
    return tuple(x + y for x, y in zip(a, b))


def _block_stats(family: ModelFamily, params: Params, n: int, rng, exact: bool) -> Stats:
    if exact and family.sample_stats is not None:
        return family.sample_stats(params, n, rng)
    return family.stats(family.sample(params, n, rng))


def _subset(rng, data: np.ndarray, n: int) -> np.ndarray:
    """n points drawn without replacement from each replicate's data (R, N, ...)."""
    R, N = data.shape[:2]
    if n == N:
        return data  # every point: callers only sum statistics over the points, so order is irrelevant
    if N <= max(8 * n, 2000):
        # Small source: the n smallest of N uniform keys, vectorized over replicates.
        keys = rng.random((R, N))
        index = np.argpartition(keys, n - 1, axis=1)[:, :n] if n < N else np.argsort(keys, axis=1)
    else:
        # Large pool: Generator.choice without replacement costs O(n) per replicate, not O(N).
        index = np.stack([rng.choice(N, size=n, replace=False) for _ in range(R)])
    return np.take_along_axis(data, index.reshape(index.shape + (1,) * (data.ndim - 2)), axis=1)


def run_loop(
    family: ModelFamily,
    real_data,
    *,
    scheme: Scheme | str,
    generations: int,
    synthetic_size: int,
    replicates: int = 1,
    exact: bool = True,
    rng: RNGLike = None,
) -> LoopResult:
    """Run the self-consuming loop for ``generations`` refits under one data scheme.

    Parameters
    ----------
    family : ModelFamily
        The model family (:func:`gaussian_family`, :func:`categorical_family`,
        :func:`linear_regression_family`, or your own).
    real_data : array_like, shape (N, ...) or (replicates, N, ...)
        The original data: one data set shared by all replicates (``family.data_ndim``
        dimensions), or one per replicate (one more leading axis).
    scheme : Scheme or str
        A value of :mod:`collapse_lib.schemes`, or its shorthand string (default parameters).
    generations : int
        Number of refits after generation 0 (>= 0).
    synthetic_size : int
        Synthetic samples drawn from the newest model each generation (>= 1); for
        keep-real, the total training size.
    replicates : int, default 1
        Independent loops, vectorized.
    exact : bool, default True
        Use the family's exact law of the sufficient statistics when it has one. Set False to
        draw every sample (slower; same distribution).
    rng : numpy.random.Generator, int or None
        Random generator or seed.

    Returns
    -------
    LoopResult
        Fitted parameters of generations 0..generations and the training-set sizes.
    """
    if not isinstance(family, ModelFamily):
        raise TypeError(f"family must be a ModelFamily, got {type(family).__name__}")
    scheme = as_scheme(scheme)
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_GENERATIONS)
    synthetic_size = check_int(synthetic_size, "synthetic_size", minimum=1)
    R = check_int(replicates, "replicates", minimum=1)
    exact = check_bool(exact, "exact")
    rng = as_generator(rng)
    real = as_float_array(real_data, "real_data", "a numeric array")
    if real.ndim not in (family.data_ndim, family.data_ndim + 1) or (real.ndim > family.data_ndim and real.shape[0] != R):
        raise ValueError(
            f"real_data for the {family.name} family must have shape {('N', 'd', 'p+1')[: family.data_ndim]}"
            f" (shared) or ({R}, ...) per replicate, got {real.shape}"
        )
    if not np.all(np.isfinite(real)):
        raise ValueError("real_data must be finite (no NaN or inf)")
    if real.ndim == family.data_ndim:
        check_memory(8.0 * R * real.size, "replicates", "a copy of real_data per replicate")
        real = np.broadcast_to(real, (R,) + real.shape)
    if real.shape[1] == 0:
        raise ValueError("real_data must contain at least one data point")
    N = real.shape[1]
    if N < family.min_size:
        raise ValueError(f"real_data has {N} points; the {family.name} family needs at least {family.min_size}")

    point = 8.0 * R * int(np.prod(real.shape[2:]))  # bytes of one data point in every replicate
    check_memory(3 * point * synthetic_size, "synthetic_size and replicates", "one generation's synthetic data")
    if isinstance(scheme, Fresh):
        check_memory(3 * point * scheme.real_size, "Fresh.real_size and replicates", "one generation's new real data")
    if isinstance(scheme, AccumulateSubsample):
        check_memory(point * (N + generations * synthetic_size), "generations and synthetic_size",
                     "the pool of every generation's data (accumulate-subsample)")

    n_real_kept = 0
    if isinstance(scheme, KeepReal):
        n_real_kept = int(round(scheme.fraction * synthetic_size))
        if n_real_kept > N:
            raise ValueError(f"KeepReal.fraction * synthetic_size = {n_real_kept} exceeds the {N} real data points")
    budget = N
    if isinstance(scheme, AccumulateSubsample) and scheme.budget is not None:
        budget = scheme.budget
        if budget < family.min_size:
            raise ValueError(f"AccumulateSubsample.budget must be >= {family.min_size} for the {family.name} family")

    real_stats = family.stats(real)
    params = family.fit(real_stats)
    check_memory(8.0 * (generations + 1) * sum(np.size(p) for p in params), "generations and replicates",
                 "the fitted parameters of every generation")
    history = [params]
    sizes = [N]
    pool_stats = real_stats  # accumulate
    if isinstance(scheme, AccumulateSubsample):  # preallocated, so the pool is never copied as it grows
        pool = np.empty((R, N + generations * synthetic_size) + real.shape[2:])
        pool[:, :N] = real
        filled = N
    for _ in range(generations):
        match scheme:
            case Replace():
                size = synthetic_size
                stats = _block_stats(family, params, size, rng, exact)
            case KeepReal():
                size = synthetic_size
                stats = _block_stats(family, params, size - n_real_kept, rng, exact) if size > n_real_kept else None
                if n_real_kept:
                    kept = family.stats(_subset(rng, real, n_real_kept))
                    stats = kept if stats is None else _add(stats, kept)
            case Augment():
                size = N + synthetic_size
                stats = _add(real_stats, _block_stats(family, params, synthetic_size, rng, exact))
            case Fresh():
                size = scheme.real_size + synthetic_size
                new_real = np.asarray(scheme.sampler(scheme.real_size, rng), dtype=float)
                if new_real.shape[:2] != (R, scheme.real_size):
                    raise ValueError(
                        f"Fresh.sampler must return shape ({R}, {scheme.real_size}, ...), got {new_real.shape}"
                    )
                stats = _add(family.stats(new_real), _block_stats(family, params, synthetic_size, rng, exact))
            case Accumulate():
                size = sizes[-1] + synthetic_size
                pool_stats = _add(pool_stats, _block_stats(family, params, synthetic_size, rng, exact))
                stats = pool_stats
            case AccumulateSubsample():  # needs the points themselves
                pool[:, filled : filled + synthetic_size] = family.sample(params, synthetic_size, rng)
                filled += synthetic_size
                size = budget
                stats = family.stats(_subset(rng, pool[:, :filled], min(budget, filled)))
        if size < family.min_size:
            raise ValueError(f"a training set of {size} points is too small for the {family.name} family")
        params = family.fit(stats)
        history.append(params)
        sizes.append(size)
    stacked = tuple(np.stack([p[i] for p in history], axis=1) for i in range(len(history[0])))
    return LoopResult(params=stacked, train_sizes=np.array(sizes), scheme=scheme)


# --------------------------------------------------------------------------- families
def gaussian_family(sampling_bias: float = 1.0) -> ModelFamily:
    """Gaussians in d dimensions fitted by the sample mean and unbiased covariance.

    Data blocks have shape (R, n, d). Parameters are ``(mean (R, d), cov (R, d, d))``. Samples
    are drawn from N(mean, sampling_bias * cov). Exact path: the block mean is normal and the
    block scatter matrix Wishart, as in :func:`collapse_lib.gaussian.simulate`.
    """
    bias = check_real(sampling_bias, "sampling_bias", low=0, high=1, low_open=True)

    def stats(data):
        # Batched matrix products (BLAS) rather than einsum or a sum over the middle axis.
        n = np.full(data.shape[0], float(data.shape[1]))
        return n, np.ones(data.shape[1]) @ data, np.swapaxes(data, 1, 2) @ data

    def fit(stats_):
        n, s1, s2 = stats_
        mean = s1 / n[:, None]
        cov = (s2 - n[:, None, None] * np.einsum("ri,rj->rij", mean, mean)) / (n[:, None, None] - 1)
        return mean, (cov + np.swapaxes(cov, -1, -2)) / 2

    def sample(params, n, rng):
        mean, cov = params
        root = _psd_sqrt(bias * cov)
        return mean[:, None, :] + rng.standard_normal((mean.shape[0], n, mean.shape[1])) @ np.swapaxes(root, 1, 2)

    def sample_stats(params, n, rng):
        mean, cov = params
        R, d = mean.shape
        root = _psd_sqrt(bias * cov)
        block_mean = mean + np.einsum("rij,rj->ri", root, rng.standard_normal((R, d))) / np.sqrt(n)
        if n > 1:
            factor = root @ _bartlett_factor(rng, R, d, n - 1)
            scatter = factor @ np.swapaxes(factor, -1, -2)
        else:
            scatter = np.zeros((R, d, d))
        return np.full(R, float(n)), n * block_mean, scatter + n * np.einsum("ri,rj->rij", block_mean, block_mean)

    return ModelFamily("gaussian", stats, fit, sample, sample_stats, min_size=2, data_ndim=2)


def categorical_family(K: int) -> ModelFamily:
    """Categorical distributions over K categories fitted by frequencies.

    Data blocks are category indices of shape (R, n). Parameters are ``(p (R, K),)``. Exact path:
    the counts of n samples are multinomial.
    """
    K = check_int(K, "K", minimum=1)
    check_memory(8.0 * K, "K", "one probability vector")

    def stats(data):
        if np.any((data < 0) | (data >= K) | (data != np.round(data))):
            raise ValueError(f"categorical data must be category indices 0..{K - 1}")
        R = data.shape[0]
        flat = (np.asarray(data, dtype=np.int64) + K * np.arange(R)[:, None]).ravel()
        return (np.bincount(flat, minlength=R * K).reshape(R, K).astype(float),)

    def fit(stats_):
        (counts,) = stats_
        return (counts / counts.sum(axis=1, keepdims=True),)

    def sample_stats(params, n, rng):
        (p,) = params
        return (rng.multinomial(n, p).astype(float),)

    def sample(params, n, rng):
        (p,) = params
        R = p.shape[0]
        cdf = np.cumsum(p, axis=1)
        cdf[:, -1] = 1.0  # guard against rounding
        u = rng.random((R, n))
        # Inverse-CDF sampling for every replicate in one search: shifting row r by r keeps the
        # rows' CDFs apart (each lies in [r, r + 1]), so no R x n x K comparison array is needed.
        shift = np.arange(R)[:, None]
        index = np.searchsorted((cdf + shift).ravel(), (u + shift).ravel(), side="right").reshape(R, n)
        return (index - K * shift).astype(float)

    return ModelFamily("categorical", stats, fit, sample, sample_stats, min_size=1, data_ndim=1)


def linear_regression_family(design, noise_sd: float) -> ModelFamily:
    """Linear regression on a fixed design X, refitted by least squares to labels the previous fit produced.

    A data block is an (R, n, p + 1) array of rows ``[x, y]``. Sampling n points relabels the design:
    when n equals the number of design rows, every row once (the fixed-design setting of
    Gerstgrasser et al., 2024); otherwise n rows drawn with replacement. Labels are
    ``x . w + noise_sd * z``. Parameters are ``(w (R, p),)``. Exact path for full relabelings:
    ``X^T y = X^T X w + X^T noise`` with ``X^T noise ~ N(0, noise_sd^2 X^T X)``.
    """
    X = as_float_array(design, "design", "an (N, p) numeric matrix")
    if X.ndim != 2 or X.shape[0] <= X.shape[1]:
        raise ValueError(f"design must be an (N, p) matrix with N > p, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("design must be finite (no NaN or inf)")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("design must have full column rank p (least squares needs linearly independent columns)")
    noise_sd = check_real(noise_sd, "noise_sd", low=0)
    N, p = X.shape
    gram = X.T @ X
    gram_root = np.linalg.cholesky(gram)

    def stats(data):
        x, y = data[..., :p], data[..., p]
        return np.swapaxes(x, 1, 2) @ x, (np.swapaxes(x, 1, 2) @ y[..., None])[..., 0]

    def fit(stats_):
        xtx, xty = stats_
        return (np.linalg.solve(xtx, xty[..., None])[..., 0],)

    def sample(params, n, rng):
        (w,) = params
        R = w.shape[0]
        rows = np.broadcast_to(X, (R, N, p)) if n == N else X[rng.integers(0, N, size=(R, n))]
        y = (rows @ w[..., None])[..., 0] + noise_sd * rng.standard_normal((R, n))
        return np.concatenate([rows, y[..., None]], axis=-1)

    def sample_stats(params, n, rng):
        (w,) = params
        if n != N:
            return stats(sample(params, n, rng))
        R = w.shape[0]
        xty = w @ gram + noise_sd * rng.standard_normal((R, p)) @ gram_root.T
        return np.broadcast_to(gram, (R, p, p)).copy(), xty

    return ModelFamily("linear regression", stats, fit, sample, sample_stats, min_size=p + 1, data_ndim=2)
