"""Tests of collapse_lib.curation: best-of-k selection, the Bradley–Terry update, the watermark.

Statistical tests use fixed seeds and check all their comparisons together at a family-wise
false-alarm rate (``tests/library/family_wise.py``), so they pass on other seeds too.
"""

import itertools

import numpy as np
import pytest
import scipy.stats

from collapse_lib import curation, laws
from collapse_lib import language as lm
from tests.library.family_wise import Family


def brute_force_best_of_k(p, reward, k):
    """Enumerate every ordered k-tuple of draws and keep a uniformly chosen best one."""
    p, reward = np.asarray(p, float), np.asarray(reward, float)
    law = np.zeros(p.size)
    for draws in itertools.product(range(p.size), repeat=k):
        chance = np.prod(p[list(draws)])
        best = max(reward[j] for j in draws)
        winners = [j for j in draws if reward[j] == best]
        for j in winners:
            law[j] += chance / len(winners)
    return law


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("case", [
    ([0.5, 0.3, 0.2], [0.0, 1.0, 2.0]),
    ([0.1, 0.2, 0.3, 0.4], [1.0, 1.0, 0.0, 2.0]),  # a tie
    ([0.25, 0.25, 0.25, 0.25], [3.0, 3.0, 3.0, 3.0]),  # all tied
    ([0.0, 0.5, 0.5, 0.0], [5.0, 1.0, 2.0, -1.0]),  # zero-probability categories
])
def test_best_of_k_equals_brute_force_enumeration(case, k):
    p, reward = case
    np.testing.assert_allclose(curation.best_of_k(p, reward, k), brute_force_best_of_k(p, reward, k), atol=1e-14)


def test_best_of_k_limits():
    p, reward = np.array([0.4, 0.3, 0.2, 0.1]), np.array([0.0, 2.0, 1.0, 2.0])
    np.testing.assert_allclose(curation.best_of_k(p, reward, 1), p)
    # As k grows, the law concentrates on the top level, shared in proportion to p.
    np.testing.assert_allclose(curation.best_of_k(p, reward, 2000), [0, 0.75, 0, 0.25], atol=1e-12)
    assert curation.best_of_k(p, reward, 50)[[1, 3]].sum() > 1 - 0.7**50 - 1e-12


def test_best_of_k_against_monte_carlo(seed_offset):
    rng = np.random.default_rng(30 + seed_offset)
    p, reward, k, R = np.array([0.5, 0.2, 0.2, 0.1]), np.array([0.0, 1.0, 1.0, 3.0]), 3, 100_000
    draws = rng.choice(4, size=(R, k), p=p)
    best = reward[draws].max(axis=1, keepdims=True)
    # Among tied best candidates pick one uniformly: random keys on the winners.
    keys = np.where(reward[draws] == best, rng.random((R, k)), -1.0)
    kept = draws[np.arange(R), keys.argmax(axis=1)]
    observed = np.bincount(kept, minlength=4)
    expected = curation.best_of_k(p, reward, k) * R
    Family().same_law("kept item ~ best_of_k", scipy.stats.chisquare(observed, expected).pvalue).check()


def brute_force_bradley_terry(p, reward, k):
    """Enumerate the k-tuples; choose each candidate with probability e^r / sum e^r."""
    p, weight = np.asarray(p, float), np.exp(np.asarray(reward, float))
    law = np.zeros(p.size)
    for draws in itertools.product(range(p.size), repeat=k):
        chance = np.prod(p[list(draws)])
        total = weight[list(draws)].sum()
        for j in draws:
            law[j] += chance * weight[j] / total
    return law


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_bradley_terry_update_equals_enumeration(k):
    p, reward = np.array([0.5, 0.3, 0.15, 0.05]), np.array([0.0, 0.5, 2.0, -1.0])
    np.testing.assert_allclose(curation.bradley_terry_update(p, reward, k), brute_force_bradley_terry(p, reward, k),
                               atol=1e-9)


def test_bradley_terry_limit_is_the_exponential_tilt():
    # Ferbach et al.'s lemma: as k grows, p e^r / E_p[e^r].
    p, reward = np.array([0.5, 0.3, 0.2]), np.array([0.0, 1.0, -0.5])
    tilted = p * np.exp(reward) / (p @ np.exp(reward))
    np.testing.assert_allclose(curation.bradley_terry_update(p, reward, 20_000), tilted, atol=2e-4)
    # The expected reward never falls, and iterating concentrates on the best category.
    q = p.copy()
    for _ in range(200):
        new = curation.bradley_terry_update(q, reward, 4)
        assert new @ reward >= q @ reward - 1e-12
        q = new
    assert q[1] > 0.99


