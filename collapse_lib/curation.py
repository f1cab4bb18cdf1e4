"""Curating synthetic data before it is trained on: selection, preferences and watermarks.

- :func:`best_of_k`: the exact law of the item a curator keeps when it draws k candidates from a
  categorical model and keeps the one with the highest reward (ties broken uniformly);
- :func:`bradley_terry_update`: the law of the kept item when the curator chooses among k
  candidates with Bradley–Terry (Luce) probabilities proportional to exp(reward), the update of
  Ferbach et al. (2024), computed exactly through a one-dimensional integral;
- a green-list **watermark** for the n-gram models of :mod:`collapse_lib.language` (Kirchenbauer
  et al., 2023): :func:`green_mask` (which tokens are green after a given token),
  :func:`watermarked_sample` (sampling with the green tokens' logits raised by delta) and
  :func:`watermark_z` (the detector's z statistic).

Chapter: ``book/07_curation_and_verification.md``.
"""

from __future__ import annotations

import functools

import numpy as np

from .validation import (
    MAX_COUNT,
    RNGLike,
    as_float_array,
    as_generator,
    check_bool,
    check_choice,
    check_distributions,
    check_int,
    check_memory,
    check_real,
)

__all__ = [
    "best_of_k",
    "bradley_terry_update",
    "curation_loop",
    "curated_gaussian_loop",
    "verified_training_error",
    "green_mask",
    "watermarked_sample",
    "watermark_z",
]

#: Largest number of candidates a curator compares (the laws are exact for any k; this only
#: keeps arguments sane).
MAX_CANDIDATES = 10**6
#: Most generations of a curated loop (each is one multinomial draw per replicate).
MAX_CURATED_GENERATIONS = 100_000


def _check_rewards(p, reward) -> tuple[np.ndarray, np.ndarray]:
    p = check_distributions(p, "p")
    p = p / p.sum(axis=-1, keepdims=True)
    reward = as_float_array(reward, "reward", "a vector of real rewards, one per category")
    if reward.shape != p.shape[-1:]:
        raise ValueError(f"reward must have one value per category of p, shape {p.shape[-1:]}, got shape "
                         f"{reward.shape} (p has shape {p.shape})")
    if not np.all(np.isfinite(reward)):
        raise ValueError("reward must be finite (no NaN or inf)")
    return p, reward


def _levels(p: np.ndarray, reward: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rewards (ascending), each category's level, and each level's mass, shape (..., L)."""
    levels, level_of = np.unique(reward, return_inverse=True)
    indicator = np.zeros((reward.size, levels.size))
    indicator[np.arange(reward.size), level_of] = 1.0
    return levels, level_of, p @ indicator


def _share_within_level(p: np.ndarray, level_of: np.ndarray, level_mass: np.ndarray) -> np.ndarray:
    """p_i / p(level of i): how a level's probability is shared among its categories."""
    mass = level_mass[..., level_of]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mass > 0, p / np.where(mass > 0, mass, 1.0), 0.0)


def best_of_k(p, reward, k: int) -> np.ndarray:
    """The law of the item kept from k independent draws of ``p``: the one with the highest reward.

    With the rewards' distinct levels r_(1) < r_(2) < ..., F_l the probability of drawing a reward
    at most r_(l) and F_{l-} of drawing less, the highest level drawn is l with probability
    F_l^k - F_{l-}^k, and then the kept candidate (chosen uniformly among the candidates at that
    level) is item i of the level with probability p_i / p_l. So
    q_i = p_i (F_l^k - F_{l-}^k) / p_l for i at level l.

    Parameters
    ----------
    p : array_like, shape (K,) or (..., K)
        The model's probabilities (non-negative, summing to 1 over the last axis); leading axes
        index several models (replicates, generations) that share the rewards.
    reward : array_like, shape (K,)
        The curator's reward of each category (real).
    k : int
        Candidates drawn (>= 1). k = 1 keeps a single draw: the law is p.

    Returns
    -------
    numpy.ndarray, the shape of ``p``
        The law of the kept item, summing to 1.

    Examples
    --------
    >>> best_of_k([0.5, 0.3, 0.2], [0.0, 1.0, 2.0], 2)
    array([0.25, 0.39, 0.36])
    """
    p, reward = _check_rewards(p, reward)
    k = check_int(k, "k", minimum=1, maximum=MAX_CANDIDATES)
    _, level_of, level_mass = _levels(p, reward)
    at_most = np.minimum(np.cumsum(level_mass, axis=-1), 1.0)
    below = np.concatenate([np.zeros_like(at_most[..., :1]), at_most[..., :-1]], axis=-1)
    top_level = at_most**k - below**k  # P(the highest reward drawn is this level)
    kept = _share_within_level(p, level_of, level_mass) * top_level[..., level_of]
    return kept / kept.sum(axis=-1, keepdims=True)


