"""Gaussians refitted to their own samples, and the Wasserstein-2 distance between Gaussians.

Generation t draws M samples from N(mean_t, sampling_bias * cov_t) and fits generation
t+1 with the unbiased estimators: the sample mean and the sample covariance with divisor
M - 1. M may also change from generation to generation (a growing sample). Two simulators give the same process in distribution:

- ``method="samples"`` draws the M samples and computes the estimators;
- ``method="exact"`` draws the estimators directly from their exact laws: the sample mean is
  normal, N(mean_t, sampling_bias * cov_t / M), and independently (M - 1) times the sample
  covariance is Wishart with M - 1 degrees of freedom and scale sampling_bias * cov_t (drawn by
  the Bartlett decomposition, vectorized over replicates). Its cost does not grow with M.

Chapter: ``book/03_gaussian_collapse.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .validation import (
    MAX_COUNT,
    MAX_GENERATIONS,
    RNGLike,
    as_float_array,
    as_generator,
    check_choice,
    check_count_array,
    check_int,
    check_memory,
    check_real,
)

__all__ = ["simulate", "GaussianChain", "wasserstein2", "psd_sqrt", "bartlett_factor"]

_SYMMETRY_RTOL = 1e-8


@dataclass(frozen=True)
class GaussianChain:
    """Fitted parameters of every generation (see :func:`simulate`)."""

    means: np.ndarray
    """Means, shape (replicates, generations + 1, d)."""
    covs: np.ndarray
    """Covariances, shape (replicates, generations + 1, d, d)."""

    @property
    def variances(self) -> np.ndarray:
        """For 1-D chains, the variances, shape (replicates, generations + 1)."""
        if self.covs.shape[-1] != 1:
            raise ValueError(f"variances is for 1-D chains; this chain has d = {self.covs.shape[-1]}")
        return self.covs[..., 0, 0]


def _check_gaussian(mean, cov) -> tuple[np.ndarray, np.ndarray]:
    """Validate a mean and covariance; scalars mean 1-D. Return arrays of shape (d,) and (d, d)."""
    mean = np.atleast_1d(as_float_array(mean, "mean"))
    cov = as_float_array(cov, "cov")
    if cov.ndim == 0:
        cov = cov.reshape(1, 1)
    if mean.ndim != 1:
        raise ValueError(f"mean must be a scalar or a vector of shape (d,), got shape {mean.shape}")
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"cov must be a scalar variance or a square (d, d) matrix, got shape {cov.shape}")
    if cov.shape[0] != mean.size:
        raise ValueError(f"mean has dimension {mean.size} but cov is {cov.shape[0]} x {cov.shape[1]}")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
        raise ValueError("mean and cov must be finite (no NaN or inf)")
    if not np.allclose(cov, cov.T, rtol=_SYMMETRY_RTOL, atol=0):
        raise ValueError("cov must be symmetric")
    if np.linalg.eigvalsh(cov).min() <= 0:
        raise ValueError("cov must be positive definite (a variance must be > 0)")
    return mean, cov


def psd_sqrt(matrices: np.ndarray) -> np.ndarray:
    """Symmetric square root of symmetric positive semi-definite matrices (batched over leading axes).

    Uses the eigendecomposition, with eigenvalues that rounding made slightly negative set to zero,
    so it also works for the (nearly) singular covariances that collapse produces.

    Raises ``ValueError`` for matrices that are not square, not finite, not symmetric or have
    an eigenvalue below zero by more than rounding.
    """
    matrices = as_float_array(matrices, "matrices", "an array of square matrices")
    _check_covariances(matrices, "matrices")
    return _psd_sqrt(matrices)


def _psd_sqrt(matrices: np.ndarray) -> np.ndarray:
    """:func:`psd_sqrt` without checking its argument, for the simulators' inner loops."""
    values, vectors = np.linalg.eigh(matrices)
    roots = np.sqrt(np.clip(values, 0.0, None))
    return (vectors * roots[..., None, :]) @ np.swapaxes(vectors, -1, -2)


