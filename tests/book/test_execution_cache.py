"""The build's execution cache follows the library (``book/_ext/execution_cache.py``).

A change to any file of ``collapse_lib`` clears jupyter-cache and makes every notebook page be
read, and so executed, again; error reports of an earlier build are removed. (Checked by hand
on the whole book as well: with ``use_house_style`` made to raise, an incremental build now
fails on every chapter; before, it exited 0 without executing anything.)
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import SimpleNamespace

import collapse_lib
from tools.book_files import ROOT

spec = importlib.util.spec_from_file_location("execution_cache", ROOT / "book" / "_ext" / "execution_cache.py")
execution_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execution_cache)


def fake_app(tmp_path: Path, all_docs=("book/01",)):
    outdir = tmp_path / "_build" / "html"
    outdir.mkdir(parents=True, exist_ok=True)
    config = SimpleNamespace(nb_execution_mode="cache", nb_execution_cache_path=str(tmp_path / "_build" / ".cache"))
    return SimpleNamespace(outdir=str(outdir), config=config, env=SimpleNamespace(all_docs=dict.fromkeys(all_docs)))


def test_fingerprint_changes_with_any_library_file(tmp_path):
    library = tmp_path / "lib"
    shutil.copytree(Path(collapse_lib.__file__).parent, library, ignore=shutil.ignore_patterns("__pycache__"))
    before = execution_cache.library_fingerprint(library)
    assert execution_cache.library_fingerprint(library) == before
    (library / "datasets" / "README.md").write_text("changed", encoding="utf-8")
    assert execution_cache.library_fingerprint(library) != before


def test_a_library_change_clears_the_cache_and_the_reports(tmp_path, monkeypatch):
    app = fake_app(tmp_path)
    cache = Path(app.config.nb_execution_cache_path)
    (cache / "executed").mkdir(parents=True)
    (cache / execution_cache.FINGERPRINT_FILE).write_text("an older library\n", encoding="utf-8")
    reports = Path(app.outdir) / "reports"
    reports.mkdir()
    (reports / "old.err.log").write_text("a traceback of an earlier build", encoding="utf-8")

    execution_cache.start_build(app)
    assert not reports.exists()
    assert not (cache / "executed").exists(), "the cache of the older library must be cleared"
    assert app.env.library_changed

    # the same library again: the cache is kept and nothing is re-read
    (cache / "executed").mkdir()
    execution_cache.start_build(app)
    assert (cache / "executed").exists() and not app.env.library_changed


def test_after_a_library_change_every_notebook_page_is_read_again(tmp_path):
    (tmp_path / "chapter.md").write_text("# A\n\n```{code-cell} ipython3\n1\n```\n", encoding="utf-8")
    (tmp_path / "prose.md").write_text("# B\n", encoding="utf-8")
    env = SimpleNamespace(library_changed=True, found_docs={"chapter", "prose"},
                          doc2path=lambda name: str(tmp_path / f"{name}.md"))
    assert execution_cache.reread_notebooks(None, env, set(), set(), set()) == ["chapter"]
    env.library_changed = False
    assert execution_cache.reread_notebooks(None, env, set(), set(), set()) == []


def test_a_page_that_failed_to_execute_is_read_again(tmp_path):
    """Sphinx skips unchanged pages; a page whose execution failed must run again next build."""
    from collections import defaultdict

    (tmp_path / "chapter.md").write_text("# A\n\n```{code-cell} ipython3\n1\n```\n", encoding="utf-8")
    (tmp_path / "other.md").write_text("# B\n\n```{code-cell} ipython3\n2\n```\n", encoding="utf-8")
    env = SimpleNamespace(library_changed=False, found_docs={"chapter", "other"},
                          doc2path=lambda name: str(tmp_path / f"{name}.md"), nb_metadata=defaultdict(dict))
    env.nb_metadata["chapter"]["exec_data"] = {"succeeded": False, "error": "CellExecutionError"}
    env.nb_metadata["other"]["exec_data"] = {"succeeded": True, "error": None}
    env.nb_metadata["removed"]["exec_data"] = {"succeeded": False, "error": "CellExecutionError"}
    assert execution_cache.reread_notebooks(None, env, set(), set(), set()) == ["chapter"]
    env.nb_metadata["chapter"]["exec_data"] = {"succeeded": True, "error": None}
    assert execution_cache.reread_notebooks(None, env, set(), set(), set()) == []
