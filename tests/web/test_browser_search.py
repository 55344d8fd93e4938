"""Search in a real browser: typing updates the results without a reload, the address bar
follows, and the pushed address opened afresh shows the same results.

Drives the machine's Chromium (/usr/bin/chromium) with Playwright against pytest-django's
live server. A missing Chromium is a failure, never a skip.
"""

from __future__ import annotations

import pytest

from tests.browser import DESKTOP, PHONE
from tests.scenarios import build_world_for_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def statements(transactional_db):

    return build_world_for_browser()


def test_typing_in_the_search_box_updates_the_results_and_the_url(
        statements, live_server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=DESKTOP)
    page.goto(live_server.url + "/statements/")
    hits = page.locator("ol.hits > li.hit")
    expect(hits).to_have_count(5)
    page.evaluate("window.__marker = 1")

    page.locator("#id_q").press_sequentially("санкций", delay=40)
    page.wait_for_url("**/statements/?q=*")
    expect(hits).to_have_count(1)  # "санкции", found by its stem
    expect(page.locator("ol.hits mark").first).to_have_text("санкциях")  # the title
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped"

    page.locator("#id_q").fill("Maduro")
    page.wait_for_url("**q=Maduro**")
    expect(hits).to_have_count(2)
    expect(page.locator("#results")).to_contain_text("Мадуро")
    page.select_option("#id_language", "ru")
    page.wait_for_url("**language=ru**")
    expect(hits).to_have_count(1)
    assert page.evaluate("window.__marker") == 1
    assert page.url.endswith("/statements/?q=Maduro&language=ru")

    # The address is shareable: opened afresh, on a phone, it shows the same results.
    fresh = browser.new_page(viewport=PHONE)
    fresh.goto(page.url)
    expect(fresh.locator("ol.hits > li.hit")).to_have_count(1)
    expect(fresh.locator("#id_q")).to_have_value("Maduro")
    expect(fresh.locator("#id_language")).to_have_value("ru")
    assert fresh.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
