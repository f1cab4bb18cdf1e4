"""Every exercise checker accepts correct answers (the reference and an alternative, across seeds)
and rejects named wrong answers with its hint (collapse_lib.exercises)."""

import numpy as np
import pytest
import scipy.stats

from collapse_lib import data, discrete, gaussian, laws, loops, metrics
from collapse_lib import language as lm
from collapse_lib.exercises import (
    WrongAnswer,
    breaking_the_loop,
    discrete_absorption,
    gaussian_collapse,
    language_models,
    self_consuming_loop,
)
from collapse_lib.montecarlo import mean_and_se

REJECTED = {}  # checker -> number of named wrong answers it rejects (printed by test_report_counts)


def rejects(checker, wrong, *args, hint, **kwargs):
    with pytest.raises(WrongAnswer, match=hint):
        checker(wrong, *args, **kwargs)
    REJECTED[checker.__name__] = REJECTED.get(checker.__name__, 0) + 1


# --- chapter 1 -------------------------------------------------------------------------------
P0, M_VALUES = data.zipf(2000, 1.1), 10.0 ** np.arange(2, 7)


def test_mass_lost():
    check = self_consuming_loop.check_mass_lost
    exact = [np.sum(P0 * (1 - P0) ** M) for M in M_VALUES]
    check(exact, p=P0, M_values=M_VALUES)
    check([np.sum(P0 * np.exp(-M * P0)) for M in M_VALUES], p=P0, M_values=M_VALUES)  # the Poisson limit
    rejects(check, [np.sum((1 - P0) ** M) for M in M_VALUES], p=P0, M_values=M_VALUES, hint="weighted")
    rejects(check, [np.sum(P0 * (1 - (1 - P0) ** M)) for M in M_VALUES], p=P0, M_values=M_VALUES, hint="weighted")
    rejects(check, [np.sum(P0 * (1 - P0) ** (M - 1)) for M in M_VALUES], p=P0, M_values=M_VALUES, hint="power")
    rejects(check, exact[:4], p=P0, M_values=M_VALUES, hint="one mass per M")


# --- chapter 2 -------------------------------------------------------------------------------
def support_by_propagation(p, M, t, *, powers=None):
    P = discrete.wright_fisher_matrix(M)
    laws_1 = scipy.stats.binom.pmf(np.arange(M + 1)[None, :], M, np.asarray(p)[:, None])
    return float(np.sum(1 - (laws_1 @ np.linalg.matrix_power(P, t - 1 if powers is None else powers(t)))[:, 0]))


def support_step_by_step(p, M, t):  # an alternative: one category at a time, one step at a time
    P = discrete.wright_fisher_matrix(M)
    alive = 0.0
    for p_k in p:
        law = scipy.stats.binom.pmf(np.arange(M + 1), M, p_k)
        for _ in range(t - 1):
            law = law @ P
        alive += 1 - law[0]
    return alive


def test_expected_support():
    check = discrete_absorption.check_expected_support
    check(support_by_propagation)
    check(support_step_by_step)
    rejects(check, lambda p, M, t: support_by_propagation(p, M, t, powers=lambda t: t), hint="t times instead")
    rejects(check, lambda p, M, t: support_by_propagation(p, M, t, powers=lambda t: max(t - 2, 0)), hint="too large")
    rejects(check, lambda p, M, t: len(p) - support_by_propagation(p, M, t), hint="too small")
    rejects(check, 3.0, hint="pass your function")


def half_life_runs(seed, M_values=(20, 40, 80, 160), chains=500, M_used=None):
    rng = np.random.default_rng(seed)
    runs = [metrics.heterozygosity(discrete.resample(data.zipf(10, 1.0), M_used or M, 3 * M, replicates=chains,
                                                     rng=rng)) for M in M_values]
    first_below = [int(np.argmax(H.mean(axis=0) < H.mean(axis=0)[0] / 2)) for H in runs]
    return first_below, runs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_half_lives_accepted_across_seeds(seed):
    half_lives, runs = half_life_runs(seed)
    discrete_absorption.check_half_lives(half_lives, runs)
    # An alternative reading: the first index where the mean path is below half, by flatnonzero.
    alternative = [int(np.flatnonzero(H.mean(axis=0) < H[:, 0].mean() / 2)[0]) for H in runs]
    discrete_absorption.check_half_lives(alternative, runs)


def test_half_lives_rejected():
    check = discrete_absorption.check_half_lives
    half_lives, runs = half_life_runs(3)
    rejects(check, [h - 1 for h in half_lives], runs, hint="earlier than the first generation")  # off by one
    rejects(check, [h + 1 for h in half_lives], runs, hint="later than the first generation")
    typed = np.ceil(laws.heterozygosity_half_life(np.array([20, 40, 80, 160]))) + 3
    rejects(check, typed, runs, hint="first generation")
    wrong_M, wrong_runs = half_life_runs(4, chains=300, M_used=10)  # simulated with the wrong M
    rejects(check, wrong_M, wrong_runs, hint="does not decay like")


