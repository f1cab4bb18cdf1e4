"""The book's figure standard: one look for every figure, theory as lines, simulation as points.

- **Size.** A figure is :data:`COLUMN_WIDTH` inches wide, the width of the book's text column
  (672 CSS pixels), so the page shows it at 100%: a point in the figure is a point on the
  screen. Build figures with :func:`subplots`, which fixes the width and allows at most two
  panels side by side; more panels are stacked.
- **Text.** Every label, tick, legend and title is :data:`FONT_SIZE` points, the size of the
  book's body text (16 CSS px).
- **Sharpness.** :func:`use_house_style` makes the notebook emit figures as SVG (vector), sharp
  at any zoom and on high-density screens.
- **Colour.** The Okabe–Ito palette, which stays distinguishable under the common forms of
  colour blindness.
- **Monte Carlo error** is always drawn, as a 95% interval (mean ± 1.96 standard errors)
  unless a chapter says otherwise. Panels of a multi-panel figure are labelled (a), (b), ...
  by :func:`label_panels`, and captions refer to them by those letters.
"""

from __future__ import annotations

import string

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "PALETTE", "COLUMN_WIDTH", "FONT_SIZE", "use_house_style", "subplots", "label_panels",
    "plot_theory", "plot_simulation", "band", "fast_log_ticks",
]

#: Width of the book's text column in inches (672 CSS pixels at 96 pixels per inch).
COLUMN_WIDTH = 7.0

#: The size in points of every text in a figure (the body text's 16 CSS pixels).
FONT_SIZE = 12

#: Height of one row of panels, in inches, when a figure does not choose its own.
ROW_HEIGHT = 3.4

#: Okabe & Ito (2008) colour-blind-safe palette, in the order the book uses it.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

#: Multiplier of the standard error for the intervals drawn around simulations.
Z_95 = 1.959963984540054


