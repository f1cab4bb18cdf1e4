"""Tests of collapse_lib.loops: every scheme, the exact fast path, exact regression theory, bad input.

Statistical tests check all their comparisons together at a family-wise false-alarm rate
(``tests/library/family_wise.py``), so they pass on other seeds too (``--seed-offset``).
"""

import numpy as np
import pytest
import scipy.stats

from collapse_lib import laws, loops, schemes
from collapse_lib.montecarlo import mean_and_se
from tests.library.family_wise import Family


def gaussian_real(R=None, N=60, d=1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, d) if R is None else (R, N, d))


def fresh_sampler(R, d=1):
    return lambda n, rng: rng.normal(size=(R, n, d))


def every_scheme(R):
    return [schemes.Replace(), schemes.KeepReal(0.1), schemes.Augment(), schemes.Fresh(10, fresh_sampler(R)),
            schemes.Accumulate(), schemes.AccumulateSubsample(25)]


@pytest.mark.parametrize("scheme", every_scheme(5), ids=str)
def test_every_scheme_runs_with_the_right_sizes(scheme):
    R, N, M, G = 5, 40, 30, 4
    result = loops.run_loop(loops.gaussian_family(), gaussian_real(N=N), scheme=scheme, generations=G,
                            synthetic_size=M, replicates=R, rng=1)
    mean, cov = result.params
    assert mean.shape == (R, G + 1, 1) and cov.shape == (R, G + 1, 1, 1)
    expected = {"replace": [N] + [M] * G, "keep-real": [N] + [M] * G, "augment": [N] + [N + M] * G,
                "fresh": [N] + [10 + M] * G, "accumulate": [N + M * t for t in range(G + 1)],
                "accumulate-subsample": [N] + [25] * G}[scheme.name]
    np.testing.assert_array_equal(result.train_sizes, expected)
    assert np.all(cov > 0)
    # Generation 0 is the fit of the real data, identical in every replicate when the data are shared.
    np.testing.assert_allclose(mean[:, 0, 0], gaussian_real(N=N).mean())


def test_seeded_reproducibility_and_per_replicate_real_data():
    real = gaussian_real(R=4, N=30, d=2)
    a = loops.run_loop(loops.gaussian_family(), real, scheme="accumulate", generations=3, synthetic_size=20,
                       replicates=4, rng=7)
    b = loops.run_loop(loops.gaussian_family(), real, scheme="accumulate", generations=3, synthetic_size=20,
                       replicates=4, rng=7)
    np.testing.assert_array_equal(a.params[1], b.params[1])
    np.testing.assert_allclose(a.params[0][:, 0], real.mean(axis=1))


def test_keep_real_extremes():
    real = gaussian_real(N=50)
    everything_real = loops.run_loop(loops.gaussian_family(), real, scheme=schemes.KeepReal(1.0),
                                     generations=6, synthetic_size=50, replicates=3, rng=2)
    np.testing.assert_allclose(everything_real.params[0][:, -1, 0], real.mean())  # a full subset is the data
    nothing_real = loops.run_loop(loops.gaussian_family(), real, scheme=schemes.KeepReal(0.0),
                                  generations=6, synthetic_size=50, replicates=3, rng=2)
    replace = loops.run_loop(loops.gaussian_family(), real, scheme="replace", generations=6, synthetic_size=50,
                             replicates=3, rng=2)
    np.testing.assert_array_equal(nothing_real.params[0], replace.params[0])


@pytest.mark.parametrize("scheme", ["replace", "accumulate", "augment"])
def test_exact_path_matches_sampling_gaussian(scheme, seed_offset):
    R, G = 4000, 4
    runs = [loops.run_loop(loops.gaussian_family(0.9), gaussian_real(N=20), scheme=scheme, generations=G,
                           synthetic_size=15, replicates=R, exact=exact, rng=seed + seed_offset)
            for exact, seed in [(True, 11), (False, 12)]]
    family = Family()
    for name, index, pick in [("mean", 0, lambda p: p[:, -1, 0]), ("log variance", 1, lambda p: np.log(p[:, -1, 0, 0]))]:
        x, y = pick(runs[0].params[index]), pick(runs[1].params[index])
        family.same_law(f"{name} of the last generation", scipy.stats.ks_2samp(x, y).pvalue)
    family.check()


def test_categorical_family_exact_and_martingale(seed_offset):
    K, R = 4, 20_000
    real = np.repeat(np.arange(K), [10, 5, 3, 2])  # p0 = (0.5, 0.25, 0.15, 0.1)
    p0 = np.array([0.5, 0.25, 0.15, 0.1])
    fam = loops.categorical_family(K)
    family = Family()
    for exact, seed in [(True, 3), (False, 4)]:
        result = loops.run_loop(fam, real, scheme="replace", generations=5, synthetic_size=20, replicates=R,
                                exact=exact, rng=seed + seed_offset)
        (p,) = result.params
        family.agree(f"frequencies (exact={exact})", *mean_and_se(p[:, -1], axis=0), p0)
    family.check()
    accumulated = loops.run_loop(fam, real, scheme="accumulate", generations=5, synthetic_size=20, replicates=50, rng=5)
    np.testing.assert_allclose(accumulated.params[0].sum(axis=-1), 1.0)


@pytest.mark.parametrize("scheme, law", [("replace", laws.regression_error_replace),
                                          ("accumulate", laws.regression_error_accumulate)])
