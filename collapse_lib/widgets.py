"""Interactive explorers: sliders that redraw a figure, and a way to time them.

Every chapter ends with an explorer built by :func:`explorer`. Each explorer records
how long its redraws take, and :func:`time_explorers` sweeps the sliders of every
explorer created in the current kernel, so ``tools/benchmark.py`` can check that
updates are fast enough to feel live without anyone dragging a slider.
"""

from __future__ import annotations

import itertools
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

    def sweep_settings(self, points_per_control: int = 3) -> list[dict]:
        """The control settings :meth:`sweep` visits.

        Every option of every choice control (dropdowns, selection sliders) crossed with both ends
        of every numeric slider, which includes the heaviest corner; then each numeric slider alone
        at ``points_per_control`` evenly spaced values (its middle, for 3) with the others at their
        defaults, as a reader would move it.
        """
        defaults = {name: control.value for name, control in self.controls.items()}
        axes, singles = [], []
        for name, control in self.controls.items():
            if not hasattr(control, "min"):
                options = getattr(control, "options", [control.value])
                axes.append([option[1] if isinstance(option, tuple) else option for option in options])
                continue
            values = np.linspace(control.min, control.max, points_per_control)
            if isinstance(control.value, (int, np.integer)):
                values = np.unique(np.round(values).astype(int))
            values = values.tolist()
            axes.append([values[0], values[-1]])
            singles += [{**defaults, name: value} for value in values[1:-1]]
        corners = [dict(zip(self.controls, combination)) for combination in itertools.product(*axes)]
        return corners + singles

    def sweep(self, points_per_control: int = 3, passes: int = 2) -> list[tuple[dict, float]]:
        """Redraw at every setting of :meth:`sweep_settings`; return (setting, seconds) pairs.

        The figure is rendered as a browser redraw would. The settings are visited ``passes``
        times in turn and each keeps its fastest time: every draw follows a draw at another
        setting, as when a reader moves a control, while a one-off pause of the machine (or the
        first use of a code path in the kernel) does not count.
        """
        settings = self.sweep_settings(points_per_control)
        best = [np.inf] * len(settings)
        for _ in range(passes):
            for i, values in enumerate(settings):
                start = time.perf_counter()
                self.draw(**values)
                _render_as_shown()
                best[i] = min(best[i], time.perf_counter() - start)
        return list(zip(settings, best))


def _render_as_shown() -> None:
    """Render the open figures as a reader's redraw does, then close them.

    In a kernel, ``plt.show()`` is the inline backend's: it renders each figure in the book's
    format (SVG, see :mod:`collapse_lib.plotting`) and sends it to the page, as
    :meth:`Explorer._render` does. Elsewhere (a script, the tests) it does nothing, and the
    figures are at least drawn.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "FigureCanvasAgg is non-interactive"
        plt.show()
    for number in plt.get_fignums():
        plt.figure(number).canvas.draw()
    plt.close("all")


def explorer(draw: Callable[..., None], *, name: str, **controls) -> Explorer:
    """Build an :class:`Explorer`: ``explorer(draw, name="...", M=IntSlider(...), ...)``."""
    if not controls:
        raise ValueError("explorer needs at least one control, passed as a keyword argument")
    return Explorer(draw, controls, name)


def time_explorers(points_per_control: int = 3) -> list[dict]:
    """Sweep every explorer created in this kernel and summarise its redraw times (seconds).

    Each summary names the slowest setting, so a budget failure says where to look.
    """
    report = []
    for ui in _REGISTRY:
        timed = ui.sweep(points_per_control)
        seconds = np.array([t for _, t in timed])
        worst = timed[int(seconds.argmax())][0]
        report.append(
            {
                "name": ui.name,
                "updates": int(seconds.size),
                "median_s": float(np.median(seconds)),
                "max_s": float(seconds.max()),
                "slowest": {k: (v.item() if hasattr(v, "item") else v) for k, v in worst.items()},
            }
        )
    return report
