"""collapse_lib.laws against independent computations, and the agreement check of collapse_lib.montecarlo."""

import numpy as np
import pytest
import scipy.special
import scipy.stats

from collapse_lib import laws
from collapse_lib.montecarlo import (
    DisagreementError,
    check_agreement,
    check_disagreement,
    check_larger,
    compare,
    z_threshold,
)


def test_gaussian_laws_against_direct_formulas():
    M = np.array([2.0, 3.0, 10.0, 101.0])
    direct = np.sqrt(2 / (M - 1)) * scipy.special.gamma(M / 2) / scipy.special.gamma((M - 1) / 2)
    np.testing.assert_allclose(laws.gaussian_sd_factor(M), direct)
    assert laws.gaussian_sd_factor(1e8) == pytest.approx(1.0, abs=1e-8)  # no overflow for large M
    # E[s] of M normal samples, from scipy's chi distribution: s = sigma * chi_{M-1} / sqrt(M - 1).
    np.testing.assert_allclose(laws.gaussian_sd_factor(M), scipy.stats.chi(M - 1).mean() / np.sqrt(M - 1))
    np.testing.assert_allclose(laws.gaussian_expected_w2_squared(3, 10), 3 / 10 + 2 * (1 - direct[2] ** 3))
    k = 9
    assert laws.gaussian_log_variance_drift(10) == pytest.approx(scipy.special.digamma(k / 2) + np.log(2 / k))
    # log(chi2_k / k) has mean psi(k/2) + log(2/k) and variance psi'(k/2): check by quadrature.
    chi2 = scipy.stats.chi2(k)
    mean = chi2.expect(lambda x: np.log(x / k))
    assert laws.gaussian_log_variance_drift(10) == pytest.approx(mean, rel=1e-6)
    assert laws.gaussian_log_variance_step_variance(10) == pytest.approx(
        chi2.expect(lambda x: (np.log(x / k) - mean) ** 2), rel=1e-6)
    assert laws.gaussian_log_variance_drift(20, 3) == pytest.approx(
        sum(scipy.special.digamma((19 - i) / 2) + np.log(2 / 19) for i in range(3)))


def test_log_sd_factor_is_accurate_to_rounding_at_every_sample_size():
    """log c(M) against 50-digit mpmath, where the log-Gamma difference in doubles loses every digit."""
    import mpmath

    mpmath.mp.dps = 50
    M = np.array([2.0, 2.5, 3.0, 10.0, 49.0, 49.99, 50.0, 51.0, 1e3, 1e4, 1e5, 1e8, 1e14, 2.0**53])
    exact = np.array([float(mpmath.log(mpmath.sqrt(2 / (mpmath.mpf(m) - 1)) * mpmath.gamma(mpmath.mpf(m) / 2)
                                       / mpmath.gamma((mpmath.mpf(m) - 1) / 2))) for m in M])
    np.testing.assert_allclose(laws.gaussian_log_sd_factor(M), exact, rtol=2e-12, atol=0)
    large = M >= 50
    np.testing.assert_allclose(laws.gaussian_log_sd_factor(M[large]), exact[large], rtol=2e-15, atol=0)
    # a sum over many generations of a growing sample (chapter 3) keeps its digits too
    growing = 100.0 * np.arange(1, 1001) ** 2
    reference = mpmath.fsum(mpmath.log(mpmath.sqrt(2 / (mpmath.mpf(m) - 1)) * mpmath.gamma(mpmath.mpf(m) / 2)
                                       / mpmath.gamma((mpmath.mpf(m) - 1) / 2)) for m in growing)
    assert np.sum(laws.gaussian_log_sd_factor(growing)) == pytest.approx(float(reference), rel=1e-13)


def test_log_sd_factor_series_is_the_sympy_expansion():
    import sympy as sp

    eps = sp.symbols("epsilon", positive=True)
    k = 1 / eps - 1
    log_c = sp.log(2 / k) / 2 + sp.loggamma((k + 1) / 2) - sp.loggamma(k / 2)
    series = sp.nsimplify(sp.expand(sp.expand_log(sp.series(log_c, eps, 0, 11).removeO(), force=True)))
    coefficients = [float(series.coeff(eps, j)) for j in range(1, 11)]
    assert coefficients == pytest.approx(laws._LOG_SD_FACTOR_SERIES, rel=1e-15)


def test_discrete_and_regression_laws():
    assert laws.probability_lost(0.5, 3) == pytest.approx(0.125)
    assert laws.probability_lost(1e-12, 1e6) == pytest.approx(np.exp(-1e-6))
    assert laws.expected_heterozygosity(0.5, 4, 2) == pytest.approx(0.5 * 0.75**2)
    assert laws.heterozygosity_half_life(2) == pytest.approx(1.0)
    np.testing.assert_allclose(laws.expected_support([0.5, 0.5], 1, 1), [2.0, 1.0])  # one draw keeps one category
    assert laws.regression_error_replace(4) == 5
    np.testing.assert_allclose(laws.regression_error_accumulate([0, 2]), [1, 1 + 1 / 4 + 1 / 9])
    with pytest.raises(ValueError, match="M must hold whole numbers in \\[2, 2\\*\\*53\\]"):
        laws.heterozygosity_half_life(1)
    with pytest.raises(ValueError, match="M must hold numbers in \\[2, 2\\*\\*53\\]"):
        laws.gaussian_sd_factor(1)
    with pytest.raises(ValueError, match="above 2\\*\\*53"):
        laws.probability_lost(0.5, 2**53 + 1)  # as a float it would round down to 2**53 and pass
    # the Gaussian laws are analytic in M: a real M lies between its whole neighbours
    assert laws.gaussian_sd_factor(2) < laws.gaussian_sd_factor(2.5) < laws.gaussian_sd_factor(3)
    with pytest.raises(ValueError, match=r"p must hold numbers in \[0, 1\]"):
        laws.probability_lost(1.5, 3)
    with pytest.raises(ValueError, match="whole numbers"):
        laws.regression_error_accumulate(1.5)