def test_watermark_green_share_and_detector_false_alarm_rate(seed_offset):
    # Unwatermarked text: every token green with probability gamma, so z > z_alpha about alpha of the time.
    rng = np.random.default_rng(40 + seed_offset)
    gamma, T, R = 0.25, 200, 20_000
    tokens = rng.integers(0, 5000, size=(R, T))
    previous = rng.integers(0, 5000, size=R)
    z = curation.watermark_z(tokens, previous, gamma=gamma, key=7)
    share = curation.green_mask(np.arange(50), 5000, gamma=gamma, key=7).mean()
    alpha = 0.05
    rejected = (z > scipy.stats.norm.isf(alpha)).mean()
    (Family()
     .agree("green share", share, np.sqrt(gamma * (1 - gamma) / (50 * 5000)), gamma)
     .agree("mean z", z.mean(), 1 / np.sqrt(R), 0.0)
     # The binomial's discreteness makes the exact level differ slightly from alpha; compare
     # with the exact binomial tail instead of the normal one.
     .agree("false alarm rate", rejected, np.sqrt(alpha * (1 - alpha) / R),
            scipy.stats.binom.sf(np.floor(gamma * T + scipy.stats.norm.isf(alpha) * np.sqrt(T * gamma * (1 - gamma))),
                                 T, gamma))
     .check())


@pytest.fixture(scope="module")
def small_model():
    rng = np.random.default_rng(0)
    V = 40
    tokens = rng.choice(np.arange(2, V), size=4000, p=np.linspace(3, 1, V - 2) / np.linspace(3, 1, V - 2).sum())
    return lm.train(tokens.reshape(40, -1), V), V


def test_watermarked_sampling_is_the_tilted_model(small_model, seed_offset):
    model, V = small_model
    prompt = np.array([[5, 7]])
    R, gamma, delta = 40_000, 0.25, 1.5
    draws = curation.watermarked_sample(model, np.repeat(prompt, R, axis=0), 1, gamma=gamma, delta=delta, key=3,
                                        rng=50 + seed_offset)[:, 0]
    p = lm.next_token_probabilities(model, prompt)[0]
    green = curation.green_mask([7], V, gamma=gamma, key=3)[0]
    tilted = p * np.where(green, np.exp(delta), 1.0)
    tilted /= tilted.sum()
    keep = tilted * R > 5
    observed = np.bincount(draws, minlength=V)
    pvalue = scipy.stats.chisquare(np.append(observed[keep], observed[~keep].sum()),
                                   np.append(tilted[keep], tilted[~keep].sum()) * R).pvalue
    Family().same_law("watermarked draw", pvalue).check()
    plain = curation.watermarked_sample(model, prompt, 5, delta=0.0, rng=1)
    assert plain.shape == (1, 5)


def test_watermark_is_detected_in_long_text(small_model):
    model, V = small_model
    prompts = np.tile([[5, 7]], (200, 1))
    marked = curation.watermarked_sample(model, prompts, 100, gamma=0.25, delta=4.0, key=11, rng=2)
    plain = curation.watermarked_sample(model, prompts, 100, gamma=0.25, delta=0.0, key=11, rng=3)
    z_marked = curation.watermark_z(marked, prompts[:, -1], gamma=0.25, key=11)
    z_plain = curation.watermark_z(plain, prompts[:, -1], gamma=0.25, key=11)
    assert np.median(z_marked) > 4 > np.median(z_plain)


def test_laws_accept_a_batch_of_models():
    rng = np.random.default_rng(3)
    batch = rng.dirichlet(np.ones(4), size=(3, 2))
    reward = np.array([0.0, 1.0, 1.0, 2.5])
    for update in (curation.best_of_k, curation.bradley_terry_update):
        together = update(batch, reward, 4)
        one_by_one = np.array([[update(row, reward, 4) for row in rows] for rows in batch])
        np.testing.assert_allclose(together, one_by_one, atol=1e-15)


