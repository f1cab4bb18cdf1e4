"""Models that cannot fit their data exactly, refitted to their own samples.

Three kinds of model, each a different source of error on top of the sampling noise of the
earlier chapters:

- a **Gaussian mixture fitted by EM** (scikit-learn's ``GaussianMixture``): :func:`gmm_loop`.
  EM's initialisation, stopping rule and local optima add a *functional approximation* error;
  fitting with the true component labels instead (``fit="labels"``) removes it;
- a **kernel density estimate** refitted to its own samples: :func:`kde_loop`. Each
  generation adds the kernel's variance, so the spread grows while the samples' genealogy
  coalesces onto a few ancestors;
- **image models** of scikit-learn's handwritten digits (a Gaussian mixture in a PCA space, and
  probabilistic PCA, the optimum of a linear VAE): :func:`image_loop`, with the schemes of
  :mod:`collapse_lib.schemes`.

scikit-learn fits one data set at a time, so the EM and image loops run replicate by replicate;
the kernel density loop is vectorised over replicates. Every random draw comes from the ``rng``
passed in (scikit-learn's own initialisation is seeded from it).

Chapter: ``book/06_expressivity_and_approximation.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .schemes import Accumulate, KeepReal, Replace, Scheme, as_scheme
from .validation import (
    MAX_GENERATIONS,
    RNGLike,
    as_float_array,
    as_generator,
    check_bool,
    check_choice,
    check_int,
    check_memory,
    check_probability_vector,
    check_real,
)

__all__ = [
    "sample_mixture",
    "kde_bandwidth",
    "kde_loop",
    "MixtureChain",
    "gmm_loop",
    "ImageModel",
    "pca_gmm_model",
    "ppca_model",
    "ImageLoopResult",
    "image_loop",
]

#: The bandwidth rules of ``scipy.stats.gaussian_kde`` (one dimension).
BANDWIDTH_RULES = ("silverman", "scott")

#: Most generations of a loop that fits a scikit-learn model per replicate and generation (each
#: fit takes a millisecond or more).
MAX_FIT_GENERATIONS = 10_000
#: Most EM iterations per fit, and most components or dimensions of a model (each costs memory
#: and time in every fit; the book's models use tens).
MAX_EM_ITERATIONS = 100_000
MAX_MODEL_SIZE = 10_000


def _check_sample(data, name: str, *, minimum: int) -> np.ndarray:
    """``data`` as a finite float array of shape (n,) with n >= ``minimum``."""
    data = as_float_array(data, name, "a one-dimensional array of numbers")
    if data.ndim != 1 or data.size < minimum:
        raise ValueError(f"{name} must be a one-dimensional array of at least {minimum} numbers, got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return data


# --------------------------------------------------------------------------- one-dimensional mixtures
def sample_mixture(weights, means, sds, size: int, *, rng: RNGLike = None) -> np.ndarray:
    """Draw ``size`` points from the one-dimensional mixture sum_k w_k N(means_k, sds_k^2).

    Parameters
    ----------
    weights : array_like, shape (K,)
        Component weights (a probability vector).
    means, sds : array_like, shape (K,)
        Component means and standard deviations (> 0).
    size : int
        Number of points (>= 1).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray, shape (size,)
        The points, in a random order.
    """
    weights = check_probability_vector(weights, "weights")
    means = as_float_array(means, "means")
    sds = as_float_array(sds, "sds")
    if means.shape != weights.shape or sds.shape != weights.shape:
        raise ValueError(f"weights, means and sds must have the same shape (K,), got {weights.shape}, "
                         f"{means.shape} and {sds.shape}")
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(sds)) and np.all(sds > 0)):
        raise ValueError("means must be finite and sds finite and > 0")
    size = check_int(size, "size", minimum=1)
    check_memory(3 * 8.0 * size, "size", "the points")
    rng = as_generator(rng)
    component = rng.choice(weights.size, size=size, p=weights)
    return means[component] + sds[component] * rng.standard_normal(size)


# --------------------------------------------------------------------------- kernel density estimates
def kde_bandwidth(data, rule: str = "silverman") -> float:
    """The kernel standard deviation ``scipy.stats.gaussian_kde`` uses for one-dimensional ``data``.

    The rule's factor (Silverman: (3n/4)^(-1/5); Scott: n^(-1/5)) times the sample standard
    deviation with divisor n - 1, so that the kernel variance is factor^2 times the sample variance.

    Examples
    --------
    >>> import scipy.stats
    >>> x = np.array([0.0, 1.0, 3.0, 7.0])
    >>> kde = scipy.stats.gaussian_kde(x, bw_method="silverman")
    >>> h = kde_bandwidth(x, "silverman")
    >>> bool(np.isclose(h**2, kde.covariance[0, 0]))
    True
    """
    data = _check_sample(data, "data", minimum=2)
    rule = check_choice(rule, "rule", BANDWIDTH_RULES)
    return float(_bandwidth_factor(data.size, rule) * data.std(ddof=1))


def _bandwidth_factor(n: int, rule: str) -> float:
    """scipy's factor in one dimension: Silverman (n (d + 2) / 4)^(-1/(d + 4)), Scott n^(-1/(d + 4)), d = 1."""
    return (n * 3 / 4) ** (-1 / 5) if rule == "silverman" else n ** (-1 / 5)


