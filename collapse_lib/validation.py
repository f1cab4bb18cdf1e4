"""Argument checking and random-generator handling, shared by every module of collapse_lib.

Every public function validates its input with these helpers, so that a reader who passes a
bad argument gets one clear message naming the argument and the allowed range, instead of a
NaN or a traceback from deep inside numpy. The rule throughout:

- a value of the wrong **type** (a string where a number belongs, a bool as a count, a float
  that is not a whole number as a count) raises ``TypeError``;
- a value of the right type but outside the allowed **range** or shape raises ``ValueError``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = [
    "RNGLike",
    "PROBABILITY_ATOL",
    "as_generator",
    "check_int",
    "check_real",
    "check_fraction",
    "check_choice",
    "check_probability_vector",
]

RNGLike = np.random.Generator | np.random.SeedSequence | int | None

#: Tolerance for "sums to one" checks on float probability vectors and matrices.
PROBABILITY_ATOL = 1e-9


def as_generator(rng: RNGLike) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a generator, a seed or None.

    A Generator is returned as is (so a chapter can pass one generator through many
    calls and keep a single stream); an int or SeedSequence seeds a new one; None
    gives fresh OS entropy.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng: a seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be a numpy.random.Generator, a non-negative int seed, a SeedSequence "
        f"or None, got {type(rng).__name__}"
    )


def check_int(value, name: str, *, minimum: int) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        # Accept floats that are whole numbers (e.g. 1e3) but nothing else.
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def as_float_array(value, name: str, what: str = "a number or an array of numbers") -> np.ndarray:
    """``value`` as a float array; a ``TypeError`` naming the argument if it is not numeric."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}") from None


def check_probability_vector(p, name: str = "p") -> np.ndarray:
    """Return ``p`` as a float array of shape (K,) that is a probability vector."""
    arr = as_float_array(p, name, "a 1-D array of probabilities")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of probabilities, got shape {arr.shape}")
    arr = check_distributions(arr, name)
    return arr / arr.sum()


def check_distributions(p, name: str = "p") -> np.ndarray:
    """Return ``p`` as a float array whose last axis holds probability vectors.

    Leading axes index replicates or generations. Every entry must be finite and non-negative,
    and every vector must sum to 1 within ``PROBABILITY_ATOL``, the same tolerance whatever the
    number of categories (a sum's rounding error is far smaller: about ``log2(K)`` ulps).
    """
    arr = as_float_array(p, name, "an array of probabilities")
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must have a non-empty last axis of categories, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite probabilities (no NaN or inf)")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative; smallest entry is {arr.min():g}")
    totals = arr.sum(axis=-1)
    worst = np.max(np.abs(totals - 1.0))
    if worst > PROBABILITY_ATOL:
        raise ValueError(
            f"{name} must sum to 1 over its last axis (within {PROBABILITY_ATOL:g}); "
            f"a sum is off by {worst:.3g}"
        )
    return arr


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return "a finite number"
    if high is None:
        return f"a number {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"a number {'<' if high_open else '<='} {high:g}"
    return f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_real(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float in the interval from ``low`` to ``high``.

    ``low_open`` / ``high_open`` exclude the end points; ``None`` leaves a side unbounded.
    A bool, a string or an array raises ``TypeError``; NaN, infinity or a value outside the
    interval raises ``ValueError``.

    >>> check_real(0.5, "sampling_bias", low=0, high=1, low_open=True)
    0.5
    """
    allowed = _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {allowed}, got {value!r}")
    value = float(value)
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if not np.isfinite(value) or below or above:
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return value


def check_fraction(value, name: str) -> float:
    """Return ``value`` as a float in the closed interval [0, 1]."""
    return check_real(value, name, low=0.0, high=1.0)


def check_choice(value, name: str, choices: Sequence[str]) -> str:
    """Return ``value`` after checking it is one of the strings ``choices``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {list(choices)}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value
