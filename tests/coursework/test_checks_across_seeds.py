"""Every code exercise's checks (visible and hidden) accept the book's solution run with 20 seeds.

A check of a simulated answer must grade the student's simulation, not the seed: its tolerance
comes from the standard error of the student's own runs, so a correct solution passes whatever
seed produced it. This sweeps 20 seeds for every exercise whose answer depends on one (the
answers that do not are tested in ``tests/library/test_exercises.py``, with the wrong answers).
"""

import numpy as np
import pytest

from collapse_lib.exercises import (
    breaking_the_loop,
    discrete_absorption,
    expressivity,
    gaussian_collapse,
    language_models,
)
from tests.library import exercise_answers as answers

SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_half_lives(seed):
    half_lives, runs = answers.half_life_runs(1000 + seed)
    discrete_absorption.check_half_lives(half_lives, runs)
    discrete_absorption.grade_half_lives(half_lives, runs)


@pytest.mark.parametrize("seed", SEEDS)
def test_drifts(seed):
    drifts, finals = answers.drift_runs(1000 + seed)
    gaussian_collapse.check_drifts(drifts, finals)
    gaussian_collapse.grade_drifts(np.round(drifts, 5), finals)


@pytest.mark.parametrize("seed", SEEDS)
def test_ratio(seed):
    errors = answers.regression_errors(1000 + seed)
    for predicted, measured in answers.ratio_right(errors).values():
        breaking_the_loop.check_ratio(predicted, measured, errors)
        breaking_the_loop.grade_ratio(predicted, measured, errors)


@pytest.mark.parametrize("seed", SEEDS)
def test_exponential_family(seed):
    # The family has no seed of its own: the checker's seed decides its samples.
    for make_family in answers.FAMILY_RIGHT.values():
        breaking_the_loop.check_exponential_family(make_family, rng=1000 + seed)
        breaking_the_loop.grade_exponential_family(make_family, rng=1000 + seed)


@pytest.fixture(scope="module")
def corpus():
    return answers.language_corpus()


@pytest.mark.parametrize("seed", SEEDS)
def test_accumulate(seed, corpus):
    real, test, V = corpus
    kwargs = dict(real_blocks=real, test_blocks=test, vocab_size=V, seeds=(1000 + seed,))
    language_models.check_accumulate(answers.accumulate(real, test, V), **kwargs)
    language_models.grade_accumulate(answers.accumulate(real, test, V), **kwargs)


@pytest.mark.parametrize("seed", SEEDS)
def test_kde_growth(seed):
    measured, ratios = answers.growth_runs(1000 + seed)
    expressivity.check_kde_growth(measured, ratios)
    expressivity.grade_kde_growth(np.round(measured, 4), ratios)
