"""The book's house style: one look for every figure, theory as lines, simulation as points.

Colours are the Okabe–Ito palette, which stays distinguishable under the common
forms of colour blindness. Monte Carlo error is always drawn, as a 95% interval
(mean ± 1.96 standard errors) unless a chapter says otherwise.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

__all__ = ["PALETTE", "use_house_style", "plot_theory", "plot_simulation", "band"]

#: Okabe & Ito (2008) colour-blind-safe palette, in the order the book uses it.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

#: Multiplier of the standard error for the intervals drawn around simulations.
Z_95 = 1.959963984540054


def use_house_style() -> None:
    """Set matplotlib defaults for the book (call once at the top of a chapter)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "figure.constrained_layout.use": True,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "lines.linewidth": 1.8,
            "lines.markersize": 4.5,
            "font.size": 10,
        }
    )


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
