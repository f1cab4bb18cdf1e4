"""Bad input for every public function of collapse_lib, one argument at a time, and what happens.

Each :class:`Case` is a public function with arguments that are valid (the call succeeds) and, for
each argument, a *kind* that says what the argument allows. :data:`BAD_VALUES` lists, per kind,
values outside what it allows: wrong types, NaN and infinity, negative, zero or huge sizes,
empty or misshaped arrays, probabilities that do not sum to one. Every bad value is passed in
place of one valid argument, in a child process under a time and memory limit, and the
outcome is sorted into one of :data:`OUTCOMES`:

- ``clear error``: a ``TypeError`` or ``ValueError`` whose message names the argument;
- ``error without the argument's name``: ``TypeError``/``ValueError`` raised by collapse_lib
  that does not say which argument is wrong;
- ``deep traceback``: any other exception, or a ``TypeError``/``ValueError`` raised from inside
  numpy, scipy or Python rather than by collapse_lib;
- ``unnamed MemoryError``: an allocation failure that names no argument;
- ``NaN or inf returned`` and ``silently accepted``: the call returned;
- ``hang``: the call did not return within the time limit (or crashed the process).

Run ``python -m tools.api_fuzz`` for the table of every case; ``tests/library/test_api_fuzz.py``
runs the same cases in the test suite, plus bad values drawn by hypothesis.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import resource
import sys
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

import numpy as np

from collapse_lib import curation, data, discrete, gaussian, laws, loops, metrics, mixtures, montecarlo, schemes
from collapse_lib import language as lm
from collapse_lib.language import decoding, kneser_ney, text
from collapse_lib.validation import MAX_COUNT

#: Seconds a single call may take before it counts as a hang.
TIME_LIMIT = 10.0
#: Address space a call may use; above it an allocation fails with MemoryError instead of swapping.
MEMORY_LIMIT_BYTES = 4 * 2**30

OUTCOMES = (
    "clear error",
    "error without the argument's name",
    "deep traceback",
    "unnamed MemoryError",
    "NaN or inf returned",
    "silently accepted",
    "hang",
)
LIBRARY_ROOT = Path(discrete.__file__).resolve().parent


# --------------------------------------------------------------------------- kinds of argument
@dataclass(frozen=True)
class Kind:
    """What an argument allows, described by the bad values that fall outside it."""

    name: str
    bad: tuple
    generated: Callable | None = None
    """Builds a hypothesis strategy of further bad values (imported lazily: only the tests need it)."""

    def strategy(self):
        """The fixed bad values and, where the kind has them, generated ones."""
        from hypothesis import strategies as st

        fixed = st.sampled_from(self.bad)
        return fixed if self.generated is None else st.one_of(fixed, self.generated())


def _is_whole(x: float) -> bool:
    return math.isfinite(x) and x == round(x)


def _bad_numbers(low: float | None, high: float | None, low_open: bool, high_open: bool):
    """Floats outside an interval (NaN and infinities included), strings, bools and None."""
    from hypothesis import strategies as st

    def outside(x: float) -> bool:
        if not math.isfinite(x):
            return True
        return (low is not None and (x <= low if low_open else x < low)) or (
            high is not None and (x >= high if high_open else x > high))

    floats = st.floats(allow_nan=True, allow_infinity=True).filter(outside)
    return st.one_of(floats, st.text(max_size=3), st.booleans(), st.none(), st.lists(floats, min_size=1, max_size=3))


def _count_bad(minimum: int, maximum: int | None, none_ok: bool, huge_ok: bool = False) -> tuple:
    bad = [minimum - 1, -1, 2.5, "3", True, math.nan, math.inf, [minimum + 1]]
    if not huge_ok:
        bad += [10**30] + ([10**12] if maximum is None or maximum < 10**12 else [])
    bad += [maximum + 1] if maximum is not None else []
    bad += [] if none_ok else [None]
    unique = {(type(v), repr(v)): v for v in bad}  # in order, without repeats (-1 may equal minimum - 1)
    return tuple(unique.values())


def count(minimum: int, maximum: int | None = None, *, none_ok: bool = False, huge_ok: bool = False) -> Kind:
    """An integer in [minimum, maximum]. Without a maximum, huge values (10**12, 10**30) must still
    be refused, by a cap or a memory estimate, since they would exhaust memory or never finish;
    ``huge_ok`` marks the counts for which a huge value is harmless (a beam wider than the
    vocabulary, a Bonferroni correction over 10**30 comparisons)."""
    def generated():
        from hypothesis import strategies as st

        too_large = [] if huge_ok and maximum is None else [st.integers(min_value=(maximum or 10**11) + 1)]
        return st.one_of(st.integers(max_value=minimum - 1), *too_large, st.booleans(), st.text(max_size=3),
                         st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not _is_whole(x)),
                         *([] if none_ok else [st.none()]))

    return Kind(f"count >= {minimum}" + (f", <= {maximum}" if maximum else ""),
                _count_bad(minimum, maximum, none_ok, huge_ok), generated)


def sample_sizes(minimum: int, length: int, maximum: int = MAX_COUNT) -> Kind:
    """One count in [minimum, maximum], or a list of ``length`` of them (one per generation)."""
    one = count(minimum, maximum)
    good = [minimum + 1] * length
    wrong_entries = [minimum - 1, 2.5, "3", math.nan, math.inf, None, maximum + 1, True]
    return Kind(f"{one.name}, or a list of {length} of them", one.bad + tuple(
        [*good[:-1], bad] for bad in wrong_entries) + (good[:-1], [*good, minimum + 1], [good], []), one.generated)


def counts(minimum: int) -> Kind:
    """Whole numbers in [minimum, MAX_COUNT = 2**53], as a number or an array (the closed forms broadcast over them)."""
    def generated():
        from hypothesis import strategies as st

        bad_number = st.one_of(st.integers(max_value=minimum - 1), st.integers(min_value=MAX_COUNT + 1),
                               st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not _is_whole(x)))
        good_number = st.integers(minimum, 10**6)
        return st.one_of(bad_number, st.lists(st.one_of(good_number, bad_number), min_size=1, max_size=4).filter(
            lambda xs: any(not _is_whole(x) or not minimum <= x <= MAX_COUNT for x in xs)), st.text(max_size=3), st.booleans())

    return Kind(f"whole numbers in [{minimum}, 2**53]", (
        minimum - 1, [minimum, minimum - 1], 2.5, "3", True, math.nan, math.inf, None, 10**30, MAX_COUNT + 1,
        [[2], [3, 4]],
    ), generated)


def reals(low: float, high: float, *, low_open=False) -> Kind:
    """Finite numbers in an interval, as a number or an array."""
    return Kind(f"numbers in {low}..{high}", (
        math.nan, math.inf, -math.inf, "1", True, None, [low, math.nan], low - 1.0, high + max(1e-9, high * 1e-6),
        *([low] if low_open else []),
    ), lambda: _bad_numbers(low, high, low_open, False))


def real(low: float | None = None, high: float | None = None, *, low_open=False, high_open=False) -> Kind:
    bad = [math.nan, math.inf, -math.inf, "1", True, [0.5], None]
    if low is not None:
        bad += [low] if low_open else []
        bad += [low - 1.0, low - 1e-9]
    if high is not None:
        bad += [high] if high_open else []
        bad += [high + 1.0, high + 1e-9]
    return Kind(f"real in {low}..{high}", tuple(bad), lambda: _bad_numbers(low, high, low_open, high_open))


FINITE_NUMBERS = Kind("finite numbers", (math.nan, math.inf, -math.inf, "1", True, None, [1.0, math.nan], [[1.0], [1.0, 2.0]]))


def _not_distributions(ndim: int):
    """Float arrays whose last axis is not a probability vector: off by a little or a lot."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def valid(p: np.ndarray) -> bool:
        with np.errstate(over="ignore", invalid="ignore"):  # sums of huge floats overflow: not valid anyway
            return bool(p.size and np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(np.abs(p.sum(-1) - 1) <= 1e-9))

    shapes = hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=6)
    any_floats = hnp.arrays(np.float64, shapes, elements=st.floats(allow_nan=True, allow_infinity=True, width=64))

    @st.composite
    def nearly_normalised(draw):  # a distribution scaled by 1 + e, e at least 1e-8
        weights = draw(hnp.arrays(np.float64, shapes, elements=st.floats(0.01, 1.0)))
        error = draw(st.floats(1e-8, 0.5)) * draw(st.sampled_from([-1, 1]))
        return weights / weights.sum(-1, keepdims=True) * (1 + error)

    return st.one_of(any_floats, nearly_normalised()).filter(lambda p: not valid(p))


