"""Tests of collapse_lib.discrete: exact results, invariants, statistics, bad input.

Statistical tests use fixed seeds (so they never flake) and check all their comparisons
together at a family-wise false-alarm rate (``tests/library/family_wise.py``), so they pass on
other seeds too (``--seed-offset``) while catching an error of a few standard errors.
"""

import numpy as np
import pytest
import scipy.stats
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from collapse_lib import discrete
from collapse_lib.metrics import heterozygosity
from collapse_lib.montecarlo import mean_and_se
from tests.library.family_wise import Family


# --------------------------------------------------------------------------- exact results
def test_wright_fisher_matrix_small_case_by_hand():
    # M = 2: from one copy out of two, the next count is Binomial(2, 1/2) = (1/4, 1/2, 1/4).
    P = discrete.wright_fisher_matrix(2, exact=True)
    assert P == sympy.Matrix([[1, 0, 0], [sympy.Rational(1, 4), sympy.Rational(1, 2), sympy.Rational(1, 4)], [0, 0, 1]])
    np.testing.assert_allclose(discrete.wright_fisher_matrix(2), np.array(P, dtype=float), atol=1e-15)


@pytest.mark.parametrize("M", [2, 3, 5, 8])
def test_exact_absorption_probabilities_equal_initial_frequency(M):
    result = discrete.absorption(discrete.wright_fisher_matrix(M, exact=True))
    assert list(result.absorbing) == [0, M]
    assert list(result.transient) == list(range(1, M))
    for row, i in enumerate(result.transient):
        assert result.B[row, 1] == sympy.Rational(int(i), M)
        assert result.B[row, 0] == 1 - sympy.Rational(int(i), M)


def test_exact_absorption_times_m3_by_hand():
    # M = 3, states 1 and 2 are symmetric: t = 1 + P(1->1) t + P(1->2) t, with
    # P(1->1) = 3 (1/3)(2/3)^2 = 4/9 and P(1->2) = 3 (1/3)^2 (2/3) = 2/9, so t = 1 / (1 - 6/9) = 3.
    result = discrete.absorption(discrete.wright_fisher_matrix(3, exact=True))
    assert result.t == sympy.Matrix([3, 3])


@pytest.mark.parametrize("M", [4, 7, 30])
def test_float_absorption_matches_exact(M):
    exact = discrete.absorption(discrete.wright_fisher_matrix(M, exact=True)) if M <= 7 else None
    numeric = discrete.absorption(discrete.wright_fisher_matrix(M))
    np.testing.assert_allclose(numeric.B[:, 1], numeric.transient / M, atol=1e-10)
    np.testing.assert_allclose(numeric.N @ (np.eye(M - 1) - discrete.wright_fisher_matrix(M)[1:M, 1:M]), np.eye(M - 1), atol=1e-9)
    if exact is not None:
        np.testing.assert_allclose(numeric.t, np.array(exact.t, dtype=float).ravel(), rtol=1e-10)


def test_absorption_of_a_general_chain():
    # Gambler's ruin on 0..3 with a fair coin: absorption at 3 from i has probability i/3, time i(3-i).
    P = np.array([[1, 0, 0, 0], [0.5, 0, 0.5, 0], [0, 0.5, 0, 0.5], [0, 0, 0, 1.0]])
    result = discrete.absorption(P)
    np.testing.assert_allclose(result.B, [[2 / 3, 1 / 3], [1 / 3, 2 / 3]])
    np.testing.assert_allclose(result.t, [2, 2])


# --------------------------------------------------------------------------- invariants
@settings(max_examples=40, deadline=None)
@given(M=st.integers(1, 60))
def test_wright_fisher_rows_sum_to_one_and_ends_absorb(M):
    P = discrete.wright_fisher_matrix(M)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert P[0, 0] == 1.0 and P[M, M] == 1.0
    # The frequency i/M is a martingale: sum_j P[i, j] j = i.
    np.testing.assert_allclose(P @ np.arange(M + 1), np.arange(M + 1), atol=1e-9 * M)


probability_vectors = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6).filter(lambda w: sum(w) > 0.01).map(
    lambda w: np.array(w) / sum(w)
)