def test_threshold_is_family_wise():
    assert z_threshold(1) == pytest.approx(scipy.stats.norm.isf(0.0005))
    assert z_threshold(1000, false_alarm=0.01) == pytest.approx(scipy.stats.norm.isf(0.01 / 2000))
    assert z_threshold(10) < z_threshold(100) < z_threshold(1000)
    with pytest.raises(ValueError, match="comparisons"):
        z_threshold(0)
    with pytest.raises(ValueError, match="false_alarm"):
        z_threshold(5, false_alarm=1.0)


def test_check_agreement_passes_a_correct_simulation_and_names_a_wrong_one(capsys):
    rng = np.random.default_rng(0)
    samples = rng.normal(loc=np.arange(50.0), size=(400, 50))
    mean, se = samples.mean(axis=0), samples.std(axis=0, ddof=1) / 20
    check_agreement({"means": (mean, se, np.arange(50.0)), "first": (mean[0], se[0], 0.0)})
    out = capsys.readouterr().out
    assert out.startswith("agreement: 51 comparisons, largest |z| = ") and "\n  largest at " in out
    shifted = np.arange(50.0)
    shifted[17] += 0.5  # 10 standard errors
    with pytest.raises(DisagreementError, match=r"means\[17\] disagrees with theory: simulation .* theory 17.5"):
        check_agreement({"means": (mean, se, shifted)})
    check_disagreement({"shifted": (mean, se, shifted)})
    assert "wrong law rejected" in capsys.readouterr().out
    with pytest.raises(DisagreementError, match="the wrong law was not rejected"):
        check_disagreement({"means": (mean, se, np.arange(50.0))})
    summary = compare({"means": (mean, se, shifted)})
    assert summary.comparisons == 50 and summary.worst == "means[17]" and summary.largest_z > 9


def test_check_agreement_bad_input():
    with pytest.raises(ValueError, match="comparisons must hold at least one"):
        check_agreement({})
    with pytest.raises(TypeError, match="comparisons must be a dict"):
        check_agreement([("x", (1.0, 0.1, 1.0))])
    with pytest.raises(TypeError, match="tuple"):
        check_agreement({"x": [1.0, 0.1, 1.0]})
    with pytest.raises(ValueError, match=r"comparisons\['x'\]: estimate must be finite"):
        check_agreement({"x": (np.nan, 0.1, 1.0)})
    with pytest.raises(ValueError, match=r"comparisons\['x'\]: se must be finite and >= 0"):
        check_agreement({"x": (1.0, -0.1, 1.0)})


def test_z_scores_and_mean_and_se_refuse_values_that_would_pass_any_check():
    import numpy as np

    from collapse_lib.montecarlo import mean_and_se, z_scores

    with pytest.raises(ValueError, match="se must be finite"):
        z_scores(0.0, se=np.nan, theory=0.0)  # a NaN z-score is never above a threshold
    with pytest.raises(ValueError, match="se must be finite"):
        z_scores(0.0, se=-1.0, theory=0.0)
    with pytest.raises(ValueError, match="estimate must be finite"):
        z_scores(np.nan, se=1.0, theory=0.0)
    with pytest.raises(ValueError, match="axis"):
        mean_and_se(0.0)
    with pytest.raises(ValueError, match="finite"):
        mean_and_se([1.0, np.nan, 2.0])


def test_check_larger_needs_every_difference_significant(capsys):
    rng = np.random.default_rng(1)
    differences = rng.normal(loc=[1.0, 2.0, 3.0], size=(400, 3))
    mean, se = differences.mean(axis=0), differences.std(axis=0, ddof=1) / 20
    check_larger({"gaps": (mean, se, 0.0)})
    out = capsys.readouterr().out
    assert out.startswith("larger: 3 comparisons, smallest z = ") and "smallest at gaps[0]" in out
    # one gap of zero (or of the wrong sign) fails the whole check, and is named
    with pytest.raises(DisagreementError, match=r"gaps\[1\] is not significantly larger"):
        check_larger({"gaps": (mean - [0.0, 2.0, 0.0], se, 0.0)})
    with pytest.raises(DisagreementError, match="not significantly larger"):
        check_larger({"reversed": (-mean, se, 0.0)})
    # With true gaps of exactly zero, two estimates pass together with probability
    # (false_alarm / 2) ** 2 per trial; one estimate with probability false_alarm.
    passed_one = passed_two = 0
    for estimate in rng.standard_normal((4000, 2)):
        for values, counter in ((estimate[:1], 1), (estimate, 2)):
            try:
                check_larger({"gap": (values, 1.0, 0.0)}, false_alarm=0.2, quiet=True)
            except DisagreementError:
                continue
            if counter == 1:
                passed_one += 1
            else:
                passed_two += 1
    assert abs(passed_one - 4000 * 0.2) < 4 * np.sqrt(4000 * 0.2 * 0.8)
    assert abs(passed_two - 4000 * 0.01) < 4 * np.sqrt(4000 * 0.01 * 0.99)
    with pytest.raises(TypeError, match="quiet"):
        check_larger({"gaps": (mean, se, 0.0)}, quiet="yes")
    with pytest.raises(ValueError, match="comparisons must hold at least one"):
        check_larger({})
