"""Checkers for chapter 4, breaking the loop (``book/04_breaking_the_loop.md``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import scipy.stats

from .. import laws, loops, montecarlo
from ..validation import RNGLike, as_generator
from . import WrongAnswer, as_answer_array, correct, hidden_test_failed, hint_of

__all__ = ["check_exponential_family", "grade_exponential_family", "check_ratio", "grade_ratio"]

#: Each Kolmogorov-Smirnov test of the exponential family rejects below this p-value; with the
#: checker's fixed seed a correct family gets the same verdict on every run.
FAMILY_P_VALUE = 1e-4


def _family_hint(make_family: Callable, rng: RNGLike, rates, n: int, replicates: int = 3000) -> str | None:
    """None when ``make_family()`` is an exponential family fitted by maximum likelihood whose sampler
    and exact path both follow the exponential law with the fitted rate, else a hint."""
    family = make_family()
    if not isinstance(family, loops.ModelFamily):
        return f"make_family() must return a loops.ModelFamily, got {type(family).__name__}"
    (rate,) = family.fit(family.stats(np.array([[[1.0], [2.0], [3.0]]])))
    if not np.allclose(rate, 0.5):
        return ("fitted on the data [1, 2, 3], your rate is not the maximum-likelihood rate: the MLE of an "
                "exponential rate is the count divided by the sum")
    rng = as_generator(rng)
    rates = np.repeat(np.asarray(rates, dtype=float), replicates)
    samples = np.asarray(family.sample((rates,), n, rng), dtype=float)
    if samples.shape != (rates.size, n, 1):
        return f"sample(params, n, rng) must return shape (R, n, 1) = {(rates.size, n, 1)}, got {samples.shape}"
    # Scaled by its rate, an exponential sample is exponential with rate 1, whatever the rate.
    if scipy.stats.kstest((samples[..., 0] * rates[:, None]).ravel(), "expon").pvalue < FAMILY_P_VALUE:
        return ("your samples do not follow the exponential law with the fitted rate r: numpy's exponential "
                "takes the scale 1/r, not the rate")
    if family.sample_stats is not None:
        count, total = (np.asarray(s, dtype=float) for s in family.sample_stats((rates,), n, rng))
        if count.shape != rates.shape or not np.all(count == n):
            return "the exact path's count must be n for every replicate"
        if scipy.stats.kstest(total * rates, "gamma", args=(n,)).pvalue < FAMILY_P_VALUE:
            return ("the exact path's sum does not follow its law: the sum of n exponentials with rate r is "
                    "Gamma with shape n and scale 1/r")
    real = rng.exponential(1.0, size=(200, 1))
    final_rates = [
        loops.run_loop(family, real, scheme="replace", generations=5, synthetic_size=50, replicates=replicates,
                       exact=exact, rng=rng).params[0][:, -1]
        for exact in (True, False)
    ]
    if scipy.stats.ks_2samp(*final_rates).pvalue < FAMILY_P_VALUE:
        return ("after five generations the exact path and sampling disagree: do stats() and sample_stats() "
                "return the same statistics (count, sum)?")
    return None


def check_exponential_family(make_family: Callable, *, rng: RNGLike = 0) -> None:
    """Exercise ``ex-breaking-family``: an exponential ``loops.ModelFamily`` with an exact path.

    The fit must be the maximum-likelihood rate n / sum x; the samples must follow the exponential
    law with the fitted rate, and the exact path's sum the Gamma law (Kolmogorov-Smirnov tests
    against scipy's laws, not against the family itself); and the exact path and sampling must give
    the same law of the rate after five generations of replace (two-sample test, 3,000 replicates).
    """
    hint = _family_hint(make_family, rng, rates=(0.5, 2.0), n=5)
    if hint:
        raise WrongAnswer(hint)
    correct("maximum-likelihood fit; samples and exact path follow the exponential law")


def grade_exponential_family(make_family: Callable, *, rng: RNGLike = 0) -> None:
    """Hidden test of ``ex-breaking-family``: the same tests at other rates, sample sizes and seed."""
    hidden_rng = np.random.default_rng([as_generator(rng).integers(2**32), 2024])
    if hint_of(_family_hint, make_family, hidden_rng, rates=(0.2, 1.0, 4.0), n=9):
        raise hidden_test_failed("ex-breaking-family", "the family is not the exponential law fitted by maximum "
                                 "likelihood at every rate tested")


#: The solution prints both ratios with two decimals: values typed from it are accepted.
RATIO_TOLERANCE = 0.0051


def _ratio_hint(predicted, measured, reg_error: Mapping, t: int) -> str | None:
    predicted = as_answer_array(predicted, (), "one number, the predicted ratio")
    measured = as_answer_array(measured, (), "one number, the measured ratio")
    truth = laws.regression_error_replace(t) / laws.regression_error_accumulate(t)
    if abs(predicted - truth) > RATIO_TOLERANCE:
        if predicted < 1:
            hint = "it is below 1: the ratio is the replace error over the accumulate error"
        elif abs(predicted - t / (np.pi**2 / 6)) < RATIO_TOLERANCE or abs(predicted - (t + 1) / (np.pi**2 / 6)) < \
                RATIO_TOLERANCE:
            hint = "that uses the limit pi^2/6; at a finite generation the accumulate error is a partial sum"
        elif predicted < truth:
            hint = "too small: generation t has had t + 1 fits in all, counting the fit on the real data"
        else:
            hint = "too large: generation t has had t + 1 fits in all, not more"
        return f"your predicted ratio is off: {hint}"
    try:
        (m_r, se_r), (m_a, se_a) = [(float(reg_error[s][0][t]), float(reg_error[s][1][t]))
                                    for s in ("replace", "accumulate")]
    except (KeyError, IndexError, TypeError):
        return (f"reg_error must be {{'replace': (means, ses), 'accumulate': (means, ses)}} with at least "
                f"{t + 1} generations")
    if abs(measured - m_r / m_a) > RATIO_TOLERANCE:
        return (f"your measured ratio is not the simulated replace error over the accumulate error at "
                f"generation {t} (index {t} of the means)")
    relative_se = np.sqrt((se_r / m_r) ** 2 + (se_a / m_a) ** 2)
    try:
        montecarlo.check_agreement({"ratio": (m_r / m_a, relative_se * m_r / m_a, truth)}, quiet=True)
    except montecarlo.DisagreementError:
        return "the simulation disagrees with the prediction beyond its Monte Carlo error"
    return None


def check_ratio(predicted, measured, reg_error: Mapping, *, t: int = 20) -> None:
    """Exercise ``ex-breaking-ratio``: the replace/accumulate error ratio at generation ``t``.

    Parameters
    ----------
    predicted : float
        The ratio of the two laws at generation t.
    measured : float
        The ratio of the simulated mean errors at generation t.
    reg_error : dict
        ``{"replace": (means, ses), "accumulate": (means, ses)}``, the simulated mean errors by
        generation and their standard errors.

    The prediction must be exact and the measurement read off the simulation at generation t
    (both to the two decimals the solution prints); and the simulation must agree with the
    prediction within the delta-method standard error of the ratio (family-wise z for one
    comparison).
    """
    hint = _ratio_hint(predicted, measured, reg_error, t)
    if hint:
        raise WrongAnswer(hint)
    correct("prediction exact, and your measurement agrees with it within its Monte Carlo error")


def grade_ratio(predicted, measured, reg_error: Mapping, *, t: int = 20) -> None:
    """Hidden test of ``ex-breaking-ratio``: the same comparisons (two numbers have nothing more to hide)."""
    if hint_of(_ratio_hint, predicted, measured, reg_error, t):
        raise hidden_test_failed("ex-breaking-ratio", "the predicted or the measured ratio is not accepted")
