"""Build the teaching editions: the book without solutions for students, and an nbgrader course.

    python -m tools.student_edition            # everything below
    python -m tools.student_edition --notebooks-only   # skip the HTML builds

Generated from the same sources as the book (``book/NN_slug.md`` and ``book/coursework.yml``),
never kept as a second copy. Two folders, one to publish and one to keep:

``_build/student/`` (publish it: no solution text anywhere in it)
    ``html/``: the site without solutions and without launch buttons (Binder would open the
    full repository, solutions included); ``notebooks/``: one notebook per chapter, with every
    solution removed, an empty answer cell after each exercise (code or Markdown), the check
    cells kept and all outputs cleared.

``_build/instructor/`` (keep it private: it holds the solutions)
    ``nbgrader/``: an nbgrader course folder, with ``nbgrader_config.py`` (a cell timeout that
    covers the slowest chapter), ``source/<chapter>/`` (the chapter as an nbgrader source
    assignment: code solutions between ``### BEGIN SOLUTION`` markers, pen-and-paper solutions
    in manually graded answer cells, check cells as autograded tests with the exercise's hidden
    test between ``### BEGIN HIDDEN TESTS`` markers, points from ``book/coursework.yml``) and
    ``release/<chapter>/`` (what ``nbgrader generate_assignment`` makes of it: what students get).

How solutions are found: a pen-and-paper solution is a ``{solution}`` directive; a code
solution is everything between a ``{solution-start}`` and its ``{solution-end}`` (Markdown
and code cells), and the code cell right after the ``{solution-end}`` is the exercise's check
cell. Directives are found with the same Markdown parser MyST uses (markdown-it with colon
fences and dollar math), so backtick fences of any length, nested code and math blocks and
``:::`` colon fences are all handled.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from tools.book_files import ROOT, chapter_sources, read_chapter
from tools.execute_notebooks import execute

EXECUTION_CACHE = ROOT / "_build" / ".jupyter_cache"
COURSEWORK = ROOT / "book" / "coursework.yml"
STUDENT, INSTRUCTOR = ROOT / "_build" / "student", ROOT / "_build" / "instructor"
#: nbgrader's per-cell timeout in the shipped course configuration, in seconds. The slowest cell
#: of any chapter takes well under a minute on a 2-core machine (see the book's status page);
#: nbgrader's default of 30 s would fail chapter 5's experiment on a slow hub.
NBGRADER_CELL_TIMEOUT = 300

CODE_ANSWER = "# Your answer here: write the code the exercise asks for, then run the check cell below.\n"
TEXT_ANSWER = "**Your answer.** Replace this text with your answer (Markdown, with $\\LaTeX$ for mathematics).\n"
EXERCISES_HEADING = re.compile(r"^## Exercises", re.MULTILINE)
CHECK_CALL = re.compile(r"\bexercises\.check_(\w+)\(")
_MARKDOWN = MarkdownIt("commonmark").use(colon_fence_plugin).use(dollarmath_plugin)
_DIRECTIVE = re.compile(r"^\{(solution|solution-start|solution-end)\}\s*(\S*)")


def coursework() -> dict[str, dict]:
    """Every exercise of ``book/coursework.yml`` by label, with its chapter."""
    chapters = yaml.safe_load(COURSEWORK.read_text(encoding="utf-8"))["chapters"]
    return {label: {**entry, "chapter": chapter, "outcome_text": spec["outcomes"][entry["outcome"]]}
            for chapter, spec in chapters.items() for label, entry in spec["exercises"].items()}


# ------------------------------------------------------------------------------ reading the Markdown
@dataclass
class Segment:
    """A run of lines of a Markdown cell: plain text, or one solution directive."""

    kind: str  # "text", "solution", "solution-start" or "solution-end"
    text: str
    label: str = ""

    def body(self) -> str:
        """A directive's content, without its fences and its option lines (":class: dropdown")."""
        lines = self.text.rstrip("\n").split("\n")[1:-1]
        while lines and (lines[0].startswith(":") and not lines[0].startswith(":::") or not lines[0].strip()):
            lines = lines[1:]
        return "\n".join(lines).strip() + "\n"