def bartlett_factor(R: int, d: int, k: int, *, rng: RNGLike = None) -> np.ndarray:
    """Lower-triangular A with A A^T ~ Wishart(k, I) (Bartlett decomposition), for R replicates at once.

    The diagonal holds square roots of independent chi-square variables with k, k-1, ..., k-d+1
    degrees of freedom and the strict lower triangle independent standard normals.

    Parameters
    ----------
    R : int
        Replicates (>= 1).
    d : int
        Dimension (>= 1).
    k : int
        Degrees of freedom (>= d).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray, shape (R, d, d)
    """
    R = check_int(R, "R", minimum=1)
    d = check_int(d, "d", minimum=1)
    check_memory(8.0 * R * d * d, "R and d", "the factors")
    k = check_int(k, "k", minimum=d, maximum=MAX_COUNT)
    return _bartlett_factor(as_generator(rng), R, d, k)


def _bartlett_factor(rng: np.random.Generator, R: int, d: int, k: int) -> np.ndarray:
    """:func:`bartlett_factor` without checking its arguments, for the simulators' inner loops."""
    A = np.zeros((R, d, d))
    rows, cols = np.tril_indices(d, -1)
    A[:, rows, cols] = rng.standard_normal((R, rows.size))
    A[:, np.arange(d), np.arange(d)] = np.sqrt(rng.chisquare(k - np.arange(d), size=(R, d)))
    return A


def _check_sample_sizes(M, generations: int, d: int) -> np.ndarray:
    """``M`` as an int array with one sample size per refit (length ``generations``)."""
    minimum = max(2, d + 1)
    if isinstance(M, np.ndarray) and M.ndim == 0:
        M = M.item()
    if isinstance(M, (list, tuple, np.ndarray)):
        sizes = check_count_array(M, "M", minimum=2)
        if sizes.ndim != 1 or sizes.size != generations:
            raise ValueError(
                f"M must be one integer or a sequence of one sample size per generation "
                f"(length generations = {generations}), got shape {sizes.shape}"
            )
        sizes = sizes.astype(np.int64)
    else:
        sizes = np.full(generations, check_int(M, "M", minimum=2, maximum=MAX_COUNT), dtype=np.int64)
    if sizes.size and sizes.min() < minimum:
        raise ValueError(
            f"M must be at least d + 1 = {d + 1} so that the sample covariance is non-singular, "
            f"got {sizes.min():,}"
        )
    return sizes


def _simulate_exact(rng, mean, cov, M, generations, R, bias, means, covs):
    """Fill ``means`` and ``covs`` (generation-major) from the exact laws of the fitted parameters.

    The covariance is carried as a lower-triangular factor F with F F^T = Sigma_t. Since for any
    such F, F W F^T ~ Wishart(k, Sigma_t) when W ~ Wishart(k, I), one generation is
    mean_{t+1} = mean_t + sqrt(bias / M) F z and F_{t+1} = sqrt(bias / k) F A, with z standard
    normal and A a Bartlett factor. No matrix square root is needed, and the factor keeps the
    small eigenvalues of a collapsing covariance more accurately than the matrix itself would.
    """
    d = mean.size
    if d == 1:  # scalars: the same draws in the same order as the matrix path, without 1 x 1 matrices
        sd = np.full(R, np.sqrt(cov[0, 0]))
        for t in range(generations):
            M_t = int(M[t])
            k = M_t - 1
            means[t + 1, :, 0] = means[t, :, 0] + np.sqrt(bias / M_t) * sd * rng.standard_normal(R)
            sd = np.sqrt(bias / k) * sd * np.sqrt(rng.chisquare(k, size=R))
            covs[t + 1, :, 0, 0] = sd * sd
        return
    factor = np.broadcast_to(np.linalg.cholesky(cov), (R, d, d)).copy()
    for t in range(generations):
        M_t = int(M[t])
        k = M_t - 1
        step = (factor @ rng.standard_normal((R, d, 1)))[..., 0]
        means[t + 1] = means[t] + np.sqrt(bias / M_t) * step
        factor = np.sqrt(bias / k) * (factor @ _bartlett_factor(rng, R, d, k))
        covs[t + 1] = factor @ np.swapaxes(factor, -1, -2)


