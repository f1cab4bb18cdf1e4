"""The figure standard (collapse_lib.plotting) and the static-page explorers (collapse_lib.page_explorer)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from collapse_lib import plotting
from collapse_lib.page_explorer import MAX_ROWS, grid_explorer


def test_figures_are_the_column_wide_with_body_sized_text():
    plotting.use_house_style()
    for shape in [(1, 1), (1, 2), (3, 1)]:
        fig, _ = plotting.subplots(*shape)
        assert fig.get_figwidth() == plotting.COLUMN_WIDTH
        plt.close(fig)
    assert matplotlib.rcParams["xtick.labelsize"] == plotting.FONT_SIZE == 12
    assert matplotlib.rcParams["legend.fontsize"] == plotting.FONT_SIZE


@pytest.mark.parametrize(
    "kwargs, error",
    [({"ncols": 3}, ValueError), ({"nrows": 0}, ValueError), ({"ncols": 1.5}, TypeError),
     ({"figsize": (9, 3)}, TypeError), ({"height": 0.1}, ValueError)],
)
def test_subplots_refuses_figures_that_would_be_shrunk(kwargs, error):
    with pytest.raises(error):
        plotting.subplots(**kwargs)


def test_label_panels_prefixes_titles_in_reading_order():
    fig, axes = plotting.subplots(2, 2)
    axes[0, 1].set_title("Gaussian")
    plotting.label_panels(axes)
    assert [ax.get_title(loc="left") for ax in axes.ravel()] == ["(a)", "(b) Gaussian", "(c)", "(d)"]
    # the centred title moved into the label: nothing left to overlap it
    assert [ax.get_title() for ax in axes.ravel()] == ["", "", "", ""]
    plt.close(fig)


def grid_table():
    M = np.repeat([10, 20, 30], 4)
    return {"M": M, "t": np.tile(np.arange(4), 3), "y": M * 0.5 + np.tile(np.arange(4), 3),
            "name": np.array(["a", "b"] * 6)}


def test_grid_explorer_binds_a_slider_to_an_even_grid_and_filters_by_it():
    explorer = grid_explorer(grid_table(), x="t", y="y", controls={"M": "samples M"}, series="name", name="demo")
    param = explorer.spec["params"][0]
    assert param["bind"]["input"] == "range"
    assert (param["bind"]["min"], param["bind"]["max"], param["bind"]["step"]) == (10, 30, 10)
    assert param["value"] == 20  # the middle of the grid by default
    filters = [step["filter"] for layer in explorer.spec["layer"] for step in layer["transform"]]
    assert filters and all(param["name"] in f for f in filters)
    data = next(iter(explorer.spec["datasets"].values())) if "datasets" in explorer.spec else explorer.spec["data"]["values"]
    assert data.splitlines()[0] == "M,t,y,name" and len(data.splitlines()) == 13
    page = explorer._repr_mimebundle_()["text/html"]
    assert 'class="page-explorer"' in page and json.loads(page.split(">", 2)[2].split("</script>")[0]) == explorer.spec


def test_grid_explorer_uses_a_menu_for_uneven_or_text_values():
    table = grid_table()
    table["M"] = np.repeat([10, 20, 50], 4)
    explorer = grid_explorer(table, x="t", y="y", controls={"M": "M", "name": "series"}, name="demo",
                             defaults={"M": 50, "name": "b"})
    inputs = [param["bind"]["input"] for param in explorer.spec["params"]]
    assert inputs == ["select", "select"]
    assert [param["value"] for param in explorer.spec["params"]] == [50, "b"]


@pytest.mark.parametrize(
    "change, error",
    [
        (lambda t: {"table": {}}, TypeError),
        (lambda t: {"table": {**t, "y": t["y"][:3]}}, ValueError),
        (lambda t: {"x": "missing"}, ValueError),
        (lambda t: {"y": "name"}, TypeError),
        (lambda t: {"controls": {}}, TypeError),
        (lambda t: {"defaults": {"M": 15}}, ValueError),
        (lambda t: {"table": {k: np.resize(v, MAX_ROWS + 1) for k, v in t.items()}}, ValueError),
    ],
)
def test_grid_explorer_rejects_bad_input_with_a_clear_error(change, error):
    table = grid_table()
    arguments = {"table": table, "x": "t", "y": "y", "controls": {"M": "M"}, "name": "demo", **change(table)}
    with pytest.raises(error):
        grid_explorer(arguments.pop("table"), **arguments)


def test_explorer_sweep_crosses_every_choice_with_both_ends_of_every_slider():
    import ipywidgets

    from collapse_lib import widgets

    drawn = []

    def draw(scheme, M, s):
        drawn.append((scheme, M, s))
        plt.figure()

    ui = widgets.explorer(
        draw, name="demo",
        scheme=ipywidgets.Dropdown(options=[("Replace", "replace"), ("Keep", "keep")], value="keep"),
        M=ipywidgets.IntSlider(value=50, min=10, max=300, step=10),
        s=ipywidgets.FloatSlider(value=1.0, min=0.5, max=2.0),
    )
    settings = ui.sweep_settings()
    corners = {(v["scheme"], v["M"], v["s"]) for v in settings[:8]}
    assert corners == {(c, m, s) for c in ("replace", "keep") for m in (10, 300) for s in (0.5, 2.0)}
    # then each slider's middle, the others at their defaults
    assert settings[8:] == [{"scheme": "keep", "M": 155, "s": 1.0}, {"scheme": "keep", "M": 50, "s": 1.25}]
    drawn.clear()
    timed = ui.sweep(passes=1)
    assert [values for values, _ in timed] == settings and len(drawn) == len(settings)
    report = widgets.time_explorers()[-1]
    assert report["name"] == "demo" and report["updates"] == 10 and report["slowest"] in settings


@pytest.mark.parametrize("low, high, labels", [
    (1e-191, 1.0, ["10⁻²⁰⁰", "10⁻¹⁵⁰", "10⁻¹⁰⁰", "10⁻⁵⁰", "10⁰"]),  # round strides of decades
    (1e-5, 1e3, ["10⁻⁶", "10⁻⁴", "10⁻²", "10⁰", "10²", "10⁴"]),
    (0.05, 0.9, ["", "0.2", "0.4", "0.6", "0.8", "1"]),  # under a decade: plain evenly spaced ticks
])
def test_fast_log_ticks_label_powers_of_ten_in_plain_text(low, high, labels):
    fig, ax = plotting.subplots()
    ax.plot([0, 1], [low, high])
    ax.set_yscale("log")
    plotting.fast_log_ticks(ax.yaxis)
    locator, formatter = ax.yaxis.get_major_locator(), ax.yaxis.get_major_formatter()
    ticks = locator.tick_values(low, high)
    formatter.set_locs(ticks)
    assert [formatter(t) for t in ticks] == labels
    assert len(ticks) <= 7 and not any("$" in label for label in labels)
    assert len(ax.yaxis.get_minor_locator()()) == 0
    plt.close(fig)
