"""/changes/ (page, Atom, CSV), a changed statement's page, and the source's backfill page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actors.models import Actor
from config.celery import app as celery_app
from statements.ingest import revisions
from statements.ingest.archive import import_archive, parse_mapping
from statements.ingest.pipeline import poll_source
from statements.models import BackfillCheckpoint, Statement
from tests import factories as f
from tests.scenarios import login

pytestmark = pytest.mark.django_db

T1 = f.utc(2026, 3, 10, 9)


@pytest.fixture(autouse=True)
def _no_host_spacing(settings):
    # Every feed and page here lives on 127.0.0.1: polite spacing would only add sleeps.
    settings.FEED_HOST_SPACING_SECONDS = 0
T2 = T1 + timedelta(hours=6)


def item(guid, hours_before, title, text, server):
    when = (T1 - timedelta(hours=hours_before)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (f"<item><guid>{guid}</guid><title>{title}</title>"
            f"<link>{server.url('/news/' + guid)}</link><pubDate>{when}</pubDate>"
            f"<description>{text}</description></item>")


def feed(*items):
    return f'<rss version="2.0"><channel><title>MFA</title>{"".join(items)}</channel></rss>'


@pytest.fixture
def two_polls(feed_server):
    """Between two polls of the ministry's feed, one entry is edited and one taken down."""
    mfa = f.actor("russian-mfa")
    kremlin = f.actor("vladimir-putin")
    source = f.source(for_actor=mfa, url=feed_server.url("/mfa.xml"),
                      site_url=feed_server.url("/"))
    other = f.source(for_actor=kremlin, url=feed_server.url("/kremlin.xml"))
    s = feed_server
    feed_server.serve("/mfa.xml", feed(
        item("a", 1, "Briefing", "Moscow condemns the strikes on Caracas.", s),
        item("b", 2, "Comment", "A comment that will be taken down.", s),
        item("c", 3, "Older", "Still listed.", s),
    ))
    feed_server.serve("/kremlin.xml", feed(item("k1", 1, "Meeting", "Working meeting.", s),
                                           item("k2", 2, "Call", "Phone call.", s)))
    poll_source(source=source, now=T1)
    poll_source(source=other, now=T1)
    feed_server.serve("/mfa.xml", feed(
        item("a", 1, "Briefing", "Moscow firmly condemns the strikes on Caracas.", s),
        item("c", 3, "Older", "Still listed.", s),
    ))
    feed_server.serve("/kremlin.xml", feed(item("k1", 1, "Meeting (updated)", "Working meeting.",
                                                s), item("k2", 2, "Call", "Phone call.", s)))
    poll_source(source=source, now=T2)
    poll_source(source=other, now=T2)
    return {"mfa": mfa, "kremlin": kremlin, "source": source}


