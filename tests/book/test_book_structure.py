"""Tests of the book's sources: table of contents, chapter anatomy, notebooks, citations.

These read files only; executing the chapters is nbval's job (``pytest`` collects their golden
notebooks, ``tests/goldens/*.ipynb``, tested in ``test_goldens.py``), and the built pages are
tested in ``test_pages.py``.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tools.book_files import ROOT, chapter_sources, golden_path, page_path, read_chapter, toc_files

CHAPTERS = chapter_sources()
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
    texts = [markdown_of(read_chapter(path)) for path in CHAPTERS]
    texts += [path.read_text(encoding="utf-8") for path in (ROOT / "book").glob("*.md")]
    return "\n".join(texts)


def test_toc_lists_every_page_and_nothing_else():
    listed = {page_path(name).resolve() for name in toc_files()}
    on_disk = {p.resolve() for p in (ROOT / "book").glob("*.md")}
    assert listed == on_disk, f"not in _toc.yml: {on_disk - listed}; missing files: {listed - on_disk}"


def test_chapters_are_text_only():
    # MyST Markdown is the only chapter source; executed notebooks live in the build and in tests/goldens.
    stored = sorted(p.name for p in (ROOT / "book").rglob("*.ipynb") if "_build" not in p.parts)
    assert not stored, f"executed notebooks in book/: {stored} (chapters are book/NN_slug.md)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_a_myst_notebook_with_a_python_kernel(path):
    header = path.read_text(encoding="utf-8").split("\n---\n", 1)[0]
    assert header.startswith("---\njupytext:") and "format_name: myst" in header, f"{path.name}: no jupytext MyST header"
    nb = read_chapter(path)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert any(cell.cell_type == "code" for cell in nb.cells), f"{path.name} has no code cells"


def test_chapter_slugs_are_numbered_and_ordered():
    stems = [path.stem for path in CHAPTERS]
    assert stems, "the book has no chapters"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", stem) for stem in stems), stems
    assert [int(stem[:2]) for stem in stems] == list(range(1, len(stems) + 1))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_anatomy(path):
    text = markdown_of(read_chapter(path))
    positions = []
    for name, pattern in ANATOMY:
        match = re.search(pattern, text, flags=re.MULTILINE)
        assert match, f"{path.name} has no '{name}' section"
        positions.append(match.start())
    assert positions == sorted(positions), f"{path.name}: sections out of order"
    assert re.search(r"^\(ch-[a-z-]+\)=\n# ", text, flags=re.MULTILINE), f"{path.name} needs a (ch-...)= label on its title"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_uses_one_seed_and_no_global_random_state(path):
    code = code_of(read_chapter(path))
    assert len(re.findall(r"^SEED = \d+", code, flags=re.MULTILINE)) == 1, f"{path.name}: set SEED once"
    legacy = re.findall(r"np\.random\.(?!default_rng|Generator)\w+", code)
    assert not legacy, f"{path.name} uses global random state: {legacy}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_checks_theory_against_simulation(path):
    code = code_of(read_chapter(path))
    assert re.search(r"^\s*assert ", code, flags=re.MULTILINE), f"{path.name} has no check cell"
    assert "import sympy" in code, f"{path.name} derives nothing with sympy"
    assert "lambdify" in code, f"{path.name} never turns a symbolic result into a function"
    assert "explorer(" in code, f"{path.name} has no widget explorer"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercises_have_solutions(path):
    text = markdown_of(read_chapter(path))
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label: ([\w-]+)", text)
    solutions = set(re.findall(r"```\{solution(?:-start)?\} ([\w-]+)", text))
    assert len(exercises) >= 4, f"{path.name}: only {len(exercises)} exercises (the README promises four)"
    assert len(set(exercises)) == len(exercises), f"{path.name}: duplicate exercise labels"
    missing = [label for label in exercises if label not in solutions]
    assert not missing, f"{path.name}: exercises without solutions: {missing}"
    assert text.count("{solution-start}") == text.count("{solution-end}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_shown_figure_has_alt_text(path):
    # Sources hold no outputs: which cells draw a figure is read from the golden notebook, whose code
    # cells are the source's code cells in order (test_goldens.py checks that they match).
    code_cells = [cell for cell in read_chapter(path).cells if cell.cell_type == "code"]
    golden = nbformat.read(golden_path(path), 4).cells
    assert len(golden) == len(code_cells), f"{path.name}: golden stale"
    figures = 0
    for index, (cell, executed) in enumerate(zip(code_cells, golden)):
        if "remove-output" in cell.metadata.get("tags", []):
            continue
        if any(out.get("data", {}).get("text/plain", "").startswith("<Figure size") for out in executed.outputs):
            figures += 1
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 30, f"{path.name}, code cell {index}: a figure without (meaningful) alt text"
    assert figures >= 2, f"{path.name} shows fewer than two figures"


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
    # The bibliography page lists only what the book cites (sphinxcontrib-bibtex shows cited entries).
    assert not entries.keys() - cited, f"in references.bib but never cited: {entries.keys() - cited}"


def test_cited_software_versions_match_the_pins():
    # A software citation names the version the book runs, as pinned in requirements.txt.
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), flags=re.MULTILINE))
    checked = 0
    for body in re.findall(r"@misc\{[\w-]+,(.*?)\n\}", bib, flags=re.DOTALL):
        version = re.search(r"^\s*version\s*=\s*\{([^}]*)\}", body, flags=re.MULTILINE)
        url = re.search(r"github\.com/[\w-]+/([\w.-]+)", body)
        if version and url:
            package = url.group(1)
            assert package in pins, f"cited software {package} is not pinned in requirements.txt"
            assert version.group(1) == pins[package], f"{package}: cited {version.group(1)}, pinned {pins[package]}"
            checked += 1
    assert checked >= 1, "no versioned software citation found"


def test_no_positional_cross_references():
    # Cross-references use labels; "see above" breaks as soon as a page is reorganised.
    found = re.findall(r"\b(?:see|as noted|noted|derived|shown|mentioned|discussed) (?:above|below)\b", all_book_text(),
                       flags=re.IGNORECASE)
    assert not found, f"positional references instead of labels: {found}"
