"""Checkers for chapter 3, Gaussian collapse (``book/03_gaussian_collapse.md``)."""

from __future__ import annotations

import numpy as np
import scipy.stats

from .. import laws, montecarlo
from . import WrongAnswer, as_answer_array, correct

__all__ = ["check_drifts", "check_precision_example"]


def check_drifts(answer, *, M_values=(5, 10, 20, 50), replicates: int = 20_000, generations=None) -> None:
    """Exercise ``ex-gaussian-measure-drift``: the drift of log sigma^2 per generation, measured.

    ``answer[i]`` is the mean of log sigma_n^2 over ``replicates`` chains at generation
    n = ``generations[i]`` (default 2 M), divided by n. Its standard error follows from the
    step variance psi'(k/2): sqrt(n psi'(k/2) / replicates) / n. All four are compared at once
    with the family-wise tolerance of :func:`collapse_lib.montecarlo.check_agreement`.
    """
    M_values = np.asarray(M_values, dtype=float)
    n = 2 * M_values if generations is None else np.asarray(generations, dtype=float)
    answer = as_answer_array(answer, M_values.shape, f"one drift per M in {M_values.astype(int).tolist()}")
    drift = laws.gaussian_log_variance_drift(M_values)
    se = np.sqrt(n * laws.gaussian_log_variance_step_variance(M_values) / replicates) / n
    try:
        montecarlo.check_agreement({"drift": (answer, se, drift)}, quiet=True)
    except montecarlo.DisagreementError:
        if np.any(answer >= 0):
            hint = "the drift is negative: the variance shrinks. Did you average the variance itself, not its log?"
        elif np.any(np.abs(answer) > 1.5 * np.abs(drift)):
            hint = "too large in size: did you divide by the number of generations?"
        else:
            hint = ("close, but not within the Monte Carlo error: a measurement of log(variance) at generation 2M, "
                    "averaged over chains, divided by 2M (not the 1/M expansion)")
        raise WrongAnswer(hint) from None
    correct("every drift agrees with psi(k/2) + log(2/k) within its SE")


def check_precision_example(answer, *, mean: float = 1.0, sd: float = 0.25) -> None:
    """Exercise ``ex-gaussian-precision-recall``: precision of N(mean, sd^2) against N(0, 1).

    Precision is the model's probability of landing in the real distribution's central 95%
    interval; checked against the normal CDF to 1e-6.
    """
    answer = as_answer_array(answer, (), "one number, the precision")
    z95 = scipy.stats.norm.isf(0.025)
    truth = scipy.stats.norm.cdf(z95, mean, sd) - scipy.stats.norm.cdf(-z95, mean, sd)
    if abs(answer - truth) > 1e-6:
        if not 0 <= answer <= 1:
            hint = "a precision is a probability, between 0 and 1"
        else:
            hint = ("precision is the *model's* probability of landing in the real distribution's central 95% "
                    "interval [-1.96, 1.96] (recall swaps the roles); check the mean and the standard deviation")
        raise WrongAnswer(hint)
    correct(f"precision of N({mean:g}, {sd:g}^2) against N(0, 1)")