def test_an_edit_and_a_removal_between_two_polls_appear_with_diff_and_dates(
    client, two_polls, django_assert_num_queries
):
    with django_assert_num_queries(4):
        page = client.get(reverse("changes"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Edited after publication" in html and "No longer listed" in html
    assert "Moscow <ins>firmly</ins> condemns the strikes on Caracas." in html
    assert '<time datetime="2026-03-10T15:00:00+00:00">2026-03-10 15:00 UTC</time>' in html
    assert "Meeting <ins>(updated)</ins>" in html


def test_changes_are_filtered_by_actor_and_bad_filters_say_so(client, two_polls):
    mfa_only = client.get(reverse("changes"), {"actor": "russian-mfa"}).content.decode()
    assert "firmly" in mfa_only and "(updated)" not in mfa_only
    # A state's record includes its members'.
    russia = f.actor("russia", kind="state")
    Actor.objects.filter(slug="russian-mfa").update(parent=russia)
    russia_page = client.get(reverse("changes"), {"actor": "russia"}).content.decode()
    assert "firmly" in russia_page and "(updated)" not in russia_page

    bad = client.get(reverse("changes"), {"actor": "nobody", "kind": "deleted"})
    assert bad.status_code == 400
    assert "There is no actor “nobody”." in bad.content.decode()
    assert "“deleted” is not a kind of change" in bad.content.decode()

    removed_only = client.get(reverse("changes"), {"kind": "unlisted"}).content.decode()
    assert "A comment that will be taken down" not in removed_only  # the title is shown
    assert "Comment" in removed_only and "firmly" not in removed_only


def test_the_csv_and_the_atom_feed_carry_the_same_changes(client, two_polls):
    csv = client.get(reverse("changes"), {"format": "csv", "actor": "russian-mfa"})
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    lines = [line for line in csv.content.decode().splitlines() if not line.startswith("#")]
    assert lines[0].startswith("change,changed_at,statement_id,actor,source")
    rows = sorted(line.split(",")[0] for line in lines[1:])
    assert rows == ["edited", "unlisted"]
    assert "Moscow condemns the strikes on Caracas.,Moscow firmly condemns" in csv.content.decode()

    atom = client.get(reverse("changes-feed")).content.decode()
    assert atom.count("<entry>") == 3
    assert "Edited after publication: Briefing" in atom
    assert "No longer listed: Comment" in atom


def test_a_removed_statement_keeps_its_text_and_says_when_it_went(client, two_polls,
                                                                   feed_server):
    feed_server.serve("/news/b", "gone", status=410, content_type="text/html")
    revisions.recheck_removals(now=T2 + timedelta(hours=1))
    statement = Statement.objects.get(entry_id="b")

    page = client.get(statement.get_absolute_url()).content.decode()

    assert "removed from the site on 2026-03-10" in page
    assert "A comment that will be taken down." in page
    listed = client.get(reverse("changes"), {"kind": "removed"}).content.decode()
    assert "Removed from the site" in listed

    edited = Statement.objects.get(entry_id="a")
    page = client.get(edited.get_absolute_url()).content.decode()
    assert "edited after publication" in page
    assert "Moscow <ins>firmly</ins> condemns" in page
    # The text shown is the first version stored.
    assert "<p>Moscow condemns the strikes on Caracas.</p>" in page or (
        "Moscow condemns the strikes on Caracas." in page)


def serve_atom(server, pages: int) -> str:
    """An Atom feed paged by RFC 5005 links, five entries a page, newest first."""
    for page in range(1, pages + 1):
        links = f'<link rel="last" href="{server.url(f"/atom/{pages}.xml")}"/>'
        if page < pages:
            links += f'<link rel="next" href="{server.url(f"/atom/{page + 1}.xml")}"/>'
        entries = "".join(
            f"<entry><id>urn:atom:{n}</id><title>Entry {n}</title>"
            f"<updated>{(T1 - timedelta(hours=12 * n)).isoformat()}</updated></entry>"
            for n in range((page - 1) * 5, page * 5)
        )
        body = (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Archive</title>'
                f"<id>urn:atom</id>{links}{entries}</feed>")
        server.serve(f"/atom/{page}.xml", body, content_type="application/atom+xml")
    return server.url("/atom/1.xml")


@pytest.fixture
def eager_tasks():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_an_admin_starts_a_backfill_and_watches_it(client, feed_server, settings, eager_tasks,
                                                   django_capture_on_commit_callbacks):
    settings.BACKFILL_HOST_SPACING_SECONDS = 0
    settings.FEED_HOST_SPACING_SECONDS = 0
    source = f.source(url=serve_atom(feed_server, pages=4))
    url = reverse("source-backfill", args=[source.pk])
    assert client.post(url).status_code == 403  # anonymous: refused, nothing queued
    assert not BackfillCheckpoint.objects.exists()

    login(client, "Admin")
    assert "Never backfilled." in client.get(url).content.decode()
    bad = client.post(url, {"max_pages": "0"})
    assert bad.status_code == 400 and not BackfillCheckpoint.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"max_pages": "3"})
    assert response.status_code == 302

    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="backfill-progress"')
    assert "Stopped at a limit" in fragment
    assert "pages 3/4 · 15 entries (15 new)" in fragment
    assert "hx-trigger" not in fragment  # nothing running: the polling stops
    assert Statement.objects.filter(source=source).count() == 15

    running = BackfillCheckpoint.objects.get(source=source)
    running.state = BackfillCheckpoint.State.RUNNING
    running.updated_at = timezone.now()
    running.save()
    again = client.post(url, {}, follow=True).content.decode()
    assert "already running" in again
    watched = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in watched


def test_the_event_page_names_the_archive_behind_a_silence(client, tmp_path):
    putin = f.actor("vladimir-putin")
    source = f.source(for_actor=putin)
    path = tmp_path / "kremlin-2019.jsonl"
    path.write_text('{"id": "d1", "date": "2019-02-05T10:00:00Z", "title": "Working day"}\n')
    import_archive(path=path, source=source, mapping=parse_mapping("id=id,date=date,title=title"),
                   complete_from=f.utc(2019, 2, 1), complete_to=f.utc(2019, 2, 20))
    event = f.event("iran-2019", occurred_at=f.utc(2019, 2, 10), window_hours=72,
                    terms={"en": ["Iran"]}, expected=[putin])

    page = client.get(event.get_absolute_url()).content.decode()

    assert "Vouched for by the archive file <strong>kremlin-2019.jsonl</strong>" in page
    assert "stated complete 2019-02-01 – 2019-02-20" in page