def kde_loop(
    data,
    generations: int,
    *,
    bandwidth: float | str = "silverman",
    replicates: int | None = None,
    return_ancestors: bool = False,
    rng: RNGLike = None,
):
    """Refit a one-dimensional Gaussian kernel density estimate to its own samples.

    Generation 0 is ``data`` (n points). Generation t + 1 draws n points from the kernel density
    estimate of generation t's points, as ``scipy.stats.gaussian_kde(...).resample`` does: a
    uniformly chosen point (its *parent*) plus a Gaussian kernel draw. With a fixed ``bandwidth``
    the kernel standard deviation is that number in every generation; with a rule it is
    recomputed from each generation's points (:func:`kde_bandwidth`).

    Parameters
    ----------
    data : array_like, shape (n,)
        Generation 0 (n >= 2, finite).
    generations : int
        Number of refits (>= 0).
    bandwidth : float or {"silverman", "scott"}, default "silverman"
        A positive kernel standard deviation h, or a rule of ``scipy.stats.gaussian_kde``.
    replicates : int, optional
        Independent chains (>= 1), vectorised. When given, the arrays returned have a leading
        replicate axis.
    return_ancestors : bool, default False
        Also return, for every point, the index of the point of generation 0 it descends from
        (following parents back): the genealogy of the samples.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray or tuple of two numpy.ndarray
        The points of every generation, shape (generations + 1, n), or (replicates, generations + 1,
        n) when ``replicates`` is given; with ``return_ancestors``, also the ancestors (int, same shape).

    Examples
    --------
    >>> points = kde_loop([0.0, 1.0, 2.0, 4.0], 3, bandwidth=0.5, rng=0)
    >>> points.shape
    (4, 4)
    """
    data = _check_sample(data, "data", minimum=2)
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_GENERATIONS)
    if isinstance(bandwidth, str):
        rule, h = check_choice(bandwidth, "bandwidth", BANDWIDTH_RULES), None
    else:
        rule, h = None, check_real(bandwidth, "bandwidth", low=0, low_open=True)
        if not np.isfinite(h):
            raise ValueError(f"bandwidth must be a finite kernel standard deviation > 0, got {h}")
    R = 1 if replicates is None else check_int(replicates, "replicates", minimum=1)
    return_ancestors = check_bool(return_ancestors, "return_ancestors")
    n = data.size
    check_memory((8.0 if not return_ancestors else 16.0) * R * (generations + 1) * n + 3 * 8.0 * R * n,
                 "replicates, generations and data", "the points of every generation")
    rng = as_generator(rng)

    points = np.empty((generations + 1, R, n))  # generation-major: each generation's write is contiguous
    points[0] = data
    ancestors = np.empty((generations + 1, R, n), dtype=np.int64) if return_ancestors else None
    if return_ancestors:
        ancestors[0] = np.arange(n)
    factor = _bandwidth_factor(n, rule) if rule else None
    for t in range(generations):
        current = points[t]
        parents = rng.integers(0, n, size=(R, n))
        kernel_sd = factor * current.std(axis=1, ddof=1) if rule else np.full(R, h)
        points[t + 1] = np.take_along_axis(current, parents, axis=1)
        points[t + 1] += kernel_sd[:, None] * rng.standard_normal((R, n))
        if return_ancestors:
            ancestors[t + 1] = np.take_along_axis(ancestors[t], parents, axis=1)
    if replicates is None:
        points = points[:, 0]
        ancestors = ancestors[:, 0] if return_ancestors else None
    else:
        points = np.moveaxis(points, 0, 1)
        ancestors = np.moveaxis(ancestors, 0, 1) if return_ancestors else None
    return (points, ancestors) if return_ancestors else points


