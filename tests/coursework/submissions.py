"""Simulated students' answers to the code exercises, for grading with nbgrader.

The *correct* student submits the book's own solutions (taken from the nbgrader source, so they
are not repeated here); the *blank* student submits the release untouched. The *wrong* student's
code below runs without error but gives an answer a student could plausibly give and that is
wrong, so only the check cell fails.
"""

WRONG_CODE = {
    # Chapter 1: lost categories counted, not weighted by their probability.
    "ex-loop-mass": "mass_lost_by_M = np.array(\n"
                    "    [np.sum(prob_lost(p0, M_value)) for M_value in 10.0 ** np.arange(2, 7)]\n"
                    ")\n",
    # Chapter 2: P applied t times instead of t - 1.
    "ex-discrete-support": "def my_expected_support(p, M, t):\n"
                           "    P = discrete.wright_fisher_matrix(M)\n"
                           "    first = scipy.stats.binom.pmf(np.arange(M + 1)[None, :], M, np.asarray(p)[:, None])\n"
                           "    return float(np.sum(1 - (first @ np.linalg.matrix_power(P, t))[:, 0]))\n",
    # Chapter 2: generations counted from 1, so every half-life is one too late.
    "ex-discrete-half-life": "measured_half_lives, heterozygosity_runs = [], []\n"
                             "for M_value in [20, 40, 80, 160]:\n"
                             "    H = metrics.heterozygosity(discrete.resample(\n"
                             "        data.zipf(10, 1.0), M_value, 3 * M_value, replicates=2000, rng=rng))\n"
                             "    heterozygosity_runs.append(H)\n"
                             "    H_path = H.mean(axis=0)\n"
                             "    measured_half_lives.append(int(np.argmax(H_path < H_path[0] / 2)) + 1)\n",
    # Chapter 3: the closed form typed in, next to real runs.
    "ex-gaussian-measure-drift": "final_log_variances = [\n"
                                 "    np.log(gaussian.simulate(0.0, 1.0, M_value, 2 * M_value, replicates=20_000,\n"
                                 "                             rng=rng).variances[:, -1])\n"
                                 "    for M_value in [5, 10, 20, 50]\n"
                                 "]\n"
                                 "measured_drifts = [float(log_drift(M_value)) for M_value in [5, 10, 20, 50]]\n",
    # Chapter 3: recall instead of precision.
    "ex-gaussian-precision-recall": "precision_example = float(recall_fn(1.0, 0.25, 0.0, 1.0, z95))\n",
    # Chapter 4: rate and scale confused, consistently, in the sampler and the exact path.
    "ex-breaking-family": "def exponential_family():\n"
                          "    def stats(data):\n"
                          "        return np.full(data.shape[0], float(data.shape[1])), data[..., 0].sum(axis=1)\n"
                          "\n"
                          "    def fit(stats_):\n"
                          "        count, total = stats_\n"
                          "        return (count / total,)\n"
                          "\n"
                          "    def sample(params, n, generator):\n"
                          "        (rate,) = params\n"
                          "        return generator.exponential(rate[:, None, None], size=(rate.size, n, 1))\n"
                          "\n"
                          "    def sample_stats(params, n, generator):\n"
                          "        (rate,) = params\n"
                          "        return np.full(rate.size, float(n)), generator.gamma(n, rate)\n"
                          "\n"
                          "    return loops.ModelFamily(\"exponential\", stats, fit, sample, sample_stats, min_size=1)\n",
    # Chapter 4: the accumulate error's limit pi^2/6 instead of its partial sum.
    "ex-breaking-ratio": "predicted_ratio = 21 / (np.pi**2 / 6)\n"
                         "measured_ratio = reg_error[\"replace\"][0][20] / reg_error[\"accumulate\"][0][20]\n",
    # Chapter 5: the expected number of words lost, not kept.
    "ex-language-types": "q_words = counts[counts > 0] / M\n"
                         "expected_types = float(np.sum(lost_exact(q_words, M)))\n",
    # Chapter 5: raw counts at the unigram level instead of continuation counts.
    "ex-language-by-hand": "p1_c = (1 - 0.75) / 5 + (0.75 * 3 / 5) * (1 / 4)\n"
                           "p2_c = (1 - 0.75) / 2 + (0.75 * 2 / 2) * p1_c\n"
                           "by_hand = (1 - 0.75) / 2 + (0.75 * 2 / 2) * p2_c\n",
    # Chapter 5: every generation's text written by model 0.
    "ex-language-accumulate": "def accumulate_perplexity(generations, seed):\n"
                              "    generator = np.random.default_rng(seed)\n"
                              "    pool = [real_blocks]\n"
                              "    first = model = lm.train(real_blocks, len(vocab))\n"
                              "    result = [lm.corpus_perplexity(model, test_blocks)]\n"
                              "    for _ in range(generations):\n"
                              "        pool.append(lm.sample(first, real_blocks, BLOCK, rng=generator))\n"
                              "        model = lm.train(np.concatenate(pool), len(vocab))\n"
                              "        result.append(lm.corpus_perplexity(model, test_blocks))\n"
                              "    return np.array(result)\n",
    # Chapter 6: kappa replaced by sqrt(v), as if the mixture were Gaussian (every distance is 0).
    "ex-expressivity-best-gaussian": "def best_gaussian_w2(weights, means, sds):\n"
                                     "    m = weights @ means\n"
                                     "    v = weights @ (sds**2 + means**2) - m**2\n"
                                     "    return np.sqrt(max(2 * v - 2 * np.sqrt(v) * np.sqrt(v), 0.0))\n",
    # Chapter 7: the density Phi^k instead of its derivative (the best of k + 1, unnormalised).
    "ex-curation-best-of-k": "def best_of_k_moments(k):\n"
                             "    def density(x):\n"
                             "        return k * scipy.stats.norm.pdf(x) * scipy.stats.norm.cdf(x) ** k\n"
                             "    mean = scipy.integrate.quad(lambda x: x * density(x), -12, 15)[0]\n"
                             "    second = scipy.integrate.quad(lambda x: x**2 * density(x), -12, 15)[0]\n"
                             "    return mean, second - mean**2\n",
    # Chapter 7: verified labels treated as independent noise (no pull towards the generator).
    "ex-curation-verifier": "def error_at_scale(a, signal, angle):\n"
                            "    eps = scipy.stats.norm.cdf(-signal * np.cos(angle))\n"
                            "    return scipy.stats.norm.cdf(-signal) if a > eps else scipy.stats.norm.cdf(signal)\n",
    # Chapter 6: Scott's rule instead of Silverman's.
    "ex-expressivity-silverman": "measured_growth, variance_ratios = [], []\n"
                                 "for n_value in [20, 100, 500]:\n"
                                 "    start = rng.standard_normal(n_value)\n"
                                 "    runs = mixtures.kde_loop(start, 20, bandwidth='scott', replicates=2000,\n"
                                 "                             rng=rng).var(axis=2, ddof=1)\n"
                                 "    variance_ratios.append(runs[:, -1] / runs[:, 0])\n"
                                 "    measured_growth.append(variance_ratios[-1].mean() ** (1 / 20))\n",
}

#: What the wrong student writes in every pen-and-paper answer cell.
WRONG_TEXT = "I think the answer is 42."
#: What the correct student writes: the model solution from the nbgrader source (graded by hand).
