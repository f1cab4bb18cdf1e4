"""Checkers for chapter 1, the self-consuming loop (``book/01_self_consuming_loop.md``)."""

from __future__ import annotations

import numpy as np

from .. import laws
from ..validation import check_probability_vector
from . import WrongAnswer, as_answer_array, correct

__all__ = ["check_mass_lost"]


def check_mass_lost(answer, p, M_values) -> None:
    """Exercise ``ex-loop-mass``: the expected probability mass lost in one generation, for each M.

    The exact value is sum_k p_k (1 - p_k)^M. Its Poisson approximation sum_k p_k e^{-M p_k}
    is accepted too: the tolerance is the distance between the two.
    """
    p = check_probability_vector(p)
    M_values = np.asarray(M_values, dtype=float)
    answer = as_answer_array(answer, M_values.shape, f"one mass per M in {M_values.tolist()}")
    exact = np.array([np.sum(p * laws.probability_lost(p, M)) for M in M_values])
    poisson = np.array([np.sum(p * np.exp(-M * p)) for M in M_values])
    tolerance = np.abs(exact - poisson) + 1e-9 * exact
    for value, truth, tol, M in zip(answer, exact, tolerance, M_values):
        if abs(value - truth) > tol:
            if value > 0.5 or value > 10 * truth:
                hint = ("is each category weighted by its probability p_k? Counting lost categories, or adding up "
                        "the mass kept, gives far larger numbers")
            else:
                hint = "a category is lost with probability (1 - p_k)^M: check the power"
            raise WrongAnswer(f"for M = {M:.0e} your mass lost is off; {hint}")
    correct("matches sum_k p_k (1 - p_k)^M for every M")