def _simulate_samples(rng, mean, cov, M, generations, R, bias, means, covs):
    """Fill ``means`` and ``covs`` by drawing M samples per replicate and generation and fitting them.

    The samples of generation t are x_m = mean_t + S z_m, with S = (bias Sigma_t)^{1/2} the
    symmetric square root and z_m standard normal, so their sample mean and covariance are affine
    images of those of the z_m: mean_{t+1} = mean_t + S zbar and Sigma_{t+1} = S C_z S, where C_z
    is the sample covariance of the z_m. Computing the estimators from the standard normal draws
    (one pass for the mean, one batched matrix product for C_z) gives the same numbers as fitting
    the samples themselves, up to rounding, without writing the samples out: about the cost of
    drawing them.
    """
    d = mean.size
    if d == 1:  # scalars, without 1 x 1 matrices
        sd = np.full(R, np.sqrt(bias * cov[0, 0]))  # the sampling standard deviation
        for t in range(generations):
            M_t = int(M[t])
            z = rng.standard_normal((R, M_t))
            z_mean = z.mean(axis=1)
            z -= z_mean[:, None]
            z_var = np.einsum("rm,rm->r", z, z) / (M_t - 1)  # row-wise dot products, no temporary
            means[t + 1, :, 0] = means[t, :, 0] + sd * z_mean
            covs[t + 1, :, 0, 0] = sd * sd * z_var
            sd = np.sqrt(bias * covs[t + 1, :, 0, 0])
        return
    # Batched matrix products throughout: numpy runs them with BLAS, while einsum and a reduction
    # over the middle axis (z.mean(axis=1)) run its own slower loops.
    for t in range(generations):
        M_t = int(M[t])
        root = _psd_sqrt(bias * covs[t])
        z = rng.standard_normal((R, M_t, d))
        z_mean = np.ones(M_t) @ z / M_t
        z -= z_mean[:, None, :]
        z_cov = (np.swapaxes(z, 1, 2) @ z) / (M_t - 1)
        means[t + 1] = means[t] + (root @ z_mean[:, :, None])[..., 0]
        covs[t + 1] = root @ z_cov @ root


_METHODS = {"exact": _simulate_exact, "samples": _simulate_samples}


def simulate(
    mean,
    cov,
    M: int | Sequence[int],
    generations: int,
    *,
    replicates: int = 1,
    sampling_bias: float = 1.0,
    method: str = "exact",
    rng: RNGLike = None,
) -> GaussianChain:
    """Refit a Gaussian to M of its own samples, generation after generation.

    Generation t draws M samples from N(mean_t, sampling_bias * cov_t); generation t+1 is
    fitted with the sample mean and the unbiased sample covariance (divisor M - 1).

    Parameters
    ----------
    mean : float or array_like, shape (d,)
        Mean of generation 0. A scalar means one dimension.
    cov : float or array_like, shape (d, d)
        Covariance of generation 0 (a variance in 1-D): symmetric positive definite.
    M : int or sequence of int
        Samples per generation; at least d + 1, so that the sample covariance is
        non-singular (at least 2 in 1-D). A sequence of ``generations`` sizes lets the sample
        grow (or shrink): generation t + 1 is fitted to ``M[t]`` samples of generation t.
    generations : int
        Number of refits (>= 0).
    replicates : int, default 1
        Independent chains, simulated together (vectorized).
    sampling_bias : float, default 1.0
        lambda in (0, 1]: samples are drawn with the covariance shrunk by this factor, as
        when a model is sampled at low temperature. 1 means unbiased sampling.
    method : {"exact", "samples"}, default "exact"
        Draw the fitted parameters from their exact laws, or draw the samples themselves.
        Both give the same distribution; "exact" costs O(d^3) per replicate and generation,
        "samples" O(M d^2). After many generations a covariance's eigenvalues can spread over
        more than 1/machine-epsilon (about 1e16); its smallest eigenvalues are then rounding noise.
    rng : numpy.random.Generator, int or None
        Random generator or seed.

    Returns
    -------
    GaussianChain
        ``means`` of shape (replicates, generations + 1, d) and ``covs`` of shape
        (replicates, generations + 1, d, d); generation 0 holds ``mean`` and ``cov``.

    Examples
    --------
    >>> chain = simulate(0.0, 1.0, M=100, generations=10, replicates=5, rng=0)
    >>> chain.means.shape, chain.covs.shape
    ((5, 11, 1), (5, 11, 1, 1))

    A sample that doubles every generation:

    >>> grown = simulate(0.0, 1.0, M=[10, 20, 40], generations=3, rng=0)
    >>> grown.variances.shape
    (1, 4)
    """
    mean, cov = _check_gaussian(mean, cov)
    d = mean.size
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_GENERATIONS)
    M = _check_sample_sizes(M, generations, d)
    R = check_int(replicates, "replicates", minimum=1)
    sampling_bias = check_real(sampling_bias, "sampling_bias", low=0, high=1, low_open=True)
    method = check_choice(method, "method", sorted(_METHODS))
    check_memory(8.0 * (generations + 1) * R * (d + d * d), "generations and replicates", "the fitted parameters")
    if method == "samples":
        check_memory(3 * 8.0 * R * float(M.max(initial=0)) * d, "M and replicates", "one generation's samples (method='samples')")
    rng = as_generator(rng)

    # Generation-major storage so that each generation's write is contiguous.
    means = np.empty((generations + 1, R, d))
    covs = np.empty((generations + 1, R, d, d))
    means[0], covs[0] = mean, cov
    _METHODS[method](rng, mean, cov, M, generations, R, sampling_bias, means, covs)
    return GaussianChain(means=np.moveaxis(means, 0, 1), covs=np.moveaxis(covs, 0, 1))