def test_bradley_terry_enumeration_equals_quadrature(monkeypatch):
    """The exact sum over rival counts and the one-dimensional integral are the same expectation."""
    p, reward = np.array([0.5, 0.2, 0.2, 0.1, 0.0]), np.array([0.0, 0.3, 1.0, 2.0, 5.0])
    exact = {k: curation.bradley_terry_update(p, reward, k) for k in (2, 6, 15)}
    monkeypatch.setattr(curation, "MAX_COMPOSITIONS", 0)
    for k, law in exact.items():
        np.testing.assert_allclose(curation.bradley_terry_update(p, reward, k), law, atol=1e-10)


@pytest.mark.parametrize("choice", ["best", "bradley-terry"])
def test_curation_loop_exact_and_sample_by_sample_agree(choice, seed_offset):
    p, reward = np.array([0.4, 0.3, 0.2, 0.1]), np.array([0.0, 1.0, 1.0, 0.5])
    kwargs = dict(k=3, M=60, generations=3, choice=choice, real_fraction=0.25, replicates=3000)
    exact = curation.curation_loop(p, reward, rng=60 + seed_offset, **kwargs)
    drawn = curation.curation_loop(p, reward, method="samples", rng=70 + seed_offset, **kwargs)
    family = Family()
    for t in (1, 3):
        for j in range(4):
            family.same_law(f"generation {t}, category {j}",
                            scipy.stats.ks_2samp(exact[:, t, j], drawn[:, t, j], method="asymp").pvalue)
    # One step of the loop is the curated law mixed with real draws, in expectation.
    target = 0.25 * p + 0.75 * {"best": curation.best_of_k, "bradley-terry": curation.bradley_terry_update}[choice](
        p, reward, 3)
    for name, run in (("exact", exact), ("samples", drawn)):
        mean = run[:, 1].mean(axis=0)
        family.agree(f"{name}: E[generation 1]", mean, np.sqrt(target * (1 - target) / (60 * 3000)) + 1e-12, target)
    family.check()
    assert np.allclose(exact.sum(axis=2), 1) and np.allclose(exact[:, 0], p, rtol=0, atol=1e-15)


def test_best_of_k_top_share_is_a_selection_chain(seed_offset):
    """With one top category, its count is a chain with success probability 1 - (1 - s)^k."""
    p, reward, k, M = np.array([0.7, 0.2, 0.1]), np.array([0.0, 0.0, 1.0]), 2, 40
    run = curation.curation_loop(p, reward, k, M, 1, replicates=20_000, rng=80 + seed_offset)
    top = np.rint(run[:, 1, 2] * M).astype(int)
    expected = scipy.stats.binom.pmf(np.arange(M + 1), M, 1 - (1 - 0.1) ** k) * top.size
    keep = expected > 5
    observed = np.bincount(top, minlength=M + 1)
    Family().same_law("top count", scipy.stats.chisquare(
        np.append(observed[keep], observed[~keep].sum()), np.append(expected[keep], expected[~keep].sum())).pvalue
    ).check()


@pytest.mark.parametrize("rule, value", [("best_of_k", 1), ("best_of_k", 4), ("above", 0.5), ("above", -1.0),
                                         ("within", 1.0), ("within", 2.5)])
def test_curated_gaussian_loop_follows_the_kept_moments(rule, value, seed_offset):
    M, G, R = 20, 6, 4000
    exact = curation.curated_gaussian_loop(M, G, rule=rule, value=value, mean=1.0, variance=2.0, replicates=R,
                                           rng=90 + seed_offset)
    drawn = curation.curated_gaussian_loop(M, G, rule=rule, value=value, mean=1.0, variance=2.0, replicates=R,
                                           method="samples", rng=100 + seed_offset)
    m, v = laws.kept_normal_moments(rule, value)
    family = Family()
    for name, chain in (("exact", exact), ("samples", drawn)):
        variances, means = chain.variances, chain.means[..., 0]
        # E[variance_{t+1} | generation t] = v variance_t: a ratio with mean v every generation.
        ratios = variances[:, 1:] / variances[:, :-1]
        family.agree(f"{name}: variance ratio", ratios.mean(axis=0), ratios.std(axis=0, ddof=1) / np.sqrt(R), v)
        # The mean moves by m sd_t on average: a martingale difference after subtracting it.
        steps = (means[:, 1:] - means[:, :-1]) / np.sqrt(variances[:, :-1]) - m
        family.agree(f"{name}: standardised mean step", steps.mean(axis=0), steps.std(axis=0, ddof=1) / np.sqrt(R),
                     0.0)
    for t in (1, G):
        family.same_law(f"exact = samples, variance at {t}",
                        scipy.stats.ks_2samp(exact.variances[:, t], drawn.variances[:, t], method="asymp").pvalue)
    family.check()