def segments(markdown: str) -> list[Segment]:
    """``markdown`` cut into plain text and solution directives (of any fence form)."""
    lines = markdown.split("\n")
    blocks = []
    for token in _MARKDOWN.parse(markdown):
        if token.type in ("fence", "colon_fence") and token.map:
            match = _DIRECTIVE.match(token.info.strip())
            if match:
                blocks.append((token.map[0], token.map[1], match.group(1), match.group(2)))
    result, line = [], 0
    for start, end, kind, label in blocks:
        if start > line:
            result.append(Segment("text", "\n".join(lines[line:start]) + "\n"))
        result.append(Segment(kind, "\n".join(lines[start:end]) + "\n", label))
        line = end
    if line < len(lines):
        result.append(Segment("text", "\n".join(lines[line:])))
    return [segment for segment in result if segment.kind != "text" or segment.text.strip()]


def exercise_labels(nb) -> list[str]:
    """The labels of the chapter's exercises, in order."""
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    return re.findall(r"^:label: (ex-[\w-]+)", text, re.MULTILINE)


# ------------------------------------------------------------------------------ the student edition
def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solutions: each solution becomes an empty answer cell (code for a
    code exercise, Markdown for a pen-and-paper one), check cells stay, and the exercise
    section's outputs are cleared (they would show the solutions' results)."""
    student = nbformat.from_dict(nb)
    cells: list = []
    gate = None
    in_exercises = False

    def answer(kind: str, label: str):
        if kind == "code":
            cell = nbformat.v4.new_code_cell(CODE_ANSWER)
        else:
            cell = nbformat.v4.new_markdown_cell(TEXT_ANSWER)
            cell.metadata["tags"] = ["remove-cell"]  # a notebook's answer cell; the site does not show it
        cell.metadata["student_answer"] = label
        cells.append(cell)

    for cell in student.cells:
        if cell.cell_type != "markdown":
            if gate:
                continue  # solution code
            if in_exercises and cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            cells.append(cell)
            continue
        if EXERCISES_HEADING.search(cell.source):
            in_exercises = True
        kept = ""
        for segment in segments(cell.source):
            if segment.kind == "text":
                if not gate:
                    kept += segment.text
            elif segment.kind == "solution":
                if kept.strip():
                    cells.append(nbformat.v4.new_markdown_cell(kept.rstrip() + "\n"))
                    kept = ""
                answer("markdown", segment.label)
            elif segment.kind == "solution-start":
                gate = segment.label
            else:  # solution-end
                if not gate:
                    raise ValueError(f"a {{solution-end}} without a {{solution-start}} (after {segment.label!r})")
                if kept.strip():
                    cells.append(nbformat.v4.new_markdown_cell(kept.rstrip() + "\n"))
                    kept = ""
                answer("code", gate)
                gate = None
        if kept.strip():
            new = nbformat.from_dict(cell)
            new.source = kept.rstrip() + "\n"
            cells.append(new)
    if gate:
        raise ValueError(f"the {{solution-start}} of {gate} has no matching {{solution-end}}")
    student.cells = cells
    return student


def clear_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cleared = nbformat.from_dict(nb)
    for cell in cleared.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return cleared


# ------------------------------------------------------------------------------ the nbgrader source
def _as_comments(markdown: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in markdown.strip().split("\n")) + "\n"


def nbgrader_source(nb: nbformat.NotebookNode, chapter: str, points: dict[str, dict] | None = None
                    ) -> nbformat.NotebookNode:
    """The chapter as an nbgrader *source* notebook (cell metadata schema 3).

    - Each code exercise's solution (every code cell between its ``{solution-start}`` and
      ``{solution-end}``, with the solution's prose as comments) becomes one solution cell, its
      body between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; nbgrader replaces it by a stub
      for students. The solution cells' metadata (alt text states results) is not kept.
    - The check cell after it becomes a locked autograded test worth the exercise's points, with
      the hidden test (the ``grade_`` twin of the visible ``check_`` call, same arguments) between
      ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.
    - Each pen-and-paper solution becomes a manually graded Markdown answer cell holding the model
      solution (nbgrader replaces it by "YOUR ANSWER HERE" for students).
    - Everything else is locked, read-only content, restored from the source when grading.
    """
    points = coursework() if points is None else points
    source = nbformat.v4.new_notebook(metadata=nbformat.from_dict(nb.metadata))
    cells = source.cells
    counter = iter(range(10_000))

    def locked(cell):
        cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                     "grade_id": f"{chapter}-cell-{next(counter)}", "schema_version": 3}
        cells.append(cell)

    cells.append(nbformat.v4.new_markdown_cell(
        "**How to work on this assignment.** Write your code in the cells that say `YOUR CODE HERE` "
        "(delete the `raise NotImplementedError()` line) and your written answers in the cells that say "
        "`YOUR ANSWER HERE`. Run the check cell after each code exercise: it says what is wrong without "
        "giving the answer away. Hidden tests run the same comparisons, on more cases, when your work is "
        "graded. Do not delete or copy cells; run the whole notebook from the top before you submit."))
    locked(cells.pop())
    gate, gate_code, gate_prose, awaiting_check = None, [], [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            kept = ""
            for segment in segments(cell.source):
                if segment.kind == "text":
                    if gate:
                        gate_prose.append(segment.text)
                    else:
                        kept += segment.text
                elif segment.kind == "solution":
                    if kept.strip():
                        locked(nbformat.v4.new_markdown_cell(kept.rstrip() + "\n"))
                        kept = ""
                    label = segment.label
                    answer = nbformat.v4.new_markdown_cell(segment.body())
                    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False,
                                                   "points": points[label]["points"], "grade_id": f"{label}-answer",
                                                   "schema_version": 3}
                    cells.append(answer)
                elif segment.kind == "solution-start":
                    if kept.strip():
                        locked(nbformat.v4.new_markdown_cell(kept.rstrip() + "\n"))
                        kept = ""
                    gate, gate_code, gate_prose = segment.label, [], []
                else:  # solution-end
                    body = "\n".join(code.rstrip() for code in gate_code)
                    if gate_prose:
                        body += "\n\n" + _as_comments("\n".join(gate_prose))
                    solution = nbformat.v4.new_code_cell(f"### BEGIN SOLUTION\n{body.rstrip()}\n### END SOLUTION\n")
                    solution.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                                     "grade_id": f"{gate}-solution", "schema_version": 3}
                    cells.append(solution)
                    awaiting_check, gate = gate, None
            if kept.strip():
                new = nbformat.v4.new_markdown_cell(kept.rstrip() + "\n")
                locked(new)
        elif gate:
            gate_code.append(cell.source)
        elif awaiting_check and cell.cell_type == "code":
            calls = CHECK_CALL.findall(cell.source)
            if len(calls) != 1:
                raise ValueError(f"{awaiting_check}: the cell after the solution must call one exercises.check_*")
            hidden = CHECK_CALL.sub(lambda m: f"exercises.grade_{m.group(1)}(", cell.source.rstrip())
            test = nbformat.v4.new_code_cell(
                f"{cell.source.rstrip()}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS\n")
            test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                         "points": points[awaiting_check]["points"],
                                         "grade_id": f"{awaiting_check}-check", "schema_version": 3}
            cells.append(test)
            awaiting_check = None
        else:
            new = nbformat.v4.new_code_cell(cell.source, metadata=nbformat.from_dict(cell.metadata))
            locked(new)
    if gate:
        raise ValueError(f"the {{solution-start}} of {gate} has no matching {{solution-end}}")
    return source


def solution_texts(nb: nbformat.NotebookNode) -> list[str]:
    """Every solution's text in the chapter (pen-and-paper solutions, code solutions and their prose,
    and the metadata of solution cells), for searching a release for leaks."""
    texts, gate = [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for segment in segments(cell.source):
                if segment.kind == "solution":
                    texts.append(segment.body())
                elif segment.kind == "solution-start":
                    gate = segment.label
                elif segment.kind == "solution-end":
                    gate = None
                elif gate:
                    texts.append(segment.text)
        elif gate:
            texts.append(cell.source)
            texts.append(json.dumps(dict(cell.metadata), ensure_ascii=False))
    return texts


def write_nbgrader_course(course: Path, chapters: dict[str, nbformat.NotebookNode], *, release: bool = True) -> None:
    """Write an nbgrader course folder: configuration, source assignments and (by running nbgrader's
    ``generate_assignment``) the release."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        '"""nbgrader configuration of the model-collapse course (written by tools/student_edition.py)."""\n'
        "c = get_config()  # noqa: F821 (nbgrader provides it)\n"
        'c.CourseDirectory.course_id = "model-collapse"\n'
        "# The slowest chapter cell takes well under a minute on a 2-core machine; nbgrader's default\n"
        "# of 30 s would fail it, and every later cell with it.\n"
        f"c.Execute.timeout = {NBGRADER_CELL_TIMEOUT}\n"
        "# Students' outputs can be large (explorers, figures); keep the feedback readable.\n"
        "c.LimitOutput.max_lines = 200\n", encoding="utf-8")
    points = coursework()
    for name, nb in chapters.items():
        folder = course / "source" / name
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_source(nb, name, points), folder / f"{name}.ipynb")
        if release:
            nbgrader(course, "generate_assignment", name, "--force")


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course folder (failing loudly)."""
    command = [str(Path(sys.executable).parent / "nbgrader"), *args]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


