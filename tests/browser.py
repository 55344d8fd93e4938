"""Chromium for the browser tests and the README's screenshots.

Playwright's Python API drives the machine's own Chromium (Debian's package,
installed by scripts/ensure-services): browsers are never downloaded. A
missing Chromium is a failure, never a skip.

Screenshots of a running server, as in the README:

    .venv/bin/python -m tests.browser http://127.0.0.1:8000 docs/screenshots \\
        --event maduro-capture-2026
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

def launch(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is missing at {CHROMIUM}: run ./scripts/ensure-services")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)


def save_screenshots(browser, base_url: str, out_dir: Path, event_slug: str) -> list[Path]:
    """The event list (whole page); the event page's first screen at laptop and phone
    width (the answer and who spoke, who stayed silent); its reactions table, map and
    chart; one phone screen of the timeline's chart, whose actor names stay put while
    it scrolls; and Putin in 2019 against 2026, side by side."""
    out_dir.mkdir(parents=True, exist_ok=True)
    first_screen = {"width": 1280, "height": 800}
    compare = "/actors/vladimir-putin/compare/?events=venezuela-crisis-2019," + event_slug
    shots = [
        ("/events/", DESKTOP, 1, None, "event-list.png"),
        (f"/events/{event_slug}/", first_screen, 1, "", "maduro-timeline.png"),
        (f"/events/{event_slug}/", PHONE, 2, "", "maduro-first-screen-phone.png"),
        (f"/events/{event_slug}/", DESKTOP, 1, "#status", "maduro-reactions.png"),
        (f"/events/{event_slug}/", DESKTOP, 1, "#map", "maduro-map.png"),
        (f"/events/{event_slug}/", PHONE, 2, "#swimlane", "maduro-timeline-phone.png"),
        (compare, DESKTOP, 1, "", "putin-2019-against-2026.png"),
    ]
    saved = []
    for path, viewport, scale, anchor, name in shots:
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        page = context.new_page()
        page.goto(base_url.rstrip("/") + path + (anchor or ""))
        page.wait_for_load_state("networkidle")
        if anchor == "#swimlane":
            # Scrolled to T0, as a reader would: the names stay, the hours move.
            page.eval_on_selector(".swimlane-scroll", """el => {
                el.scrollLeft = el.querySelector("line.t0").x1.baseVal.value - 30; }""")
        target = out_dir / name
        # None: the whole page; "" or an anchor: one screen, as a reader first sees it.
        page.screenshot(path=str(target), full_page=anchor is None)
        saved.append(target)
        context.close()
    return saved


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # (used by the test to build data) refuses to run inside one without this.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run ./scripts/ensure-services")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Screenshot the event list and a timeline.")
    parser.add_argument("base_url", help="a running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--event", default="maduro-capture-2026", help="event slug")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        for path in save_screenshots(browser, args.base_url, args.out_dir, args.event):
            print(path)
        browser.close()


if __name__ == "__main__":
    main()
