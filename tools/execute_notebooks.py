"""Execute chapters and store their golden notebooks, the outputs nbval compares against.

    python -m tools.execute_notebooks                        # every chapter in _toc.yml
    python -m tools.execute_notebooks book/02_discrete_absorption.md

A chapter's source, ``book/NN_slug.md``, holds no outputs. This tool executes it top to bottom
in a fresh kernel, from the ``book/`` folder as the book build does, and writes
``tests/goldens/NN_slug.ipynb``: the chapter's code cells (with their tags) and their text and
LaTeX outputs only. Markdown cells, images, widget state and timing metadata are left out, and
cell ids are numbered, so a golden changes only when what the code prints changes. Run it after
editing a chapter's code and commit the golden with the source; ``pytest`` fails with "golden
stale" while they disagree.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tools.book_files import ROOT, chapter_sources, golden_path, read_chapter

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# nbval does not compare images (without nbdime), so storing them would only bloat the goldens.
DROPPED_DATA = ("image/png", "image/jpeg", "image/svg+xml", "application/pdf")


def golden_of(executed: nbformat.NotebookNode, source: Path) -> nbformat.NotebookNode:
    """The golden form of an executed chapter: code cells with their text and LaTeX outputs."""
    golden = nbformat.v4.new_notebook()
    golden.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
        "golden_of": Path(source).resolve().relative_to(ROOT).as_posix(),
    }
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        # nbval does not compare an ignored cell's outputs (explorers): storing them would only bloat the golden
        ignored = "nbval-ignore-output" in cell.metadata.get("tags", [])
        for output in [] if ignored else cell.outputs:
            output = nbformat.from_dict(output)
            if "data" in output:  # display data and results; their metadata is not compared either
                output.data = {key: value for key, value in output.data.items() if key not in DROPPED_DATA}
                output.metadata = {}
            outputs.append(output)
        metadata = {key: cell.metadata[key] for key in ("tags",) if key in cell.metadata}
        golden.cells.append(
            nbformat.v4.new_code_cell(cell.source, metadata=metadata, outputs=outputs,
                                      execution_count=cell.execution_count)
        )
    for index, cell in enumerate(golden.cells):
        cell.id = f"code-{index:03d}"
    return golden


def execute(source: Path, timeout: int = 300) -> tuple[nbformat.NotebookNode, float]:
    """Execute a chapter source in a fresh kernel from its folder; return it and the wall time."""
    nb = read_chapter(source)
    nb.metadata["kernelspec"] = KERNELSPEC
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(source).parent)}}, record_timing=False)
    client.execute()
    return nb, time.perf_counter() - start


def store_golden(source: Path) -> float:
    """Execute a chapter and write its golden notebook; return the execution time in seconds."""
    executed, seconds = execute(source)
    golden = golden_of(executed, source)
    nbformat.validate(golden)
    target = golden_path(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(golden, target)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", type=Path, help="chapter sources (default: every chapter)")
    args = parser.parse_args(argv)
    sources = [path.resolve() for path in args.chapters] or chapter_sources()
    for source in sources:
        if source.suffix != ".md":
            parser.error(f"{source.name}: give a chapter's MyST source, book/NN_slug.md")
        seconds = store_golden(source)
        print(f"{golden_path(source).relative_to(ROOT)}: stored from {source.relative_to(ROOT)} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