# --------------------------------------------------------------------------- Gaussian mixtures by EM
@dataclass(frozen=True)
class MixtureChain:
    """The fitted Gaussian mixtures of every generation (see :func:`gmm_loop`).

    Components are aligned across generations (component k of generation t + 1 is the fitted
    component closest to component k of generation t), so a component's path can be followed.
    Generations after a replicate stopped (``stop_when_lost``) hold NaN.
    """

    weights: np.ndarray
    """Component weights, shape (replicates, generations + 1, K)."""
    means: np.ndarray
    """Component means, shape (replicates, generations + 1, K, d)."""
    covariances: np.ndarray
    """Component covariances, shape (replicates, generations + 1, K, d, d)."""
    counts: np.ndarray
    """The number of the M samples drawn from generation t's model that each component generated
    (the samples generation t + 1 is trained on). Shape (replicates, generations, K); -1 after a stop."""
    iterations: np.ndarray
    """EM iterations of each fit, shape (replicates, generations + 1) (0 for label fits, -1 after a stop)."""
    converged: np.ndarray
    """Whether each EM fit met its tolerance within ``max_iter`` iterations (label fits: True)."""
    lost_at: np.ndarray
    """First generation t + 1 trained on samples in which some component had none (so that
    component is lost), per replicate; -1 if no component was lost."""
    lost_component: np.ndarray
    """The component lost at ``lost_at`` (the smallest index if several), or -1."""


_FITS = ("scratch", "previous", "labels")


def _align(means: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The permutation of the new components that best matches the previous ones (sum of squared
    distances between means), found with scipy's assignment solver."""
    from scipy.optimize import linear_sum_assignment

    cost = ((previous[:, None, :] - means[None, :, :]) ** 2).sum(axis=-1)
    return linear_sum_assignment(cost)[1]


def _new_em(K, rng, max_iter, tol, reg_covar, warm_start=False):
    """A scikit-learn GaussianMixture seeded from ``rng``: k-means++ initialisation for its first
    fit; with ``warm_start`` every later fit starts from the previous solution instead."""
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_components=K, covariance_type="full", max_iter=max_iter, tol=tol, reg_covar=reg_covar,
                           init_params="k-means++", warm_start=warm_start, random_state=int(rng.integers(2**31 - 1)))


