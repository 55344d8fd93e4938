"""Atom feeds: an actor's statements, an event's statements, confirmed silences and a
user's alerts — each valid Atom as feedparser reads it."""

from datetime import timedelta

import feedparser
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from statements.alerts.delivery import feed_token
from statements.models import Alert, SilenceReview, Subscription
from tests import factories as f
from tests.scenarios import T0, build_maduro_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def maduro():
    return build_maduro_scenario()


def atom(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_an_actors_feed_lists_its_statements_newest_first(client, maduro):
    mfa = maduro["actors"]["mfa"]
    feed = atom(client, f"/actors/{mfa.slug}/feed.atom")
    assert feed.feed.title == "Russian Ministry of Foreign Affairs: statements"
    assert feed.feed.link == "http://testserver/actors/russian-mfa/"
    titles = [e.title for e in feed.entries]
    assert titles == ["On preserving the sovereignty of Venezuela",
                      "Statement on the US armed aggression against Venezuela",
                      "On the situation around Venezuela"]
    entry = feed.entries[1]
    statement = maduro["links"]["mfa"].statement
    assert entry.link == f"http://testserver/statements/{statement.pk}/"
    assert entry.author == "Russian Ministry of Foreign Affairs"
    assert entry.published_parsed[:5] == (2026, 1, 3, 11, 30)
    assert "Source: MFA statements" in entry.summary and "news.example/mfa" in entry.summary
    assert len({e.id for e in feed.entries}) == 3


def test_an_events_feed_lists_its_linked_statements_but_not_rejected_ones(client, maduro):
    feed = atom(client, "/events/maduro-capture-2026/feed.atom")
    titles = [e.title for e in feed.entries]
    assert len(titles) == 7
    assert titles[0] == "Iranian Foreign Ministry: Iran condemns the abduction of President Maduro"
    assert not any("Kursk" in t for t in titles)  # the rejected link
    mfa = next(e for e in feed.entries if "armed aggression" in e.title)
    assert "+5.5 h after T0" in mfa.summary and "Condemns (intensity 2)" in mfa.summary


def test_the_silences_feed_has_only_silences_confirmed_as_notable(client, maduro):
    a, event = maduro["actors"], maduro["event"]
    SilenceReview.objects.create(event=event, actor=a["putin"], status_at_close="silent",
                                 decision=SilenceReview.Decision.NOTABLE,
                                 decided_at=T0 + timedelta(days=4), note="Unlike 2019.")
    SilenceReview.objects.create(event=event, actor=a["xi"], status_at_close="no_coverage")
    feed = atom(client, "/silences/feed.atom")
    assert [e.title for e in feed.entries] == [
        "Vladimir Putin silent on “United States captures Nicolás Maduro”"]
    entry = feed.entries[0]
    assert entry.link == ("http://testserver/events/maduro-capture-2026/"
                          "#evidence-vladimir-putin")
    assert "Unlike 2019." in entry.summary and "Status when the window closed: silent" in \
        entry.summary


def test_an_empty_feed_is_still_valid_atom(client):
    feed = atom(client, "/silences/feed.atom")
    assert feed.entries == [] and feed.feed.title == "Confirmed notable silences"


def test_a_users_alert_feed_opens_with_its_token_and_no_login(client, maduro):
    user = get_user_model().objects.create_user("reader", "reader@example.org", "x")
    subscription = Subscription.objects.create(user=user, kind="actor_speaks",
                                               actor=maduro["actors"]["mfa"])
    Alert.objects.create(subscription=subscription, occurrence_key="statement:1",
                         occurred_at=timezone.now(), title="Russian MFA spoke: a title",
                         body="Published … <b>bold</b>", url="/statements/1/")
    Alert.objects.create(subscription=subscription, occurrence_key="statement:2",
                         occurred_at=timezone.now(), title="Russian MFA spoke: another",
                         body="", url="/statements/1/")
    feed = atom(client, f"/alerts/{feed_token(user)}/feed.atom")
    assert {e.title for e in feed.entries} == {"Russian MFA spoke: a title",
                                               "Russian MFA spoke: another"}
    assert len({e.id for e in feed.entries}) == 2  # same page, distinct entries
    assert "&lt;b&gt;" in feed.entries[0].summary or "&lt;b&gt;" in feed.entries[1].summary
    assert client.get(f"/alerts/{user.pk}:forged/feed.atom").status_code == 404


def test_the_alert_feed_opens_even_when_reading_needs_a_login(client, maduro, settings):
    reading = "statements.web.access.ReadingAccessMiddleware"
    if reading not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, reading]
    settings.PUBLIC_READING = False
    user = get_user_model().objects.create_user("reader", "reader@example.org", "x")
    assert client.get(f"/alerts/{feed_token(user)}/feed.atom").status_code == 200
    assert client.get("/silences/feed.atom").status_code == 302  # everything else: log in


def test_unknown_actors_and_events_have_no_feed(client, maduro):
    assert client.get("/actors/nobody/feed.atom").status_code == 404
    assert client.get("/events/nothing/feed.atom").status_code == 404
    maduro["event"].is_published = False
    maduro["event"].save()
    assert client.get("/events/maduro-capture-2026/feed.atom").status_code == 404


def test_feeds_take_the_same_queries_for_few_or_many_items(
        client, maduro, django_assert_max_num_queries):
    mfa, event = maduro["actors"]["mfa"], maduro["event"]
    counts = []
    for n in (0, 20):
        for i in range(n):
            f.link(event, f.statement(mfa, T0 + timedelta(hours=10 + i), title=f"Note {i}"))
        for path in ("/actors/russian-mfa/feed.atom", "/events/maduro-capture-2026/feed.atom"):
            with django_assert_max_num_queries(6) as queries:
                client.get(path)
            counts.append(len(queries.captured_queries))
    assert counts[:2] == counts[2:]
