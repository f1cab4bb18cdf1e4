"""Measure the book against its budgets: time and memory per chapter, widget updates, simulators.

    python -m tools.benchmark              # every chapter, then the library benchmarks
    python -m tools.benchmark --chapters   # chapters only
    python -m tools.benchmark --library    # library benchmarks only
    python -m tools.benchmark --build      # a strict HTML build from scratch, timed
    python -m tools.benchmark --json out.json

Each chapter executes in a fresh process with a fresh kernel, as in the book build, so the
peak memory reported is that chapter's kernel alone (its maximum resident set size). After
the chapter has run, every widget explorer it created is swept across its sliders in the
same kernel (``collapse_lib.widgets.time_explorers``) to time the redraws a reader would see.

Budgets (DEVELOPERS.md): each chapter under 45 s (new chapters under 40 s) and 1 GB; the whole book a
few minutes on 2 cores; widget updates fast enough to feel live (we use 0.5 s as the limit);
the exact Gaussian simulator at least 20 times faster than the sample-by-sample one at M = 1000,
10^4 one-dimensional replicates x 1000 generations in a few seconds; one generation of the
language-model loop (train, then regenerate the whole training set) in a few seconds. With
``--library`` (or everything) it also runs ``tools.simulator_benchmark``: every simulator against
the code a reader would write (never slower) and against its floor (within 2x).
The exit status is 1 if a budget is exceeded.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools import simulator_benchmark
from tools.book_files import ROOT, chapter_sources, read_chapter

CHAPTER_SECONDS = 45.0
NEW_CHAPTER_SECONDS = 40.0  # chapters after the first edition's five
FIRST_EDITION_CHAPTERS = 5
CHAPTER_MEGABYTES = 1024.0
BOOK_SECONDS = 240.0
WIDGET_SECONDS = 0.5
GAUSSIAN_SPEEDUP_AT_1000 = 20.0
GAUSSIAN_1D_SECONDS = 5.0
LM_GENERATION_SECONDS = 5.0  # one generation of the language-model loop: train + regenerate

TIMING_CODE = "import json\nfrom collapse_lib.widgets import time_explorers\nprint(json.dumps(time_explorers()))"


def chapter_seconds_budget(chapter: str) -> float:
    """The execution-time budget of a chapter (by its slug, NN_name)."""
    return CHAPTER_SECONDS if int(chapter[:2]) <= FIRST_EDITION_CHAPTERS else NEW_CHAPTER_SECONDS


def run_chapter(path: Path, widgets: bool = True) -> dict:
    """Execute one chapter in this process's own kernel; return its measurements."""
    import nbformat
    from nbclient import NotebookClient

    nb = read_chapter(path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        explorers = []
        if widgets:
            probe = nbformat.v4.new_code_cell(TIMING_CODE)
            nb.cells.append(probe)
            client.execute_cell(probe, len(nb.cells) - 1)
            # The kernel may split stdout into several stream outputs, and a redraw may print:
            # the report is the last line of all of it.
            printed = "".join(out["text"] for out in probe.outputs if out.get("output_type") == "stream")
            explorers = json.loads(printed.strip().splitlines()[-1]) if printed.strip() else []
    # The kernel was a child of this process and has exited: its peak RSS is in RUSAGE_CHILDREN (kB on Linux).
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "chapter": path.stem,
        "cells": sum(cell.cell_type == "code" for cell in nb.cells) - (1 if widgets else 0),
        "seconds": seconds,
        "peak_mb": peak_mb,
        "explorers": explorers,
    }


def measure_chapters(widgets: bool = True) -> list[dict]:
    """Execute every chapter in a fresh process (so peak memory is per chapter) and measure it."""
    results = []
    for path in chapter_sources():
        command = [sys.executable, "-m", "tools.benchmark", "--one", str(path)] + ([] if widgets else ["--no-widgets"])
        child = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        if child.returncode != 0:
            raise RuntimeError(f"{path.name} failed to execute:\n{child.stderr[-3000:]}")
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    return results


