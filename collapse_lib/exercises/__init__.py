"""Checkers for the book's code exercises: one module per chapter.

A chapter's check cell is one call, e.g. ``discrete_absorption.check_half_lives(...)``. Every
checker takes what it needs as arguments (it never reads a chapter's globals), prints one line
starting with "correct" when the answer is right, and otherwise raises :class:`WrongAnswer`
with a hint that says what is wrong without giving the answer away. A checker of a simulated
quantity uses a tolerance from the standard error of the student's own simulation, so a correct
answer passes whatever seed produced it.

Modules: :mod:`.self_consuming_loop` (chapter 1), :mod:`.discrete_absorption` (2),
:mod:`.gaussian_collapse` (3), :mod:`.breaking_the_loop` (4), :mod:`.language_models` (5).
"""

from __future__ import annotations

import numpy as np

__all__ = ["WrongAnswer", "as_answer_array", "correct"]


class WrongAnswer(AssertionError):
    """The answer is wrong; the message is a hint."""


def as_answer_array(answer, shape: tuple, what: str) -> np.ndarray:
    """``answer`` as a float array of ``shape``, or a WrongAnswer saying what was expected."""
    try:
        array = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        raise WrongAnswer(f"expected {what} as numbers, got {type(answer).__name__}") from None
    if array.shape != shape:
        raise WrongAnswer(f"expected {what} (shape {shape}), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise WrongAnswer(f"{what} must be finite numbers (no NaN or inf)")
    return array


def correct(message: str) -> None:
    """Print the one line a checker prints for a right answer."""
    print(f"correct: {message}")
