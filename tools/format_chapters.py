"""Format the chapters' code to the width of the book's column: ``python -m tools.format_chapters``.

The text column of a page fits :data:`CODE_WIDTH` characters of code (at 1280 px), so every code
cell of ``book/NN_slug.md`` is formatted by ruff's formatter at that line length, in place; the
cells' options (the ``---`` header or ``:tags:`` line) are kept as they are. ruff does not split
long strings or comments: ``tests/book/test_lint.py`` fails on any line that is still too long,
and those are shortened by hand. ``--check`` reports the cells that would change, without writing.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from tools.book_files import ROOT, chapter_sources

#: Characters of code that fit the text column at 1280 px without scrolling sideways.
CODE_WIDTH = 76

CELL = re.compile(r"(```\{code-cell\} ipython3\n)(.*?)(^```$)", re.S | re.M)


def split_options(cell: str) -> tuple[str, str]:
    """A cell's options (YAML header or ``:key:`` lines, with the blank line after) and its code."""
    if cell.startswith("---\n"):
        end = cell.index("\n---\n", 4) + len("\n---\n")
        return cell[:end], cell[end:]
    lines = cell.split("\n")
    count = 0
    while count < len(lines) and lines[count].startswith(":"):
        count += 1
    if count and count < len(lines) and not lines[count].strip():
        count += 1
    return "\n".join(lines[:count]) + ("\n" if count else ""), "\n".join(lines[count:])


def format_code(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--line-length", str(CODE_WIDTH),
         "--config", str(ROOT / "pyproject.toml"), "-"],
        input=code, capture_output=True, text=True, check=True,
    )
    return result.stdout


def format_chapter(text: str) -> str:
    def one(match: re.Match) -> str:
        options, code = split_options(match.group(2))
        return match.group(1) + options + format_code(code) + match.group(3)

    return CELL.sub(one, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sources", nargs="*", type=Path, help="chapters (default: all)")
    parser.add_argument("--check", action="store_true", help="report, do not write")
    args = parser.parse_args()
    changed = []
    for source in args.sources or chapter_sources():
        text = source.read_text(encoding="utf-8")
        formatted = format_chapter(text)
        if formatted != text:
            changed.append(source)
            if not args.check:
                source.write_text(formatted, encoding="utf-8")
    verb = "would change" if args.check else "formatted"
    print(f"{verb}: {', '.join(str(path) for path in changed) or 'nothing'}")
    sys.exit(1 if args.check and changed else 0)


if __name__ == "__main__":
    main()
