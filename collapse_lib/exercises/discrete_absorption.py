"""Checkers for chapter 2, collapse as absorption (``book/02_discrete_absorption.md``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import data, laws, montecarlo
from . import WrongAnswer, as_answer_array, correct

__all__ = ["check_expected_support", "check_half_lives"]

#: The cases every expected-support function is checked on: (p, M, t).
SUPPORT_CASES = (
    (data.zipf(8, 1.0), 10, 1),
    (data.zipf(8, 1.0), 10, 12),
    (np.array([0.5, 0.3, 0.2]), 6, 5),
)


def check_expected_support(func: Callable) -> None:
    """Exercise ``ex-discrete-support``: ``func(p, M, t)`` returns the expected support size.

    Checked against the exact value on three cases (to 1e-8 relative).
    """
    if not callable(func):
        raise WrongAnswer(f"pass your function itself, e.g. check_expected_support(my_expected_support), "
                          f"not {type(func).__name__}")
    for p, M, t in SUPPORT_CASES:
        answer = as_answer_array(func(p, M, t), (), f"one number for p={np.round(p, 3).tolist()}, M={M}, t={t}")
        truth = laws.expected_support(p, M, t)[t]
        if abs(answer - truth) > 1e-8 * truth:
            if answer > truth:
                hint = ("too large: did you start from generation 0 instead of the binomial law of generation 1, "
                        "or apply P one time too few?")
            else:
                hint = "too small: did you apply P t times instead of t - 1, or count lost categories?"
            raise WrongAnswer(f"p={np.round(p, 3).tolist()}, M={M}, t={t}: {hint}")
    correct("your expected support is exact in all three cases")


def check_half_lives(half_lives, heterozygosity_runs: Sequence, M_values=(20, 40, 80, 160)) -> None:
    """Exercise ``ex-discrete-half-life``: measured half-lives of the mean heterozygosity.

    Parameters
    ----------
    half_lives : sequence of int
        For each M, the first generation at which the mean heterozygosity is below half its
        value at generation 0.
    heterozygosity_runs : sequence of arrays
        For each M, the simulated heterozygosity, shape (chains, generations + 1).
    M_values : sequence of int

    The half-lives must be read correctly off the simulation (exactly), and the simulation must
    agree with E[H_t] = H_0 (1 - 1/M)^t within its own standard errors (family-wise).
    """
    M_values = tuple(int(M) for M in M_values)
    half_lives = as_answer_array(half_lives, (len(M_values),), f"one half-life per M in {list(M_values)}")
    if len(heterozygosity_runs) != len(M_values):
        raise WrongAnswer(f"give one array of heterozygosity runs per M in {list(M_values)}")
    for M, answer, runs in zip(M_values, half_lives, heterozygosity_runs):
        runs = np.asarray(runs, dtype=float)
        if runs.ndim != 2 or runs.shape[0] < 2:
            raise WrongAnswer(f"M = {M}: the runs must have shape (chains, generations + 1), got {runs.shape}")
        mean, se = montecarlo.mean_and_se(runs, axis=0)
        theory = laws.expected_heterozygosity(mean[0], M, np.arange(runs.shape[1]))
        try:
            montecarlo.check_agreement({"heterozygosity": (mean[1:], se[1:], theory[1:])}, quiet=True)
        except montecarlo.DisagreementError:
            raise WrongAnswer(f"M = {M}: your simulated mean heterozygosity does not decay like H_0 (1 - 1/M)^t; "
                              "did you simulate with this M, and average H over chains?") from None
        below = np.flatnonzero(mean < mean[0] / 2)
        if below.size == 0:
            raise WrongAnswer(f"M = {M}: your runs never fall below half; simulate more generations")
        if answer != below[0]:
            direction = "later" if answer > below[0] else "earlier"
            raise WrongAnswer(f"M = {M}: your half-life is {direction} than the first generation at which your mean "
                              "path is below half of generation 0 (count generations from 0)")
    correct("half-lives read off a simulation that agrees with theory")
