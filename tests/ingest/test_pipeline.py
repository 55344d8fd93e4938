"""poll_source end to end: a real HTTP server, the real database, what gets stored."""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors.models import Actor, Alias
from statements.ingest.pipeline import backoff_after, entries_hash, poll_source
from statements.models import CoverageInterval, Event, EventLink, FetchAttempt, Source, Statement
from tests.corpus import CORPUS, require_corpus

FEEDS = Path(__file__).parent.parent / "feeds"

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
Outcome = FetchAttempt.Outcome
Attribution = Statement.Attribution


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def mfa(db):
    """Russia → Ministry of Foreign Affairs → Lavrov, Zakharova; with aliases."""
    russia = Actor.objects.create(name="Russia", slug="russia", kind=Actor.Kind.STATE)
    ministry = Actor.objects.create(
        name="Russian Foreign Ministry", slug="russian-mfa", kind=Actor.Kind.INSTITUTION,
        parent=russia,
    )
    Alias.objects.create(actor=ministry, text="МИД России", lang="ru")
    lavrov = Actor.objects.create(
        name="Sergey Lavrov", slug="sergey-lavrov", kind=Actor.Kind.PERSON, parent=ministry
    )
    Alias.objects.create(actor=lavrov, text="Lavrov", lang="en")
    Alias.objects.create(actor=lavrov, text="Лавров", lang="ru")
    zakharova = Actor.objects.create(
        name="Maria Zakharova", slug="maria-zakharova", kind=Actor.Kind.PERSON, parent=ministry
    )
    Alias.objects.create(actor=zakharova, text="Захарова", lang="ru")
    return ministry


def make_source(url, actor=None, **fields) -> Source:
    return Source.objects.create(url=url, actor=actor, **fields)


def stored(source) -> dict[str, Statement]:
    return {s.entry_id: s for s in Statement.objects.filter(source=source)}


# --- What a successful poll stores --------------------------------------------


@pytest.mark.smoke
def test_it_stores_an_rss_feed_with_attribution_and_utc_dates(feed_server, mfa, settings):
    settings.FEED_ADAPTIVE_POLLING = False  # the fixed interval; adaptive: tests/security
    url = feed_server.serve("/rss.xml", FEEDS / "rss20.xml", etag='"v1"')
    source = make_source(url, actor=mfa)

    attempt = poll_source(source=source, now=T0)

    assert (attempt.outcome, attempt.http_status) == (Outcome.OK, 200)
    assert (attempt.entries_seen, attempt.entries_new) == (3, 3)
    assert attempt.error == "" and attempt.warning == ""
    assert attempt.started_at == T0 and attempt.finished_at >= T0
    # The oldest entry: Fri, 02 Jan 2026 23:00:00 -0500.
    assert attempt.oldest_entry_at == utc(2026, 1, 3, 4, 0)

    statements = stored(source)
    assert set(statements) == {"mid-en-1001", "mid-en-1002", "mid-en-1003"}
    remarks = statements["mid-en-1003"]
    assert remarks.actor.slug == "sergey-lavrov"
    assert remarks.attribution == Attribution.NAME_MATCH
    assert remarks.published_at == utc(2026, 1, 3, 11, 30)  # 14:30 +0300
    assert not remarks.published_at_estimated
    assert remarks.url == "https://mid.example.org/en/news/1003"
    assert remarks.fetched_at == T0
    assert remarks.language == "en"
    assert remarks.raw["id"] == "mid-en-1003"
    statement = statements["mid-en-1002"]
    assert (statement.actor, statement.attribution) == (mfa, Attribution.FEED_DEFAULT)
    assert statement.body_text == "The Ministry is deeply concerned by reports from Caracas."
    assert len(statement.content_hash) == 64

    source.refresh_from_db()
    assert source.title == "Ministry of Foreign Affairs: News"
    assert source.site_url == "https://mid.example.org/en/"
    assert source.language == "en"
    assert source.etag == '"v1"'
    assert len(source.body_hash) == 64
    assert source.last_success_at == T0 and source.last_attempt_at == T0
    assert source.consecutive_failures == 0
    assert source.next_poll_at == T0 + settings.FEED_POLL_INTERVAL
    assert list(source.coverage.values_list("start", "end")) == [(utc(2026, 1, 3, 4), T0)]


