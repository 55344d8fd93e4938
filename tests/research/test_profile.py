"""The actor profile: the record across events at a glance ("Putin on Venezuela, 2019 against
2026"), response rate and median latency, roles, members, sources and their health."""

import re
from datetime import date, timedelta

import pytest

from actors.models import Actor, Role
from statements.models import FetchAttempt, Tag
from tests import factories as f
from tests.factories import utc
from tests.scenarios import build_maduro_scenario, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def putin_record():
    """Putin answered Venezuela 2019 in 24.5 h and Syria 2024 through Peskov in 30 h, and
    said nothing on Venezuela 2026 although the Kremlin's feed covered the window."""
    scenario = build_maduro_scenario()
    a, feeds = scenario["actors"], scenario["feeds"]
    venezuela = Tag.objects.get(slug="venezuela")
    latam = Tag.objects.create(slug="latin-america")
    scenario["event"].tags.add(latam)

    t2019 = utc(2019, 1, 23, 16)
    old = f.event(slug="venezuela-crisis-2019", title="Venezuelan crisis", occurred_at=t2019,
                  expected=[a["putin"]])
    old.tags.set([venezuela, latam])
    f.fetched(feeds["kremlin"], t2019 + timedelta(days=10), oldest=t2019 - timedelta(days=30))
    f.link(old, f.statement(a["putin"], t2019 + timedelta(hours=24.5), source=feeds["kremlin"],
                            title="Telephone conversation with Nicolas Maduro"),
           stance="condemns", intensity=2)

    t2024 = utc(2024, 12, 8, 3)
    syria = f.event(slug="assad-fall-2024", title="Fall of Assad", occurred_at=t2024,
                    expected=[a["putin"]])
    syria.tags.set([Tag.objects.create(slug="syria")])
    f.link(syria, f.statement(a["peskov"], t2024 + timedelta(hours=30),
                              title="Peskov on Syria"), stance="neutral")
    Role.objects.create(person=a["putin"], institution=a["kremlin"], title="Prime Minister",
                        started_on=date(2008, 5, 8), ended_on=date(2012, 5, 7))
    return scenario


def test_the_profile_compares_the_same_topic_across_years(client, putin_record):
    html = client.get(putin_record["actors"]["putin"].get_absolute_url()).content.decode()
    topic = re.search(r'<div class="topic" data-tags="latin-america venezuela">(.*?)</div>',
                      html, re.S)
    assert topic, "the two Venezuela events make one topic line"
    line = re.findall(r'<li data-event="([\w-]+)" data-status="(\w+)">', topic.group(1))
    assert line == [("venezuela-crisis-2019", "responded"), ("maduro-capture-2026", "silent")]
    text = text_of(topic.group(1))
    assert "2019" in text and "Responded +24.5 h" in text and "2026" in text and "Silent" in text
    # A topic seen once compares nothing and is not drawn as a line.
    assert 'data-tags="syria"' not in html


def test_the_profile_gives_response_rate_and_median_latency(client, putin_record):
    text = text_of(client.get(putin_record["actors"]["putin"].get_absolute_url())
                   .content.decode())
    # Three closed events: 2019 responded (24.5 h), 2024 via proxy (30 h), 2026 silent.
    assert "67% response rate: answered 2 of the 3 events it was expected in" in text
    assert "+27.2 h median time to its first response" in text
    assert "1 silence its feeds vouch for" in text


def test_the_record_table_lists_status_latency_through_and_stance(client, putin_record):
    html = client.get(putin_record["actors"]["putin"].get_absolute_url()).content.decode()
    rows = dict(re.findall(r'<tr data-event="([\w-]+)" data-status="(\w+)">', html))
    assert rows == {"maduro-capture-2026": "silent", "assad-fall-2024": "via_proxy",
                    "venezuela-crisis-2019": "responded"}
    syria = re.search(r'<tr data-event="assad-fall-2024".*?</tr>', html, re.S).group(0)
    assert "+30.0 h" in syria and "Dmitry Peskov" in syria and "Neutral" in syria


def test_the_profile_shows_roles_over_time_parent_members_and_aliases(client, putin_record):
    a = putin_record["actors"]
    text = text_of(client.get(a["putin"].get_absolute_url()).content.decode())
    assert "Part of Presidential Executive Office" in text
    assert "President of Russia" in text and "Prime Minister" in text
    assert "2008-05-08 – 2012-05-07" in text
    russia = text_of(client.get(a["russia"].get_absolute_url()).content.decode())
    assert "Members" in russia and "Presidential Executive Office" in russia


def test_the_profile_lists_the_feeds_that_vouch_for_it_with_their_health(client, putin_record):
    a, feeds = putin_record["actors"], putin_record["feeds"]
    kremlin = feeds["kremlin"]
    for hours in (1, 2, 3):
        f.fetched(kremlin, utc(2026, 3, 1, hours), outcome=FetchAttempt.Outcome.ERROR,
                  error="HTTP 503 Service Unavailable")
    kremlin.consecutive_failures = 3
    kremlin.last_attempt_at = utc(2026, 3, 1, 3)
    kremlin.save()
    html = client.get(a["putin"].get_absolute_url()).content.decode()
    # The Kremlin's feed is its ancestor's: it is what vouches for Putin's silences.
    row = re.search(rf'<tr data-source="{kremlin.pk}" data-health="(\w+)">(.*?)</tr>', html,
                    re.S)
    assert row and row.group(1) == "failing"
    text = text_of(row.group(2))
    assert "Kremlin news" in text and "Presidential Executive Office" in text
    assert "Failing" in text and "Failed: HTTP 503 Service Unavailable" in text
    russia = client.get(a["russia"].get_absolute_url()).content.decode()
    assert f'data-source="{feeds["mfa"].pk}"' in russia  # a member's feed


def test_the_profile_links_its_feed_search_and_data(client, putin_record):
    html = client.get("/actors/vladimir-putin/").content.decode()
    assert 'href="/actors/vladimir-putin/feed.atom"' in html
    assert 'href="/statements/?actor=vladimir-putin"' in html
    assert 'href="/api/actors/vladimir-putin/"' in html


def _events(n, putin, mfa, kremlin_feed):
    for i in range(n):
        t0 = utc(2025, 1, 1) + timedelta(days=20 * i)
        event = f.event(slug=f"p-{n}-{i}", occurred_at=t0, expected=[putin, mfa])
        event.tags.set([Tag.objects.get_or_create(slug=f"topic-{i % 2}")[0]])
        f.link(event, f.statement(mfa, t0 + timedelta(hours=2)), stance="concern", intensity=1)
        if i % 2:
            f.link(event, f.statement(putin, t0 + timedelta(hours=30), source=kremlin_feed))


def test_the_profile_takes_the_same_queries_however_many_events(
        client, django_assert_max_num_queries):
    russia = f.actor("russia", kind=Actor.Kind.STATE)
    putin = f.actor("vladimir-putin", parent=russia)
    mfa = f.actor("russian-mfa", kind=Actor.Kind.INSTITUTION, parent=russia)
    feed = f.source(putin)
    _events(2, putin, mfa, feed)
    counts = []
    for more in (0, 10):
        _events(more, putin, mfa, feed)
        for actor in (putin, russia):
            with django_assert_max_num_queries(30) as queries:
                assert client.get(actor.get_absolute_url()).status_code == 200
            counts.append(len(queries.captured_queries))
    assert counts[:2] == counts[2:]