def _fit_em(model, x):
    """Fit ``model`` (a GaussianMixture) to x (M, d); return its weights, means, covariances,
    iterations and whether it converged (not converging is recorded, not warned about)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x)
    return model.weights_, model.means_, model.covariances_, int(model.n_iter_), bool(model.converged_)


def _fit_labels(x, labels, K, previous_means, previous_covariances, reg_covar):
    """Complete-data maximum likelihood: each component fitted to its own samples (no EM).

    A component with no samples keeps its previous mean and covariance (its weight is 0); a
    component with one sample gets ``reg_covar`` on its diagonal, as scikit-learn's EM would.
    """
    d = x.shape[1]
    counts = np.bincount(labels, minlength=K)
    means, covariances = previous_means.copy(), previous_covariances.copy()
    for k in np.flatnonzero(counts):
        own = x[labels == k]
        means[k] = own.mean(axis=0)
        centred = own - means[k]
        covariances[k] = centred.T @ centred / counts[k] + reg_covar * np.eye(d)
    return counts / counts.sum(), means, covariances


def _draw_from_mixture(rng, M, weights, means, covariances):
    """M points from a fitted mixture and the component of each: multinomial counts, then Gaussians."""
    K, d = means.shape
    counts = rng.multinomial(M, weights / weights.sum())
    labels = np.repeat(np.arange(K), counts)
    factors = np.linalg.cholesky(covariances)
    z = rng.standard_normal((M, d))
    x = means[labels] + np.einsum("mij,mj->mi", factors[labels], z)
    return x, labels, counts


def gmm_loop(
    data,
    n_components: int,
    generations: int,
    *,
    fit: str = "scratch",
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    replicates: int | None = None,
    stop_when_lost: bool = False,
    scheme: Scheme | str = "replace",
    rng: RNGLike = None,
) -> MixtureChain:
    """Refit a Gaussian mixture to M of its own samples, generation after generation.

    Generation 0 is fitted by EM to ``data`` (M points). Generation t + 1 draws M points from
    generation t's mixture (multinomial component counts, then Gaussian draws), makes its training
    set from them by ``scheme``, and fits a mixture of ``n_components`` to it:

    - ``fit="scratch"``: EM from scikit-learn's k-means++ initialisation, as a model trained anew;
    - ``fit="previous"``: EM started from generation t's parameters, as a model fine-tuned;
    - ``fit="labels"``: no EM: each component is fitted to the samples it generated (complete-data
      maximum likelihood), which leaves only the sampling error of the earlier chapters.

    Parameters
    ----------
    data : array_like, shape (M,) or (M, d)
        The real data (generation 0's training set); M >= 2 n_components.
    n_components : int
        Components K (>= 1).
    generations : int
        Number of refits (>= 0, at most ``MAX_FIT_GENERATIONS``).
    fit : {"scratch", "previous", "labels"}, default "scratch"
    max_iter : int, default 100
        EM iterations at most per fit (scikit-learn's ``max_iter``); a small cap stops EM early.
    tol : float, default 1e-3
        EM's stopping tolerance on the mean log-likelihood (scikit-learn's ``tol``).
    reg_covar : float, default 1e-6
        Added to every covariance's diagonal (scikit-learn's ``reg_covar``), so a component that
        collapses onto one point keeps a positive variance.
    replicates : int, optional
        Independent chains (>= 1); every array of the result has a leading replicate axis
        whether or not this is given.
    stop_when_lost : bool, default False
        Stop a replicate at the first generation whose model's M samples have none from some
        component (its later generations are NaN): for absorption experiments.
    scheme : Scheme or {"replace", "keep-real", "accumulate"}, default "replace"
        The training set of generation t + 1: the M samples (``Replace``); the M samples with a
        fresh random fraction of them swapped for points of ``data`` (``KeepReal``); or ``data``
        and every generation's samples so far (``Accumulate``). ``counts`` and ``lost_at``
        always refer to the M samples drawn from the model.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    MixtureChain
    """
    x0 = as_float_array(data, "data", "an array of points, shape (M,) or (M, d)")
    if x0.ndim == 1:
        x0 = x0[:, None]
    if x0.ndim != 2 or not np.all(np.isfinite(x0)):
        raise ValueError(f"data must be a finite array of shape (M,) or (M, d), got shape {x0.shape}")
    K = check_int(n_components, "n_components", minimum=1, maximum=MAX_MODEL_SIZE)
    M, d = x0.shape
    if M < 2 * K:
        raise ValueError(f"data must have at least 2 n_components = {2 * K} points, got {M}")
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_FIT_GENERATIONS)
    fit = check_choice(fit, "fit", _FITS)
    max_iter = check_int(max_iter, "max_iter", minimum=1, maximum=MAX_EM_ITERATIONS)
    tol = check_real(tol, "tol", low=0, low_open=True)
    reg_covar = check_real(reg_covar, "reg_covar", low=0, low_open=True)
    R = 1 if replicates is None else check_int(replicates, "replicates", minimum=1)
    stop_when_lost = check_bool(stop_when_lost, "stop_when_lost")
    scheme = as_scheme(scheme)
    if not isinstance(scheme, Replace | KeepReal | Accumulate):
        raise ValueError(f"scheme must be replace, keep-real or accumulate for gmm_loop, got {scheme.name}")
    if fit == "labels" and not isinstance(scheme, Replace):
        raise ValueError("fit='labels' needs every training point's component: use it with scheme='replace'")
    check_memory(8.0 * R * (generations + 1) * K * (2 + d + d * d), "replicates, generations and n_components",
                 "the fitted parameters")
    if isinstance(scheme, Accumulate):
        check_memory(8.0 * (generations + 1) * M * d, "generations", "the accumulated training set")
    n_kept = int(round(scheme.fraction * M)) if isinstance(scheme, KeepReal) else 0
    rng = as_generator(rng)

    weights = np.full((R, generations + 1, K), np.nan)
    means = np.full((R, generations + 1, K, d), np.nan)
    covariances = np.full((R, generations + 1, K, d, d), np.nan)
    counts = np.full((R, generations, K), -1, dtype=np.int64)
    iterations = np.full((R, generations + 1), -1, dtype=np.int64)
    converged = np.zeros((R, generations + 1), dtype=bool)
    lost_at = np.full(R, -1, dtype=np.int64)
    lost_component = np.full(R, -1, dtype=np.int64)
    for r in range(R):
        # "previous": one model per replicate whose every fit starts from its last solution.
        model = _new_em(K, rng, max_iter, tol, reg_covar, warm_start=fit == "previous")
        w, m, c, iterations[r, 0], converged[r, 0] = _fit_em(model, x0)
        order = np.argsort(m[:, 0], kind="stable")  # generation 0: components by their first coordinate
        w, m, c = w[order], m[order], c[order]
        weights[r, 0], means[r, 0], covariances[r, 0] = w, m, c
        pool = [x0]
        for t in range(generations):
            x, labels, counts[r, t] = _draw_from_mixture(rng, M, w, m, c)
            empty = np.flatnonzero(counts[r, t] == 0)
            if empty.size and lost_at[r] < 0:
                lost_at[r], lost_component[r] = t + 1, empty[0]
                if stop_when_lost:
                    break
            if isinstance(scheme, KeepReal) and n_kept:
                chosen = rng.choice(M, size=n_kept, replace=False)
                x[chosen] = x0[chosen]
            elif isinstance(scheme, Accumulate):
                pool.append(x)
                x = np.concatenate(pool)
            if fit == "labels":
                w, m, c = _fit_labels(x, labels, K, m, c, reg_covar)
                iterations[r, t + 1], converged[r, t + 1] = 0, True
            else:
                if fit == "scratch":
                    model = _new_em(K, rng, max_iter, tol, reg_covar)
                new_w, new_m, new_c, iterations[r, t + 1], converged[r, t + 1] = _fit_em(model, x)
                order = _align(new_m, m)
                w, m, c = new_w[order], new_m[order], new_c[order]
            weights[r, t + 1], means[r, t + 1], covariances[r, t + 1] = w, m, c
    return MixtureChain(weights, means, covariances, counts, iterations, converged, lost_at, lost_component)


# --------------------------------------------------------------------------- image models
@dataclass(frozen=True)
class ImageModel:
    """A generative model of images (rows of pixel values) that :func:`image_loop` refits.

    ``fit(images, rng, previous)`` returns a fitted model (``previous`` is the model fitted at the
    generation before, or None, for models that start from it); ``sample(fitted, n, rng)`` returns
    n new images, shape (n, pixels), with values in ``pixel_range``.
    """

    name: str
    fit: Callable[[np.ndarray, np.random.Generator, Any], Any]
    sample: Callable[[Any, int, np.random.Generator], np.ndarray]
    pixel_range: tuple[float, float] = (0.0, 16.0)


def _pixel_range(pixel_range) -> tuple[float, float]:
    low, high = (check_real(v, "pixel_range") for v in pixel_range)
    if not low < high:
        raise ValueError(f"pixel_range must be (low, high) with low < high, got {pixel_range}")
    return low, high


def _check_model_fits(images: np.ndarray, dimensions: int, name: str, extra: int = 0) -> None:
    """A clear error when the images cannot support the model's dimensions (or mixture components)."""
    largest = min(images.shape) - (1 if name == "n_latent" else 0)
    if dimensions > largest:
        raise ValueError(f"{name} must be at most {largest} for {images.shape[0]} images of {images.shape[1]} "
                         f"pixels, got {dimensions}")
    if extra > images.shape[0]:
        raise ValueError(f"n_components must be at most the number of images ({images.shape[0]}), got {extra}")