@pytest.mark.smoke
def test_entry_html_is_sanitised_and_flattened_to_text(feed_server, mfa):
    source = make_source(feed_server.serve("/rss.xml", FEEDS / "rss20.xml"), actor=mfa)

    poll_source(source=source, now=T0)

    body = Statement.objects.get(entry_id="mid-en-1003")
    html = body.body_html
    assert "<script" not in html and "alert(" not in html
    assert "<style" not in html and "color: red" not in html
    assert "onclick" not in html and "javascript:" not in html
    assert '<a rel="noopener noreferrer">full text</a>' in html
    assert (
        '<a href="https://mid.example.org/en/news/1003/full" rel="noopener noreferrer">'
        "transcript</a>" in html
    )
    assert "<strong>condemn</strong>" in html
    assert "<ul><li>One</li><li>Two &amp; three</li></ul>" in html
    assert body.body_text == (
        "We condemn the act of armed aggression. Read the full text or the transcript. "
        "One Two & three"
    )


def test_an_atom_feed(feed_server, db):
    url = feed_server.serve("/atom.xml", FEEDS / "atom10.xml", content_type="application/atom+xml")
    source = make_source(url)

    attempt = poll_source(source=source, now=T0)

    assert (attempt.entries_seen, attempt.entries_new) == (2, 2)
    call = Statement.objects.get(entry_id="tag:kremlin.example.org,2026:2")
    # An HTML title becomes text; "published" wins over "updated".
    assert call.title == "Telephone conversation with the President of Venezuela"
    assert call.published_at == utc(2026, 1, 4, 7, 0)
    # No default actor and no speaker named: nobody.
    assert call.actor is None and call.attribution == Attribution.FEED_DEFAULT
    assert call.language == "en"
    # The full content, not the summary; relative links resolved against the feed's URL.
    assert "onerror" not in call.body_html
    # A remote image becomes a link to it (the reader's browser never calls the feed's server).
    assert '<a class="remote-image" href="https://kremlin.example.org/p.jpg"' in call.body_html
    assert "<img" not in call.body_html
    assert f'href="{feed_server.base_url}/events/2/full"' in call.body_html
    meeting = Statement.objects.get(entry_id="tag:kremlin.example.org,2026:1")
    assert meeting.published_at == utc(2026, 1, 2, 8, 0)  # only "updated"
    # A text/plain body is text: its angle brackets are not markup.
    assert meeting.body_html == "<p>Plain text body &lt;not a tag&gt;.</p><p>Second paragraph.</p>"
    assert meeting.body_text == "Plain text body <not a tag>. Second paragraph."


def test_an_rdf_feed(feed_server, db):
    source = make_source(feed_server.serve("/rdf", FEEDS / "rdf10.xml", content_type="text/xml"))

    attempt = poll_source(source=source, now=T0)

    assert attempt.entries_new == 2
    statement = Statement.objects.get(entry_id="https://un.example.org/news/2")
    assert statement.published_at == utc(2026, 1, 3, 17, 0)  # 18:00 +01:00
    assert statement.title == "Secretary-General's statement on Venezuela"


def test_a_russian_feed_attributes_inflected_names(feed_server, mfa):
    source = make_source(feed_server.serve("/ru.xml", FEEDS / "ru_utf8.xml"), actor=mfa)

    poll_source(source=source, now=T0)

    briefing = Statement.objects.get(entry_id="https://mid.example.org/ru/news/2001")
    assert briefing.title == "Брифинг официального представителя МИД России М.В.Захаровой"
    assert briefing.actor.slug == "maria-zakharova"
    assert briefing.attribution == Attribution.NAME_MATCH
    assert briefing.language == "ru"
    assert briefing.published_at == utc(2026, 1, 3, 12, 0)
    statement = Statement.objects.get(entry_id="https://mid.example.org/ru/news/2000")
    assert statement.actor == mfa
    source.refresh_from_db()
    assert (source.title, source.language) == ("МИД России: Новости", "ru")


