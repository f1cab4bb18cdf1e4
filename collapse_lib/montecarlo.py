"""Monte Carlo summaries with honest error bars, and the one agreement check every chapter uses.

A check compares simulated means with theory in units of their standard errors (z-scores).
With a fixed seed it is deterministic, and a tolerance of a few standard errors catches any
real discrepancy of that size. The tolerance is **family-wise**: when a cell compares N
numbers at once, the threshold grows with N (Bonferroni), so that a correct simulation fails
the whole check with probability at most ``FALSE_ALARM`` however many numbers it compares:
3.3 standard errors for one comparison, 4.3 for 50, 5.0 for 2,000.

This only works when the standard error itself is trustworthy: for heavy-tailed quantities (a
mean carried by rare paths) the sample standard deviation underestimates the truth, and the
chapters check other quantities instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.stats

from .validation import as_float_array, check_bool, check_int, check_real

__all__ = [
    "FALSE_ALARM",
    "mean_and_se",
    "z_scores",
    "z_threshold",
    "Agreement",
    "DisagreementError",
    "compare",
    "check_agreement",
    "check_disagreement",
    "check_larger",
]

#: Family-wise probability that a correct simulation fails a check (the default of every check).
FALSE_ALARM = 1e-3


def mean_and_se(samples, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean over replicates along ``axis`` and its Monte Carlo standard error ``sd / sqrt(R)``."""
    samples = as_float_array(samples, "samples", "an array of numbers", allow_bool=True)
    axis = check_int(axis, "axis", minimum=-max(samples.ndim, 1))
    if samples.ndim == 0 or axis >= samples.ndim:
        raise ValueError(f"samples must have an axis {axis} of replicates, got shape {samples.shape}")
    R = samples.shape[axis]
    if R < 2:
        raise ValueError(f"samples needs at least 2 replicates along axis {axis}, got {R}")
    if not np.all(np.isfinite(samples)):
        raise ValueError("samples must be finite (no NaN or inf): a mean and standard error of them mean nothing")
    return samples.mean(axis=axis), samples.std(axis=axis, ddof=1) / np.sqrt(R)


def z_scores(estimate, se, theory) -> np.ndarray:
    """(estimate - theory) / se, elementwise. A zero standard error with exact agreement gives 0."""
    estimate, se, theory = (as_float_array(value, name) for name, value in
                            (("estimate", estimate), ("se", se), ("theory", theory)))
    try:
        np.broadcast_shapes(estimate.shape, se.shape, theory.shape)
    except ValueError:
        raise ValueError(f"estimate, se and theory must broadcast together, got shapes "
                         f"{estimate.shape}, {se.shape} and {theory.shape}") from None
    # A NaN would compare as "not larger than the threshold" and pass a check: refuse it, and
    # infinity, which no simulated mean or closed form of the book can be.
    for name, array in (("estimate", estimate), ("theory", theory)):
        if not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite (no NaN or inf)")
    if np.isnan(se).any() or (se < 0).any() or np.isinf(se).any():
        raise ValueError("se must be finite and >= 0 (a NaN standard error would let any difference pass)")
    difference = estimate - theory
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, difference / np.where(se > 0, se, 1.0), np.where(difference == 0, 0.0, np.inf))
    return z


def z_threshold(comparisons: int, false_alarm: float = FALSE_ALARM) -> float:
    """The threshold that ``comparisons`` correct z-scores all stay below (in absolute value) with probability >= 1 - ``false_alarm``.

    Bonferroni over two-sided normal tails: the (1 - false_alarm / (2 N)) normal quantile.

    >>> [round(z_threshold(n), 2) for n in (1, 50, 2000)]
    [3.29, 4.26, 5.03]
    """
    comparisons = check_int(comparisons, "comparisons", minimum=1)
    false_alarm = check_real(false_alarm, "false_alarm", low=0, high=1, low_open=True, high_open=True)
    return float(scipy.stats.norm.isf(false_alarm / (2 * comparisons)))


class DisagreementError(AssertionError):
    """A simulation disagrees with theory (or a wrong law was not rejected)."""


@dataclass(frozen=True)
class Agreement:
    """The outcome of :func:`check_agreement`: how many numbers were compared and the worst z-score."""

    comparisons: int
    largest_z: float
    worst: str
    """The name of the quantity with the largest ``|z|``, and where, for example ``"heterozygosity[17]"``."""
    threshold: float

    def summary(self) -> str:
        """Two short lines (they fit the book's column): the numbers, then where the largest ``|z|`` is."""
        relation = "<" if self.largest_z < self.threshold else ">="
        return (f"{self.comparisons} comparisons, largest |z| = {self.largest_z:.2f} {relation} {self.threshold:.2f}\n"
                f"  largest at {self.worst}")


def compare(comparisons: Mapping, *, false_alarm: float = FALSE_ALARM) -> Agreement:
    """The summary :func:`check_agreement` prints, as a value, without checking anything."""
    return _worst(comparisons, false_alarm)[0]