def test_linear_regression_error_laws(scheme, law, seed_offset):
    # Fixed design; e_t = w_t - w* has E|e_t|^2 = sigma^2 tr((X'X)^-1) times (t + 1) (replace) or
    # sum_{s <= t+1} 1/s^2 (accumulate). Real labels differ across replicates.
    rng = np.random.default_rng(8)
    N, p, R, sigma, G = 30, 3, 20_000, 0.7, 8
    X = rng.normal(size=(N, p))
    w_star = np.array([1.0, -2.0, 0.5])
    y = X @ w_star + sigma * rng.standard_normal((R, N))
    real = np.concatenate([np.broadcast_to(X, (R, N, p)), y[..., None]], axis=-1)
    result = loops.run_loop(loops.linear_regression_family(X, sigma), real, scheme=scheme, generations=G,
                            synthetic_size=N, replicates=R, rng=9 + seed_offset)
    error = np.sum((result.params[0] - w_star) ** 2, axis=-1)
    unit = sigma**2 * np.trace(np.linalg.inv(X.T @ X))
    generations = np.array([0, 1, 4, G])
    Family().agree(f"{scheme} error", *mean_and_se(error[:, generations], axis=0), unit * law(generations)).check()


def test_regression_exact_path_matches_sampling(seed_offset):
    rng = np.random.default_rng(10)
    X = rng.normal(size=(12, 2))
    real = np.column_stack([X, X @ np.array([1.0, 1.0]) + rng.normal(size=12)])
    fam = loops.linear_regression_family(X, 1.0)
    a = loops.run_loop(fam, real, scheme="replace", generations=3, synthetic_size=12, replicates=4000,
                       rng=1 + seed_offset)
    b = loops.run_loop(fam, real, scheme="replace", generations=3, synthetic_size=12, replicates=4000, exact=False,
                       rng=2 + seed_offset)
    Family().same_law("first weight, generation 3", scipy.stats.ks_2samp(a.params[0][:, -1, 0],
                                                                          b.params[0][:, -1, 0]).pvalue).check()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(scheme="recycle"), ValueError, "scheme must be one of"),
        (dict(scheme=3), TypeError, "scheme must be a Scheme"),
        (dict(scheme=schemes.KeepReal(1.0), synthetic_size=500), ValueError, "exceeds the"),
        (dict(scheme="fresh"), ValueError, r"pass schemes.Fresh\(real_size, sampler\)"),
        (dict(scheme=schemes.Fresh(5, lambda n, rng: np.zeros((3, n, 1)))), ValueError,
         "Fresh.sampler must return shape"),
        (dict(scheme=schemes.AccumulateSubsample(1)), ValueError, "budget must be >= 2"),
        (dict(real_data=np.zeros((0, 1))), ValueError, "at least one data point"),
        (dict(real_data=np.array([[np.nan]] * 5)), ValueError, "finite"),
        (dict(real_data=np.zeros((4, 5, 6, 1))), ValueError, "must have shape"),
        (dict(real_data=np.zeros((1, 1))), ValueError, "needs at least 2"),
        (dict(generations=-1), ValueError, "generations must be an integer in \\[0, 100,000\\]"),
        (dict(synthetic_size=0), ValueError, "synthetic_size must be an integer >= 1"),
        (dict(family="gaussian"), TypeError, "family must be a ModelFamily"),
        (dict(real_data="abc"), TypeError, "numeric"),
    ],
)
def test_bad_input(kwargs, error, message):
    arguments = dict(family=loops.gaussian_family(), real_data=gaussian_real(N=20), scheme="replace",
                     generations=2, synthetic_size=10, replicates=2, rng=0)
    arguments.update(kwargs)
    family = arguments.pop("family")
    real = arguments.pop("real_data")
    with pytest.raises(error, match=message):
        loops.run_loop(family, real, **arguments)


def test_schemes_validate_their_own_parameters():
    with pytest.raises(ValueError, match=r"KeepReal.fraction must be a number in \[0, 1\]"):
        schemes.KeepReal(1.5)
    with pytest.raises(TypeError, match="KeepReal.fraction"):
        schemes.KeepReal("half")
    with pytest.raises(ValueError, match="Fresh.real_size must be an integer >= 1"):
        schemes.Fresh(0, lambda n, rng: None)
    with pytest.raises(TypeError, match="Fresh.sampler must be a function"):
        schemes.Fresh(5, None)
    with pytest.raises(ValueError, match="AccumulateSubsample.budget"):
        schemes.AccumulateSubsample(0)
    assert schemes.as_scheme("keep-real") == schemes.KeepReal(0.1)
    assert [schemes.as_scheme(name).name for name in schemes.SCHEMES if name != "fresh"] == [
        "replace", "keep-real", "augment", "accumulate", "accumulate-subsample"]


def test_bad_family_arguments():
    with pytest.raises(ValueError, match="sampling_bias"):
        loops.gaussian_family(0.0)
    with pytest.raises(ValueError, match="category indices"):
        loops.run_loop(loops.categorical_family(3), np.array([0, 1, 5]), scheme="replace", generations=1,
                       synthetic_size=5)
    with pytest.raises(ValueError, match="N > p"):
        loops.linear_regression_family(np.zeros((2, 3)), 1.0)
    with pytest.raises(ValueError, match="noise_sd"):
        loops.linear_regression_family(np.eye(3)[:, :2].repeat(2, axis=0), -1.0)