def pca_gmm_model(n_pca: int = 16, n_components: int = 10, *, warm_start: bool = False, tol: float = 1e-3,
                  pixel_range=(0.0, 16.0)) -> ImageModel:
    """A Gaussian mixture in a PCA space: the classic way to generate new digits with scikit-learn.

    ``fit`` projects the images on their first ``n_pca`` principal components and fits a mixture
    of ``n_components`` full-covariance Gaussians by EM, from k-means++ seeds (drawn from the
    rng) or, with ``warm_start``, from the previous generation's mixture carried into the new PCA
    coordinates (a model fine-tuned rather than trained anew); EM stops when an iteration improves
    the mean log-likelihood by less than ``tol``. ``sample`` draws points from the mixture, maps
    them back to pixels and clips them to ``pixel_range`` (a digit's pixels are 0 to 16).
    Everything outside the PCA space is lost.
    """
    n_pca = check_int(n_pca, "n_pca", minimum=1, maximum=MAX_MODEL_SIZE)
    K = check_int(n_components, "n_components", minimum=1, maximum=MAX_MODEL_SIZE)
    warm_start = check_bool(warm_start, "warm_start")
    tol = check_real(tol, "tol", low=0, low_open=True)
    low, high = _pixel_range(pixel_range)
    reg_covar = 1e-6

    def fit(images, rng, previous=None):
        from sklearn.decomposition import PCA

        _check_model_fits(images, n_pca, "n_pca", extra=K)
        pca = PCA(n_components=n_pca).fit(images)
        mixture = _new_em(K, rng, max_iter=100, tol=tol, reg_covar=reg_covar)
        if warm_start and previous is not None:
            old_pca, old_weights, old_means, old_covariances = previous
            # The previous components in the new coordinates: z_new = (pixels - mean_new) V_new^T.
            rotation = pca.components_ @ old_pca.components_.T
            means = (old_pca.inverse_transform(old_means) - pca.mean_) @ pca.components_.T
            covariances = rotation @ old_covariances @ rotation.T + reg_covar * np.eye(n_pca)
            mixture.set_params(weights_init=old_weights / old_weights.sum(), means_init=means,
                               precisions_init=np.linalg.inv(covariances))
        weights, mixture_means, mixture_covariances, _, _ = _fit_em(mixture, pca.transform(images))
        return pca, weights, mixture_means, mixture_covariances

    def sample(fitted, n, rng):
        pca, weights, mixture_means, mixture_covariances = fitted
        z, _, _ = _draw_from_mixture(rng, n, weights, mixture_means, mixture_covariances)
        return np.clip(pca.inverse_transform(z), low, high)

    start = "started from the previous generation" if warm_start else "trained anew"
    return ImageModel(f"Gaussian mixture ({K} components, {start}) in a {n_pca}-dimensional PCA space", fit, sample,
                      (low, high))


