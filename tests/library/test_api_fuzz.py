"""Bad input for the whole public API gets a clear error: no silent accept, NaN, deep traceback or hang.

The cases and the bad values are in ``tools/api_fuzz.py`` (``python -m tools.api_fuzz`` prints the
table of outcomes). Every call runs in a worker process under a time limit and a memory limit, so
a hang or a huge allocation fails one test instead of stopping or swapping the machine.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools import api_fuzz
from tools.api_fuzz import CASES, GuardedRunner

#: (case index, argument) of every fuzzed argument.
ARGUMENTS = [(index, argument) for index, case in enumerate(CASES) for argument in case.kinds]
#: Examples drawn by hypothesis; raise it to search longer (FUZZ_EXAMPLES=20000 pytest ...).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "600"))


@pytest.fixture(scope="module")
def runner():
    with GuardedRunner(time_limit=api_fuzz.TIME_LIMIT) as guarded:
        yield guarded


def test_the_valid_arguments_of_every_case_work():
    """Each case's valid call succeeds, so a clear error for a bad value is the bad value's doing."""
    assert api_fuzz.check_valid_calls() == []


def test_every_public_function_is_fuzzed():
    """Every callable in a computational module's __all__ has a case (presentation modules excepted)."""
    covered = {case.function for case in CASES}
    covered_names = {getattr(f, "__qualname__", "") for f in covered}
    missing = []
    for module in (api_fuzz.discrete, api_fuzz.gaussian, api_fuzz.schemes, api_fuzz.loops, api_fuzz.metrics,
                   api_fuzz.montecarlo, api_fuzz.laws, api_fuzz.data, api_fuzz.lm, api_fuzz.mixtures,
                   api_fuzz.curation):
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj) or name in NOT_FUZZED:
                continue
            if obj not in covered and getattr(obj, "__qualname__", "") not in covered_names:
                missing.append(f"{module.__name__}.{name}")
    assert missing == []


#: Public names without bad input to speak of: result records (built by the library, read by the
#: reader), the abstract scheme base, the argument-free schemes, and the data loader without arguments.
NOT_FUZZED = {"AbsorptionSample", "AbsorptionResult", "GaussianChain", "LoopResult", "ModelFamily", "Scheme",
              "Replace", "Augment", "Accumulate", "Agreement", "DisagreementError", "GenerationsResult",
              "NGramModel", "python_reference_paragraphs", "MixtureChain", "ImageModel", "ImageLoopResult",
              "PopulationResult", "pretraining_paragraphs"}


def test_every_bad_value_of_the_table_gets_a_clear_error(runner):
    failures = []
    for index, argument, value in api_fuzz.all_calls():
        outcome, detail = runner.run(index, argument, value)
        if outcome != "clear error":
            failures.append(f"{outcome}: {CASES[index].name}({argument}={api_fuzz.describe(value)}): {detail[:200]}")
    assert failures == []


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_generated_bad_values_get_clear_errors(runner, data):
    index, argument = data.draw(st.sampled_from(ARGUMENTS), label="case and argument")
    value = data.draw(CASES[index].kinds[argument].strategy(), label="bad value")
    outcome, detail = runner.run(index, argument, value)
    assert outcome == "clear error", f"{CASES[index].name}({argument}={api_fuzz.describe(value)}): {outcome}: {detail}"


# ------------------------------------------------------------------ the harness itself can fail
def _hang(seconds):
    import time

    time.sleep(seconds)


def _allocate(n):
    return np.ones(int(n))


def _nan(x):
    return float("nan")


def _deep(x):
    return [1, 2][x]


HARNESS_CASES = (
    api_fuzz.Case("hang", _hang, dict(seconds=0), dict(seconds=api_fuzz.Kind("", (5,)))),
    api_fuzz.Case("allocate", _allocate, dict(n=1), dict(n=api_fuzz.Kind("", (2**40,)))),
    api_fuzz.Case("nan", _nan, dict(x=1), dict(x=api_fuzz.Kind("", (2,)))),
    api_fuzz.Case("deep", _deep, dict(x=0), dict(x=api_fuzz.Kind("", (5,)))),
)


@pytest.mark.parametrize("case_index, value, expected", [
    (0, 5, "hang"), (1, 2**40, "unnamed MemoryError"), (2, 2, "NaN or inf returned"), (3, 5, "deep traceback"),
    (3, 1, "silently accepted"),
])
def test_the_harness_reports_each_kind_of_failure(monkeypatch, case_index, value, expected):
    monkeypatch.setattr(api_fuzz, "CASES", HARNESS_CASES)
    with GuardedRunner(time_limit=1.0) as guarded:
        outcome, _ = guarded.run(case_index, list(HARNESS_CASES[case_index].kinds)[0], value)
    assert outcome == expected