# --- chapter 3 -------------------------------------------------------------------------------
def measured_drifts(seed, replicates):
    rng = np.random.default_rng(seed)
    return [np.log(gaussian.simulate(0.0, 1.0, M, 2 * M, replicates=replicates, rng=rng).variances[:, -1]).mean()
            / (2 * M) for M in (5, 10, 20, 50)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drifts_accepted_across_seeds(seed):
    gaussian_collapse.check_drifts(measured_drifts(seed, 4000), replicates=4000)


def test_drifts_rejected():
    check = gaussian_collapse.check_drifts
    M = np.array([5, 10, 20, 50])
    rejects(check, np.array(measured_drifts(5, 4000)) * 2 * M, replicates=4000, hint="divide by the number")
    rng = np.random.default_rng(6)
    log_of_mean = [np.log(gaussian.simulate(0.0, 1.0, m, 2 * m, replicates=4000, rng=rng).variances[:, -1].mean())
                   / (2 * m) for m in M]
    rejects(check, log_of_mean, replicates=4000, hint="average the variance itself")
    rejects(check, -1 / M - 4 / (3 * M**2), replicates=20_000, hint="not the 1/M expansion")
    rejects(check, -np.array(measured_drifts(7, 4000)), replicates=4000, hint="negative")


def test_precision_example():
    check = gaussian_collapse.check_precision_example
    z = scipy.stats.norm.isf(0.025)
    check(scipy.stats.norm.cdf(z, 1, 0.25) - scipy.stats.norm.cdf(-z, 1, 0.25))
    check(scipy.stats.norm.cdf((1.96 - 1) / 0.25) - scipy.stats.norm.cdf((-1.96 - 1) / 0.25))  # z typed as 1.96
    recall = scipy.stats.norm.cdf(1 + 0.25 * z) - scipy.stats.norm.cdf(1 - 0.25 * z)  # roles swapped
    rejects(check, recall, hint="model's")
    rejects(check, scipy.stats.norm.cdf(z, 1, 1) - scipy.stats.norm.cdf(-z, 1, 1), hint="standard deviation")
    rejects(check, 1.2, hint="between 0 and 1")


# --- chapter 4 -------------------------------------------------------------------------------
def exponential_family(*, exact=True, rate_of=lambda count, total: count / total, scale_of=lambda rate: 1 / rate,
                       count_shift=0):
    def stats(block):
        return np.full(block.shape[0], float(block.shape[1])), block[..., 0].sum(axis=1)

    def fit(stats_):
        return (rate_of(*stats_),)

    def sample(params, n, generator):
        return generator.exponential(1.0 / params[0][:, None, None], size=(params[0].size, n, 1))

    def sample_stats(params, n, generator):
        return np.full(params[0].size, float(n + count_shift)), generator.gamma(n, scale_of(params[0]))

    return loops.ModelFamily("exponential", stats, fit, sample, sample_stats if exact else None, min_size=1)


@pytest.mark.parametrize("seed", [0, 1])
def test_exponential_family_accepted(seed):
    breaking_the_loop.check_exponential_family(exponential_family, rng=seed)
    breaking_the_loop.check_exponential_family(lambda: exponential_family(exact=False), rng=seed)  # no fast path


def test_exponential_family_rejected():
    check = breaking_the_loop.check_exponential_family
    rejects(check, lambda: exponential_family(rate_of=lambda count, total: total / count), hint="maximum-likelihood")
    rejects(check, lambda: exponential_family(scale_of=lambda rate: rate), hint="scale 1/r")
    rejects(check, lambda: exponential_family(count_shift=-1), hint="and the count n")


def regression_errors(seed, R=2000, N=50, p=5, sigma=1.0, G=20):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, p))
    w = rng.normal(size=p)
    real = np.concatenate([np.broadcast_to(X, (R, N, p)), (X @ w + sigma * rng.standard_normal((R, N)))[..., None]],
                          axis=-1)
    unit = sigma**2 * np.trace(np.linalg.inv(X.T @ X))
    return {scheme: mean_and_se(np.sum((loops.run_loop(loops.linear_regression_family(X, sigma), real, scheme=scheme,
                                                       generations=G, synthetic_size=N, replicates=R,
                                                       rng=rng).params[0] - w) ** 2, axis=-1) / unit, axis=0)
            for scheme in ("replace", "accumulate")}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ratio(seed):
    check = breaking_the_loop.check_ratio
    errors = regression_errors(seed)
    predicted = 21 / np.sum(1 / np.arange(1, 22) ** 2)
    measured = errors["replace"][0][20] / errors["accumulate"][0][20]
    check(predicted, measured, errors)
    check(laws.regression_error_replace(20) / laws.regression_error_accumulate(20), measured, errors)
    if seed == 0:
        rejects(check, 20 / np.sum(1 / np.arange(1, 21) ** 2), measured, errors, hint="t \\+ 1 fits")
        rejects(check, 1 / predicted, measured, errors, hint="replace over accumulate")
        rejects(check, predicted, errors["replace"][0][19] / errors["accumulate"][0][19], errors, hint="index 20")
        rejects(check, predicted, 1 / measured, errors, hint="index 20")


