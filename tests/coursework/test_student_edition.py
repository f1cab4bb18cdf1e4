"""Tests of the student edition and the nbgrader source (tools/student_edition.py): solutions gone in
every fence form, exercises and checks kept, answer cells added, points from book/coursework.yml."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from tools.book_files import chapter_sources, read_chapter
from tools.student_edition import (
    CODE_ANSWER,
    TEXT_ANSWER,
    build_student,
    coursework,
    executed_chapter,
    exercise_labels,
    nbgrader_source,
    solution_texts,
    strip_solutions,
    student_config,
)

# Every fence form the book's Markdown allows around a solution: a longer backtick fence holding a
# code block and a math block, a colon fence, and a gate whose prose holds a code block.
SMALL = [
    nbformat.v4.new_markdown_cell(
        "# Title\n\n## Exercises\n\n```{exercise} A\n:label: ex-a\n\nDo A.\n```\n\n"
        "````{solution} ex-a\n:class: dropdown\n\nSecret A.\n\n```python\nsecret_code_a = 1\n```\n\n"
        "$$\nsecret_math_a\n$$\n````\n\nBetween A and B."),
    nbformat.v4.new_markdown_cell(
        ":::{exercise} B\n:label: ex-b\n\nDo B.\n:::\n\n:::{solution} ex-b\n:class: dropdown\nSecret B.\n:::\n"),
    nbformat.v4.new_markdown_cell("```{exercise} C\n:label: ex-c\n\nDo C.\n```\n\n```{solution-start} ex-c\n"
                                  ":class: dropdown\n```\n"),
    nbformat.v4.new_code_cell("answer_c = 42  # Secret value", metadata={"mystnb": {"image": {"alt": "Secret alt text"}}}),
    nbformat.v4.new_markdown_cell("Secret explanation.\n\n```python\nsecret_prose_code = 2\n```\n\n"
                                  "```{solution-end}\n```\n\nAfter the gate."),
    nbformat.v4.new_code_cell("exercises.check_c(answer_c)",
                              outputs=[nbformat.v4.new_output("stream", text="correct")]),
]
POINTS = {"ex-a": {"points": 2}, "ex-b": {"points": 3}, "ex-c": {"points": 4}}


def small_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.from_dict(cell) for cell in SMALL]
    return nb


def everything(nb) -> str:
    return "\n".join(cell.source + json.dumps(dict(cell.metadata)) for cell in nb.cells)


def test_strip_solutions_handles_every_fence_form():
    student = strip_solutions(small_notebook())
    text = everything(student)
    assert "ecret" not in text and "{solution" not in text, text
    for kept in ("Do A.", "Do B.", "Do C.", "Between A and B.", "After the gate.", "exercises.check_c(answer_c)"):
        assert kept in text
    answers = [cell for cell in student.cells if cell.metadata.get("student_answer")]
    assert [(cell.cell_type, cell.metadata["student_answer"]) for cell in answers] == [
        ("markdown", "ex-a"), ("markdown", "ex-b"), ("code", "ex-c")]
    assert answers[0].source == TEXT_ANSWER and answers[2].source == CODE_ANSWER
    order = [cell.source[:6] for cell in student.cells]
    assert order.index(TEXT_ANSWER[:6]) == 1  # the answer to A follows exercise A, before "Between A and B."
    assert student.cells[-1].outputs == []  # outputs in the exercise section would reveal the answers


def test_unclosed_gate_is_an_error():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("```{solution-start} ex-a\n```\n"), nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="no matching"):
        strip_solutions(nb)
    with pytest.raises(ValueError, match="no matching"):
        nbgrader_source(nb, "small", POINTS)


def test_nbgrader_source_of_every_fence_form():
    source = nbgrader_source(small_notebook(), "small", POINTS)
    cells = [(cell, cell.metadata["nbgrader"]) for cell in source.cells]
    written = [(cell, meta) for cell, meta in cells if meta["solution"] and cell.cell_type == "markdown"]
    assert [(meta["grade_id"], meta["points"], meta["grade"]) for _, meta in written] == [
        ("ex-a-answer", 2, True), ("ex-b-answer", 3, True)]
    assert "Secret A." in written[0][0].source and "secret_math_a" in written[0][0].source
    assert ":class:" not in written[0][0].source and "Secret B." in written[1][0].source
    (code, meta), = [(cell, meta) for cell, meta in cells if meta["solution"] and cell.cell_type == "code"]
    assert code.source.startswith("### BEGIN SOLUTION\nanswer_c = 42  # Secret value\n") and code.source.endswith("### END SOLUTION\n")
    assert "# Secret explanation." in code.source and "# secret_prose_code = 2" in code.source
    assert "mystnb" not in code.metadata, "the solution cell's alt text states results"
    (test, meta), = [(cell, meta) for cell, meta in cells if meta["grade"] and cell.cell_type == "code"]
    assert meta["points"] == 4 and meta["locked"] and meta["grade_id"] == "ex-c-check"
    assert test.source == ("exercises.check_c(answer_c)\n### BEGIN HIDDEN TESTS\nexercises.grade_c(answer_c)\n"
                           "### END HIDDEN TESTS\n")
    locked = [cell for cell, meta in cells if not meta["solution"] and not meta["grade"]]
    assert all(meta["locked"] for cell, meta in cells if cell in locked)
    assert "ecret" not in "\n".join(cell.source for cell in locked)
    ids = [meta["grade_id"] for _, meta in cells]
    assert len(ids) == len(set(ids)) and all(meta["schema_version"] == 3 for _, meta in cells)


def test_coursework_lists_every_exercise_once():
    listed = coursework()
    found = {label: path.stem for path in chapter_sources() for label in exercise_labels(read_chapter(path))}
    assert set(listed) == set(found)
    for label, entry in listed.items():
        assert entry["chapter"] == found[label], label
        assert entry["kind"] in ("code", "pen and paper") and entry["points"] > 0 and entry["minutes"] > 0
        if entry["kind"] == "pen and paper":
            # Rubric lines are "points: what earns them" and add up to the exercise's points.
            assert sum(int(line.split(":", 1)[0]) for line in entry["rubric"]) == entry["points"], label
        else:
            assert "rubric" not in entry, f"{label}: a code exercise is graded by its checks"


@pytest.fixture(scope="module")
def executed():
    """Every chapter executed (from the book build when current): the student edition's input."""
    return {path.stem: executed_chapter(path) for path in chapter_sources()}


