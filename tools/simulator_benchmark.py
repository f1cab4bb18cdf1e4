"""The library's simulators against the code a reader would write and against their floor.

    python -m tools.simulator_benchmark            # every case at the sizes the book uses
    python -m tools.simulator_benchmark --quick    # smaller sizes and fewer rounds (the CI test)
    python -m tools.simulator_benchmark --json out.json

Each case times three pieces of code on the same task:

- ``library``: the collapse_lib call;
- ``naive``: what a reader would write instead with numpy and scipy (a loop over generations
  storing every generation, a per-replicate loop, ``scipy.stats.binom.pmf`` and
  ``numpy.linalg.solve``, dense next-token rows);
- ``floor``: the least work the task needs: the random draws alone, or the minimal linear
  algebra (one LU factorisation). For the language models, whose work is table look-ups rather
  than draws, the floor is the cost of the look-ups without the fixed per-step overhead, and the
  ratio reported is the share of the time spent in that overhead.

The three are interleaved (library, naive, floor, then again, ...) so that a slow moment of the
machine hits all of them; each round gives the ratios library/naive and library/floor, and the
table reports the medians over the rounds. Ratios are what the budgets limit, not seconds, so
the check means the same on a fast and on a slow machine. Exit status 1 if a budget is exceeded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

#: The library may take at most this fraction of the naive code's time (issue 19: never slower).
NAIVE_LIMIT = 1.0
#: Where the algorithm allows, the library stays within this factor of its floor.
FLOOR_LIMIT = 2.0
#: For the language models' decoders: the largest share of a call spent in fixed per-step overhead.
OVERHEAD_LIMIT = 0.5


@dataclass
class Case:
    """One task timed three ways. ``floor_limit`` None: the floor ratio is reported, not limited."""

    name: str
    library: Callable[[], object]
    naive: Callable[[], object] | None = None
    floor: Callable[[], object] | None = None
    floor_limit: float | None = FLOOR_LIMIT
    floor_label: str = "random draws"
    naive_label: str = ""
    # A decoder's fixed per-step cost: the same call on one prompt, timed after the warm-up (which
    # builds the model's cached tables, as the book's loops do); its share of the call is reported.
    fixed: Callable[[], object] | None = None
    times: dict = field(default_factory=lambda: {"library": [], "naive": [], "floor": []})


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run_case(case: Case, rounds: int) -> dict:
    """Time the case's contenders interleaved, ``rounds`` times after one warm-up; return its row."""
    contenders = {"library": case.library, "naive": case.naive, "floor": case.floor}
    contenders = {name: f for name, f in contenders.items() if f is not None}
    for function in contenders.values():  # warm-up: caches, lazy imports, first-touch memory
        function()
    fixed_cost = statistics.median(_seconds(case.fixed) for _ in range(9)) if case.fixed else None
    names = list(contenders)
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:  # rotate who goes first
            case.times[name].append(_seconds(contenders[name]))
    lib = np.array(case.times["library"])
    row = {"case": case.name, "library_s": float(np.median(lib)), "rounds": rounds,
           "naive": case.naive_label, "floor": case.floor_label}
    if case.naive is not None:
        row["naive_s"] = float(np.median(case.times["naive"]))
        row["naive_ratio"] = float(np.median(lib / np.array(case.times["naive"])))
        row["naive_limit"] = NAIVE_LIMIT
    if case.floor is not None:
        floor = np.array(case.times["floor"])
        row["floor_s"] = float(np.median(floor))
        row["floor_ratio"] = float(np.median(lib / floor))
        row["floor_limit"] = case.floor_limit
    if fixed_cost is not None:
        row["overhead_share"] = float(np.median(fixed_cost / lib))
        row["overhead_limit"] = OVERHEAD_LIMIT
        row["floor"] = f"the same call on one prompt, {fixed_cost * 1000:.1f} ms: the fixed per-step cost"
    return row


# ---------------------------------------------------------------------------------------------
# The cases. Each builder returns Cases at the sizes given; ``quick`` picks smaller ones.


