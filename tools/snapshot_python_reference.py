"""Write the Python Language Reference's prose that chapter 5 trains on into ``collapse_lib/datasets``.

    python -m tools.snapshot_python_reference

Reads the running interpreter's ``pydoc_data.topics`` (the text ``help()`` prints), keeps the
prose paragraphs (``collapse_lib.data.prose_paragraphs``) and writes them one per line to
``collapse_lib/datasets/python_reference_<release>.txt``; prints the file's SHA-256. The library
reads that file, never the interpreter's copy, which changes between patch releases. To move the
book to another release: run this under it, update ``PYTHON_REFERENCE_RELEASE`` and
``PYTHON_REFERENCE_SHA256`` in ``collapse_lib/data.py``, then re-store chapter 5's golden
(``python -m tools.execute_notebooks book/05_language_models.md``).
"""

from __future__ import annotations

import hashlib
import platform

from collapse_lib.data import prose_paragraphs
from tools.book_files import ROOT


def main() -> None:
    from pydoc_data.topics import topics

    paragraphs = prose_paragraphs(topics)
    assert not any("\n" in paragraph for paragraph in paragraphs)
    target = ROOT / "collapse_lib" / "datasets" / f"python_reference_{platform.python_version()}.txt"
    data = ("\n".join(paragraphs) + "\n").encode("utf-8")
    target.write_bytes(data)
    print(f"{target.relative_to(ROOT)}: {len(paragraphs)} paragraphs, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
