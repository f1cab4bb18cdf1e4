"""Tests of collapse_lib.mixtures: kernel density loops, Gaussian mixtures refitted by EM, image models.

Statistical tests use fixed seeds and check all their comparisons together at a family-wise
false-alarm rate (``tests/library/family_wise.py``), so they pass on other seeds too.
"""

import numpy as np
import pytest
import scipy.stats

from collapse_lib import discrete, mixtures, schemes
from collapse_lib.montecarlo import mean_and_se
from tests.library.family_wise import Family

# --------------------------------------------------------------------------- kernel density estimates


@pytest.mark.parametrize("n", [2, 3, 10, 1000])
@pytest.mark.parametrize("rule", ["silverman", "scott"])
def test_kde_bandwidth_is_scipys(n, rule):
    data = np.random.default_rng(n).standard_normal(n) * 3 + 1
    kde = scipy.stats.gaussian_kde(data, bw_method=rule)
    assert mixtures.kde_bandwidth(data, rule) ** 2 == pytest.approx(kde.covariance[0, 0], rel=1e-12)


def test_one_kde_generation_is_scipys_resample_in_law(seed_offset):
    # scipy's resample: a uniformly chosen point plus the kernel draw. Two-sample KS test against it,
    # and the exact first two moments of one generation given the data.
    rng = np.random.default_rng(1 + seed_offset)
    data = rng.standard_normal(40) ** 3  # skewed, so the comparison is not a Gaussian's
    R = 5000
    ours = mixtures.kde_loop(data, 1, replicates=R, rng=2 + seed_offset)[:, 1]
    theirs = scipy.stats.gaussian_kde(data, bw_method="silverman").resample(R * 40, seed=3 + seed_offset)[0]
    h2 = mixtures.kde_bandwidth(data) ** 2
    n = data.size
    mean_est, mean_se = mean_and_se(ours.mean(axis=1))
    var_est, var_se = mean_and_se(ours.var(axis=1, ddof=1))
    (Family()
     .same_law("one generation against scipy's resample", scipy.stats.ks_2samp(ours.ravel(), theirs).pvalue)
     .agree("E[mean_1 | data]", mean_est, mean_se, data.mean())
     .agree("E[S_1^2 | data] = (1 - 1/n) S_0^2 + h^2", var_est, var_se, (1 - 1 / n) * data.var(ddof=1) + h2)
     .check())


def test_kde_variance_laws_fixed_and_silverman(seed_offset):
    # E[S_t^2] = (1 - 1/n)^t S_0^2 + n h^2 (1 - (1 - 1/n)^t) for a fixed h;
    # E[S_t^2] = (1 - 1/n + f^2)^t S_0^2 with Silverman's factor f.
    rng = np.random.default_rng(4 + seed_offset)
    n, G, R, h = 30, 12, 4000, 0.3
    data = rng.standard_normal(n)
    s0 = data.var(ddof=1)
    t = np.arange(G + 1)
    a = 1 - 1 / n
    family = Family()
    fixed = mixtures.kde_loop(data, G, bandwidth=h, replicates=R, rng=5 + seed_offset).var(axis=2, ddof=1)
    est, se = mean_and_se(fixed, axis=0)
    family.agree("fixed bandwidth", est[1:], se[1:], (a**t * s0 + n * h**2 * (1 - a**t))[1:])
    f2 = (3 * n / 4) ** (-2 / 5)
    rule = mixtures.kde_loop(data, G, bandwidth="silverman", replicates=R, rng=6 + seed_offset).var(axis=2, ddof=1)
    est, se = mean_and_se(rule, axis=0)
    family.agree("Silverman's rule", est[1:], se[1:], ((a + f2) ** t * s0)[1:])
    family.check()
    assert est[-1] > 1.5 * s0  # the rule's variance grows: collapse is not always shrinkage


