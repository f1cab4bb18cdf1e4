"""The execution cache (jupyter-cache) and what the build keeps from it, kept honest.

With ``execute_notebooks: cache`` a chapter is executed again only when its code changes.
Three things are added here:

- **The library counts as code.** jupyter-cache keys a notebook on its code cells only, so a
  change to ``collapse_lib`` (a bug fix, or a bug) left every chapter's cached outputs in place
  and the build reported success without running anything. The build now fingerprints
  ``collapse_lib`` (every file under it, by content) and stores the fingerprint in the cache
  folder; when it differs, the cache is cleared and every chapter is read and executed again.
  The same holds for a cache restored from elsewhere (the GitHub workflow restores one).
- **Error reports start empty, and failures are not forgotten.** myst-nb writes a failing
  chapter's traceback under ``_build/html/reports`` and never removes it; the folder is emptied
  at the start of a build, so what is there belongs to this build. A page whose execution
  failed is read again by the next build even if its source did not change (Sphinx would skip
  it, and the second build would pass without running it).
- **Downloads keep their outputs.** sphinx-book-theme offers each chapter's executed notebook
  from ``_build/jupyter_execute``, where myst-nb writes it while reading the page. When the
  outputs come from the cache, myst-nb 1.4 builds the page from them but writes the notebook
  without them (it merges the outputs into a copy and writes the original). Such a notebook is
  rewritten with the cached outputs merged in (jupyter-cache's ``merge_match_into_notebook``).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

FINGERPRINT_FILE = "collapse_lib.sha256"


def cache_path(app) -> Path:
    configured = getattr(app.config, "nb_execution_cache_path", "") or ""
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def library_fingerprint(library: Path) -> str:
    """SHA-256 over the relative paths and contents of every file of the library (not caches)."""
    digest = hashlib.sha256()
    for path in sorted(library.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(library).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _caching(app) -> bool:
    return getattr(app.config, "nb_execution_mode", None) == "cache"


def start_build(app) -> None:
    """Empty the error reports; clear the cache if the library changed since it was filled."""
    shutil.rmtree(Path(app.outdir) / "reports", ignore_errors=True)
    app.env.library_changed = False
    if not _caching(app):
        return
    import collapse_lib

    fingerprint = library_fingerprint(Path(collapse_lib.__file__).parent)
    cache = cache_path(app)
    stored = cache / FINGERPRINT_FILE
    previous = stored.read_text(encoding="utf-8").strip() if stored.is_file() else None
    if previous != fingerprint:
        if cache.exists():
            shutil.rmtree(cache)  # as jupyter-cache's clear_cache() does
        app.env.library_changed = previous is not None or bool(getattr(app.env, "all_docs", None))
        cache.mkdir(parents=True, exist_ok=True)
        stored.write_text(fingerprint + "\n", encoding="utf-8")


def failed_last_time(env) -> list[str]:
    """Pages whose execution failed in the previous build (myst-nb's execution record)."""
    from myst_nb.sphinx_ import NbMetadataCollector

    failed = []
    for docname in env.found_docs & set(NbMetadataCollector.get_doc_data(env)):
        exec_data = NbMetadataCollector.get_exec_data(env, docname)
        if exec_data is not None and not exec_data.get("succeeded", True):
            failed.append(docname)
    return failed


def reread_notebooks(app, env, added, changed, removed) -> list[str]:
    """Notebook pages to read (and so execute) again although their source did not change.

    After a library change, every one; otherwise those whose execution failed last time, which
    Sphinx would otherwise skip, so a second build would pass without running them.
    """
    if not getattr(env, "library_changed", False):
        return failed_last_time(env)
    pages = []
    for docname in env.found_docs:
        source = Path(env.doc2path(docname))
        if source.suffix == ".md" and "```{code-cell}" in source.read_text(encoding="utf-8"):
            pages.append(docname)
    return pages


def restore_cached_outputs(app, doctree) -> None:
    if not _caching(app):
        return
    notebook_path = Path(app.outdir).parent / "jupyter_execute" / f"{app.env.docname}.ipynb"
    if not notebook_path.is_file():
        return
    import nbformat
    from jupyter_cache import get_cache

    notebook = nbformat.read(notebook_path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if not code or any(cell.get("outputs") for cell in code):
        return  # executed in this build (outputs in place), or nothing to restore
    try:
        _, merged = get_cache(str(cache_path(app))).merge_match_into_notebook(notebook)
    except KeyError:  # no cached execution of this exact code: nothing to restore
        return
    nbformat.write(merged, notebook_path)


def setup(app):
    app.connect("builder-inited", start_build)
    app.connect("env-get-outdated", reread_notebooks)
    app.connect("doctree-read", restore_cached_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