def ppca_model(n_latent: int = 16, *, pixel_range=(0.0, 16.0)) -> ImageModel:
    """Probabilistic PCA (Tipping and Bishop, 1999): what a VAE with a linear encoder and decoder learns at its optimum.

    ``fit`` is scikit-learn's ``PCA`` with ``n_latent`` components, whose principal axes, variances
    and ``noise_variance_`` (the mean of the discarded eigenvalues) are the maximum-likelihood
    probabilistic PCA model x = mean + W z + sigma e, with W = U (L - sigma^2 I)^(1/2), z and e
    standard normal. ``sample`` draws from it and clips to ``pixel_range``. It is a linear model,
    not a deep VAE.
    """
    q = check_int(n_latent, "n_latent", minimum=1, maximum=MAX_MODEL_SIZE)
    low, high = _pixel_range(pixel_range)

    def fit(images, rng, previous=None):
        from sklearn.decomposition import PCA

        _check_model_fits(images, q, "n_latent")
        pca = PCA(n_components=q).fit(images)
        loadings = pca.components_.T * np.sqrt(np.clip(pca.explained_variance_ - pca.noise_variance_, 0, None))
        return pca.mean_, loadings, float(np.sqrt(pca.noise_variance_))

    def sample(fitted, n, rng):
        mean, loadings, noise_sd = fitted
        x = mean + rng.standard_normal((n, loadings.shape[1])) @ loadings.T
        x += noise_sd * rng.standard_normal(x.shape)
        return np.clip(x, low, high)

    return ImageModel(f"probabilistic PCA, {q} latent dimensions (a linear VAE)", fit, sample, (low, high))


