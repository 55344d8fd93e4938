"""The event page tells its story on the first screen, in a real browser, on the sample.

The sample data set is loaded through the real pipeline (load_sample), then
every published event is opened at 1280×800 and 390×844: every actor that
answered, stayed silent or cannot be judged must have its name inside the first
viewport, linking to its row of the reactions table.
"""

from __future__ import annotations

import pytest

import statements.tasks  # noqa: F401  (registers the tasks load_sample queues, eagerly run)
from statements.models import Event
from tests.scenarios import load_sample_on_a_free_port

pytestmark = pytest.mark.browser

FIRST_SCREENS = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
JUDGED = ("responded", "via_proxy", "responded_late", "silent", "no_coverage")


@pytest.fixture
def sample(transactional_db, settings):
    load_sample_on_a_free_port(settings)
    return list(Event.objects.published().order_by("occurred_at"))


def test_every_judged_actor_is_named_on_the_first_screen(sample, live_server, browser):
    assert len(sample) >= 5
    for viewport in FIRST_SCREENS:
        page = browser.new_page(viewport=viewport)
        for event in sample:
            page.goto(live_server.url + event.get_absolute_url())
            rows = page.locator("table.reactions tr[data-actor]")
            judged = [
                (rows.nth(i).get_attribute("data-actor"), rows.nth(i).get_attribute("data-status"))
                for i in range(rows.count())
            ]
            judged = [slug for slug, status in judged if status in JUDGED]
            assert judged, f"{event.slug}: no responder at all"
            for slug in judged:
                name = page.locator(f'#story a[data-glance="{slug}"]')
                assert name.count() == 1, f"{event.slug}: {slug} missing from the strip"
                box = name.bounding_box()
                assert box is not None
                where = f"{event.slug} at {viewport['width']}px: {slug} at y={box['y']:.0f}"
                assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], where
                assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], where
                # The name leads to its row.
                assert name.get_attribute("href") == f"#row-{slug}"
                assert page.locator(f"tr#row-{slug}").count() == 1
            # The answer in words is there too, above the names.
            answer = page.locator("#story .answer").first.bounding_box()
            assert answer and answer["y"] < viewport["height"] / 2
        page.close()


def test_a_name_in_the_strip_takes_the_reader_to_its_row(sample, live_server, browser):
    page = browser.new_page(viewport=FIRST_SCREENS[1])
    page.goto(live_server.url + "/events/maduro-capture-2026/")
    page.locator('#story a[data-glance="vladimir-putin"]').click()
    page.wait_for_url("**#row-vladimir-putin")
    row = page.locator("tr#row-vladimir-putin")
    assert row.get_attribute("data-status") == "silent"
    box = row.bounding_box()
    assert box and -2 <= box["y"] < FIRST_SCREENS[1]["height"]


def test_clicking_a_state_on_the_map_shows_its_row(sample, live_server, browser):
    page = browser.new_page(viewport=FIRST_SCREENS[0])
    page.goto(live_server.url + "/events/maduro-capture-2026/#map")
    states = page.locator("a[data-map-state]")
    assert sorted(states.nth(i).get_attribute("data-map-state")
                  for i in range(states.count())) == ["china", "iran", "russia", "united-states"]
    # Colour follows the status: Russia answered (through its ministry).
    assert "status-fill--responded" in page.locator(
        'a[data-map-state="russia"] path').get_attribute("class")
    page.locator('a[data-map-state="iran"] path').click()
    page.wait_for_url("**#row-iran")
    row = page.locator("tr#row-iran")
    box = row.bounding_box()
    assert box and -2 <= box["y"] < FIRST_SCREENS[0]["height"]
    # The list says the same for those who do not see the map.
    assert page.locator(".map-list li", has_text="Iran").count() >= 1
