"""Checkers for chapter 1, the self-consuming loop (``book/01_self_consuming_loop.md``)."""

from __future__ import annotations

import numpy as np

from .. import laws
from ..validation import check_probability_vector
from . import WrongAnswer, as_answer_array, correct, hidden_test_failed, hint_of

__all__ = ["check_mass_lost", "grade_mass_lost"]


def _mass_lost_hint(answer, p, M_values) -> str | None:
    """None when ``answer`` is right, else a hint. The exact value is sum_k p_k (1 - p_k)^M; its
    Poisson approximation sum_k p_k e^{-M p_k} is accepted too (the tolerance is the distance
    between the two, plus a relative 5e-3 for values rounded to three significant digits)."""
    p = check_probability_vector(p)
    M_values = np.asarray(M_values, dtype=float)
    answer = as_answer_array(answer, M_values.shape, f"one mass per M in {M_values.tolist()}")
    exact = np.array([np.sum(p * laws.probability_lost(p, M)) for M in M_values])
    poisson = np.array([np.sum(p * np.exp(-M * p)) for M in M_values])
    tolerance = np.abs(exact - poisson) + 5e-3 * exact + 1e-300
    for value, truth, tol, M in zip(answer, exact, tolerance, M_values):
        if abs(value - truth) > tol:
            if not 0 <= value <= 1:
                return (f"for M = {M:.0e}: a mass of probability is between 0 and 1; is each category weighted by "
                        "its probability p_k?")
            if value > 0.5 or value > 10 * truth:
                return (f"for M = {M:.0e} your mass lost is far too large: is each category weighted by its "
                        "probability p_k? Counting lost categories, or adding up the mass kept, gives far larger "
                        "numbers")
            return f"for M = {M:.0e} your mass lost is off: a category is lost with probability (1 - p_k)^M"
    return None


def check_mass_lost(answer, p, M_values) -> None:
    """Exercise ``ex-loop-mass``: the expected probability mass lost in one generation, for each M."""
    hint = _mass_lost_hint(answer, p, M_values)
    if hint:
        raise WrongAnswer(hint)
    correct("matches sum_k p_k (1 - p_k)^M for every M")


def grade_mass_lost(answer, p, M_values) -> None:
    """Hidden test of ``ex-loop-mass``: the same exact comparison, for every M (a single array of
    numbers has nothing more to hide)."""
    if hint_of(_mass_lost_hint, answer, p, M_values):
        raise hidden_test_failed("ex-loop-mass", "the masses are not sum_k p_k (1 - p_k)^M")
