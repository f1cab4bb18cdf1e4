"""Closed forms that a chapter derives and that another chapter, a test or a tool reuses.

Each law is derived with SymPy in the chapter named in its docstring; that chapter keeps the
derivation (it is the lesson) and ends by asserting that its lambdified result equals the law
here at several points. Everything else (other chapters, the exercise checkers, the tests)
uses these functions, so a law is written once.

All functions broadcast over array arguments and return floats or arrays of floats.
"""

from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats

from .discrete import wright_fisher_matrix
from .validation import (
    MAX_COUNT,
    MAX_GENERATIONS,
    check_count_array,
    check_int,
    check_memory,
    check_probability_vector,
    check_real_array,
)

__all__ = [
    "probability_lost",
    "expected_heterozygosity",
    "heterozygosity_half_life",
    "expected_support",
    "gaussian_sd_factor",
    "gaussian_log_sd_factor",
    "gaussian_expected_sd",
    "gaussian_expected_w2_squared",
    "gaussian_log_variance_drift",
    "gaussian_log_variance_step_variance",
    "regression_error_replace",
    "regression_error_accumulate",
    "mixture_best_gaussian",
    "mixture_quantile_overlap",
    "mixture_best_gaussian_w2",
    "kde_variance_factor",
    "kde_expected_variance",
    "kept_normal_moments",
    "verified_synthetic_direction",
    "verified_limit_error",
    "watermark_green_rate",
    "watermark_power",
]


# ----------------------------------------------------------------------------- categorical loops
def probability_lost(p, M):
    """Probability that a category of probability ``p`` draws none of ``M`` samples: (1 - p)^M.

    Chapter 1 (``book/01_self_consuming_loop.md``) derives it; chapter 5 uses it for words.
    Computed as exp(M log(1 - p)), accurate for tiny p and large M.
    """
    p = check_real_array(p, "p", low=0, high=1)
    M = check_count_array(M, "M", minimum=0)
    with np.errstate(divide="ignore"):
        return np.exp(M * np.log1p(-p))


def expected_heterozygosity(H0, M, t):
    """E[H_t] = H_0 (1 - 1/M)^t: heterozygosity after ``t`` generations of resampling ``M`` draws.

    Chapter 2 (``book/02_discrete_absorption.md``) derives it from one generation's expectation.
    """
    H0 = check_real_array(H0, "H0", low=0, high=1)
    M = check_count_array(M, "M", minimum=1)
    return H0 * (1 - 1 / M) ** check_count_array(t, "t", minimum=0)


def heterozygosity_half_life(M):
    """t_1/2 = ln 2 / ln(M / (M - 1)), the generations for E[H_t] to halve (chapter 2)."""
    M = check_count_array(M, "M", minimum=2)
    return np.log(2) / -np.log1p(-1 / M)  # log1p: accurate (and finite) for large M


def expected_support(p, M: int, generations: int) -> np.ndarray:
    """E[number of categories alive] at generations 0..``generations`` of resampling ``M`` draws.

    Each category's count is a two-category Wright-Fisher chain: Binomial(M, p_k) at
    generation 1, then one step of :func:`~collapse_lib.discrete.wright_fisher_matrix` per
    generation; a category is alive while its count is positive. Chapter 2
    (``book/02_discrete_absorption.md``) derives this propagation. Returns shape (generations + 1,).
    """
    p = check_probability_vector(p)
    M = check_int(M, "M", minimum=1)
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_GENERATIONS)
    check_memory(8.0 * p.size * (M + 1), "M", "the count laws of every category")
    P = wright_fisher_matrix(M)
    count_laws = scipy.stats.binom.pmf(np.arange(M + 1)[None, :], M, p[:, None])  # generation 1
    support = [float(np.count_nonzero(p))]
    for _ in range(generations):
        support.append(float(np.sum(1 - count_laws[:, 0])))
        count_laws = count_laws @ P
    return np.array(support)


