"""Interactive explorers: sliders that redraw a figure, and a way to time them.

Every chapter ends with an explorer built by :func:`explorer`. Each explorer records
how long its redraws take, and :func:`time_explorers` sweeps the sliders of every
explorer created in the current kernel, so ``tools/benchmark.py`` can check that
updates are fast enough to feel live without anyone dragging a slider.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["Explorer", "explorer", "time_explorers"]

#: Explorers created in this kernel, in creation order (read by :func:`time_explorers`).
_REGISTRY: list[Explorer] = []


class Explorer(ipywidgets.VBox):
    """Controls above a figure that is redrawn whenever a control changes.

    Parameters
    ----------
    draw : callable
        ``draw(**values)`` draws one matplotlib figure for the given control values.
    controls : dict of str to ipywidgets.ValueWidget
        One control per keyword argument of ``draw``. Sliders only redraw when
        released (``continuous_update=False``), so a slow draw never queues up.
    name : str
        A short name used in benchmark reports.
    """

    def __init__(self, draw: Callable[..., None], controls: dict, name: str):
        for control in controls.values():
            if hasattr(control, "continuous_update"):
                control.continuous_update = False
        self.draw = draw
        self.controls = controls
        self.name = name
        self.update_seconds: list[float] = []
        output = ipywidgets.interactive_output(self._render, controls)
        rows = [ipywidgets.HBox(list(controls.values())[i : i + 3]) for i in range(0, len(controls), 3)]
        super().__init__(children=[*rows, output])
        _REGISTRY.append(self)

    def _render(self, **values) -> None:
        start = time.perf_counter()
        self.draw(**values)
        plt.show()
        self.update_seconds.append(time.perf_counter() - start)

    def sweep(self, points_per_control: int = 3, repeats: int = 2) -> list[float]:
        """Redraw across every slider's range and at the heaviest corner; return the seconds each took.

        Controls are changed one at a time from their current values, as a reader would, at the
        ends and middle of each range; then all numeric controls are set to their maxima at once,
        usually the slowest combination. Each setting is drawn ``repeats`` times and the fastest
        time kept.
        """
        defaults = {name: control.value for name, control in self.controls.items()}
        settings = []
        for name, control in self.controls.items():
            if not hasattr(control, "min"):
                values = [
                    option[1] if isinstance(option, tuple) else option
                    for option in getattr(control, "options", [control.value])
                ]
            else:
                values = np.linspace(control.min, control.max, points_per_control)
                if isinstance(control.value, (int, np.integer)):
                    values = np.unique(np.round(values).astype(int)).tolist()
                else:
                    values = values.tolist()
            settings += [{**defaults, name: value} for value in values]
        settings.append({**defaults, **{name: c.max for name, c in self.controls.items() if hasattr(c, "max")}})
        seconds = []
        for values in settings:
            best = np.inf
            for _ in range(repeats):  # the best of a few runs measures the cost, not the machine's jitter
                start = time.perf_counter()
                self.draw(**values)
                plt.gcf().canvas.draw()  # render as a browser redraw would
                plt.close("all")
                best = min(best, time.perf_counter() - start)
            seconds.append(best)
        return seconds


def explorer(draw: Callable[..., None], *, name: str, **controls) -> Explorer:
    """Build an :class:`Explorer`: ``explorer(draw, name="...", M=IntSlider(...), ...)``."""
    if not controls:
        raise ValueError("explorer needs at least one control, passed as a keyword argument")
    return Explorer(draw, controls, name)


def time_explorers(points_per_control: int = 3) -> list[dict]:
    """Sweep every explorer created in this kernel and summarise its redraw times (seconds)."""
    report = []
    for ui in _REGISTRY:
        seconds = np.array(ui.sweep(points_per_control))
        report.append(
            {
                "name": ui.name,
                "updates": int(seconds.size),
                "median_s": float(np.median(seconds)),
                "max_s": float(seconds.max()),
            }
        )
    return report
