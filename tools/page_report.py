"""Page weight and visible code of every built chapter: ``python -m tools.page_report``.

For each chapter page of ``_build/html`` it prints

- the bytes a first visit downloads from the site: the HTML and every local script, style sheet
  and image it references, raw and gzip-compressed (what a server that compresses sends);
- the external scripts the page still loads from a CDN (MathJax; nothing else should remain);
- measured in headless Chromium at 1280 px: the page's height and the share of it that is code
  input a reader sees without unfolding anything.

Needs a built book and Debian's Chromium (see ``tools/site_browser.py``).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.parse import urljoin, urlparse

from bs4 import BeautifulSoup

from tools.book_files import toc_files
from tools.site_browser import HTML, chromium, open_page, serve_site

VISIBLE_CODE_SHARE = """
const article = document.querySelector('article.bd-article') || document.body;
const visible = el => el.offsetParent !== null && el.getBoundingClientRect().height > 0
    && (el.innerText || '').trim() !== '';  // folded cells render no text
let code = 0;
for (const cell of document.querySelectorAll('.cell_input')) {
    if (visible(cell)) code += cell.getBoundingClientRect().height;
}
const height = article.getBoundingClientRect().height;
return {height: height, code: code};
"""


def page_assets(name: str) -> tuple[list[Path], list[str]]:
    """The local files a page references (scripts, styles, images) and its external scripts."""
    page = HTML / f"{name}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    references = [tag.get("src") for tag in soup.find_all(["script", "img"])]
    references += [tag.get("href") for tag in soup.find_all("link", rel="stylesheet")]
    local, external = [], []
    for reference in filter(None, references):
        if urlparse(reference).scheme in {"http", "https"}:
            external.append(reference)
            continue
        path = Path(urlparse(urljoin(page.as_uri(), reference)).path)
        if path.is_file():
            local.append(path)
    return sorted(set(local)), sorted(set(external))


def weight(paths: list[Path]) -> tuple[int, int]:
    """Total raw and gzip-compressed bytes of ``paths``."""
    raw = sum(path.stat().st_size for path in paths)
    compressed = sum(len(gzip.compress(path.read_bytes(), 6)) for path in paths)
    return raw, compressed


def report(names: list[str] | None = None) -> list[dict]:
    names = names or [name for name in toc_files() if Path(name).name[:2].isdigit()]
    rows = []
    with serve_site() as site, chromium() as driver:
        for name in names:
            local, external = page_assets(name)
            raw, compressed = weight([HTML / f"{name}.html", *local])
            open_page(driver, f"{site}/{name}.html")
            heights = driver.execute_script(VISIBLE_CODE_SHARE)
            rows.append({"page": name, "kb_raw": raw / 1e3, "kb_gzip": compressed / 1e3,
                         "html_kb": (HTML / f"{name}.html").stat().st_size / 1e3, "external": external,
                         "height_px": heights["height"], "code_share": heights["code"] / heights["height"]})
    return rows


def main() -> None:
    print(f"{'page':34s} {'HTML kB':>8s} {'all kB':>8s} {'gzip kB':>8s} {'height px':>10s} {'code':>6s}")
    for row in report():
        print(f"{row['page']:34s} {row['html_kb']:8.0f} {row['kb_raw']:8.0f} {row['kb_gzip']:8.0f} "
              f"{row['height_px']:10.0f} {row['code_share']:6.0%}")
        for url in row["external"]:
            print(f"{'':34s} external: {url}")


if __name__ == "__main__":
    main()
