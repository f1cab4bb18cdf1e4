"""The simulators are never slower than the code a reader would write, and near their floor.

Runs ``tools.simulator_benchmark --quick``: every simulator timed against the naive numpy/scipy
code for the same task and against the bare random draws (or the minimal linear algebra),
interleaved, as medians of pairwise ratios, so the budgets mean the same on a fast and a slow
machine. The limits (library/naive <= 1, library/floor <= 2, a decoder's fixed per-step cost
under half of a call) get a 15% allowance for timing noise on a busy two-core machine; the
full-size table without allowance is ``python -m tools.simulator_benchmark``.
"""

from __future__ import annotations

from tools import simulator_benchmark

NOISE_ALLOWANCE = 1.15


def test_every_simulator_beats_naive_code_and_stays_near_its_floor():
    rows = simulator_benchmark.measure(quick=True)
    assert len(rows) >= 15, "the benchmark lost cases"
    over = simulator_benchmark.failures(rows, tolerance=NOISE_ALLOWANCE)
    assert not over, "over budget:\n  " + "\n  ".join(over)
