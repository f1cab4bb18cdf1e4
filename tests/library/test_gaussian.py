"""Tests of collapse_lib.gaussian: shapes, exact moments, agreement of the two simulators, W2, bad input.

Statistical tests use fixed seeds and check all their comparisons together at a family-wise
false-alarm rate (``tests/library/family_wise.py``), so they pass on other seeds too.
"""

import numpy as np
import pytest
import scipy.linalg
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from collapse_lib import gaussian
from collapse_lib.montecarlo import mean_and_se
from tests.library.family_wise import Family, variance_and_se


def c_factor(M):
    """E[sample sd] / sd for M normal samples: sqrt(2/(M-1)) Gamma(M/2) / Gamma((M-1)/2)."""
    return np.sqrt(2 / (M - 1)) * np.exp(scipy.special.gammaln(M / 2) - scipy.special.gammaln((M - 1) / 2))


# --------------------------------------------------------------------------- shapes and invariants
def test_shapes_1d_and_nd():
    chain = gaussian.simulate(0.0, 1.0, 10, 4, replicates=3, rng=0)
    assert chain.means.shape == (3, 5, 1) and chain.covs.shape == (3, 5, 1, 1)
    assert chain.variances.shape == (3, 5)
    chain = gaussian.simulate([1.0, 2.0, 3.0], np.diag([1.0, 2.0, 3.0]), 10, 4, replicates=2, rng=0)
    assert chain.means.shape == (2, 5, 3) and chain.covs.shape == (2, 5, 3, 3)
    np.testing.assert_array_equal(chain.means[:, 0], [[1, 2, 3]] * 2)
    with pytest.raises(ValueError, match="1-D chains"):
        _ = chain.variances


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 4), M_extra=st.integers(0, 20), generations=st.integers(0, 6), seed=st.integers(0, 2**32 - 1),
       method=st.sampled_from(["exact", "samples"]), bias=st.floats(0.05, 1.0))
def test_covariances_stay_symmetric_positive_definite_and_seeded(d, M_extra, generations, seed, method, bias):
    M = d + 1 + M_extra
    chain = gaussian.simulate(np.zeros(d), np.eye(d), M, generations, replicates=3, sampling_bias=bias, method=method,
                              rng=seed)
    covs = chain.covs
    np.testing.assert_allclose(covs, np.swapaxes(covs, -1, -2), rtol=1e-10, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(covs) > -1e-12)
    again = gaussian.simulate(np.zeros(d), np.eye(d), M, generations, replicates=3, sampling_bias=bias, method=method,
                              rng=seed)
    np.testing.assert_array_equal(chain.covs, again.covs)


# --------------------------------------------------------------------------- exact moments
@pytest.mark.parametrize("method", ["exact", "samples"])
def test_one_dimensional_moments(method, seed_offset):
    M, n, R, bias = 8, 5, 20_000 if method == "exact" else 8_000, 0.9
    chain = gaussian.simulate(0.0, 2.0, M, n, replicates=R, sampling_bias=bias, method=method, rng=21 + seed_offset)
    var, mean = chain.variances[:, n], chain.means[:, n, 0]
    (Family()
     # E[sigma_n^2] = bias^n sigma_0^2
     .agree("E[sigma_n^2]", *mean_and_se(var), 2.0 * bias**n)
     # E[sigma_n] = (sqrt(bias) c_M)^n sigma_0
     .agree("E[sigma_n]", *mean_and_se(np.sqrt(var)), np.sqrt(2.0) * (np.sqrt(bias) * c_factor(M)) ** n)
     # E[(mu_n - mu_0)^2] = sigma_0^2 / M * sum_{t=1}^n bias^t
     .agree("E[(mu_n - mu_0)^2]", *mean_and_se(mean**2), 2.0 / M * sum(bias**t for t in range(1, n + 1)))
     .check())


@pytest.mark.parametrize("method", ["exact", "samples"])
def test_growing_sample_sizes_have_the_product_and_sum_laws(method, seed_offset):
    """With M_t samples at refit t: E[sigma_n] = sigma_0 prod_t c(M_t) and E[(mu_n - mu_0)^2] = sigma_0^2 sum_t 1/M_t."""
    sizes, R = np.array([3, 5, 9, 17, 33]), 20_000 if method == "exact" else 8_000
    n = sizes.size
    chain = gaussian.simulate(0.0, 1.0, sizes, n, replicates=R, method=method, rng=23 + seed_offset)
    var, mean = chain.variances[:, n], chain.means[:, n, 0]
    (Family()
     .agree("E[sigma_n^2]", *mean_and_se(var), 1.0)
     .agree("E[sigma_n]", *mean_and_se(np.sqrt(var)), np.prod(c_factor(sizes)))
     .agree("E[(mu_n - mu_0)^2]", *mean_and_se(mean**2), np.sum(1 / sizes))
     .check())


