"""Lint with ruff (pinned in requirements.txt; rules in pyproject.toml): the library, the tools,
the tests, and the code of every chapter (read from its MyST source with jupytext)."""

from __future__ import annotations

import subprocess
import sys

import jupytext
import pytest

from tools.book_files import ROOT, chapter_sources, read_chapter

RUFF = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
        "--config", str(ROOT / "pyproject.toml")]


def test_library_tools_and_tests_pass_ruff():
    result = subprocess.run(RUFF + ["collapse_lib", "tools", "tests", "book/_ext"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("source", chapter_sources(), ids=lambda p: p.stem)
def test_chapter_code_passes_ruff(source, tmp_path):
    # A notebook imports where the reader first needs a module, so E402 does not apply to chapters.
    script = tmp_path / f"{source.stem}.py"
    jupytext.write(read_chapter(source), script, fmt="py:percent")
    result = subprocess.run(RUFF + ["--extend-ignore", "E402", str(script)], capture_output=True, text=True,
                            check=False)
    report = result.stdout.replace(str(script), f"{source.relative_to(ROOT)} (as a py:percent script)")
    assert result.returncode == 0, report[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("source", chapter_sources(), ids=lambda p: p.stem)
def test_chapter_code_is_formatted_to_the_column(source):
    """Code cells fit the page's column (CODE_WIDTH characters) and are as ruff formats them."""
    from tools.format_chapters import CODE_WIDTH, format_chapter, split_options

    text = source.read_text(encoding="utf-8")
    assert format_chapter(text) == text, f"{source.name}: run `python -m tools.format_chapters`"
    too_long = [
        line for cell in read_chapter(source).cells if cell.cell_type == "code"
        for line in split_options(cell.source)[1].splitlines() if len(line) > CODE_WIDTH
    ]
    assert not too_long, f"{source.name}: lines wider than the column ({CODE_WIDTH}): {too_long}"