def measure_build() -> float:
    """Seconds for a strict HTML build from scratch (empty execution cache, so every page executes)."""
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    with tempfile.TemporaryDirectory() as output:
        start = time.perf_counter()
        subprocess.run([jupyter_book, "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", output],
                       check=True, capture_output=True)
        return time.perf_counter() - start


def best_of(function, repeats: int = 3) -> float:
    """Shortest wall time of a few runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def measure_library() -> list[dict]:
    """The library's absolute budgets (the ratios to naive code and to the floor are in tools.simulator_benchmark)."""
    from collapse_lib import gaussian

    results = []

    for M_value in (100, 1000, 10_000):
        R_g, G_g = 1000, 10
        def run(method, M_value=M_value, G_g=G_g, R_g=R_g):
            return gaussian.simulate(0.0, 1.0, M_value, G_g, replicates=R_g, method=method, rng=0)

        exact = best_of(lambda: run("exact"))
        samples = best_of(lambda: run("samples"), repeats=1)
        results.append({
            "benchmark": f"gaussian.simulate 1-D, M={M_value:,}, {R_g:,} replicates x {G_g} generations, method='exact'",
            "seconds": exact, "reference_seconds": samples, "ratio": exact / samples,
            "limit": 1 / GAUSSIAN_SPEEDUP_AT_1000 if M_value == 1000 else None,
            "note": "method='samples'", "speedup": samples / exact,
        })
    big = best_of(lambda: gaussian.simulate(0.0, 1.0, 1000, 1000, replicates=10_000, rng=0), repeats=1)
    results.append({
        "benchmark": "gaussian.simulate 1-D exact, 10,000 replicates x 1,000 generations",
        "seconds": big, "reference_seconds": None, "ratio": None, "limit": GAUSSIAN_1D_SECONDS, "note": "",
    })
    results.extend(measure_language())
    return results


def measure_language() -> list[dict]:
    """One generation of chapter 5's loop on its corpus: train, then continue every block by 64 tokens."""
    import numpy as np

    from collapse_lib import language as lm
    from collapse_lib.data import python_reference_paragraphs

    tokens = [t for i, p in enumerate(python_reference_paragraphs()) if i % 10 != 9 for t in lm.tokenize(p)]
    vocab = lm.build_vocabulary(tokens)
    blocks = lm.cut_blocks(vocab.encode(tokens), 64)
    size = f"{blocks.shape[0]} blocks x 64 tokens, V = {len(vocab):,}"

    def dense_sampling(model):  # the reference: full next-token rows at every step
        rng, context, out = np.random.default_rng(0), blocks[:, -2:], []
        for _ in range(64):
            cdf = np.cumsum(lm.next_token_probabilities(model, context), axis=1)
            out.append((cdf <= rng.random(len(context))[:, None]).sum(axis=1))
            context = np.column_stack([context[:, 1], out[-1]])

    results = []
    train = best_of(lambda: lm.train(blocks, len(vocab)))
    model = lm.train(blocks, len(vocab))
    dense = best_of(lambda: dense_sampling(model), repeats=1)
    for name, decode in [
        ("beam search, b = 5", lambda: lm.beam_search(model, blocks, 64, beam_width=5)),
        ("sampling, T = 1", lambda: lm.sample(model, blocks, 64, rng=0)),
        ("sampling, T = 0.7", lambda: lm.sample(model, blocks, 64, temperature=0.7, rng=0)),
    ]:
        seconds = train + best_of(decode)
        results.append({
            "benchmark": f"language: one generation (train + regenerate {size}), {name}",
            "seconds": seconds, "reference_seconds": None, "ratio": None, "limit": LM_GENERATION_SECONDS,
            "note": f"training alone {train * 1000:.0f} ms; dense-row sampling at T = 1 would take {dense:.2f} s",
        })
    return results