@pytest.mark.parametrize("method", ["exact", "samples"])
def test_a_constant_schedule_is_the_same_chain_as_one_sample_size(method):
    one = gaussian.simulate([0.0, 1.0], np.eye(2), 7, 4, replicates=3, method=method, rng=5)
    schedule = gaussian.simulate([0.0, 1.0], np.eye(2), [7] * 4, 4, replicates=3, method=method, rng=5)
    np.testing.assert_array_equal(one.covs, schedule.covs)
    np.testing.assert_array_equal(one.means, schedule.means)


def test_log_variance_is_a_random_walk_with_digamma_drift(seed_offset):
    M, n, R = 5, 30, 20_000
    chain = gaussian.simulate(0.0, 1.0, M, n, replicates=R, rng=22 + seed_offset)
    log_var = np.log(chain.variances[:, n])
    k = M - 1
    drift = scipy.special.digamma(k / 2) + np.log(2 / k)
    assert drift < 0
    (Family()
     .agree("mean of log sigma_n^2", *mean_and_se(log_var), n * drift)
     .agree("variance of log sigma_n^2", *variance_and_se(log_var), n * scipy.special.polygamma(1, k / 2))
     .check())


def test_multivariate_log_determinant_drift(seed_offset):
    M, d, n, R = 12, 3, 10, 10_000
    cov0 = np.diag([1.0, 2.0, 0.5])
    chain = gaussian.simulate(np.zeros(d), cov0, M, n, replicates=R, rng=23 + seed_offset)
    logdet = np.linalg.slogdet(chain.covs[:, n])[1]
    k = M - 1
    drift = sum(scipy.special.digamma((k - i) / 2) + np.log(2 / k) for i in range(d))
    (Family()
     .agree("log det drift", *mean_and_se(logdet), np.log(np.linalg.det(cov0)) + n * drift)
     # E[cov_n] = cov_0 entrywise (a matrix martingale).
     .agree("E[cov_n]", *mean_and_se(chain.covs[:, n], axis=0), cov0)
     .check())


# --------------------------------------------------------------------------- the two methods agree
@pytest.mark.parametrize("d", [1, 2])
def test_exact_and_sample_methods_agree_in_distribution(d, seed_offset):
    M, n, R = 6, 3, 4000
    cov = np.eye(d) if d == 1 else np.array([[1.0, 0.6], [0.6, 2.0]])
    a = gaussian.simulate(np.zeros(d), cov, M, n, replicates=R, sampling_bias=0.8, method="exact",
                          rng=31 + seed_offset)
    b = gaussian.simulate(np.zeros(d), cov, M, n, replicates=R, sampling_bias=0.8, method="samples",
                          rng=32 + seed_offset)
    statistics = {
        "first mean coordinate": (a.means[:, n, 0], b.means[:, n, 0]),
        "log det cov": (np.linalg.slogdet(a.covs[:, n])[1], np.linalg.slogdet(b.covs[:, n])[1]),
        "first variance": (a.covs[:, n, 0, 0], b.covs[:, n, 0, 0]),
    }
    if d == 2:
        statistics["covariance"] = (a.covs[:, n, 0, 1], b.covs[:, n, 0, 1])
    grown = {method: gaussian.simulate(np.zeros(d), cov, [d + 1, 4, 9], 3, replicates=R, method=method,
                                       rng=33 + seed_offset + i) for i, method in enumerate(["exact", "samples"])}
    statistics["first variance, growing M"] = (grown["exact"].covs[:, 3, 0, 0], grown["samples"].covs[:, 3, 0, 0])
    statistics["first mean coordinate, growing M"] = (grown["exact"].means[:, 3, 0], grown["samples"].means[:, 3, 0])
    family = Family()
    for name, (x, y) in statistics.items():
        family.same_law(name, scipy.stats.ks_2samp(x, y).pvalue)
    family.check()


# --------------------------------------------------------------------------- Wasserstein-2
def _w2_reference(m1, S1, m2, S2):
    """Independent computation with scipy.linalg.sqrtm and the other order of the Bures formula."""
    root1 = scipy.linalg.sqrtm(S1)
    cross = scipy.linalg.sqrtm(root1 @ S2 @ root1)
    return np.sqrt(np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * np.real(cross)))


