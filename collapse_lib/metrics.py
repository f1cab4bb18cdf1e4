"""How far a generation has moved from the original: distances and diversity measures.

The distribution measures broadcast over leading axes, the last axis indexing categories;
:func:`distinct_ngram_ratio` measures the repetitiveness of a corpus of token blocks; the sample
measures compare generated points with real ones: :func:`knn_precision_recall` (quality and
variety, by nearest neighbours) and :func:`frechet_distance` (FID's formula, the squared
Wasserstein-2 distance between the Gaussians fitted to the two samples).
"""

from __future__ import annotations

import numpy as np

from .validation import as_float_array, check_distributions, check_int, check_memory

__all__ = [
    "total_variation",
    "hellinger",
    "heterozygosity",
    "support_size",
    "lost_mass",
    "distinct_ngram_ratio",
    "knn_precision_recall",
    "frechet_distance",
]


def _as_distributions(p, q, names=("p", "q")):
    """Two arrays of probability vectors along the last axis (checked), with as many categories."""
    p = check_distributions(p, names[0])
    q = check_distributions(q, names[1])
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same number of categories (last axis), "
            f"got shapes {p.shape} and {q.shape}"
        )
    return p, q


def total_variation(p, q) -> np.ndarray:
    """Total variation distance ``0.5 * sum_k |p_k - q_k|``, in [0, 1]."""
    p, q = _as_distributions(p, q)
    return 0.5 * np.abs(p - q).sum(axis=-1)


def hellinger(p, q) -> np.ndarray:
    """Hellinger distance ``sqrt(1 - sum_k sqrt(p_k q_k))``, in [0, 1]."""
    p, q = _as_distributions(p, q)
    affinity = np.sqrt(p * q).sum(axis=-1)
    return np.sqrt(np.clip(1.0 - affinity, 0.0, None))


def heterozygosity(p) -> np.ndarray:
    """Probability that two independent draws differ, ``1 - sum_k p_k**2`` (0 for a delta)."""
    p = check_distributions(p, "p")
    return 1.0 - np.square(p).sum(axis=-1)


def support_size(p) -> np.ndarray:
    """Number of categories with positive probability."""
    p = check_distributions(p, "p")
    return np.count_nonzero(p > 0, axis=-1)


def lost_mass(p, original) -> np.ndarray:
    """Original probability of the categories that ``p`` has lost (``p_k == 0``)."""
    p, original = _as_distributions(p, original, names=("p", "original"))
    return np.where(p == 0, original, 0.0).sum(axis=-1)


def distinct_ngram_ratio(blocks, k: int = 3) -> float:
    """Distinct k-grams divided by all k-grams in a corpus (k-grams within blocks). 1 = no repeats."""
    k = check_int(k, "k", minimum=1)
    try:
        blocks = np.asarray(blocks)
    except ValueError:
        raise ValueError("blocks must be a 2-D array of token ids; its rows have different lengths") from None
    if blocks.ndim != 2 or blocks.shape[1] < k or blocks.size == 0:
        raise ValueError(f"blocks must be a non-empty 2-D array with at least k = {k} tokens per block, "
                         f"got shape {blocks.shape}")
    if not np.issubdtype(blocks.dtype, np.integer):
        raise TypeError(f"blocks must hold integer token ids, got {blocks.dtype}")
    low = int(blocks.min())
    base = int(blocks.max()) - low + 1
    count = blocks.shape[0] * (blocks.shape[1] - k + 1)
    if base**k >= 2**63:  # too many possible k-grams for one integer each
        windows = np.lib.stride_tricks.sliding_window_view(blocks, k, axis=1).reshape(-1, k)
        return np.unique(windows, axis=0).shape[0] / count
    # Each k-gram as one integer; distinct values counted in a sorted copy (faster than np.unique).
    width = blocks.shape[1] - k + 1
    keys = np.zeros((blocks.shape[0], width), dtype=np.int64)
    for column in range(k):
        keys = keys * base + (blocks[:, column : column + width].astype(np.int64) - low)
    keys = np.sort(keys, axis=None)
    return (1 + np.count_nonzero(keys[1:] != keys[:-1])) / count