@settings(max_examples=60, deadline=None)
@given(p=probability_vectors, M=st.integers(1, 40), generations=st.integers(0, 12), seed=st.integers(0, 2**32 - 1))
def test_resample_invariants(p, M, generations, seed):
    freqs = discrete.resample(p, M, generations, replicates=3, rng=seed)
    assert freqs.shape == (3, generations + 1, p.size)
    np.testing.assert_allclose(freqs[:, 0], np.broadcast_to(p / p.sum(), (3, p.size)))
    np.testing.assert_allclose(freqs.sum(axis=-1), 1.0, atol=1e-12)
    later = freqs[:, 1:]
    assert np.all(later >= 0)
    np.testing.assert_allclose(later * M, np.round(later * M), atol=1e-9)  # counts out of M
    # A lost category never comes back (the deltas and faces of the simplex absorb).
    lost = freqs[:, :-1] == 0
    assert np.all(freqs[:, 1:][lost] == 0)
    # Seeded reproducibility.
    np.testing.assert_array_equal(freqs, discrete.resample(p, M, generations, replicates=3, rng=seed))


def test_resample_without_replicates_and_iterator_agree():
    p = [0.2, 0.5, 0.3]
    stacked = discrete.resample(p, 17, 9, rng=5)
    assert stacked.shape == (10, 3)
    iterated = np.array(list(discrete.iter_resample(p, 17, 9, rng=5)))
    np.testing.assert_array_equal(stacked, iterated)
    with_replicates = np.array(list(discrete.iter_resample(p, 17, 9, replicates=4, rng=5)))
    np.testing.assert_array_equal(np.moveaxis(with_replicates, 0, 1), discrete.resample(p, 17, 9, replicates=4, rng=5))


def test_generator_is_advanced_not_reseeded():
    rng = np.random.default_rng(3)
    first = discrete.resample([0.5, 0.5], 10, 5, rng=rng)
    second = discrete.resample([0.5, 0.5], 10, 5, rng=rng)
    assert not np.array_equal(first, second)


@settings(max_examples=40, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=5),
    data=st.data(),
)
def test_absorption_rows_of_b_sum_to_one(weights, data):
    # A random chain with state 0 absorbing and every other state able to step to 0.
    S = len(weights) + 1
    rows = [np.eye(S)[0]]
    for _ in range(1, S):
        row = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=S, max_size=S)))
        row[0] += 0.05
        rows.append(row / row.sum())
    P = np.array(rows)
    result = discrete.absorption(P)
    np.testing.assert_allclose(result.B.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(result.t >= 1 - 1e-9)


# --------------------------------------------------------------------------- statistics
def test_frequencies_are_a_martingale(seed_offset):
    p = np.array([0.6, 0.3, 0.1])
    R = 20_000
    freqs = discrete.resample(p, 15, 20, replicates=R, rng=11 + seed_offset)
    mean, se = mean_and_se(freqs[:, 1:], axis=0)
    Family().agree("E[frequency]", mean, se, p).check()


def test_heterozygosity_decays_by_one_minus_one_over_m(seed_offset):
    p = np.array([0.25, 0.25, 0.5])
    M, G, R = 12, 25, 20_000
    H = heterozygosity(discrete.resample(p, M, G, replicates=R, rng=12 + seed_offset))
    theory = heterozygosity(p) * (1 - 1 / M) ** np.arange(G + 1)
    mean, se = mean_and_se(H, axis=0)
    Family().agree("E[H_t]", mean[1:], se[1:], theory[1:]).check()
    # Non-vacuous: by the last generation heterozygosity has fallen by more than half.
    assert theory[-1] < 0.5 * theory[0] and np.all(se[1:] < 0.01)


def test_one_generation_law_is_binomial_for_every_category(seed_offset):
    # The multinomial path: category 0's count after one generation is Binomial(M, p0).
    p = np.array([0.3, 0.45, 0.25])
    M, R = 10, 50_000
    counts = np.rint(discrete.resample(p, M, 1, replicates=R, rng=13 + seed_offset)[:, 1, 0] * M).astype(int)
    observed = np.bincount(counts, minlength=M + 1)
    expected = scipy.stats.binom.pmf(np.arange(M + 1), M, p[0]) * R
    keep = expected > 5
    pvalue = scipy.stats.chisquare(observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()).pvalue
    Family().same_law("count of category 0 ~ Binomial(M, p0)", pvalue).check()


def test_two_category_fast_path_matches_multinomial_path(seed_offset):
    # Merging categories 1 and 2 of a three-category chain gives the two-category chain.
    M, G, R = 20, 6, 40_000
    two = discrete.resample([0.3, 0.7], M, G, replicates=R, rng=14 + seed_offset)[:, G, 0]
    three = discrete.resample([0.3, 0.4, 0.3], M, G, replicates=R, rng=15 + seed_offset)[:, G, 0]
    table = np.array([np.bincount(np.rint(x * M).astype(int), minlength=M + 1) for x in (two, three)])
    table = table[:, table.sum(axis=0) > 0]
    Family().same_law("two-category and merged three-category chains", scipy.stats.chi2_contingency(table).pvalue).check()


def test_simulated_absorption_matches_fundamental_matrix(seed_offset):
    M, i, R = 20, 6, 20_000
    exact = discrete.absorption(discrete.wright_fisher_matrix(M))
    row = list(exact.transient).index(i)
    sample = discrete.simulate_absorption([i / M, 1 - i / M], M, replicates=R, rng=16 + seed_offset)
    assert sample.absorbed.all()
    fixed = (sample.category == 0).mean()  # category 0 holds the i copies
    (Family()
     .agree("mean absorption time", *mean_and_se(sample.time), exact.t[row])
     .agree("P(category 0 fixes)", fixed, np.sqrt(i / M * (1 - i / M) / R), i / M)
     .check())


def test_simulate_absorption_respects_max_generations_and_deltas():
    sample = discrete.simulate_absorption([0.5, 0.5], 1000, replicates=50, max_generations=3, rng=1)
    assert not sample.absorbed.any() and np.all(sample.time == -1)
    delta = discrete.simulate_absorption([0.0, 1.0, 0.0], 5, replicates=4, rng=1)
    assert np.all(delta.time == 0) and np.all(delta.category == 1)
    many = discrete.simulate_absorption([0.2, 0.3, 0.5], 8, replicates=200, rng=2)
    assert many.absorbed.all() and set(np.unique(many.category)) <= {0, 1, 2}


# --------------------------------------------------------------------------- the fast paths, against what they replace
@pytest.mark.parametrize("M", [1, 2, 3, 10, 101, 1000, 2000])
def test_wright_fisher_matrix_is_scipy_binomial_pmf(M):
    # The log-space rows (and their mirror images) against scipy.stats.binom.pmf on the same grid.
    P = discrete.wright_fisher_matrix(M)
    reference = scipy.stats.binom.pmf(np.arange(M + 1)[None, :], M, np.arange(M + 1)[:, None] / M)
    representable = reference > 1e-290  # below, both are at the edge of the float range
    # Each log term is up to about M ln M, so its rounding is relative error ~ eps M ln M in the pmf.
    rtol = 20 * np.finfo(float).eps * (M + 1) * np.log(M + 2)
    np.testing.assert_allclose(P[representable], reference[representable], rtol=rtol, atol=0)
    assert np.all(P[~representable] < 1e-289)
    assert P[0, 0] == 1.0 and P[M, M] == 1.0 and P[0, 1:].sum() == 0 and P[M, :M].sum() == 0
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=0, atol=1e-11)