def _worst(comparisons: Mapping, false_alarm: float) -> tuple[Agreement, dict]:
    if not isinstance(comparisons, Mapping):
        raise TypeError(f"comparisons must be a dict {{name: (estimate, se, theory)}}, got {type(comparisons).__name__}")
    if not comparisons:
        raise ValueError("comparisons must hold at least one {name: (estimate, se, theory)}")
    false_alarm = check_real(false_alarm, "false_alarm", low=0, high=1, low_open=True, high_open=True)
    details = {}
    for name, triple in comparisons.items():
        if not isinstance(name, str):
            raise TypeError(f"comparisons: every name must be a str, got {name!r}")
        if not isinstance(triple, tuple) or len(triple) != 3:
            raise TypeError(f"comparisons[{name!r}] must be a tuple (estimate, se, theory)")
        try:
            z = np.abs(z_scores(*triple))
        except (TypeError, ValueError) as error:
            raise type(error)(f"comparisons[{name!r}]: {error}") from None
        estimate, se, theory = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in triple))
        details[name] = (estimate, se, theory, z)
    count = sum(z.size for *_, z in details.values())
    threshold = z_threshold(count, false_alarm)
    name, (estimate, se, theory, z) = max(details.items(), key=lambda item: item[1][3].max(initial=0.0))
    where = np.unravel_index(int(np.argmax(z)), z.shape) if z.size else ()
    label = name + (f"[{', '.join(map(str, where))}]" if z.ndim else "")
    agreement = Agreement(count, float(z[where]) if z.size else 0.0, label, threshold)
    return agreement, {"estimate": estimate[where], "se": se[where], "theory": theory[where]}


def check_agreement(comparisons: Mapping, *, false_alarm: float = FALSE_ALARM, quiet: bool = False) -> None:
    """Check simulated means against theory, all at once, with a family-wise tolerance.

    Parameters
    ----------
    comparisons : dict
        ``{name: (estimate, se, theory)}``: simulated means, their standard errors and the
        theory, as numbers or arrays of one shape (broadcast).
    false_alarm : float, default ``FALSE_ALARM``
        Probability that a correct simulation fails the check (sets the threshold, see
        :func:`z_threshold`).
    quiet : bool, default False
        Do not print the summary line.

    Prints a two-line summary (unless ``quiet``), e.g. ``agreement: 150 comparisons, largest
    |z| = 2.41 < 4.55`` and ``largest at heterozygosity[17]``. :func:`compare` returns the same
    summary as a value.

    Raises
    ------
    DisagreementError
        Naming the quantity and index that disagreed, with simulation, standard error and theory.
    """
    quiet = check_bool(quiet, "quiet")
    agreement, worst = _worst(comparisons, false_alarm)
    if agreement.largest_z >= agreement.threshold:
        raise DisagreementError(
            f"{agreement.worst} disagrees with theory: simulation {worst['estimate']:.6g} ± {worst['se']:.2g} (SE), "
            f"theory {worst['theory']:.6g}, |z| = {agreement.largest_z:.2f} >= {agreement.threshold:.2f}"
        )
    if not quiet:
        print("agreement: " + agreement.summary())


def check_disagreement(comparisons: Mapping, *, false_alarm: float = FALSE_ALARM, quiet: bool = False) -> None:
    """The same check applied to a **wrong** law, which it must reject: shows that a check has teeth.

    Raises ``DisagreementError`` if the wrong law passes :func:`check_agreement`'s test.
    """
    quiet = check_bool(quiet, "quiet")
    agreement = compare(comparisons, false_alarm=false_alarm)
    if agreement.largest_z < agreement.threshold:
        raise DisagreementError(
            f"the wrong law was not rejected: largest |z| = {agreement.largest_z:.2f} < {agreement.threshold:.2f}; "
            "the check cannot tell it from the right one"
        )
    if not quiet:
        print("wrong law rejected: " + agreement.summary())


def check_larger(comparisons: Mapping, *, false_alarm: float = FALSE_ALARM, quiet: bool = False) -> None:
    """Check that simulated means exceed bounds, every one of them, by a family-wise margin.

    For statements such as "replace ends further from the original than keep-real": each
    estimate (for example a mean paired difference) must be larger than its bound by at least
    ``z`` standard errors, where ``z`` is the one-sided Bonferroni threshold for all the numbers
    compared. If every true mean were at most its bound, the check would pass with probability
    at most ``false_alarm``.

    Parameters
    ----------
    comparisons : dict
        ``{name: (estimate, se, bound)}``, numbers or arrays of one shape (broadcast).
    false_alarm : float, default ``FALSE_ALARM``
        Probability of passing when the statement is false at the boundary.
    quiet : bool, default False
        Do not print the summary line.

    Raises
    ------
    DisagreementError
        Naming the quantity and index with the smallest z-score.
    """
    quiet = check_bool(quiet, "quiet")
    agreement, _ = _worst(comparisons, false_alarm)  # validates the input
    false_alarm = check_real(false_alarm, "false_alarm", low=0, high=1, low_open=True, high_open=True)
    z = {name: np.atleast_1d(z_scores(*triple)) for name, triple in comparisons.items()}
    count = sum(values.size for values in z.values())
    threshold = float(scipy.stats.norm.isf(false_alarm / count))
    name, values = min(z.items(), key=lambda item: item[1].min(initial=np.inf))
    where = int(np.argmin(values))
    label = name + (f"[{where}]" if np.ndim(comparisons[name][0]) or values.size > 1 else "")
    smallest = float(values[where])
    if not smallest >= threshold:
        raise DisagreementError(
            f"{label} is not significantly larger than its bound: z = {smallest:.2f} < {threshold:.2f}"
        )
    if not quiet:
        print(f"larger: {count} comparisons, smallest z = {smallest:.2f} >= {threshold:.2f}\n  smallest at {label}")
