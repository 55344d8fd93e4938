"""Backfill: walking a feed's archive pages from a local server, as an admin would run it.

Two archives are served: an Atom feed paged by RFC 5005 links (rel="next", with
rel="last" naming the depth) and an RSS feed paged by a CMS parameter (?page=N;
?paged=N is not understood, as on a non-WordPress site). Entries are twelve
hours apart, newest first, five to a page.
"""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from statements.ingest import backfill
from statements.models import BackfillCheckpoint, CoverageInterval, EventLink, Statement
from statements.responses.statuses import event_responses
from tests import factories as f
from tests.feedserver import wait_for

NEWEST = f.utc(2026, 1, 20, 12)
STEP = timedelta(hours=12)
PER_PAGE = 5


def entry_time(n: int):
    return NEWEST - n * STEP


def entry_title(n: int) -> str:
    return f"Press release number {n}"


def atom_page(server, page: int, pages: int, titles=None) -> bytes:
    links = [f'<link rel="self" href="{server.url(f"/atom/{page}.xml")}"/>',
             f'<link rel="first" href="{server.url("/atom/1.xml")}"/>',
             f'<link rel="last" href="{server.url(f"/atom/{pages}.xml")}"/>']
    if page < pages:
        links.append(f'<link rel="next" href="{server.url(f"/atom/{page + 1}.xml")}"/>')
    entries = []
    for n in range((page - 1) * PER_PAGE, page * PER_PAGE):
        title = (titles or {}).get(n, entry_title(n))
        entries.append(
            f"<entry><id>urn:test:atom:{n}</id><title>{title}</title>"
            f'<link href="https://kremlin.example.org/news/{n}"/>'
            f"<updated>{entry_time(n).isoformat()}</updated>"
            f"<content type=\"html\">&lt;p&gt;{title}. Text of entry {n}.&lt;/p&gt;</content>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Kremlin news</title>'
        f"<id>urn:test:atom</id><updated>{NEWEST.isoformat()}</updated>"
        + "".join(links) + "".join(entries) + "</feed>"
    ).encode()


def rss_page(page: int) -> bytes:
    items = []
    for n in range((page - 1) * PER_PAGE, page * PER_PAGE):
        items.append(
            f"<item><guid>urn:test:rss:{n}</guid><title>{entry_title(n)}</title>"
            f"<link>https://mid.example.org/news/{n}</link>"
            f"<pubDate>{entry_time(n).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>Text of entry {n}.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>MFA news</title><link>https://mid.example.org/</link>"
        + "".join(items) + "</channel></rss>"
    ).encode()


def serve_atom(server, pages: int, **kwargs) -> str:
    for page in range(1, pages + 1):
        server.serve(f"/atom/{page}.xml", atom_page(server, page, pages, **kwargs),
                     content_type="application/atom+xml")
    return server.url("/atom/1.xml")


def serve_rss(server, pages: int, missing=()) -> str:
    for page in range(1, pages + 1):
        path = "/rss.xml" if page == 1 else f"/rss.xml?page={page}"
        if page in missing:
            server.serve(path, "upstream broke", status=500, content_type="text/plain")
        else:
            server.serve(path, rss_page(page))
    return server.url("/rss.xml")


@pytest.fixture(autouse=True)
def _no_spacing(settings):
    settings.BACKFILL_HOST_SPACING_SECONDS = 0
    settings.FEED_HOST_SPACING_SECONDS = 0


def intervals(source):
    return list(
        CoverageInterval.objects.filter(source=source, origin=CoverageInterval.Origin.BACKFILL)
        .order_by("start")
        .values_list("start", "end")
    )


def test_an_rfc5005_atom_archive_is_stored_entry_by_entry_once(feed_server, db):
    source = f.source(url=serve_atom(feed_server, pages=12))

    checkpoint = backfill.run_backfill(source=source)

    assert checkpoint.state == BackfillCheckpoint.State.DONE
    assert (checkpoint.pages_done, checkpoint.pages_total, checkpoint.entries_new) == (12, 12, 60)
    stored = Statement.objects.filter(source=source)
    assert stored.count() == 60
    expected_ids = {f"urn:test:atom:{n}" for n in range(60)}
    assert set(stored.values_list("entry_id", flat=True)) == expected_ids
    assert checkpoint.reached_at == entry_time(59)
    # Contiguous pages: one interval from the oldest entry to the newest.
    assert intervals(source) == [(entry_time(59), entry_time(0))]

    again = backfill.run_backfill(source=source)
    assert (again.pages_done, again.entries_seen, again.entries_new) == (12, 60, 0)
    assert stored.count() == 60
    assert intervals(source) == [(entry_time(59), entry_time(0))]