def test_absorption_factorises_once_and_gives_n_on_demand():
    M = 30
    P = discrete.wright_fisher_matrix(M)
    result = discrete.absorption(P)
    assert "N" not in vars(result)  # B and t do not need the fundamental matrix
    N = np.linalg.inv(np.eye(M - 1) - P[1:M, 1:M])
    np.testing.assert_allclose(result.N, N, rtol=1e-10)
    assert result.N is result.N  # computed once
    np.testing.assert_allclose(result.B, N @ P[1:M][:, [0, M]], rtol=1e-10)
    np.testing.assert_allclose(result.t, N.sum(axis=1), rtol=1e-10)


def test_absorption_with_absorbing_states_between_transient_ones():
    # States 0 and 2 absorb; 1 and 3 are transient and not contiguous in the state order.
    P = np.array([[1, 0, 0, 0], [0.2, 0.3, 0.4, 0.1], [0, 0, 1, 0], [0.5, 0.25, 0, 0.25]])
    result = discrete.absorption(P)
    Q, R = P[np.ix_([1, 3], [1, 3])], P[np.ix_([1, 3], [0, 2])]
    N = np.linalg.inv(np.eye(2) - Q)
    np.testing.assert_allclose(result.N, N)
    np.testing.assert_allclose(result.B, N @ R)
    np.testing.assert_allclose(result.t, N.sum(axis=1))
    everything_absorbs = discrete.absorption(np.eye(3))
    assert everything_absorbs.B.shape == (0, 3) and everything_absorbs.t.shape == (0,)
    assert everything_absorbs.N.shape == (0, 0)