#: Largest number of ways to spread k - 1 rival candidates over the reward levels for which
#: :func:`bradley_terry_update` enumerates them exactly; beyond it, it integrates numerically.
MAX_COMPOSITIONS = 20_000


@functools.lru_cache(maxsize=32)
def _rival_counts(total: int, parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Every way to spread ``total`` rivals over ``parts`` levels, shape (C, parts), and the log of
    each one's multinomial coefficient. Cached: a loop asks for the same ones every generation."""
    import scipy.special

    counts = _compositions(total, parts)
    log_ways = scipy.special.gammaln(total + 1) - scipy.special.gammaln(counts + 1).sum(axis=1)
    counts.setflags(write=False)
    log_ways.setflags(write=False)
    return counts, log_ways


def _compositions(total: int, parts: int) -> np.ndarray:
    """Every vector of ``parts`` non-negative integers summing to ``total``, shape (C, parts)."""
    if parts == 1:
        return np.array([[total]])
    rows = [np.concatenate([np.full((len(rest), 1), first), rest], axis=1)
            for first in range(total, -1, -1) for rest in [_compositions(total - first, parts - 1)]]
    return np.concatenate(rows)


def bradley_terry_update(p, reward, k: int) -> np.ndarray:
    """The law of the kept item when a curator picks one of k draws with probabilities proportional to exp(reward).

    The Bradley–Terry (Luce) choice among k candidates of a categorical model p gives
    p_next(x) = p(x) H(x) with H(x) = E[k e^{r(x)} / (e^{r(x)} + sum_{j<k} e^{r(X_j)})], the
    X_j independent draws of p (Ferbach et al., 2024). H depends on the rivals X_j only through
    how many fall at each reward level, a multinomial count, so when there are few such counts
    (at most ``MAX_COMPOSITIONS``) the expectation is an exact finite sum. Otherwise, with
    1/a = int_0^inf e^{-a u} du, H(x) = k e^{r(x)} int_0^inf e^{-u e^{r(x)}} phi(u)^(k-1) du,
    phi(u) = sum_j p_j e^{-u e^{r_j}}, a one-dimensional integral computed by quadrature.

    Parameters
    ----------
    p : array_like, shape (K,) or (..., K)
        Probabilities over the last axis; leading axes index several models.
    reward : array_like, shape (K,)
        Rewards; only their differences matter.
    k : int
        Candidates compared (>= 1); k = 1 returns p.

    Returns
    -------
    numpy.ndarray, the shape of ``p``
    """
    import scipy.special

    p, reward = _check_rewards(p, reward)
    k = check_int(k, "k", minimum=1, maximum=MAX_CANDIDATES)
    if k == 1:
        return p.copy()
    levels, level_of, level_mass = _levels(p, reward)
    weight = np.exp(levels - levels.max())  # e^{r} per level, up to a common factor, largest 1
    count = scipy.special.comb(k - 1 + levels.size - 1, levels.size - 1, exact=True)
    if count <= MAX_COMPOSITIONS:
        rivals, log_ways = _rival_counts(k - 1, levels.size)  # (C, L): how many rivals at each level
        # A level without mass gets log-probability -690 (that of 1e-300): a count that puts a
        # rival there has probability below 1e-300, zero to double precision, and one that puts
        # none there is unaffected (0 times a finite number).
        log_mass = np.log(np.maximum(level_mass, 1e-300))
        chance = np.exp(log_ways + log_mass @ rivals.T)  # (..., C): the probability of each count
        win = k * weight / (weight[None, :] + (rivals @ weight)[:, None])  # (C, L)
        H_level = chance @ win  # (..., L)
    else:
        H_level = _bradley_terry_by_quadrature(level_mass, weight, k)
    updated = p * H_level[..., level_of]
    return updated / updated.sum(axis=-1, keepdims=True)


def _bradley_terry_by_quadrature(level_mass: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    import scipy.integrate

    def integrand(v, a, c, log_p, w):
        # e^{-a u} phi(u)^(k-1) at u = c v, phi(u) = sum_j p_j e^{-u w_j} summed in log space
        terms = log_p - c * v * w
        top = terms.max()
        return np.exp(-a * c * v + (k - 1) * (top + np.log(np.exp(terms - top).sum())))

    flat = level_mass.reshape(-1, weight.size)
    H = np.zeros_like(flat)
    for row, mass in enumerate(flat):
        support = np.flatnonzero(mass > 0)
        log_p, w = np.log(mass[support]), weight[support]
        # Substituting u = c v with c = 1 / ((k - 1) E_p[e^r]) keeps the integrand's width near 1
        # for every k: phi(c v)^(k-1) is close to e^{-v} when k is large.
        c = 1.0 / ((k - 1) * (mass[support] @ w))
        for level in support:
            a = weight[level]
            integral = scipy.integrate.quad(integrand, 0, np.inf, args=(a, c, log_p, w), epsabs=1e-14, epsrel=1e-11,
                                            limit=200)[0]
            H[row, level] = k * a * c * integral
    return H.reshape(level_mass.shape)


# --------------------------------------------------------------------------- curated loops
_CHOICES = {"best": best_of_k, "bradley-terry": bradley_terry_update}


def curation_loop(p, reward, k: int, M: int, generations: int, *, choice: str = "best", real_fraction: float = 0.0,
                  replicates: int | None = None, method: str = "exact", rng: RNGLike = None) -> np.ndarray:
    """Refit a categorical model to M curated samples, generation after generation.

    Each generation's training set holds round(real_fraction * M) fresh draws from ``p`` (the
    real distribution) and, for the rest, items kept by a curator who draws k candidates from
    the current model and keeps one: the highest-reward one (``choice="best"``, ties broken
    uniformly) or one chosen with probability proportional to exp(reward)
    (``"bradley-terry"``). The next model is the training set's frequencies.

    Parameters
    ----------
    p : array_like, shape (K,)
        The real distribution, which is also generation 0.
    reward : array_like, shape (K,)
    k : int
        Candidates per kept item (>= 1).
    M : int
        Training-set size per generation (>= 1).
    generations : int
        Number of refits (>= 0).
    choice : {"best", "bradley-terry"}
    real_fraction : float in [0, 1]
    replicates : int, optional
        Independent chains, simulated together.
    method : {"exact", "samples"}
        Draw each generation's counts from their exact multinomial law (the curated law is
        :func:`best_of_k` or :func:`bradley_terry_update` of the current model), or draw every
        candidate and make every choice. Both give the same distribution.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray
        Frequencies, generation 0 being ``p``: shape (generations+1, K), or
        (replicates, generations+1, K) when ``replicates`` is given.
    """
    p, reward = _check_rewards(p, reward)
    if p.ndim != 1:
        raise ValueError(f"p must be one probability vector, shape (K,), got shape {p.shape}")
    k = check_int(k, "k", minimum=1, maximum=MAX_CANDIDATES)
    M = check_int(M, "M", minimum=1, maximum=MAX_COUNT)
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_CURATED_GENERATIONS)
    choice = check_choice(choice, "choice", list(_CHOICES))
    real_fraction = check_real(real_fraction, "real_fraction", low=0, high=1)
    single = replicates is None
    R = 1 if single else check_int(replicates, "replicates", minimum=1)
    method = check_choice(method, "method", ["exact", "samples"])
    K = p.size
    check_memory(8.0 * (generations + 1) * R * K, "generations and replicates", "the frequencies of every generation")
    if method == "samples":
        check_memory(8.0 * 3 * R * M * k, "replicates, M and k", "one generation's candidates (method='samples')")
    rng = as_generator(rng)
    n_real = int(round(real_fraction * M))
    out = np.empty((generations + 1, R, K))
    out[0] = p
    for t in range(generations):
        current = out[t]
        counts = rng.multinomial(n_real, p, size=R).astype(float) if n_real else np.zeros((R, K))
        if method == "exact":
            counts += rng.multinomial(M - n_real, _CHOICES[choice](current, reward, k))
        else:
            counts += _curate_by_sampling(current, reward, k, M - n_real, choice, rng)
        out[t + 1] = counts / M
    out = np.moveaxis(out, 0, 1)
    return out[0] if single else out


def _curate_by_sampling(current: np.ndarray, reward: np.ndarray, k: int, n: int, choice: str,
                        rng: np.random.Generator) -> np.ndarray:
    """Counts of n curated items per replicate, each chosen among k candidates drawn from ``current``."""
    R, K = current.shape
    rows = np.arange(R)[:, None]
    # Inverse-CDF draws for all replicates in one search: row r's cumulative probabilities are
    # shifted by r, so the concatenated rows are increasing and a draw u + r lands in row r.
    cumulative = np.cumsum(current, axis=1)
    cumulative[:, -1] = 1.0
    shifted = (cumulative + rows).ravel()
    found = np.searchsorted(shifted, (rng.random((R, n * k)) + rows).ravel(), side="right")
    candidates = np.minimum(found.reshape(R, n, k) - rows[:, :, None] * K, K - 1)
    score = reward[candidates]
    if choice == "best":  # ties broken by random keys among the best
        score = np.where(score == score.max(axis=2, keepdims=True), rng.random(score.shape), -1.0)
    else:  # Gumbel-max: argmax of r + Gumbel noise picks j with probability e^{r_j} / sum e^{r}
        score = score + rng.gumbel(size=score.shape)
    kept = np.take_along_axis(candidates, score.argmax(axis=2)[..., None], axis=2)[..., 0]
    return np.bincount((kept + rows * K).ravel(), minlength=R * K).reshape(R, K).astype(float)


# --------------------------------------------------------------------------- Gaussian filters
#: The filters of :func:`curated_gaussian_loop`, by name: what ``value`` means for each.
GAUSSIAN_FILTERS = {
    "best_of_k": "k, the candidates per kept sample (an integer >= 1)",
    "above": "alpha: keep samples above mean + alpha sd (at most 8)",
    "within": "c: keep samples within mean +- c sd (c > 0)",
}


def _check_filter(rule, value) -> tuple[str, float]:
    rule = check_choice(rule, "rule", list(GAUSSIAN_FILTERS))
    if rule == "best_of_k":
        return rule, float(check_int(value, "value", minimum=1, maximum=MAX_CANDIDATES))
    if rule == "above":  # above 8 sd the kept share, 6e-16, is below double precision's resolution
        return rule, check_real(value, "value", low=-8, high=8)
    return rule, check_real(value, "value", low=0, high=40, low_open=True)


def _kept_standard_normal(rule: str, value: float, size: tuple, rng: np.random.Generator) -> np.ndarray:
    """Exact draws of what the filter keeps from N(0, 1), by the inverse of the kept law's CDF."""
    import scipy.special

    u = rng.random(size)
    if rule == "best_of_k":  # the max of k has CDF Phi^k; solve 1 - Phi(x) = 1 - u^(1/k) accurately
        return -scipy.special.ndtri(-np.expm1(np.log(u) / value))
    if rule == "above":  # upper tail: P(X > x) = u P(X > alpha)
        return -scipy.special.ndtri(u * scipy.special.ndtr(-value))
    low = scipy.special.ndtr(-value)
    return scipy.special.ndtri(low + u * (1.0 - 2.0 * low))


def _kept_by_sampling(rule: str, value: float, size: tuple, rng: np.random.Generator) -> np.ndarray:
    """What the filter keeps, found the way a curator would: draw candidates and select."""
    if rule == "best_of_k":
        return rng.standard_normal(size + (int(value),)).max(axis=-1)
    keep = (lambda x: x > value) if rule == "above" else (lambda x: np.abs(x) <= value)
    out = np.empty(size).ravel()
    filled = 0
    while filled < out.size:  # draw, keep the accepted ones in order, repeat for the rest
        draws = rng.standard_normal(max(64, 2 * (out.size - filled)))
        accepted = draws[keep(draws)][: out.size - filled]
        out[filled : filled + accepted.size] = accepted
        filled += accepted.size
    return out.reshape(size)


def curated_gaussian_loop(M: int, generations: int, *, rule: str, value: float, mean: float = 0.0,
                          variance: float = 1.0, replicates: int = 1, method: str = "exact",
                          rng: RNGLike = None):
    """Refit a one-dimensional Gaussian to M samples that pass a filter, generation after generation.

    Generation t is N(mean_t, variance_t). A curator draws from it and keeps samples by ``rule``:
    ``"best_of_k"`` keeps the largest of k draws (the reward is the value itself), ``"above"``
    keeps draws above mean_t + alpha sd_t, ``"within"`` keeps draws within c sd_t of mean_t (a
    filter on the model's own likelihood). Generation t+1 is fitted to M kept samples with the
    sample mean and the unbiased sample variance, as in :func:`collapse_lib.gaussian.simulate`.

    Parameters
    ----------
    M : int
        Kept samples per generation (>= 2).
    generations : int
        Number of refits (>= 0).
    rule : {"best_of_k", "above", "within"}
    value : float
        k, alpha or c (see ``GAUSSIAN_FILTERS``).
    mean, variance : float
        Generation 0.
    replicates : int, default 1
    method : {"exact", "samples"}
        Draw the kept samples from their exact law (inverse CDF), or draw candidates and filter
        them. Both give the same distribution; "samples" costs k (or 1 / the kept share) times more.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    collapse_lib.gaussian.GaussianChain
        ``means`` of shape (replicates, generations + 1, 1) and ``covs`` of shape
        (replicates, generations + 1, 1, 1); ``variances`` gives the latter as (replicates, generations + 1).
    """
    from .gaussian import GaussianChain

    M = check_int(M, "M", minimum=2, maximum=MAX_COUNT)
    generations = check_int(generations, "generations", minimum=0, maximum=MAX_CURATED_GENERATIONS)
    rule, value = _check_filter(rule, value)
    mean = check_real(mean, "mean")
    variance = check_real(variance, "variance", low=0, low_open=True)
    R = check_int(replicates, "replicates", minimum=1)
    method = check_choice(method, "method", ["exact", "samples"])
    check_memory(8.0 * 2 * (generations + 1) * R, "generations and replicates", "the fitted parameters")
    if method == "samples":
        import scipy.special

        kept_share = {"best_of_k": 1 / value, "above": scipy.special.ndtr(-value),
                      "within": 1 - 2 * scipy.special.ndtr(-value)}[rule]
        check_memory(8.0 * 3 * R * M / kept_share, "replicates and M", "one generation's candidates (method='samples')")
    check_memory(8.0 * 3 * R * M, "replicates and M", "one generation's samples")
    rng = as_generator(rng)
    draw = _kept_standard_normal if method == "exact" else _kept_by_sampling
    means = np.empty((generations + 1, R))
    variances = np.empty((generations + 1, R))
    means[0], variances[0] = mean, variance
    for t in range(generations):
        z = draw(rule, value, (R, M), rng)  # standardised kept samples: x = mean_t + sd_t z
        sd = np.sqrt(variances[t])
        means[t + 1] = means[t] + sd * z.mean(axis=1)
        variances[t + 1] = variances[t] * z.var(axis=1, ddof=1)
    return GaussianChain(means=means.T[..., None].copy(), covs=variances.T[..., None, None].copy())


# --------------------------------------------------------------------------- verified synthetic labels
def verified_training_error(n_real: int, n_synthetic: int, verifier_accuracy, *, signal: float = 1.5,
                            generator_angle: float = 1.2, dim: int = 20, replicates: int = 1,
                            rng: RNGLike = None) -> np.ndarray:
    """Test error of a linear classifier trained on real data plus verified synthetic labels.

    The task: y = +-1 with probability 1/2 each and x ~ N(y mu, I) in ``dim`` dimensions, with
    ``|mu| = signal``; the Bayes error is Phi(-signal). The learner is the mean-difference
    classifier sign(w . x), w = sum of y_i x_i over its training set, whose test error is
    ``Phi(-w . mu / |w|)``. The training set holds ``n_real`` real examples and the synthetic
    examples a verifier keeps out of ``n_synthetic``: their inputs are real inputs, their labels
    come from a generator, the linear classifier sign(w_g . x) whose direction w_g makes the
    angle ``generator_angle`` with mu (so it errs with probability Phi(-signal cos angle)). The
    verifier keeps a correctly labelled example with probability a and a wrongly labelled one
    with probability 1 - a, a = ``verifier_accuracy``; a = 1/2 keeps half of everything, which
    is no verification at all.

    Only the plane of mu and w_g matters to the labels, so the examples are simulated there and
    the other dim - 2 coordinates of w through their exact law (a chi-square sum of squares).
    Several accuracies share the same examples (common random numbers), so their differences
    are precise.

    Parameters
    ----------
    n_real, n_synthetic : int
        Real examples (>= 0) and synthetic candidates (>= 0), not both zero.
    verifier_accuracy : float or array_like of floats in [0, 1]
    signal : float
        The norm of mu, > 0.
    generator_angle : float
        Radians in [0, pi/2): 0 is a generator as good as the Bayes classifier.
    dim : int
        Dimension (>= 2).
    replicates : int
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray
        Test errors, shape (replicates,), or (len(verifier_accuracy), replicates) for an array of
        accuracies.
    """
    import scipy.special

    n_real = check_int(n_real, "n_real", minimum=0, maximum=MAX_COUNT)
    n_synthetic = check_int(n_synthetic, "n_synthetic", minimum=0, maximum=MAX_COUNT)
    if n_real + n_synthetic == 0:
        raise ValueError("n_real and n_synthetic cannot both be 0: the learner needs some data")
    accuracy = as_float_array(verifier_accuracy, "verifier_accuracy", "a probability or an array of probabilities")
    single = accuracy.ndim == 0
    accuracy = np.atleast_1d(accuracy)
    if accuracy.ndim != 1 or accuracy.size == 0 or not np.all((accuracy >= 0) & (accuracy <= 1)):
        raise ValueError("verifier_accuracy must be a probability in [0, 1] or a 1-D array of them")
    signal = check_real(signal, "signal", low=0, high=50, low_open=True)
    generator_angle = check_real(generator_angle, "generator_angle", low=0, high=np.pi / 2, high_open=True)
    dim = check_int(dim, "dim", minimum=2, maximum=10**6)
    R = check_int(replicates, "replicates", minimum=1)
    A = accuracy.size
    check_memory(8.0 * A * R * 4, "verifier_accuracy and replicates", "the results")
    check_memory(8.0 * n_synthetic * (A + 6), "n_synthetic and verifier_accuracy", "one replicate's synthetic examples")
    rng = as_generator(rng)
    w_g = np.array([np.cos(generator_angle), np.sin(generator_angle)])
    chunk = max(1, int(4e6 // max(1, n_synthetic * (A + 3))))  # replicates per pass: bounded memory
    errors = np.empty((A, R))
    for start in range(0, R, chunk):
        r = min(chunk, R - start)
        # Real examples: the sum of y x is n_real mu + sqrt(n_real) N(0, I) in the plane.
        plane = np.zeros((A, r, 2))
        plane += [n_real * signal, 0.0]
        plane += np.sqrt(n_real) * rng.standard_normal((r, 2))
        kept = np.full((A, r), float(n_real))
        if n_synthetic:
            z = rng.standard_normal((r, n_synthetic, 2))  # z = y x: the input seen from its true class
            z[..., 0] += signal
            margin = z @ w_g
            correct = margin > 0  # the generator's label sign(w_g . x) equals y
            signed = np.where(correct[..., None], z, -z)  # the generator's label times x
            u = rng.random((r, n_synthetic))
            for i, a in enumerate(accuracy):
                keep = np.where(correct, u < a, u < 1 - a)
                plane[i] += np.einsum("rn,rnc->rc", keep, signed)
                kept[i] += keep.sum(axis=1)
        rest = kept * rng.chisquare(dim - 2, size=r) if dim > 2 else 0.0  # the other coordinates' |.|^2
        norm = np.sqrt((plane**2).sum(axis=2) + rest)
        with np.errstate(invalid="ignore", divide="ignore"):
            cosine = np.where(norm > 0, plane[..., 0] / np.where(norm > 0, norm, 1.0), 0.0)
        errors[:, start : start + r] = scipy.special.ndtr(-signal * cosine)
    return errors[0] if single else errors


# --------------------------------------------------------------------------- watermarks
_MIX1, _MIX2, _GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def _hash_uniform(key: int, previous: np.ndarray, token: np.ndarray) -> np.ndarray:
    """A pseudo-random number in [0, 1) for every (key, previous token, token): splitmix64 mixing."""
    with np.errstate(over="ignore"):
        x = (np.asarray(key).astype(np.uint64) * _GOLDEN) ^ (previous.astype(np.uint64) * _MIX1) ^ (token.astype(np.uint64) * _MIX2)
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / 2.0**53


def _check_watermark(gamma, key) -> tuple[float, int]:
    gamma = check_real(gamma, "gamma", low=0, high=1, low_open=True, high_open=True)
    key = check_int(key, "key", minimum=0, maximum=2**63 - 1)
    return gamma, key


def green_mask(previous, vocab_size: int, *, gamma: float = 0.25, key: int = 0) -> np.ndarray:
    """Which tokens are on the green list after each previous token: a hash of (key, previous, token) below gamma.

    Each token is green with probability gamma, independently across tokens and previous tokens
    (for a fixed key); this plays the role of Kirchenbauer et al.'s vocabulary permutation seeded
    by the previous token.

    Parameters
    ----------
    previous : array_like of int, shape (batch,)
        The token before the one being generated.
    vocab_size : int
    gamma : float
        Expected share of green tokens, in (0, 1).
    key : int
        The watermark's secret key (>= 0).

    Returns
    -------
    numpy.ndarray of bool, shape (batch, vocab_size)
    """
    gamma, key = _check_watermark(gamma, key)
    vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
    previous = np.atleast_1d(np.asarray(previous))
    if previous.ndim != 1 or not np.issubdtype(previous.dtype, np.integer) or previous.min(initial=0) < 0:
        raise ValueError("previous must be a one-dimensional array of token ids (integers >= 0)")
    check_memory(8.0 * previous.size * vocab_size, "previous and vocab_size", "the green lists")
    return _hash_uniform(key, previous[:, None], np.arange(vocab_size)[None, :]) < gamma


#: Largest vocabulary-squared for which :func:`watermarked_sample` keeps every green list it has
#: hashed (a V x V boolean table: 64 MB at this limit).
GREEN_TABLE_ENTRIES = 2**26


def watermarked_sample(model, prompts, length: int, *, gamma: float = 0.25, delta: float = 2.0, key: int = 0,
                       return_green_probability: bool = False, rng: RNGLike = None):
    """Continue each prompt by ``length`` tokens from the model with green tokens' logits raised by ``delta``.

    At every step the next-token probabilities p(w | context) are replaced by
    p(w) e^{delta [w green]} / sum_v p(v) e^{delta [v green]}, the green list depending on the
    previous token (:func:`green_mask`): Kirchenbauer et al.'s "soft" watermark. delta = 0 is
    ordinary sampling.

    Parameters
    ----------
    model : language.NGramModel
    prompts : array_like of int, shape (batch, c), c >= n-1
    length : int
    gamma, key
        As in :func:`green_mask`.
    delta : float
        The watermark's strength, >= 0 (at most 50).
    return_green_probability : bool, default False
        Also return, for every generated token, the probability that it would be green given
        what came before: the watermarked law's mass on the green list at that step.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray of int64, shape (batch, length)
        The tokens; with ``return_green_probability``, a pair (tokens, green probabilities of
        the same shape).
    """
    from .language.decoding import DENSE_CHUNK_BYTES, _check_decoding
    from .language.kneser_ney import next_token_probabilities

    prompts, length = _check_decoding(model, prompts, length)
    gamma, key = _check_watermark(gamma, key)
    delta = check_real(delta, "delta", low=0, high=50)
    return_green_probability = check_bool(return_green_probability, "return_green_probability")
    rng = as_generator(rng)
    V, keep = model.vocab_size, model.n - 1
    out = np.empty((prompts.shape[0], length), dtype=np.int64)
    green_probability = np.empty((prompts.shape[0], length)) if return_green_probability else None
    context = prompts[:, prompts.shape[1] - max(keep, 1):]
    chunk = max(1, DENSE_CHUNK_BYTES // (16 * V))
    # The green list after a token is a fixed row of V booleans: hashed once per distinct previous
    # token and then looked up (when the V x V table is small enough to keep).
    table = np.zeros((V, V), dtype=bool) if V * V <= GREEN_TABLE_ENTRIES else None
    hashed = np.zeros(V, dtype=bool)
    for step in range(length):
        previous = context[:, -1]
        if table is not None:
            new = np.unique(previous[~hashed[previous]])
            table[new] = _hash_uniform(key, new[:, None], np.arange(V)[None, :]) < gamma
            hashed[new] = True
        for start in range(0, prompts.shape[0], chunk):
            rows = slice(start, start + chunk)
            probs = next_token_probabilities(model, context[rows, context.shape[1] - keep:] if keep else
                                             np.zeros((previous[rows].size, 0), dtype=np.int64))
            green = table[previous[rows]] if table is not None else \
                _hash_uniform(key, previous[rows, None], np.arange(V)[None, :]) < gamma
            probs *= np.where(green, np.exp(delta), 1.0)
            cdf = np.cumsum(probs, axis=1)
            if return_green_probability:
                green_probability[rows, step] = np.where(green, probs, 0.0).sum(axis=1) / cdf[:, -1]
            draw = (cdf <= rng.random(probs.shape[0])[:, None] * cdf[:, -1:]).sum(axis=1)
            out[rows, step] = np.minimum(draw, V - 1)
        context = np.concatenate([context[:, 1:], out[:, step : step + 1]], axis=1) if context.shape[1] > 1 \
            else out[:, step : step + 1]
    return (out, green_probability) if return_green_probability else out


def watermark_z(tokens, previous, *, gamma: float = 0.25, key: int = 0) -> np.ndarray:
    """The detector's z statistic of each text: (green count - gamma T) / sqrt(T gamma (1 - gamma)).

    Without a watermark each of the T tokens is green with probability gamma, so z is about
    standard normal; a watermark raises it by about sqrt(T) (green rate - gamma) / sqrt(gamma (1 - gamma)).

    Parameters
    ----------
    tokens : array_like of int, shape (batch, T)
        The texts to test.
    previous : array_like of int, shape (batch,)
        The token before each text's first token (for a continuation: the prompt's last token).
    gamma : float
        As in :func:`green_mask`.
    key : int or array_like of int, shape (batch,)
        The key, or one key per text.

    Returns
    -------
    numpy.ndarray, shape (batch,)
    """
    gamma = check_real(gamma, "gamma", low=0, high=1, low_open=True, high_open=True)
    tokens = np.asarray(tokens)
    if tokens.ndim == 1:
        tokens = tokens[None, :]
    if tokens.ndim != 2 or tokens.shape[1] < 1 or not np.issubdtype(tokens.dtype, np.integer) or tokens.min() < 0:
        raise ValueError(f"tokens must be a (batch, T) array of token ids with T >= 1, got shape {tokens.shape}")
    previous = np.atleast_1d(np.asarray(previous))
    if previous.shape != (tokens.shape[0],) or not np.issubdtype(previous.dtype, np.integer) or previous.min() < 0:
        raise ValueError(f"previous must hold one token id per text, shape ({tokens.shape[0]},), got {previous.shape}")
    if np.ndim(key) == 0:
        key = check_int(key, "key", minimum=0, maximum=2**63 - 1)
    else:  # one key per text: the detector of a different watermark for each
        key = np.asarray(key)
        if key.shape != (tokens.shape[0],) or not np.issubdtype(key.dtype, np.integer) or key.min() < 0:
            raise ValueError(f"key must be an integer >= 0 or one per text, shape ({tokens.shape[0]},), "
                             f"got shape {key.shape}")
        key = key[:, None]
    before = np.concatenate([previous[:, None], tokens[:, :-1]], axis=1)
    green = (_hash_uniform(key, before, tokens) < gamma).sum(axis=1)
    T = tokens.shape[1]
    return (green - gamma * T) / np.sqrt(T * gamma * (1 - gamma))
