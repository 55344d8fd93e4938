"""The evidence panel and the queue in a real browser, at desktop and phone width.

Saves screenshots (to $EVIDENCE_SHOTS, default /tmp/evidence-shots) so a person can
look at them, and checks what a reader sees: the quiet feed's reason, what the actor
said instead, the standing; in the queue, no "confirm notable silence" where the
evidence no longer allows it; nothing wider than a phone.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from statements.editorial import decisions as editorial
from statements.models import SilenceReview
from tests.browser import DESKTOP, PHONE
from tests.scenarios import EVIDENCE_T0 as T0
from tests.scenarios import PASSWORD, build_evidence_world, user_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("EVIDENCE_SHOTS", "/tmp/evidence-shots"))


@pytest.fixture
def world(transactional_db, feed_server):
    return build_evidence_world(feed_server)


def log_in(page, base_url: str, username: str, next_path: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def test_the_evidence_panel_and_the_queue_read_well_on_desktop_and_phone(
        world, live_server, browser):
    adder, checker = user_in("Editor", "adder"), user_in("Editor", "checker")
    editorial.queue_silence_reviews(now=T0 + timedelta(days=5))
    lavrov = SilenceReview.objects.get(actor__slug="sergey-lavrov")
    editorial.decide_silence(review=lavrov, decision="notable", user=checker,
                             note="He spoke of Laos all week")
    editorial.add_manual_statement(
        actor=world["putin"], event=world["event"], user=adder, url="https://tv.example/p",
        published_at=T0 + timedelta(hours=30), text="Putin on the port strike.")
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = live_server.url + world["event"].get_absolute_url()

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = browser.new_page(viewport=viewport)
        page.goto(url + "#evidence")
        for details in page.locator("details.evidence").all():
            details.evaluate("d => d.open = true")
        panel = page.locator("#evidence-vladimir-putin")
        assert "feed quiet since 3 Mar 2026; it usually publishes daily" in panel.inner_text()
        assert "Talks with Laos (11 Mar)" in page.locator("#evidence-sergey-lavrov").inner_text()
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"evidence-{name}.png"))
        page.locator("#evidence-sergey-lavrov").screenshot(
            path=str(SHOTS / f"evidence-lavrov-{name}.png"))
        page.close()

        editor = browser.new_page(viewport=viewport)
        log_in(editor, live_server.url, "checker", "/review/")
        putin = editor.locator(".silence-item", has_text="Vladimir Putin")
        assert "Confirm notable silence" not in putin.inner_text()
        assert "cannot be confirmed as a notable silence" in putin.inner_text()
        assert editor.locator("#review-manual .manual-item").count() == 1
        width = editor.evaluate("document.querySelector('.queue').scrollWidth")
        assert width <= viewport["width"]
        editor.screenshot(path=str(SHOTS / f"queue-{name}.png"), full_page=True)
        editor.close()
