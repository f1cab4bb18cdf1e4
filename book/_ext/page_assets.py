"""What each page loads: explorers' scripts where needed, nothing twice, no unused widget state.

- **Static-page explorers** (``collapse_lib.page_explorer``): pages that contain one get the
  Vega runtime, bundled offline at build time by the ``vl-convert-python`` package (so the
  site needs no CDN for it), and ``_static/page_explorer.js``, which draws them.
- **Widget state**: a chapter's Python explorer (ipywidgets) needs a kernel, and its output is
  removed from the page; myst-nb would still embed the widgets' state (57-126 kB per page) and
  load require.js and the widget manager from a CDN. Both are dropped.
- **Search snippets** (the search page only): ``_static/search_snippets.js`` shows math in
  result snippets as text instead of raw TeX, and leaves out display math and code.
- **Duplicate scripts**: sphinx-thebe registers its configuration script on every read, so
  pages declared ``THEBE_JS_URL`` twice (an error in the browser console). Each page's scripts
  are de-duplicated.
"""

from __future__ import annotations

from pathlib import Path

VEGA_BUNDLE = "vega-bundle.js"
EXPLORER_MARKER = 'class="page-explorer"'


def write_vega_bundle(app, exception) -> None:
    """Write the offline Vega + Vega-Lite + vega-embed bundle into the site's _static folder."""
    if exception is not None or app.builder.format != "html":
        return
    import vl_convert

    target = Path(app.outdir) / "_static" / VEGA_BUNDLE
    bundle = vl_convert.javascript_bundle()
    if not target.exists() or target.read_text(encoding="utf-8") != bundle:
        target.write_text(bundle, encoding="utf-8")


def drop_widget_state(app, env) -> None:
    """Forget the ipywidgets state and scripts myst-nb recorded for each page."""
    for data in getattr(env, "nb_metadata", {}).values():
        js_files = data.get("js_files", {})
        for key in [key for key in js_files if key.startswith("ipywidgets")]:
            del js_files[key]


def page_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if scripts is None:
        return
    seen, unique = set(), []
    for script in scripts:
        # the same file or inline body with the same attributes, whatever its priority (an inline
        # script is registered with filename None by one extension and "" by another)
        key = (getattr(script, "filename", None) or "",
               tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique
    if EXPLORER_MARKER in context.get("body", ""):
        # only this page (html-page-context adds per page); the bundle is an ES module
        app.add_js_file(VEGA_BUNDLE, type="module")
        app.add_js_file("page_explorer.js")
    if pagename == "search":
        app.add_js_file("search_snippets.js")  # snippets without raw TeX


def setup(app):
    app.connect("env-updated", drop_widget_state)
    app.connect("html-page-context", page_scripts, priority=900)
    app.connect("build-finished", write_vega_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

