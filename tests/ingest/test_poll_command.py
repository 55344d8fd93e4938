"""The `poll` and `add_source` management commands."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from actors.models import Actor
from statements.models import FetchAttempt, Source, Statement

FEEDS = Path(__file__).parent.parent / "feeds"
URL = "https://feeds.example.org/a.xml"


def run(*args) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out, no_color=True)
    return out.getvalue().splitlines()


# --- poll --------------------------------------------------------------------


@pytest.mark.smoke
def test_poll_all_twice_stores_each_entry_once(feed_server, db):
    with_etag = Source.objects.create(
        url=feed_server.serve("/rss.xml", FEEDS / "rss20.xml", etag='"v1"'), language="en"
    )
    without_validators = Source.objects.create(
        url=feed_server.serve("/atom.xml", FEEDS / "atom10.xml"), title="Kremlin"
    )

    first = run("poll", "--all")

    assert first == [
        f"#{with_etag.pk} Ministry of Foreign Affairs: News (en): ok 200, 3 seen, 3 new",
        f"#{without_validators.pk} Kremlin (en): ok 200, 2 seen, 2 new",
    ]

    second = run("poll", "--all")

    assert second == [
        f"#{with_etag.pk} Ministry of Foreign Affairs: News (en): not modified (304)",
        f"#{without_validators.pk} Kremlin (en): unchanged (200, same body as last time)",
    ]
    assert Statement.objects.count() == 5
    assert FetchAttempt.objects.count() == 4


def test_poll_without_options_polls_only_due_sources(feed_server, db):
    due = Source.objects.create(url=feed_server.serve("/due", FEEDS / "rdf10.xml"))
    Source.objects.create(
        url=feed_server.serve("/later", FEEDS / "rss20.xml"),
        next_poll_at=timezone.now() + timedelta(minutes=10),
    )
    Source.objects.create(url=feed_server.serve("/off", FEEDS / "atom10.xml"), is_active=False)

    lines = run("poll")

    assert lines == [f"#{due.pk} United Nations: Press releases (en): ok 200, 2 seen, 2 new"]
    assert [r.path for r in feed_server.requests] == ["/due"]
    assert run("poll") == ["No sources to poll."]


def test_poll_one_source_even_if_inactive(feed_server, db):
    source = Source.objects.create(
        url=feed_server.serve("/off", FEEDS / "rdf10.xml"), is_active=False
    )

    assert run("poll", "--source", str(source.pk)) == [
        f"#{source.pk} United Nations: Press releases (en): ok 200, 2 seen, 2 new"
    ]


def test_poll_reports_errors_with_the_next_try(feed_server, db, settings):
    settings.FEED_POLL_INTERVAL = timedelta(minutes=15)
    source = Source.objects.create(
        url=feed_server.serve("/down", "oops", status=500, content_type="text/plain"),
        title="Broken feed",
    )

    lines = run("poll", "--source", str(source.pk))

    assert lines == [
        f"#{source.pk} Broken feed: error: HTTP 500 Internal Server Error (next try in 30 min)"
    ]


def test_poll_mentions_warnings(feed_server, db):
    source = Source.objects.create(url=feed_server.serve("/dup", FEEDS / "duplicate_ids.xml"))

    [line] = run("poll", "--source", str(source.pk))

    assert line == (
        f"#{source.pk} Repeats itself: ok 200, 2 seen, 2 new; "
        "warning: 1 entry repeated an id listed earlier and skipped"
    )


def test_poll_an_unknown_source_fails_clearly(db):
    known = Source.objects.create(url="https://feeds.example.org/a.xml")

    with pytest.raises(CommandError, match=r"^No source with id #999999 ") as caught:
        run("poll", "--source", str(known.pk), "--source", "999999")

    assert caught.value.returncode != 0
    assert not FetchAttempt.objects.exists()  # Nothing polled on a bad request.


# --- add_source --------------------------------------------------------------


@pytest.mark.smoke
def test_add_source_creates_it_without_fetching(feed_server, db):
    ministry = Actor.objects.create(
        name="Russian Foreign Ministry", slug="russian-mfa", kind=Actor.Kind.INSTITUTION
    )
    url = feed_server.serve("/rss.xml", FEEDS / "rss20.xml")

    [line] = run("add_source", url, "--actor", "russian-mfa", "--language", "ru")

    source = Source.objects.get()
    assert line == f"Added source #{source.pk}: {url}"
    assert (source.url, source.actor, source.language) == (url, ministry, "ru")
    assert source.is_active and source.next_poll_at is None  # due at the next beat
    assert feed_server.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not a url"], "url: Enter a valid URL."),
        (["ftp://feeds.example.org/a.xml"], "url: Enter a valid URL."),
        ([URL, "--actor", "nobody"], "actor: No actor with the slug nobody."),
        ([URL, "--language", "Russian!"], "language: Use a language tag"),
    ],
)
def test_add_source_rejects_bad_input(db, args, message):
    with pytest.raises(CommandError, match=f"^Source not added. {message}"):
        run("add_source", *args)
    assert not Source.objects.exists()


def test_add_source_refuses_a_duplicate_url(db):
    existing = Source.objects.create(url=URL)

    with pytest.raises(CommandError, match=f"url: Source #{existing.pk} already has this URL."):
        run("add_source", URL)
    assert Source.objects.count() == 1
