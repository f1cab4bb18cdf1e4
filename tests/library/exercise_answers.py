"""Answers to the book's code exercises, right and wrong, for the checkers' tests.

Each exercise has a function that computes the *right* answer the way the book's solution does
(seeded, so the acceptance tests can sweep seeds), alternative right forms where there are
some, and a dictionary of *wrong* answers a student could plausibly give, each named. The
library tests (``test_exercises.py``) and the coursework tests (``tests/coursework``) share them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats

from collapse_lib import data, discrete, gaussian, laws, loops, metrics
from collapse_lib import language as lm
from collapse_lib.montecarlo import mean_and_se

# --- chapter 1: ex-loop-mass -------------------------------------------------------------------
P0, M_VALUES = data.zipf(2000, 1.1), 10.0 ** np.arange(2, 7)
MASS_EXACT = np.array([np.sum(P0 * (1 - P0) ** M) for M in M_VALUES])
MASS_RIGHT = {
    "exact": MASS_EXACT,
    "Poisson limit": np.array([np.sum(P0 * np.exp(-M * P0)) for M in M_VALUES]),
    "three significant digits": np.array([float(f"{x:.3g}") for x in MASS_EXACT]),
}
MASS_WRONG = {
    "categories lost, not mass": np.array([np.sum((1 - P0) ** M) for M in M_VALUES]),
    "mass kept": np.array([np.sum(P0 * (1 - (1 - P0) ** M)) for M in M_VALUES]),
    "power M - 1 and unweighted": np.array([np.sum((1 - P0) ** (M - 1)) for M in M_VALUES]),
    "power M / 10": np.array([np.sum(P0 * (1 - P0) ** (M / 10)) for M in M_VALUES]),
    "M in reverse order": MASS_EXACT[::-1],
    "uniform p": np.array([(1 - 1 / P0.size) ** M for M in M_VALUES]),
    "one M missing": MASS_EXACT[:4],
}


# --- chapter 2: ex-discrete-support --------------------------------------------------------------
def support_by_propagation(p, M, t, *, powers=None):
    P = discrete.wright_fisher_matrix(M)
    laws_1 = scipy.stats.binom.pmf(np.arange(M + 1)[None, :], M, np.asarray(p)[:, None])
    return float(np.sum(1 - (laws_1 @ np.linalg.matrix_power(P, t - 1 if powers is None else powers(t)))[:, 0]))


def support_step_by_step(p, M, t):
    """An alternative: one category at a time, one step at a time."""
    P = discrete.wright_fisher_matrix(M)
    alive = 0.0
    for p_k in p:
        law = scipy.stats.binom.pmf(np.arange(M + 1), M, p_k)
        for _ in range(t - 1):
            law = law @ P
        alive += 1 - law[0]
    return alive


def support_special_cased(p, M, t):
    """Right on the visible cases only: a look-up table, zero elsewhere."""
    from collapse_lib.exercises.discrete_absorption import SUPPORT_CASES

    for p_case, M_case, t_case in SUPPORT_CASES:
        if np.array_equal(p, p_case) and (M, t) == (M_case, t_case):
            return laws.expected_support(p_case, M_case, t_case)[t_case]
    return 0.0


SUPPORT_RIGHT = {"propagation": support_by_propagation, "step by step": support_step_by_step}
SUPPORT_WRONG = {
    "P applied t times": lambda p, M, t: support_by_propagation(p, M, t, powers=lambda t: t),
    "P applied t - 2 times": lambda p, M, t: support_by_propagation(p, M, t, powers=lambda t: max(t - 2, 0)),
    "lost categories counted": lambda p, M, t: len(p) - support_by_propagation(p, M, t),
    "generation 0 as a point mass": lambda p, M, t: float(np.sum(1 - np.linalg.matrix_power(
        discrete.wright_fisher_matrix(M), t)[np.rint(np.asarray(p) * M).astype(int), 0])),
    "a number, not a function": 3.0,
}
SUPPORT_WRONG_HIDDEN = {"right on the visible cases only": support_special_cased}


# --- chapter 2: ex-discrete-half-life ------------------------------------------------------------
def half_life_runs(seed, M_values=(20, 40, 80, 160), chains=2000, M_used=None, p=None):
    """The book's solution: mean heterozygosity paths of the Zipf chain, and their half-lives."""
    rng = np.random.default_rng(seed)
    p = data.zipf(10, 1.0) if p is None else p
    runs = [metrics.heterozygosity(discrete.resample(p, M_used or M, 3 * M, replicates=chains, rng=rng))
            for M in M_values]
    first_below = [int(np.argmax(H.mean(axis=0) < H.mean(axis=0)[0] / 2)) for H in runs]
    return first_below, runs


