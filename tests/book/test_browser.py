"""The built site as a reader sees it: every page opened in Debian's Chromium, driven by Selenium.

Page by page, at 1280 px (a laptop):

- it loads without errors in the browser console, including errors raised *during* the load
  (the log is cleared on a blank page first and read after the page has loaded);
- its mathematics is typeset by MathJax without errors, every image has alt text, and no
  traceback is shown;
- every figure is shown at 90% of its size or more (so its text is as large as the figure
  standard in ``collapse_lib.plotting`` intends);
- no display equation, code cell or output is wider than the column (nothing scrolls sideways);

at 400 px (a phone): the page itself does not scroll sideways. On the chapters, the static-page
explorer draws, and moving its first control changes the chart. For the site: the "next" link
navigates, search finds a word and shows snippets without raw TeX, there is one search box, and
the menu button opens the sidebar on a phone. Full-page screenshots of every chapter at both widths are
kept in ``tests/artifacts/`` to be looked at.

Needs Debian's ``chromium`` and ``chromium-driver`` packages (``.ci/run`` installs them) and a
built book; skipped with a message otherwise. See ``tools/site_browser.py`` for the offline server.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tools.book_files import ROOT, chapter_sources, toc_files
from tools.site_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    DESKTOP_WIDTH,
    HTML,
    PHONE_WIDTH,
    chromium,
    open_page,
    serve_site,
    set_width,
)

ARTIFACTS = ROOT / "tests" / "artifacts"
CHAPTERS = [f"book/{source.stem}" for source in chapter_sources()]
SMALLEST_FIGURE_SCALE = 0.9

pytestmark = [
    pytest.mark.skipif(not (HTML / "index.html").exists(), reason="book not built: run `jupyter-book build .`"),
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"),
]

PAGE_STATE = """
const article = document.querySelector('article.bd-article') || document.body;
// shown to a reader: laid out, and with rendered text (folded cells have none)
const visible = el => el.offsetParent !== null && el.getBoundingClientRect().width > 0
    && (el.tagName === 'IMG' || (el.innerText || '').trim() !== '');
const wider = (el, inner) => {
    const box = el.getBoundingClientRect().width;
    return Math.max(el.scrollWidth, inner ? inner.getBoundingClientRect().width : 0) > box + 1;
};
// by code points: MathJax's letters lie outside the BMP, and half a surrogate pair cannot be returned
const describe = el => Array.from((el.innerText || el.textContent || '').trim()).slice(0, 80).join('');
const overflowing = [];
for (const el of article.querySelectorAll('mjx-container[display="true"]')) {
    if (visible(el) && wider(el, el.querySelector('mjx-math'))) overflowing.push('equation: ' + describe(el));
}
for (const el of article.querySelectorAll('div.cell_input pre, div.cell_output pre, div.highlight pre')) {
    if (visible(el) && wider(el)) overflowing.push('code or output: ' + describe(el));
}
const figures = [];
for (const img of article.querySelectorAll('img')) {
    if (!visible(img) || img.closest('.page-explorer')) continue;
    const intended = img.getAttribute('width') ? parseFloat(img.getAttribute('width')) : img.naturalWidth;
    // an image with no size of its own counts as shrunk to nothing, so the check fails rather than skips it
    figures.push({src: img.src.split('/').pop(), scale: intended > 0 ? img.getBoundingClientRect().width / intended : 0});
}
return {
    math: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    rawMath: document.querySelectorAll('.math').length,
    imagesWithoutAlt: Array.from(document.images).filter(i => !(i.alt || '').trim()
        && !i.classList.contains('logo__image')).map(i => i.src),
    text: document.body.innerText,
    overflowing: overflowing,
    figures: figures,
};
"""


WAIT_FOR_IMAGES = """
const done = arguments[arguments.length - 1];
Promise.all(Array.from(document.images).map(img => img.complete ? null
    : new Promise(resolve => { img.onload = img.onerror = resolve; }))).then(() => done());
"""


@pytest.fixture(scope="module")
def site():
    with serve_site() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def save_full_page(browser, path: Path) -> None:
    """A screenshot of the whole page, not only the window (Chromium's DevTools protocol)."""
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "format": "png"})
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.mark.parametrize("name", toc_files())
def test_page_at_laptop_width(browser, site, name):
    set_width(browser, DESKTOP_WIDTH)
    errors = open_page(browser, f"{site}/{name}.html")
    assert not errors, f"{name}: console errors while loading: {errors}"
    browser.execute_async_script(WAIT_FOR_IMAGES)  # a figure's size is known once it has loaded
    state = browser.execute_script(PAGE_STATE)
    if state["rawMath"]:
        assert state["math"] > 0, f"{name}: MathJax did not typeset the page's math"
    assert state["mathErrors"] == 0, f"{name}: MathJax reported errors"
    assert not state["imagesWithoutAlt"], f"{name}: images without alt text {state['imagesWithoutAlt']}"
    assert "Traceback (most recent call last)" not in state["text"]
    assert not state["overflowing"], f"{name}: wider than the column at {DESKTOP_WIDTH} px: {state['overflowing']}"
    small = [f"{figure['src']} at {figure['scale']:.0%}" for figure in state["figures"]
             if figure["scale"] < SMALLEST_FIGURE_SCALE]
    assert not small, f"{name}: figures shown below {SMALLEST_FIGURE_SCALE:.0%} of their size: {small}"
    if name in CHAPTERS or name == "book/preface":
        ARTIFACTS.mkdir(exist_ok=True)
        save_full_page(browser, ARTIFACTS / f"{Path(name).name}-{DESKTOP_WIDTH}.png")