# ----------------------------------------------------------------------------- Gaussian loops
def _sample_size(M, minimum: float) -> np.ndarray:
    """``M`` as a float array in [``minimum``, ``MAX_COUNT``].

    The Gaussian laws are analytic in M, so a real M is allowed: chapter 4 inverts
    :func:`gaussian_expected_w2_squared` in M to find an effective sample size.
    """
    return check_real_array(M, "M", low=minimum, high=MAX_COUNT)


# log c(M) = sum_j a_j / M^j + O(M^-11), the expansion chapter 3 derives with SymPy (its first two
# terms) and tests/library/test_laws_and_checks.py re-derives to all ten. Used from M = 30 on, where
# it is accurate to 5e-14 (relative), and to rounding from M = 50. The log-Gamma difference is not:
# it cancels two numbers of size M log M to leave one of size 1/M, loses about 1e-12 by M = 30 and
# every digit by M = 1e8 (beyond which it even returns log c > 0).
_LOG_SD_FACTOR_SERIES = (-1 / 4, -1 / 4, -5 / 24, -1 / 8, -1 / 20, -1 / 12, -25 / 112, -1 / 16, 29 / 36, -1 / 20)
_LOG_SD_FACTOR_SERIES_FROM = 30.0


def gaussian_log_sd_factor(M):
    """log c(M), with c(M) = sqrt(2 / (M - 1)) Gamma(M / 2) / Gamma((M - 1) / 2); see :func:`gaussian_sd_factor`.

    Accurate to 1e-12 (relative) for every M in [2, 2**53], and to rounding from M = 50: through
    log-Gamma below M = 30 and through its expansion in 1/M from there on. Summing it over generations gives log E[sigma_n] / sigma_0
    when the sample size changes from generation to generation.
    """
    M = _sample_size(M, 2)
    small = M < _LOG_SD_FACTOR_SERIES_FROM
    M_small = np.where(small, M, 2.0)
    by_gamma = 0.5 * np.log(2 / (M_small - 1)) + scipy.special.gammaln(M_small / 2) - scipy.special.gammaln(
        (M_small - 1) / 2)
    inverse = 1 / np.where(small, _LOG_SD_FACTOR_SERIES_FROM, M)
    by_series = inverse * np.polyval(_LOG_SD_FACTOR_SERIES[::-1], inverse)
    return np.where(small, by_gamma, by_series)


def gaussian_sd_factor(M):
    """c(M) = E[s] / sigma = sqrt(2 / (M - 1)) Gamma(M / 2) / Gamma((M - 1) / 2).

    The expected sample standard deviation (divisor M - 1) of ``M`` normal samples, in units of
    the true standard deviation. Chapter 3 (``book/03_gaussian_collapse.md``) derives it from the
    moments of the chi-square law; evaluated through its logarithm (:func:`gaussian_log_sd_factor`),
    so large M neither overflows nor loses digits. M may be any real number >= 2: the law is
    analytic in M (chapter 4 inverts it in M).
    """
    return np.exp(gaussian_log_sd_factor(M))


def gaussian_expected_sd(t, M, sampling_bias=1.0):
    """E[sigma_t] / sigma_0 = (sqrt(lambda) c(M))^t after ``t`` refits on ``M`` samples (chapter 3)."""
    t = check_count_array(t, "t", minimum=0)
    sampling_bias = check_real_array(sampling_bias, "sampling_bias", low=0, high=1, low_open=True)
    return np.exp(t * (gaussian_log_sd_factor(M) + 0.5 * np.log(sampling_bias)))


def gaussian_expected_w2_squared(t, M):
    """E[W_2^2] between N(0, 1) and the Gaussian after ``t`` unbiased refits on ``M`` samples.

    t / M + 2 (1 - c(M)^t), with sigma_0 = 1 (chapter 3). It grows without bound: the mean's
    random walk never stops. Chapter 4 uses it for the replace scheme (t + 1 fits in all).
    """
    t = check_count_array(t, "t", minimum=0)
    return t / _sample_size(M, 2) + 2 * (1 - gaussian_expected_sd(t, M))


