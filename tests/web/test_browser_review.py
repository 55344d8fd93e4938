"""An editor works the queue in a real browser: logs in, confirms a suggested link
and flags a silence on the Maduro timeline, each in place without a page reload,
and finds the change in the history.

Drives the machine's Chromium (/usr/bin/chromium) with Playwright against
pytest-django's live server. A missing Chromium is a failure, never a skip.
"""

from __future__ import annotations

import pytest

from statements.models import EventLink, Flag
from tests.browser import DESKTOP, PHONE
from tests.scenarios import PASSWORD, build_maduro_scenario, user_in

pytestmark = pytest.mark.browser


@pytest.fixture
def maduro(transactional_db):
    return build_maduro_scenario()


def log_in(page, base_url: str, next_path: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def test_an_editor_confirms_a_link_and_flags_a_silence_without_reloading(
        maduro, live_server, browser):
    from playwright.sync_api import expect

    editor = user_in("Editor")
    link = maduro["links"]["cuba"]
    putin = maduro["actors"]["putin"]
    event = maduro["event"]
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server.url, "/review/")
    expect(page.locator("h1")).to_have_text("Editors’ queue")

    # Confirm a suggested link in place.
    page.evaluate("window.__marker = 1")
    decision = page.locator(f"#review-links #link-{link.pk}")
    expect(decision.locator(".statement-title, .badges")).to_contain_text("Suggested link")
    decision.get_by_role("button", name="Confirm").click()
    expect(decision).to_have_attribute("data-status", "confirmed")
    expect(decision.get_by_role("button", name="Undo")).to_be_visible()
    expect(decision.get_by_role("button", name="Confirm")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped"
    assert EventLink.objects.get(pk=link.pk).status == EventLink.Status.CONFIRMED

    # The change is in the history, with who made it.
    decision.locator("details.history summary").click()
    history = decision.locator(".history-body")
    expect(history).to_contain_text("editor changed")
    expect(history).to_contain_text("Suggested")
    expect(history).to_contain_text("Confirmed")

    # Flag Putin's silence on the timeline.
    page.goto(live_server.url + event.get_absolute_url())
    page.evaluate("window.__marker = 2")
    notes = page.locator(f"#notes-{event.pk}-{putin.pk}")
    notes.locator("details.flag-new summary").click()
    notes.locator("select[name=kind]").select_option("notable_silence")
    notes.locator("textarea[name=note]").fill("Silent as on Iran and Assad")
    notes.get_by_role("button", name="Save flag").click()
    notes = page.locator(f"#notes-{event.pk}-{putin.pk}")
    expect(notes).to_contain_text("⚑ Notable silence")
    expect(notes).to_contain_text("Silent as on Iran and Assad")
    expect(notes).to_contain_text("Flag saved.")
    assert page.evaluate("window.__marker") == 2, "the page was reloaded instead of swapped"

    flag = Flag.objects.get(kind=Flag.Kind.NOTABLE_SILENCE)
    assert (flag.event, flag.actor, flag.created_by) == (event, putin, editor)
    assert flag.history.get().history_user == editor
    assert EventLink.objects.get(pk=link.pk).history.latest().history_user == editor

    # The flag is in the queue with the others, and on a phone the timeline still fits.
    page.goto(live_server.url + "/review/#review-flags")
    expect(page.locator(f"#flag-{flag.pk}")).to_contain_text("Silent as on Iran and Assad")
    phone = browser.new_page(viewport=PHONE)
    phone.goto(live_server.url + event.get_absolute_url())
    expect(phone.locator(f"#notes-{event.pk}-{putin.pk}")).to_contain_text("Notable silence")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_undo_in_the_browser_puts_the_link_back(maduro, live_server, browser):
    from playwright.sync_api import expect

    user_in("Editor")
    link = maduro["links"]["un"]
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server.url, "/review/")
    page.evaluate("window.__marker = 1")
    decision = page.locator(f"#review-links #link-{link.pk}")
    decision.get_by_role("button", name="Reject").click()
    expect(decision).to_have_attribute("data-status", "rejected")
    decision.get_by_role("button", name="Undo").click()
    expect(decision).to_have_attribute("data-status", "suggested")
    expect(decision.get_by_role("button", name="Undo")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1
    assert EventLink.objects.get(pk=link.pk).status == EventLink.Status.SUGGESTED
