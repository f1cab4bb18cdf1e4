"""Memory budget of every chapter, measured while nbval runs its golden notebook.

nbval executes each chapter's code once per test run (``tests/goldens/*.ipynb``). Just before
the kernel of a golden is shut down, its peak resident memory (``VmHWM`` in
``/proc/PID/status``) is read; a chapter above the budget fails its last cell, and the peak is
printed in the test summary. The time budgets are read from the book build's execution record
(``tests/test_budgets.py``), so no chapter is executed again just to be measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from benchmark import CHAPTER_MEGABYTES

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


def pytest_terminal_summary(terminalreporter):
    if PEAKS:
        terminalreporter.write_sep("-", "peak memory of each chapter's kernel (budget "
                                   f"{CHAPTER_MEGABYTES:.0f} MB)")
        for chapter, peak in sorted(PEAKS.items()):
            terminalreporter.write_line(f"{chapter}: {peak:.0f} MB")


# `pytest -m library` runs only the library's tests (unit tests and docstring examples): the fast loop.
LIBRARY_TESTS = {"test_discrete.py", "test_gaussian.py", "test_loops.py", "test_language.py",
                 "test_metrics_and_data.py"}


def pytest_configure(config):
    config.addinivalue_line("markers", "library: a test of collapse_lib alone (fast; `pytest -m library`)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        if path.name in LIBRARY_TESTS or "collapse_lib" in path.parts:
            item.add_marker(pytest.mark.library)
