"""The golden notebooks under ``tests/goldens``: what nbval compares every chapter against.

``pytest`` collects each golden with nbval, re-executes its code cells and compares their text
and LaTeX outputs. These tests make sure that what nbval runs is the chapter as it is today (a
golden whose code differs from its source is stale) and that the goldens stay small and stable.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.book_files import GOLDENS, ROOT, chapter_sources, golden_path, read_chapter
from tools.execute_notebooks import DROPPED_DATA, golden_of

CHAPTERS = chapter_sources()


def stale_message(source: Path) -> str:
    return f"golden stale: run python -m tools.execute_notebooks {source.relative_to(ROOT).as_posix()}"


def golden_problems(source: Path, golden: nbformat.NotebookNode) -> list[str]:
    """Why ``golden`` does not hold the code of ``source`` (empty when it does)."""
    code = [cell for cell in read_chapter(source).cells if cell.cell_type == "code"]
    problems = []
    if golden.metadata.get("golden_of") != source.relative_to(ROOT).as_posix():
        problems.append(f"it was stored from {golden.metadata.get('golden_of')!r}")
    if len(golden.cells) != len(code):
        problems.append(f"{len(golden.cells)} code cells, the source has {len(code)}")
    for index, (stored, current) in enumerate(zip(golden.cells, code)):
        if stored.source != current.source:
            problems.append(f"code cell {index} differs from the source")
        if stored.metadata.get("tags", []) != current.metadata.get("tags", []):
            problems.append(f"code cell {index} has other tags than the source")
    return problems


def test_every_chapter_has_a_golden_and_every_golden_a_chapter():
    expected = {golden_path(source).name for source in CHAPTERS}
    stored = {path.name for path in GOLDENS.glob("*.ipynb")}
    assert stored == expected, f"goldens without a chapter: {stored - expected}; missing: {expected - stored}"


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.stem)
def test_golden_holds_the_code_of_its_source(source):
    golden = nbformat.read(golden_path(source), 4)
    problems = golden_problems(source, golden)
    assert not problems, f"{stale_message(source)} ({'; '.join(problems[:3])})"


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.stem)
def test_golden_was_executed_in_order_and_holds_text_only(source):
    golden = nbformat.read(golden_path(source), 4)
    nbformat.validate(golden)
    assert all(cell.cell_type == "code" for cell in golden.cells)
    counts = [cell.execution_count for cell in golden.cells if cell.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), f"{stale_message(source)} (cells not run once, top to bottom)"
    assert [cell.id for cell in golden.cells] == [f"code-{i:03d}" for i in range(len(golden.cells))]
    outputs = [output for cell in golden.cells for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], f"{source.name}: the golden stores an error"
    assert not [key for o in outputs for key in o.get("data", {}) if key in DROPPED_DATA], "images in a golden"
    assert "widgets" not in golden.metadata
    # The outputs nbval compares must be there: a golden without outputs would make nbval vacuous.
    assert sum(bool(cell.outputs) for cell in golden.cells) >= len(golden.cells) // 3


def test_a_changed_source_makes_its_golden_stale():
    source = CHAPTERS[0]
    golden = nbformat.read(golden_path(source), 4)
    assert not golden_problems(source, golden)
    golden.cells[1].source += "\nprint('edited')"
    problems = golden_problems(source, golden)
    assert problems == ["code cell 1 differs from the source"]
    assert re.fullmatch(r"golden stale: run python -m tools\.execute_notebooks book/\d\d_\w+\.md", stale_message(source))


def test_golden_of_keeps_text_and_latex_and_drops_images():
    source = CHAPTERS[0]
    executed = nbformat.v4.new_notebook()
    executed.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("plot()", execution_count=1, metadata={"tags": ["hide-input"], "mystnb": {"x": 1}},
                                  outputs=[nbformat.v4.new_output("display_data", data={
                                      "image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 640x480 with 1 Axes>"})]),
        nbformat.v4.new_code_cell("show()", execution_count=2, outputs=[
            nbformat.v4.new_output("display_data", data={"text/latex": "$x$", "text/plain": "x"},
                                   metadata={"scrapbook": {"name": "n"}}),
            nbformat.v4.new_output("stream", name="stdout", text="0.5\n")]),
    ]
    golden = golden_of(executed, source)
    assert [cell.id for cell in golden.cells] == ["code-000", "code-001"]
    assert golden.cells[0].metadata == {"tags": ["hide-input"]}
    assert golden.cells[0].outputs[0].data == {"text/plain": "<Figure size 640x480 with 1 Axes>"}
    assert golden.cells[1].outputs[0].data == {"text/latex": "$x$", "text/plain": "x"}
    assert golden.cells[1].outputs[1].text == "0.5\n"
    nbformat.validate(golden)


def run_nbval(notebook: Path) -> subprocess.CompletedProcess:
    """Run nbval on one notebook with the project's settings, in a child pytest."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         f"--nbval-sanitize-with={ROOT / 'tests' / 'nbval_sanitize.cfg'}", "-c", "/dev/null",
         f"--rootdir={notebook.parent}", str(notebook)],
        capture_output=True, text=True, cwd=notebook.parent, check=False,
    )


def test_nbval_fails_a_changed_sympy_result_and_passes_the_stored_one(tmp_path):
    # The first cells of chapter 1 under nbval: as stored they pass; with one SymPy result changed
    # in the golden (as a changed derivation would change it) nbval fails that cell.
    source = CHAPTERS[0]
    golden = nbformat.read(golden_path(source), 4)
    first_latex = next(i for i, cell in enumerate(golden.cells)
                       if any("text/latex" in out.get("data", {}) for out in cell.outputs))
    golden.cells = golden.cells[: first_latex + 1]
    nbformat.write(golden, tmp_path / "as_stored.ipynb")
    passed = run_nbval(tmp_path / "as_stored.ipynb")
    assert passed.returncode == 0, passed.stdout[-2000:]

    output = next(out for out in golden.cells[first_latex].outputs if "text/latex" in out.get("data", {}))
    output.data["text/latex"] = output.data["text/latex"].replace("1", "2", 1) + " + 1"
    nbformat.write(golden, tmp_path / "changed.ipynb")
    failed = run_nbval(tmp_path / "changed.ipynb")
    assert failed.returncode == 1 and f"Cell {first_latex}" in failed.stdout and "text/latex" in failed.stdout, \
        failed.stdout[-2000:]
