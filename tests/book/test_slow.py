"""Slow tests of the whole setup, run in CI (CI=true) or when BOOK_SLOW_TESTS=1.

- A fresh virtual environment made from requirements.txt (what Binder and a reader install)
  opens a chapter's MyST source as a notebook (jupytext) and executes it.
- The external links of the built book resolve (only with BOOK_LINKCHECK=1, where there is
  network: the build machines here reach package registries only).
"""

from __future__ import annotations

import os
import subprocess
import venv

import pytest

from tools.book_files import ROOT, chapter_sources

SLOW = os.environ.get("CI", "").lower() == "true" or os.environ.get("BOOK_SLOW_TESTS") == "1"
slow = pytest.mark.skipif(not SLOW, reason="slow: runs in CI, or set BOOK_SLOW_TESTS=1")


@slow
def test_fresh_environment_from_requirements_executes_a_chapter(tmp_path):
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"], cwd=ROOT, check=True)
    chapter = chapter_sources()[0]
    script = (
        "import jupytext, sys\n"
        "from nbclient import NotebookClient\n"
        "nb = jupytext.read(sys.argv[1])\n"
        "NotebookClient(nb, timeout=300, kernel_name='python3',"
        " resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        "import collapse_lib, os; print('collapse_lib from', os.path.dirname(collapse_lib.__file__))\n"
    )
    result = subprocess.run([str(python), "-c", script, str(chapter), str(chapter.parent)], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert str(ROOT / "collapse_lib") in result.stdout  # the editable install of the checkout


@pytest.mark.skipif(os.environ.get("BOOK_LINKCHECK") != "1",
                    reason="external link check needs network: set BOOK_LINKCHECK=1 where there is")
def test_external_links_resolve(tmp_path):
    result = subprocess.run(["jupyter-book", "build", str(ROOT), "--builder", "linkcheck", "--path-output",
                             str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
