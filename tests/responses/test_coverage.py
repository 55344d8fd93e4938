"""Coverage intervals: the evidence behind "silent"."""

from datetime import timedelta

import pytest

from statements.ingest import coverage
from statements.models import FetchAttempt
from statements.responses.coverage import Span, covers, gaps
from tests import factories as f
from tests.factories import utc

pytestmark = pytest.mark.django_db
Outcome = FetchAttempt.Outcome
T = utc(2026, 1, 3, 6)


def spans(src):
    return [(i.start, i.end) for i in src.coverage.order_by("start")]


def test_a_fetch_vouches_from_its_oldest_entry_to_the_fetch_time():
    src = f.source()
    f.fetched(src, T, oldest=T - timedelta(days=3))
    assert spans(src) == [(T - timedelta(days=3), T)]


def test_a_304_extends_the_previous_interval_to_the_new_fetch():
    src = f.source()
    f.fetched(src, T, oldest=T - timedelta(days=3))
    f.fetched(src, T + timedelta(hours=1), outcome=Outcome.NOT_MODIFIED)
    f.fetched(src, T + timedelta(hours=2), outcome=Outcome.UNCHANGED)
    assert spans(src) == [(T - timedelta(days=3), T + timedelta(hours=2))]


def test_a_failed_fetch_vouches_for_nothing_and_a_shorter_later_feed_leaves_a_gap():
    src = f.source()
    f.fetched(src, T, oldest=T - timedelta(days=3))
    f.fetched(src, T + timedelta(hours=10), outcome=Outcome.ERROR, error="HTTP 500")
    f.fetched(src, T + timedelta(days=5), oldest=T + timedelta(days=2))
    assert spans(src) == [
        (T - timedelta(days=3), T),
        (T + timedelta(days=2), T + timedelta(days=5)),
    ]


def test_a_304_after_a_failure_still_extends_the_last_success():
    src = f.source()
    f.fetched(src, T, oldest=T - timedelta(days=1))
    f.fetched(src, T + timedelta(hours=1), outcome=Outcome.ERROR, error="timeout")
    f.fetched(src, T + timedelta(hours=2), outcome=Outcome.NOT_MODIFIED)
    assert spans(src) == [(T - timedelta(days=1), T + timedelta(hours=2))]


def test_a_304_after_a_fetch_without_dated_entries_extends_nothing():
    src = f.source()
    f.fetched(src, T, oldest=T - timedelta(days=1))
    f.fetched(src, T + timedelta(hours=1), oldest=None, entries_seen=3)
    f.fetched(src, T + timedelta(hours=2), outcome=Outcome.NOT_MODIFIED)
    assert spans(src) == [(T - timedelta(days=1), T)]


def test_an_archive_feed_fetched_years_later_covers_old_windows_and_merges_overlaps():
    src = f.source()
    f.fetched(src, utc(2026, 11, 1), oldest=utc(2018, 6, 1))
    f.fetched(src, utc(2026, 11, 2), oldest=utc(2026, 10, 1))
    assert spans(src) == [(utc(2018, 6, 1), utc(2026, 11, 2))]


def test_rebuilding_from_the_attempt_log_gives_the_same_intervals():
    src = f.source()
    f.fetched(src, T, oldest=T - timedelta(days=3))
    f.fetched(src, T + timedelta(hours=1), outcome=Outcome.NOT_MODIFIED)
    f.fetched(src, T + timedelta(hours=5), outcome=Outcome.ERROR, error="x")
    f.fetched(src, T + timedelta(days=9), oldest=T + timedelta(days=4))
    before = spans(src)
    assert [(s.start, s.end) for s in coverage.rebuild(src)] == before


@pytest.mark.smoke
def test_covers_and_gaps_over_a_window():
    window = (T, T + timedelta(hours=72))
    whole = [Span(T - timedelta(days=1), T + timedelta(days=4))]
    holed = [
        Span(T - timedelta(days=1), T + timedelta(hours=10)),
        Span(T + timedelta(hours=20), T + timedelta(days=4)),
    ]
    assert covers(whole, *window)
    assert not covers(holed, *window)
    assert gaps(holed, *window) == [Span(T + timedelta(hours=10), T + timedelta(hours=20))]
    assert covers(holed + [Span(T + timedelta(hours=9), T + timedelta(hours=21))], *window)
