"""Checkers for chapter 2, collapse as absorption (``book/02_discrete_absorption.md``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import data, laws, metrics, montecarlo
from . import WrongAnswer, as_answer_array, correct, hidden_test_failed, hint_of

__all__ = ["check_expected_support", "grade_expected_support", "check_half_lives", "grade_half_lives"]

#: The cases the visible check runs an expected-support function on: (p, M, t).
SUPPORT_CASES = (
    (data.zipf(8, 1.0), 10, 1),
    (data.zipf(8, 1.0), 10, 12),
    (np.array([0.5, 0.3, 0.2]), 6, 5),
)
#: More cases for the hidden test (a function that special-cases the visible ones fails them).
HIDDEN_SUPPORT_CASES = (
    (data.zipf(20, 1.3), 15, 7),
    (np.array([0.7, 0.2, 0.1]), 5, 3),
    (np.array([0.25, 0.25, 0.25, 0.25]), 9, 2),
)
#: The exercise's distribution and number of chains for the half-life.
HALF_LIFE_P, HALF_LIFE_CHAINS = data.zipf(10, 1.0), 2000


def _support_hint(func, cases) -> str | None:
    if not callable(func):
        return (f"pass your function itself, e.g. check_expected_support(my_expected_support), "
                f"not {type(func).__name__}")
    for p, M, t in cases:
        answer = as_answer_array(func(p, M, t), (), f"one number for p={np.round(p, 3).tolist()}, M={M}, t={t}")
        truth = laws.expected_support(p, M, t)[t]
        if abs(answer - truth) > 1e-8 * truth:
            if answer > truth:
                hint = ("too large: did you start from generation 0 instead of the binomial law of generation 1, "
                        "or apply P one time too few?")
            else:
                hint = "too small: did you apply P t times instead of t - 1, or count lost categories?"
            return f"p={np.round(p, 3).tolist()}, M={M}, t={t}: {hint}"
    return None


def check_expected_support(func: Callable) -> None:
    """Exercise ``ex-discrete-support``: ``func(p, M, t)`` returns the expected support size.

    Checked against the exact value on three cases (to 1e-8 relative).
    """
    hint = _support_hint(func, SUPPORT_CASES)
    if hint:
        raise WrongAnswer(hint)
    correct("your expected support is exact in all three cases")


def grade_expected_support(func: Callable) -> None:
    """Hidden test of ``ex-discrete-support``: exact on the visible cases and three more."""
    if hint_of(_support_hint, func, SUPPORT_CASES + HIDDEN_SUPPORT_CASES):
        raise hidden_test_failed("ex-discrete-support", "the function is not exact on every case")


def _half_life_hint(half_lives, heterozygosity_runs, M_values) -> str | None:
    M_values = tuple(int(M) for M in M_values)
    half_lives = as_answer_array(half_lives, (len(M_values),), f"one half-life per M in {list(M_values)}")
    if len(heterozygosity_runs) != len(M_values):
        return f"give one array of heterozygosity runs per M in {list(M_values)}"
    for M, answer, runs in zip(M_values, half_lives, heterozygosity_runs):
        runs = np.asarray(runs, dtype=float)
        if runs.ndim != 2 or runs.shape[0] < 2:
            return f"M = {M}: the runs must have shape (chains, generations + 1), got {runs.shape}"
        mean, se = montecarlo.mean_and_se(runs, axis=0)
        theory = laws.expected_heterozygosity(mean[0], M, np.arange(runs.shape[1]))
        try:
            montecarlo.check_agreement({"heterozygosity": (mean[1:], se[1:], theory[1:])}, quiet=True)
        except montecarlo.DisagreementError:
            return (f"M = {M}: your simulated mean heterozygosity does not decay like H_0 (1 - 1/M)^t; "
                    "did you simulate with this M, and average H over chains?")
        below = np.flatnonzero(mean < mean[0] / 2)
        if below.size == 0:
            return f"M = {M}: your runs never fall below half; simulate more generations"
        if answer != below[0]:
            direction = "later" if answer > below[0] else "earlier"
            return (f"M = {M}: your half-life is {direction} than the first generation at which your mean path "
                    "is below half of generation 0 (count generations from 0, and read it off your own runs, "
                    "not off the formula)")
    return None


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
    hint = _half_life_hint(half_lives, heterozygosity_runs, M_values)
    if hint:
        raise WrongAnswer(hint)
    correct("half-lives read off a simulation that agrees with theory")


def grade_half_lives(half_lives, heterozygosity_runs: Sequence, M_values=(20, 40, 80, 160)) -> None:
    """Hidden test of ``ex-discrete-half-life``: the visible comparisons, plus the exercise's set-up:
    every chain starts from the Zipf distribution with K = 10 and there are 2,000 chains per M."""
    if hint_of(_half_life_hint, half_lives, heterozygosity_runs, M_values):
        raise hidden_test_failed("ex-discrete-half-life", "the half-lives are not read off a simulation that "
                                 "agrees with theory")
    start = float(metrics.heterozygosity(HALF_LIFE_P))
    for M, runs in zip(M_values, heterozygosity_runs):
        runs = np.asarray(runs, dtype=float)
        if not np.allclose(runs[:, 0], start, rtol=1e-9):
            raise hidden_test_failed("ex-discrete-half-life", f"M = {M}: the chains do not start from the Zipf "
                                     "distribution with K = 10 and s = 1")
        if runs.shape[0] != HALF_LIFE_CHAINS:
            raise hidden_test_failed("ex-discrete-half-life", f"M = {M}: {runs.shape[0]} chains, not "
                                     f"{HALF_LIFE_CHAINS}")
