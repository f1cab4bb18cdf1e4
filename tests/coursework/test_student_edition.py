"""Tests of the student edition (tools/student_edition.py): solutions gone, exercises and checks kept."""

from __future__ import annotations

import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from tools.book_files import chapter_sources, read_chapter
from tools.student_edition import build, executed_chapter, nbgrader_source, strip_solutions


def gated_code(nb) -> list[str]:
    """Sources of the code cells that sit between {solution-start} and {solution-end}."""
    inside, found = False, []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for marker in re.findall(r"\{solution-(start|end)\}", cell.source):
                inside = marker == "start"
        elif inside:
            found.append(cell.source)
    return found


def test_strip_solutions_on_a_small_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n## Exercises\n\n```{exercise} A\n:label: ex-a\n\nDo A.\n```\n\n"
                                      "```{solution} ex-a\n:class: dropdown\n\nSecret A.\n```\n"),
        nbformat.v4.new_markdown_cell("```{exercise} B\n:label: ex-b\n\nDo B.\n```\n\n```{solution-start} ex-b\n"
                                      ":class: dropdown\n```\n"),
        nbformat.v4.new_code_cell("secret_b = 42"),
        nbformat.v4.new_markdown_cell("Secret explanation.\n\n```{solution-end}\n```\n\nAfter the gate."),
        nbformat.v4.new_code_cell("check(secret_b)", outputs=[nbformat.v4.new_output("stream", text="correct")]),
    ]
    student = strip_solutions(nb)
    text = "\n".join(cell.source for cell in student.cells)
    assert "Secret" not in text and "secret_b = 42" not in text and "solution" not in text
    assert "Do A." in text and "Do B." in text and "After the gate." in text and "check(secret_b)" in text
    answers = [cell for cell in student.cells if cell.metadata.get("student_answer")]
    assert len(answers) == 1 and answers[0].cell_type == "code"
    assert student.cells[-1].outputs == []  # outputs in the exercise section would reveal the answers


def test_unclosed_gate_is_an_error():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("```{solution-start} ex-a\n```\n"), nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="no matching"):
        strip_solutions(nb)


@pytest.fixture(scope="module")
def executed():
    """Every chapter executed (from the book build when current): the student edition's input."""
    return {path.stem: executed_chapter(path) for path in chapter_sources()}


@pytest.mark.parametrize("path", chapter_sources(), ids=lambda p: p.stem)
def test_every_chapter_loses_its_solutions_and_keeps_its_exercises(path, executed):
    nb = executed[path.stem]
    assert [c.source for c in nb.cells] == [c.source for c in read_chapter(path).cells], "not the current source"
    student = strip_solutions(nb)
    text = "\n".join(cell.source for cell in student.cells)
    assert not re.search(r"\{solution", text)
    labels = re.findall(r":label: (ex-[\w-]+)", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    assert labels and all(label in text for label in labels)
    hidden = gated_code(nb)
    assert sum(cell.metadata.get("student_answer", False) for cell in student.cells) == text.count("# Your answer here")
    student_code = {cell.source for cell in student.cells if cell.cell_type == "code"}
    assert not (set(hidden) & student_code), "solution code survived"
    # The chapter body (before the exercises) keeps its outputs for the HTML.
    assert any(cell.get("outputs") for cell in student.cells if cell.cell_type == "code")


def test_student_html_has_no_solutions(tmp_path):
    build(tmp_path)
    for path in chapter_sources():
        page = BeautifulSoup((tmp_path / "html" / "book" / f"{path.stem}.html").read_text(encoding="utf-8"),
                             "html.parser")
        assert page.select(".exercise"), f"{path.stem}: exercises missing"
        assert not page.select(".solution"), f"{path.stem}: solutions present"
        notebook = nbformat.read(tmp_path / "notebooks" / f"{path.stem}.ipynb", 4)
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("path", chapter_sources(), ids=lambda p: p.stem)
def test_nbgrader_source_marks_answers_and_checks(path):

    nb = read_chapter(path)
    graded = nbgrader_source(nb, path.stem)
    cells = [(cell, cell.metadata["nbgrader"]) for cell in graded.cells]
    answers = [cell for cell, meta in cells if meta["solution"]]
    checks = [cell for cell, meta in cells if meta["grade"]]
    assert len(answers) == len(gated_code(nb)) and len(checks) >= 1
    assert all(cell.source.startswith("### BEGIN SOLUTION") and "### END SOLUTION" in cell.source for cell in answers)
    assert all(meta["locked"] and meta["points"] == 1 for cell, meta in cells if meta["grade"])
    assert all("check" in cell.source for cell in checks), "each test cell calls the exercise's check"
    ids = [meta["grade_id"] for _, meta in cells]
    assert len(ids) == len(set(ids)) and all(meta["schema_version"] == 3 for _, meta in cells)
