"""Find numbers typed in a chapter's prose that its code computes and prints.

A number the code produces must reach the prose through myst-nb's ``glue`` (``{glue:text}``),
so that the text always says what the code does today. This module lists the suspects: numbers
in the Markdown (text, math, alt text and captions) that match a number printed in the chapter's
golden outputs, and that are not literals in its code (a parameter chosen by the author, such as
M = 1000, is typed on purpose in both places).

    python -m tools.prose_numbers            # every chapter: the suspects, with their context
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from tools.book_files import chapter_sources, golden_path, read_chapter

NUMBER = re.compile(r"(?<![\w.\\{-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w}])")
GLUE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
LABEL = re.compile(r"\{(?:ref|numref|eq|cite:[tp]|cite|prf:ref|doc|download)\}`[^`]*`|\(\w[\w-]*\)=|:label: \S+"
                   r"|\{\{[^}]*\}\}|\b(?:Theorem|Lemma|Section|Figure|Table|Eq\.|Equation|Algorithm) \d+(?:\.\d+)*")
YEAR = range(1900, 2031)


def numbers_in(text: str) -> list[tuple[str, int]]:
    """Candidate result numbers in ``text`` with their positions: decimals, and integers of 100 or more."""
    found = []
    for match in NUMBER.finditer(text):
        whole, decimals = match.group(1), match.group(2) or ""
        value = float(whole.replace(",", "") + decimals)
        if not decimals and (value < 100 or value in YEAR):
            continue
        found.append((match.group(0), match.start()))
    return found


def prose_of(nb) -> str:
    """The Markdown of a chapter and the alt text and captions of its figures, without glue and labels."""
    parts = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    for cell in nb.cells:
        mystnb = cell.metadata.get("mystnb", {})
        parts.append(json.dumps(mystnb.get("image", {}).get("alt", "")))
        parts.append(json.dumps(mystnb.get("figure", {}).get("caption", "")))
    text = "\n".join(parts)
    return LABEL.sub(" ", GLUE.sub(" ", text))


def output_numbers(golden) -> list[str]:
    texts = []
    for cell in golden.cells:
        for output in cell.outputs:
            texts.append(output.get("text", ""))
            for key in ("text/plain", "text/latex", "text/markdown"):
                texts.append(output.get("data", {}).get(key, ""))
    return [number for number, _ in numbers_in("\n".join(texts))]


def code_literals(nb) -> set[float]:
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    literals = set()
    for match in re.finditer(r"(?<![\w.])(\d[\d_]*)(\.\d+)?(?:e(-?\d+))?", code):
        literals.add(float(match.group(1).replace("_", "") + (match.group(2) or "") + (f"e{match.group(3)}" if match.group(3) else "")))
    return literals


def matches(typed: str, printed: str) -> bool:
    """Whether ``typed`` is ``printed`` as written or rounded to the typed number's decimals."""
    typed_value = float(typed.replace(",", ""))
    printed_value = float(printed.replace(",", ""))
    decimals = len(typed.split(".")[1]) if "." in typed else 0
    printed_decimals = len(printed.split(".")[1]) if "." in printed else 0
    return printed_decimals >= decimals and round(printed_value, decimals) == typed_value


def suspects(source: Path) -> list[tuple[str, str]]:
    """(number, context) for every typed number in the prose that the chapter's outputs print."""
    nb = read_chapter(source)
    text = prose_of(nb)
    printed = set(output_numbers(nbformat.read(golden_path(source), 4)))
    literals = code_literals(nb)
    found = []
    for number, position in numbers_in(text):
        if float(number.replace(",", "")) in literals:
            continue
        if any(matches(number, value) for value in printed):
            context = text[max(0, position - 60): position + 40].replace("\n", " ")
            found.append((number, context))
    return found


def main() -> int:
    total = 0
    for source in chapter_sources():
        for number, context in suspects(source):
            total += 1
            print(f"{source.name}: {number!r} in ...{context}...")
    print(f"{total} typed numbers that the code prints")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
