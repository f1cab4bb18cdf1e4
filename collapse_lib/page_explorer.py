"""Explorers that work on the static page: sliders that redraw a chart in the reader's browser.

A chapter's Python explorer (:mod:`collapse_lib.widgets`) needs a running kernel. For readers
of the built site, each chapter also computes its results **over a grid of slider values** when
the book is built, and :func:`grid_explorer` turns that table into a Vega-Lite chart (built
with Altair) whose sliders and menus filter the table in the browser. No kernel and no server
are involved: moving a slider only selects other precomputed rows, so a redraw takes
milliseconds, and the page works offline.

The table is long-form: one row per plotted point, with one column per control (the slider
values the point belongs to), the x and y values, and optionally a series column (one line per
series) and the lower and upper ends of a band. It travels inside the page as CSV, rounded to
four significant figures.

On the site, ``book/_ext/page_explorers.py`` adds the Vega runtime (bundled offline by the
``vl-convert-python`` package) and a short loader to the pages that contain an explorer. In a
kernel (Binder, JupyterLab) readers use the chapter's Python explorer instead.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Mapping, Sequence

import numpy as np

from collapse_lib.plotting import PALETTE

__all__ = ["PageExplorer", "grid_explorer"]

#: CSS class of the element that the page's loader fills with the chart.
CSS_CLASS = "page-explorer"

#: Chart size in CSS pixels: the width of the text column, less the axis labels and legend.
WIDTH, HEIGHT = 430, 280

#: Largest table an explorer may carry into a page (rows), to keep pages light.
MAX_ROWS = 20_000


class PageExplorer:
    """A Vega-Lite chart with slider bindings, shown as a static-page explorer.

    Attributes
    ----------
    spec : dict
        The Vega-Lite specification, data included.
    rows : int
        Number of rows of precomputed results it carries.
    """

    def __init__(self, spec: dict, rows: int, name: str):
        self.spec = spec
        self.rows = rows
        self.name = name

    def html(self) -> str:
        """The HTML the book's pages show: a placeholder and the specification as JSON."""
        payload = json.dumps(self.spec, separators=(",", ":")).replace("</", "<\\/")
        return (
            f'<div class="{CSS_CLASS}" data-name="{html.escape(self.name)}">'
            f'<script type="application/json">{payload}</script>'
            "<noscript>This explorer needs JavaScript.</noscript></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": self.html(),
            "text/plain": f"static explorer '{self.name}': {self.rows:,} precomputed rows",
        }


def _as_columns(table: Mapping[str, Sequence]) -> dict[str, np.ndarray]:
    if not isinstance(table, Mapping) or not table:
        raise TypeError("table must be a non-empty dict of column name -> 1-D sequence")
    columns = {str(name): np.asarray(values) for name, values in table.items()}
    lengths = {name: values.shape for name, values in columns.items()}
    if any(len(shape) != 1 for shape in lengths.values()) or len({shape[0] for shape in lengths.values()}) != 1:
        raise ValueError(f"table's columns must be 1-D and of equal length, got shapes {lengths}")
    rows = next(iter(lengths.values()))[0]
    if not 0 < rows <= MAX_ROWS:
        raise ValueError(f"table must have between 1 and {MAX_ROWS:,} rows, got {rows:,}")
    return columns


def _csv(columns: dict[str, np.ndarray]) -> str:
    out = io.StringIO()
    names = list(columns)
    out.write(",".join(names) + "\n")
    formatted = []
    for values in columns.values():
        if np.issubdtype(values.dtype, np.number):
            formatted.append([f"{v:.4g}" for v in values.astype(float)])
        else:
            formatted.append([str(v).replace(",", " ") for v in values])
    for row in zip(*formatted):
        out.write(",".join(row) + "\n")
    return out.getvalue()


def _is_numeric(values: np.ndarray) -> bool:
    return np.issubdtype(values.dtype, np.number)