def test_kept_normal_moments_against_scipy():
    for k, mean in ((2, 1 / np.sqrt(np.pi)), (3, 3 / (2 * np.sqrt(np.pi)))):
        assert laws.kept_normal_moments("best_of_k", k)[0] == pytest.approx(mean, abs=1e-12)
    assert laws.kept_normal_moments("best_of_k", 2)[1] == pytest.approx(1 - 1 / np.pi, abs=1e-12)
    for a in (-2.0, 0.0, 1.5, 6.0):
        expected = scipy.stats.truncnorm.stats(a, np.inf, moments="mv")
        np.testing.assert_allclose(laws.kept_normal_moments("above", a), expected, rtol=1e-9)
    for c in (0.3, 1.0, 3.0):
        expected = scipy.stats.truncnorm.stats(-c, c, moments="mv")
        np.testing.assert_allclose(laws.kept_normal_moments("within", c), expected, rtol=1e-9, atol=1e-15)
    # The largest of k normals: its mean grows like sqrt(2 log k), its variance falls.
    means = [laws.kept_normal_moments("best_of_k", k)[0] for k in (10, 100, 1000)]
    assert means == sorted(means) and means[-1] < np.sqrt(2 * np.log(1000))


def test_verified_training_error_against_an_explicit_simulation(seed_offset):
    """The plane-plus-chi-square shortcut against examples drawn in all dim coordinates."""
    rng = np.random.default_rng(110 + seed_offset)
    n_real, n_syn, dim, signal, angle, R = 10, 40, 6, 1.2, 1.0, 3000
    accuracy = np.array([0.3, 0.8])
    fast = curation.verified_training_error(n_real, n_syn, accuracy, signal=signal, generator_angle=angle, dim=dim,
                                            replicates=R, rng=120 + seed_offset)
    mu = np.zeros(dim)
    mu[0] = signal
    w_g = np.zeros(dim)
    w_g[:2] = np.cos(angle), np.sin(angle)
    slow = np.empty((2, R))
    for i, a in enumerate(accuracy):
        y = rng.choice([-1.0, 1.0], size=(R, n_real + n_syn))
        x = y[..., None] * mu + rng.standard_normal((R, n_real + n_syn, dim))
        label = y.copy()
        generated = np.sign(x[:, n_real:] @ w_g)
        label[:, n_real:] = generated
        right = generated == y[:, n_real:]
        keep = np.ones_like(y, dtype=bool)
        keep[:, n_real:] = np.where(right, rng.random(right.shape) < a, rng.random(right.shape) < 1 - a)
        w = ((label * keep)[..., None] * x).sum(axis=1)
        slow[i] = scipy.stats.norm.cdf(-(w @ mu) / np.linalg.norm(w, axis=1))
    family = Family()
    for i, a in enumerate(accuracy):
        family.same_law(f"accuracy {a}", scipy.stats.ks_2samp(fast[i], slow[i], method="asymp").pvalue)
    family.check()


def test_verified_synthetic_direction_is_the_mean_contribution(seed_offset):
    rng = np.random.default_rng(130 + seed_offset)
    signal, angle, N = 1.5, np.radians(70), 400_000
    w_g = np.array([np.cos(angle), np.sin(angle)])
    z = rng.standard_normal((N, 2)) + [signal, 0.0]
    correct = z @ w_g > 0
    u = rng.random(N)
    family = Family()
    for a in (0.0, 0.5, 0.9):
        contribution = np.where((np.where(correct, u < a, u < 1 - a) & correct)[:, None], z, 0.0) - np.where(
            (np.where(correct, u < a, u < 1 - a) & ~correct)[:, None], z, 0.0)
        family.agree(f"a = {a}", contribution.mean(axis=0), contribution.std(axis=0, ddof=1) / np.sqrt(N),
                     laws.verified_synthetic_direction(a, signal, angle))
    family.check()
    # Without synthetic data the learner is the real-data classifier; with a perfect generator
    # and verifier the limit is the Bayes error.
    assert laws.verified_limit_error(1.0, signal, 0.0) == pytest.approx(scipy.stats.norm.cdf(-signal))