def gaussian_log_variance_drift(M, d: int = 1):
    """Mean change per generation of log det Sigma_t for unbiased refits on ``M`` samples in ``d`` dimensions.

    sum_{i=0}^{d-1} [psi((k - i) / 2) + log(2 / k)] with k = M - 1; for d = 1 the drift
    delta = psi(k/2) + log(2/k) ~ -1/M of log sigma_t^2 (chapter 3, from the chi-square and
    Wishart laws).
    """
    d = check_int(d, "d", minimum=1, maximum=10_000)
    k = _sample_size(M, d + 1) - 1
    return sum(scipy.special.digamma((k - i) / 2) + np.log(2 / k) for i in range(d))


def gaussian_log_variance_step_variance(M):
    """Variance of one step of log sigma_t^2 in 1-D: psi'((M - 1) / 2) (chapter 3)."""
    k = _sample_size(M, 2) - 1
    return scipy.special.polygamma(1, k / 2)


# ----------------------------------------------------------------------------- regression loops
def regression_error_replace(t):
    """Excess error of the fixed-design least-squares loop under replace, in units of the first fit's: t + 1.

    Chapter 4 (``book/04_breaking_the_loop.md``) solves the recurrence v_{t+1} = v_t + c.
    """
    return check_count_array(t, "t", minimum=0) + 1.0


def regression_error_accumulate(t):
    """The same under accumulate: sum_{s=1}^{t+1} 1 / s^2, bounded by pi^2 / 6 (chapter 4)."""
    t = check_count_array(t, "t", minimum=0)
    # The partial sum in closed form, sum_{s=1}^{n} 1/s^2 = pi^2/6 - psi'(n + 1), so any t costs the same.
    return np.pi**2 / 6 - scipy.special.polygamma(1, t + 2)


# ----------------------------------------------------------------------------- mixtures and kernel densities
def _check_mixture(weights, means, sds):
    """A one-dimensional Gaussian mixture's weights, means and standard deviations, checked."""
    from .validation import as_float_array

    weights = check_probability_vector(weights, "weights")
    means, sds = as_float_array(means, "means"), as_float_array(sds, "sds")
    if means.shape != weights.shape or sds.shape != weights.shape:
        raise ValueError(f"weights, means and sds must have the same shape (K,), got {weights.shape}, "
                         f"{means.shape} and {sds.shape}")
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(sds)) and np.all(sds > 0)):
        raise ValueError("means must be finite and sds finite and > 0")
    return weights, means, sds


def mixture_best_gaussian(weights, means, sds) -> tuple[float, float]:
    """Mean and variance of the maximum-likelihood Gaussian for the mixture sum_k w_k N(mu_k, s_k^2).

    Fitting a Gaussian by maximum likelihood to the mixture (in the limit of infinite data)
    matches its first two moments: m = sum_k w_k mu_k, v = sum_k w_k (s_k^2 + mu_k^2) - m^2.
    Chapter 6 (``book/06_expressivity_and_approximation.md``) derives it with SymPy.
    """
    weights, means, sds = _check_mixture(weights, means, sds)
    m = float(weights @ means)
    return m, float(weights @ (sds**2 + means**2) - m**2)


def mixture_quantile_overlap(weights, means, sds) -> float:
    """kappa = int_0^1 Q(u) Phi^{-1}(u) du for the mixture's quantile function Q (chapter 6).

    The covariance of the mixture with a standard normal under their comonotone (quantile)
    coupling, which enters W2 between the mixture and any Gaussian; kappa <= sqrt(v), with
    equality only for a Gaussian. Computed as int x Phi^{-1}(F(x)) f(x) dx by adaptive quadrature
    (scipy.integrate.quad), with Phi^{-1}(F) taken from the upper tail where F > 1/2.
    """
    import scipy.integrate

    weights, means, sds = _check_mixture(weights, means, sds)

    def density(x):
        return weights @ scipy.stats.norm.pdf(x, means, sds)

    def normal_score(x):  # Phi^{-1}(F(x)), accurate in both tails
        lower = weights @ scipy.stats.norm.cdf(x, means, sds)
        if lower <= 0.5:
            return scipy.special.ndtri(lower)
        return -scipy.special.ndtri(weights @ scipy.stats.norm.sf(x, means, sds))

    # Beyond 20 standard deviations the integrand is below 1e-80 (and the tails underflow).
    low, high = (means - 20 * sds).min(), (means + 20 * sds).max()
    value, _ = scipy.integrate.quad(lambda x: x * normal_score(x) * density(x), low, high, points=sorted(means),
                                    limit=200, epsabs=1e-11)
    return float(value)