PROBS_1D = Kind("probability vector", (
    [], [2.0], [0.5, 0.6], [math.nan, 1.0], [math.inf, 0.0], [-0.5, 1.5], "ab", None, 0.5,
    [[0.5, 0.5]], [0.3, 0.3], np.full(10**6, 1.0009e-6),
), lambda: _not_distributions(1))
PROBS_ND = Kind("probability vectors (last axis)", (
    [], [2.0], [0.5, 0.6], [math.nan, 1.0], [math.inf, 0.0], [-0.5, 1.5], "ab", None, 0.5,
    [[0.5, 0.6]], np.zeros((2, 0)), np.full(10**6, 1.0009e-6),
), lambda: _not_distributions(2))
RNG = Kind("random generator or seed", (-1, "seed", 1.5, [1, 2], object(), np.random.RandomState(0)))
BOOL = Kind("bool", ("yes", 1.5, None, [True]))
# The Gaussian laws take a real sample size M >= 2 (they are analytic in M).
SAMPLE_SIZES = reals(2, float(MAX_COUNT))
CALLABLE = Kind("callable", (3, "f", None))
STRING = Kind("str", (3, None, b"bytes", ["a"]))
MAPPING = Kind("mapping", (3, "x", None, [("a", 1)]))


def choice(*options: str) -> Kind:
    return Kind(f"one of {options}", ("nope", "", 3, None, options[0].upper() + "x"))


def vector(d: int) -> Kind:
    """A finite float vector of length d (a mean)."""
    return Kind(f"finite vector of length {d}", (
        [math.nan] * d, [math.inf] * d, [0.0] * (d + 1), np.zeros((d, d)), "ab", None, [],
    ))


def covariance(d: int) -> Kind:
    """A symmetric positive definite d x d matrix."""
    indefinite = np.eye(d)
    indefinite[0, 0] = -1.0
    asymmetric = np.eye(d)
    asymmetric[0, -1] = 0.5 if d > 1 else 0.0
    bad = [-np.eye(d), indefinite, np.full((d, d), math.nan), np.zeros((d + 1, d + 1)), np.zeros((d, d + 1)),
           "ab", None, np.zeros((d, d))]
    bad += [asymmetric] if d > 1 else []
    return Kind(f"SPD {d}x{d} matrix", tuple(bad))


#: Means and covariances where leading batch axes are allowed and covariances may be singular.
MEAN_BATCHABLE = Kind("finite vectors of length 2", ([math.nan] * 2, [math.inf] * 2, [0.0] * 3, "ab", None, []))
PSD_BATCHABLE = Kind("symmetric PSD 2x2 matrices", (
    -np.eye(2), np.diag([1.0, -1.0]), np.array([[1.0, 0.5], [0.0, 1.0]]), np.full((2, 2), math.nan),
    np.zeros((3, 3)), np.zeros((2, 3)), "ab", None,
))


def float_array(shape_name: str, misshaped: tuple) -> Kind:
    """A finite float array; ``misshaped`` are arrays of a wrong shape."""
    return Kind(f"finite array {shape_name}", (
        [math.nan], [math.inf], np.array([[1.0, math.nan]]), "ab", None, [], [[1.0], [2.0, 3.0]], *misshaped,
    ))


def blocks(vocab_size: int) -> Kind:
    """Token ids 0..vocab_size-1 without the begin-of-block id, as (blocks, tokens)."""
    return Kind(f"token blocks, ids < {vocab_size}", (
        [], [[]], [[-1, 2, 3]], [[2.5, 3.0, 2.0]], [[2, 1, 3]], [[vocab_size, 2, 3]], [[math.nan, 2, 3]],
        np.zeros((1, 2, 3), dtype=int), "some text", None, [[2, 3], [2]],
    ), lambda: _bad_blocks(vocab_size))