def test_green_probabilities_are_the_conditional_chance_of_green(small_model, seed_offset):
    model, V = small_model
    prompts = np.tile([[5, 7]], (3000, 1))
    tokens, green_probability = curation.watermarked_sample(model, prompts, 12, delta=2.0, key=5,
                                                            return_green_probability=True, rng=140 + seed_offset)
    before = np.concatenate([prompts[:, -1:], tokens[:, :-1]], axis=1)
    green = np.array([[curation.green_mask([b], V, key=5)[0, t] for b, t in zip(rb, rt)]
                      for rb, rt in zip(before[:200], tokens[:200])])
    # The green count minus the summed probabilities has mean zero (a martingale difference).
    green_all = (curation.watermark_z(tokens, prompts[:, -1], key=5) * np.sqrt(12 * 0.25 * 0.75) + 0.25 * 12)
    difference = green_all - green_probability.sum(axis=1)
    Family().agree("green count - sum of green probabilities", difference.mean(),
                   difference.std(ddof=1) / np.sqrt(difference.size), 0.0).check()
    assert np.array_equal(green.sum(axis=1), np.rint(green_all[:200]).astype(int))
    # One key per text: each text tested against its own key.
    keys = np.arange(20)
    z = curation.watermark_z(tokens[:20], prompts[:20, -1], key=keys)
    assert np.allclose(z, [curation.watermark_z(tokens[i : i + 1], prompts[i : i + 1, -1], key=i)[0] for i in keys])


def test_watermark_power_law():
    # The normal approximation against the exact binomial tail, for T large enough.
    T, g, gamma = 400, 0.4, 0.25
    needed = gamma * T + 4 * np.sqrt(T * gamma * (1 - gamma))
    assert laws.watermark_power(T, g, gamma) == pytest.approx(scipy.stats.binom.sf(np.floor(needed), T, g), abs=0.03)
    assert laws.watermark_green_rate(0.25, 0.0) == pytest.approx(0.25)
    assert laws.watermark_green_rate(0.5, np.log(3)) == pytest.approx(0.75)


@pytest.mark.parametrize("call, error, message", [
    (lambda: curation.best_of_k([0.5, 0.5], [1.0], 2), ValueError, "reward"),
    (lambda: curation.best_of_k([0.5, 0.6], [1.0, 2.0], 2), ValueError, "p"),
    (lambda: curation.best_of_k([0.5, 0.5], [1.0, np.nan], 2), ValueError, "reward"),
    (lambda: curation.best_of_k([0.5, 0.5], [1.0, 2.0], 0), ValueError, "k"),
    (lambda: curation.best_of_k([0.5, 0.5], [1.0, 2.0], 2.5), TypeError, "k"),
    (lambda: curation.bradley_terry_update([0.5, 0.5], [1.0, 2.0], -1), ValueError, "k"),
    (lambda: curation.green_mask([1, 2], 10, gamma=1.0), ValueError, "gamma"),
    (lambda: curation.green_mask([1, -2], 10), ValueError, "previous"),
    (lambda: curation.watermark_z([[1, 2]], [1, 2]), ValueError, "previous"),
    (lambda: curation.watermark_z([[1.5, 2]], [1]), ValueError, "tokens"),
    (lambda: curation.watermark_z([[1, 2]], [1], key=-1), ValueError, "key"),
    (lambda: curation.watermark_z([[1, 2], [2, 3]], [1, 1], key=[1, 2, 3]), ValueError, "key"),
    (lambda: curation.curation_loop([0.5, 0.5], [0.0, 1.0], 2, 10, 3, choice="max"), ValueError, "choice"),
    (lambda: curation.curation_loop([[0.5, 0.5]], [0.0, 1.0], 2, 10, 3), ValueError, "p"),
    (lambda: curation.curation_loop([0.5, 0.5], [0.0, 1.0], 2, 10, 3, real_fraction=1.5), ValueError, "real_fraction"),
    (lambda: curation.curated_gaussian_loop(10, 3, rule="top", value=1), ValueError, "rule"),
    (lambda: curation.curated_gaussian_loop(10, 3, rule="best_of_k", value=2.5), TypeError, "value"),
    (lambda: curation.curated_gaussian_loop(10, 3, rule="above", value=9.0), ValueError, "value"),
    (lambda: curation.curated_gaussian_loop(1, 3, rule="within", value=1.0), ValueError, "M"),
    (lambda: curation.verified_training_error(0, 0, 0.5), ValueError, "n_real"),
    (lambda: curation.verified_training_error(5, 5, 1.5), ValueError, "verifier_accuracy"),
    (lambda: curation.verified_training_error(5, 5, 0.5, generator_angle=2.0), ValueError, "generator_angle"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
