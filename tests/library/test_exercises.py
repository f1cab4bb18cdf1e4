"""Every exercise checker accepts right answers (the reference and alternative forms) and rejects
named wrong answers, through its visible check and its hidden test (collapse_lib.exercises).

Fast: one or two seeds each. ``tests/coursework/test_checks_across_seeds.py`` sweeps 20 seeds.
"""

import inspect
import re

import numpy as np
import pytest

from collapse_lib import exercises
from collapse_lib.exercises import (
    WrongAnswer,
    breaking_the_loop,
    curation,
    discrete_absorption,
    expressivity,
    gaussian_collapse,
    language_models,
    self_consuming_loop,
)
from tests.library import exercise_answers as answers

MODULES = (self_consuming_loop, discrete_absorption, gaussian_collapse, breaking_the_loop, language_models,
           expressivity, curation)
REJECTED: dict[str, int] = {}  # exercise -> wrong answers rejected (printed by test_report_counts)


def numbers_in(message: str) -> list[float]:
    return [float(x) for x in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?", message)]


def assert_rejected(check, grade, args, kwargs, *, name, truth=None, hidden_only=False):
    """The visible check rejects (unless ``hidden_only``) with a message that does not give ``truth``
    away, and the hidden test rejects."""
    if hidden_only:
        check(*args, **kwargs)  # passes the visible check: that is what the hidden test is for
    else:
        with pytest.raises(WrongAnswer) as visible:
            check(*args, **kwargs)
        for value in np.atleast_1d(truth if truth is not None else []):
            leaked = [x for x in numbers_in(str(visible.value)) if abs(x - value) <= 0.01 * abs(value)
                      and abs(value) > 10]
            assert not leaked, f"{name}: the hint gives the answer away: {visible.value}"
    with pytest.raises(WrongAnswer, match="hidden test"):
        grade(*args, **kwargs)
    label = check.__name__.removeprefix("check_")
    REJECTED[label] = REJECTED.get(label, 0) + 1


def test_every_check_has_a_hidden_twin_with_its_signature():
    for module in MODULES:
        checks = [name for name in module.__all__ if name.startswith("check_")]
        assert checks, module.__name__
        for name in checks:
            twin = getattr(module, name.replace("check_", "grade_"))
            assert inspect.signature(twin) == inspect.signature(getattr(module, name)), name
        assert set(module.__all__) == {n for name in checks for n in (name, name.replace("check_", "grade_"))}
    assert exercises.hidden_test_failed("ex-a", "b").args == ("hidden test of ex-a: b",)


# --- chapter 1 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", answers.MASS_RIGHT)
def test_mass_lost_accepted(name):
    self_consuming_loop.check_mass_lost(answers.MASS_RIGHT[name], p=answers.P0, M_values=answers.M_VALUES)
    self_consuming_loop.grade_mass_lost(answers.MASS_RIGHT[name], p=answers.P0, M_values=answers.M_VALUES)


@pytest.mark.parametrize("name", answers.MASS_WRONG)
def test_mass_lost_rejected(name):
    assert_rejected(self_consuming_loop.check_mass_lost, self_consuming_loop.grade_mass_lost,
                    (answers.MASS_WRONG[name],), dict(p=answers.P0, M_values=answers.M_VALUES), name=name)


# --- chapter 2 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", answers.SUPPORT_RIGHT)
def test_expected_support_accepted(name):
    discrete_absorption.check_expected_support(answers.SUPPORT_RIGHT[name])
    discrete_absorption.grade_expected_support(answers.SUPPORT_RIGHT[name])


@pytest.mark.parametrize("name", [*answers.SUPPORT_WRONG, *answers.SUPPORT_WRONG_HIDDEN])
def test_expected_support_rejected(name):
    wrong = {**answers.SUPPORT_WRONG, **answers.SUPPORT_WRONG_HIDDEN}[name]
    assert_rejected(discrete_absorption.check_expected_support, discrete_absorption.grade_expected_support,
                    (wrong,), {}, name=name, hidden_only=name in answers.SUPPORT_WRONG_HIDDEN)


def test_half_lives():
    half_lives, runs = answers.half_life_runs(0)
    for reading in (half_lives, answers.half_life_alternative(runs)):
        discrete_absorption.check_half_lives(reading, runs)
        discrete_absorption.grade_half_lives(reading, runs)
    for name, args in answers.half_life_wrong(1).items():
        assert_rejected(discrete_absorption.check_half_lives, discrete_absorption.grade_half_lives, args, {},
                        name=name)
    for name, args in answers.half_life_wrong_hidden(2).items():
        assert_rejected(discrete_absorption.check_half_lives, discrete_absorption.grade_half_lives, args, {},
                        name=name, hidden_only=True)


# --- chapter 3 ---------------------------------------------------------------------------------
def test_drifts():
    drifts, finals = answers.drift_runs(0)
    for right in (drifts, np.round(drifts, 5)):
        gaussian_collapse.check_drifts(right, finals)
        gaussian_collapse.grade_drifts(right, finals)
    for name, args in answers.drift_wrong(1).items():
        assert_rejected(gaussian_collapse.check_drifts, gaussian_collapse.grade_drifts, args, {}, name=name)
    for name, args in answers.drift_wrong_hidden(2).items():
        assert_rejected(gaussian_collapse.check_drifts, gaussian_collapse.grade_drifts, args, {}, name=name,
                        hidden_only=True)


@pytest.mark.parametrize("name", answers.PRECISION_RIGHT)
def test_precision_accepted(name):
    gaussian_collapse.check_precision_example(answers.PRECISION_RIGHT[name])
    gaussian_collapse.grade_precision_example(answers.PRECISION_RIGHT[name])


@pytest.mark.parametrize("name", answers.PRECISION_WRONG)
def test_precision_rejected(name):
    assert_rejected(gaussian_collapse.check_precision_example, gaussian_collapse.grade_precision_example,
                    (answers.PRECISION_WRONG[name],), {}, name=name)


# --- chapter 4 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", answers.FAMILY_RIGHT)
def test_exponential_family_accepted(name):
    breaking_the_loop.check_exponential_family(answers.FAMILY_RIGHT[name])
    breaking_the_loop.grade_exponential_family(answers.FAMILY_RIGHT[name])


@pytest.mark.parametrize("name", answers.FAMILY_WRONG)
def test_exponential_family_rejected(name):
    assert_rejected(breaking_the_loop.check_exponential_family, breaking_the_loop.grade_exponential_family,
                    (answers.FAMILY_WRONG[name],), {}, name=name)


@pytest.fixture(scope="module")
def regression_errors():
    return answers.regression_errors(0)


def test_ratio(regression_errors):
    for predicted, measured in answers.ratio_right(regression_errors).values():
        breaking_the_loop.check_ratio(predicted, measured, regression_errors)
        breaking_the_loop.grade_ratio(predicted, measured, regression_errors)
    for name, (predicted, measured) in answers.ratio_wrong(regression_errors).items():
        assert_rejected(breaking_the_loop.check_ratio, breaking_the_loop.grade_ratio,
                        (predicted, measured, regression_errors), {}, name=name, truth=answers.RATIO_PREDICTED)


# --- chapter 5 ---------------------------------------------------------------------------------
TYPES_TRUTH = answers.TYPES_RIGHT["exact"]


@pytest.mark.parametrize("name", answers.TYPES_RIGHT)
def test_expected_types_accepted(name):
    kwargs = dict(counts=answers.TYPES_COUNTS, M=answers.TYPES_M)
    language_models.check_expected_types(answers.TYPES_RIGHT[name], **kwargs)
    language_models.grade_expected_types(answers.TYPES_RIGHT[name], **kwargs)


@pytest.mark.parametrize("name", answers.TYPES_WRONG)
def test_expected_types_rejected(name):
    assert_rejected(language_models.check_expected_types, language_models.grade_expected_types,
                    (answers.TYPES_WRONG[name],), dict(counts=answers.TYPES_COUNTS, M=answers.TYPES_M), name=name,
                    truth=TYPES_TRUTH)


@pytest.mark.parametrize("name", answers.BY_HAND_RIGHT)
def test_by_hand_accepted(name):
    language_models.check_by_hand(answers.BY_HAND_RIGHT[name])
    language_models.grade_by_hand(answers.BY_HAND_RIGHT[name])


@pytest.mark.parametrize("name", answers.BY_HAND_WRONG)
def test_by_hand_rejected(name):
    assert_rejected(language_models.check_by_hand, language_models.grade_by_hand, (answers.BY_HAND_WRONG[name],),
                    {}, name=name)


@pytest.fixture(scope="module")
def corpus():
    return answers.language_corpus()


def test_accumulate(corpus):
    real, test, V = corpus
    kwargs = dict(real_blocks=real, test_blocks=test, vocab_size=V)
    for function in answers.accumulate_right(real, test, V).values():
        language_models.check_accumulate(function, **kwargs)
        language_models.grade_accumulate(function, **kwargs)
    for name, wrong in answers.accumulate_wrong(real, test, V).items():
        assert_rejected(language_models.check_accumulate, language_models.grade_accumulate, (wrong,), kwargs,
                        name=name)


# --- chapter 6 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", answers.BEST_GAUSSIAN_RIGHT)
def test_best_gaussian_accepted(name):
    expressivity.check_best_gaussian_w2(answers.BEST_GAUSSIAN_RIGHT[name])
    expressivity.grade_best_gaussian_w2(answers.BEST_GAUSSIAN_RIGHT[name])


@pytest.mark.parametrize("name", [*answers.BEST_GAUSSIAN_WRONG, *answers.BEST_GAUSSIAN_WRONG_HIDDEN])
def test_best_gaussian_rejected(name):
    wrong = {**answers.BEST_GAUSSIAN_WRONG, **answers.BEST_GAUSSIAN_WRONG_HIDDEN}[name]
    assert_rejected(expressivity.check_best_gaussian_w2, expressivity.grade_best_gaussian_w2, (wrong,), {},
                    name=name, hidden_only=name in answers.BEST_GAUSSIAN_WRONG_HIDDEN)


def test_kde_growth():
    measured, ratios = answers.growth_runs(0)
    for right in (measured, np.round(measured, 4)):
        expressivity.check_kde_growth(right, ratios)
        expressivity.grade_kde_growth(right, ratios)
    for name, args in answers.growth_wrong(1).items():
        assert_rejected(expressivity.check_kde_growth, expressivity.grade_kde_growth, args, {}, name=name)
    for name, args in answers.growth_wrong_hidden(2).items():
        assert_rejected(expressivity.check_kde_growth, expressivity.grade_kde_growth, args, {}, name=name,
                        hidden_only=True)


# --- chapter 7 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", answers.BEST_OF_K_RIGHT)
def test_best_of_k_moments_accepted(name):
    curation.check_best_of_k_moments(answers.BEST_OF_K_RIGHT[name])
    curation.grade_best_of_k_moments(answers.BEST_OF_K_RIGHT[name])


@pytest.mark.parametrize("name", [*answers.BEST_OF_K_WRONG, *answers.BEST_OF_K_WRONG_HIDDEN])
def test_best_of_k_moments_rejected(name):
    wrong = {**answers.BEST_OF_K_WRONG, **answers.BEST_OF_K_WRONG_HIDDEN}[name]
    assert_rejected(curation.check_best_of_k_moments, curation.grade_best_of_k_moments, (wrong,), {}, name=name,
                    hidden_only=name in answers.BEST_OF_K_WRONG_HIDDEN)


@pytest.mark.parametrize("name", answers.VERIFIER_RIGHT)
def test_verified_limit_error_accepted(name):
    curation.check_verified_limit_error(answers.VERIFIER_RIGHT[name])
    curation.grade_verified_limit_error(answers.VERIFIER_RIGHT[name])


@pytest.mark.parametrize("name", [*answers.VERIFIER_WRONG, *answers.VERIFIER_WRONG_HIDDEN])
def test_verified_limit_error_rejected(name):
    wrong = {**answers.VERIFIER_WRONG, **answers.VERIFIER_WRONG_HIDDEN}[name]
    assert_rejected(curation.check_verified_limit_error, curation.grade_verified_limit_error, (wrong,), {},
                    name=name, hidden_only=name in answers.VERIFIER_WRONG_HIDDEN)


def test_report_counts():
    # Runs last in this module: how many wrong answers each checker rejects. Only meaningful when
    # every rejection test above ran (not under -k or after a failure).
    checkers = sum(name.startswith("check_") for module in MODULES for name in module.__all__)
    if len(REJECTED) < checkers:
        pytest.skip(f"only {len(REJECTED)} checkers' rejection tests ran in this session")
    assert len(REJECTED) == checkers, sorted(REJECTED)
    assert all(count >= 5 for count in REJECTED.values()), REJECTED
    print("\nwrong answers rejected per checker:", dict(sorted(REJECTED.items())))
