"""The page "For instructors" shows the coursework tables from ``book/coursework.yml``.

Points, times, outcomes and rubrics are kept once, in ``book/coursework.yml``, which the nbgrader
course (``tools/student_edition.py``) also reads. On the page, the line
``<!-- coursework: summary -->`` becomes a table of each chapter's exercises, points and time,
and ``<!-- coursework: exercises -->`` one table per chapter (each exercise with its kind, points,
time and learning outcome) followed by the rubrics of its pen-and-paper exercises.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

COURSEWORK = Path(__file__).resolve().parents[1] / "coursework.yml"


def _chapters() -> dict:
    return yaml.safe_load(COURSEWORK.read_text(encoding="utf-8"))["chapters"]


def _chapter_file(chapter: str) -> Path:
    markdown = COURSEWORK.parent / f"{chapter}.md"
    return markdown if markdown.exists() else markdown.with_suffix(".ipynb")


def _titles(chapter: str) -> tuple[str, dict[str, str]]:
    """The chapter's title, and its exercises' titles by label, read from its source."""
    source = _chapter_file(chapter)
    text = source.read_text(encoding="utf-8")
    if source.suffix == ".ipynb":  # the student edition's pages are notebooks
        text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"] if cell["cell_type"] == "markdown")
    title = re.search(r"^# (.+)$", text, re.MULTILINE).group(1).strip()
    exercises = dict((label, name.strip().removesuffix(" (code)")) for name, label in
                     re.findall(r"^[`:]{3,}\{exercise\}(.*)\n:label: (ex-[\w-]+)", text, re.MULTILINE))
    return title, exercises


def summary_table() -> str:
    rows = ["| Chapter | Exercises (code) | Points (autograded) | Student time |", "| --- | --- | --- | --- |"]
    for chapter, spec in _chapters().items():
        exercises = spec["exercises"].values()
        code = [e for e in exercises if e["kind"] == "code"]
        minutes = sum(e["minutes"] for e in exercises)
        rows.append(f"| {{doc}}`{chapter}` | {len(exercises)} ({len(code)}) | {sum(e['points'] for e in exercises)} "
                    f"({sum(e['points'] for e in code)}) | {minutes // 60} h {minutes % 60:02d} min |")
    return "\n".join(rows) + "\n"


def exercise_tables() -> str:
    parts = []
    for number, (chapter, spec) in enumerate(_chapters().items(), start=1):
        title, names = _titles(chapter)
        parts.append(f"### Chapter {number}: {title}\n")
        parts.append("| Exercise | Kind | Points | Minutes | Outcome: students can |\n| --- | --- | --- | --- | --- |")
        for label, e in spec["exercises"].items():
            parts.append(f"| {{ref}}`{names[label]} <{label}>` | {e['kind']} | {e['points']} | {e['minutes']} | "
                         f"{spec['outcomes'][e['outcome']]} |")
        rubrics = [(label, e) for label, e in spec["exercises"].items() if e.get("rubric")]
        if rubrics:
            parts.append("\n```{dropdown} Rubrics of the pen-and-paper exercises\n")
            for label, e in rubrics:
                parts.append(f"**{{ref}}`{names[label]} <{label}>`** ({e['points']} points)\n")
                parts.extend(f"- {line.split(':', 1)[0]} point{'s' if line.split(':', 1)[0].strip() != '1' else ''}:"
                             f"{line.split(':', 1)[1]}" for line in e["rubric"])
                parts.append("")
            parts.append("```")
        parts.append("")
    return "\n".join(parts) + "\n"


def insert_tables(app, docname, source) -> None:
    if "<!-- coursework:" not in source[0]:
        return
    # Rebuild the page when the tables' sources change: the file, this extension, the chapters.
    for dependency in (COURSEWORK, Path(__file__), *(_chapter_file(c) for c in _chapters())):
        app.env.note_dependency(str(dependency))
    source[0] = (source[0].replace("<!-- coursework: summary -->", summary_table())
                 .replace("<!-- coursework: exercises -->", exercise_tables()))


def setup(app):
    app.connect("source-read", insert_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