def test_two_category_absorption_is_the_general_chain_draw_for_draw():
    # The fast path draws the same binomials in the same order as the (R, K) path it replaces.
    def reference(p, M, R, rng):
        freq, time, category = np.tile(p, (R, 1)), np.full(R, -1), np.full(R, -1)
        active, t = np.arange(R), 0
        while active.size:
            t += 1
            first = rng.binomial(M, freq[active, 0])
            counts = np.stack([first, M - first], axis=-1)
            done = counts.max(axis=1) == M
            time[active[done]], category[active[done]] = t, counts[done].argmax(axis=1)
            active = active[~done]
            freq[active] = counts[~done] / M
        return time, category

    for p, M in (([0.5, 0.5], 20), ([0.1, 0.9], 7), ([0.75, 0.25], 4)):
        sample = discrete.simulate_absorption(p, M, replicates=500, rng=3)
        time, category = reference(np.array(p), M, 500, np.random.default_rng(3))
        np.testing.assert_array_equal(sample.time, time)
        np.testing.assert_array_equal(sample.category, category)


def test_computational_modules_import_no_heavy_scipy_module():
    # scipy.stats (about 0.7 s) and scipy.linalg are imported where they are used, not on import.
    import subprocess
    import sys

    code = ("import sys, collapse_lib.discrete, collapse_lib.gaussian, collapse_lib.language, collapse_lib.loops, "
            "collapse_lib.schemes; print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", f"importing the simulators imported {loaded}"


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "p, message",
    [
        ([0.5, -0.1, 0.6], "non-negative"),
        ([0.5, np.nan, 0.5], "finite"),
        ([0.5, 0.4], "sum to 1"),
        ([], "non-empty"),
        ([[0.5, 0.5]], "1-D"),
    ],
)
def test_bad_probabilities(p, message):
    with pytest.raises(ValueError, match=message):
        discrete.resample(p, 10, 3)


def test_probabilities_of_wrong_type():
    with pytest.raises(TypeError, match="p must be"):
        discrete.resample(["a", "b"], 10, 3)


@pytest.mark.parametrize("M, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), ("10", TypeError), (True, TypeError)])
def test_bad_m(M, error):
    with pytest.raises(error, match="M must be an integer in \\[1, 2\\*\\*53\\]"):
        discrete.resample([0.5, 0.5], M, 3)
    with pytest.raises(error, match="M must be an integer >= 1"):
        discrete.wright_fisher_matrix(M)


def test_whole_float_m_is_accepted():
    assert discrete.resample([0.5, 0.5], 10.0, 2, rng=0).shape == (3, 2)


@pytest.mark.parametrize("generations, error", [(-1, ValueError), (1.5, TypeError)])
def test_bad_generations(generations, error):
    with pytest.raises(error, match="generations must be an integer in \\[0, 100,000\\]"):
        discrete.resample([0.5, 0.5], 10, generations)


def test_bad_replicates_and_rng():
    with pytest.raises(ValueError, match="replicates must be an integer >= 1"):
        discrete.resample([0.5, 0.5], 10, 2, replicates=0)
    with pytest.raises(TypeError, match="rng must be"):
        discrete.resample([0.5, 0.5], 10, 2, rng="seed")
    with pytest.raises(TypeError, match="rng must be"):
        discrete.resample([0.5, 0.5], 10, 2, rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="non-negative integer"):
        discrete.resample([0.5, 0.5], 10, 2, rng=-1)


@pytest.mark.parametrize(
    "P, message",
    [
        (np.array([[1.0, 0.0], [0.5, 0.4]]), "row-stochastic"),
        (np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), "square"),
        (np.array([[1.0, 0.0], [-0.5, 1.5]]), "non-negative"),
        (np.array([[1.0, 0.0], [np.nan, 0.5]]), "finite"),
        (np.array([[0.0, 1.0], [1.0, 0.0]]), "no absorbing state"),
        (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), "never reach an absorbing state"),
    ],
)
def test_bad_transition_matrices(P, message):
    with pytest.raises(ValueError, match=message):
        discrete.absorption(P)


def test_bad_sympy_transition_matrices():
    half = sympy.Rational(1, 2)
    with pytest.raises(ValueError, match="row-stochastic"):
        discrete.absorption(sympy.Matrix([[1, 0], [half, half / 2]]))
    with pytest.raises(ValueError, match="no absorbing state"):
        discrete.absorption(sympy.Matrix([[0, 1], [1, 0]]))
    with pytest.raises(TypeError, match="numbers only"):
        discrete.absorption(sympy.Matrix([[1, 0], [sympy.Symbol("a"), 1 - sympy.Symbol("a")]]))
    with pytest.raises(TypeError, match="square numeric matrix"):
        discrete.absorption([["a", "b"], ["c", "d"]])