def _check_covariances(cov: np.ndarray, name: str) -> None:
    """Refuse arrays that are not finite, square, symmetric positive semi-definite matrices (up to rounding)."""
    if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2] or cov.shape[-1] == 0:
        raise ValueError(f"{name} must have shape (..., d, d), got {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if cov.shape[-1] == 1:
        if (cov < 0).any():
            raise ValueError(f"{name} must be a variance >= 0 (positive semi-definite), got {cov.min():g}")
        return
    scale = np.abs(cov).max(axis=(-2, -1), keepdims=True)
    if (np.abs(cov - np.swapaxes(cov, -1, -2)) > 1e-10 * np.maximum(scale, 1e-300)).any():
        raise ValueError(f"{name} must be symmetric")
    eigenvalues = np.linalg.eigvalsh(cov)
    if (eigenvalues < -1e-10 * np.maximum(scale[..., 0], 1e-300)).any():
        raise ValueError(f"{name} must be positive semi-definite; an eigenvalue is {eigenvalues.min():g}")


def wasserstein2(mean1, cov1, mean2, cov2) -> np.ndarray | float:
    """Wasserstein-2 distance (not squared) between Gaussians, broadcasting over leading axes.

    ``W2^2 = |mean1 - mean2|^2 + tr(cov1 + cov2 - 2 (cov2^{1/2} cov1 cov2^{1/2})^{1/2})``; the
    trace term is the squared Bures distance between the covariances. In 1-D it reduces to
    ``(mean1 - mean2)^2 + (sd1 - sd2)^2``.

    Parameters
    ----------
    mean1, mean2 : float or array_like, shape (..., d)
        Means; scalars mean 1-D.
    cov1, cov2 : float or array_like, shape (..., d, d)
        Covariances (positive semi-definite); scalars are variances.

    Returns
    -------
    float or numpy.ndarray
        The distance, with the broadcast leading shape (a float for single Gaussians).
    """
    mean1, cov1, mean2, cov2 = (as_float_array(value, name) for name, value in
                                (("mean1", mean1), ("cov1", cov1), ("mean2", mean2), ("cov2", cov2)))
    if cov1.ndim == 0 and cov2.ndim == 0:  # two 1-D Gaussians given by scalars
        mean1, mean2 = mean1[..., None], mean2[..., None]
    if cov1.ndim == 0:
        cov1 = cov1.reshape(1, 1)
    if cov2.ndim == 0:
        cov2 = cov2.reshape(1, 1)
    if mean1.ndim == 0:
        mean1 = mean1[None]
    if mean2.ndim == 0:
        mean2 = mean2[None]
    for name, cov in (("cov1", cov1), ("cov2", cov2)):
        _check_covariances(cov, name)  # a variance (scalar) was made a 1 x 1 matrix above
    d = cov1.shape[-1]
    if cov2.shape[-1] != d:
        raise ValueError(f"cov1 and cov2 must have the same dimension d, got {cov1.shape} and {cov2.shape}")
    for name, array in (("mean1", mean1), ("mean2", mean2)):
        if array.shape[-1] != d:
            raise ValueError(f"{name} must have last dimension {d} to match the covariances, got {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
    root2 = _psd_sqrt(cov2)
    cross = np.linalg.eigvalsh(root2 @ cov1 @ root2)
    bures2 = np.trace(cov1, axis1=-2, axis2=-1) + np.trace(cov2, axis1=-2, axis2=-1) - 2 * np.sqrt(
        np.clip(cross, 0.0, None)
    ).sum(axis=-1)
    distance2 = np.square(mean1 - mean2).sum(axis=-1) + np.clip(bures2, 0.0, None)
    distance = np.sqrt(distance2)
    return float(distance) if distance.ndim == 0 else distance
