"""Static checks of the environment files that Binder (repo2docker), readers and CI install from.

repo2docker reads ``runtime.txt`` for the Python version and ``requirements.txt`` for the
packages; ``requirements.txt`` must also install ``collapse_lib`` itself. These tests check the
files, and that the environment running the tests is the one they describe.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, version

import tomllib

from tools.book_files import ROOT

REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[A-Za-z0-9_.\-+]+)$")


def requirement_lines() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def pins() -> dict[str, str]:
    found = {}
    for line in requirement_lines():
        match = REQUIREMENT.match(line)
        if match:
            found[match["name"].lower().replace("_", "-")] = match["version"]
    return found


def test_runtime_pins_the_python_version_we_run():
    runtime = (ROOT / "runtime.txt").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), f"runtime.txt must read python-3.X for repo2docker, got {runtime!r}"
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    minimum = tuple(int(part) for part in re.search(r">=\s*(\d+)\.(\d+)", requires).groups())
    assert sys.version_info[:2] >= minimum


def test_every_requirement_is_an_exact_pin_and_the_library_is_installed_from_the_checkout():
    lines = requirement_lines()
    local = [line for line in lines if line in ("-e .", ".")]
    assert local == ["-e ."], "requirements.txt must install collapse_lib from the checkout exactly once"
    loose = [line for line in lines if line not in local and not REQUIREMENT.match(line)]
    assert not loose, f"not exact pins: {loose}"
    names = [REQUIREMENT.match(line)["name"].lower().replace("_", "-") for line in lines if REQUIREMENT.match(line)]
    assert len(names) == len(set(names)), "a package is pinned twice"


def test_jupyter_book_is_1x_and_the_library_dependencies_are_pinned():
    pinned = pins()
    assert pinned["jupyter-book"].startswith("1."), "the book is a Jupyter Book 1.x project"
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    for requirement in dependencies:
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower().replace("_", "-")
        assert name in pinned, f"collapse_lib needs {name}, which requirements.txt does not pin"


def test_the_running_environment_matches_the_pins():
    mismatched = {}
    for name, pinned_version in pins().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            mismatched[name] = (pinned_version, None)
            continue
        if installed != pinned_version:
            mismatched[name] = (pinned_version, installed)
    assert not mismatched, f"installed versions differ from requirements.txt (pinned, installed): {mismatched}"


def test_the_workflow_runs_the_python_release_of_runtime_txt_and_of_the_shipped_text():
    """CI's Python is one exact release: the minor version of runtime.txt (Binder's), and the release
    whose documentation chapter 5's shipped text was extracted from (``collapse_lib.data``)."""
    from collapse_lib.data import PYTHON_REFERENCE_RELEASE

    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8")
    images = re.findall(r"container:\s*python:(\d+\.\d+\.\d+)-", workflow)
    assert images, "the workflow must run in a python:X.Y.Z container (an exact release)"
    runtime = (ROOT / "runtime.txt").read_text(encoding="utf-8").strip()
    for release in images:
        assert runtime == "python-" + ".".join(release.split(".")[:2]), (release, runtime)
        assert release == PYTHON_REFERENCE_RELEASE, (release, PYTHON_REFERENCE_RELEASE)


# --- the slim JupyterHub environment (requirements-hub.txt) ------------------------------------------
HUB = ROOT / "requirements-hub.txt"
#: Packages a student's hub image does not need: the book's build, tests, lint, browser tests, slides.
NOT_ON_A_HUB = {"jupyter-book", "pytest", "nbval", "hypothesis", "ruff", "selenium", "django-static-mathjax",
                "sphinx-revealjs", "trio"}


def hub_sections() -> tuple[list[str], list[str]]:
    """(top-level pins, dependency pins) of requirements-hub.txt, as package names."""
    top, rest, current = [], [], None
    for line in HUB.read_text(encoding="utf-8").splitlines():
        if line.startswith("# What the chapters"):
            current = top
        elif line.startswith("# Everything those"):
            current = rest
        elif REQUIREMENT.match(line.strip()) and current is not None:
            current.append(REQUIREMENT.match(line.strip())["name"].lower().replace("_", "-"))
    return top, rest


def test_hub_requirements_are_a_complete_subset_of_the_pins():
    from importlib.metadata import requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned = pins()
    lines = [line.strip() for line in HUB.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[-1] == ".", "the hub file installs collapse_lib from the checkout"
    for line in lines[:-1]:
        match = REQUIREMENT.match(line)
        assert match, f"not an exact pin: {line}"
        assert pinned[match["name"].lower().replace("_", "-")] == match["version"], f"{line} differs from requirements.txt"
    top, rest = hub_sections()
    assert not (set(top) | set(rest)) & NOT_ON_A_HUB
    # Complete: the installed packages' own requirements, followed from the top-level ones, are all pinned.
    seen, todo = set(), [canonicalize_name(name) for name in top]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in map(Requirement, requires(name) or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    listed = {canonicalize_name(name) for name in top + rest}
    assert seen - {"setuptools", "pip"} == listed, (sorted(seen - listed), sorted(listed - seen))
