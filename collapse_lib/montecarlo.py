"""Monte Carlo summaries with honest error bars, shared by every chapter's check cells.

A check compares a simulated mean with theory in units of its standard error (a z-score):
with a fixed seed the check is deterministic, and a tolerance of a few standard errors
catches any real discrepancy of that size. This only works when the standard error itself
is trustworthy: for heavy-tailed quantities (a mean carried by rare paths) the sample
standard deviation underestimates the truth, and chapters check other quantities instead.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mean_and_se", "z_scores"]


def mean_and_se(samples, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean over replicates along ``axis`` and its Monte Carlo standard error ``sd / sqrt(R)``."""
    samples = np.asarray(samples, dtype=float)
    R = samples.shape[axis]
    if R < 2:
        raise ValueError(f"samples needs at least 2 replicates along axis {axis}, got {R}")
    return samples.mean(axis=axis), samples.std(axis=axis, ddof=1) / np.sqrt(R)


def z_scores(estimate, se, theory) -> np.ndarray:
    """(estimate - theory) / se, elementwise. A zero standard error with exact agreement gives 0."""
    estimate, se, theory = (np.asarray(a, dtype=float) for a in (estimate, se, theory))
    difference = estimate - theory
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, difference / np.where(se > 0, se, 1.0), np.where(difference == 0, 0.0, np.inf))
    return z
