"""A source vouches only while alive by its own rhythm; implausible dates never stretch coverage."""

from datetime import timedelta

import pytest

from actors.models import Actor
from statements.curation.health import source_health
from statements.ingest.pipeline import poll_source
from statements.models import Source, Statement
from statements.responses.liveness import (
    Rhythm,
    date_is_plausible,
    live_spans,
    rhythm_of,
)
from statements.responses.statuses import event_responses
from tests import factories as f
from tests.factories import utc

pytestmark = pytest.mark.django_db
T0 = utc(2026, 3, 10, 6)
WINDOW_END = T0 + timedelta(hours=72)
AFTER = WINDOW_END + timedelta(days=10)


def daily_entries(src, by, first, last, hour=9):
    """One entry a day, as a live ministry feed publishes."""
    day, made = first, []
    while day <= last:
        made.append(f.statement(by, day.replace(hour=hour), source=src,
                                title=f"Meeting on economic issues {day:%d %b}"))
        day += timedelta(days=1)
    return made


@pytest.fixture
def kremlin():
    putin = f.actor("vladimir-putin", name="Vladimir Putin")
    feed = f.source(putin, title="Kremlin news")
    event = f.event(occurred_at=T0, expected=[putin], title="Strike on a port")
    return {"putin": putin, "feed": feed, "event": event}


def responder(event, now=AFTER):
    (row,) = event_responses(event=event, now=now).responders
    return row


def test_a_daily_feed_that_keeps_publishing_vouches_and_shows_what_was_said_instead(kremlin):
    daily_entries(kremlin["feed"], kremlin["putin"], T0 - timedelta(days=40), AFTER)
    f.fetched(kremlin["feed"], AFTER, oldest=T0 - timedelta(days=40))

    row = responder(kremlin["event"])

    assert row.status == "silent"
    assert row.evidence[0].quiet is None
    titles = [s.title for s in row.instead]
    assert titles == ["Meeting on economic issues 10 Mar", "Meeting on economic issues 11 Mar",
                      "Meeting on economic issues 12 Mar"]


def test_a_feed_that_froze_before_the_event_stops_vouching_and_says_why(kremlin):
    # Daily until 3 Mar, then the CMS keeps answering 200 with the same list.
    daily_entries(kremlin["feed"], kremlin["putin"], utc(2026, 1, 20), utc(2026, 3, 3))
    for days in range(0, 20):
        f.fetched(kremlin["feed"], utc(2026, 3, 3, 12) + timedelta(days=days),
                  oldest=utc(2026, 2, 1, 9))

    row = responder(kremlin["event"])

    assert row.status == "no_coverage"
    assert row.quiet_reasons == ["feed quiet since 3 Mar 2026; it usually publishes daily"]
    # Coverage is kept only up to what its rhythm supports: 3 days after 3 Mar, before T0.
    assert row.evidence[0].spans == []


def test_a_freeze_inside_the_window_cuts_the_coverage_where_the_rhythm_ends(kremlin):
    daily_entries(kremlin["feed"], kremlin["putin"], T0 - timedelta(days=30),
                  T0 - timedelta(days=2))
    f.fetched(kremlin["feed"], AFTER, oldest=T0 - timedelta(days=30))

    row = responder(kremlin["event"])

    last_entry = (T0 - timedelta(days=2)).replace(hour=9)
    assert row.status == "no_coverage"
    assert [(s.start, s.end) for s in row.evidence[0].spans] == [
        (T0, last_entry + timedelta(days=3))]


def test_the_feeds_health_says_the_same_as_the_evidence_panel(kremlin):
    daily_entries(kremlin["feed"], kremlin["putin"], utc(2026, 1, 20), utc(2026, 3, 3))
    f.fetched(kremlin["feed"], AFTER, oldest=utc(2026, 2, 1, 9))
    Source.objects.filter(pk=kremlin["feed"].pk).update(last_attempt_at=AFTER)
    now = AFTER

    (health,) = source_health(now=now).rows
    row = responder(kremlin["event"], now=now)

    assert health.state == "quiet"
    assert health.quiet_reason == row.quiet_reasons[0]