def test_kde_ancestry_is_a_wright_fisher_genealogy(seed_offset):
    # Every point descends from one point of generation 0; the shares of the ancestors form a
    # neutral n-category Wright-Fisher chain, so 1 - sum q_k^2 decays by (1 - 1/n) per generation.
    n, G, R = 25, 30, 3000
    points, ancestors = mixtures.kde_loop(np.arange(n, dtype=float), G, bandwidth=0.1, replicates=R,
                                          return_ancestors=True, rng=7 + seed_offset)
    assert points.shape == ancestors.shape == (R, G + 1, n)
    np.testing.assert_array_equal(ancestors[:, 0], np.broadcast_to(np.arange(n), (R, n)))
    assert np.all(np.abs(points[:, 3] - ancestors[:, 3]) < 3 * 0.1 * 8)  # within a few kernel steps of the ancestor
    shares = np.stack([np.stack([np.bincount(a, minlength=n) for a in rep]) for rep in ancestors[:, ::5]]) / n
    diversity = 1 - (shares**2).sum(axis=-1)
    est, se = mean_and_se(diversity, axis=0)
    t = np.arange(0, G + 1, 5)
    Family().agree("ancestral diversity", est[1:], se[1:], ((1 - 1 / n) * (1 - 1 / n) ** t)[1:]).check()


def test_kde_loop_shapes_and_seeding():
    single = mixtures.kde_loop([0.0, 1.0, 5.0], 4, rng=3)
    assert single.shape == (5, 3)
    np.testing.assert_array_equal(single, mixtures.kde_loop([0.0, 1.0, 5.0], 4, rng=3))
    assert mixtures.kde_loop([0.0, 1.0, 5.0], 0, replicates=2, rng=3).shape == (2, 1, 3)


# --------------------------------------------------------------------------- Gaussian mixtures


def separated_data(minority: int, M: int) -> np.ndarray:
    """A minority of points near -6 and the rest near +6: components EM cannot confuse."""
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(-6, 1, minority), rng.normal(6, 1, M - minority)])


@pytest.mark.parametrize("fit", ["scratch", "previous", "labels"])
def test_weights_of_separated_components_are_the_sampled_shares(fit):
    M = 200
    chain = mixtures.gmm_loop(separated_data(50, M), 2, 8, fit=fit, replicates=3, rng=1)
    assert chain.weights.shape == (3, 9, 2) and chain.means.shape == (3, 9, 2, 1)
    assert chain.covariances.shape == (3, 9, 2, 1, 1) and chain.counts.shape == (3, 8, 2)
    np.testing.assert_allclose(chain.weights[:, 0, 0], 50 / M, atol=1e-6)
    np.testing.assert_allclose(chain.weights[:, 1:], chain.counts / M, atol=1e-6)
    assert np.all(chain.means[:, :, 0, 0] < 0) and np.all(chain.means[:, :, 1, 0] > 0)  # aligned components
    assert np.all(chain.counts.sum(axis=-1) == M)


def test_complete_data_fit_is_the_wright_fisher_chain(seed_offset):
    # Without EM, the weight of a component is the share of samples it generated: the minority
    # (i of M) is lost with probability 1 - i/M, after the chain's expected absorption time.
    M, i, R = 12, 3, 600
    chain = mixtures.gmm_loop(separated_data(i, M), 2, 2000, fit="labels", replicates=R, stop_when_lost=True,
                              rng=8 + seed_offset)
    assert np.all(chain.lost_at > 0)
    exact = discrete.absorption(discrete.wright_fisher_matrix(M))
    lost_minority = chain.lost_component == 0
    (Family()
     .agree("P(minority lost)", lost_minority.mean(), np.sqrt((1 - i / M) * i / M / R), 1 - i / M)
     .agree("E[time to lose a component]", *mean_and_se(chain.lost_at), exact.t[i - 1])
     .check())
    assert np.isnan(chain.weights[0, chain.lost_at[0] + 1 :]).all() if chain.lost_at[0] < 2000 else True


def test_em_chain_of_separated_components_loses_the_minority_as_wright_fisher(seed_offset):
    M, i, R = 10, 3, 150
    chain = mixtures.gmm_loop(separated_data(i, M), 2, 1000, fit="previous", replicates=R, stop_when_lost=True,
                              rng=9 + seed_offset)
    Family().agree("P(minority lost)", (chain.lost_component == 0).mean(), np.sqrt(0.7 * 0.3 / R), 1 - i / M).check()