def report(chapters: list[dict], library: list[dict]) -> list[str]:
    """Print the tables; return the budgets that were exceeded."""
    failures = []
    if chapters:
        print(f"\n{'chapter':<28} {'code cells':>10} {'time (s)':>9} {'peak (MB)':>10} {'widget update median / max (ms)':>33}")
        for row in chapters:
            widget = ", ".join(f"{e['median_s'] * 1000:.0f} / {e['max_s'] * 1000:.0f}" for e in row["explorers"]) or "-"
            print(f"{row['chapter']:<28} {row['cells']:>10} {row['seconds']:>9.1f} {row['peak_mb']:>10.0f} {widget:>33}")
            limit = chapter_seconds_budget(row["chapter"])
            if row["seconds"] > limit:
                failures.append(f"{row['chapter']}: {row['seconds']:.1f} s > {limit:.0f} s")
            if row["peak_mb"] > CHAPTER_MEGABYTES:
                failures.append(f"{row['chapter']}: {row['peak_mb']:.0f} MB > {CHAPTER_MEGABYTES:.0f} MB")
            for e in row["explorers"]:
                if e["max_s"] > WIDGET_SECONDS:
                    failures.append(f"{row['chapter']} explorer '{e['name']}': {e['max_s']:.2f} s > {WIDGET_SECONDS} s")
        print("\nslowest explorer redraw per chapter (every choice x both ends of every slider, and each slider's middle):")
        for row in chapters:
            for e in row["explorers"]:
                setting = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in e["slowest"].items())
                print(f"  {row['chapter']} '{e['name']}': {e['max_s'] * 1000:.0f} ms over {e['updates']} settings, at {setting}")
        total = sum(row["seconds"] for row in chapters)
        peak = max(row["peak_mb"] for row in chapters)
        print(f"{'whole book':<28} {sum(r['cells'] for r in chapters):>10} {total:>9.1f} {peak:>10.0f}")
        if total > BOOK_SECONDS:
            failures.append(f"whole book: {total:.1f} s > {BOOK_SECONDS:.0f} s")
    if library:
        print()
        for row in library:
            if row["ratio"] is None:  # an absolute time budget
                note = f"; {row['note']}" if row["note"] else ""
                print(f"{row['benchmark']}: {row['seconds']:.2f} s (limit {row['limit']} s){note}")
                if row["seconds"] > row["limit"]:
                    failures.append(f"{row['benchmark']}: {row['seconds']:.2f} s > {row['limit']} s")
            elif "speedup" in row:
                limit = f" (must be at least {1 / row['limit']:.0f}x)" if row["limit"] else ""
                print(f"{row['benchmark']}: {row['seconds'] * 1000:.1f} ms; {row['note']}: "
                      f"{row['reference_seconds'] * 1000:.0f} ms; exact is {row['speedup']:.0f}x faster{limit}")
                if row["limit"] and row["ratio"] > row["limit"]:
                    failures.append(f"{row['benchmark']}: only {row['speedup']:.0f}x faster")
            else:
                print(f"{row['benchmark']}: {row['seconds']:.2f} s; {row['note']}: {row['reference_seconds']:.2f} s; "
                      f"ratio {row['ratio']:.2f} (limit {row['limit']})")
                if row["ratio"] > row["limit"]:
                    failures.append(f"{row['benchmark']}: ratio {row['ratio']:.2f} > {row['limit']}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapters", action="store_true", help="only execute the chapters")
    parser.add_argument("--library", action="store_true", help="only run the library benchmarks")
    parser.add_argument("--build", action="store_true", help="only time a from-scratch HTML build")
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    parser.add_argument("--no-widgets", action="store_true", help="do not time the widget explorers")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # internal: measure one chapter
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_chapter(args.one.resolve(), widgets=not args.no_widgets)))
        return 0
    everything = not (args.chapters or args.library or args.build)
    chapters = measure_chapters(widgets=not args.no_widgets) if (args.chapters or everything) else []
    library = measure_library() if (args.library or everything) else []
    simulators = simulator_benchmark.measure() if (args.library or everything) else []
    build_seconds = measure_build() if (args.build or everything) else None
    failures = report(chapters, library) + simulator_benchmark.failures(simulators)
    if build_seconds is not None:
        print(f"\nHTML build from scratch (strict, executes every page): {build_seconds:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({"chapters": chapters, "library": library, "simulators": simulators,
                                         "build_seconds": build_seconds}, indent=2))
    if failures:
        print("\nOver budget:\n  " + "\n  ".join(failures))
        return 1
    print("\nAll budgets met.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