def grid_explorer(
    table: Mapping[str, Sequence],
    *,
    x: str,
    y: str,
    controls: Mapping[str, str],
    name: str,
    series: str | None = None,
    band: tuple[str, str] | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    x_log: bool = False,
    y_log: bool = False,
    points: bool = False,
    defaults: Mapping[str, object] | None = None,
) -> PageExplorer:
    """A static-page explorer over a precomputed grid of results.

    Parameters
    ----------
    table : dict of str to 1-D array
        Long-form results: one row per point, equal-length columns.
    x, y : str
        Columns on the horizontal and vertical axes.
    controls : dict of str to str
        Column -> label of its control. A numeric column whose grid values are evenly spaced
        gets a slider; any other column a drop-down menu of its values.
    name : str
        A short name for reports and tests.
    series : str, optional
        Column whose values are drawn as separate, coloured lines with a legend.
    band : (str, str), optional
        Columns of the lower and upper ends of a shaded band around each line (for example
        a 95% Monte Carlo interval).
    x_title, y_title : str, optional
        Axis titles (default: the column names).
    x_log, y_log : bool
        Logarithmic axes.
    points : bool
        Draw a point at each row as well as the line.
    defaults : dict, optional
        Initial value of some controls (default: the middle of each grid).

    Returns
    -------
    PageExplorer
        Displays as the chart on the book's pages.
    """
    import altair as alt

    columns = _as_columns(table)
    if not isinstance(controls, Mapping) or not controls:
        raise TypeError("controls must be a non-empty dict of column name -> label")
    needed = [x, y, *controls, *([series] if series else []), *(band or ())]
    missing = [column for column in needed if column not in columns]
    if missing:
        raise ValueError(f"columns {missing} are not in table (it has {sorted(columns)})")
    for column in (x, y, *(band or ())):
        if not _is_numeric(columns[column]):
            raise TypeError(f"column {column!r} must be numeric to be plotted")
    defaults = dict(defaults or {})

    filters, params = [], []
    for column, label in controls.items():
        values = np.unique(columns[column])
        default = defaults.get(column, values[len(values) // 2])
        if default not in values:
            raise ValueError(f"default of {column!r} must be one of its grid values {values.tolist()}, got {default!r}")
        param_name = "control_" + "".join(ch if ch.isalnum() else "_" for ch in column)
        steps = np.diff(values.astype(float)) if _is_numeric(values) else np.array([])
        if _is_numeric(values) and len(values) > 2 and np.allclose(steps, steps[0]):
            step = float(steps[0])
            binding = alt.binding_range(min=float(values[0]), max=float(values[-1]), step=step, name=label + " ")
            # A slider's value is min + k * step in floating point: match the grid value within half a step.
            filters.append(f"abs(datum['{column}'] - {param_name}) < {step / 2!r}")
            value = float(default)
        else:
            options = [v.item() if hasattr(v, "item") else v for v in values]
            binding = alt.binding_select(options=options, labels=[str(o) for o in options], name=label + " ")
            if _is_numeric(values):
                filters.append(f"abs(datum['{column}'] - {param_name}) < 1e-9 * (1 + abs({param_name}))")
            else:
                filters.append(f"datum['{column}'] == {param_name}")
            value = default.item() if hasattr(default, "item") else default
        params.append(alt.param(name=param_name, value=value, bind=binding))

    parse = {column: "number" for column, values in columns.items() if _is_numeric(values)}
    parse.update({column: "string" for column, values in columns.items() if not _is_numeric(values)})
    data = alt.InlineData(values=_csv(columns), format=alt.DataFormat(type="csv", parse=parse))
    base = alt.Chart(data)
    for expression in filters:
        base = base.transform_filter(expression)

    x_encoding = alt.X(f"{x}:Q", title=x_title or x, scale=alt.Scale(type="log" if x_log else "linear", nice=False))
    y_encoding = alt.Y(f"{y}:Q", title=y_title or y, scale=alt.Scale(type="log" if y_log else "linear", zero=False))
    colour = {}
    if series:
        colour = {"color": alt.Color(f"{series}:N", title=None, scale=alt.Scale(range=PALETTE),
                                     legend=alt.Legend(orient="bottom", columns=3, labelLimit=200))}
    layers = [base.mark_line(point=points, clip=True).encode(x=x_encoding, y=y_encoding, **colour)]
    if band:
        low, high = band
        layers.insert(0, base.mark_area(opacity=0.25, clip=True).encode(
            x=x_encoding, y=alt.Y(f"{low}:Q"), y2=alt.Y2(f"{high}:Q"), **colour))
    chart = alt.layer(*layers).add_params(*params).properties(width=WIDTH, height=HEIGHT).configure_axis(
        labelFontSize=13, titleFontSize=14).configure_legend(labelFontSize=13)
    spec = chart.to_dict(validate=False)
    return PageExplorer(spec, rows=len(next(iter(columns.values()))), name=name)
