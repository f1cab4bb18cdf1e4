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