def mixture_best_gaussian_w2(weights, means, sds) -> float:
    """W2 between a mixture and its maximum-likelihood Gaussian: sqrt(2 v - 2 sqrt(v) kappa) (chapter 6).

    The functional expressivity error of a Gaussian model of the mixture: zero only when the
    mixture is itself Gaussian.
    """
    _, v = mixture_best_gaussian(weights, means, sds)
    kappa = mixture_quantile_overlap(weights, means, sds)
    return float(np.sqrt(max(2 * v - 2 * np.sqrt(v) * kappa, 0.0)))


_KDE_RULES = ("silverman", "scott")


def kde_variance_factor(n, rule: str = "silverman"):
    """E[S_{t+1}^2 | S_t^2] / S_t^2 for a kernel density estimate refitted to its own n samples (chapter 6).

    1 - 1/n + f(n)^2, where f is the rule's factor in one dimension (Silverman: (3n/4)^(-1/5);
    Scott: n^(-1/5)), so that the kernel variance is f^2 S_t^2. Above 1 for every n >= 2: the
    spread grows.
    """
    from .validation import check_choice

    n = check_count_array(n, "n", minimum=2).astype(float)
    rule = check_choice(rule, "rule", _KDE_RULES)
    factor_squared = (3 * n / 4) ** (-2 / 5) if rule == "silverman" else n ** (-2 / 5)
    return 1 - 1 / n + factor_squared


def kde_expected_variance(t, n, initial_variance, bandwidth):
    """E[S_t^2]: the sample variance after ``t`` refits of a kernel density estimate of ``n`` points (chapter 6).

    With a fixed kernel standard deviation h (``bandwidth`` a number): a^t S_0^2 + n h^2 (1 - a^t),
    a = 1 - 1/n, which tends to n h^2. With a rule (``bandwidth`` "silverman" or "scott"):
    S_0^2 times :func:`kde_variance_factor` to the power t.
    """
    from .validation import check_choice

    t = check_count_array(t, "t", minimum=0).astype(float)
    n = check_count_array(n, "n", minimum=2).astype(float)
    s0 = check_real_array(initial_variance, "initial_variance", low=0)
    if isinstance(bandwidth, str):
        return s0 * kde_variance_factor(n, check_choice(bandwidth, "bandwidth", _KDE_RULES)) ** t
    h = check_real_array(bandwidth, "bandwidth", low=0, low_open=True)
    a = 1 - 1 / n
    return a**t * s0 + n * h**2 * (1 - a**t)


# ----------------------------------------------------------------------------- curation (chapter 7)
def kept_normal_moments(rule: str, value) -> tuple[float, float]:
    """Mean and variance of what a filter keeps from N(0, 1) (chapter 7).

    ``rule`` and ``value`` as in :func:`collapse_lib.curation.curated_gaussian_loop`:

    - ``"best_of_k"``: the maximum of k standard normals, density k phi Phi^(k-1), by quadrature
      (k = 2: mean 1/sqrt(pi), variance 1 - 1/pi);
    - ``"above"``: the normal above alpha: mean lambda = phi(alpha) / Phi(-alpha), variance
      1 + alpha lambda - lambda^2;
    - ``"within"``: the normal within +-c: mean 0, variance 1 - 2 c phi(c) / (2 Phi(c) - 1).

    A refitted Gaussian's variance is multiplied by the variance here in expectation, each
    generation; its mean moves by the mean here times its standard deviation.
    """
    import scipy.integrate

    from .curation import _check_filter

    rule, value = _check_filter(rule, value)
    if rule == "above":
        lam = float(np.exp(scipy.stats.norm.logpdf(value) - scipy.stats.norm.logsf(value)))
        return lam, float(1 + value * lam - lam**2)
    if rule == "within":
        inside = 2 * scipy.special.ndtr(value) - 1
        return 0.0, float(1 - 2 * value * scipy.stats.norm.pdf(value) / inside)
    k = value
    if k == 1:
        return 0.0, 1.0
    # In u = Phi(x)^k the kept value is Phi^{-1}(u^(1/k)), u uniform: integrate over u in (0, 1).
    def kept(u):
        return -scipy.special.ndtri(-np.expm1(np.log(u) / k))

    mean = scipy.integrate.quad(kept, 0, 1, limit=200, epsabs=1e-13, epsrel=1e-12)[0]
    second = scipy.integrate.quad(lambda u: kept(u) ** 2, 0, 1, limit=200, epsabs=1e-13, epsrel=1e-12)[0]
    return float(mean), float(second - mean**2)


