"""The timeline in a real browser: htmx swaps the fragment, the URL stays shareable.

Drives the machine's Chromium (/usr/bin/chromium) with Playwright against
pytest-django's live server. A missing Chromium is a failure, never a skip.

The same launch settings take the README's screenshots:

    .venv/bin/python -m tests.test_browser http://127.0.0.1:8000 docs/screenshots \\
        --event maduro-capture-2026

and `SCREENSHOT_DIR=docs/screenshots pytest -m browser` saves the factory-built
scenario's pages there as well.
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

pytestmark = pytest.mark.browser


def launch(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is missing at {CHROMIUM}: run ./scripts/ensure-services")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)


def save_screenshots(browser, base_url: str, out_dir: Path, event_slug: str) -> list[Path]:
    """The event list and one timeline at laptop width (whole pages), and one phone
    screen of the timeline's chart, whose actor names stay put while it scrolls."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = [
        ("/events/", DESKTOP, 1, None, "event-list.png"),
        (f"/events/{event_slug}/", DESKTOP, 1, None, "maduro-timeline.png"),
        (f"/events/{event_slug}/", PHONE, 2, "#swimlane", "maduro-timeline-phone.png"),
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


@pytest.fixture
def maduro(transactional_db):
    from .test_views_events import build_maduro_scenario

    return build_maduro_scenario()


def test_the_timeline_shows_statuses_and_marks_and_filters_without_reloading(
        maduro, live_server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=DESKTOP)
    page.goto(live_server.url + maduro["event"].get_absolute_url())

    rows = page.locator(".status-table tbody tr")
    expect(rows).to_have_count(9)
    expect(page.locator('tr[data-actor="russia"]')).to_contain_text("Responded")
    expect(page.locator('tr[data-actor="russia"]')).to_contain_text("+5.5 h")
    expect(page.locator('tr[data-actor="vladimir-putin"]')).to_contain_text("Silent")
    expect(page.locator('tr[data-actor="xi-jinping"]')).to_contain_text("No coverage")
    expect(page.locator("svg.swimlane g.row")).to_have_count(9)
    expect(page.locator("svg.swimlane path.mark")).to_have_count(12)
    expect(page.locator("ol.statements > li")).to_have_count(7)

    page.evaluate("window.__marker = 1")
    page.select_option("#id_stance", "concern")
    page.wait_for_url("**stance=concern**")
    expect(page.locator("ol.statements > li")).to_have_count(4)
    expect(page.locator("svg.swimlane path.mark")).to_have_count(8)
    expect(page.locator("svg.swimlane path.mark--condemns")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped"
    assert "stance=concern" in page.url

    # The pushed URL is shareable: opened afresh it shows the same filtered timeline.
    fresh = browser.new_page(viewport=PHONE)
    fresh.goto(page.url)
    expect(fresh.locator("ol.statements > li")).to_have_count(4)
    expect(fresh.locator("#id_stance")).to_have_value("concern")
    # On a phone the chart scrolls sideways inside its box instead of widening the page.
    scroll = fresh.locator(".swimlane-scroll")
    assert scroll.evaluate("el => el.scrollWidth > el.clientWidth")
    assert fresh.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_screenshot_helper_saves_the_pages(maduro, live_server, browser, tmp_path):
    out_dir = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    saved = save_screenshots(browser, live_server.url, out_dir, maduro["event"].slug)
    for path in saved:
        assert path.read_bytes().startswith(b"\x89PNG"), path


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
