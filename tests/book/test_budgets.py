"""Time budgets of the chapters, read from the book build's execution record.

The strict build executes every chapter once and jupyter-cache records how long each took
(``_build/.jupyter_cache``; the "Build status" page shows the same table). These tests read that
record for the chapters as they are now, instead of executing them again; the memory budget is
measured while nbval runs the goldens (``tests/conftest.py``). ``tools/benchmark.py`` measures
both in fresh processes, with the explorers' redraw times, for the budgets in a developer's notes.
Skipped, with a message, where the book has not been built.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.benchmark import BOOK_SECONDS, chapter_seconds_budget
from tools.book_files import ROOT, chapter_sources, read_chapter

CACHE = ROOT / "_build" / ".jupyter_cache"

pytestmark = pytest.mark.skipif(not CACHE.exists(), reason="book not built: run `jupyter-book build .`")


def recorded_seconds(source: Path) -> float:
    """How long the build took to execute the chapter as it is now (from jupyter-cache)."""
    from jupyter_cache import get_cache

    try:
        record = get_cache(CACHE).match_cache_notebook(read_chapter(source))
    except KeyError:
        pytest.fail(f"{source.name}: the build has no execution record of the current source; rebuild the book")
    return record.data["execution_seconds"]


@pytest.mark.parametrize("source", chapter_sources(), ids=lambda p: p.stem)
def test_chapter_executes_within_its_time_budget(source):
    seconds, budget = recorded_seconds(source), chapter_seconds_budget(source.stem)
    assert seconds < budget, f"{source.stem} took {seconds:.1f} s to execute in the build; the budget is {budget:.0f} s"


def test_whole_book_executes_within_its_time_budget():
    total = sum(recorded_seconds(source) for source in chapter_sources())
    assert total < BOOK_SECONDS, f"the chapters took {total:.1f} s in the build; the budget is {BOOK_SECONDS:.0f} s"
