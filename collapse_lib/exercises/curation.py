"""Checkers for chapter 7, curation and verification (``book/07_curation_and_verification.md``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import laws
from . import WrongAnswer, correct, hidden_test_failed, hint_of

__all__ = ["check_best_of_k_moments", "grade_best_of_k_moments", "check_verified_limit_error",
           "grade_verified_limit_error"]

# --------------------------------------------------------------------------- ex-curation-best-of-k
#: The candidate counts the exercise prints, and hidden ones (odd, large).
BEST_OF_K_VISIBLE = (1, 2, 4, 16, 256)
BEST_OF_K_HIDDEN = (3, 7, 50, 1000)
#: Quadrature of the solution is good to about 1e-10; the tolerance allows a coarser but correct one.
BEST_OF_K_RTOL = 1e-4


def _pair(function, k) -> tuple[float, float] | str:
    try:
        answer = function(k)
    except WrongAnswer:
        raise
    except Exception as error:  # the student's function failed: say where, not how to fix it
        return f"your function raised {type(error).__name__} for k = {k}"
    try:
        mean, variance = (float(v) for v in answer)
    except (TypeError, ValueError):
        raise WrongAnswer(f"for k = {k} your function should return two numbers, (mean, variance)") from None
    if not (np.isfinite(mean) and np.isfinite(variance)):
        return f"for k = {k} your function returned a NaN or an infinity"
    return mean, variance


def _best_of_k_hint(function, ks) -> str | None:
    if not callable(function):
        raise WrongAnswer("expected a function best_of_k_moments(k) returning (mean, variance)")
    for k in ks:
        answer = _pair(function, k)
        if isinstance(answer, str):
            return answer
        mean, variance = answer
        true_mean, true_variance = laws.kept_normal_moments("best_of_k", k)
        close = np.isclose([mean, variance], [true_mean, true_variance], rtol=BEST_OF_K_RTOL, atol=1e-7)
        if close.all():
            continue
        if k > 1 and close[0] and np.isclose(variance, np.sqrt(true_variance), rtol=BEST_OF_K_RTOL):
            return f"for k = {k}: that is the standard deviation; the exercise asks for the variance"
        if k > 1 and close[0] and np.isclose(variance, true_variance + true_mean**2, rtol=BEST_OF_K_RTOL):
            return f"for k = {k}: your variance is the second moment E[X^2]; subtract the squared mean"
        if k > 1 and not close[0] and np.isclose(mean, laws.kept_normal_moments("best_of_k", k + 1)[0],
                                                 rtol=BEST_OF_K_RTOL):
            return (f"for k = {k}: your mean is that of the best of k + 1: the density of the largest of k draws "
                    "is the derivative of Phi(x)^k, k phi(x) Phi(x)^(k-1)")
        if not close[0]:
            return (f"for k = {k}: your mean is off: integrate x k phi(x) Phi(x)^(k-1) over the whole line (the "
                    "largest of k draws lies further right as k grows: widen the range)")
        return f"for k = {k}: your variance is off: E[X^2] - E[X]^2 with the same density"
    return None


def check_best_of_k_moments(function: Callable) -> None:
    """Exercise ``ex-curation-best-of-k``: the mean and variance of the largest of k standard normals."""
    hint = _best_of_k_hint(function, BEST_OF_K_VISIBLE)
    if hint:
        raise WrongAnswer(hint)
    correct("the mean and variance of the best of k match for every k")


def grade_best_of_k_moments(function: Callable) -> None:
    """Hidden test of ``ex-curation-best-of-k``: the same for counts the student has not printed."""
    if hint_of(_best_of_k_hint, function, BEST_OF_K_VISIBLE + BEST_OF_K_HIDDEN):
        raise hidden_test_failed("ex-curation-best-of-k", "the moments are wrong for some k")


# --------------------------------------------------------------------------- ex-curation-verifier
#: (signal, generator angle in radians): the chapter's task, and hidden ones.
VERIFIER_VISIBLE = ((1.5, np.radians(70)),)
VERIFIER_HIDDEN = ((1.0, np.radians(40)), (2.5, np.radians(80)), (0.7, 0.1))
#: Verifier accuracies at which the function is evaluated (with an array and one by one).
VERIFIER_ACCURACIES = (0.0, 0.2, 0.5, 0.75, 0.9, 1.0)
VERIFIER_ATOL = 1e-6


def _verifier_hint(function, cases) -> str | None:
    if not callable(function):
        raise WrongAnswer("expected a function limit_error(a, signal, angle)")
    accuracies = np.array(VERIFIER_ACCURACIES)
    for signal, angle in cases:
        truth = laws.verified_limit_error(accuracies, signal, angle)
        answer = []
        for a in accuracies:
            try:
                answer.append(float(function(float(a), signal, angle)))
            except WrongAnswer:
                raise
            except Exception as error:
                return f"your function raised {type(error).__name__} for a = {a}, signal {signal}"
        answer = np.array(answer)
        where = f"signal {signal}, angle {angle:.3f} rad"
        if not np.all(np.isfinite(answer)):
            return f"{where}: your function returned a NaN or an infinity"
        if np.allclose(answer, truth, atol=VERIFIER_ATOL):
            continue
        eps = _normal_cdf(-signal * np.cos(angle))  # the generator's error
        bayes = _normal_cdf(-signal)
        no_pull = np.where(accuracies > eps, bayes, 1 - bayes)
        if np.allclose(answer, no_pull, atol=VERIFIER_ATOL):
            return (f"{where}: your limit has no pull towards the generator's direction: the kept examples are not "
                    "a random subset of inputs (the generator errs near its own boundary), so E[label x] has a w_g term")
        if np.allclose(answer, laws.verified_limit_error(accuracies, signal, np.radians(angle)), atol=VERIFIER_ATOL):
            return f"{where}: the angle is already in radians"
        return (f"{where}: your limit error is off: find the direction of E[kept label x] (along mu and across "
                "it) and the error of the classifier with that direction")
    return None


def _normal_cdf(x: float) -> float:
    import scipy.special

    return float(scipy.special.ndtr(x))


def check_verified_limit_error(function: Callable) -> None:
    """Exercise ``ex-curation-verifier``: the error of a learner trained on unlimited verified synthetic data."""
    hint = _verifier_hint(function, VERIFIER_VISIBLE)
    if hint:
        raise WrongAnswer(hint)
    correct("the limit error matches at every verifier accuracy")


def grade_verified_limit_error(function: Callable) -> None:
    """Hidden test of ``ex-curation-verifier``: other signals and generators (good, bad, nearly perfect)."""
    if hint_of(_verifier_hint, function, VERIFIER_VISIBLE + VERIFIER_HIDDEN):
        raise hidden_test_failed("ex-curation-verifier", "the limit error is wrong for some task")