def test_a_cms_feed_is_paged_by_its_parameter_and_a_missing_page_is_a_gap(feed_server, db):
    source = f.source(url=serve_rss(feed_server, pages=10, missing={4}))

    checkpoint = backfill.run_backfill(source=source)

    assert checkpoint.state == BackfillCheckpoint.State.DONE
    assert checkpoint.mode == "param:page"
    assert (checkpoint.pages_done, checkpoint.pages_missing) == (9, 1)
    assert Statement.objects.filter(source=source).count() == 45
    assert not Statement.objects.filter(entry_id="urn:test:rss:17").exists()
    # Page 4 listed entries 15-19: between page 3's oldest and page 5's newest, a gap.
    assert intervals(source) == [(entry_time(49), entry_time(20)), (entry_time(14), entry_time(0))]
    # Past the last page the site answers 404: the end, not a failure.
    assert feed_server.requests_to("/rss.xml?page=11")


def test_until_and_max_pages_stop_early_and_the_next_run_continues(feed_server, db):
    source = f.source(url=serve_atom(feed_server, pages=8))

    first = backfill.run_backfill(source=source, max_pages=3)
    assert (first.state, first.pages_done, first.entries_new) == ("stopped", 3, 15)
    assert first.next_url.endswith("/atom/4.xml")

    second = backfill.run_backfill(source=source, until=entry_time(27))
    assert second.state == BackfillCheckpoint.State.DONE
    # Resumed at page 4, stopped at page 6 (entries 25-29 reach the date).
    assert [r.path for r in feed_server.requests if r.path.startswith("/atom/")] == [
        f"/atom/{n}.xml" for n in (1, 2, 3, 4, 5, 6)
    ]
    assert Statement.objects.filter(source=source).count() == 30
    assert intervals(source) == [(entry_time(29), entry_time(0))]


def test_retry_after_is_honoured_before_the_page_is_fetched_again(feed_server, db, settings):
    source = f.source(url=serve_atom(feed_server, pages=2))
    later = atom_page(feed_server, 2, 2)
    feed_server.serve("/atom/2.xml", "slow down", status=429, content_type="text/plain",
                      headers={"Retry-After": "1"})
    waited = []

    def sleep(seconds):
        waited.append(seconds)
        if len(waited) > 2:  # the server has had its pause: it answers now
            feed_server.serve("/atom/2.xml", later, content_type="application/atom+xml")

    checkpoint = backfill.run_backfill(source=source, sleep=sleep)

    assert checkpoint.state == BackfillCheckpoint.State.DONE
    assert Statement.objects.filter(source=source).count() == 10
    assert sum(waited) >= 1


def test_past_events_become_silent_or_responded_from_the_backfilled_archive(feed_server, db):
    kremlin = f.actor("vladimir-putin")
    titles = {33: "Statement on Venezuela: Venezuela must decide its own future"}
    source = f.source(for_actor=kremlin, url=serve_atom(feed_server, pages=12, titles=titles))
    # Events already in the database, long before the feed was added.
    spoke = f.event("venezuela", occurred_at=entry_time(34), window_hours=48,
                    terms={"en": ["Venezuela"]}, expected=[kremlin])
    quiet = f.event("iran", occurred_at=entry_time(50), window_hours=48,
                    terms={"en": ["Iran"]}, expected=[kremlin])
    now = NEWEST + timedelta(days=1)
    def statuses():
        return {e.slug: event_responses(event=e, now=now).responders[0].status
                for e in (spoke, quiet)}

    before = statuses()
    assert before == {"venezuela": "no_coverage", "iran": "no_coverage"}

    backfill.run_backfill(source=source)

    link = EventLink.objects.get(event=spoke)
    assert link.statement.entry_id == "urn:test:atom:33"
    after = statuses()
    assert after == {"venezuela": "responded", "iran": "silent"}


def test_a_gap_in_the_archive_leaves_an_event_inside_it_without_coverage(feed_server, db):
    actor = f.actor("sergey-lavrov")
    source = f.source(for_actor=actor, url=serve_rss(feed_server, pages=10, missing={4}))
    inside_gap = f.event("gap", occurred_at=entry_time(19), window_hours=24,
                         terms={"en": ["Iran"]}, expected=[actor])
    covered = f.event("covered", occurred_at=entry_time(40), window_hours=24,
                      terms={"en": ["Iran"]}, expected=[actor])

    backfill.run_backfill(source=source)

    now = NEWEST + timedelta(days=1)
    assert event_responses(event=inside_gap, now=now).responders[0].status == "no_coverage"
    assert event_responses(event=covered, now=now).responders[0].status == "silent"


def test_the_command_reports_progress_and_refuses_a_bad_date(feed_server, db, capsys):
    source = f.source(url=serve_atom(feed_server, pages=3))

    call_command("backfill", str(source.pk), "--max-pages", "2")

    out = capsys.readouterr().out
    assert "pages 1/3 · 5 entries (5 new) · reached 2026-01-18" in out
    assert "stopped at a limit, pages 2/3 · 10 entries (10 new)" in out
    with pytest.raises(Exception, match="is not a date"):
        call_command("backfill", str(source.pk), "--until", "last tuesday")


