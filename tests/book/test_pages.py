"""Tests of the built HTML book, as a reader receives it.

They read ``_build/html``, so build first (the README's first command; ``.ci/run`` builds
before it tests). Without a build they are skipped with a message saying so.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from tools.book_files import ROOT, chapter_sources, toc_files

HTML = ROOT / "_build" / "html"

pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(), reason="book not built: run `jupyter-book build .`")

PAGES = toc_files()


def soup(name: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("name", PAGES)
def test_page_exists_and_has_a_title(name):
    page = soup(name)
    assert page.find("h1"), f"{name}.html has no title"


@pytest.mark.parametrize("name", PAGES)
def test_page_shows_no_traceback_or_error(name):
    text = (HTML / f"{name}.html").read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" not in text
    assert not re.search(r"\b\w+Error: ", BeautifulSoup(text, "html.parser").get_text()), f"{name}.html shows an error"


@pytest.mark.parametrize("name", PAGES)
def test_every_image_has_alt_text(name):
    for img in soup(name).find_all("img"):
        if "logo" in " ".join(img.get("class", [])):
            continue
        assert img.get("alt", "").strip(), f"{name}.html: image {img.get('src')} has no alt text"


@pytest.mark.parametrize("path", chapter_sources(), ids=lambda p: p.stem)
def test_chapter_page_has_figures_math_launch_buttons_and_solutions(path):
    name = f"book/{path.stem}"
    page = soup(name)
    html = str(page)
    assert len(page.select("figure img")) >= 2, "chapter pages show their figures with captions"
    assert "mathjax" in html.lower() and ("\\(" in html or "\\[" in html), "math is not set up for MathJax"
    assert "mybinder.org" in html, "no Binder launch button"
    assert page.select(".solution"), "no solutions rendered"
    assert page.select(".exercise"), "no exercises rendered"
    assert page.select("div.proof, .proof"), "no sphinx-proof directive rendered"


def test_bibliography_lists_cited_works():
    entries = soup("book/bibliography").select(".citation, dl.citation dt, div.citation")
    assert len(entries) >= 5


@pytest.mark.parametrize("path", chapter_sources(), ids=lambda p: p.stem)
def test_chapter_page_offers_the_executed_notebook_with_figures(path):
    import nbformat

    page = soup(f"book/{path.stem}")
    links = [a.get("href", "") for a in page.find_all("a")]
    notebook_link = f"../_sources/book/{path.stem}.ipynb"
    assert notebook_link in links, f"{path.stem}: no .ipynb download"
    notebook = nbformat.read(HTML / "_sources" / "book" / f"{path.stem}.ipynb", as_version=4)
    nbformat.validate(notebook)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    figures = [output for output in outputs if {"image/svg+xml", "image/png"} & set(output.get("data", {}))]
    assert len(figures) >= 2, "the download has no figures"
    assert any(output.get("output_type") == "stream" for output in outputs), "the download has no printed output"


@pytest.mark.parametrize("path", chapter_sources(), ids=lambda p: p.stem)
def test_binder_button_opens_the_chapter_source_in_jupyterlab(path):
    binder = [a.get("href", "") for a in soup(f"book/{path.stem}").find_all("a") if "mybinder.org" in a.get("href", "")]
    assert binder and all(f"urlpath=lab/tree/book/{path.stem}.md" in href for href in binder), binder


@pytest.mark.parametrize("name", PAGES)
def test_alt_text_has_no_unfilled_placeholder(name):
    for img in soup(name).find_all("img"):
        assert "{{" not in img.get("alt", ""), f"{name}.html: alt text with an unfilled glue placeholder"
