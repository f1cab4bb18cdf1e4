"""Tests of the book's sources: table of contents, chapter anatomy, notebooks, citations.

These read files only; executing the chapters is nbval's job (``pytest`` collects
``book/*.ipynb``), and the built pages are tested in ``test_pages.py``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from book_files import chapter_notebooks, page_path, toc_files  # noqa: E402

CHAPTERS = chapter_notebooks()
# The sections every chapter has, in this order (DEVELOPERS.md, "Every chapter has the same anatomy").
ANATOMY = [
    ("learning goals", r"\{admonition\} Learning goals"),
    ("derivation", r"^## Derivation"),
    ("reproduction", r"^## Reproduction"),
    ("theory against simulation", r"^## Theory against simulation"),
    ("explore", r"^## Explore"),
    ("exercises", r"^## Exercises"),
    ("key takeaways", r"^## Key takeaways"),
    ("references", r"^## References"),
]


def markdown_of(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def code_of(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def all_book_text() -> str:
    texts = [markdown_of(nbformat.read(path, 4)) for path in CHAPTERS]
    texts += [path.read_text(encoding="utf-8") for path in (ROOT / "book").glob("*.md")]
    return "\n".join(texts)


def test_toc_lists_every_page_and_nothing_else():
    listed = {page_path(name).resolve() for name in toc_files()}
    on_disk = {p.resolve() for p in (ROOT / "book").glob("*.ipynb")} | {p.resolve() for p in (ROOT / "book").glob("*.md")}
    assert listed == on_disk, f"not in _toc.yml: {on_disk - listed}; missing files: {listed - on_disk}"


def test_chapter_slugs_are_numbered_and_ordered():
    stems = [path.stem for path in CHAPTERS]
    assert stems, "the book has no chapters"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", stem) for stem in stems), stems
    assert [int(stem[:2]) for stem in stems] == list(range(1, len(stems) + 1))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_anatomy(path):
    text = markdown_of(nbformat.read(path, 4))
    positions = []
    for name, pattern in ANATOMY:
        match = re.search(pattern, text, flags=re.MULTILINE)
        assert match, f"{path.name} has no '{name}' section"
        positions.append(match.start())
    assert positions == sorted(positions), f"{path.name}: sections out of order"
    assert re.search(r"^\(ch-[a-z-]+\)=\n# ", text, flags=re.MULTILINE), f"{path.name} needs a (ch-...)= label on its title"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_stored_executed_in_order_without_errors(path):
    nb = nbformat.read(path, 4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]
    counts = [cell.execution_count for cell in code]
    assert None not in counts, f"{path.name}: {counts.count(None)} code cells are not executed"
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: cells were not run once, top to bottom"
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: stored error outputs"
    assert "widgets" not in nb.metadata, f"{path.name}: widget state stored (run tools/execute_notebooks.py)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_uses_one_seed_and_no_global_random_state(path):
    code = code_of(nbformat.read(path, 4))
    assert len(re.findall(r"^SEED = \d+", code, flags=re.MULTILINE)) == 1, f"{path.name}: set SEED once"
    legacy = re.findall(r"np\.random\.(?!default_rng|Generator)\w+", code)
    assert not legacy, f"{path.name} uses global random state: {legacy}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_checks_theory_against_simulation(path):
    code = code_of(nbformat.read(path, 4))
    assert re.search(r"^\s*assert ", code, flags=re.MULTILINE), f"{path.name} has no check cell"
    assert "import sympy" in code, f"{path.name} derives nothing with sympy"
    assert "lambdify" in code, f"{path.name} never turns a symbolic result into a function"
    assert "explorer(" in code, f"{path.name} has no widget explorer"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercises_have_solutions(path):
    text = markdown_of(nbformat.read(path, 4))
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label: ([\w-]+)", text)
    solutions = set(re.findall(r"```\{solution(?:-start)?\} ([\w-]+)", text))
    assert len(exercises) >= 3, f"{path.name}: only {len(exercises)} exercises"
    assert len(set(exercises)) == len(exercises), f"{path.name}: duplicate exercise labels"
    missing = [label for label in exercises if label not in solutions]
    assert not missing, f"{path.name}: exercises without solutions: {missing}"
    assert text.count("{solution-start}") == text.count("{solution-end}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_shown_figure_has_alt_text(path):
    nb = nbformat.read(path, 4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "remove-output" in cell.metadata.get("tags", []):
            continue
        if any("image/png" in out.get("data", {}) for out in cell.outputs):
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 30, f"{path.name}, cell {index}: a figure without (meaningful) alt text"


def test_citations_resolve_to_complete_entries():
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    entries = dict(re.findall(r"@\w+\{([\w-]+),(.*?)\n\}", bib, flags=re.DOTALL))
    cited = set()
    for group in re.findall(r"\{(?:cite|footcite)(?::\w+)?\}`([^`]+)`", all_book_text()):
        cited.update(key.strip() for key in group.split(","))
    assert cited, "nothing is cited"
    assert not cited - entries.keys(), f"cited but not in references.bib: {cited - entries.keys()}"
    for key in cited:
        for field in ("author", "title", "year"):
            assert re.search(rf"^\s*{field}\s*=", entries[key], flags=re.MULTILINE), f"{key} has no {field}"


def test_no_positional_cross_references():
    # Cross-references use labels; "see above" breaks as soon as a page is reorganised.
    found = re.findall(r"\b(?:see|as noted|noted|derived|shown|mentioned|discussed) (?:above|below)\b", all_book_text(),
                       flags=re.IGNORECASE)
    assert not found, f"positional references instead of labels: {found}"