@pytest.mark.parametrize("d, bias", [(1, 1.0), (1, 0.8), (3, 1.0), (3, 0.7)])
def test_samples_method_is_fitting_the_samples_themselves(d, bias):
    # method="samples" computes the estimators from the standard normal draws and maps them; here
    # the samples are formed and fitted the plain way, from the same draws: the same numbers.
    M, generations, R = 12, 6, 40
    cov0 = np.eye(d) + 0.5 * (d > 1) * np.ones((d, d))
    chain = gaussian.simulate(np.arange(d, dtype=float), cov0 if d > 1 else 2.0, M, generations, replicates=R,
                              sampling_bias=bias, method="samples", rng=9)
    rng = np.random.default_rng(9)
    mean, cov = np.broadcast_to(np.arange(d, dtype=float), (R, d)), np.broadcast_to(cov0 if d > 1 else [[2.0]], (R, d, d))
    for t in range(generations):
        root = np.stack([scipy.linalg.sqrtm(bias * c).real for c in cov])
        z = rng.standard_normal((R, M) if d == 1 else (R, M, d)).reshape(R, M, d)
        samples = mean[:, None, :] + np.stack([zr @ rr.T for zr, rr in zip(z, root)])
        mean = samples.mean(axis=1)
        cov = np.stack([np.cov(s, rowvar=False).reshape(d, d) for s in samples])
        np.testing.assert_allclose(chain.means[:, t + 1], mean, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(chain.covs[:, t + 1], cov, rtol=1e-9, atol=1e-12)


def test_exact_method_in_one_dimension_draws_what_the_matrix_path_draws():
    # The 1-D fast path takes one normal and one chi-square per replicate and generation, in the
    # order of the d-dimensional path (normals for the means, then the Bartlett diagonal).
    M, generations, R, bias = 20, 5, 30, 0.9
    chain = gaussian.simulate(1.0, 4.0, M, generations, replicates=R, sampling_bias=bias, rng=4)
    rng = np.random.default_rng(4)
    mean, sd = np.ones(R), np.full(R, 2.0)
    for t in range(generations):
        mean = mean + np.sqrt(bias / M) * sd * rng.standard_normal((R, 1))[:, 0]
        sd = np.sqrt(bias / (M - 1)) * sd * np.sqrt(rng.chisquare(M - 1 - np.arange(1), size=(R, 1))[:, 0])
        np.testing.assert_allclose(chain.means[:, t + 1, 0], mean, rtol=1e-12)
        np.testing.assert_allclose(chain.variances[:, t + 1], sd**2, rtol=1e-12)


def test_wasserstein2_known_cases():
    assert gaussian.wasserstein2(0.0, 1.0, 0.0, 1.0) == pytest.approx(0.0, abs=1e-12)
    assert gaussian.wasserstein2(0.0, 1.0, 3.0, 1.0) == pytest.approx(3.0)
    assert gaussian.wasserstein2(0.0, 1.0, 0.0, 4.0) == pytest.approx(1.0)  # |sd1 - sd2|
    assert gaussian.wasserstein2(1.0, 1.0, 0.0, 9.0) == pytest.approx(np.sqrt(1 + 4))
    # Commuting covariances: sum of squared differences of square roots of the eigenvalues.
    d1, d2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    expected = np.sqrt(np.sum((np.sqrt(d1) - np.sqrt(d2)) ** 2))
    assert gaussian.wasserstein2(np.zeros(3), np.diag(d1), np.zeros(3), np.diag(d2)) == pytest.approx(expected)
    # Against a singular covariance (a collapsed Gaussian): distance to a point mass is sqrt(tr S).
    assert gaussian.wasserstein2(np.zeros(2), np.diag([1.0, 3.0]), np.zeros(2), np.zeros((2, 2))) == pytest.approx(2.0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 4))
def test_wasserstein2_matches_independent_computation(seed, d):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    S1, S2 = A @ A.T + 0.1 * np.eye(d), B @ B.T + 0.1 * np.eye(d)
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    value = gaussian.wasserstein2(m1, S1, m2, S2)
    assert value == pytest.approx(_w2_reference(m1, S1, m2, S2), rel=1e-6, abs=1e-8)
    assert value == pytest.approx(gaussian.wasserstein2(m2, S2, m1, S1), rel=1e-6, abs=1e-8)  # symmetric


def test_wasserstein2_broadcasts_over_a_chain():
    chain = gaussian.simulate([0.0, 0.0], np.eye(2), 10, 6, replicates=4, rng=3)
    distances = gaussian.wasserstein2(chain.means, chain.covs, np.zeros(2), np.eye(2))
    assert distances.shape == (4, 7)
    assert np.all(distances[:, 0] < 1e-7)
    for r, t in [(0, 3), (3, 6)]:
        assert distances[r, t] == pytest.approx(_w2_reference(chain.means[r, t], chain.covs[r, t], np.zeros(2), np.eye(2)))
    one_d = gaussian.simulate(0.0, 1.0, 10, 6, replicates=4, rng=3)
    expected = np.sqrt(one_d.means[..., 0] ** 2 + (np.sqrt(one_d.variances) - 1) ** 2)
    np.testing.assert_allclose(gaussian.wasserstein2(one_d.means, one_d.covs, 0.0, 1.0), expected, atol=1e-7)


