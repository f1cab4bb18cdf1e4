"""Build the student edition: the book's HTML and notebooks with every solution removed.

    python -m tools.student_edition            # writes _build/student/{html,notebooks}

Generated from the same sources as the book (``book/NN_slug.md``), never kept as a second copy.
Each chapter is taken executed, with its figures: from the book build
(its execution cache)
when that holds the chapter's current code, otherwise by executing the source here. Then:

- every ``{solution}`` directive is removed from the Markdown, and every gated solution
  (``{solution-start}`` ... ``{solution-end}``, Markdown and code cells) is replaced by an empty
  code cell for the student's answer; the check cells that follow stay, so students can test
  their answers;
- the outputs of the exercise section are cleared (they would show the solutions' results);
- the downloadable notebooks have all outputs cleared, ready to run;
- ``nbgrader/source/`` holds each chapter as an nbgrader source assignment (solutions between
  ``### BEGIN SOLUTION`` markers, check cells as autograded tests), for courses that use nbgrader;
- the HTML is built from the stripped notebooks with the book's configuration, without
  re-executing them (the stored outputs of the chapter body are shown as they are).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

from tools.book_files import ROOT, chapter_sources, read_chapter
from tools.execute_notebooks import execute

EXECUTION_CACHE = ROOT / "_build" / ".jupyter_cache"
SOLUTION_BLOCK = re.compile(r"```\{solution\}[^\n]*\n.*?\n```[ \t]*\n?", re.DOTALL)
GATE_START = re.compile(r"```\{solution-start\}[^\n]*\n(?:[^\n]*\n)*?```[ \t]*\n?")
GATE_END = re.compile(r"```\{solution-end\}[^\n]*\n```[ \t]*\n?")
ANSWER_CELL = "# Your answer here: write the code the exercise asks for, then run the check cell below.\n"
EXERCISES_HEADING = re.compile(r"^## Exercises", re.MULTILINE)


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` without solutions (see the module documentation)."""
    student = nbformat.from_dict(nb)
    cells = []
    inside_gate = False
    in_exercises = False
    for cell in student.cells:
        if cell.cell_type == "markdown":
            text = SOLUTION_BLOCK.sub("", cell.source)
            kept = ""
            while text:
                if inside_gate:
                    end = GATE_END.search(text)
                    if not end:
                        text = ""  # solution prose inside the gate
                        break
                    inside_gate = False
                    text = text[end.end():]
                else:
                    start = GATE_START.search(text)
                    if not start:
                        kept += text
                        break
                    kept += text[: start.start()]
                    inside_gate = True
                    text = text[start.end():]
            if EXERCISES_HEADING.search(kept):
                in_exercises = True
            if kept.strip():
                cell.source = kept.rstrip() + "\n"
                cells.append(cell)
            if inside_gate and (not cells or cells[-1].get("metadata", {}).get("student_answer") is not True):
                answer = nbformat.v4.new_code_cell(ANSWER_CELL)
                answer.metadata["student_answer"] = True
                cells.append(answer)
            continue
        if inside_gate:
            continue  # solution code
        if in_exercises and cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    if inside_gate:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    student.cells = cells
    return student


def nbgrader_source(nb: nbformat.NotebookNode, chapter: str) -> nbformat.NotebookNode:
    """The chapter as an nbgrader *source* notebook (metadata schema 3).

    Each gated solution's code becomes a solution cell with its body between
    ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's ``generate_assignment`` replaces
    it by a stub for students), and the check cell that follows each code exercise becomes a
    locked, autograded test cell worth one point. Everything else is locked read-only content.
    """
    source = nbformat.from_dict(nb)
    inside_gate, awaiting_check, number = False, False, 0
    for index, cell in enumerate(source.cells):
        grade_id = f"{chapter}-cell-{index}"
        metadata = {"grade": False, "solution": False, "locked": True, "grade_id": grade_id, "schema_version": 3}
        if cell.cell_type == "markdown":
            for marker in re.findall(r"\{solution-(start|end)\}", cell.source):
                inside_gate = marker == "start"
                if marker == "end":
                    awaiting_check = True
        elif inside_gate:
            number += 1
            cell.source = f"### BEGIN SOLUTION\n{cell.source.rstrip()}\n### END SOLUTION\n"
            metadata.update(solution=True, locked=False, grade_id=f"{chapter}-answer-{number}")
            cell.outputs, cell.execution_count = [], None
        elif awaiting_check:
            metadata.update(grade=True, points=1, grade_id=f"{chapter}-check-{number}")
            awaiting_check = False
            cell.outputs, cell.execution_count = [], None
        cell.metadata["nbgrader"] = metadata
    return source


def clear_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cleared = nbformat.from_dict(nb)
    for cell in cleared.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return cleared


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


def build(output: Path, html: bool = True) -> None:
    output.mkdir(parents=True, exist_ok=True)
    notebooks_dir = output / "notebooks"
    notebooks_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "book-src"
        shutil.copytree(ROOT / "book", source / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
        shutil.copy(ROOT / "_toc.yml", source / "_toc.yml")
        for path in chapter_sources():
            executed = executed_chapter(path)
            notebook_name = f"{path.stem}.ipynb"
            student = strip_solutions(executed)
            (source / "book" / path.name).unlink()  # the student page is the stripped notebook
            nbformat.write(student, source / "book" / notebook_name)
            nbformat.write(clear_outputs(student), notebooks_dir / notebook_name)
            graded = output / "nbgrader" / "source" / path.stem
            graded.mkdir(parents=True, exist_ok=True)
            nbformat.write(nbgrader_source(executed, path.stem), graded / notebook_name)
        config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
        config["title"] = config["title"] + " (student edition)"
        config["execute"]["execute_notebooks"] = "off"  # show the stored outputs; the answers are the students'
        (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        if html:
            subprocess.run(
                [str(Path(sys.executable).parent / "jupyter-book"), "build", str(source), "-W", "-n", "--keep-going",
                 "--path-output", str(output)],
                check=True,
            )
            shutil.rmtree(output / "html", ignore_errors=True)
            (output / "_build" / "html").rename(output / "html")
            shutil.rmtree(output / "_build", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=ROOT / "_build" / "student")
    parser.add_argument("--notebooks-only", action="store_true", help="skip the HTML build")
    args = parser.parse_args(argv)
    build(args.output, html=not args.notebooks_only)
    print(f"student edition written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
