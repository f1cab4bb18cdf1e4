"""Memory budget of every chapter, measured while nbval runs its golden notebook.

nbval executes each chapter's code once per test run (``tests/goldens/*.ipynb``). Just before
the kernel of a golden is shut down, its peak resident memory (``VmHWM`` in
``/proc/PID/status``) is read; a chapter above the budget fails its last cell, and the peak is
printed in the test summary. The time budgets are read from the book build's execution record
(``tests/book/test_budgets.py``), so no chapter is executed again just to be measured.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.benchmark import CHAPTER_MEGABYTES

PEAKS: dict[str, float] = {}


def kernel_peak_megabytes(kernel) -> float | None:
    """Peak resident memory of a running nbval kernel, from /proc (None where that is unavailable)."""
    process = getattr(getattr(kernel.km, "provisioner", None), "process", None)
    status = Path(f"/proc/{getattr(process, 'pid', -1)}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    collector, chapter, peak = item.parent, Path(str(item.fspath)).stem, None
    last_cell_of_golden = "goldens" in Path(str(item.fspath)).parts and (nextitem is None or nextitem.parent is not collector)
    kernel = getattr(collector, "kernel", None)
    if last_cell_of_golden and kernel is not None and kernel.is_alive():
        peak = kernel_peak_megabytes(kernel)  # read now: the teardown below shuts the kernel down
        if peak is not None:
            PEAKS[chapter] = peak
    result = yield
    if peak is not None and peak > CHAPTER_MEGABYTES:
        pytest.fail(f"{chapter}: the kernel's peak memory was {peak:.0f} MB, over the budget of "
                    f"{CHAPTER_MEGABYTES:.0f} MB", pytrace=False)
    return result


def pytest_addoption(parser):
    parser.addoption("--seed-offset", type=int, default=0,
                     help="shift every seed of the library's statistical tests by this (tests/library/family_wise.py)")
    parser.addoption("--family-wise-report", action="store_true",
                     help="print each statistical test's margin over its family-wise threshold")


@pytest.fixture
def seed_offset(request) -> int:
    """Added to every seed of a statistical test, to run it on other seeds (``--seed-offset``)."""
    return request.config.getoption("--seed-offset")


def pytest_terminal_summary(terminalreporter, config):
    if config.getoption("--family-wise-report"):
        from tests.library.family_wise import MARGINS

        terminalreporter.write_sep("-", "statistical tests: smallest p-value / family-wise threshold (fails below 1)")
        for test, margin, name in sorted(MARGINS, key=lambda row: row[1]):
            terminalreporter.write_line(f"{margin:10.3g}  {test}  [{name}]")
    if PEAKS:
        terminalreporter.write_sep("-", "peak memory of each chapter's kernel (budget "
                                   f"{CHAPTER_MEGABYTES:.0f} MB)")
        for chapter, peak in sorted(PEAKS.items()):
            terminalreporter.write_line(f"{chapter}: {peak:.0f} MB")


# Four kinds of test, marked by where they live:
# - library: tests/library and the docstring examples in collapse_lib (seconds; `pytest -m library`);
# - book: tests/book and the golden notebooks (structure, build, pages, every chapter under nbval);
# - coursework: tests/coursework (the checkers across seeds, the student edition, nbgrader end to end);
# - performance: tests/performance (the simulators against naive code and their floor, timed).


def pytest_configure(config):
    config.addinivalue_line("markers", "library: a test of collapse_lib alone (fast; `pytest -m library`)")
    config.addinivalue_line("markers", "book: a test of the book: chapters, build, pages (`pytest -m book`)")
    config.addinivalue_line("markers", "coursework: the exercises' checks, student edition and nbgrader "
                                       "(`pytest -m coursework`)")
    config.addinivalue_line("markers", "performance: the simulators timed against naive code and their floor "
                                       "(`pytest -m performance`, under a minute)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(str(item.fspath)).relative_to(config.rootpath).parts
        library = parts[0] == "collapse_lib" or parts[:2] == ("tests", "library")
        coursework = parts[:2] == ("tests", "coursework")
        performance = parts[:2] == ("tests", "performance")
        item.add_marker(pytest.mark.library if library else pytest.mark.coursework if coursework
                        else pytest.mark.performance if performance else pytest.mark.book)
        # nbval compares no images (PNG and JPEG are skipped without nbdime); the book's figures
        # are SVG, which nbval would otherwise compare byte for byte with the golden's (dropped) one.
        skip_compare = getattr(item.parent, "skip_compare", None)
        if skip_compare is not None and "image/svg+xml" not in skip_compare:
            item.parent.skip_compare = (*skip_compare, "image/svg+xml")
