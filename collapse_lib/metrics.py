"""How far a generation has moved from the original: distances and diversity measures.

The distribution measures broadcast over leading axes, the last axis indexing categories;
:func:`distinct_ngram_ratio` measures the repetitiveness of a corpus of token blocks.
"""

from __future__ import annotations

import numpy as np

from .validation import check_distributions, check_int

__all__ = ["total_variation", "hellinger", "heterozygosity", "support_size", "lost_mass", "distinct_ngram_ratio"]


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
    windows = np.lib.stride_tricks.sliding_window_view(blocks, k, axis=1).reshape(-1, k)
    return np.unique(windows, axis=0).shape[0] / windows.shape[0]