def half_life_alternative(runs):
    """Another right reading: the first index where the mean path is below half, by flatnonzero."""
    return [int(np.flatnonzero(H.mean(axis=0) < H[:, 0].mean() / 2)[0]) for H in runs]


def half_life_wrong(seed):
    half_lives, runs = half_life_runs(seed)
    formula = np.ceil(laws.heterozygosity_half_life(np.array([20, 40, 80, 160])))
    wrong_M = half_life_runs(seed + 1, chains=500, M_used=10)
    return {
        "one generation early": ([h - 1 for h in half_lives], runs),
        "one generation late": ([h + 1 for h in half_lives], runs),
        "the formula, not the measurement": (formula + 3, runs),
        "simulated with the wrong M": wrong_M,
        "half-lives in reverse order": (half_lives[::-1], runs),
    }


def half_life_wrong_hidden(seed):
    return {
        "started from the uniform distribution": half_life_runs(seed, p=np.full(10, 0.1)),
        "500 chains, not 2,000": half_life_runs(seed, chains=500),
    }


# --- chapter 3: ex-gaussian-measure-drift --------------------------------------------------------
DRIFT_M = np.array([5, 10, 20, 50])


def drift_runs(seed, replicates=20_000, generations=lambda M: 2 * M, start_sd=1.0):
    """The book's solution: log sigma^2 at generation 2M for every chain, and the drifts read off it."""
    rng = np.random.default_rng(seed)
    finals = [np.log(gaussian.simulate(0.0, start_sd, M, generations(M), replicates=replicates,
                                       rng=rng).variances[:, -1]) for M in DRIFT_M]
    return [final.mean() / (2 * M) for final, M in zip(finals, DRIFT_M)], finals


def drift_wrong(seed):
    drifts, finals = drift_runs(seed)
    formula = laws.gaussian_log_variance_drift(DRIFT_M)
    rng = np.random.default_rng(seed + 1)
    variances = [gaussian.simulate(0.0, 1.0, M, 2 * M, replicates=20_000, rng=rng).variances[:, -1]
                 for M in DRIFT_M]
    short = drift_runs(seed + 2, generations=lambda M: M)
    return {
        "the closed form, with real runs": (formula, finals),
        "the expansion -1/M - 4/(3M^2)": (-1 / DRIFT_M - 4 / (3 * DRIFT_M**2), finals),
        "not divided by the number of generations": (np.array(drifts) * 2 * DRIFT_M, finals),
        "log of the mean variance": ([np.log(v.mean()) / (2 * M) for v, M in zip(variances, DRIFT_M)],
                                     [np.log(v) for v in variances]),
        "variances, not their logs": ([v.mean() / (2 * M) for v, M in zip(variances, DRIFT_M)], variances),
        "M generations, not 2M": short,
        "sign flipped": (-np.array(drifts), [-f for f in finals]),
        "rounded to three decimals": (np.round(drifts, 3), finals),
    }


def drift_wrong_hidden(seed):
    formula = laws.gaussian_log_variance_drift(DRIFT_M)
    rng = np.random.default_rng(seed)
    # Made-up runs around the formula's mean, with a plausible-looking but wrong spread.
    made_up = [2 * M * d + rng.normal(0, 0.5, 20_000) for M, d in zip(DRIFT_M, formula)]
    constant = [np.full(20_000, 2 * M * d) for M, d in zip(DRIFT_M, formula)]
    return {
        "made-up runs around the formula": ([f.mean() / (2 * M) for f, M in zip(made_up, DRIFT_M)], made_up),
        "constant runs at the formula": (formula, constant),
    }


