"""The ".ipynb" download of every chapter holds its outputs, also when they come from the cache.

Each chapter page offers the executed notebook for download: sphinx-book-theme copies it from
``_build/jupyter_execute``, where myst-nb writes it while reading the page. With
``execute_notebooks: cache``, a chapter whose code has not changed is not executed again; its
outputs are taken from jupyter-cache. myst-nb 1.4 then builds the page from the cached outputs
but writes the notebook *without* them (it merges the outputs into a copy and writes the
original), so incremental builds, such as CI runs that restore the cache, offered downloads
with no figures and no printed results.

This extension rewrites such a notebook with the cached outputs merged in (jupyter-cache's
public ``merge_match_into_notebook``), right after myst-nb has written it.
"""

from __future__ import annotations

from pathlib import Path


def _cache_path(app) -> Path:
    configured = getattr(app.config, "nb_execution_cache_path", "") or ""
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def restore_cached_outputs(app, doctree) -> None:
    if getattr(app.config, "nb_execution_mode", None) != "cache":
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
        _, merged = get_cache(str(_cache_path(app))).merge_match_into_notebook(notebook)
    except KeyError:  # no cached execution of this exact code: nothing to restore
        return
    nbformat.write(merged, notebook_path)


def setup(app):
    app.connect("doctree-read", restore_cached_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