def test_wasserstein2_bad_input():
    with pytest.raises(ValueError, match="cov1 and cov2 must have the same dimension"):
        gaussian.wasserstein2(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="mean1 must have last dimension"):
        gaussian.wasserstein2(np.zeros(3), np.eye(2), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="finite"):
        gaussian.wasserstein2(np.zeros(2), np.eye(2) * np.nan, np.zeros(2), np.eye(2))


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(M=1), ValueError, "M must be an integer in \\[2, 2\\*\\*53\\]"),
        (dict(M=2.5), TypeError, "M must be an integer in \\[2, 2\\*\\*53\\]"),
        (dict(cov=-1.0), ValueError, "positive definite"),
        (dict(cov=0.0), ValueError, "positive definite"),
        (dict(cov=np.inf), ValueError, "finite"),
        (dict(mean=np.nan), ValueError, "finite"),
        (dict(mean=[0.0, 0.0], cov=[[1.0, 0.5], [0.4, 1.0]]), ValueError, "symmetric"),
        (dict(mean=[0.0, 0.0], cov=[[1.0, 2.0], [2.0, 1.0]]), ValueError, "positive definite"),
        (dict(mean=[0.0, 0.0, 0.0], cov=np.eye(2)), ValueError, "dimension 3 but cov is 2 x 2"),
        (dict(mean=[0.0, 0.0], cov=np.ones((2, 3))), ValueError, "square"),
        (dict(mean=[[0.0]]), ValueError, "mean must be"),
        (dict(sampling_bias=0.0), ValueError, r"sampling_bias must be a number in \(0, 1\]"),
        (dict(sampling_bias=1.5), ValueError, r"sampling_bias must be a number in \(0, 1\]"),
        (dict(sampling_bias="high"), TypeError, "sampling_bias must be a number"),
        (dict(generations=-1), ValueError, "generations must be an integer in \\[0, 100,000\\]"),
        (dict(method="exactly"), ValueError, "method must be one of"),
        (dict(replicates=0), ValueError, "replicates must be an integer >= 1"),
        (dict(mean=np.zeros(3), cov=np.eye(3), M=3), ValueError, "at least d \\+ 1 = 4"),
        (dict(mean=np.zeros(3), cov=np.eye(3), M=[5, 3, 5]), ValueError, "at least d \\+ 1 = 4"),
        (dict(M=[10, 10]), ValueError, "one sample size per generation \\(length generations = 3\\)"),
        (dict(M=[[10, 10, 10]]), ValueError, "one sample size per generation"),
        (dict(M=[10, 1, 10]), ValueError, "M must hold whole numbers in \\[2, 2\\*\\*53\\]"),
        (dict(M=[10, 2.5, 10]), ValueError, "M must hold whole numbers"),
        (dict(M=[10, "a", 10]), TypeError, "M must"),
        (dict(M="abc"), TypeError, "M must be an integer"),
        (dict(mean="zero"), TypeError, "mean must be a number"),
    ],
)
def test_bad_input(kwargs, error, message):
    arguments = dict(mean=0.0, cov=1.0, M=10, generations=3)
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        gaussian.simulate(**arguments)


def test_bartlett_factor_gives_wishart_moments(seed_offset):
    # W = A A^T ~ Wishart(k, I): E[W] = k I and Var[W_ij] = k (1 + delta_ij).
    R, d, k = 40_000, 3, 7
    A = gaussian.bartlett_factor(R, d, k, rng=5 + seed_offset)
    assert np.all(np.triu(A, 1) == 0)
    W = A @ np.swapaxes(A, -1, -2)
    family = Family().agree("E[W]", *mean_and_se(W, axis=0), k * np.eye(d))
    lower = [(i, j) for i in range(d) for j in range(i + 1)]  # W is symmetric
    for i, j in lower:
        family.agree(f"Var[W_{i}{j}]", *variance_and_se(W[:, i, j]), k * (1 + (i == j)))
    # and the same law as scipy's Wishart sampler, entry by entry
    reference = scipy.stats.wishart(df=k, scale=np.eye(d)).rvs(size=R, random_state=6 + seed_offset)
    for i, j in lower:
        family.same_law(f"W_{i}{j} against scipy's Wishart", scipy.stats.ks_2samp(W[:, i, j], reference[:, i, j]).pvalue)
    family.check()


def test_wasserstein2_refuses_covariances_that_are_not_positive_semi_definite():
    with pytest.raises(ValueError, match="variance >= 0"):
        gaussian.wasserstein2(0.0, -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="positive semi-definite"):
        gaussian.wasserstein2(np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="symmetric"):
        gaussian.wasserstein2(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2), np.eye(2))
    with pytest.raises(TypeError, match="mean1"):
        gaussian.wasserstein2("a", 1.0, 0.0, 1.0)
