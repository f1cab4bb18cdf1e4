"""Checkers for chapter 6, expressivity and approximation (``book/06_expressivity_and_approximation.md``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import laws, mixtures, montecarlo
from . import WrongAnswer, as_answer_array, correct, hidden_test_failed, hint_of

__all__ = ["check_best_gaussian_w2", "grade_best_gaussian_w2", "check_kde_growth", "grade_kde_growth"]

# --------------------------------------------------------------------------- ex-expressivity-best-gaussian
#: The visible cases: symmetric mixtures 1/2 N(-a, 1) + 1/2 N(a, 1).
BEST_GAUSSIAN_VISIBLE = tuple(([0.5, 0.5], [-a, a], [1.0, 1.0]) for a in (0.5, 1.0, 2.0, 3.0))
#: Hidden cases: unequal weights, widths and three components.
BEST_GAUSSIAN_HIDDEN = (
    ([0.7, 0.3], [-2.0, 2.0], [1.0, 1.0]),
    ([0.9, 0.1], [0.0, 5.0], [1.0, 0.5]),
    ([0.2, 0.5, 0.3], [-4.0, 0.0, 3.0], [0.5, 1.5, 1.0]),
    ([1.0], [3.0], [2.0]),
)
#: Relative tolerance: the solution prints three significant digits; quadrature is far better.
BEST_GAUSSIAN_RTOL = 5e-3


def _best_gaussian_hint(function, cases) -> str | None:
    if not callable(function):
        raise WrongAnswer("expected a function best_gaussian_w2(weights, means, sds) returning one number")
    for weights, means, sds in cases:
        try:
            value = float(function(np.array(weights), np.array(means), np.array(sds)))
        except WrongAnswer:
            raise
        except Exception as error:  # the student's function failed: say where, not how to fix it
            return f"your function raised {type(error).__name__} for weights {weights}, means {means}, sds {sds}"
        truth = laws.mixture_best_gaussian_w2(weights, means, sds)
        m, v = laws.mixture_best_gaussian(weights, means, sds)
        if not np.isfinite(value):
            return f"your function returned {value} for means {means}"
        if abs(value - truth) > BEST_GAUSSIAN_RTOL * truth + 1e-6:
            if truth > 1e-3 and abs(value - truth**2) <= BEST_GAUSSIAN_RTOL * truth**2:
                return f"for means {means}: that is W2 squared; the exercise asks for the distance W2"
            if abs(value) < 1e-6:
                return (f"for means {means}: your distance is zero, as if the mixture were Gaussian: kappa equals "
                        "sqrt(v) only for a Gaussian, so compute kappa by quadrature")
            if value > np.sqrt(2 * v) + 1e-9:
                return (f"for means {means}: your distance is larger than sqrt(2 v) (kappa >= 0 here): check the "
                        "variance v of the best Gaussian, v = sum w_k (s_k^2 + mu_k^2) - m^2")
            return (f"for means {means}: your distance is off: W2^2 = 2 v - 2 sqrt(v) kappa, with m, v the "
                    "mixture's mean and variance and kappa the integral of x Phi^-1(F(x)) f(x)")
    return None


def check_best_gaussian_w2(function: Callable) -> None:
    """Exercise ``ex-expressivity-best-gaussian``: W2 between a mixture and its best Gaussian, as a function."""
    hint = _best_gaussian_hint(function, BEST_GAUSSIAN_VISIBLE)
    if hint:
        raise WrongAnswer(hint)
    correct("W2 to the best Gaussian matches, for every symmetric mixture")


def grade_best_gaussian_w2(function: Callable) -> None:
    """Hidden test of ``ex-expressivity-best-gaussian``: the same on mixtures the student has not seen
    (unequal weights and widths, three components, one Gaussian)."""
    if hint_of(_best_gaussian_hint, function, BEST_GAUSSIAN_VISIBLE + BEST_GAUSSIAN_HIDDEN):
        raise hidden_test_failed("ex-expressivity-best-gaussian", "the function is wrong on some mixture")


# --------------------------------------------------------------------------- ex-expressivity-silverman
#: The solution prints the growth factors with four decimals: values typed from it are accepted.
GROWTH_DECIMALS = 4
#: Fewer runs than this cannot separate Silverman's factor from Scott's at n = 500.
MIN_GROWTH_RUNS = 2000


def _growth_inputs(measured_growth, variance_ratios, n_values, generations):
    n_values = np.asarray(n_values, dtype=int)
    answer = as_answer_array(measured_growth, n_values.shape, f"one growth factor per n in {n_values.tolist()}")
    if len(variance_ratios) != n_values.size:
        raise WrongAnswer(f"give one array of S_t^2 / S_0^2 at generation {generations} (one value per run) per n "
                          f"in {n_values.tolist()}")
    runs = []
    for n, values in zip(n_values, variance_ratios):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size < MIN_GROWTH_RUNS or not np.all(np.isfinite(values)):
            raise WrongAnswer(f"n = {n}: variance_ratios needs one finite S_t^2 / S_0^2 per run, at least "
                              f"{MIN_GROWTH_RUNS} runs (got shape {values.shape})")
        runs.append(values)
    return n_values, answer, runs


def _growth_hint(measured_growth, variance_ratios, n_values, generations) -> str | None:
    n_values, answer, runs = _growth_inputs(measured_growth, variance_ratios, n_values, generations)
    read_off = np.array([values.mean() ** (1 / generations) for values in runs])
    for n, value, own in zip(n_values, answer, read_off):
        if abs(value - own) > 0.51 * 10.0**-GROWTH_DECIMALS:
            return (f"n = {n}: your growth factor is not the mean of your variance ratios to the power "
                    f"1/{generations}: measure it from your own runs")
    truth = laws.kde_variance_factor(n_values, "silverman") ** generations
    means = np.array([values.mean() for values in runs])
    se = np.array([values.std(ddof=1) / np.sqrt(values.size) for values in runs])
    try:
        montecarlo.check_agreement({"E[S_t^2] / S_0^2": (means, se, truth)}, quiet=True)
    except montecarlo.DisagreementError:
        if np.all(means < 1):
            return "your variances shrink: a kernel density estimate refitted to its samples adds the kernel's variance"
        scott = laws.kde_variance_factor(n_values, "scott") ** generations
        if np.all(np.abs(means - scott) < 4 * se + 1e-12):
            return "your runs agree with Scott's rule, not Silverman's: pass bandwidth='silverman'"
        return (f"your runs disagree with a Silverman-rule kernel density loop beyond their Monte Carlo error: did "
                f"you run {generations} generations and divide each final sample variance by the first one?")
    return None


def check_kde_growth(measured_growth, variance_ratios: Sequence, *, n_values=(20, 100, 500), generations: int = 20
                     ) -> None:
    """Exercise ``ex-expressivity-silverman``: the growth factor of the spread under Silverman's rule."""
    hint = _growth_hint(measured_growth, variance_ratios, n_values, generations)
    if hint:
        raise WrongAnswer(hint)
    correct("growth factors match your runs, and the runs Silverman's rule")


def grade_kde_growth(measured_growth, variance_ratios: Sequence, *, n_values=(20, 100, 500), generations: int = 20
                     ) -> None:
    """Hidden test of ``ex-expressivity-silverman``: the visible comparisons, and runs that look simulated:
    the spread of each array of ratios must match that of the checker's own loop (made-up or copied
    numbers do not)."""
    if hint_of(_growth_hint, measured_growth, variance_ratios, n_values, generations):
        raise hidden_test_failed("ex-expressivity-silverman", "the growth factors or the runs are wrong")
    _, _, runs = _growth_inputs(measured_growth, variance_ratios, n_values, generations)
    for n, values in zip(n_values, runs):
        start = np.random.default_rng(n).standard_normal(n)
        reference = mixtures.kde_loop(start, generations, bandwidth="silverman", replicates=MIN_GROWTH_RUNS,
                                      rng=n + 1).var(axis=2, ddof=1)
        reference = reference[:, -1] / reference[:, 0]
        ratio = np.log(values).std() / np.log(reference).std()
        if not 0.8 < ratio < 1.25:
            raise hidden_test_failed("ex-expressivity-silverman", f"the runs for n = {n} do not spread as a "
                                     "simulation's do")