# --- chapter 3: ex-gaussian-precision-recall ------------------------------------------------------
Z95 = scipy.stats.norm.isf(0.025)
PRECISION_TRUTH = scipy.stats.norm.cdf(Z95, 1, 0.25) - scipy.stats.norm.cdf(-Z95, 1, 0.25)
PRECISION_RIGHT = {
    "exact": PRECISION_TRUTH,
    "z typed as 1.96": scipy.stats.norm.cdf((1.96 - 1) / 0.25) - scipy.stats.norm.cdf((-1.96 - 1) / 0.25),
    "three decimals": round(PRECISION_TRUTH, 3),
}
PRECISION_WRONG = {
    "recall (roles swapped)": scipy.stats.norm.cdf(1 + 0.25 * Z95) - scipy.stats.norm.cdf(1 - 0.25 * Z95),
    "standard deviation 1": scipy.stats.norm.cdf(Z95, 1, 1) - scipy.stats.norm.cdf(-Z95, 1, 1),
    "mean 0 and sd 1": 0.95,
    "variance 0.25 used as sd": scipy.stats.norm.cdf(Z95, 1, 0.5) - scipy.stats.norm.cdf(-Z95, 1, 0.5),
    "one-sided interval": scipy.stats.norm.cdf(Z95, 1, 0.25) - 0.5,
    "above one": 1.2,
}


# --- chapter 4: ex-breaking-family -----------------------------------------------------------------
def exponential_family(*, exact=True, rate_of=lambda count, total: count / total, sample_scale=lambda rate: 1 / rate,
                       gamma_scale=lambda rate: 1 / rate, count_shift=0, shape=lambda R, n: (R, n, 1)):
    def stats(block):
        return np.full(block.shape[0], float(block.shape[1])), block[..., 0].sum(axis=1)

    def fit(stats_):
        return (rate_of(*stats_),)

    def sample(params, n, generator):
        (rate,) = params
        return generator.exponential(sample_scale(rate)[:, None, None], size=(rate.size, n, 1)).reshape(
            shape(rate.size, n))

    def sample_stats(params, n, generator):
        (rate,) = params
        return np.full(rate.size, float(n + count_shift)), generator.gamma(n, gamma_scale(rate))

    return loops.ModelFamily("exponential", stats, fit, sample, sample_stats if exact else None, min_size=1)


FAMILY_RIGHT = {
    "with the exact path": exponential_family,
    "sampling only": lambda: exponential_family(exact=False),
}
FAMILY_WRONG = {
    "sum over count (the mean, not the rate)": lambda: exponential_family(rate_of=lambda count, total: total / count),
    "unbiased (n - 1) / sum": lambda: exponential_family(rate_of=lambda count, total: (count - 1) / total),
    "rate and scale confused everywhere": lambda: exponential_family(sample_scale=lambda rate: rate,
                                                                     gamma_scale=lambda rate: rate),
    "rate and scale confused in the exact path": lambda: exponential_family(gamma_scale=lambda rate: rate),
    "count off by one in the exact path": lambda: exponential_family(count_shift=-1),
    "samples of shape (R, n)": lambda: exponential_family(shape=lambda R, n: (R, n)),
    "not a ModelFamily": lambda: (lambda data: data),
}


# --- chapter 4: ex-breaking-ratio ------------------------------------------------------------------
def regression_errors(seed, R=2000, N=50, p=5, sigma=1.0, G=20):
    """Mean regression errors of replace and accumulate by generation, as the chapter simulates them."""
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


RATIO_PREDICTED = 21 / np.sum(1 / np.arange(1, 22) ** 2)


def ratio_measured(errors, t=20):
    return errors["replace"][0][t] / errors["accumulate"][0][t]


def ratio_right(errors):
    return {
        "the solution's": (RATIO_PREDICTED, ratio_measured(errors)),
        "from laws": (laws.regression_error_replace(20) / laws.regression_error_accumulate(20), ratio_measured(errors)),
        "two decimals, as printed": (round(RATIO_PREDICTED, 2), round(ratio_measured(errors), 2)),
    }


def ratio_wrong(errors):
    return {
        "generation 19": (20 / np.sum(1 / np.arange(1, 21) ** 2), ratio_measured(errors)),
        "generation 21": (22 / np.sum(1 / np.arange(1, 23) ** 2), ratio_measured(errors)),
        "the pi^2/6 limit": (21 / (np.pi**2 / 6), ratio_measured(errors)),
        "accumulate over replace": (1 / RATIO_PREDICTED, ratio_measured(errors)),
        "measured at index 19": (RATIO_PREDICTED, ratio_measured(errors, 19)),
        "measured at index 18": (RATIO_PREDICTED, ratio_measured(errors, 18)),
        "measured inverted": (RATIO_PREDICTED, 1 / ratio_measured(errors)),
        "measured = predicted": (RATIO_PREDICTED, RATIO_PREDICTED),
    }