def _bad_blocks(vocab_size: int):
    """Integer blocks holding at least one id that is negative, too large or the begin-of-block id."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6)
    ids = hnp.arrays(np.int64, shapes, elements=st.integers(-3, vocab_size + 3))
    return ids.filter(lambda b: bool(np.any((b < 0) | (b >= vocab_size) | (b == text.BOS))))


MODEL_BAD = Kind("NGramModel", ("model", None, 3, np.zeros((3, 3))))
TOKEN_IDS_BAD = Kind("1-D token ids >= 0", ([-1], [2.5], [[2, 3]], "ab", None, [math.nan]))
FAMILY_BAD = Kind("ModelFamily", ("gaussian", None, 3))
def _normal_sampler(n, rng):
    return rng.standard_normal((1, n, 1))


SCHEME_BAD = Kind("Scheme or its name", ("nope", 3, None, "fresh", schemes.Scheme()))
#: Schemes whose parameters are fine alone but too large for the loop they are given to.
LOOP_SCHEME_BAD = Kind("Scheme or its name, fitting the loop", SCHEME_BAD.bad + (
    schemes.Fresh(10**12, _normal_sampler),
))
TOKENS_BAD = Kind("non-empty sequence of str", ([], [1, 2, 3], None, 3, [["a"]], [None]))
VOCAB_TOKENS_BAD = Kind("tuple of str starting with <unk>, <s>", (
    ("a", "b"), (), ("<unk>", "<s>", "a", "a"), ("<unk>", "<s>", 3), "abc", None, 3,
))
TEXT_BAD = Kind("str", (3, None, b"bytes", ["a"]))
COMPARISONS_BAD = Kind("mapping name -> (estimate, se, theory)", (
    {}, 3, None, {"a": (1.0, 0.1)}, {"a": (1.0, math.nan, 1.0)}, {"a": (1.0, -0.1, 1.0)},
    {"a": (math.nan, 0.1, 1.0)}, {"a": ("x", 0.1, 1.0)}, {3: (1.0, 0.1, 1.0)},
))
STRENGTH = Kind("real >= 0 or inf", (math.nan, -math.inf, -1.0, -1e-9, "1", True, [0.5], None))
TOPICS_BAD = Kind("dict of topic name to text", (3, None, ["lambda"], {"a": 3}, {1: "x"}))


# --------------------------------------------------------------------------- valid arguments
def _tiny_language():
    blocks_ = np.array([[2, 3, 4, 2, 3, 5], [4, 3, 2, 2, 3, 5], [5, 4, 3, 2, 2, 4]])
    return blocks_, kneser_ney.train(blocks_, 6, n=3)


TINY_BLOCKS, TINY_MODEL = _tiny_language()
TINY_VOCAB = text.Vocabulary(("<unk>", "<s>", "a", "b", "c", "d"))
WF4 = discrete.wright_fisher_matrix(4)


@dataclass(frozen=True)
class Case:
    """A public function, arguments with which it succeeds, and the kind of each argument fuzzed."""

    name: str
    function: Callable
    valid: dict
    kinds: dict
    aliases: dict = field(default_factory=dict)  # argument -> other words its message may use

    def call(self, **override):
        return self.function(**{**self.valid, **override})


def _matrix_kind() -> Kind:
    no_absorbing = np.array([[0.5, 0.5], [0.5, 0.5]])
    return Kind("row-stochastic square matrix with an absorbing state", (
        np.zeros((2, 3)), np.array([[0.5, 0.6], [0.0, 1.0]]), np.array([[1.5, -0.5], [0.0, 1.0]]),
        np.array([[math.nan, 1.0], [0.0, 1.0]]), no_absorbing, "ab", None, np.zeros((0, 0)), np.zeros((2, 2, 2)),
    ))


MIXTURE_KINDS = dict(
    weights=PROBS_1D,
    means=Kind("finite vector of length 2", ([math.nan, 0.0], [0.0], "ab", None, [0.0, math.inf])),
    sds=Kind("positive vector of length 2", ([1.0, 0.0], [1.0, -1.0], [1.0], "ab", None, [1.0, math.nan])),
)
POINTS_BAD = Kind("finite points (n, d)", (np.zeros((3, 2)), np.zeros(10), np.full((10, 2), math.nan), "ab", None,
                                          np.zeros((10, 3))))
FEATURES_BAD = Kind("finite points (n, d), n >= 2", (np.zeros((1, 2)), np.zeros(10), np.full((10, 2), math.nan), "ab",
                                                     None, np.zeros((10, 3))))
SAMPLE_1D_BAD = Kind("finite 1-D sample, n >= 2", ([1.0], [], [1.0, math.nan], np.zeros((2, 2)), "ab", None))
PIXEL_RANGE_BAD = Kind("(low, high) with low < high", ((1.0, 0.0), (0.0, math.nan), ("a", "b"), (0.0, math.inf)))
IMAGE_SCHEME_BAD = Kind("replace, keep-real or accumulate", ("nope", 3, None, "augment", "accumulate-subsample"))

CASES: tuple[Case, ...] = (
    # discrete
    Case("discrete.resample", discrete.resample,
         dict(p=[0.5, 0.3, 0.2], M=10, generations=3, replicates=2, rng=0),
         dict(p=PROBS_1D, M=count(1, MAX_COUNT), generations=count(0), replicates=count(1, none_ok=True), rng=RNG)),
    Case("discrete.iter_resample", discrete.iter_resample,
         dict(p=[0.5, 0.3, 0.2], M=10, generations=3, replicates=2, rng=0),
         dict(p=PROBS_1D, M=count(1, MAX_COUNT), generations=count(0), replicates=count(1, none_ok=True), rng=RNG)),
    Case("discrete.simulate_absorption", discrete.simulate_absorption,
         dict(p=[0.5, 0.5], M=10, replicates=3, rng=0),
         dict(p=PROBS_1D, M=count(1, MAX_COUNT), replicates=count(1), max_generations=count(0), rng=RNG)),
    Case("discrete.wright_fisher_matrix", discrete.wright_fisher_matrix, dict(M=5, exact=False),
         dict(M=count(1), exact=BOOL)),
    Case("discrete.absorption", discrete.absorption, dict(P=WF4), dict(P=_matrix_kind())),
    # gaussian
    Case("gaussian.simulate", gaussian.simulate,
         dict(mean=[0.0, 0.0], cov=np.eye(2), M=5, generations=3, replicates=2, sampling_bias=1.0, method="exact", rng=0),
         dict(mean=vector(2), cov=covariance(2), M=sample_sizes(3, 3), generations=count(0), replicates=count(1),
              sampling_bias=real(0, 1, low_open=True), method=choice("exact", "samples"), rng=RNG)),
    Case("gaussian.simulate(samples)", gaussian.simulate,
         dict(mean=[0.0], cov=[[1.0]], M=5, generations=3, replicates=2, method="samples", rng=0),
         dict(M=count(2), generations=count(0), replicates=count(1))),
    Case("gaussian.wasserstein2", gaussian.wasserstein2,
         dict(mean1=[0.0, 0.0], cov1=np.eye(2), mean2=[1.0, 0.0], cov2=2 * np.eye(2)),
         dict(mean1=MEAN_BATCHABLE, cov1=PSD_BATCHABLE, mean2=MEAN_BATCHABLE, cov2=PSD_BATCHABLE)),
    Case("gaussian.psd_sqrt", gaussian.psd_sqrt, dict(matrices=np.eye(2)),
         dict(matrices=Kind("symmetric PSD matrices", (np.full((2, 2), math.nan), np.zeros((2, 3)), "ab", None,
                                                         np.array([[1.0, 2.0], [0.0, 1.0]]), -np.eye(2), 3.0)))),
    Case("gaussian.bartlett_factor", gaussian.bartlett_factor, dict(rng=0, R=2, d=2, k=4),
         dict(rng=RNG, R=count(1), d=count(1), k=count(2, MAX_COUNT))),
    # schemes
    Case("schemes.KeepReal", schemes.KeepReal, dict(fraction=0.1), dict(fraction=real(0, 1))),
    Case("schemes.Fresh", schemes.Fresh, dict(real_size=5, sampler=_normal_sampler),
         dict(real_size=count(1, huge_ok=True), sampler=CALLABLE)),
    Case("schemes.AccumulateSubsample", schemes.AccumulateSubsample, dict(budget=10),
         dict(budget=count(1, none_ok=True, huge_ok=True))),
    Case("schemes.as_scheme", schemes.as_scheme, dict(scheme="replace"), dict(scheme=SCHEME_BAD)),
    # loops
    Case("loops.run_loop", loops.run_loop,
         dict(family=loops.gaussian_family(), real_data=np.arange(10.0).reshape(10, 1), scheme="replace",
              generations=3, synthetic_size=10, replicates=2, exact=True, rng=0),
         dict(family=FAMILY_BAD, real_data=float_array("(N, 1)", (np.zeros((3, 10, 1)), np.zeros((0, 1)))),
              scheme=LOOP_SCHEME_BAD, generations=count(0), synthetic_size=count(1), replicates=count(1),
              exact=BOOL, rng=RNG),
         aliases=dict(scheme=("Fresh.", "KeepReal."))),
    Case("loops.run_loop(accumulate-subsample)", loops.run_loop,
         dict(family=loops.gaussian_family(), real_data=np.arange(10.0).reshape(10, 1),
              scheme="accumulate-subsample", generations=3, synthetic_size=10, rng=0),
         dict(generations=count(0), synthetic_size=count(1))),
    Case("loops.gaussian_family", loops.gaussian_family, dict(sampling_bias=1.0),
         dict(sampling_bias=real(0, 1, low_open=True))),
    Case("loops.categorical_family", loops.categorical_family, dict(K=3), dict(K=count(1))),
    Case("loops.linear_regression_family", loops.linear_regression_family,
         dict(design=np.column_stack([np.ones(5), np.arange(5.0)]), noise_sd=1.0),
         dict(design=float_array("(n, p)", (np.ones(5), np.ones((2, 5, 2)))), noise_sd=real(0))),
    # metrics
    *(Case(f"metrics.{f.__name__}", f, dict(p=[0.5, 0.5], q=[0.2, 0.8]), dict(p=PROBS_ND, q=PROBS_ND))
      for f in (metrics.total_variation, metrics.hellinger)),
    *(Case(f"metrics.{f.__name__}", f, dict(p=[0.5, 0.5]), dict(p=PROBS_ND))
      for f in (metrics.heterozygosity, metrics.support_size)),
    Case("metrics.lost_mass", metrics.lost_mass, dict(p=[1.0, 0.0], original=[0.5, 0.5]),
         dict(p=PROBS_ND, original=PROBS_ND)),
    Case("metrics.distinct_ngram_ratio", metrics.distinct_ngram_ratio, dict(blocks=TINY_BLOCKS, k=3),
         dict(blocks=Kind("integer blocks", ([], [[]], "text", None, [[1.5, 2.0, 3.0]], np.zeros((1, 2, 3)),
                                              [[math.nan, 1, 2]])), k=count(1))),
    # montecarlo
    Case("montecarlo.mean_and_se", montecarlo.mean_and_se, dict(samples=[1.0, 2.0, 4.0], axis=-1),
         dict(samples=Kind("finite samples, >= 2 along axis", (0.0, [1.0], [], [1.0, math.nan], [1.0, math.inf],
                                                                 "ab", None)),
              axis=Kind("axis", (1, -2, 0.5, "0", None)))),
    Case("montecarlo.z_scores", montecarlo.z_scores, dict(estimate=1.0, se=0.1, theory=1.0),
         dict(estimate=FINITE_NUMBERS, se=Kind("standard error >= 0", (-0.1, math.nan, math.inf, "x", None)),
              theory=FINITE_NUMBERS)),
    Case("montecarlo.z_threshold", montecarlo.z_threshold, dict(comparisons=3, false_alarm=0.001),
         dict(comparisons=count(1, huge_ok=True), false_alarm=real(0, 1, low_open=True, high_open=True))),
    *(Case(f"montecarlo.{f.__name__}", f,
           dict(comparisons={"a": (1.0, 0.1, 1.0 if f is not montecarlo.check_disagreement else 3.0)},
                false_alarm=0.001, **({} if f is montecarlo.compare else {"quiet": True})),
           dict(comparisons=COMPARISONS_BAD, false_alarm=real(0, 1, low_open=True, high_open=True),
                **({} if f is montecarlo.compare else {"quiet": BOOL})))
      for f in (montecarlo.compare, montecarlo.check_agreement, montecarlo.check_disagreement)),
    Case("montecarlo.check_larger", montecarlo.check_larger,
         dict(comparisons={"a": (1.0, 0.1, 0.0)}, false_alarm=0.001, quiet=True),
         dict(comparisons=COMPARISONS_BAD, false_alarm=real(0, 1, low_open=True, high_open=True), quiet=BOOL)),
    # laws
    Case("laws.probability_lost", laws.probability_lost, dict(p=[0.5, 0.5], M=10),
         dict(p=reals(0, 1), M=counts(0))),
    Case("laws.expected_heterozygosity", laws.expected_heterozygosity, dict(H0=0.5, M=10, t=3),
         dict(H0=reals(0, 1), M=counts(1), t=counts(0))),
    Case("laws.heterozygosity_half_life", laws.heterozygosity_half_life, dict(M=10), dict(M=counts(2))),
    Case("laws.expected_support", laws.expected_support, dict(p=[0.5, 0.3, 0.2], M=10, generations=3),
         dict(p=PROBS_1D, M=count(1), generations=count(0))),
    Case("laws.gaussian_sd_factor", laws.gaussian_sd_factor, dict(M=10), dict(M=SAMPLE_SIZES)),
    Case("laws.gaussian_log_sd_factor", laws.gaussian_log_sd_factor, dict(M=10), dict(M=SAMPLE_SIZES)),
    Case("laws.gaussian_expected_sd", laws.gaussian_expected_sd, dict(t=3, M=10, sampling_bias=1.0),
         dict(t=counts(0), M=SAMPLE_SIZES, sampling_bias=reals(0, 1, low_open=True))),
    Case("laws.gaussian_expected_w2_squared", laws.gaussian_expected_w2_squared, dict(t=3, M=10),
         dict(t=counts(0), M=SAMPLE_SIZES)),
    Case("laws.gaussian_log_variance_drift", laws.gaussian_log_variance_drift, dict(M=10, d=1),
         dict(M=SAMPLE_SIZES, d=count(1))),
    Case("laws.gaussian_log_variance_step_variance", laws.gaussian_log_variance_step_variance, dict(M=10),
         dict(M=SAMPLE_SIZES)),
    Case("laws.regression_error_replace", laws.regression_error_replace, dict(t=3), dict(t=counts(0))),
    Case("laws.regression_error_accumulate", laws.regression_error_accumulate, dict(t=3), dict(t=counts(0))),
    Case("laws.mixture_best_gaussian", laws.mixture_best_gaussian,
         dict(weights=[0.7, 0.3], means=[-2.0, 2.0], sds=[1.0, 1.0]), MIXTURE_KINDS),
    Case("laws.mixture_quantile_overlap", laws.mixture_quantile_overlap,
         dict(weights=[0.7, 0.3], means=[-2.0, 2.0], sds=[1.0, 1.0]), MIXTURE_KINDS),
    Case("laws.mixture_best_gaussian_w2", laws.mixture_best_gaussian_w2,
         dict(weights=[0.7, 0.3], means=[-2.0, 2.0], sds=[1.0, 1.0]), MIXTURE_KINDS),
    Case("laws.kde_variance_factor", laws.kde_variance_factor, dict(n=50, rule="silverman"),
         dict(n=counts(2), rule=choice("silverman", "scott"))),
    Case("laws.kde_expected_variance", laws.kde_expected_variance,
         dict(t=3, n=50, initial_variance=1.0, bandwidth=0.3),
         dict(t=counts(0), n=counts(2), initial_variance=reals(0, math.inf),
              bandwidth=Kind("kernel sd > 0 or a rule", (0.0, -1.0, math.nan, "wide", None)))),
    Case("laws.kept_normal_moments", laws.kept_normal_moments, dict(rule="above", value=1.0),
         dict(rule=choice(*curation.GAUSSIAN_FILTERS), value=real(-8, 8))),
    Case("laws.kept_normal_moments(best of k)", laws.kept_normal_moments, dict(rule="best_of_k", value=3),
         dict(value=count(1, curation.MAX_CANDIDATES))),
    *(Case(f"laws.{f.__name__}", f, dict(verifier_accuracy=[0.5, 0.9], signal=1.5, generator_angle=1.0),
           dict(verifier_accuracy=reals(0, 1), signal=real(0, 50, low_open=True),
                generator_angle=real(0, math.pi / 2, high_open=True)))
      for f in (laws.verified_synthetic_direction, laws.verified_limit_error)),
    Case("laws.watermark_green_rate", laws.watermark_green_rate, dict(gamma=0.25, delta=2.0, green_mass=[0.1, 0.5]),
         dict(gamma=Kind("numbers in (0, 1)", (0.0, 1.0, math.nan, "a", None, [0.5, 1.5])), delta=reals(0, math.inf),
              green_mass=Kind("numbers in 0..1", (math.nan, "a", [0.5, 1.5], -0.1, True)))),
    Case("laws.watermark_power", laws.watermark_power, dict(T=[50, 200], green_rate=0.6, gamma=0.25, threshold=4.0),
         dict(T=counts(1), green_rate=reals(0, 1), gamma=Kind("numbers in (0, 1)", (0.0, 1.0, math.nan, "a", None)),
              threshold=FINITE_NUMBERS)),
    # metrics of samples
    Case("metrics.knn_precision_recall", metrics.knn_precision_recall,
         dict(real=np.arange(20.0).reshape(10, 2), generated=np.arange(20.0).reshape(10, 2) + 0.5, k=3),
         dict(real=POINTS_BAD, generated=POINTS_BAD, k=count(1))),
    Case("metrics.frechet_distance", metrics.frechet_distance,
         dict(features1=np.arange(20.0).reshape(10, 2) ** 0.5, features2=np.arange(20.0).reshape(10, 2)),
         dict(features1=FEATURES_BAD, features2=FEATURES_BAD)),
    # mixtures
    Case("mixtures.sample_mixture", mixtures.sample_mixture,
         dict(weights=[0.7, 0.3], means=[-2.0, 2.0], sds=[1.0, 1.0], size=5, rng=0),
         dict(**MIXTURE_KINDS, size=count(1), rng=RNG)),
    Case("mixtures.kde_bandwidth", mixtures.kde_bandwidth, dict(data=[0.0, 1.0, 3.0], rule="silverman"),
         dict(data=SAMPLE_1D_BAD, rule=choice("silverman", "scott"))),
    Case("mixtures.kde_loop", mixtures.kde_loop,
         dict(data=[0.0, 1.0, 3.0], generations=3, bandwidth="silverman", replicates=2, return_ancestors=False,
              rng=0),
         dict(data=SAMPLE_1D_BAD, generations=count(0), replicates=count(1, none_ok=True),
              bandwidth=Kind("kernel sd > 0 or a rule", (0.0, -1.0, math.nan, math.inf, "wide", None, [0.3])),
              return_ancestors=BOOL, rng=RNG)),
    Case("mixtures.gmm_loop", mixtures.gmm_loop,
         dict(data=[-6.0, -5.0, 5.0, 6.0, 7.0], n_components=2, generations=2, fit="scratch", max_iter=100,
              tol=1e-3, reg_covar=1e-6, replicates=2, stop_when_lost=False, scheme="replace", rng=0),
         dict(data=float_array("(M,) or (M, d)", (np.zeros((2, 2, 2)), [1.0, 2.0, 3.0])), n_components=count(1),
              generations=count(0, mixtures.MAX_FIT_GENERATIONS), fit=choice("scratch", "previous", "labels"),
              max_iter=count(1, mixtures.MAX_EM_ITERATIONS), tol=real(0, low_open=True),
              reg_covar=real(0, low_open=True),
              replicates=count(1, none_ok=True), stop_when_lost=BOOL, scheme=IMAGE_SCHEME_BAD, rng=RNG),
         aliases=dict(scheme=("KeepReal.",))),
    Case("mixtures.pca_gmm_model", mixtures.pca_gmm_model,
         dict(n_pca=2, n_components=2, warm_start=False, tol=1e-3, pixel_range=(0.0, 16.0)),
         dict(n_pca=count(1, mixtures.MAX_MODEL_SIZE), n_components=count(1, mixtures.MAX_MODEL_SIZE), warm_start=BOOL,
              tol=real(0, low_open=True),
              pixel_range=PIXEL_RANGE_BAD)),
    Case("mixtures.ppca_model", mixtures.ppca_model, dict(n_latent=2, pixel_range=(0.0, 16.0)),
         dict(n_latent=count(1, mixtures.MAX_MODEL_SIZE), pixel_range=PIXEL_RANGE_BAD)),
    Case("mixtures.image_loop", mixtures.image_loop,
         dict(real=np.arange(40.0).reshape(10, 4) % 7, model=mixtures.ppca_model(2), generations=2, scheme="replace",
              rng=0),
         dict(real=float_array("(N, pixels)", (np.zeros(5), np.zeros((1, 4)))),
              model=Kind("ImageModel", ("ppca", None, 3)), generations=count(0, mixtures.MAX_FIT_GENERATIONS),
              scheme=IMAGE_SCHEME_BAD, rng=RNG),
         aliases=dict(scheme=("KeepReal.",))),
    # data
    Case("data.zipf", data.zipf, dict(K=5, exponent=1.0), dict(K=count(1), exponent=real(0))),
    Case("data.english_word_frequencies", data.english_word_frequencies, dict(n_words=50),
         dict(n_words=count(1, 100_000))),
    Case("data.prose_paragraphs", data.prose_paragraphs, dict(topics={"lambda": "lambda"}),
         dict(topics=TOPICS_BAD)),
    Case("data.docstring_paragraphs", data.docstring_paragraphs, dict(doc="Some prose."), dict(doc=STRING)),
    # language models
    Case("language.tokenize", text.tokenize, dict(text="It's small."), dict(text=TEXT_BAD)),
    Case("language.Vocabulary", text.Vocabulary, dict(tokens=("<unk>", "<s>", "a")), dict(tokens=VOCAB_TOKENS_BAD)),
    Case("language.Vocabulary.encode", TINY_VOCAB.encode, dict(tokens=["a", "zz"]),
         dict(tokens=Kind("sequence of str", TOKENS_BAD.bad[1:] + ("abc",)))),
    Case("language.Vocabulary.decode", TINY_VOCAB.decode, dict(ids=[2, 3]),
         dict(ids=Kind("token ids < 6", ([-1], [6], [2.5], "ab", None, [math.nan])))),
    Case("language.build_vocabulary", text.build_vocabulary, dict(tokens=["a", "b", "a"], min_count=1),
         dict(tokens=Kind("non-empty sequence of str", TOKENS_BAD.bad + ("abc",)), min_count=count(1))),
    Case("language.cut_blocks", text.cut_blocks, dict(ids=np.arange(2, 20), length=4, offset=1),
         dict(ids=Kind("1-D integer stream", ([], [2.5] * 8, [math.nan] * 8, np.zeros((2, 8), dtype=int), "text",
                                              None, [-1] * 8)),
              length=count(1), offset=count(0))),
    Case("language.train", kneser_ney.train, dict(blocks=TINY_BLOCKS, vocab_size=6, n=3, discount=0.75),
         dict(blocks=blocks(6), vocab_size=count(3), n=count(1), discount=real(0, 1, low_open=True))),
    *(Case(f"language.{f.__name__}", f, dict(model=TINY_MODEL, blocks=TINY_BLOCKS),
           dict(model=MODEL_BAD, blocks=blocks(6)))
      for f in (kneser_ney.log_probabilities, kneser_ney.perplexity, kneser_ney.corpus_perplexity)),
    Case("language.next_token_probabilities", kneser_ney.next_token_probabilities,
         dict(model=TINY_MODEL, contexts=[[2, 3]]),
         dict(model=MODEL_BAD, contexts=Kind("contexts of n-1 ids", ([], [[2]], [[-1, 2]], [[2.5, 3.0]], [[6, 2]],
                                                                    "ab", None)))),
    Case("language.sample", decoding.sample,
         dict(model=TINY_MODEL, prompts=[[2, 3]], length=5, temperature=1.0, top_k=None, rng=0),
         dict(model=MODEL_BAD, prompts=blocks(6), length=count(1),
              temperature=real(0.01, 100), top_k=count(1, none_ok=True, huge_ok=True), rng=RNG)),
    Case("language.sample(temperature 0.5)", decoding.sample,
         dict(model=TINY_MODEL, prompts=[[2, 3]], length=5, temperature=0.5, rng=0), dict(length=count(1))),
    Case("language.beam_search", decoding.beam_search, dict(model=TINY_MODEL, prompts=[[2, 3]], length=5, beam_width=3),
         dict(model=MODEL_BAD, prompts=blocks(6), length=count(1), beam_width=count(1, huge_ok=True))),
    Case("language.self_consuming_generations", lm.self_consuming_generations,
         dict(real_blocks=TINY_BLOCKS, vocab_size=6, generations=2, scheme="replace", n=3, discount=0.75,
              decoding="beam", beam_width=3, temperature=1.0, top_k=None, rng=0),
         dict(real_blocks=blocks(6), vocab_size=count(3), generations=count(0), scheme=SCHEME_BAD, n=count(1),
              discount=real(0, 1, low_open=True), decoding=choice("beam", "sample"),
              beam_width=count(1, huge_ok=True), temperature=real(0.01, 100), top_k=count(1, none_ok=True, huge_ok=True),
              rng=RNG)),
    Case("language.self_consuming_generations(best of k)", lm.self_consuming_generations,
         dict(real_blocks=TINY_BLOCKS, vocab_size=6, generations=1, decoding="sample", candidates=3, judge=TINY_MODEL,
              rng=0),
         dict(candidates=count(1, 1000),
              judge=Kind("'self' or an NGramModel of the same vocabulary",
                         ("other", None, 3, kneser_ney.train(TINY_BLOCKS, 7, n=2))))),
    Case("language.continuation_log_probability", lm.continuation_log_probability,
         dict(model=TINY_MODEL, prompts=TINY_BLOCKS, continuations=TINY_BLOCKS[:, :4]),
         dict(model=MODEL_BAD, prompts=Kind("(batch, c >= n-1) token ids", blocks(6).bad + (TINY_BLOCKS[:, :1],), lambda: _bad_blocks(6)),
              continuations=Kind("(batch, length) token ids", blocks(6).bad + (TINY_BLOCKS[:2],),
                                 lambda: _bad_blocks(6)))),
    Case("language.adapt", lm.adapt, dict(pretrained=TINY_MODEL, task=TINY_MODEL, strength=2.0),
         dict(pretrained=MODEL_BAD, task=Kind("NGramModel of the same order and vocabulary",
                                              MODEL_BAD.bad + (kneser_ney.train(TINY_BLOCKS, 6, n=2),
                                                               kneser_ney.train(TINY_BLOCKS, 7, n=3))),
              strength=STRENGTH)),
    Case("language.self_consuming_generations(pretrained)", lm.self_consuming_generations,
         dict(real_blocks=TINY_BLOCKS, vocab_size=6, generations=1, pretrained=TINY_MODEL, strength=2.0),
         dict(pretrained=Kind("NGramModel of the loop's order and vocabulary",
                              ("model", 3, np.zeros((3, 3)), kneser_ney.train(TINY_BLOCKS, 6, n=2))),
              strength=STRENGTH, measure=Kind("callable or None", (3, "f", [len])), keep_models=BOOL)),
    Case("language.population_generations", lm.population_generations,
         dict(real_blocks=TINY_BLOCKS, vocab_size=6, generations=1, orders=(2, 3), start="split", reads="others",
              discount=0.75, decoding="beam", beam_width=3, temperature=1.0, top_k=None, pretrained=None,
              strength=2.0, rng=0),
         dict(real_blocks=blocks(6), vocab_size=count(3), generations=count(0),
              orders=Kind("2 to 16 model orders", (3, "33", None, [], [3], [3, 0], [3, 2.5], [3] * 17, [3, 30])),
              start=choice("split", "all"), reads=choice("others", "pool", "self"),
              discount=real(0, 1, low_open=True), decoding=choice("beam", "sample"),
              beam_width=count(1, huge_ok=True), temperature=real(0.01, 100),
              top_k=count(1, none_ok=True, huge_ok=True),
              pretrained=Kind("NGramModel or a dict of one per order",
                              ("model", 3, {3: TINY_MODEL}, {2: TINY_MODEL, 3: TINY_MODEL})),
              strength=STRENGTH, rng=RNG)),
    # curation
    *(Case(f"curation.{f.__name__}", f, dict(p=[0.5, 0.3, 0.2], reward=[0.0, 1.0, 2.0], k=3),
           dict(p=PROBS_1D, reward=Kind("finite rewards, one per category",
                                        ([0.0, 1.0], [math.nan, 0.0, 1.0], [math.inf, 0.0, 0.0], "abc", None)),
                k=count(1, curation.MAX_CANDIDATES)))
      for f in (curation.best_of_k, curation.bradley_terry_update)),
    Case("curation.best_of_k(batch)", curation.best_of_k, dict(p=[[0.5, 0.5], [0.2, 0.8]], reward=[0.0, 1.0], k=2),
         dict(p=PROBS_ND)),
    Case("curation.curation_loop", curation.curation_loop,
         dict(p=[0.5, 0.3, 0.2], reward=[0.0, 1.0, 2.0], k=2, M=10, generations=2, choice="best", real_fraction=0.1,
              replicates=3, method="exact", rng=0),
         dict(p=PROBS_1D, reward=Kind("finite rewards, one per category", ([0.0, 1.0], [math.nan, 0.0, 1.0], "abc",
                                                                           None)),
              k=count(1, curation.MAX_CANDIDATES), M=count(1, huge_ok=True),
              generations=count(0, curation.MAX_CURATED_GENERATIONS), choice=choice("best", "bradley-terry"), real_fraction=real(0, 1), replicates=count(1, none_ok=True),
              method=choice("exact", "samples"), rng=RNG)),
    Case("curation.curation_loop(samples)", curation.curation_loop,
         dict(p=[0.5, 0.3, 0.2], reward=[0.0, 1.0, 2.0], k=2, M=10, generations=2, choice="bradley-terry",
              replicates=3, method="samples", rng=0),
         dict(k=count(1, curation.MAX_CANDIDATES), M=count(1), replicates=count(1, none_ok=True))),
    *(Case(f"curation.curated_gaussian_loop({method}, {rule})", curation.curated_gaussian_loop,
           dict(M=10, generations=2, rule=rule, value=value, mean=0.0, variance=1.0, replicates=3, method=method, rng=0),
           dict(M=count(2), generations=count(0, curation.MAX_CURATED_GENERATIONS), rule=choice(*curation.GAUSSIAN_FILTERS),
                value=value_kind, mean=real(), variance=real(0, low_open=True), replicates=count(1),
                method=choice("exact", "samples"), rng=RNG))
      for method in ("exact", "samples")
      for rule, value, value_kind in (("best_of_k", 3, count(1, curation.MAX_CANDIDATES)), ("above", 1.0, real(-8, 8)),
                                      ("within", 1.0, real(0, 40, low_open=True)))),
    Case("curation.verified_training_error", curation.verified_training_error,
         dict(n_real=5, n_synthetic=20, verifier_accuracy=[0.5, 0.9], signal=1.5, generator_angle=1.0, dim=5,
              replicates=3, rng=0),
         dict(n_real=count(0, huge_ok=True), n_synthetic=count(0),
              verifier_accuracy=Kind("probabilities", ([1.5], -0.1, math.nan, "a", None, [], [[0.5]], [0.5, math.inf])),
              signal=real(0, 50, low_open=True), generator_angle=real(0, math.pi / 2, high_open=True),
              dim=count(2, 10**6), replicates=count(1), rng=RNG)),
    Case("curation.green_mask", curation.green_mask, dict(previous=[2, 3], vocab_size=6, gamma=0.25, key=0),
         dict(previous=TOKEN_IDS_BAD, vocab_size=count(2, huge_ok=True), gamma=real(0, 1, low_open=True, high_open=True),
              key=count(0, 2**63 - 1))),
    Case("curation.watermarked_sample", curation.watermarked_sample,
         dict(model=TINY_MODEL, prompts=[[2, 3]], length=5, gamma=0.25, delta=2.0, key=0, return_green_probability=True,
              rng=0),
         dict(model=MODEL_BAD, prompts=blocks(6), length=count(1), gamma=real(0, 1, low_open=True, high_open=True),
              delta=real(0, 50), key=count(0, 2**63 - 1), return_green_probability=BOOL, rng=RNG)),
    Case("curation.watermark_z", curation.watermark_z, dict(tokens=[[2, 3, 4]], previous=[2], gamma=0.25, key=0),
         dict(tokens=Kind("(batch, T >= 1) token ids", ([[]], [[2.5, 3.0]], [[-1, 2]], "ab", None, [[[2]]])),
              previous=Kind("one token id per text", ([2, 3], [-1], [2.5], "ab", None)),
              gamma=real(0, 1, low_open=True, high_open=True),
              key=Kind("key >= 0 or one per text", (-1, 2.5, "3", True, math.nan, None, 2**63, [1, 2], [-1], [1.5]),
                       count(0, 2**63 - 1).generated))),
)


# --------------------------------------------------------------------------- running one call
def _has_nan_or_inf(value, depth: int = 0) -> bool:
    if depth > 4:
        return False
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.inexact):
        return not np.all(np.isfinite(value))
    if isinstance(value, float | np.floating):
        return not math.isfinite(value)
    if isinstance(value, tuple | list):
        return any(_has_nan_or_inf(v, depth + 1) for v in value[:100])
    if is_dataclass(value) and not isinstance(value, type):
        return any(_has_nan_or_inf(getattr(value, f.name), depth + 1) for f in fields(value))
    return False


def _raised_by_library(exc: BaseException) -> bool:
    """Whether the innermost frame of the traceback is in collapse_lib (not numpy, scipy or Python)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve().is_relative_to(LIBRARY_ROOT)