@dataclass(frozen=True)
class ImageLoopResult:
    """The training images of every generation and the models fitted to them (see :func:`image_loop`)."""

    images: list
    """The training set of every generation, ``images[t]`` of shape (N_t, pixels); ``images[0]`` is the real set."""
    is_real: list
    """Which training images of each generation are real (bool arrays aligned with ``images``)."""
    samples: list
    """``samples[t]``: N images drawn from the model fitted at generation t (what it generates)."""
    models: list
    """The fitted model of every generation."""
    scheme: Scheme


def image_loop(
    real,
    model: ImageModel,
    generations: int,
    *,
    scheme: Scheme | str = "replace",
    rng: RNGLike = None,
) -> ImageLoopResult:
    """Refit an image model to its own samples under a data scheme.

    Generation 0 is fitted to the N ``real`` images. Each model draws N images (``samples``);
    the next training set is, by scheme: ``Replace`` those N images; ``KeepReal(f)`` those images
    with a fresh random fraction f of them swapped for real ones; ``Accumulate`` everything so far
    (the real images and every generation's samples).

    Parameters
    ----------
    real : array_like, shape (N, pixels)
    model : ImageModel
        For example :func:`pca_gmm_model` or :func:`ppca_model`.
    generations : int
        Number of refits (>= 0).
    scheme : Scheme or {"replace", "keep-real", "accumulate"}, default "replace"
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ImageLoopResult
    """
    real = as_float_array(real, "real", "an array of images, shape (N, pixels)")
    if real.ndim != 2 or real.shape[0] < 2 or not np.all(np.isfinite(real)):
        raise ValueError(f"real must be a finite array of at least 2 images, shape (N, pixels), got {real.shape}")
    if not isinstance(model, ImageModel):
        raise TypeError(f"model must be an ImageModel (pca_gmm_model or ppca_model), got {type(model).__name__}")
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_FIT_GENERATIONS)
    scheme = as_scheme(scheme)
    if not isinstance(scheme, Replace | KeepReal | Accumulate):
        raise ValueError(f"scheme must be replace, keep-real or accumulate for images, got {scheme.name}")
    N = real.shape[0]
    stored = (generations + 1) * (generations + 4) / 2 if isinstance(scheme, Accumulate) else 2 * generations + 2
    check_memory(8.0 * stored * real.size, "generations", "every generation's images")
    rng = as_generator(rng)

    images, is_real, samples, models = [real], [np.ones(N, dtype=bool)], [], []
    for t in range(generations + 1):
        models.append(model.fit(images[t], rng, models[t - 1] if t else None))
        samples.append(model.sample(models[t], N, rng))
        if t == generations:
            break
        synthetic, none_real = samples[t], np.zeros(N, dtype=bool)
        match scheme:
            case Replace():
                train, real_mask = synthetic, none_real
            case KeepReal():
                train, real_mask = synthetic.copy(), none_real.copy()
                chosen = rng.choice(N, size=int(round(scheme.fraction * N)), replace=False)
                train[chosen], real_mask[chosen] = real[chosen], True
            case Accumulate():
                train = np.concatenate([images[t], synthetic])
                real_mask = np.concatenate([is_real[t], none_real])
        images.append(train)
        is_real.append(real_mask)
    return ImageLoopResult(images, is_real, samples, models, scheme)