# --- chapter 5: ex-language-types ------------------------------------------------------------------
TYPES_M = 20_000
TYPES_COUNTS = np.random.default_rng(0).multinomial(TYPES_M, data.zipf(5000, 1.1))
_Q = TYPES_COUNTS[TYPES_COUNTS > 0] / TYPES_M
TYPES_RIGHT = {
    "exact": np.sum(1 - (1 - _Q) ** TYPES_M),
    "Poisson limit": np.sum(1 - np.exp(-TYPES_M * _Q)),
    "one decimal, as printed": round(float(np.sum(1 - (1 - _Q) ** TYPES_M)), 1),
}
TYPES_WRONG = {
    "words lost": np.sum((1 - _Q) ** TYPES_M),
    "types now": _Q.size,
    "power M / 2": np.sum(1 - (1 - _Q) ** (TYPES_M / 2)),
    "q from the vocabulary size": np.sum(1 - (1 - 1 / _Q.size) ** (TYPES_M * _Q)),
    "hapaxes dropped": np.sum(_Q * TYPES_M > 1),
    "all types of the Zipf law": 5000,
}

# --- chapter 5: ex-language-by-hand ----------------------------------------------------------------
_P1 = (1 - 0.75) / 4 + (0.75 * 3 / 4) * (1 / 4)
_P2 = (1 - 0.75) / 2 + (0.75 * 2 / 2) * _P1
BY_HAND_RIGHT = {
    "the solution's": (1 - 0.75) / 2 + (0.75 * 2 / 2) * _P2,
    "simplified by hand": 0.125 + 0.75 * (0.125 + 0.75 * (1 / 16 + 9 / 64)),
    "six decimals, as printed": 0.333008,
    "three decimals": 0.333,
}
BY_HAND_WRONG = {
    "raw unigram counts": 0.125 + 0.75 * (0.125 + 0.75 * ((1 - 0.75) / 5 + (0.75 * 3 / 5) * (1 / 4))),
    "V = 5, counting <s>": 0.125 + 0.75 * (0.125 + 0.75 * ((1 - 0.75) / 4 + (0.75 * 3 / 4) * (1 / 5))),
    "no smoothing: count(a b c) / count(a b)": 0.5,
    "no discount at the bigram level": 0.125 + 0.75 * 0.5,
    "unigram level only": _P1,
    "a count, not a probability": 2.0,
}


# --- chapter 5: ex-language-accumulate -------------------------------------------------------------
def language_corpus(paragraphs=400):
    """A quarter of the chapter's text, to keep the tests fast: (train blocks, test blocks, vocabulary size)."""
    texts = data.python_reference_paragraphs()[:paragraphs]
    train = [tok for i, para in enumerate(texts) if i % 10 != 9 for tok in lm.tokenize(para)]
    test = [tok for i, para in enumerate(texts) if i % 10 == 9 for tok in lm.tokenize(para)]
    vocab = lm.build_vocabulary(train)
    return lm.cut_blocks(vocab.encode(train), 64), lm.cut_blocks(vocab.encode(test), 64), len(vocab)


def accumulate(real, test, V, *, keep_real=True, window=None, writer="newest", temperature=None, score_on=None):
    """The accumulate loop as the book's solution writes it, and the variations a student might write."""

    def perplexities(generations, seed):
        generator = np.random.default_rng(seed)
        pool = [real] if keep_real else []
        first = model = lm.train(real, V)
        result = [lm.corpus_perplexity(model, test if score_on is None else score_on)]
        for _ in range(generations):
            kwargs = {} if temperature is None else {"temperature": temperature}
            pool.append(lm.sample(first if writer == "first" else model, real, real.shape[1], rng=generator,
                               **kwargs))
            kept = pool if window is None else ([real] + pool[-window:] if keep_real else pool[-window:])
            model = lm.train(np.concatenate(kept), V)
            result.append(lm.corpus_perplexity(model, test if score_on is None else score_on))
        return np.array(result)

    return perplexities


ACCUMULATE_IMPORTED = """
from collapse_lib.language import corpus_perplexity, sample, train


def accumulate_perplexity(generations, seed):
    generator = np.random.default_rng(seed)
    pool = [real_blocks]
    model = train(real_blocks, vocab_size)
    result = [corpus_perplexity(model, test_blocks)]
    for _ in range(generations):
        pool.append(sample(model, real_blocks, 64, rng=generator))
        model = train(np.concatenate(pool), vocab_size)
        result.append(corpus_perplexity(model, test_blocks))
    return result
"""