def _check_points(points, name: str, minimum: int) -> np.ndarray:
    """``points`` as a finite float array of shape (n, d) with n >= ``minimum``."""
    points = as_float_array(points, name, "an array of points, shape (n, d)")
    if points.ndim != 2 or points.shape[0] < minimum or points.shape[1] < 1:
        raise ValueError(f"{name} must be an array of at least {minimum} points, shape (n, d), got {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return points


#: Distances computed at a time (rows x columns) by the sample measures: about 32 MB.
_DISTANCE_CHUNK = 2**22


def _row_chunks(rows: int, columns: int):
    step = max(1, _DISTANCE_CHUNK // max(columns, 1))
    return [slice(i, min(i + step, rows)) for i in range(0, rows, step)]


def _squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of x and y, by one matrix product (BLAS)."""
    squared = (x * x).sum(axis=1)[:, None] + (y * y).sum(axis=1)[None, :] - 2 * x @ y.T
    return np.maximum(squared, 0.0, out=squared)  # rounding can make a zero distance slightly negative


def _kth_neighbour_squared(points: np.ndarray, k: int) -> np.ndarray:
    """Squared distance from each point to its k-th nearest other point of the same set."""
    # Each row's own zero distance is its smallest, so the k-th other point is at index k.
    return np.concatenate([np.partition(_squared_distances(points[rows], points), k, axis=1)[:, k]
                           for rows in _row_chunks(points.shape[0], points.shape[0])])


def knn_precision_recall(real, generated, k: int = 3) -> tuple[float, float]:
    """Precision and recall of generated samples against real ones (Kynkäänniemi et al., 2019).

    Each sample set stands for a manifold: the union of balls around its points, each ball's
    radius the distance to the point's k-th nearest neighbour in its own set. **Precision** is the
    fraction of generated points inside the real manifold (are they realistic?); **recall** the
    fraction of real points inside the generated manifold (is the real variety produced?).

    Parameters
    ----------
    real, generated : array_like, shape (n, d) and (m, d)
        Points in a feature space (each set at least k + 1 points).
    k : int, default 3
        The neighbour that sets the radii (the paper's default is 3).

    Returns
    -------
    (float, float)
        Precision and recall, in [0, 1].
    """
    k = check_int(k, "k", minimum=1)
    real = _check_points(real, "real", 2)
    generated = _check_points(generated, "generated", 2)
    if k >= min(real.shape[0], generated.shape[0]):
        raise ValueError(f"k must be less than the number of points in real ({real.shape[0]}) and in generated "
                         f"({generated.shape[0]}), got {k}")
    if generated.shape[1] != real.shape[1]:
        raise ValueError(f"real and generated must have the same dimension, got {real.shape[1]} and "
                         f"{generated.shape[1]}")
    check_memory(8.0 * (_DISTANCE_CHUNK + real.shape[0] + generated.shape[0]), "real and generated",
                 "the distances")
    # Squared distances throughout: the same comparisons, without square roots.
    real_radius = _kth_neighbour_squared(real, k)
    generated_radius = _kth_neighbour_squared(generated, k)
    inside_real = np.zeros(generated.shape[0], dtype=bool)  # generated point inside some real ball
    inside_generated = np.zeros(real.shape[0], dtype=bool)  # real point inside some generated ball
    for rows in _row_chunks(generated.shape[0], real.shape[0]):
        distance = _squared_distances(generated[rows], real)
        inside_real[rows] = (distance <= real_radius).any(axis=1)
        inside_generated |= (distance <= generated_radius[rows, None]).any(axis=0)
    return float(inside_real.mean()), float(inside_generated.mean())


def frechet_distance(features1, features2) -> float:
    """The Fréchet distance of two samples: squared W2 between the Gaussians fitted to them.

    ``|m1 - m2|^2 + tr(C1 + C2 - 2 (C2^{1/2} C1 C2^{1/2})^{1/2})``, with the sample means and
    covariances (divisor n - 1). This is the formula of the Fréchet Inception Distance (Heusel et
    al., 2017), there applied to a network's features; it is the square of
    :func:`collapse_lib.gaussian.wasserstein2`, which computes it.

    Parameters
    ----------
    features1, features2 : array_like, shape (n1, d) and (n2, d)
        Two samples of d features (each at least 2 points).
    """
    from .gaussian import wasserstein2

    a = _check_points(features1, "features1", 2)
    b = _check_points(features2, "features2", 2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features1 and features2 must have the same dimension, got {a.shape[1]} and {b.shape[1]}")
    cov_a, cov_b = (np.atleast_2d(np.cov(x, rowvar=False)) for x in (a, b))
    return float(wasserstein2(a.mean(axis=0), cov_a, b.mean(axis=0), cov_b) ** 2)
