"""Credentials in a feed URL are kept apart from it and shown nowhere.

`https://user:secret@host/feed` used to appear on /sources/, statement pages,
the API, exports, the Atom feeds and the worker log.
"""

import logging

import pytest

from statements.ingest.fetching import fetch_feed
from statements.ingest.pipeline import poll_source
from statements.models import Source, split_url_credentials
from tests import factories

SECRET = "s3cr3t-Pa55"
RSS = (
    b'<rss version="2.0"><channel><title>Locked feed</title><link>https://locked.example/</link>'
    b"<item><guid>1</guid><title>Guarded words</title>"
    b"<pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item></channel></rss>"
)


def test_a_url_with_user_info_is_split_on_save(db):
    source = Source.objects.create(url=f"https://reader:{SECRET}@feeds.example.org/a.xml")

    source.refresh_from_db()
    assert source.url == "https://feeds.example.org/a.xml"
    assert (source.username, source.password) == ("reader", SECRET)


def test_percent_encoded_user_info_is_decoded():
    assert split_url_credentials("https://a%40b:p%3Aw@h.example/f") == (
        "https://h.example/f",
        "a@b",
        "p:w",
    )


def test_the_credentials_are_sent_to_the_feeds_origin_only(feed_server):
    port = feed_server.base_url.rsplit(":")[-1]
    feed_server.redirect("/moved", f"http://localhost:{port}/feed")
    url = feed_server.serve("/feed", RSS)

    fetch_feed(url=url, username="reader", password=SECRET)
    fetch_feed(url=feed_server.url("/moved"), username="reader", password=SECRET)

    first, redirected_from, redirected_to = (
        feed_server.requests[0],
        feed_server.requests[1],
        feed_server.requests[2],
    )
    assert first.headers["Authorization"] == "Basic cmVhZGVyOnMzY3IzdC1QYTU1"
    assert "Authorization" in redirected_from.headers
    # Another origin (localhost, not 127.0.0.1) never sees them.
    assert "Authorization" not in redirected_to.headers


@pytest.mark.django_db
def test_no_page_api_export_feed_or_log_line_shows_the_secret(feed_server, client, caplog):
    speaker = factories.actor("guarded-speaker")
    url = feed_server.serve("/locked.xml", RSS).replace("http://", f"http://reader:{SECRET}@")
    source = Source.objects.create(url=url, actor=speaker)
    event = factories.event("guarded-event")
    caplog.set_level(logging.DEBUG)

    poll_source(source=source)
    # A failing poll logs its URL too.
    failing = Source.objects.create(url=f"http://reader:{SECRET}@127.0.0.1:9/gone.xml")
    poll_source(source=failing)

    statement = source.statements.get()
    factories.link(event, statement, status="confirmed")
    assert feed_server.requests_to("/locked.xml")[0].headers["Authorization"].startswith("Basic ")
    pages = [
        "/sources/",
        f"/statements/{statement.pk}/",
        "/statements/?q=guarded",
        "/actors/guarded-speaker/",
        "/actors/guarded-speaker/feed.atom",
        "/events/guarded-event/",
        "/events/guarded-event/feed.atom",
        "/events/guarded-event/timeline.csv",
        "/api/statements/",
        f"/api/statements/{statement.pk}/",
        "/api/events/guarded-event/timeline.json",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = b"".join(response) if response.streaming else response.content
        assert SECRET.encode() not in body, page
        assert b"reader:" not in body, page
    assert SECRET not in caplog.text