def test_stop_when_lost_and_lost_at_are_consistent():
    chain = mixtures.gmm_loop(separated_data(2, 10), 2, 300, fit="labels", replicates=20, stop_when_lost=True, rng=2)
    for r in range(20):
        t = chain.lost_at[r]
        assert t > 0 and chain.counts[r, t - 1, chain.lost_component[r]] == 0
        assert np.all(chain.counts[r, : t - 1] > 0)
        assert np.all(np.isnan(chain.weights[r, t:])) and np.all(chain.counts[r, t:] == -1)
    running = mixtures.gmm_loop(separated_data(2, 10), 2, 300, fit="labels", replicates=5, rng=2)
    assert not np.isnan(running.weights).any()


def test_capped_em_records_unconverged_fits():
    rng = np.random.default_rng(3)
    overlapping = np.concatenate([rng.normal(-1, 1, 300), rng.normal(1, 1, 300)])
    chain = mixtures.gmm_loop(overlapping, 2, 5, max_iter=1, replicates=2, rng=4)
    assert np.all(chain.iterations[:, 1:] == 1) and not chain.converged[:, 1:].any()
    full = mixtures.gmm_loop(overlapping, 2, 5, replicates=2, rng=4)
    assert full.converged.all()


def test_two_dimensional_mixture():
    rng = np.random.default_rng(5)
    data = np.concatenate([rng.normal(-5, 1, (60, 2)), rng.normal(5, 1, (40, 2))])
    chain = mixtures.gmm_loop(data, 2, 3, rng=6)
    assert chain.means.shape == (1, 4, 2, 2) and chain.covariances.shape == (1, 4, 2, 2, 2)
    np.testing.assert_allclose(np.swapaxes(chain.covariances, -1, -2), chain.covariances)


def test_sample_mixture_law(seed_offset):
    x = mixtures.sample_mixture([0.3, 0.7], [-2.0, 1.0], [0.5, 2.0], 200_000, rng=10 + seed_offset)
    mean = 0.3 * -2 + 0.7 * 1
    variance = 0.3 * (0.25 + 4) + 0.7 * (4 + 1) - mean**2
    Family().agree("mean", x.mean(), x.std() / np.sqrt(x.size), mean).agree(
        "variance", x.var(), np.sqrt(((x - x.mean()) ** 4).mean() - x.var() ** 2) / np.sqrt(x.size), variance).check()


# --------------------------------------------------------------------------- image models


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    return load_digits().data


def test_ppca_samples_have_the_model_covariance(digits, seed_offset):
    model = mixtures.ppca_model(8, pixel_range=(-1e9, 1e9))  # no clipping: the Gaussian itself
    fitted = model.fit(digits, np.random.default_rng(0), None)
    mean, loadings, noise_sd = fitted
    from sklearn.decomposition import PCA

    pca = PCA(8).fit(digits)
    np.testing.assert_allclose(loadings @ loadings.T + noise_sd**2 * np.eye(64), pca.get_covariance(), atol=1e-8)
    x = model.sample(fitted, 40_000, np.random.default_rng(11 + seed_offset))
    # Every pixel's variance and the variance along the first principal axis, against the model's.
    axis = pca.components_[0]
    projected = (x - mean) @ axis
    model_cov = pca.get_covariance()
    pixel_var = x.var(axis=0, ddof=1)
    keep = np.diag(model_cov) > 1e-6
    pixel_se = np.sqrt(2 / x.shape[0]) * np.diag(model_cov)
    (Family()
     .agree("pixel variances", pixel_var[keep], pixel_se[keep], np.diag(model_cov)[keep])
     .agree("first axis variance", projected.var(ddof=1), np.sqrt(2 / x.shape[0]) * axis @ model_cov @ axis,
            axis @ model_cov @ axis)
     .check())


def test_pca_gmm_samples_lie_in_the_pca_space(digits):
    model = mixtures.pca_gmm_model(6, 4, pixel_range=(-1e9, 1e9))
    pca, weights, means, covariances = model.fit(digits, np.random.default_rng(0), None)
    x = model.sample((pca, weights, means, covariances), 500, np.random.default_rng(1))
    assert x.shape == (500, 64) and weights.shape == (4,) and means.shape == (4, 6)
    residual = x - pca.inverse_transform(pca.transform(x))
    assert np.abs(residual).max() < 1e-8
    clipped = mixtures.pca_gmm_model(6, 4)
    y = clipped.sample(clipped.fit(digits, np.random.default_rng(0), None), 500, np.random.default_rng(1))
    assert y.min() >= 0 and y.max() <= 16