# ------------------------------------------------------------------------------ the answer key
_ROLE = re.compile(r"\{(ref|numref|prf:ref|doc|eq)\}`([^`]+)`")


def reference_texts(html: Path) -> dict[str, str]:
    """What a reader sees for each label of the built book ("Figure 4.1", "Theorem 2.1 (...)", a
    section's title), read from its HTML: the answer key names what the exercises refer to."""
    from bs4 import BeautifulSoup

    texts = {}
    for page in sorted((html / "book").glob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for element in soup.find_all(id=True):
            label = element["id"]
            number = element.select_one(".caption-number")
            title = element.select_one(".admonition-title")
            if element.name == "figure" and number:
                texts[label] = number.get_text(strip=True).replace("Fig.", "Figure")
            elif title and "proof" in (element.get("class") or []):
                texts[label] = title.get_text(" ", strip=True)
            elif element.name in ("span", "section"):
                heading = element.find_next(["h1", "h2", "h3", "h4"])
                if heading is not None:
                    texts.setdefault(label, "“" + heading.get_text(" ", strip=True).rstrip("#").strip() + "”")
    return texts


def _plain_references(markdown: str, texts: dict[str, str]) -> str:
    """Cross-references to the book become what the book shows for them (the key is a separate site)."""
    def replace(match):
        target = match.group(2)
        explicit = re.fullmatch(r"(.+?)\s*<([^>]+)>", target)
        if explicit:
            return explicit.group(1)
        return f"{texts.get(target, target)} of the book"
    return _ROLE.sub(replace, markdown)


def _rubric_admonition(entry: dict) -> str:
    lines = [f"```{{admonition}} Grading: {entry['points']} points, about {entry['minutes']} minutes",
             ":class: note", "", f"Outcome: students can {entry['outcome_text']}.", ""]
    if entry["kind"] == "code":
        lines.append("Graded automatically by the check cell after the solution: its visible check and, under "
                     "nbgrader, its hidden test. Full points if both pass, none otherwise.")
    else:
        lines.extend(f"- **{line.split(':', 1)[0]} pt**:{line.split(':', 1)[1]}" for line in entry["rubric"])
    return "\n".join(lines + ["```", ""])


def answer_key_notebook(executed: nbformat.NotebookNode, title: str, points: dict[str, dict],
                        texts: dict[str, str]) -> nbformat.NotebookNode:
    """The chapter's exercise section with every solution shown (not folded), the executed outputs
    of the code solutions and checks, and each exercise's points, time, outcome and rubric."""
    key = nbformat.v4.new_notebook(metadata=nbformat.from_dict(executed.metadata))
    inside = last = False
    for cell in executed.cells:
        source = cell.source
        if cell.cell_type == "markdown":
            if not inside and EXERCISES_HEADING.search(source):
                inside, source = True, f"# {title}\n\n" + source[EXERCISES_HEADING.search(source).end():]
            if inside and "## Key takeaways" in source:
                last, source = True, source[:source.index("## Key takeaways")]
        if not inside:
            continue
        if cell.cell_type == "markdown":
            text = ""
            for segment in segments(source):
                if segment.kind == "text":
                    text += segment.text
                    continue
                body = segment.text.replace(":class: dropdown\n", "")
                text += body
                if segment.kind in ("solution", "solution-end"):
                    label = segment.label if segment.kind == "solution" else None
                    text += "\n" + _rubric_admonition(points[label]) if label else ""
            if text.strip():
                key.cells.append(nbformat.v4.new_markdown_cell(_plain_references(text, texts)))
            if last:
                break
        else:
            key.cells.append(nbformat.from_dict(cell))
    # A code exercise's grading note goes after its check cell: the cell after {solution-end}.
    labelled, gate = [], None
    for cell in key.cells:
        labelled.append(cell)
        if cell.cell_type == "markdown":
            for segment in segments(cell.source):
                if segment.kind == "solution-start":
                    gate = segment.label
        elif gate and CHECK_CALL.search(cell.source):
            labelled.append(nbformat.v4.new_markdown_cell(_rubric_admonition(points[gate])))
            gate = None
    key.cells = labelled
    return key


def chapter_title(nb: nbformat.NotebookNode) -> str:
    """The chapter's title: its first level-1 heading."""
    for cell in nb.cells:
        found = re.search(r"^# (.+)$", cell.source, re.MULTILINE) if cell.cell_type == "markdown" else None
        if found:
            return found.group(1).strip()
    raise ValueError("the chapter has no title")


def build_answer_key(output: Path) -> None:
    """The answer key for teaching assistants, as a small website: every chapter's exercises with
    their solutions (and the code solutions' outputs), points, times, outcomes and rubrics."""
    texts = reference_texts(ROOT / "_build" / "html")
    points = coursework()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "answer-key"
        (project / "book").mkdir(parents=True)
        for folder in ("_ext", "_static"):
            shutil.copytree(ROOT / "book" / folder, project / "book" / folder)
        for name in ("references.bib", "bibliography.md"):
            shutil.copy(ROOT / "book" / name, project / "book" / name)
        pages = []
        for path in chapter_sources():
            executed = executed_chapter(path)
            title = chapter_title(executed)
            nbformat.write(answer_key_notebook(executed, title, points, texts),
                           project / "book" / f"{path.stem}.ipynb")
            pages.append(f"book/{path.stem}")
        total = sum(entry["points"] for entry in points.values())
        (project / "book" / "index.md").write_text(
            "# Answer key\n\nFor teaching assistants: every exercise of the book with its model solution, its "
            "points, the time a student needs and the learning outcome it assesses, and, for the pen-and-paper "
            "exercises, a rubric. Code exercises are graded by their check cells (the outputs shown are the "
            f"book's solutions passing them). {len(points)} exercises, {total} points in all. Generated by "
            "`python -m tools.student_edition` from the chapters and `book/coursework.yml`; do not publish it "
            "to students.\n", encoding="utf-8")
        # Numbered like the book, so that its Exercise 2.1 is the key's Exercise 2.1.
        toc = {"format": "jb-book", "root": "book/index",
               "parts": [{"caption": "Chapters", "numbered": True, "chapters": [{"file": page} for page in pages]},
                         {"caption": "Appendix", "chapters": [{"file": "book/bibliography"}]}]}
        (project / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
        config = student_config()
        config["title"] = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"] + ": answer key"
        (project / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(project), "-W", "-n",
                        "--keep-going", "--path-output", str(output)], check=True)
        shutil.rmtree(output / "html", ignore_errors=True)
        (output / "_build" / "html").rename(output / "html")
        shutil.rmtree(output / "_build", ignore_errors=True)


# ------------------------------------------------------------------------------ the slides
_FENCE_INFO = re.compile(r"^\{(prf:\w+|admonition)\}\s*(.*)$")
_GLUE = re.compile(r"\{glue(?::text|:)?\}`([\w]+)(?::([^`]+))?`")
_CITE = re.compile(r"\{cite:([tp])\}`([^`]+)`")
SLIDE_KINDS = {"prf:definition": "Definition", "prf:theorem": "Theorem", "prf:proposition": "Proposition",
               "prf:lemma": "Lemma", "prf:corollary": "Corollary"}


def glued_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """The values a chapter glues (``myst_nb.glue``), as their text, by name."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                values[name] = text
    return values


def citation_texts() -> dict[str, tuple[str, str]]:
    """(authors in author-year form, year) of every entry of references.bib."""
    from pybtex.database import parse_file

    texts = {}
    for key, entry in parse_file(str(ROOT / "book" / "references.bib")).entries.items():
        people = entry.persons.get("author", [])
        names = [" ".join(person.last_names).replace("{", "").replace("}", "") for person in people]
        authors = names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else f"{names[0]} et al."
        texts[key] = (authors, entry.fields.get("year", ""))
    return texts


def plain_text(markdown: str, texts: dict[str, str], glued: dict[str, str], cites: dict[str, tuple[str, str]]
               ) -> str:
    """A chapter's Markdown with what only the book can resolve made plain: glued numbers (formatted
    as the chapter formats them), citations (author and year) and cross-references."""
    def glue(match):
        value, spec = glued.get(match.group(1)), match.group(2)
        if value is None:
            return match.group(0)
        try:
            return format(float(value), spec) if spec else value
        except ValueError:
            return value

    def cite(match):
        works = [cites.get(key.strip(), (key.strip(), "")) for key in match.group(2).split(",")]
        if match.group(1) == "t":
            return "; ".join(f"{authors} ({year})" for authors, year in works)
        return "(" + "; ".join(f"{authors}, {year}" for authors, year in works) + ")"

    return _plain_references(_CITE.sub(cite, _GLUE.sub(glue, markdown)), texts)


def _fence_blocks(markdown: str):
    """(directive, argument, body) of every top-level directive fence in ``markdown``."""
    lines = markdown.split("\n")
    for token in _MARKDOWN.parse(markdown):
        match = _FENCE_INFO.match(token.info.strip()) if token.type in ("fence", "colon_fence") else None
        if match and token.map:
            body = [line for line in lines[token.map[0] + 1:token.map[1] - 1] if not re.match(r"^:\w[\w-]*:", line)]
            yield match.group(1), match.group(2).strip(), "\n".join(body).strip()


def slides_markdown(executed: nbformat.NotebookNode, number: int, figures: Path, texts: dict[str, str],
                    cites: dict) -> str:
    """A short reveal.js deck of one chapter, in MyST for sphinx-revealjs: the title and learning goals,
    every definition and theorem, every captioned figure (from the executed outputs), and the key
    takeaways, in the chapter's order."""
    glued = glued_values(executed)
    title = chapter_title(executed)
    slides = [f"# {number}. {title}\n\n*Model collapse: an executable textbook*\n"]
    figure_number = 0
    for cell in executed.cells:
        if cell.cell_type == "markdown":
            for directive, argument, body in _fence_blocks(cell.source):
                if directive == "admonition" and argument == "Learning goals":
                    slides.append(f"## Learning goals\n\n{body}\n")
                elif directive in SLIDE_KINDS:
                    slides.append(f"## {SLIDE_KINDS[directive]}: {argument}\n\n{body}\n")
            if "## Key takeaways" in cell.source:
                takeaways = cell.source.split("## Key takeaways", 1)[1].split("## References", 1)[0]
                slides.append(f"## Key takeaways\n\n{takeaways.strip()}\n")
        else:
            caption = cell.metadata.get("mystnb", {}).get("figure", {}).get("caption")
            images = [output["data"] for output in cell.get("outputs", [])
                      if {"image/svg+xml", "image/png"} & set(output.get("data", {}))]
            if not caption or not images:
                continue
            figure_number += 1
            if "image/svg+xml" in images[0]:  # the book's figures are SVG
                name = f"{number:02d}-figure-{figure_number}.svg"
                (figures / name).write_text(images[0]["image/svg+xml"], encoding="utf-8")
            else:
                name = f"{number:02d}-figure-{figure_number}.png"
                (figures / name).write_bytes(base64.b64decode(images[0]["image/png"]))
            first_sentence = re.split(r"(?<=[.!?])\s", caption.strip(), maxsplit=1)[0]
            slides.append(f"## Figure {number}.{figure_number}\n\n```{{image}} figures/{name}\n:height: 480px\n"
                          f":alt: {first_sentence.replace(chr(10), ' ')}\n```\n\n{first_sentence}\n")
    return plain_text("\n".join(slides), texts, glued, cites)