def _check_verification(verifier_accuracy, signal, generator_angle):
    from .validation import check_real

    a = check_real_array(verifier_accuracy, "verifier_accuracy", low=0, high=1)
    signal = check_real(signal, "signal", low=0, high=50, low_open=True)
    angle = check_real(generator_angle, "generator_angle", low=0, high=np.pi / 2, high_open=True)
    return a, signal, angle


def verified_synthetic_direction(verifier_accuracy, signal, generator_angle) -> np.ndarray:
    """E[kept * generator label * x] for one synthetic example, in the plane of mu and w_g (chapter 7).

    For the task of :func:`collapse_lib.curation.verified_training_error`, with s = signal cos
    angle and the generator's error eps = Phi(-s), it is mu (a - eps) + w_g phi(s): the verified
    labels point along mu, shrunk by a - eps, plus a pull towards the generator's direction
    w_g that no accuracy removes. Shape (..., 2): the components along mu and across it.
    """
    a, signal, angle = _check_verification(verifier_accuracy, signal, generator_angle)
    s = signal * np.cos(angle)
    pull = scipy.stats.norm.pdf(s)
    along = signal * (a - scipy.special.ndtr(-s)) + pull * np.cos(angle)
    return np.stack([along, np.broadcast_to(pull * np.sin(angle), np.shape(along))], axis=-1)


def verified_limit_error(verifier_accuracy, signal, generator_angle):
    """Test error of the mean-difference classifier trained on unboundedly many verified synthetic examples (chapter 7).

    Phi(-signal cos psi), psi the angle between mu and :func:`verified_synthetic_direction`.
    """
    v = verified_synthetic_direction(verifier_accuracy, signal, generator_angle)
    return scipy.special.ndtr(-float(signal) * v[..., 0] / np.hypot(v[..., 0], v[..., 1]))


def watermark_green_rate(gamma, delta, green_mass=None):
    """Probability that a watermarked token is green (chapter 7).

    The next-token law puts mass G on the green list (``green_mass``; by default gamma, its
    average over green lists for a spread-out law); raising green logits by delta makes the
    green share G e^delta / (G e^delta + 1 - G).
    """
    gamma = check_real_array(gamma, "gamma", low=0, high=1, low_open=True, high_open=True)
    delta = check_real_array(delta, "delta", low=0)
    G = gamma if green_mass is None else check_real_array(green_mass, "green_mass", low=0, high=1)
    boosted = G * np.exp(delta)
    return boosted / (boosted + 1 - G)


def watermark_power(T, green_rate, gamma, threshold=4.0):
    """P(z > threshold) for T tokens each green with probability ``green_rate``: the normal approximation (chapter 7).

    The green count has mean T g and variance T g (1 - g); z > threshold means more than
    gamma T + threshold sqrt(T gamma (1 - gamma)) green tokens.
    """
    T = check_count_array(T, "T", minimum=1).astype(float)
    g = check_real_array(green_rate, "green_rate", low=0, high=1)
    gamma = check_real_array(gamma, "gamma", low=0, high=1, low_open=True, high_open=True)
    threshold = check_real_array(threshold, "threshold")
    needed = gamma * T + threshold * np.sqrt(T * gamma * (1 - gamma))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (T * g - needed) / np.sqrt(T * g * (1 - g))
    return np.where(g * (1 - g) > 0, scipy.special.ndtr(z), (T * g > needed).astype(float))
