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
    "check_memory",
    "check_bool",
    "check_count_array",
    "check_real_array",
    "as_float_array",
    "MEMORY_LIMIT_BYTES",
    "MAX_GENERATIONS",
    "MAX_COUNT",
]

RNGLike = np.random.Generator | np.random.SeedSequence | int | None

#: Tolerance for "sums to one" checks on float probability vectors and matrices.
PROBABILITY_ATOL = 1e-9

#: Largest array (in bytes) a single call may allocate. A Binder kernel has 2 GB and a chapter's
#: budget is 1 GB, so a call that needs more is refused before it starts, with a message naming
#: the argument to reduce, instead of failing halfway or getting the kernel killed.
MEMORY_LIMIT_BYTES = 2**30

#: Most generations a simulation loop may run. The book's chapters need a few thousand at most;
#: a loop of Python steps at this cap already takes seconds, and a much larger value is almost
#: always a typo that would make the kernel hang.
MAX_GENERATIONS = 100_000

#: Largest count or sample size. Up to 2**53 a float64 holds every whole number, so M draws,
#: M - 1 and counts divided by M stay exact; above it M and M + 1 would be the same number.
MAX_COUNT = 2**53


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


def check_int(value, name: str, *, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as an int after checking it is an integer in [``minimum``, ``maximum``]."""
    allowed = f"an integer >= {minimum}" if maximum is None else f"an integer in [{minimum}, {_readable(maximum)}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        # Accept floats that are whole numbers (e.g. 1e3) but nothing else.
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be {allowed}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {allowed}, got {value:,}")
    return int(value)


def _readable(bound: float) -> str:
    """A bound as a reader would write it: 100,000, 0.01 or 2**53."""
    if bound > 10**9 and float(bound).is_integer() and int(bound) & (int(bound) - 1) == 0:
        return f"2**{int(bound).bit_length() - 1}"
    return f"{bound:,}" if isinstance(bound, int) else f"{bound:g}"


def check_memory(nbytes: float, names: str, what: str) -> None:
    """Refuse a call that would allocate more than ``MEMORY_LIMIT_BYTES`` for ``what``.

    ``nbytes`` is the caller's estimate (a Python number, so it cannot overflow); ``names`` are
    the arguments that set the size, which the message asks the reader to reduce.
    """
    if nbytes > MEMORY_LIMIT_BYTES:
        raise ValueError(
            f"{names}: {what} would need {nbytes / 2**30:,.1f} GiB of memory, more than the limit of "
            f"{MEMORY_LIMIT_BYTES / 2**30:g} GiB (validation.MEMORY_LIMIT_BYTES); reduce {names}"
        )


def as_float_array(value, name: str, what: str = "a number or an array of numbers", *,
                   allow_bool: bool = False) -> np.ndarray:
    """``value`` as a float array, or a ``TypeError`` naming the argument if it is not numeric.

    Ints and floats (and arrays or nested lists of them) are numeric; strings, None, complex
    numbers and mixed lists are not (numpy would turn ``"1"`` into 1.0 and None into NaN). Bools
    are refused too unless ``allow_bool`` (indicator samples, whose mean is a probability).
    A ragged nested list raises ``ValueError``.
    """
    try:
        raw = np.asarray(value)
    except ValueError:
        raise ValueError(f"{name} must be {what}; got a ragged nested sequence (rows of different lengths)") from None
    kinds = "iuf" + ("b" if allow_bool else "")
    if raw.dtype.kind == "O" and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in raw.ravel()):
        # Python ints beyond 64 bits, or SymPy numbers (what lambdify returns for n + 1).
        try:
            return raw.astype(float)
        except (OverflowError, TypeError):
            raise ValueError(f"{name} must be {what}; a value is too large for a float") from None
    if raw.dtype.kind not in kinds:
        got = type(value).__name__ if raw.dtype.kind == "O" or raw.ndim == 0 else f"{type(value).__name__} of {raw.dtype}"
        raise TypeError(f"{name} must be {what}, got {got}")
    return raw.astype(float)


def _whole_numbers(arr: np.ndarray, name: str, allowed: str) -> np.ndarray:
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must hold {allowed}; got a value that is not a whole number (or NaN, inf)")
    return arr


def check_count_array(value, name: str, *, minimum: int) -> np.ndarray:
    """``value`` (a number or an array) as a float array of whole numbers in [``minimum``, ``MAX_COUNT``].

    For closed forms that broadcast over sample sizes and generations: ``M = np.arange(2, 50)``
    is fine, ``M = 2.5`` or ``M = 1`` (where the minimum is 2) is not.
    """
    allowed = f"whole numbers in [{minimum}, {_readable(MAX_COUNT)}]"
    try:
        raw = np.asarray(value) if isinstance(value, (list, tuple, np.ndarray, numbers.Integral)) else None
    except ValueError:  # a ragged list: as_float_array names it below
        raw = None
    if raw is not None and raw.dtype.kind in "iuO" and any(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > MAX_COUNT for v in raw.ravel().tolist()):
        # checked before the conversion to float, which would round 2**53 + 1 down to 2**53
        raise ValueError(f"{name} must hold {allowed}; got an integer above {_readable(MAX_COUNT)}")
    arr = _whole_numbers(as_float_array(value, name, allowed), name, allowed)
    if np.any(arr < minimum) or np.any(arr > MAX_COUNT):
        raise ValueError(f"{name} must hold {allowed}; got values from {arr.min():g} to {arr.max():g}")
    return arr


def check_real_array(value, name: str, *, low: float | None = None, high: float | None = None,
                     low_open: bool = False, high_open: bool = False) -> np.ndarray:
    """``value`` (a number or an array) as a float array of finite values in an interval (see :func:`check_real`)."""
    allowed = _interval(low, high, low_open, high_open).replace("a number", "numbers", 1)
    arr = as_float_array(value, name, allowed)
    below = low is not None and np.any(arr <= low if low_open else arr < low)
    above = high is not None and np.any(arr >= high if high_open else arr > high)
    if not np.all(np.isfinite(arr)) or below or above:
        raise ValueError(f"{name} must hold {allowed}; got values from {np.min(arr, initial=np.inf):g} to "
                         f"{np.max(arr, initial=-np.inf):g}")
    return arr


def check_bool(value, name: str) -> bool:
    """``value`` if it is a bool (``numpy.bool_`` too), else a ``TypeError``."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


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
        return f"a number {'>' if low_open else '>='} {_readable(low)}"
    if low is None:
        return f"a number {'<' if high_open else '<='} {_readable(high)}"
    return f"a number in {'(' if low_open else '['}{_readable(low)}, {_readable(high)}{')' if high_open else ']'}"


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
