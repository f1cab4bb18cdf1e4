"""Computed numbers in figures' alt text: ``{{name}}``, ``{{name:.2f}}`` or ``{{name:2sig}}`` in ``mystnb.image.alt``.

myst-nb's ``{glue:text}`` role puts a number computed by a chapter's code into its prose and
captions, but an image's alt text is a plain string read from the cell metadata. This extension
replaces ``{{name}}`` in the alt text of every image with the value glued under ``name`` by the
same page (``myst_nb.glue(name, value, display=False)``), formatted with the optional format
spec, so that a screen reader hears the same numbers the figure shows. An unknown name fails the
build (with ``-W``); a placeholder can never reach a reader.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)\s*(?::([^}]*))?\}\}")
logger = logging.getLogger(__name__)


def glued_values(app, docname: str) -> dict[str, str]:
    """The text/plain representation of every value the page glued (myst-nb writes them as JSON)."""
    path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.glue.json"
    if not path.exists():
        return {}
    values = {}
    for name, bundle in json.loads(path.read_text(encoding="utf-8")).items():
        text = next((value for key, value in bundle.get("data", {}).items() if key.endswith("text/plain")), None)
        if text is not None:
            values[name] = text
    return values


SIGNIFICANT = re.compile(r"(\d+)sig")


def format_value(text: str, spec: str | None) -> str:
    """Format a glued value with a Python format spec, or ``Nsig``: N significant figures in
    plain notation (280 and 1,300 rather than ``.2g``'s 2.8e+02 and 1.3e+03)."""
    if not spec:
        return text
    value = ast.literal_eval(text)
    significant = SIGNIFICANT.fullmatch(spec)
    if significant:
        rounded = float(f"{value:.{significant.group(1)}g}")
        return f"{rounded:,.0f}" if abs(rounded) >= 10 ** int(significant.group(1)) - 0.5 else f"{rounded:g}"
    return format(value, spec)


def fill_alt_text(app, doctree) -> None:
    images = [node for node in doctree.findall(nodes.image) if "{{" in node.get("alt", "")]
    if not images:
        return
    docname = app.env.docname
    values = glued_values(app, docname)
    for image in images:
        image["alt"] = PLACEHOLDER.sub(lambda match, image=image: filled(match, values, image), image["alt"])


def filled(match: re.Match, values: dict[str, str], image) -> str:
    """The glued value a placeholder names, formatted; a warning (an error with -W) if there is none."""
    name, spec = match.group(1), match.group(2)
    if name not in values:
        logger.warning(f"alt text refers to {{{{{name}}}}}, which this page does not glue",
                       location=image, type="glue", subtype="alt")
        return match.group(0)
    return format_value(values[name], spec)


def setup(app):
    app.connect("doctree-read", fill_alt_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
