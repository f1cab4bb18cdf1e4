"""Write the pretraining corpus of the language-model chapter into ``collapse_lib/datasets``.

    python -m tools.snapshot_pretraining_corpus

Reads the docstrings of the packages in ``PACKAGES`` from their installed source files (with
``ast``; nothing is imported or executed), keeps their prose paragraphs
(``collapse_lib.data.docstring_paragraphs``), drops repeated paragraphs and writes them, one per
line and gzip-compressed (no timestamp, so the bytes depend only on the text), to
``collapse_lib/datasets/docstrings_pretraining.txt.gz``. It also writes every package's licence
notice to ``collapse_lib/datasets/PRETRAINING-LICENSES.txt`` and prints the corpus's SHA-256 and
size. Run it under the versions pinned in ``requirements.txt``; then set ``PRETRAINING_SHA256`` in
``collapse_lib/data.py`` and re-store the chapters that read the corpus.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import importlib.metadata
import importlib.util
from pathlib import Path

from collapse_lib.data import PRETRAINING_FILE, docstring_paragraphs
from tools.book_files import ROOT

#: Import name -> distribution name. Permissive licences only (BSD-style; matplotlib PSF-based).
PACKAGES = {
    "numpy": "numpy", "scipy": "scipy", "sympy": "sympy", "sklearn": "scikit-learn",
    "matplotlib": "matplotlib", "IPython": "ipython", "sphinx": "sphinx", "pygments": "pygments",
    "jinja2": "jinja2", "traitlets": "traitlets", "nbformat": "nbformat", "nbgrader": "nbgrader",
    "nbconvert": "nbconvert", "jupyter_client": "jupyter-client", "ipykernel": "ipykernel",
    "jupyter_core": "jupyter-core", "altair": "altair",
}
DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def package_paragraphs(name: str) -> list[str]:
    """Prose paragraphs of every docstring in package ``name``'s source, tests left out, files in
    sorted order and definitions in the order ``ast.walk`` visits them."""
    root = Path(importlib.util.find_spec(name).origin).parent
    paragraphs = []
    for path in sorted(root.rglob("*.py")):
        if {"tests", "testing"} & set(path.relative_to(root).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, DOCUMENTED) and (doc := ast.get_docstring(node)):
                paragraphs += docstring_paragraphs(doc)
    return paragraphs


def licence_notice(distribution: str) -> str:
    """The distribution's licence files as installed (its ``*.dist-info``), or its licence field."""
    dist = importlib.metadata.distribution(distribution)
    files = [f for f in dist.files or () if "licen" in f.name.lower() or "copying" in f.name.lower()]
    texts = [f.read_text() for f in files if f.read_text()]
    return "\n".join(texts) if texts else f"License: {dist.metadata.get('License')}\n"


def main() -> None:
    seen, paragraphs, notices = set(), [], []
    for name, distribution in PACKAGES.items():
        version = importlib.metadata.version(distribution)
        new = [p for p in dict.fromkeys(package_paragraphs(name)) if p not in seen]
        seen.update(new)
        paragraphs += new
        notices.append(f"{'=' * 78}\n{distribution} {version}: {len(new)} paragraphs\n{'=' * 78}\n"
                       + licence_notice(distribution))
        print(f"{distribution} {version}: {len(new)} paragraphs")
    datasets = ROOT / "collapse_lib" / "datasets"
    data = gzip.compress(("\n".join(paragraphs) + "\n").encode("utf-8"), compresslevel=9, mtime=0)
    (datasets / PRETRAINING_FILE).write_bytes(data)
    header = ("Licence notices of the packages whose docstrings make up docstrings_pretraining.txt.gz\n"
              "(written by tools/snapshot_pretraining_corpus.py).\n\n")
    (datasets / "PRETRAINING-LICENSES.txt").write_text(header + "\n".join(notices), encoding="utf-8")
    words = sum(len(p.split()) for p in paragraphs)
    print(f"{PRETRAINING_FILE}: {len(paragraphs)} paragraphs, {words:,} words, {len(data):,} bytes, "
          f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