def discrete_cases(quick: bool) -> list[Case]:
    import scipy.stats

    from collapse_lib import discrete

    cases = []
    R, M, G = (10_000, 100, 200) if quick else (10_000, 100, 1000)

    def naive_two():
        rng = np.random.default_rng(0)
        freqs = np.empty((R, G + 1))
        freqs[:, 0] = 0.5
        for t in range(G):
            freqs[:, t + 1] = rng.binomial(M, freqs[:, t]) / M
        return freqs

    def floor_two():
        rng = np.random.default_rng(0)
        counts = np.full(R, M // 2)
        for _ in range(G):
            counts = rng.binomial(M, counts / M)

    cases.append(Case(f"discrete.resample, K = 2, {R:,} replicates x M = {M} x {G:,} generations",
                      lambda: discrete.resample([0.5, 0.5], M, G, replicates=R, rng=0), naive_two, floor_two,
                      naive_label="loop over generations, binomial draws stored in an array"))

    K, Rk, Gk = 10, 2_000, (50 if quick else 200)
    p = np.full(K, 1 / K)

    def naive_many():
        rng = np.random.default_rng(0)
        freqs = [np.tile(p, (Rk, 1))]
        for _ in range(Gk):
            freqs.append(rng.multinomial(M, freqs[-1]) / M)
        return np.stack(freqs, axis=1)

    def floor_many():
        rng = np.random.default_rng(0)
        freq = np.tile(p, (Rk, 1))
        for _ in range(Gk):
            freq = rng.multinomial(M, freq) / M

    cases.append(Case(f"discrete.resample, K = {K}, {Rk:,} replicates x M = {M} x {Gk} generations",
                      lambda: discrete.resample(p, M, Gk, replicates=Rk, rng=0), naive_many, floor_many,
                      naive_label="loop over generations, multinomial draws in a list, stacked"))

    Ra = 10_000

    def naive_absorption():
        rng = np.random.default_rng(0)
        counts, time_, t = np.full(Ra, M // 2), np.full(Ra, -1), 0
        while (time_ < 0).any():
            t += 1
            running = time_ < 0
            counts[running] = rng.binomial(M, counts[running] / M)
            time_[running & ((counts == 0) | (counts == M))] = t
        return time_

    cases.append(Case(f"discrete.simulate_absorption, K = 2, M = {M}, {Ra:,} chains",
                      lambda: discrete.simulate_absorption([0.5, 0.5], M, replicates=Ra, rng=0), naive_absorption,
                      naive_label="while loop over the running chains", floor_label=""))

    for size in (200,) if quick else (200, 1000):
        states = np.arange(size + 1)

        def naive_matrix(size=size, states=states):
            return scipy.stats.binom.pmf(states[None, :], size, states[:, None] / size)

        P = naive_matrix()
        A = np.eye(size - 1) - P[1:-1, 1:-1]

        def naive_solve(P=P, size=size):
            Q, Rm = P[1:-1, 1:-1], P[1:-1, [0, -1]]
            return np.linalg.solve(np.eye(size - 1) - Q, np.column_stack([Rm, np.ones(size - 1)]))

        def naive_both(naive_matrix=naive_matrix, naive_solve=naive_solve):
            P = naive_matrix()
            Q, Rm = P[1:-1, 1:-1], P[1:-1, [0, -1]]
            return np.linalg.solve(np.eye(Q.shape[0]) - Q, np.column_stack([Rm, np.ones(Q.shape[0])]))

        def lu_only(A=A):
            import scipy.linalg

            return scipy.linalg.lu_factor(A, check_finite=False)

        cases.append(Case(f"discrete.wright_fisher_matrix(M = {size:,})",
                          lambda size=size: discrete.wright_fisher_matrix(size), naive_matrix,
                          naive_label="scipy.stats.binom.pmf on the grid", floor_label=""))
        cases.append(Case(f"discrete.absorption(P), M = {size:,}: t and B",
                          lambda P=P: _absorption_t_and_b(discrete.absorption(P)), naive_solve, lu_only,
                          naive_label="numpy.linalg.solve(I - Q, [R, 1])", floor_label="one LU factorisation"))
        cases.append(Case(f"discrete.absorption(wright_fisher_matrix(M = {size:,})): t and B",
                          lambda size=size: _absorption_t_and_b(discrete.absorption(discrete.wright_fisher_matrix(size))),
                          naive_both, naive_label="binom.pmf, then numpy.linalg.solve(I - Q, [R, 1])", floor_label=""))
    return cases


def _absorption_t_and_b(result):
    """What a reader uses of an absorption analysis: the expected times and absorption probabilities."""
    return result.t, result.B


def gaussian_cases(quick: bool) -> list[Case]:
    from collapse_lib import gaussian

    cases = []
    R, M, G = (1000, 1000, 5) if quick else (1000, 1000, 20)

    def naive_1d():
        rng = np.random.default_rng(0)
        mean, var = np.zeros(R), np.ones(R)
        means, variances = [mean], [var]
        for _ in range(G):
            x = mean[:, None] + np.sqrt(var)[:, None] * rng.standard_normal((R, M))
            mean, var = x.mean(axis=1), x.var(axis=1, ddof=1)
            means.append(mean)
            variances.append(var)
        return np.stack(means, 1), np.stack(variances, 1)

    def floor_1d():
        rng = np.random.default_rng(0)
        for _ in range(G):
            rng.standard_normal((R, M))

    cases.append(Case(f"gaussian.simulate(method='samples'), d = 1, {R:,} replicates x M = {M:,} x {G} generations",
                      lambda: gaussian.simulate(0.0, 1.0, M, G, replicates=R, method="samples", rng=0),
                      naive_1d, floor_1d, naive_label="vectorised over replicates"))

    for d, Rd, Gd in ((2, 1000, 10), (10, 200 if quick else 1000, 5 if quick else 10)):
        mean0, cov0 = np.zeros(d), np.eye(d)

        def naive_loop(d=d, Rd=Rd, Gd=Gd, mean0=mean0, cov0=cov0):
            rng = np.random.default_rng(0)
            out = []
            for _ in range(Rd):
                mean, cov = mean0, cov0
                for _ in range(Gd):
                    x = mean + rng.standard_normal((M, d)) @ np.linalg.cholesky(cov).T
                    mean, cov = x.mean(axis=0), np.cov(x, rowvar=False)
                out.append((mean, cov))
            return out

        def floor_draws(d=d, Rd=Rd, Gd=Gd):
            rng = np.random.default_rng(0)
            for _ in range(Gd):
                rng.standard_normal((Rd, M, d))

        cases.append(Case(f"gaussian.simulate(method='samples'), d = {d}, {Rd:,} replicates x M = {M:,} x {Gd} "
                          "generations",
                          lambda d=d, Rd=Rd, Gd=Gd, mean0=mean0, cov0=cov0: gaussian.simulate(
                              mean0, cov0, M, Gd, replicates=Rd, method="samples", rng=0),
                          naive_loop, floor_draws, naive_label="loop over replicates: cholesky, matmul, numpy.cov"))

    Re, Ge = 10_000, 100 if quick else 1000

    def naive_exact_1d():  # the reader who knows the laws: chi-square and normal draws in a loop
        rng = np.random.default_rng(0)
        mean, var = np.zeros(Re), np.ones(Re)
        means, variances = [mean], [var]
        for _ in range(Ge):
            mean = mean + np.sqrt(var / M) * rng.standard_normal(Re)
            var = var * rng.chisquare(M - 1, Re) / (M - 1)
            means.append(mean)
            variances.append(var)
        return np.stack(means, 1), np.stack(variances, 1)

    def floor_exact_1d():
        rng = np.random.default_rng(0)
        for _ in range(Ge):
            rng.standard_normal(Re)
            rng.chisquare(M - 1, Re)

    cases.append(Case(f"gaussian.simulate(method='exact'), d = 1, {Re:,} replicates x {Ge:,} generations",
                      lambda: gaussian.simulate(0.0, 1.0, M, Ge, replicates=Re, rng=0), naive_exact_1d,
                      floor_exact_1d, naive_label="loop over generations: normal and chi-square draws"))

    d, Rx, Gx = 10, 1000, 20 if quick else 100

    def floor_exact_d():  # the Bartlett factor's draws: d normals for the mean, d(d-1)/2 normals, d chi-squares
        rng = np.random.default_rng(0)
        for _ in range(Gx):
            rng.standard_normal((Rx, d))
            rng.standard_normal((Rx, d * (d - 1) // 2))
            rng.chisquare(M - 1 - np.arange(d), size=(Rx, d))

    cases.append(Case(f"gaussian.simulate(method='exact'), d = {d}, {Rx:,} replicates x {Gx} generations",
                      lambda: gaussian.simulate(np.zeros(d), np.eye(d), M, Gx, replicates=Rx, rng=0),
                      None, floor_exact_d, floor_limit=None,
                      floor_label="the Bartlett draws (the matrix products are the rest)"))
    return cases


def language_cases(quick: bool) -> list[Case]:
    from collections import Counter

    from collapse_lib import language as lm
    from collapse_lib.data import python_reference_paragraphs
    from collapse_lib.language.kneser_ney import _keys, _pad

    paragraphs = python_reference_paragraphs()
    tokens = [t for i, p in enumerate(paragraphs) if i % 10 != 9 for t in lm.tokenize(p)]
    vocab = lm.build_vocabulary(tokens)
    blocks = lm.cut_blocks(vocab.encode(tokens), 64)
    if quick:  # the dense-row reference beam search takes 20 s a call on all 701 blocks
        blocks = blocks[:300]
    test = lm.cut_blocks(vocab.encode([t for i, p in enumerate(paragraphs) if i % 10 == 9 for t in lm.tokenize(p)]), 64)
    V, B = len(vocab), blocks.shape[0]
    model = lm.train(blocks, V)
    length = 16 if quick else 64
    one = blocks[:1]
    cases = []

    def naive_train():  # the reader's counts: a Counter of trigrams (not even smoothed yet)
        padded = _pad(blocks, 3).tolist()
        return Counter(tuple(row[i : i + 3]) for row in padded for i in range(len(row) - 2))

    def floor_train():  # the sort at the heart of counting
        windows = np.lib.stride_tricks.sliding_window_view(_pad(blocks, 3), 3, axis=1).reshape(-1, 3)
        return np.unique(_keys(windows, V), return_counts=True)

    cases.append(Case(f"language.train, trigram, {blocks.size:,} tokens, V = {V:,}",
                      lambda: lm.train(blocks, V), naive_train, floor_train, floor_limit=None,
                      naive_label="collections.Counter of trigrams", floor_label="numpy.unique of the trigram keys"))

    def naive_perplexity():  # dense next-token rows at every position of the test text
        windows = np.lib.stride_tricks.sliding_window_view(_pad(test, 3), 3, axis=1).reshape(-1, 3)
        probs = lm.next_token_probabilities(model, windows[:, :2])
        return np.exp(-np.log(probs[np.arange(len(windows)), windows[:, 2]]).mean())

    cases.append(Case(f"language.corpus_perplexity, {test.size:,} test tokens",
                      lambda: lm.corpus_perplexity(model, test), naive_perplexity, None,
                      naive_label="dense next-token rows at every position", floor_label=""))

    def dense_step(context, rng, temperature):
        probs = lm.next_token_probabilities(model, context)
        if temperature != 1.0:
            probs = probs ** (1 / temperature)
        cdf = np.cumsum(probs, axis=1)
        return (cdf <= rng.random(len(context))[:, None] * cdf[:, -1:]).sum(axis=1)

    def naive_sampling(temperature):
        rng, context, out = np.random.default_rng(0), blocks[:, -2:], []
        for _ in range(length):
            out.append(dense_step(context, rng, temperature))
            context = np.column_stack([context[:, 1], out[-1]])
        return np.column_stack(out)

    def naive_beam():  # dense rows for every beam, the best five extensions by argpartition
        width, scores, context = 5, np.zeros((B, 1)), blocks[:, None, -2:]
        for _ in range(length):
            beams = scores.shape[1]
            with np.errstate(divide="ignore"):  # the <s> column is 0
                logp = np.log(lm.next_token_probabilities(model, context.reshape(-1, 2))).reshape(B, beams * V)
            total = (scores[:, :, None] + logp.reshape(B, beams, V)).reshape(B, beams * V)
            best = np.argpartition(-total, width, axis=1)[:, :width]
            scores = np.take_along_axis(total, best, axis=1)
            src, tok = best // V, best % V
            context = np.concatenate([np.take_along_axis(context, src[:, :, None], axis=1), tok[:, :, None]], 2)[..., 1:]
        return scores

    # The per-step overhead: the same calls on one prompt take (nearly) only the fixed cost of a
    # step. The floor of the whole batch is the batch's time minus that fixed cost.
    decoders = [
        ("language.sample, T = 1", lambda prompts: lm.sample(model, prompts, length, rng=0), lambda: naive_sampling(1.0)),
        ("language.sample, T = 0.7", lambda prompts: lm.sample(model, prompts, length, temperature=0.7, rng=0),
         lambda: naive_sampling(0.7)),
        ("language.beam_search, width 5", lambda prompts: lm.beam_search(model, prompts, length, beam_width=5),
         naive_beam),
    ]
    for name, decode, naive in decoders:
        cases.append(Case(f"{name}: {B} prompts x {length} tokens", lambda decode=decode: decode(blocks), naive,
                          fixed=lambda decode=decode: decode(one), naive_label="dense next-token rows"))
    return cases


def import_row() -> dict:
    """Seconds to import the computational modules in a fresh interpreter, against numpy alone."""
    code = ("import time; s = time.perf_counter(); import {}; "
            "print(time.perf_counter() - s); import sys; print(int('scipy.stats' in sys.modules))")

    def measure(modules: str) -> tuple[float, bool]:
        seconds = []
        for _ in range(5):
            out = subprocess.run([sys.executable, "-c", code.format(modules)], capture_output=True, text=True,
                                 check=True).stdout.split()
            seconds.append(float(out[0]))
        return statistics.median(seconds), out[1] == "1"

    library, stats_loaded = measure("collapse_lib.discrete, collapse_lib.gaussian, collapse_lib.language, "
                                    "collapse_lib.loops, collapse_lib.schemes")
    numpy_alone, _ = measure("numpy")
    return {"case": "import discrete, gaussian, language, loops, schemes", "library_s": library,
            "floor_s": numpy_alone, "floor": "import numpy", "floor_ratio": library / numpy_alone,
            "floor_limit": None, "scipy_stats_loaded": stats_loaded, "rounds": 5, "naive": ""}


def all_cases(quick: bool) -> list[Case]:
    return discrete_cases(quick) + gaussian_cases(quick) + language_cases(quick)


def measure(quick: bool = False, rounds: int | None = None, only: str | None = None) -> list[dict]:
    rounds = rounds or (5 if quick else 9)
    rows = []
    for case in all_cases(quick):
        if only and only not in case.name:
            continue
        rows.append(run_case(case, rounds))
        print(_format(rows[-1]), flush=True)
    if not only or only in "import":
        rows.append(import_row())
        print(_format(rows[-1]), flush=True)
    return rows


def _format(row: dict) -> str:
    parts = [f"{row['case']}: {row['library_s'] * 1000:.1f} ms"]
    if "naive_ratio" in row:
        parts.append(f"naive ({row['naive']}) {row['naive_s'] * 1000:.1f} ms, library/naive {row['naive_ratio']:.2f}")
    if "overhead_share" in row:
        parts.append(f"per-step overhead {row['overhead_share']:.0%} of the call (limit {row['overhead_limit']:.0%})")
    elif "floor_ratio" in row:
        limit = f" (limit {row['floor_limit']})" if row.get("floor_limit") else ""
        parts.append(f"floor ({row['floor']}) {row['floor_s'] * 1000:.1f} ms, library/floor {row['floor_ratio']:.2f}"
                     + limit)
    if "scipy_stats_loaded" in row:
        parts.append("scipy.stats " + ("imported" if row["scipy_stats_loaded"] else "not imported"))
    return "; ".join(parts)


def failures(rows: list[dict], tolerance: float = 1.0) -> list[str]:
    """The budgets the rows exceed, each limit multiplied by ``tolerance`` (>= 1 allows for timing noise)."""
    out = []
    for row in rows:
        if row.get("naive_ratio", 0) > tolerance * row.get("naive_limit", np.inf):
            out.append(f"{row['case']}: library/naive {row['naive_ratio']:.2f} > {row['naive_limit']}")
        if row.get("floor_limit") and row.get("floor_ratio", 0) > tolerance * row["floor_limit"]:
            out.append(f"{row['case']}: library/floor {row['floor_ratio']:.2f} > {row['floor_limit']}")
        if row.get("overhead_share", 0) > tolerance * row.get("overhead_limit", np.inf):
            out.append(f"{row['case']}: per-step overhead {row['overhead_share']:.0%} > {row['overhead_limit']:.0%}")
        if row.get("scipy_stats_loaded"):
            out.append(f"{row['case']}: imports scipy.stats")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per case (default 9, or 5 with --quick)")
    parser.add_argument("--only", help="only the cases whose name contains this")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--tolerance", type=float, default=1.0,
                        help="multiply every limit by this, for timing noise (the CI test uses 1.15)")
    args = parser.parse_args(argv)
    rows = measure(args.quick, args.rounds, args.only)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(rows, file, indent=2)
    over = failures(rows, args.tolerance)
    if over:
        print("\nOver budget:\n  " + "\n  ".join(over))
        return 1
    print("\nAll simulator budgets met.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