# --- Killed mid-way, in a real process ---------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_backfill_killed_mid_way_resumes_from_its_checkpoint(feed_server):
    source = f.source(url=serve_atom(feed_server, pages=20))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "FEED_ALLOW_PRIVATE_HOSTS": "1",
        # Slow enough to be caught in the middle.
        "BACKFILL_HOST_SPACING_SECONDS": "0.4",
        "FEED_HOST_SPACING_SECONDS": "0",
    }
    env.pop("TEST_DATABASE_NAME", None)
    env.pop("REDIS_URL", None)
    command = [sys.executable, "manage.py", "backfill", str(source.pk)]
    process = subprocess.Popen(command, cwd=django_settings.BASE_DIR, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for(
            lambda: BackfillCheckpoint.objects.filter(source=source, pages_done__gte=5).exists(),
            timeout=60,
        ), process.stderr.read().decode() if process.poll() is not None else "too slow"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed_at = BackfillCheckpoint.objects.get(source=source)
    assert killed_at.state == BackfillCheckpoint.State.RUNNING
    assert 5 <= killed_at.pages_done < 20
    fetched_before = len(feed_server.requests)

    env["BACKFILL_HOST_SPACING_SECONDS"] = "0"
    finished = subprocess.run(command, cwd=django_settings.BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=120)

    assert finished.returncode == 0, finished.stderr
    assert "finished, pages" in finished.stdout
    assert Statement.objects.filter(source=source).count() == 100
    # The second run began where the first stopped: the head was not walked again.
    resumed = [r.path for r in feed_server.requests[fetched_before:]]
    assert resumed[0] in (f"/atom/{killed_at.page_number}.xml",
                          f"/atom/{killed_at.page_number + 1}.xml")
    assert "/atom/1.xml" not in resumed
    assert intervals(source) == [(entry_time(99), entry_time(0))]


def test_an_rss_archived_feed_is_walked_by_its_prev_archive_links(feed_server, db):
    # RFC 5005 section 4: the subscription document, then older archive documents.
    for page, path in enumerate(["/rss.xml", "/archive/2026-01.xml", "/archive/2025-12.xml"], 1):
        body = rss_page(page).decode()
        if page < 3:
            older = ["/archive/2026-01.xml", "/archive/2025-12.xml"][page - 1]
            body = body.replace(
                '<rss version="2.0"><channel>',
                '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
                f'<atom:link rel="prev-archive" href="{feed_server.url(older)}"/>',
            )
        feed_server.serve(path, body)
    source = f.source(url=feed_server.url("/rss.xml"))

    checkpoint = backfill.run_backfill(source=source)

    assert (checkpoint.state, checkpoint.mode, checkpoint.pages_done) == ("done", "rfc5005", 3)
    assert Statement.objects.filter(source=source).count() == 15
    assert intervals(source) == [(entry_time(14), entry_time(0))]


def test_a_wordpress_feed_is_paged_by_paged(feed_server, db):
    feed_server.serve("/feed/", rss_page(1))
    for page in (2, 3):
        feed_server.serve(f"/feed/?paged={page}", rss_page(page))
    source = f.source(url=feed_server.url("/feed/"))

    checkpoint = backfill.run_backfill(source=source)

    assert (checkpoint.state, checkpoint.mode, checkpoint.pages_done) == ("done", "param:paged", 3)
    assert Statement.objects.filter(source=source).count() == 15
    # ?paged=4 is past the end (404 here); ?page= was never tried.
    assert not [r for r in feed_server.requests if "page=" in r.path and "paged" not in r.path]


def test_two_walks_of_one_source_do_not_run_at_once(feed_server, db):
    source = f.source(url=serve_atom(feed_server, pages=2))
    with backfill.source_turn(source):
        with pytest.raises(backfill.BackfillBusy, match="Another backfill of"):
            backfill.run_backfill(source=source)
        with pytest.raises(Exception, match="Another backfill of"):
            call_command("backfill", str(source.pk))
    assert not Statement.objects.filter(source=source).exists()
    assert backfill.run_backfill(source=source).entries_new == 10


def test_a_second_backfill_leaves_editors_decisions_alone(feed_server, db):
    putin = f.actor("vladimir-putin")
    titles = {3: "Statement on Venezuela: Venezuela must decide", 7: "Venezuela talks"}
    source = f.source(for_actor=putin, url=serve_atom(feed_server, pages=2, titles=titles))
    event = f.event("venezuela", occurred_at=entry_time(8), window_hours=96,
                    terms={"en": ["Venezuela"]}, expected=[putin])
    backfill.run_backfill(source=source)
    links = {link.statement.entry_id: link for link in EventLink.objects.filter(event=event)}
    assert set(links) == {"urn:test:atom:3", "urn:test:atom:7"}
    EventLink.objects.filter(pk=links["urn:test:atom:3"].pk).update(status="rejected")
    EventLink.objects.filter(pk=links["urn:test:atom:7"].pk).update(status="confirmed")

    backfill.run_backfill(source=source)

    assert dict(EventLink.objects.filter(event=event).values_list(
        "statement__entry_id", "status")) == {"urn:test:atom:3": "rejected",
                                              "urn:test:atom:7": "confirmed"}