def accumulate_imported(real, test, V):
    """The loop written in a notebook that imported the functions by name (a list, not an array)."""
    namespace = {"np": np, "real_blocks": real, "test_blocks": test, "vocab_size": V}
    exec(ACCUMULATE_IMPORTED, namespace)
    return namespace["accumulate_perplexity"]


def accumulate_right(real, test, V):
    return {"the solution's": accumulate(real, test, V),
            "with names imported from collapse_lib.language": accumulate_imported(real, test, V)}


def accumulate_wrong(real, test, V):
    right = accumulate(real, test, V)
    return {
        "replace (the newest generation only)": accumulate(real, test, V, keep_real=False, window=1),
        "real data plus only the newest generation": accumulate(real, test, V, window=1),
        "the real blocks forgotten": accumulate(real, test, V, keep_real=False),
        "sampling from model 0 every time": accumulate(real, test, V, writer="first"),
        "sampling at T = 0.8": accumulate(real, test, V, temperature=0.8),
        "perplexity on the training blocks": accumulate(real, test, V, score_on=real),
        "made-up numbers, no training": lambda g, s: np.linspace(200, 260, g + 1),
        "generation 0 dropped": lambda g, s: np.append(right(g, s)[1:], 0.0),
    }


# --- chapter 6: ex-expressivity-best-gaussian -----------------------------------------------------
def best_gaussian_w2_quadrature(weights, means, sds, *, kappa_of=None, square=False, variance_of=None):
    """The book's solution (kappa by quadrature), with switches that make it wrong."""
    import scipy.integrate
    import scipy.special

    weights, means, sds = (np.asarray(a, dtype=float) for a in (weights, means, sds))
    m = weights @ means
    v = weights @ (sds**2 + means**2) - m**2 if variance_of is None else variance_of(weights, means, sds)

    def density(x):
        return weights @ scipy.stats.norm.pdf(x, means, sds)

    def normal_score(x):
        lower = weights @ scipy.stats.norm.cdf(x, means, sds)
        if lower <= 0.5:
            return scipy.special.ndtri(lower)
        return -scipy.special.ndtri(weights @ scipy.stats.norm.sf(x, means, sds))

    low, high = (means - 20 * sds).min(), (means + 20 * sds).max()
    kappa = (scipy.integrate.quad(lambda x: x * normal_score(x) * density(x), low, high, limit=200)[0]
             if kappa_of is None else kappa_of(m, v))
    value = max(2 * v - 2 * np.sqrt(v) * kappa, 0.0)
    return value if square else np.sqrt(value)


def best_gaussian_w2_by_quantiles(weights, means, sds):
    """An alternative: W2 from the two quantile functions on a fine grid of u (the mixture's quantile
    function by interpolating its CDF)."""
    import scipy.special

    weights, means, sds = (np.asarray(a, dtype=float) for a in (weights, means, sds))
    m = weights @ means
    v = weights @ (sds**2 + means**2) - m**2
    x = np.linspace((means - 12 * sds).min(), (means + 12 * sds).max(), 400_001)
    cdf = (weights * scipy.stats.norm.cdf(x[:, None], means, sds)).sum(axis=1)
    u = (np.arange(200_000) + 0.5) / 200_000
    quantile = np.interp(u, cdf, x)
    return float(np.sqrt(np.mean((quantile - m - np.sqrt(v) * scipy.special.ndtri(u)) ** 2)))


BEST_GAUSSIAN_RIGHT = {"quadrature": best_gaussian_w2_quadrature, "quantile grid": best_gaussian_w2_by_quantiles}
BEST_GAUSSIAN_WRONG = {
    "kappa = sqrt(v): no expressivity error": lambda w, m, s: best_gaussian_w2_quadrature(
        w, m, s, kappa_of=lambda mean, v: np.sqrt(v)),
    "W2 squared": lambda w, m, s: best_gaussian_w2_quadrature(w, m, s, square=True),
    "variance of the components only": lambda w, m, s: best_gaussian_w2_quadrature(
        w, m, s, variance_of=lambda w_, m_, s_: w_ @ s_**2),
    "kappa = 0": lambda w, m, s: best_gaussian_w2_quadrature(w, m, s, kappa_of=lambda mean, v: 0.0),
    "distance between the component means": lambda w, m, s: float(np.abs(np.diff(m)).max()) if len(m) > 1 else 0.0,
    "a number, not a function": 0.5,
}
BEST_GAUSSIAN_WRONG_HIDDEN = {
    # The raw second moment: the same as the variance when the mixture's mean is 0, as in every
    # visible case.
    "variance without subtracting the mean": lambda w, m, s: best_gaussian_w2_quadrature(
        w, m, s, variance_of=lambda w_, m_, s_: w_ @ (s_**2 + m_**2)),
    # Right for equal weights and unit widths only: it ignores the weights and the widths.
    "right on symmetric mixtures only": lambda w, m, s: best_gaussian_w2_quadrature(
        np.full(len(w), 1 / len(w)), m, np.ones(len(s))),
}