def distinctive_solution_lines(nb) -> list[str]:
    """Lines of the chapter's solutions that appear nowhere else in it."""
    texts = solution_texts(nb)
    body = "\n".join(cell.source for cell in nb.cells)
    for text in texts:
        body = body.replace(text, "")
    return [line for line in {line.strip() for text in texts for line in text.split("\n")}
            if len(line) >= 12 and line not in body]


@pytest.mark.parametrize("path", chapter_sources(), ids=lambda p: p.stem)
def test_every_chapter_loses_its_solutions_and_keeps_its_exercises(path, executed):
    nb = executed[path.stem]
    assert [c.source for c in nb.cells] == [c.source for c in read_chapter(path).cells], "not the current source"
    student = strip_solutions(nb)
    text = everything(student)
    assert "{solution" not in text
    leaked = [line for line in distinctive_solution_lines(nb) if line in text]
    assert not leaked, leaked[:3]
    labels = exercise_labels(nb)
    assert labels and all(label in text for label in labels)
    answers = [cell.metadata["student_answer"] for cell in student.cells if cell.metadata.get("student_answer")]
    assert answers == labels, "one answer cell per exercise, in order"
    # The chapter body (before the exercises) keeps its outputs for the HTML.
    assert any(cell.get("outputs") for cell in student.cells if cell.cell_type == "code")


def test_student_site_has_no_launch_buttons():
    config = student_config()
    assert not config["launch_buttons"]["binderhub_url"] and not config["launch_buttons"]["thebe"]
    assert not config["html"]["use_repository_button"] and not config["html"]["use_issues_button"]