def build_slides(output: Path) -> None:
    """One reveal.js deck per chapter (sphinx-revealjs, which ships reveal.js), with MathJax from the
    local copy: the slides work offline, in a lecture hall without network."""
    from tools.site_browser import mathjax_directory

    texts, cites = reference_texts(ROOT / "_build" / "html"), citation_texts()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "slides"
        (project / "figures").mkdir(parents=True)
        mathjax = project / "_static" / "mathjax"
        (mathjax / "output" / "chtml").mkdir(parents=True)
        shutil.copy(mathjax_directory() / "es5" / "tex-mml-chtml.js", mathjax)
        shutil.copytree(mathjax_directory() / "es5" / "output" / "chtml" / "fonts", mathjax / "output" / "chtml" / "fonts")
        names = []
        for number, path in enumerate(chapter_sources(), start=1):
            text = slides_markdown(executed_chapter(path), number, project / "figures", texts, cites)
            (project / f"{path.stem}.md").write_text(text, encoding="utf-8")
            names.append(path.stem)
        (project / "index.md").write_text(
            "# Model collapse: slides\n\n```{toctree}\n:maxdepth: 1\n\n" + "\n".join(names) + "\n```\n", encoding="utf-8")
        (project / "conf.py").write_text(
            '"""Slides of the model-collapse book (written by tools/student_edition.py)."""\n'
            'project = "Model collapse: slides"\n'
            'extensions = ["myst_parser", "sphinx_revealjs"]\n'
            'myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]\n'
            'html_static_path = ["_static"]\n'
            'revealjs_static_path = ["_static"]\n'
            'mathjax_path = "mathjax/tex-mml-chtml.js"\n'
            'revealjs_style_theme = "white"\n'
            'revealjs_script_conf = {"controls": True, "progress": True, "slideNumber": True, "hash": True,\n'
            '                        "width": 1280, "height": 800}\n', encoding="utf-8")
        subprocess.run([sys.executable, "-m", "sphinx", "-b", "revealjs", "-W", "--keep-going", "-q", str(project),
                        str(output)], check=True)


