"""Tests of collapse_lib.curation: best-of-k selection, the Bradley–Terry update, the watermark.

Statistical tests use fixed seeds and check all their comparisons together at a family-wise
false-alarm rate (``tests/library/family_wise.py``), so they pass on other seeds too.
"""

import itertools

import numpy as np
import pytest
import scipy.stats

from collapse_lib import curation
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
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
