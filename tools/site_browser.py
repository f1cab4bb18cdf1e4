"""Open the built site in Debian's headless Chromium, offline.

Used by the browser tests (``tests/book/test_browser.py``) and by ``python -m tools.page_report``.
The pages load MathJax from a CDN; with no network, :func:`serve_site` serves the built site
and substitutes a local copy of MathJax 3 (from the ``django-static-mathjax`` package in
requirements.txt). Needs Debian's ``chromium`` and ``chromium-driver`` packages (``.ci/run``
installs them).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from tools.book_files import ROOT

HTML = ROOT / "_build" / "html"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
LOCAL_MATHJAX = "/_local_mathjax/es5/tex-mml-chtml.js"

#: The widths the book is checked at: a laptop and a phone (CSS pixels).
DESKTOP_WIDTH, PHONE_WIDTH = 1280, 400


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


@contextlib.contextmanager
def serve_site(directory: Path = HTML) -> Iterator[str]:
    """Serve ``directory`` on a free local port; yield its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(BookHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def chromium(width: int = DESKTOP_WIDTH, height: int = 1600) -> Iterator:
    """A headless Chromium (Selenium driver) with the browser console log enabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--hide-scrollbars", f"--window-size={width},{height}", f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        try:
            yield driver
        finally:
            driver.quit()


def set_width(driver, width: int) -> None:
    """Make the page's viewport ``width`` CSS pixels wide (the window is wider by its frame)."""
    driver.set_window_size(width, 1600)
    inner = driver.execute_script("return window.innerWidth")
    if inner != width:
        driver.set_window_size(2 * width - inner, 1600)


def wait_until_typeset(driver) -> None:
    """Wait for MathJax to finish typesetting (pages without math return at once)."""
    driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            MathJax.startup.promise.then(() => done(), () => done());
        } else { done(); }
        """
    )


def open_page(driver, url: str) -> list[str]:
    """Load ``url``, wait for its mathematics, and return the console errors logged while loading.

    The console log is cleared first (on a blank page), so the errors returned are exactly the
    ones this page raised, including those raised during the load itself.
    """
    driver.get("about:blank")
    driver.get_log("browser")
    driver.get(url)
    wait_until_typeset(driver)
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