def classify(case: Case, argument: str, exc: BaseException | None, result=None) -> tuple[str, str]:
    """The outcome of one call and a one-line detail (the message or the returned value)."""
    if exc is None:
        return ("NaN or inf returned" if _has_nan_or_inf(result) else "silently accepted"), repr(result)[:120]
    message = f"{type(exc).__name__}: {exc}"
    # The argument's name as a word ("n" must not match inside "an"), or one of its aliases.
    named = re.search(rf"(?<!\w){re.escape(argument)}(?!\w)", str(exc)) is not None or any(
        alias in str(exc) for alias in case.aliases.get(argument, ()))
    if isinstance(exc, MemoryError):
        return ("clear error" if named else "unnamed MemoryError"), message
    if isinstance(exc, TypeError | ValueError) and _raised_by_library(exc):
        return ("clear error" if named else "error without the argument's name"), message
    return "deep traceback", message


def _call_and_classify(case: Case, argument: str, value) -> tuple[str, str]:
    try:
        result = case.call(**{argument: value})
        if isinstance(result, Iterator):
            result = [next(result) for _ in range(2)]
    except BaseException as exc:
        return classify(case, argument, exc)
    return classify(case, argument, None, result)


class GuardedRunner:
    """Runs calls in a worker process under the time and memory limits; restarts it after a hang.

    One long-lived worker (forked, so it shares the cases) answers call after call; a call that
    takes longer than ``time_limit`` is reported as a hang and its worker killed and replaced.
    Use as a context manager.
    """

    def __init__(self, time_limit: float = TIME_LIMIT):
        self.time_limit = time_limit
        self._context = multiprocessing.get_context("fork")
        self._start()

    def _start(self) -> None:
        self._conn, child_conn = self._context.Pipe()
        self._worker = self._context.Process(target=_serve, args=(child_conn,), daemon=True)
        self._worker.start()
        child_conn.close()

    def run(self, case_index: int, argument: str, value) -> tuple[str, str]:
        """(outcome, detail) of ``CASES[case_index]`` called with ``argument=value``."""
        try:
            self._conn.send((case_index, argument, value))
        except Exception as exc:
            raise RuntimeError(f"cannot send {describe(value)} to the worker: {exc}") from exc
        if self._conn.poll(self.time_limit):
            try:
                return self._conn.recv()
            except EOFError:
                detail = f"the worker died (exit code {self._worker.exitcode})"
        else:
            detail = f"no answer within {self.time_limit:g} s"
        self._worker.kill()
        self._worker.join()
        self._start()
        return "hang", detail

    def close(self) -> None:
        self._conn.close()
        self._worker.kill()
        self._worker.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _serve(conn) -> None:
    """The worker: limit its memory, silence its output, answer requests until the pipe closes."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    warnings.simplefilter("ignore")
    sys.stdout = open(os.devnull, "w")  # check_agreement prints its summary
    while True:
        try:
            case_index, argument, value = conn.recv()
        except EOFError:
            return
        try:
            outcome = _call_and_classify(CASES[case_index], argument, value)
        except BaseException as exc:
            outcome = ("deep traceback", f"harness: {exc!r}")
        conn.send(outcome)


def describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}" if value.size > 8 else "array(" + np.array2string(value, separator=",").replace("\n", "") + ")"
    text_ = repr(value)
    return text_ if len(text_) <= 40 else text_[:37] + "..."


def all_calls() -> Iterator[tuple[int, str, object]]:
    """Every (case index, argument, bad value) of the fixed table."""
    for index, case in enumerate(CASES):
        for argument, kind in case.kinds.items():
            for value in kind.bad:
                yield index, argument, value


def check_valid_calls() -> list[str]:
    """Cases whose valid arguments fail: the fuzz would be vacuous for them."""
    failures = []
    for case in CASES:
        try:
            result = case.call()
            if isinstance(result, Iterator):
                list(result)
        except Exception as exc:
            failures.append(f"{case.name}: {type(exc).__name__}: {exc}")
    return failures


def main(argv: list[str]) -> int:
    broken = check_valid_calls()
    if broken:
        print("valid calls that fail:", *broken, sep="\n  ")
        return 2
    verbose = "-v" in argv
    tally: Counter = Counter()
    per_function: dict = {}
    with GuardedRunner() as runner:
        outcomes = [(CASES[i], argument, value, *runner.run(i, argument, value)) for i, argument, value in all_calls()]
    for case, argument, value, outcome, detail in outcomes:
        tally[outcome] += 1
        per_function.setdefault(case.name, Counter())[outcome] += 1
        if outcome != "clear error" or verbose:
            print(f"{outcome:34} {case.name}({argument}={describe(value)}): {detail[:160]}")
    total = sum(tally.values())
    print(f"\n{total} bad inputs to {len(CASES)} public functions and methods")
    print("| outcome | inputs | share |\n| --- | ---: | ---: |")
    for outcome in OUTCOMES:
        print(f"| {outcome} | {tally[outcome]} | {100 * tally[outcome] / total:.1f}% |")
    return 0 if tally["clear error"] == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
