"""Where the book's pages are: read from ``_toc.yml`` so that no list is kept twice.

Used by the tools in this folder and by the tests of the book.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


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
    """The source file of a table-of-contents entry (``.ipynb`` or ``.md``)."""
    for suffix in (".ipynb", ".md"):
        candidate = ROOT / f"{name}{suffix}"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} is in _toc.yml but has no .ipynb or .md file")


def chapter_notebooks() -> list[Path]:
    """The executable chapters, in book order."""
    return [page_path(name) for name in toc_files() if page_path(name).suffix == ".ipynb"]
