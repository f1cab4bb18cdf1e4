"""The built site as a reader sees it: every page opened in Debian's Chromium, driven by Selenium.

Checks, page by page: it loads without errors in the browser console, its mathematics is
typeset by MathJax without errors, every image has alt text, and no traceback is shown; and
for the site: the "next" link navigates, and search finds a word. Screenshots of a few pages
are kept in ``tests/artifacts/`` to be looked at.

The pages load MathJax from a CDN; here, with no network, a small local server serves the
built site and substitutes a local copy of MathJax 3 (from the ``django-static-mathjax``
package in requirements.txt). Needs Debian's ``chromium`` and ``chromium-driver`` packages
(``.ci/run`` installs them) and a built book; skipped with a message otherwise.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from tools.book_files import ROOT, chapter_sources, toc_files

HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "tests" / "artifacts"

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
LOCAL_MATHJAX = "/_local_mathjax/es5/tex-mml-chtml.js"

pytestmark = [
    pytest.mark.skipif(not (HTML / "index.html").exists(), reason="book not built: run `jupyter-book build .`"),
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"),
]


def mathjax_directory() -> Path:
    import mathjax  # the django-static-mathjax package: MathJax 3's files, nothing else

    return Path(mathjax.__file__).parent / "static" / "mathjax"


class BookHandler(http.server.SimpleHTTPRequestHandler):
    """Serve the built book, with MathJax taken from the local copy instead of the CDN."""

    def translate_path(self, path):
        if path.startswith("/_local_mathjax/"):
            return str(mathjax_directory() / path.split("?")[0][len("/_local_mathjax/"):])
        return super().translate_path(path)

    def send_head(self):
        path = self.translate_path(self.path)
        if path.endswith(".html") and Path(path).is_file():
            body = Path(path).read_text(encoding="utf-8").replace(MATHJAX_CDN, LOCAL_MATHJAX).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().send_head()

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(BookHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1600", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def open_page(browser, url):
    browser.get(url)
    browser.get_log("browser")  # discard nothing yet: read below
    # Wait for MathJax to finish typesetting (pages without math resolve at once).
    return browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const report = () => done({
            math: document.querySelectorAll('mjx-container').length,
            mathErrors: document.querySelectorAll('mjx-merror').length,
            rawMath: document.querySelectorAll('.math').length,
            imagesWithoutAlt: Array.from(document.images).filter(i => !(i.alt || '').trim()
                && !i.classList.contains('logo__image')).map(i => i.src),
            text: document.body.innerText,
        });
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            MathJax.startup.promise.then(report, report);
        } else { report(); }
        """
    )


@pytest.mark.parametrize("name", toc_files())
def test_page_loads_cleanly_with_typeset_math_and_alt_text(browser, site, name):
    browser.get("about:blank")
    browser.get_log("browser")  # clear the log before the page
    state = open_page(browser, f"{site}/{name}.html")
    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"{name}: console errors {errors}"
    if state["rawMath"]:
        assert state["math"] > 0, f"{name}: MathJax did not typeset the page's math"
    assert state["mathErrors"] == 0, f"{name}: MathJax reported errors"
    assert not state["imagesWithoutAlt"], f"{name}: images without alt text {state['imagesWithoutAlt']}"
    assert "Traceback (most recent call last)" not in state["text"]
    if name in {"book/preface", "book/02_discrete_absorption", "book/03_gaussian_collapse", "book/05_language_models"}:
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / f"{name.replace('/', '_')}.png"))


def test_next_link_navigates(browser, site):
    from selenium.webdriver.common.by import By

    first, second = chapter_sources()[:2]
    open_page(browser, f"{site}/book/{first.stem}.html")
    browser.find_element(By.CSS_SELECTOR, "a.right-next").click()
    assert browser.current_url.endswith(f"book/{second.stem}.html")


def test_search_finds_a_word(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{site}/search.html?q=martingale")
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#search-results ul.search li"))
    )
    results = browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li")
    assert any("Collapse as absorption" in result.text for result in results), [r.text for r in results]
