"""Family-wise error control for the library's statistical tests.

A statistical test collects every comparison it makes (Monte Carlo means against a law, and
p-values of distribution tests such as Kolmogorov-Smirnov or chi-square) in one :class:`Family`
and checks them together with a Bonferroni bound: each of the m comparisons must have a p-value
above ``FALSE_ALARM / m``. A correct implementation then fails a test with probability at most
``FALSE_ALARM`` however many comparisons the test makes, so no test passes only by a lucky seed.

Run the statistical tests on other seeds with ``pytest -m library --seed-offset N`` (every
seed in these tests is shifted by N); ``--family-wise-report`` prints each test's margin: its
smallest p-value divided by the Bonferroni threshold (a test fails below 1).
"""

from __future__ import annotations

import os

import numpy as np
import scipy.stats

#: Largest probability that a correct implementation fails one test (whatever its comparisons).
FALSE_ALARM = 1e-4

#: (test, margin, worst comparison) of every family checked in this session, for the report.
MARGINS: list[tuple[str, float, str]] = []


def variance_and_se(x: np.ndarray) -> tuple[float, float]:
    """Sample variance of ``x`` and its standard error, sqrt((m4 - var^2) / n) (m4: the fourth central moment)."""
    x = np.asarray(x, dtype=float)
    centred = x - x.mean()
    variance = centred.var(ddof=1)
    return variance, float(np.sqrt((np.mean(centred**4) - variance**2) / x.size))


class Family:
    """The comparisons of one test, checked together by :meth:`check`."""

    def __init__(self, false_alarm: float = FALSE_ALARM):
        self.false_alarm = false_alarm
        self.pvalues: dict[str, np.ndarray] = {}

    def agree(self, name: str, estimate, se, theory) -> Family:
        """Monte Carlo estimates with standard errors against the law's values (two-sided z-tests)."""
        estimate, se, theory = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (estimate, se, theory)))
        assert np.all(se > 0), f"{name}: a standard error is not positive, so the comparison would be vacuous"
        self.pvalues[name] = 2 * scipy.stats.norm.sf(np.abs(estimate - theory) / se)
        return self

    def same_law(self, name: str, pvalue: float) -> Family:
        """The p-value of a test that two samples (or a sample and a law) have the same distribution."""
        self.pvalues[name] = np.asarray(pvalue, dtype=float)
        return self

    def check(self) -> None:
        """Fail unless every p-value is above FALSE_ALARM / (number of comparisons)."""
        m = sum(p.size for p in self.pvalues.values())
        threshold = self.false_alarm / m
        name, worst = min(((n, float(p.min())) for n, p in self.pvalues.items()), key=lambda item: item[1])
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        MARGINS.append((test, worst / threshold, name))
        assert worst > threshold, (
            f"{name}: p = {worst:.2e} is below the family-wise threshold {self.false_alarm:g} / {m} = {threshold:.2e}"
        )