def test_a_windows_1251_feed_is_read_by_the_charset_of_its_content_type(feed_server, mfa):
    # The file has no encoding in its XML prolog: only the HTTP header tells.
    url = feed_server.serve(
        "/cp1251.xml",
        FEEDS / "ru_cp1251_no_prolog.xml",
        content_type="application/rss+xml; charset=windows-1251",
    )
    source = make_source(url, actor=mfa)

    attempt = poll_source(source=source, now=T0)

    assert attempt.entries_new == 2 and attempt.warning == ""
    briefing = Statement.objects.get(entry_id="https://mid.example.org/ru/news/3001")
    assert briefing.title == "Брифинг официального представителя МИД России М.В.Захаровой"
    assert briefing.body_text == "Мы решительно осуждаем вооружённую агрессию против Венесуэлы."
    assert briefing.actor.slug == "maria-zakharova"


def test_the_real_windows_1251_feed_from_the_corpus(feed_server, db):
    require_corpus()
    corpus = CORPUS / "miniflux"
    body = (corpus / "internal/reader/parser/testdata/encoding_WINDOWS-1251.xml").read_bytes()
    url = feed_server.serve("/ibash", body, content_type="text/xml; charset=windows-1251")
    source = make_source(url)

    attempt = poll_source(source=source, now=T0)

    assert (attempt.outcome, attempt.entries_new) == (Outcome.OK, 50)
    first = Statement.objects.get(entry_id="http://ibash.org.ru/quote.php?id=17703")
    assert first.title == "Цитата #17703"
    assert first.published_at == utc(2018, 3, 21, 7, 27, 32)  # 10:27:32 +0300
    assert first.body_text.startswith("xxx: есть у кого жаба программер")


def test_entries_without_dates_get_the_fetch_time_flagged_as_estimated(feed_server, db):
    url = feed_server.serve("/undated", FEEDS / "no_dates.xml")
    source = make_source(url)

    attempt = poll_source(source=source, now=T0)

    assert attempt.entries_new == 2
    # Guessed dates vouch for nothing.
    assert attempt.oldest_entry_at is None
    assert not CoverageInterval.objects.filter(source=source).exists()
    for statement in Statement.objects.filter(source=source):
        assert statement.published_at == T0
        assert statement.published_at_estimated
    linkless = Statement.objects.get(title="Second undated statement without a link")
    assert linkless.entry_id.startswith("sha256:") and linkless.url == ""

    # A changed entry makes the body parsed again, a day later: an undated, linkless
    # entry keeps its identity (the guessed date is not part of it).
    body = (FEEDS / "no_dates.xml").read_bytes().replace(b"Text A.", b"Text A, revised.")
    feed_server.serve("/undated", body)
    again = poll_source(source=source, now=T0 + timedelta(days=1))

    assert (again.outcome, again.entries_seen, again.entries_new) == (Outcome.OK, 2, 0)
    assert Statement.objects.filter(source=source).count() == 2
    assert Statement.objects.get(pk=linkless.pk).published_at == T0


def test_a_repeated_id_in_one_feed_is_stored_once(feed_server, db):
    source = make_source(feed_server.serve("/dup", FEEDS / "duplicate_ids.xml"))

    attempt = poll_source(source=source, now=T0)

    assert (attempt.entries_seen, attempt.entries_new) == (2, 2)
    assert attempt.warning == "1 entry repeated an id listed earlier and skipped"
    assert Statement.objects.get(entry_id="dup-1").title == "Corrected version"


def test_ids_too_long_for_the_column_become_hashes(feed_server, db):
    long_id = "urn:x:" + "a" * 600
    body = f"""<rss version="2.0"><channel><title>t</title>
      <item><guid isPermaLink="false">{long_id}</guid><title>Long</title>
      <pubDate>Sun, 04 Jan 2026 10:00:00 GMT</pubDate></item></channel></rss>"""
    source = make_source(feed_server.serve("/long", body))

    poll_source(source=source, now=T0)
    poll_source(source=source, now=T0 + timedelta(hours=1))

    statement = Statement.objects.get(source=source)
    assert statement.entry_id.startswith("sha256:") and len(statement.entry_id) == 71
    assert statement.raw["id"] == long_id


