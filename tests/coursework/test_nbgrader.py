"""The coursework graded by nbgrader itself, end to end, as an instructor would on Monday.

``tools.student_edition`` writes the nbgrader course (configuration and source assignments) and
runs ``nbgrader generate_assignment``. Then three simulated students submit every chapter: one
with the book's solutions, one with plausible wrong answers (``submissions.py``) and one who
changes nothing. ``nbgrader autograde`` executes and grades the 15 submissions (the chapter
bodies run in full, so this is the slow test of the suite) and ``nbgrader generate_feedback``
writes their feedback. The scores must be: every autograded point for the correct student, and
none for the others; the correct student's written answers wait for a human grader, the blank
student's are scored zero without one. The release must not contain any solution's text.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from tests.coursework.submissions import WRONG_CODE, WRONG_TEXT
from tools.book_files import chapter_sources, read_chapter
from tools.student_edition import NBGRADER_CELL_TIMEOUT, coursework, nbgrader, solution_texts, write_nbgrader_course

CHAPTERS = [path.stem for path in chapter_sources()]
STUDENTS = ("correct", "wrong", "blank")
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION\n?", re.DOTALL)


def submission(source: nbformat.NotebookNode, release: nbformat.NotebookNode, student: str) -> nbformat.NotebookNode:
    """The release as ``student`` fills it in (answer cells matched to the source by grade_id)."""
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in source.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    filled = nbformat.from_dict(release)
    for cell in filled.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution") or student == "blank":
            continue
        label = meta["grade_id"].rsplit("-", 1)[0]
        if cell.cell_type == "code":
            cell.source = (SOLUTION_REGION.search(answers[meta["grade_id"]].source).group(1) if student == "correct"
                           else WRONG_CODE[label])
        else:
            cell.source = answers[meta["grade_id"]].source if student == "correct" else WRONG_TEXT
    return filled


#: Two course folders graded side by side (one kernel per core), balanced by chapter run time.
COURSES = ({"01_self_consuming_loop", "05_language_models", "07_curation_and_verification"},
           {"02_discrete_absorption", "03_gaussian_collapse", "04_breaking_the_loop",
            "06_expressivity_and_approximation"})


def grade_course(folder, names: list[str]) -> dict:
    """Release ``names`` in ``folder``, submit them for the three students, autograde, write the
    feedback, and read the scores from the gradebook."""
    from nbgrader.api import Gradebook

    write_nbgrader_course(folder, {name: read_chapter(chapter_sources()[CHAPTERS.index(name)]) for name in names})
    for name in names:
        source = nbformat.read(folder / "source" / name / f"{name}.ipynb", 4)
        release = nbformat.read(folder / "release" / name / f"{name}.ipynb", 4)
        for student in STUDENTS:
            target = folder / "submitted" / student / name
            target.mkdir(parents=True)
            nbformat.write(submission(source, release, student), target / f"{name}.ipynb")
    seconds = {}
    for name in names:
        start = time.perf_counter()
        nbgrader(folder, "autograde", name, "--create", "--force")
        seconds[name] = time.perf_counter() - start  # three submissions, executed in full
        nbgrader(folder, "generate_feedback", name, "--force")
    scores = {}
    with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gradebook:
        for name in names:
            for student in STUDENTS:
                notebook = gradebook.find_submission_notebook(name, name, student)
                auto = [g for g in notebook.grades if g.cell.name.endswith("-check")]
                manual = [g for g in notebook.grades if g.cell.name.endswith("-answer")]
                scores[name, student] = {
                    "auto": sum(g.auto_score or 0 for g in auto), "auto_max": sum(g.max_score for g in auto),
                    "manual_pending": sum(g.needs_manual_grade for g in manual), "manual_cells": len(manual),
                    "manual_auto": sum(g.auto_score or 0 for g in manual), "autograde_seconds": seconds[name],
                }
    return scores


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The courses after release, submission, autograding and feedback: ({chapter: folder}, scores)."""
    assert set().union(*COURSES) == set(CHAPTERS)
    folders = [tmp_path_factory.mktemp("course") for _ in COURSES]
    with ThreadPoolExecutor(len(COURSES)) as pool:
        results = list(pool.map(grade_course, folders, [sorted(names) for names in COURSES]))
    scores = {key: value for result in results for key, value in sorted(result.items())}
    where = {name: folder for folder, names in zip(folders, COURSES) for name in names}
    print("\nnbgrader scores (autograded points / maximum; written answers awaiting a grader):")
    for (name, student), s in scores.items():
        print(f"  {name:26} {student:8} {s['auto']:g}/{s['auto_max']:g}  written: {s['manual_pending']} of "
              f"{s['manual_cells']} to grade  (autograde of the three: {s['autograde_seconds']:.0f} s)")
    return where, scores