def test_student_html_has_no_solutions(tmp_path, executed):
    build_student(tmp_path)
    for path in chapter_sources():
        html = (tmp_path / "html" / "book" / f"{path.stem}.html").read_text(encoding="utf-8")
        page = BeautifulSoup(html, "html.parser")
        assert page.select(".exercise"), f"{path.stem}: exercises missing"
        assert not page.select(".solution"), f"{path.stem}: solutions present"
        assert "mybinder" not in html and "thebe-launch" not in html, f"{path.stem}: a launch button"
        page_text = page.get_text()
        leaked = [line for line in distinctive_solution_lines(executed[path.stem])
                  if len(line) >= 20 and line.replace("`", "") in page_text]
        assert not leaked, f"{path.stem}: {leaked[:3]}"
        assert "Your answer." not in page_text, "Markdown answer cells belong to the notebooks, not the site"
        notebook = nbformat.read(tmp_path / "notebooks" / f"{path.stem}.ipynb", 4)
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    instructors = BeautifulSoup((tmp_path / "html" / "book" / "instructors.html").read_text(encoding="utf-8"),
                                "html.parser").get_text(" ")
    rubric_lines = [line for entry in coursework().values() for line in entry.get("rubric", [])]
    assert rubric_lines and not [line for line in rubric_lines if line.split(":", 1)[1].strip()[:30] in instructors]
    assert "Points" in instructors, "the student edition keeps the points and times"


def test_answer_key_shows_every_solution_with_its_grading(tmp_path):
    from tools.student_edition import build_answer_key

    build_answer_key(tmp_path)
    points = coursework()
    for path in chapter_sources():
        page = BeautifulSoup((tmp_path / "html" / "book" / f"{path.stem}.html").read_text(encoding="utf-8"),
                             "html.parser")
        labels = [label for label, entry in points.items() if entry["chapter"] == path.stem]
        assert len(page.select(".exercise")) == len(labels), path.stem
        assert not page.select("details.dropdown"), f"{path.stem}: solutions folded"
        grading = [title.get_text(" ", strip=True) for title in page.select(".admonition-title")
                   if title.get_text().startswith("Grading")]
        assert grading == [f"Grading: {points[label]['points']} points, about {points[label]['minutes']} minutes"
                           for label in labels], path.stem
        text = page.get_text(" ")
        letters = re.sub(r"\W", "", text)  # (Sphinx typesets quotes and dashes)
        for label in labels:
            for line in points[label].get("rubric", []):
                assert re.sub(r"\W", "", line.split(":", 1)[1])[:30] in letters, f"{label}: rubric line missing"
        assert "of the book" in text or path.stem == "03_gaussian_collapse"  # cross-references made plain
        # The code solutions' outputs are shown: the book's checks passing.
        assert text.count("correct:") == sum(points[label]["kind"] == "code" for label in labels), path.stem


def test_slides_work_offline(tmp_path):
    from tools.student_edition import build_slides

    build_slides(tmp_path)
    for number, path in enumerate(chapter_sources(), start=1):
        html = (tmp_path / f"{path.stem}.html").read_text(encoding="utf-8")
        page = BeautifulSoup(html, "html.parser")
        titles = [heading.get_text(" ", strip=True).rstrip("#").strip() for heading in page.select("section h2")]
        assert titles[0] == "Learning goals" and titles[-1] == "Key takeaways", titles
        assert any(title.startswith(("Theorem", "Definition")) for title in titles), titles
        figures = [title for title in titles if title.startswith(f"Figure {number}.")]
        assert figures and all((tmp_path / "_images").glob(f"{number:02d}-figure-*"))
        assert "{glue" not in html and "{cite" not in html and "{prf:ref}" not in html, "unresolved MyST role"
        # Nothing is loaded from the network: reveal.js and MathJax are local files.
        scripts = [tag.get("src") for tag in page.select("script[src]")] + [tag.get("href") for tag in
                                                                            page.select("link[href]")]
        assert not [src for src in scripts if src.startswith(("http:", "https:", "//"))], scripts
        assert any("reveal.js" in src for src in scripts) and any("tex-mml-chtml.js" in src for src in scripts)
    assert (tmp_path / "_static" / "mathjax" / "tex-mml-chtml.js").exists()