# --- chapter 5 -------------------------------------------------------------------------------
COUNTS = np.random.default_rng(0).multinomial(20_000, data.zipf(5000, 1.1))


def test_expected_types():
    check, M = language_models.check_expected_types, 20_000
    q = COUNTS[COUNTS > 0] / M
    check(np.sum(1 - (1 - q) ** M), counts=COUNTS, M=M)
    check(np.sum(1 - np.exp(-M * q)), counts=COUNTS, M=M)
    rejects(check, np.sum((1 - q) ** M), counts=COUNTS, M=M, hint="lost")
    rejects(check, q.size, counts=COUNTS, M=M, hint="no word can be gained")
    rejects(check, np.sum(1 - (1 - q) ** (M / 2)), counts=COUNTS, M=M, hint="check q and the power")


def test_by_hand():
    check = language_models.check_by_hand
    p1 = (1 - 0.75) / 4 + (0.75 * 3 / 4) * (1 / 4)
    p2 = (1 - 0.75) / 2 + (0.75 * 2 / 2) * p1
    check((1 - 0.75) / 2 + (0.75 * 2 / 2) * p2)
    check(0.125 + 0.75 * (0.125 + 0.75 * (1 / 16 + 9 / 64)))  # the same, simplified by hand
    raw_unigram = (1 - 0.75) / 5 + (0.75 * 3 / 5) * (1 / 4)  # raw counts (a, b, a, b, c) instead of continuation
    rejects(check, 0.125 + 0.75 * (0.125 + 0.75 * raw_unigram), hint="continuation counts")
    v5 = (1 - 0.75) / 4 + (0.75 * 3 / 4) * (1 / 5)  # V = 5, counting <s>
    rejects(check, 0.125 + 0.75 * (0.125 + 0.75 * v5), hint="V = 4")


@pytest.fixture(scope="module")
def corpus():
    paragraphs = data.python_reference_paragraphs()[:400]  # a quarter of the chapter's text, to keep it fast
    train = [tok for i, para in enumerate(paragraphs) if i % 10 != 9 for tok in lm.tokenize(para)]
    test = [tok for i, para in enumerate(paragraphs) if i % 10 == 9 for tok in lm.tokenize(para)]
    vocab = lm.build_vocabulary(train)
    return lm.cut_blocks(vocab.encode(train), 64), lm.cut_blocks(vocab.encode(test), 64), len(vocab)


def accumulate(real, test, V, *, keep_real=True, window=None):
    def perplexities(generations, seed):
        generator = np.random.default_rng(seed)
        pool = [real] if keep_real else []
        model = lm.train(real, V)
        result = [lm.corpus_perplexity(model, test)]
        for _ in range(generations):
            pool.append(lm.sample(model, real, real.shape[1], rng=generator))
            model = lm.train(np.concatenate(pool if window is None else pool[-window:]), V)
            result.append(lm.corpus_perplexity(model, test))
        return np.array(result)

    return perplexities


def test_accumulate(corpus):
    real, test, V = corpus
    check = language_models.check_accumulate
    kwargs = dict(real_blocks=real, test_blocks=test, vocab_size=V)
    check(accumulate(real, test, V), **kwargs, seeds=(1, 2, 3))
    rejects(check, accumulate(real, test, V, window=1), **kwargs, hint="too high")  # replace, not accumulate
    rejects(check, accumulate(real, test, V, keep_real=False), **kwargs, hint="too high")  # the real blocks forgotten
    rejects(check, lambda g, s: accumulate(real, test, V)(g, s)[1:].tolist() + [0], **kwargs, hint="generation 0")


def test_report_counts():
    # Runs last in this module: how many checkers, and how many wrong answers each rejects. Only
    # meaningful when every rejection test above ran (not under -k or after a failure).
    if len(REJECTED) < 10:
        pytest.skip(f"only {len(REJECTED)} checkers' rejection tests ran in this session")
    assert len(REJECTED) == 10, sorted(REJECTED)
    assert all(count >= 2 for count in REJECTED.values()), REJECTED
    print("\nwrong answers rejected per checker:", dict(sorted(REJECTED.items())))