# ------------------------------------------------------------------------------ building
def executed_chapter(source: Path) -> nbformat.NotebookNode:
    """The chapter executed with all its outputs (glued values too): from the book build's execution
    cache when it holds the current source, else from a fresh run."""
    if EXECUTION_CACHE.exists():
        from jupyter_cache import get_cache

        try:
            _, nb = get_cache(EXECUTION_CACHE).merge_match_into_notebook(read_chapter(source))
            return nb
        except KeyError:
            pass  # the build has not executed this version of the chapter
    nb, _ = execute(source)
    return nb


def student_config() -> dict:
    """The book's configuration for the student site: its own title, no execution, and no launch or
    repository buttons (they would open the full repository, solutions included)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = config["title"] + " (student edition)"
    config["execute"]["execute_notebooks"] = "off"  # show the stored outputs; the answers are the students'
    config.pop("launch_buttons", None)
    config["launch_buttons"] = {"binderhub_url": "", "jupyterhub_url": "", "thebe": False, "colab_url": ""}
    for button in ("use_repository_button", "use_issues_button", "use_edit_page_button"):
        config["html"][button] = False
    return config


def build_student(output: Path, html: bool = True) -> None:
    output.mkdir(parents=True, exist_ok=True)
    notebooks_dir = output / "notebooks"
    notebooks_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "book-src"
        shutil.copytree(ROOT / "book", source / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
        shutil.copy(ROOT / "_toc.yml", source / "_toc.yml")
        for path in chapter_sources():
            student = strip_solutions(executed_chapter(path))
            (source / "book" / path.name).unlink()  # the student page is the stripped notebook
            nbformat.write(student, source / "book" / f"{path.stem}.ipynb")
            nbformat.write(clear_outputs(student), notebooks_dir / f"{path.stem}.ipynb")
        # The instructors' page keeps its points and times, but not the rubrics: they state answers.
        plan = yaml.safe_load(COURSEWORK.read_text(encoding="utf-8"))
        for spec in plan["chapters"].values():
            for entry in spec["exercises"].values():
                entry.pop("rubric", None)
        (source / "book" / "coursework.yml").write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
        (source / "_config.yml").write_text(yaml.safe_dump(student_config(), sort_keys=False), encoding="utf-8")
        if html:
            subprocess.run(
                [str(Path(sys.executable).parent / "jupyter-book"), "build", str(source), "-W", "-n", "--keep-going",
                 "--path-output", str(output)],
                check=True,
            )
            shutil.rmtree(output / "html", ignore_errors=True)
            (output / "_build" / "html").rename(output / "html")
            shutil.rmtree(output / "_build", ignore_errors=True)


def build_instructor(output: Path, html: bool = True) -> None:
    chapters = {path.stem: read_chapter(path) for path in chapter_sources()}
    write_nbgrader_course(output / "nbgrader", chapters)
    if html:
        build_answer_key(output / "answer-key")
        build_slides(output / "slides")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--student", type=Path, default=STUDENT, help="the student edition (to publish)")
    parser.add_argument("--instructor", type=Path, default=INSTRUCTOR, help="the instructor's material (private)")
    parser.add_argument("--notebooks-only", action="store_true", help="skip the HTML builds")
    args = parser.parse_args(argv)
    build_student(args.student, html=not args.notebooks_only)
    build_instructor(args.instructor, html=not args.notebooks_only)
    print(f"student edition (publish): {args.student}\ninstructor's material (keep private): {args.instructor}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
