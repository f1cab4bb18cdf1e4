"""Checkers for chapter 4, breaking the loop (``book/04_breaking_the_loop.md``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import scipy.stats

from .. import laws, loops, montecarlo
from ..validation import RNGLike, as_generator
from . import WrongAnswer, as_answer_array, correct

__all__ = ["check_exponential_family", "check_ratio"]


def check_exponential_family(make_family: Callable, *, rng: RNGLike = 0) -> None:
    """Exercise ``ex-breaking-family``: an exponential ``loops.ModelFamily`` with an exact path.

    The fit must be the maximum-likelihood rate n / sum x. The exact path and sampling must give
    the same law of the rate after five generations of replace (two-sample Kolmogorov-Smirnov
    test on 4,000 replicates each, rejecting below p = 1e-3).
    """
    family = make_family()
    if not isinstance(family, loops.ModelFamily):
        raise WrongAnswer(f"make_family() must return a loops.ModelFamily, got {type(family).__name__}")
    (rate,) = family.fit(family.stats(np.array([[[1.0], [2.0], [3.0]]])))
    if not np.allclose(rate, 0.5):
        raise WrongAnswer("fitted on the data [1, 2, 3], your rate is not the maximum-likelihood rate: "
                          "the MLE of an exponential rate is the count divided by the sum")
    rng = as_generator(rng)
    real = rng.exponential(1.0, size=(200, 1))
    final_rates = [
        loops.run_loop(family, real, scheme="replace", generations=5, synthetic_size=50, replicates=4000,
                       exact=exact, rng=rng).params[0][:, -1]
        for exact in (True, False)
    ]
    pvalue = scipy.stats.ks_2samp(*final_rates).pvalue
    if pvalue < 1e-3:
        raise WrongAnswer(f"the exact path and sampling disagree (KS p = {pvalue:.1e}): is the sum of n exponentials "
                          "with rate r drawn as Gamma with shape n and scale 1/r, and the count n?")
    correct(f"MLE fit; exact path agrees with sampling (KS p = {pvalue:.2f})")


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

    The prediction must be exact; the measurement must be read off the simulation at generation
    t; and the simulation must agree with the prediction within the delta-method standard error of
    the ratio (family-wise z for one comparison).
    """
    predicted = as_answer_array(predicted, (), "one number, the predicted ratio")
    measured = as_answer_array(measured, (), "one number, the measured ratio")
    truth = laws.regression_error_replace(t) / laws.regression_error_accumulate(t)
    if abs(predicted - truth) > 1e-9 * truth:
        hint = "accumulate over replace? The ratio is replace over accumulate" if predicted < 1 else (
            "generation t has had t + 1 fits in all, counting the fit on the real data")
        raise WrongAnswer(f"your predicted ratio is off: {hint}")
    (m_r, se_r), (m_a, se_a) = [(reg_error[s][0][t], reg_error[s][1][t]) for s in ("replace", "accumulate")]
    if abs(measured - m_r / m_a) > 1e-9 * abs(m_r / m_a):
        raise WrongAnswer(f"your measured ratio is not the simulated replace error over the accumulate error at "
                          f"generation {t} (index {t} of the means)")
    relative_se = np.sqrt((se_r / m_r) ** 2 + (se_a / m_a) ** 2)
    try:
        montecarlo.check_agreement({"ratio": (measured, relative_se * measured, truth)}, quiet=True)
    except montecarlo.DisagreementError:
        raise WrongAnswer("the simulation disagrees with the prediction beyond its Monte Carlo error") from None
    correct(f"prediction exact, and the measurement agrees within {relative_se * measured:.2f} (1 SE)")
