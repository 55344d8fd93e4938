"""The timeline in a real browser: htmx swaps the fragment, the URL stays shareable.

Drives the machine's Chromium (/usr/bin/chromium) with Playwright against
pytest-django's live server. A missing Chromium is a failure, never a skip.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser` saves the factory-built
scenario's pages there (tests/browser.py takes them of a running server).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import DESKTOP, PHONE, save_screenshots
from tests.scenarios import build_maduro_scenario

pytestmark = pytest.mark.browser


@pytest.fixture
def maduro(transactional_db):
    return build_maduro_scenario()


def test_the_timeline_shows_statuses_and_marks_and_filters_without_reloading(
        maduro, live_server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=DESKTOP)
    page.goto(live_server.url + maduro["event"].get_absolute_url())

    rows = page.locator(".status-table tbody tr[data-actor]")
    expect(rows).to_have_count(9)
    expect(page.locator('tr[data-actor="russia"]')).to_contain_text("Responded")
    expect(page.locator('tr[data-actor="russia"]')).to_contain_text("5.5 h after")
    expect(page.locator('tr[data-actor="vladimir-putin"]')).to_contain_text("Silent")
    expect(page.locator('tr[data-actor="xi-jinping"]')).to_contain_text("Cannot tell (no coverage)")
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
    # An empty list used to pass: every promised file must exist, fresh, and be a picture.
    assert {p.name for p in saved} >= {"event-list.png", "maduro-timeline.png"}
    for path in saved:
        assert path.is_file() and path.stat().st_size > 5_000, path
        assert path.read_bytes().startswith(b"\x89PNG"), path