@pytest.mark.parametrize("scheme, sizes", [("replace", [100, 100, 100]), (schemes.KeepReal(0.3), [100, 100, 100]),
                                           ("accumulate", [100, 200, 300])])
def test_image_loop_schemes(digits, scheme, sizes):
    real = digits[:100]
    result = mixtures.image_loop(real, mixtures.ppca_model(4), 2, scheme=scheme, rng=0)
    assert [len(images) for images in result.images] == sizes
    assert len(result.samples) == len(result.models) == 3
    assert all(s.shape == (100, 64) for s in result.samples)
    if isinstance(scheme, schemes.KeepReal):
        assert all(mask.sum() == 30 for mask in result.is_real[1:])
        for images, mask in zip(result.images[1:], result.is_real[1:]):
            assert all(any(np.array_equal(row, r) for r in real) for row in images[mask])
    if scheme == "accumulate":
        np.testing.assert_array_equal(result.images[2][:100], real)
        assert result.is_real[2].sum() == 100


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("call, error, message", [
    (lambda: mixtures.kde_loop([1.0], 3), ValueError, "data"),
    (lambda: mixtures.kde_loop([1.0, np.nan], 3), ValueError, "data"),
    (lambda: mixtures.kde_loop([1.0, 2.0], 3, bandwidth=0.0), ValueError, "bandwidth"),
    (lambda: mixtures.kde_loop([1.0, 2.0], 3, bandwidth="wide"), ValueError, "bandwidth"),
    (lambda: mixtures.kde_loop([1.0, 2.0], 3, bandwidth=np.inf), ValueError, "bandwidth"),
    (lambda: mixtures.kde_loop([1.0, 2.0], -1), ValueError, "generations"),
    (lambda: mixtures.kde_loop([1.0, 2.0], 3, replicates=10**9, rng=0), ValueError, "replicates"),
    (lambda: mixtures.kde_bandwidth([1.0, 2.0], "normal"), ValueError, "rule"),
    (lambda: mixtures.gmm_loop([1.0, 2.0, 3.0], 2, 1), ValueError, "data"),
    (lambda: mixtures.gmm_loop(np.zeros((10, 1, 1)), 2, 1), ValueError, "data"),
    (lambda: mixtures.gmm_loop(np.arange(10.0), 2, 1, fit="warm"), ValueError, "fit"),
    (lambda: mixtures.gmm_loop(np.arange(10.0), 0, 1), ValueError, "n_components"),
    (lambda: mixtures.gmm_loop(np.arange(10.0), 2, 1, max_iter=0), ValueError, "max_iter"),
    (lambda: mixtures.gmm_loop(np.arange(10.0), 2, 1, tol=0), ValueError, "tol"),
    (lambda: mixtures.gmm_loop(np.arange(10.0), 2, 10**6), ValueError, "generations"),
    (lambda: mixtures.sample_mixture([0.5, 0.6], [0, 1], [1, 1], 5), ValueError, "weights"),
    (lambda: mixtures.sample_mixture([0.5, 0.5], [0, 1], [1, -1], 5), ValueError, "sds"),
    (lambda: mixtures.sample_mixture([0.5, 0.5], [0, 1, 2], [1, 1], 5), ValueError, "means"),
    (lambda: mixtures.image_loop(np.zeros((5, 4)), "ppca", 2), TypeError, "model"),
    (lambda: mixtures.image_loop(np.zeros((5, 4)), mixtures.ppca_model(2), 2, scheme="augment"), ValueError, "scheme"),
    (lambda: mixtures.image_loop(np.zeros(5), mixtures.ppca_model(2), 2), ValueError, "real"),
    (lambda: mixtures.ppca_model(0), ValueError, "n_latent"),
    (lambda: mixtures.pca_gmm_model(4, 2, pixel_range=(1, 0)), ValueError, "pixel_range"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
