"""Binder (repo2docker) opens the chapters, MyST Markdown files, as notebooks.

repo2docker copies the repository into the user's home folder, so ``.jupyter/labconfig/
default_setting_overrides.json`` becomes the user's JupyterLab configuration: it makes
"Jupytext Notebook" (from the pinned jupytext) the default viewer of Markdown files, and the
launch buttons open ``lab/tree/book/NN_slug.md``. This test starts JupyterLab on the loopback
interface the way Binder lays the files out, and asks it what a reader's browser would ask.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tools.book_files import ROOT, chapter_sources

OVERRIDES = ROOT / ".jupyter" / "labconfig" / "default_setting_overrides.json"
VIEWER = "Jupytext Notebook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("binder-home")  # as repo2docker: the repository is the home folder
    shutil.copytree(ROOT / ".jupyter", home / ".jupyter")
    shutil.copytree(ROOT / "book", home / "book", ignore=shutil.ignore_patterns("_build"))
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
    environment["HOME"] = str(home)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--IdentityProvider.token=", "--allow-root", f"--ServerApp.root_dir={home}"],
        cwd=home, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=30)


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_overrides_name_the_installed_jupytext_viewer():
    overrides = json.loads(OVERRIDES.read_text(encoding="utf-8"))
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == VIEWER and viewers["myst"] == VIEWER
    extension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-jupytext"
    assert any(f'"{VIEWER}"' in path.read_text(encoding="utf-8", errors="ignore")
               for path in (extension / "static").glob("*.js")), f"jupytext's lab extension registers no {VIEWER!r}"


def test_lab_makes_jupytext_the_default_viewer_of_markdown(lab):
    plugin = get_json(f"{lab}/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    defaults = plugin["schema"]["properties"]["defaultViewers"]["default"]
    assert defaults.get("markdown") == VIEWER, defaults


@pytest.mark.parametrize("source", chapter_sources(), ids=lambda p: p.stem)
def test_lab_serves_each_chapter_as_a_notebook(lab, source):
    model = get_json(f"{lab}/api/contents/book/{source.name}?type=notebook&content=1")
    assert model["type"] == "notebook"
    cells = model["content"]["cells"]
    assert any(cell["cell_type"] == "code" for cell in cells) and cells[0]["cell_type"] == "markdown"
    assert model["content"]["metadata"]["kernelspec"]["name"] == "python3"


def page_config(lab: str) -> dict:
    """The configuration JupyterLab's page hands to the browser (extensions to load, disabled ones)."""
    with urllib.request.urlopen(f"{lab}/lab", timeout=30) as response:
        html = response.read().decode()
    found = re.search(r'<script id="jupyter-config-data"[^>]*>(.*?)</script>', html, re.DOTALL)
    assert found, "no page configuration in JupyterLab's page"
    return json.loads(found.group(1))


def test_lab_renders_myst_with_jupyterlab_myst(lab):
    # The chapters' exercises, citations and cross-references are MyST; without jupyterlab-myst,
    # JupyterLab shows them as raw text. It must be installed, compatible with this JupyterLab
    # (an incompatible extension is listed with an X and not loaded) and enabled.
    listing = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True,
                             text=True, check=True)
    lines = [line for line in (listing.stdout + listing.stderr).splitlines() if "jupyterlab-myst" in line]
    assert lines and "enabled" in lines[0] and "OK" in lines[0], lines
    assert "not compatible" not in listing.stdout + listing.stderr
    config = page_config(lab)
    loaded = {extension["name"] for extension in config["federated_extensions"]}
    assert "jupyterlab-myst" in loaded
    disabled = config.get("disabledExtensions", [])
    assert not any(name.startswith("jupyterlab-myst") for name in disabled)
    # nbgrader's menus are for instructors; readers on Binder do not see them.
    assert any(name.startswith("@jupyter/nbgrader") for name in disabled), disabled
