"""The comparison pages in a real browser: ticked events make a shareable URL."""

from __future__ import annotations

import pytest

import statements.tasks  # noqa: F401  (registers the tasks load_sample queues, eagerly run)
from tests.scenarios import load_sample_on_a_free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def sample(transactional_db, settings):
    load_sample_on_a_free_port(settings)


def test_ticking_two_events_gives_a_comparison_with_its_own_url(sample, live_server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(live_server.url + "/compare/")
    page.get_by_label("Guaidó declares himself interim president of Venezuela").check()
    page.get_by_label("US forces capture Nicolás Maduro").check()
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/compare/?events=**")
    assert "maduro-capture-2026" in page.url and "venezuela-crisis-2019" in page.url
    putin = page.locator('tr[data-actor="vladimir-putin"] td')
    expect(putin).to_have_count(2)
    expect(putin.nth(0)).to_have_attribute("data-status", "responded")
    expect(putin.nth(1)).to_have_attribute("data-status", "silent")
    # The quote opens on demand, in place.
    quote = putin.nth(0).locator("details.cell-quote")
    quote.locator("summary").click()
    expect(quote.locator("blockquote")).to_contain_text("destructive external interference")

    # The URL is the permalink: opened afresh, on a phone, the same comparison.
    fresh = browser.new_page(viewport={"width": 390, "height": 844})
    fresh.goto(page.url)
    expect(fresh.locator('tr[data-actor="vladimir-putin"] td')).to_have_count(2)


def test_the_profile_link_opens_putin_2019_against_2026(sample, live_server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(live_server.url + "/actors/vladimir-putin/")
    page.locator(".compare-links a").first.click()
    page.wait_for_url("**/actors/vladimir-putin/compare/?events=**")
    columns = page.locator("section.compare-column")
    expect(columns).to_have_count(2)
    expect(columns.nth(0)).to_have_attribute("data-status", "responded")
    expect(columns.nth(1)).to_have_attribute("data-status", "silent")


def test_cite_this_copies_the_apa_citation_with_the_permalink(sample, live_server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    url = live_server.url + "/compare/?events=venezuela-crisis-2019,maduro-capture-2026"
    page.goto(url)
    page.locator("details.cite-this > summary").click()
    page.locator('button[data-copy="cite-apa"]').click()
    expect(page.locator(".cite-this .copy-status")).to_have_text("Copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Statement tracker. (20")
    assert "Guaidó declares himself interim president of Venezuela" in copied
    assert copied.endswith(url)  # the permalink is the view itself
    bibtex = page.locator("#cite-bibtex").text_content()
    assert bibtex.startswith("@misc{comparison,") and f"url = {{{url}}}" in bibtex
    context.close()


def test_a_matrix_cell_opens_beside_the_grid_with_its_own_url(sample, live_server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(live_server.url + "/matrix/?group=russia-and-allies")
    page.evaluate("window.__marker = 1")
    cell = page.locator('tr[data-actor="vladimir-putin"] td[data-event="maduro-capture-2026"] a')
    cell.click()
    page.wait_for_url("**/matrix/maduro-capture-2026/vladimir-putin/?group=russia-and-allies")
    detail = page.locator("#cell-detail .cell-detail")
    expect(detail).to_have_attribute("data-actor", "vladimir-putin")
    assert page.evaluate("window.__marker") == 1, "the grid was reloaded instead of kept"
    # Beside the cell, on the first screen: not far below the grid.
    box, grid = detail.bounding_box(), page.locator(".matrix-scroll").bounding_box()
    assert box["x"] >= grid["x"] + grid["width"] - 1 and box["y"] < 800

    # The pushed URL is the cell's permalink: the grid, with this cell open.
    fresh = browser.new_page(viewport={"width": 390, "height": 844})
    fresh.goto(page.url)
    expect(fresh.locator("table.matrix")).to_be_visible()
    expect(fresh.locator("#cell-detail .cell-detail")).to_contain_text("Silent")
    current = fresh.locator('td[data-event="maduro-capture-2026"] a[aria-current="true"]')
    expect(current).to_have_count(1)


def test_an_editors_menu_stays_on_one_line_at_1280(sample, live_server, browser):
    from django.contrib.auth.models import User

    User.objects.create_superuser("editor-with-a-long-name", "e@example.org", "a-long-passphrase")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "editor-with-a-long-name")
    page.fill("input[name=password]", "a-long-passphrase")
    page.locator("main form [type=submit]").last.click()
    page.goto(live_server.url + "/events/maduro-capture-2026/")
    brand = page.locator(".site-header .brand").bounding_box()
    logout = page.get_by_role("button", name="Log out").bounding_box()
    assert abs(logout["y"] - brand["y"]) < brand["height"], "Log out wrapped to a new line"
    assert logout["x"] + logout["width"] <= 1280