def test_configuration_covers_the_slowest_cell(course):
    for folder in course[0].values():
        assert f"c.Execute.timeout = {NBGRADER_CELL_TIMEOUT}" in (folder / "nbgrader_config.py").read_text()


@pytest.mark.parametrize("name", CHAPTERS)
def test_release_has_no_solution_text(course, name):
    folder = course[0][name]
    chapter = read_chapter(chapter_sources()[CHAPTERS.index(name)])
    release = nbformat.read(folder / "release" / name / f"{name}.ipynb", 4)
    released = "\n".join(cell.source + json.dumps(dict(cell.metadata), ensure_ascii=False)
                         for cell in release.cells)
    assert "BEGIN HIDDEN TESTS" not in released and "grade_" not in released.replace("grade_id", "")
    # Every line of every solution that does not also appear outside the solutions.
    body = "\n".join(cell.source for cell in chapter.cells)
    for text in solution_texts(chapter):
        body = body.replace(text, "")
    lines = {line.strip() for text in solution_texts(chapter) for line in text.split("\n")}
    distinctive = [line for line in lines if len(line) >= 12 and line not in body]
    assert len(distinctive) >= 10, "too few solution lines to search for"
    leaked = [line for line in distinctive if line in released]
    assert not leaked, f"{name}: solution text in the release: {leaked[:3]}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_points_match_coursework(course, name):
    _, scores = course
    exercises = {label: e for label, e in coursework().items() if e["chapter"] == name}
    code = sum(e["points"] for e in exercises.values() if e["kind"] == "code")
    assert scores[name, "correct"]["auto_max"] == code
    assert scores[name, "correct"]["manual_cells"] == sum(e["kind"] == "pen and paper" for e in exercises.values())


@pytest.mark.parametrize("name", CHAPTERS)
def test_scores(course, name):
    _, scores = course
    correct, wrong, blank = (scores[name, student] for student in STUDENTS)
    assert correct["auto"] == correct["auto_max"] > 0, "the book's own solutions lose points"
    assert wrong["auto"] == 0, "a wrong answer earns points"
    assert blank["auto"] == 0 and blank["manual_auto"] == 0, "a blank submission earns points"
    # Written answers: a human grades the two students who wrote something; nbgrader scores an
    # unchanged answer cell zero by itself.
    assert correct["manual_pending"] == wrong["manual_pending"] == correct["manual_cells"]
    assert blank["manual_pending"] == 0


@pytest.mark.parametrize("name", CHAPTERS)
def test_feedback_written(course, name):
    folder = course[0][name]
    for student in STUDENTS:
        page = (folder / "feedback" / student / name / f"{name}.html").read_text(encoding="utf-8")
        assert "Score:" in page or "score" in page.lower()
    wrong = (folder / "feedback" / "wrong" / name / f"{name}.html").read_text(encoding="utf-8")
    assert "WrongAnswer" in wrong, "the wrong student's feedback shows the checks' hints"


def test_course_folder_is_not_in_the_student_edition():
    from tools.student_edition import INSTRUCTOR, STUDENT

    assert not INSTRUCTOR.is_relative_to(STUDENT) and not STUDENT.is_relative_to(INSTRUCTOR)
