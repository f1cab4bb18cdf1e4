"""Checkers for chapter 3, Gaussian collapse (``book/03_gaussian_collapse.md``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.stats

from .. import laws, montecarlo
from . import WrongAnswer, as_answer_array, correct, hidden_test_failed, hint_of

__all__ = ["check_drifts", "grade_drifts", "check_precision_example", "grade_precision_example"]

#: The solution prints the drifts with five decimals: values typed from it are accepted.
DRIFT_DECIMALS = 5
#: Fewer chains than this cannot tell the drift from its 1/M expansion.
MIN_DRIFT_CHAINS = 1000


def _drift_inputs(measured_drifts, final_log_variances, M_values):
    M_values = np.asarray(M_values, dtype=float)
    answer = as_answer_array(measured_drifts, M_values.shape,
                             f"one drift per M in {M_values.astype(int).tolist()}")
    if len(final_log_variances) != M_values.size:
        raise WrongAnswer(f"give one array of log sigma^2 at generation 2M (one value per chain) per M in "
                          f"{M_values.astype(int).tolist()}")
    runs = []
    for M, values in zip(M_values, final_log_variances):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size < MIN_DRIFT_CHAINS or not np.all(np.isfinite(values)):
            raise WrongAnswer(f"M = {M:.0f}: final_log_variances needs one finite log sigma^2 per chain, at least "
                              f"{MIN_DRIFT_CHAINS} chains (got shape {values.shape})")
        runs.append(values)
    return M_values, answer, runs


def _drift_hint(measured_drifts, final_log_variances, M_values) -> str | None:
    M_values, answer, runs = _drift_inputs(measured_drifts, final_log_variances, M_values)
    n = 2 * M_values
    read_off = np.array([values.mean() for values in runs]) / n
    for M, value, own in zip(M_values, answer, read_off):
        if abs(value - own) > 0.51 * 10.0 ** -DRIFT_DECIMALS:
            if abs(value - own) < 0.02 * abs(own):
                return (f"M = {M:.0f}: your drift is close to, but not, the mean of your final log sigma^2 divided "
                        f"by 2M: store the value computed from your runs (not a formula's value, and not rounded "
                        f"to fewer than {DRIFT_DECIMALS} decimals)")
            return (f"M = {M:.0f}: your drift is not the mean of your final log sigma^2 divided by 2M; measure it "
                    "from your own simulation (the formula's value is not a measurement)")
    drift = laws.gaussian_log_variance_drift(M_values)
    se = np.array([values.std(ddof=1) / np.sqrt(values.size) for values in runs]) / n + 1e-12
    try:
        montecarlo.check_agreement({"drift": (read_off, se, drift)}, quiet=True)
    except montecarlo.DisagreementError:
        if np.any(read_off >= 0):
            return "the drift is negative: the variance shrinks. Did you store log(variance), not the variance?"
        if np.any(np.abs(read_off) > 1.5 * np.abs(drift)):
            return "your log variances fall too fast: did you run 2M generations, starting from sigma_0 = 1?"
        return ("your simulation disagrees with the drift beyond its Monte Carlo error: did you run 2M "
                "generations of M samples, starting from sigma_0 = 1, and take log sigma^2 at the last one?")
    return None


def check_drifts(measured_drifts, final_log_variances: Sequence, *, M_values=(5, 10, 20, 50)) -> None:
    """Exercise ``ex-gaussian-measure-drift``: the drift of log sigma^2 per generation, measured.

    Parameters
    ----------
    measured_drifts : sequence of float
        For each M, the mean over chains of log sigma_n^2 at generation n = 2M, divided by n.
    final_log_variances : sequence of arrays
        For each M, log sigma_n^2 at n = 2M, one value per chain (at least 1,000 chains).
    M_values : sequence of int

    Each drift must be read off the student's own runs (to the five decimals the solution prints),
    and the runs must agree with psi(k/2) + log(2/M) per generation within their own standard
    errors (family-wise over the four values of M).
    """
    hint = _drift_hint(measured_drifts, final_log_variances, M_values)
    if hint:
        raise WrongAnswer(hint)
    correct("every drift is read off your runs and agrees with psi(k/2) + log(2/M) within its SE")


def grade_drifts(measured_drifts, final_log_variances: Sequence, *, M_values=(5, 10, 20, 50)) -> None:
    """Hidden test of ``ex-gaussian-measure-drift``: the visible comparisons, plus the spread of the
    runs. log sigma_n^2 is a sum of n independent steps of variance psi'(k/2), so its variance
    across chains must be n psi'(k/2) within the standard error of a sample variance; values made
    up around the formula's mean fail this."""
    if hint_of(_drift_hint, measured_drifts, final_log_variances, M_values):
        raise hidden_test_failed("ex-gaussian-measure-drift", "the drifts are not read off runs that agree "
                                 "with theory")
    M_values, _, runs = _drift_inputs(measured_drifts, final_log_variances, M_values)
    n = 2 * M_values
    variance = np.array([values.var(ddof=1) for values in runs])
    fourth = np.array([np.mean((values - values.mean()) ** 4) for values in runs])
    sizes = np.array([values.size for values in runs])
    se = np.sqrt(np.maximum(fourth - variance**2, 0) / sizes) + 1e-12
    try:
        montecarlo.check_agreement(
            {"spread": (variance, se, n * laws.gaussian_log_variance_step_variance(M_values))}, quiet=True)
    except montecarlo.DisagreementError:
        raise hidden_test_failed("ex-gaussian-measure-drift", "the spread of log sigma^2 across chains is not "
                                 "that of 2M generations of refitting") from None


#: The answer may be typed from a printout with three decimals.
PRECISION_TOLERANCE = 5e-4


def _precision_hint(answer, mean, sd) -> str | None:
    answer = as_answer_array(answer, (), "one number, the precision")
    z95 = scipy.stats.norm.isf(0.025)
    truth = scipy.stats.norm.cdf(z95, mean, sd) - scipy.stats.norm.cdf(-z95, mean, sd)
    if abs(answer - truth) > PRECISION_TOLERANCE:
        if not 0 <= answer <= 1:
            return "a precision is a probability, between 0 and 1"
        return ("precision is the *model's* probability of landing in the real distribution's central 95% "
                "interval [-1.96, 1.96] (recall swaps the roles); check the mean and the standard deviation")
    return None


def check_precision_example(answer, *, mean: float = 1.0, sd: float = 0.25) -> None:
    """Exercise ``ex-gaussian-precision-recall``: precision of N(mean, sd^2) against N(0, 1).

    Precision is the model's probability of landing in the real distribution's central 95%
    interval; checked against the normal CDF to 5e-4 (three decimals).
    """
    hint = _precision_hint(answer, mean, sd)
    if hint:
        raise WrongAnswer(hint)
    correct(f"precision of N({mean:g}, {sd:g}^2) against N(0, 1)")


def grade_precision_example(answer, *, mean: float = 1.0, sd: float = 0.25) -> None:
    """Hidden test of ``ex-gaussian-precision-recall``: the same comparison with the normal CDF."""
    if hint_of(_precision_hint, answer, mean, sd):
        raise hidden_test_failed("ex-gaussian-precision-recall", "not the model's probability of the real "
                                 "distribution's central 95% interval")