# --- chapter 6: ex-expressivity-silverman -----------------------------------------------------------
GROWTH_N = (20, 100, 500)


def growth_runs(seed, n_values=GROWTH_N, generations=20, replicates=2000, bandwidth="silverman", ratio_at=None):
    """The book's solution: ratios S_20^2 / S_0^2 of Silverman-rule kernel loops, and the growth factors."""
    from collapse_lib import mixtures

    rng = np.random.default_rng(seed)
    measured, ratios = [], []
    for n in n_values:
        start = rng.standard_normal(n)
        runs = mixtures.kde_loop(start, generations, bandwidth=bandwidth, replicates=replicates,
                                 rng=rng).var(axis=2, ddof=1)
        at = generations if ratio_at is None else ratio_at
        ratios.append(runs[:, at] / runs[:, 0])
        measured.append(ratios[-1].mean() ** (1 / generations))
    return np.array(measured), ratios


def growth_wrong(seed):
    """Plausible wrong answers: (measured_growth, variance_ratios) pairs."""
    measured, ratios = growth_runs(seed)
    scott_measured, scott_ratios = growth_runs(seed + 1, bandwidth="scott")
    fixed_measured, fixed_ratios = growth_runs(seed + 2, bandwidth=0.3)
    short_measured, short_ratios = growth_runs(seed + 3, ratio_at=10)
    from collapse_lib import laws

    return {
        "Scott's rule": (scott_measured, scott_ratios),
        "a fixed bandwidth": (fixed_measured, fixed_ratios),
        "ratio at generation 10": (short_measured, short_ratios),
        "growth per run, not of the mean": (np.array([np.mean(r ** (1 / 20)) for r in ratios]), ratios),
        "the theory typed in": (laws.kde_variance_factor(np.array(GROWTH_N)), ratios),
        "variances shrinking": (measured ** -1, [1 / r for r in ratios]),
        "n in reverse order": (measured[::-1], ratios[::-1]),
    }


def growth_wrong_hidden(seed):
    """Wrong answers that pass the visible check: runs that were not simulated."""
    from collapse_lib import laws

    rng = np.random.default_rng(seed)
    truth = laws.kde_variance_factor(np.array(GROWTH_N)) ** 20
    # Made-up runs scattered narrowly around the theory: the right mean, no simulation's spread.
    made_up = [t * np.exp(0.01 * rng.standard_normal(2000) - 0.00005) for t in truth]
    return {"made-up runs around the theory": (np.array([r.mean() ** (1 / 20) for r in made_up]), made_up)}


# --- chapter 7: ex-curation-best-of-k ---------------------------------------------------------------
def best_of_k_by_density(k, *, low=-12.0, power=None, spread="variance"):
    """The book's solution: quadrature of x^j k phi Phi^(k-1), with switches that make it wrong."""
    import scipy.integrate

    power = k - 1 if power is None else power
    upper = 12.0 + np.sqrt(2 * np.log(max(k, 2)))

    def density(x):
        return k * scipy.stats.norm.pdf(x) * scipy.stats.norm.cdf(x) ** power

    mean = scipy.integrate.quad(lambda x: x * density(x), low, upper, limit=200)[0]
    second = scipy.integrate.quad(lambda x: x**2 * density(x), low, upper, limit=200)[0]
    if power != k - 1:  # the density of the best of power + 1, normalised as such
        scale = scipy.integrate.quad(density, low, upper, limit=200)[0]
        mean, second = mean / scale, second / scale
    variance = second - mean**2
    return mean, {"variance": variance, "sd": np.sqrt(variance), "second moment": second}[spread]


