"""Checkers for the book's code exercises: one module per chapter.

Every code exercise has two checkers with the same signature:

- ``check_NAME(...)``, the *visible* check that follows the exercise in the book and in the
  students' notebooks. It prints one line starting with "correct" when the answer is right,
  and otherwise raises :class:`WrongAnswer` with a hint that says what is wrong without giving
  the answer (or any number close to it) away.
- ``grade_NAME(...)``, the *hidden* test that nbgrader adds to the same cell when it grades a
  submission (between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``; students never
  see it). It makes the exact comparisons again, on cases the student has not seen where the
  answer is a function, with other seeds where it is a simulation, and with checks that a
  simulated answer really comes from a simulation. Its messages say which test failed, never
  the reference value.

Checkers take what they need as arguments (they never read a chapter's globals). A checker of
a simulated quantity uses a tolerance from the standard error of the student's own
simulation, so a correct answer passes whatever seed produced it; values the student may have
typed from a printout are accepted to the precision the book's solution prints.

Modules: :mod:`.self_consuming_loop` (chapter 1), :mod:`.discrete_absorption` (2),
:mod:`.gaussian_collapse` (3), :mod:`.breaking_the_loop` (4), :mod:`.language_models` (5),
:mod:`.expressivity` (6), :mod:`.curation` (7).
"""

from __future__ import annotations

import numpy as np

__all__ = ["WrongAnswer", "as_answer_array", "correct", "hidden_test_failed", "hint_of"]


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


def hidden_test_failed(exercise: str, what: str) -> WrongAnswer:
    """The error a hidden test raises: which exercise, and which property failed."""
    return WrongAnswer(f"hidden test of {exercise}: {what}")


def hint_of(hint_function, *args, **kwargs) -> str | None:
    """``hint_function(*args, **kwargs)``: None for a right answer, else the hint (also when the
    answer has the wrong form, which ``as_answer_array`` reports by raising)."""
    try:
        return hint_function(*args, **kwargs)
    except WrongAnswer as error:
        return str(error)
