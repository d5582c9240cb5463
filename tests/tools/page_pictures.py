"""Make the landing page's pictures of the pages from the built site (run after ``python build.py``; never imported).

    PYTHONPATH=$PWD python -m tests.tools.page_pictures            # every page in web/home/PAGES
    PYTHONPATH=$PWD python -m tests.tools.page_pictures rnn lab    # only these

Each page is opened in headless Chromium (served by build.py's own server, as a learner sees it), waited on until
ready, photographed at 1024 x 640 from the top of its first card (below the title) and written as a 320 x 200 WebP (quality 60, about
10 KB) to web/home/pictures/<name>.webp. Rerun it when a page's look changes; the files are committed.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image

from tests.e2e.conftest import CHROMIUM_FLAGS, READY
from tests.site import ROOT, built_dist, serving

PICTURES = ROOT / "web" / "home" / "pictures"
PAGES = ("gradient-descent", "backprop", "playground", "convnet", "rnn", "generative", "lab")
SHOT = {"width": 1024, "height": 640}  # the top of a page at laptop width: its title and first card
SIZE = (320, 200)
QUALITY = 60  # WebP quality: text stays legible at this size and a picture stays near 10 KB


def photograph(page, url: str) -> bytes:
    page.goto(url)
    page.wait_for_selector(READY, timeout=120_000)
    page.wait_for_timeout(800)  # charts and drawings lay themselves out on the next frames
    # From the top of the page's first card: the title and the loading steps above it look alike on every page.
    top = page.evaluate("() => document.querySelector('main').getBoundingClientRect().top + scrollY")
    page.set_viewport_size({"width": SHOT["width"], "height": int(top) + SHOT["height"]})
    png = page.screenshot(clip={"x": 0, "y": max(0, int(top) - 8), **SHOT})
    page.set_viewport_size(SHOT)
    picture = Image.open(io.BytesIO(png)).convert("RGB").resize(SIZE, Image.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "WEBP", quality=QUALITY, method=6)
    return out.getvalue()


def main(names: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    unknown = sorted(set(names) - set(PAGES))
    if unknown:
        print(f"no such page: {', '.join(unknown)}; the pages are {', '.join(PAGES)}", file=sys.stderr)
        return 2
    dist = built_dist()
    PICTURES.mkdir(exist_ok=True)
    with serving(dist) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=SHOT)
        for name in names or PAGES:
            data = photograph(page, f"{url}web/{name}/")
            (PICTURES / f"{name}.webp").write_bytes(data)
            print(f"{name}.webp: {len(data) / 1024:.1f} KB")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