def test_the_rhythm_is_the_median_gap_and_the_allowance_is_bounded():
    start = utc(2026, 1, 1)
    hourly = rhythm_of([start + timedelta(hours=h) for h in range(30)])
    daily = rhythm_of([start + timedelta(days=d) for d in range(30)])
    monthly = rhythm_of([start + timedelta(days=31 * m) for m in range(8)])
    few = rhythm_of([start, start + timedelta(days=1)])

    assert (hourly.usual_gap, hourly.allowance) == (timedelta(hours=1), timedelta(days=2))
    assert (daily.description, daily.allowance) == ("daily", timedelta(days=3))
    assert monthly.allowance == timedelta(days=30)
    assert few.usual_gap is None and few.allowance == timedelta(days=14)


def test_with_an_unknown_rhythm_only_the_frozen_feed_rule_applies():
    newest = utc(2026, 3, 1)
    spans = live_spans([newest], Rhythm(usual_gap=None, entries=1, newest=newest))
    assert spans[-1].end == newest + timedelta(days=14)


@pytest.mark.parametrize(("published", "plausible"), [
    (utc(1900, 1, 1), False),
    (utc(1970, 1, 1), False),
    (utc(2027, 3, 1), False),  # a year ahead of the fetch
    (utc(2026, 3, 2, 20), True),  # a few hours ahead: time zones
    (utc(2019, 2, 1), True),  # an archive entry from years before the source was added
])
def test_which_entry_dates_are_believable(published, plausible):
    assert date_is_plausible(published, source_added_at=utc(2026, 1, 1),
                             fetched_at=utc(2026, 3, 2)) is plausible


def test_an_implausibly_dated_entry_stretches_no_coverage(feed_server, kremlin):
    """A real poll of a feed with one entry dated 1900: the statement is flagged and
    sorted at its fetch time, and coverage starts at the oldest believable entry."""
    entries = "".join(
        f"<item><guid>e{n}</guid><title>Entry {n}</title><pubDate>{when}</pubDate></item>"
        for n, when in enumerate(["Mon, 01 Jan 1900 00:00:00 GMT",
                                  "Sun, 15 Mar 2026 09:00:00 GMT",
                                  "Sat, 14 Mar 2026 09:00:00 GMT"]))
    url = feed_server.serve("/frozen.xml", f"<rss version='2.0'><channel><title>K</title>"
                            f"{entries}</channel></rss>", content_type="application/rss+xml")
    src = kremlin["feed"]
    src.url = url
    src.created_at = utc(2026, 1, 1)
    src.save()

    attempt = poll_source(source=src, now=utc(2026, 3, 15, 12))

    odd = Statement.objects.get(entry_id="e0")
    assert odd.implausible_date == utc(1900, 1, 1)
    assert odd.published_at == utc(2026, 3, 15, 12)
    assert attempt.oldest_entry_at == utc(2026, 3, 14, 9)
    assert [(i.start, i.end) for i in src.coverage.all()] == [
        (utc(2026, 3, 14, 9), utc(2026, 3, 15, 12))]


def test_a_body_counts_what_its_members_published_instead(kremlin):
    state = f.actor("russia", kind=Actor.Kind.STATE)
    mfa = f.actor("russian-mfa", kind=Actor.Kind.INSTITUTION, parent=state)
    feed = f.source(state, title="Government")
    daily_entries(feed, mfa, T0 - timedelta(days=10), AFTER)
    f.fetched(feed, AFTER, oldest=T0 - timedelta(days=10))
    event = f.event(slug="other", occurred_at=T0, expected=[state])

    (row,) = event_responses(event=event, now=AFTER).responders
    assert row.status == "silent"
    assert {s.actor_id for s in row.instead} == {mfa.pk}
