"""Numbers the code computes reach the prose through glue, never typed (tools/prose_numbers.py).

A number typed in a chapter's text, math, caption or alt text that the chapter's outputs also
print is a computed number copied by hand: it goes stale as soon as the code changes. Such a
number must be glued (``{glue:text}`name:.2f``` in text and captions, ``{{name:.2f}}`` in alt
text). The few typed numbers below are not copies of outputs, or are known and listed.
"""

from __future__ import annotations

import nbformat
import pytest

from tools.book_files import chapter_sources
from tools.prose_numbers import matches, numbers_in, prose_of, suspects

NOT_COPIES = {
    ("02_discrete_absorption", "0.99"): "1 - q for the worked example q = 0.01, in math",
    ("02_discrete_absorption", "4.5"): "a pen-and-paper solution: e^{-10} worked out by hand",
    ("03_gaussian_collapse", "0.4"): "a pen-and-paper solution's reading of its own sketch",
    ("03_gaussian_collapse", "1.5"): "the precision-recall figure's alt text reads a mean of 1.5 off the curve; "
                                     "the printed 1.46 is an unrelated z-score",
    ("04_breaking_the_loop", "1.64"): "the constant pi^2/6 written out",
    ("05_language_models", "3000"): "quoted text ('python 3000')",
    ("05_language_models", "0.01"): "the 1% threshold of the worked example, in math",
}


@pytest.mark.parametrize("source", chapter_sources(), ids=lambda p: p.stem)
def test_no_typed_copies_of_computed_numbers(source):
    found = [(number, context) for number, context in suspects(source)
             if (source.stem, number) not in NOT_COPIES]
    assert not found, (f"{source.name}: numbers typed in the text that the code prints; glue them "
                       f"(see CONTRIBUTING.md): " + "; ".join(f"{n!r} in ...{c}..." for n, c in found))


def test_the_detector_finds_typed_copies_and_ignores_glue_and_labels():
    assert [n for n, _ in numbers_in("perplexity 42.7 over 1,534 paragraphs in 2024, M = 20")] == ["42.7", "1,534"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "(sec-3)=\nSee {numref}`fig-101`, Theorem 3.1 and {glue:text}`ppl:.1f`; alt {{ppl:.1f}}; typed 42.7.")])
    assert [n for n, _ in numbers_in(prose_of(nb))] == ["42.7"]
    assert matches("42.7", "42.71") and matches("1,534", "1534") and not matches("42.7", "42.6")
    assert not matches("0.52", "0.5")  # a printed number with fewer decimals cannot be the source