def test_nul_characters_are_dropped_so_postgresql_accepts_the_entry(feed_server, db):
    body = (
        b'<rss version="2.0"><channel><title>t</title><item><title>a&#0;b\x00c</title>'
        b"<guid>id&#0;1</guid><description>x&amp;#0;y\x00z</description>"
        b"<pubDate>Sun, 04 Jan 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    source = make_source(feed_server.serve("/nul", body))

    attempt = poll_source(source=source, now=T0)

    assert (attempt.outcome, attempt.entries_new) == (Outcome.OK, 1)
    statement = Statement.objects.get(source=source)
    assert (statement.title, statement.entry_id) == ("abc", "id1")
    assert statement.url == feed_server.url("/id1")  # a guid is a permalink unless it says not
    assert "\x00" not in statement.body_text and "\x00" not in str(statement.raw)


def test_a_reference_that_crashed_the_parser_costs_only_that_character(feed_server, db):
    # A lone surrogate in a character reference made feedparser itself raise and
    # the whole feed was refused (issue 14); it now reads as U+FFFD.
    body = (
        b'<rss version="2.0"><channel><title>t</title><item><title>a&#xD800;b</title>'
        b"<guid>1</guid></item></channel></rss>"
    )
    source = make_source(feed_server.serve("/surrogate", body))

    attempt = poll_source(source=source, now=T0)

    assert attempt.outcome == Outcome.OK
    assert Statement.objects.get(source=source).title == "a\ufffdb"


def test_new_statements_are_linked_to_events(feed_server, mfa):
    event = Event.objects.create(
        slug="maduro-capture-2026",
        title="Capture of Nicolás Maduro",
        occurred_at=utc(2026, 1, 3, 6),
        terms={"en": ["Venezuela"], "ru": ["Венесуэла"]},
    )
    source = make_source(feed_server.serve("/rss.xml", FEEDS / "rss20.xml"), actor=mfa)

    poll_source(source=source, now=T0)

    linked = set(
        EventLink.objects.filter(event=event).values_list("statement__entry_id", "status")
    )
    assert ("mid-en-1003", EventLink.Status.SUGGESTED) in linked
    assert ("mid-en-1002", EventLink.Status.SUGGESTED) in linked
    assert not any(entry_id == "mid-en-1001" for entry_id, _ in linked)


def test_feed_details_typed_by_an_admin_are_kept(feed_server, db):
    url = feed_server.serve("/rss.xml", FEEDS / "rss20.xml")
    source = make_source(url, title="MFA (English)", site_url="https://mid.ru/en", language="en")

    poll_source(source=source, now=T0)

    source.refresh_from_db()
    assert (source.title, source.site_url, source.language) == (
        "MFA (English)", "https://mid.ru/en", "en"
    )


# --- Polling again ---------------------------------------------------------


@pytest.mark.smoke
def test_polling_twice_stores_each_entry_once(feed_server, mfa):
    url = feed_server.serve("/rss.xml", FEEDS / "rss20.xml")
    source = make_source(url, actor=mfa)
    poll_source(source=source, now=T0)

    # The server ignores validators and adds one entry at the top.
    body = (FEEDS / "rss20.xml").read_text().replace(
        "<item>",
        """<item><title>Newest</title><guid isPermaLink="false">mid-en-1004</guid>
        <pubDate>Sun, 04 Jan 2026 10:00:00 GMT</pubDate></item><item>""",
        1,
    )
    feed_server.serve("/rss.xml", body)
    attempt = poll_source(source=source, now=T0 + timedelta(minutes=15))

    assert (attempt.outcome, attempt.entries_seen, attempt.entries_new) == (Outcome.OK, 4, 1)
    assert Statement.objects.filter(source=source).count() == 4


def test_a_304_parses_nothing_and_extends_coverage(feed_server, mfa, settings):
    settings.FEED_ADAPTIVE_POLLING = False  # the fixed interval; adaptive: tests/security
    modified = "Sat, 03 Jan 2026 12:00:00 GMT"
    url = feed_server.serve("/rss.xml", FEEDS / "rss20.xml", etag='"v1"', last_modified=modified)
    source = make_source(url, actor=mfa)
    poll_source(source=source, now=T0)
    later = T0 + timedelta(minutes=15)

    attempt = poll_source(source=source, now=later)

    assert (attempt.outcome, attempt.http_status) == (Outcome.NOT_MODIFIED, 304)
    assert (attempt.entries_seen, attempt.entries_new) == (0, 0)
    sent = feed_server.requests_to("/rss.xml")[-1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', modified)
    assert Statement.objects.filter(source=source).count() == 3
    source.refresh_from_db()
    assert source.last_success_at == later
    assert source.next_poll_at == later + settings.FEED_POLL_INTERVAL
    assert source.etag == '"v1"' and source.last_modified == modified
    # The feed still lists what it listed at T0: the evidence now reaches `later`.
    assert list(source.coverage.values_list("start", "end")) == [(utc(2026, 1, 3, 4), later)]


def test_an_unchanged_body_parses_nothing_and_extends_coverage(feed_server, mfa):
    source = make_source(feed_server.serve("/rss.xml", FEEDS / "rss20.xml"), actor=mfa)
    poll_source(source=source, now=T0)
    Statement.objects.filter(source=source).update(title="Edited by an editor")
    later = T0 + timedelta(minutes=15)

    attempt = poll_source(source=source, now=later)

    assert (attempt.outcome, attempt.http_status) == (Outcome.UNCHANGED, 200)
    assert (attempt.entries_seen, attempt.entries_new) == (0, 0)
    assert set(Statement.objects.values_list("title", flat=True)) == {"Edited by an editor"}
    assert list(source.coverage.values_list("start", "end")) == [(utc(2026, 1, 3, 4), later)]


def test_a_changed_envelope_around_the_same_entries_parses_nothing(feed_server, mfa):
    # Many servers stamp every response (a build date, a cache comment) while no entry
    # changes: that is the same feed, not a new one to parse.
    source = make_source(feed_server.serve("/rss.xml", FEEDS / "rss20.xml"), actor=mfa)
    poll_source(source=source, now=T0)
    Statement.objects.filter(source=source).update(title="Edited by an editor")
    body = (FEEDS / "rss20.xml").read_text()
    stamped = body.replace("<channel>", "<channel><!-- built 2026-01-03 06:15 -->", 1)
    assert stamped != body
    feed_server.serve("/rss.xml", stamped)

    attempt = poll_source(source=source, now=T0 + timedelta(minutes=15))

    assert (attempt.outcome, attempt.http_status) == (Outcome.UNCHANGED, 200)
    assert set(Statement.objects.values_list("title", flat=True)) == {"Edited by an editor"}


def test_the_entries_hash_sees_every_entry_and_only_the_envelope_goes():
    feed = (b'<?xml version="1.0"?><rss><channel><lastBuildDate>1</lastBuildDate>'
            b"<item><title>a</title></item><!-- x --><item><title>b</title></item>"
            b"</channel></rss>")
    assert entries_hash(feed) == entries_hash(feed.replace(b">1<", b">2<"))
    assert entries_hash(feed) != entries_hash(feed.replace(b">b<", b">c<"))
    assert entries_hash(feed) != entries_hash(feed.replace(b"<!-- x -->", b"<item/>"))
    atom = b"<feed><updated>1</updated><atom:entry>e</atom:entry></feed>"
    assert entries_hash(atom) == entries_hash(atom.replace(b">1<", b">2<"))
    assert entries_hash(b"<html>no feed</html>") != entries_hash(b"<html>no feed!</html>")


def test_an_edited_entry_keeps_its_stored_version_and_says_so(feed_server, mfa):
    source = make_source(feed_server.serve("/rss.xml", FEEDS / "rss20.xml"), actor=mfa)
    poll_source(source=source, now=T0)
    body = (FEEDS / "rss20.xml").read_text().replace("A routine comment.", "A revised comment.")
    feed_server.serve("/rss.xml", body)

    attempt = poll_source(source=source, now=T0 + timedelta(minutes=15))

    assert (attempt.outcome, attempt.entries_new) == (Outcome.OK, 0)
    assert attempt.warning == (
        "1 stored entry has changed in the feed since; the stored versions were kept"
    )
    assert Statement.objects.get(entry_id="mid-en-1001").body_text == "A routine comment."


# --- Failures ---------------------------------------------------------------


def test_failures_back_off_exponentially_up_to_the_cap_and_reset_on_success(
    feed_server, mfa, settings
):
    settings.FEED_ADAPTIVE_POLLING = False  # the fixed interval; adaptive: tests/security
    settings.FEED_POLL_INTERVAL = timedelta(minutes=15)
    settings.FEED_MAX_BACKOFF = timedelta(hours=1)
    url = feed_server.serve("/rss.xml", FEEDS / "rss20.xml")
    source = make_source(url, actor=mfa)
    poll_source(source=source, now=T0)
    feed_server.serve("/rss.xml", "down", status=500, content_type="text/plain")

    waits = []
    for failures in (1, 2, 3):
        at = T0 + timedelta(hours=failures)
        attempt = poll_source(source=source, now=at)
        assert attempt.outcome == Outcome.ERROR
        assert (attempt.error, attempt.http_status) == ("HTTP 500 Internal Server Error", 500)
        assert source.consecutive_failures == failures
        waits.append(source.next_poll_at - at)

    assert waits == [timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1)]
    # Nothing stored is lost, and the last success still stands.
    assert Statement.objects.filter(source=source).count() == 3
    source.refresh_from_db()
    assert source.last_success_at == T0 and source.consecutive_failures == 3

    feed_server.serve("/rss.xml", FEEDS / "rss20.xml")
    recovered_at = T0 + timedelta(hours=4)
    attempt = poll_source(source=source, now=recovered_at)

    # Same body as at T0: recognised as unchanged.
    assert attempt.outcome == Outcome.UNCHANGED
    source.refresh_from_db()
    assert source.consecutive_failures == 0
    assert source.next_poll_at == recovered_at + timedelta(minutes=15)
    assert list(source.attempts.order_by("started_at").values_list("outcome", flat=True)) == [
        "ok", "error", "error", "error", "unchanged"
    ]


def test_the_backoff_grows_by_doubling_until_the_cap(settings):
    settings.FEED_POLL_INTERVAL = timedelta(minutes=15)
    settings.FEED_MAX_BACKOFF = timedelta(hours=24)

    assert [backoff_after(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2), timedelta(hours=4)
    ]
    assert backoff_after(7) == timedelta(hours=24)
    assert backoff_after(10_000) == timedelta(hours=24)


@pytest.mark.smoke
def test_a_missing_feed_is_recorded_as_an_error(feed_server, db):
    source = make_source(feed_server.url("/gone.xml"))

    attempt = poll_source(source=source, now=T0)

    assert (attempt.outcome, attempt.http_status) == (Outcome.ERROR, 404)
    assert attempt.error == "HTTP 404 Not Found"
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert source.last_success_at is None and source.last_attempt_at == T0


def test_a_slow_feed_times_out(feed_server, db, settings):
    settings.FEED_TIMEOUT_SECONDS = 1
    source = make_source(feed_server.serve("/slow", FEEDS / "rss20.xml", delay=3))

    attempt = poll_source(source=source, now=T0)

    assert (attempt.outcome, attempt.error, attempt.http_status) == (
        Outcome.ERROR, "Timed out after 1 s", None
    )


def test_an_oversized_feed_is_refused_not_truncated(feed_server, db, settings):
    settings.FEED_MAX_BYTES = 1024
    source = make_source(feed_server.serve("/rss.xml", FEEDS / "rss20.xml"))

    attempt = poll_source(source=source, now=T0)

    assert (attempt.outcome, attempt.error) == (Outcome.ERROR, "Response larger than 1 KB")
    assert not Statement.objects.exists()


@pytest.mark.parametrize(
    ("feed", "content_type", "error"),
    [
        ("empty_channel.xml", "application/rss+xml", "Feed lists no entries"),
        ("not_a_feed.html", "text/html", "Not a readable feed: text/html is not an XML media type"),
    ],
)
def test_a_body_with_nothing_to_store_is_an_error(feed_server, db, feed, content_type, error):
    source = make_source(feed_server.serve("/feed", FEEDS / feed, content_type=content_type))

    attempt = poll_source(source=source, now=T0)

    assert (attempt.outcome, attempt.http_status, attempt.error) == (Outcome.ERROR, 200, error)
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    # Not remembered as "the last body": once entries appear it is parsed.
    assert source.body_hash == ""


def test_private_addresses_are_refused_when_not_allowed(feed_server, db, settings):
    settings.FEED_ALLOW_PRIVATE_HOSTS = False
    source = make_source(feed_server.serve("/rss.xml", FEEDS / "rss20.xml"))

    attempt = poll_source(source=source, now=T0)

    assert attempt.outcome == Outcome.ERROR
    assert attempt.error == "Refused: 127.0.0.1 is a loopback address"
    assert feed_server.requests == []


# --- Moves ------------------------------------------------------------------


def test_a_permanent_redirect_updates_the_source_url(feed_server, db):
    new_url = feed_server.serve("/new.xml", FEEDS / "rss20.xml")
    feed_server.redirect("/old.xml", "/new.xml", status=301)
    source = make_source(feed_server.url("/old.xml"))

    attempt = poll_source(source=source, now=T0)

    assert attempt.outcome == Outcome.OK and attempt.entries_new == 3
    assert attempt.warning == (
        f"Feed moved permanently from {feed_server.url('/old.xml')} to {new_url}; URL updated"
    )
    source.refresh_from_db()
    assert source.url == new_url
    poll_source(source=source, now=T0 + timedelta(minutes=15))
    assert feed_server.requests_to("/old.xml") and len(feed_server.requests_to("/new.xml")) == 2
    assert len(feed_server.requests_to("/old.xml")) == 1


def test_relative_ids_do_not_change_when_the_feed_moves(feed_server, db):
    # <guid>123</guid> is a relative permalink: its URL depends on the feed's
    # address, its identity must not, or a move would store everything again.
    body = """<rss version="2.0"><channel><title>t</title>
      <item><guid>123</guid><title>One</title>
      <pubDate>Sun, 04 Jan 2026 10:00:00 GMT</pubDate></item></channel></rss>"""
    source = make_source(feed_server.serve("/feeds/old.xml", body))
    poll_source(source=source, now=T0)
    feed_server.serve("/moved/new.xml", body + " ")
    feed_server.redirect("/feeds/old.xml", "/moved/new.xml", status=301)

    attempt = poll_source(source=source, now=T0 + timedelta(minutes=15))

    assert (attempt.outcome, attempt.entries_seen, attempt.entries_new) == (Outcome.OK, 1, 0)
    statement = Statement.objects.get(source=source)
    assert statement.entry_id == "123"
    assert statement.url == feed_server.url("/feeds/123")


def test_a_temporary_redirect_keeps_the_source_url(feed_server, db):
    feed_server.serve("/today.xml", FEEDS / "rss20.xml")
    feed_server.redirect("/feed.xml", "/today.xml", status=302)
    source = make_source(feed_server.url("/feed.xml"))

    poll_source(source=source, now=T0)

    source.refresh_from_db()
    assert source.url == feed_server.url("/feed.xml")


def test_a_move_onto_another_sources_url_keeps_the_url(feed_server, db):
    new_url = feed_server.serve("/new.xml", FEEDS / "rss20.xml")
    feed_server.redirect("/old.xml", "/new.xml", status=308)
    other = make_source(new_url)
    source = make_source(feed_server.url("/old.xml"))

    attempt = poll_source(source=source, now=T0)

    assert attempt.outcome == Outcome.OK
    assert attempt.warning == (
        f"Feed moved permanently to {new_url}, already polled as source #{other.pk}; URL kept"
    )
    source.refresh_from_db()
    assert source.url == feed_server.url("/old.xml")


# --- Concurrency and cost ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_polling_one_source_at_once_store_each_entry_once(feed_server):
    # A small delay makes both requests be in flight together.
    url = feed_server.serve("/rss.xml", FEEDS / "rss20.xml", delay=0.3)
    source = make_source(url)
    attempts, errors = [], []
    start = threading.Barrier(2)

    def worker():
        try:
            start.wait()
            attempts.append(poll_source(source=Source.objects.get(pk=source.pk)))
        except Exception as exc:  # Reported below: a thread cannot fail the test itself.
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(feed_server.requests_to("/rss.xml")) == 2
    assert Statement.objects.filter(source=source).count() == 3
    assert sorted(a.entries_new for a in attempts) == [0, 3]
    assert FetchAttempt.objects.filter(source=source, outcome=Outcome.OK).count() == 2


def test_storing_costs_the_same_queries_for_3_entries_or_50(feed_server, db):
    require_corpus()
    corpus = CORPUS / "miniflux"
    big = (corpus / "internal/reader/parser/testdata/encoding_WINDOWS-1251.xml").read_bytes()
    small_source = make_source(feed_server.serve("/small", FEEDS / "rss20.xml"))
    big_source = make_source(feed_server.serve("/big", big, content_type="text/xml"))

    with CaptureQueriesContext(connection) as small:
        assert poll_source(source=small_source, now=T0).entries_new == 3
    with CaptureQueriesContext(connection) as large:
        assert poll_source(source=big_source, now=T0).entries_new == 50

    assert len(large.captured_queries) == len(small.captured_queries)