def best_of_k_by_quantiles(k):
    """An alternative: the kept value is Phi^{-1}(U^(1/k)), U uniform; integrate over U on a fine grid."""
    import scipy.special

    u = (np.arange(2_000_000) + 0.5) / 2_000_000
    x = -scipy.special.ndtri(-np.expm1(np.log(u) / k))
    return x.mean(), x.var()


BEST_OF_K_RIGHT = {"quadrature of the density": best_of_k_by_density, "quantile grid": best_of_k_by_quantiles}
BEST_OF_K_WRONG = {
    "standard deviation instead of variance": lambda k: best_of_k_by_density(k, spread="sd"),
    "second moment instead of variance": lambda k: best_of_k_by_density(k, spread="second moment"),
    "density Phi^k (the best of k + 1)": lambda k: best_of_k_by_density(k, power=k),
    "range cut at 3": lambda k: best_of_k_by_density(k, low=-3.0) if k < 100 else (3.0, 0.01),
    "sqrt(2 log k) and 1/k": lambda k: (np.sqrt(2 * np.log(k)), 1 / k),
    "the mean of k draws": lambda k: (0.0, 1 / k),
    "a number, not a function": 0.5,
}
BEST_OF_K_WRONG_HIDDEN = {
    # Right for the visible counts only (a table typed in).
    "a table of the visible counts": lambda k: {1: (0.0, 1.0), 2: (0.5641895835, 0.6816901138),
                                                4: (1.0293753730, 0.4917152369), 16: (1.7659913931, 0.2950098090),
                                                256: (2.8268632789, 0.1536500812)}.get(k, (1.0, 0.5)),
}


# --- chapter 7: ex-curation-verifier ----------------------------------------------------------------
def verified_limit_error(a, signal, angle, *, pull=1.0, shrink="a - eps", to_radians=False):
    """The book's solution, with switches that make it wrong."""
    angle = np.radians(angle) if to_radians else angle
    s = signal * np.cos(angle)
    eps = scipy.stats.norm.cdf(-s)
    factor = {"a - eps": a - eps, "a": a, "2a - 1": 2 * a - 1}[shrink]
    along = signal * factor + pull * scipy.stats.norm.pdf(s) * np.cos(angle)
    across = pull * scipy.stats.norm.pdf(s) * np.sin(angle)
    return scipy.stats.norm.cdf(-signal * along / np.hypot(along, across))


def verified_limit_error_by_truncation(a, signal, angle):
    """An alternative: along the generator's direction u = w_g . z is N(s, 1); given the sign of u,
    z is mu + (u - s) w_g plus independent noise across w_g, so E[z; u > 0] = P(u > 0) (mu + w_g
    (E[u | u > 0] - s)), with scipy's truncated normal."""
    mu = np.array([signal, 0.0])
    w = np.array([np.cos(angle), np.sin(angle)])
    s = mu @ w
    right = scipy.stats.norm.sf(0, loc=s) * (mu + w * (scipy.stats.truncnorm.mean(-s, np.inf, loc=s) - s))
    wrong = scipy.stats.norm.cdf(0, loc=s) * (mu + w * (scipy.stats.truncnorm.mean(-np.inf, -s, loc=s) - s))
    v = a * right - (1 - a) * wrong
    return scipy.stats.norm.cdf(-signal * v[0] / np.hypot(*v))


VERIFIER_RIGHT = {"closed form": verified_limit_error, "truncated normal": verified_limit_error_by_truncation}
VERIFIER_WRONG = {
    "no pull towards the generator": lambda a, s, t: verified_limit_error(a, s, t, pull=0.0),
    "pull away from the generator": lambda a, s, t: verified_limit_error(a, s, t, pull=-1.0),
    "angle taken as degrees": lambda a, s, t: verified_limit_error(a, s, t, to_radians=True),
    "shrink by a, not a - eps": lambda a, s, t: verified_limit_error(a, s, t, shrink="a"),
    "the generator's error": lambda a, s, t: scipy.stats.norm.cdf(-s * np.cos(t)),
    "the Bayes error": lambda a, s, t: scipy.stats.norm.cdf(-s),
    "a number, not a function": 0.1,
}
VERIFIER_WRONG_HIDDEN = {
    # Right at the visible task only: the signal typed in instead of taken from the argument.
    "the visible task's signal hard-coded": lambda a, s, t: verified_limit_error(a, 1.5, t),
}