@pytest.mark.parametrize("name", toc_files())
def test_page_at_phone_width_does_not_scroll_sideways(browser, site, name):
    set_width(browser, PHONE_WIDTH)
    try:
        open_page(browser, f"{site}/{name}.html")
        widths = browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth,"
            " Array.from(document.querySelectorAll('article *')).filter(el => el.getBoundingClientRect().right"
            " > window.innerWidth + 1 && !el.closest('mjx-container, pre, .highlight, table, .page-explorer'))"
            ".slice(0, 5).map(el => el.tagName + ': ' + (el.textContent || '').trim().slice(0, 60))]"
        )
        if name in CHAPTERS or name == "book/preface":
            ARTIFACTS.mkdir(exist_ok=True)
            save_full_page(browser, ARTIFACTS / f"{Path(name).name}-{PHONE_WIDTH}.png")
    finally:
        set_width(browser, DESKTOP_WIDTH)
    page_width, window_width, culprits = widths
    assert page_width <= window_width + 1, f"{name}: {page_width} px wide at {window_width} px: {culprits}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_static_explorer_responds_to_its_controls(browser, site, name):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    set_width(browser, DESKTOP_WIDTH)
    errors = open_page(browser, f"{site}/{name}.html")
    assert not errors, errors
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".page-explorer-ready svg"))
    chart = "return document.querySelector('.page-explorer-ready svg').innerHTML"
    before = browser.execute_script(chart)
    # Move the first control to another of its values, as a reader would, and let Vega redraw.
    moved = browser.execute_script(
        """
        const control = document.querySelector('.page-explorer-ready .vega-bindings input[type=range],'
                                              + ' .page-explorer-ready .vega-bindings select');
        if (control.tagName === 'SELECT') {
            control.selectedIndex = (control.selectedIndex + 1) % control.options.length;
            control.dispatchEvent(new Event('change', {bubbles: true}));
        } else {
            control.value = control.value === control.min ? control.max : control.min;
            control.dispatchEvent(new Event('input', {bubbles: true}));
        }
        return control.value;
        """
    )
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(chart) != before,
                                     message=f"{name}: the chart did not change when a control moved to {moved}")


def test_next_link_navigates(browser, site):
    from selenium.webdriver.common.by import By

    first, second = CHAPTERS[:2]
    open_page(browser, f"{site}/{first}.html")
    browser.find_element(By.CSS_SELECTOR, "a.right-next").click()
    assert browser.current_url.endswith(f"{second}.html")


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


def test_search_snippets_show_no_raw_tex(browser, site):
    """Snippets are the pages' text with math as text: no ``\\(``, ``\\frac`` or ``$$`` (search_snippets.js)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{site}/search.html?q=variance")
    WebDriverWait(browser, 30).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "#search-results ul.search li p.context")) >= 3
    )
    snippets = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#search-results p.context")]
    raw = [text for text in snippets if any(tex in text for tex in ("\\(", "\\)", "\\frac", "\\mathbb", "$$"))]
    assert not raw, raw


def test_one_search_box_and_working_sidebar_toggle(browser, site):
    """No second header bar with its own search box; on a phone the menu button opens the sidebar.

    pydata-sphinx-theme 0.17 re-adds its navbar under sphinx-book-theme unless ``navbar_persistent``
    is set (``_config.yml``); its hidden toggle buttons then capture the clicks of the visible ones.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    set_width(browser, DESKTOP_WIDTH)
    open_page(browser, f"{site}/{CHAPTERS[0]}.html")
    boxes = browser.execute_script(
        "return Array.from(document.querySelectorAll('.search-button-field, form.bd-search'))"
        ".filter(el => el.offsetParent !== null).length"
    )
    assert boxes == 1, f"{boxes} search boxes shown"
    set_width(browser, PHONE_WIDTH)
    try:
        open_page(browser, f"{site}/{CHAPTERS[0]}.html")
        sidebar_left = "return document.querySelector('#pst-primary-sidebar').getBoundingClientRect().left"
        assert browser.execute_script(sidebar_left) < 0, "the sidebar should start hidden on a phone"
        visible_toggles = [el for el in browser.find_elements(By.CSS_SELECTOR, "button.primary-toggle")
                           if el.is_displayed()]
        assert visible_toggles, "no visible menu button"
        visible_toggles[0].click()
        WebDriverWait(browser, 5).until(lambda b: b.execute_script(sidebar_left) >= 0,
                                        message="the menu button did not open the sidebar")
    finally:
        set_width(browser, DESKTOP_WIDTH)