def use_house_style() -> None:
    """Set matplotlib defaults for the book (call once at the top of a chapter).

    In a notebook it also switches inline figures to SVG, so the book's pages get vector figures.
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (COLUMN_WIDTH, ROW_HEIGHT),
            "figure.dpi": 96,
            "savefig.dpi": 192,
            "figure.constrained_layout.use": True,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": FONT_SIZE,
            "axes.titlesize": FONT_SIZE,
            "axes.labelsize": FONT_SIZE,
            "xtick.labelsize": FONT_SIZE,
            "ytick.labelsize": FONT_SIZE,
            "legend.fontsize": FONT_SIZE,
            "legend.title_fontsize": FONT_SIZE,
            "figure.titlesize": FONT_SIZE,
            "figure.labelsize": FONT_SIZE,  # fig.supxlabel / supylabel
            "legend.frameon": True,  # a legend that must sit over the axes hides no data point behind it
            "legend.framealpha": 0.85,
            "legend.edgecolor": "none",
            "lines.linewidth": 1.8,
            "lines.markersize": 5,
            "svg.hashsalt": "model-collapse-book",  # the same figure gives the same SVG in every build
        }
    )
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("svg")
    except ImportError:  # plain Python: nothing to configure
        pass


def subplots(nrows: int = 1, ncols: int = 1, *, height: float | None = None, **kwargs):
    """``plt.subplots`` at the column's width: at most two panels side by side.

    Parameters
    ----------
    nrows, ncols : int
        Panels down and across; ``ncols`` is 1 or 2 (three panels across would need text
        smaller than the body's).
    height : float, optional
        Figure height in inches; default ``ROW_HEIGHT`` (3.4) per row of panels.
    **kwargs
        Passed to ``matplotlib.pyplot.subplots`` (``sharex``, ``sharey``, ...), except
        ``figsize``, which this function sets.

    Returns
    -------
    fig, axes
        As ``matplotlib.pyplot.subplots`` returns them.
    """
    from collapse_lib.validation import check_int, check_real

    check_int(nrows, "nrows", minimum=1)
    if check_int(ncols, "ncols", minimum=1) > 2:
        raise ValueError(f"ncols must be 1 or 2 (more panels are stacked in rows), got {ncols}")
    if "figsize" in kwargs:
        raise TypeError("subplots sets figsize itself (the column's width); pass height= instead")
    height = ROW_HEIGHT * nrows if height is None else check_real(height, "height", low=1.0, high=14.0)
    return plt.subplots(nrows, ncols, figsize=(COLUMN_WIDTH, height), **kwargs)


def label_panels(axes, *, loc: str = "title") -> None:
    """Label the panels of a figure (a), (b), ... in reading order, before each panel's title.

    The label and the title become one left-aligned title (a centred title is moved there,
    so the two never overlap).
    """
    for letter, ax in zip(string.ascii_lowercase, np.ravel(axes)):
        title = ax.get_title(loc="left") or ax.get_title()
        ax.set_title("")
        ax.set_title(f"({letter}) {title}" if title else f"({letter})", loc="left")


def plot_theory(ax, x, y, *, label: str = "theory", color=None, **kwargs):
    """Draw a theoretical curve as a solid line."""
    return ax.plot(x, y, "-", label=label, color=color, **kwargs)


def plot_simulation(ax, x, mean, se, *, label: str = "simulation", color=None, z: float = Z_95, **kwargs):
    """Draw simulated means as points with error bars of ``z`` standard errors."""
    mean = np.asarray(mean, dtype=float)
    return ax.errorbar(
        x, mean, yerr=z * np.asarray(se, dtype=float), fmt="o", label=label, color=color,
        capsize=2, elinewidth=1, **kwargs,
    )


def band(ax, x, mean, se, *, label: str | None = "simulation", color=None, z: float = Z_95, alpha: float = 0.25,
         linestyle: str = "--"):
    """Draw simulated means as a line (dashed by default) inside a shaded band of ``z`` standard errors.

    Use this instead of :func:`plot_simulation` when there are too many x values for points.
    """
    mean = np.asarray(mean, dtype=float)
    half = z * np.asarray(se, dtype=float)
    (line,) = ax.plot(x, mean, linestyle=linestyle, label=label, color=color)
    ax.fill_between(x, mean - half, mean + half, color=line.get_color(), alpha=alpha, linewidth=0)
    return line


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _is_power_of_ten(value: float) -> bool:
    return value > 0 and abs(np.log10(value) - round(np.log10(value))) < 1e-9


class _PowerOfTenFormatter(mpl.ticker.Formatter):
    """'10⁻⁴⁰' for 1e-40 in plain text (no mathtext) when every tick is a power of ten; else '0.25'."""

    powers = True

    def set_locs(self, locs):
        super().set_locs(locs)
        self.powers = all(_is_power_of_ten(x) for x in locs if x > 0)

    def __call__(self, value, position=None) -> str:
        if value <= 0:
            return ""
        if self.powers and _is_power_of_ten(value):
            return "10" + str(int(round(np.log10(value)))).translate(_SUPERSCRIPT)
        return f"{value:g}"


class _DecadeLocator(mpl.ticker.Locator):
    """At most ``numticks`` powers of ten, at multiples of a round number of decades (1, 2, 5, 10, 20, 25, 50, ...).

    A range that would show fewer than two of them (about a decade) gets evenly spaced round ticks.
    """

    def __init__(self, numticks: int):
        self.numticks = numticks

    def __call__(self):
        return self.tick_values(*self.axis.get_view_interval())

    def tick_values(self, vmin, vmax):
        vmin, vmax = sorted((max(vmin, 1e-300), max(vmax, 1e-300)))
        low, high = np.floor(np.log10(vmin)), np.ceil(np.log10(vmax))
        strides = [m * 10**e for e in range(4) for m in (1, 2, 2.5, 5) if (m, e) != (2.5, 0)]
        # decades spanned by the ticks, which start and end on multiples of the stride
        stride = next((s for s in strides if np.ceil(high / s) - np.floor(low / s) + 1 <= self.numticks),
                      strides[-1])
        ticks = 10.0 ** np.arange(np.floor(low / stride) * stride, np.ceil(high / stride) * stride + 0.5, stride)
        if np.count_nonzero((ticks >= vmin * (1 - 1e-9)) & (ticks <= vmax * (1 + 1e-9))) < 2:
            return mpl.ticker.MaxNLocator(nbins=self.numticks - 1).tick_values(vmin, vmax)
        return ticks


def fast_log_ticks(axis, *, numticks: int = 6) -> None:
    """Few major ticks on a log ``axis``, labelled 10⁻⁴⁰ in plain text, and no minor ticks.

    For figures that are redrawn (the explorers): matplotlib lays out every mathtext label
    (its default 10^k labels) anew for each new range, and over many decades that is most of a
    redraw's cost. Ticks sit at multiples of a round number of decades. ``axis`` is
    ``ax.xaxis`` or ``ax.yaxis`` of a log-scaled axis.
    """
    axis.set_major_locator(_DecadeLocator(numticks))
    axis.set_major_formatter(_PowerOfTenFormatter())
    axis.set_minor_locator(mpl.ticker.NullLocator())
