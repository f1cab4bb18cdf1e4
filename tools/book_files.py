"""Where the book's pages, their golden notebooks and their executed forms are.

Read from ``_toc.yml`` so that no list is kept twice. Used by the tools in this folder and by
the tests of the book.

- A chapter's only source is ``book/NN_slug.md``, a MyST Markdown notebook (jupytext).
- Its golden notebook, ``tests/goldens/NN_slug.ipynb``, holds its code cells with their text
  and LaTeX outputs; ``tools/execute_notebooks.py`` writes it and nbval compares against it.
- The book build records every executed page, with all its outputs, in ``_build/.jupyter_cache``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
GOLDENS = ROOT / "tests" / "goldens"
CHAPTER_NAME = re.compile(r"\d\d_[a-z0-9_]+")


def toc_files() -> list[str]:
    """Every file named in ``_toc.yml`` (root first), as written there, without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def page_path(name: str) -> Path:
    """The source file of a table-of-contents entry."""
    candidate = ROOT / f"{name}.md"
    if not candidate.exists():
        raise FileNotFoundError(f"{name} is in _toc.yml but {name}.md does not exist")
    return candidate


def chapter_sources() -> list[Path]:
    """The chapters' MyST sources (``book/NN_slug.md``), in book order."""
    return [page_path(name) for name in toc_files() if CHAPTER_NAME.fullmatch(Path(name).name)]


def golden_path(source: Path) -> Path:
    """The golden notebook of a chapter source."""
    return GOLDENS / f"{Path(source).stem}.ipynb"


def read_chapter(source: Path):
    """A chapter source as an (unexecuted) notebook."""
    import jupytext

    return jupytext.read(source)
