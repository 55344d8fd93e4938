"""Comparisons on the sample: one actor across events, and events side by side."""

from __future__ import annotations

import re

import pytest

import statements.tasks  # noqa: F401  (registers the tasks load_sample queues, eagerly run)
from tests.scenarios import load_sample_on_a_free_port

pytestmark = pytest.mark.django_db

PUTIN_PAIR = "venezuela-crisis-2019,maduro-capture-2026"


@pytest.fixture
def sample(settings):
    load_sample_on_a_free_port(settings)


def columns(html):
    return re.findall(r'<section class="compare-column" data-event="([\w-]+)" '
                      r'data-status="(\w+)"', html)


def test_the_profile_offers_putin_2019_against_2026(client, sample):
    html = client.get("/actors/vladimir-putin/").content.decode()
    assert f'href="/actors/vladimir-putin/compare/?events={PUTIN_PAIR}"' in html


def test_one_actor_across_events_side_by_side_oldest_first(client, sample):
    response = client.get("/actors/vladimir-putin/compare/",
                          {"events": "maduro-capture-2026,venezuela-crisis-2019"})
    html = response.content.decode()
    assert response.status_code == 200
    assert columns(html) == [("venezuela-crisis-2019", "responded"),
                             ("maduro-capture-2026", "silent")]
    assert "destructive external interference" in html  # 2019's key quote, inline
    assert "Nothing, although its feeds cover the window." in html
    assert "Permalink to this comparison" in html


def test_events_side_by_side_put_the_same_responders_in_rows(client, sample):
    html = client.get("/compare/", {"events": PUTIN_PAIR + ",assad-fall-2024"}).content.decode()
    putin = re.search(r'<tr data-actor="vladimir-putin">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td data-event="([\w-]+)" data-status="(\w+)"', putin)
    assert cells == [("venezuela-crisis-2019", "responded"), ("assad-fall-2024", "via_proxy"),
                     ("maduro-capture-2026", "silent")]
    assert '<details class="cell-quote">' in html  # the quote opens on demand


def test_an_unknown_event_is_refused_with_a_message_and_no_table(client, sample):
    html = client.get("/compare/", {"events": "maduro-capture-2026,atlantis-1066"}).content.decode()
    assert "No published event is called “atlantis-1066”." in html
    assert '<table class="compare">' not in html


def test_the_profile_shows_attention_per_month_and_what_was_on_events(client, sample):
    from actors.models import Actor
    from statements.timeline.selector import actor_attention

    chart = actor_attention(actor=Actor.objects.get(slug="vladimir-putin"))
    assert chart.total == sum(b.total for b in chart.bars) > 0
    assert any(b.on_events for b in chart.bars)
    assert all(b.on_events <= b.total for b in chart.bars)
    months = [b.month for b in chart.bars]
    assert months == sorted(months) and len(set(months)) == len(months)
    html = client.get("/actors/vladimir-putin/").content.decode()
    assert 'id="attention"' in html and "statements per month" in html
