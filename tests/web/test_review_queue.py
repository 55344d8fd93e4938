"""/review/: the editors' queue — what it lists, in what order, how it pages and filters,
and that its cost does not grow with the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor
from statements.editorial import decisions as editorial
from statements.models import EventLink, Flag, SilenceReview, Statement
from tests import factories as f
from tests.factories import utc
from tests.scenarios import build_desk, client_for, user_in

pytestmark = pytest.mark.django_db

T0 = utc(2026, 1, 3, 6)


@pytest.fixture
def editor_client():
    return client_for("Editor")


def items(html: str, kind: str) -> list[str]:
    """The ids of the queue's items of one kind, in page order."""
    return re.findall(rf'<li class="queue-item[^"]*"[^>]*data-{kind}="(\d+)"', html)


def test_the_queue_lists_suggested_links_newest_first_with_terms_marked(editor_client):
    desk = build_desk()
    older = f.link(desk["event"], f.statement(desk["mfa"], T0 - timedelta(hours=3),
                                              title="Before Maduro was taken"))
    confirmed = f.link(desk["event"], f.statement(desk["mfa"], T0 + timedelta(hours=9),
                                                  title="Maduro, confirmed"), status="confirmed")

    html = editor_client.get(reverse("review")).content.decode()

    section = html.split('id="review-links"')[1].split('id="review-silences"')[0]
    assert items(section, "link") == [str(desk["link"].pk), str(older.pk)]
    assert str(confirmed.pk) not in items(section, "link")
    assert "Statement on <mark>Maduro</mark>" in section
    assert "+5.0 h from T0" in section and "\u22123.0 h from T0" in section


def test_the_queue_lists_pending_silences_and_open_flags(editor_client):
    desk = build_desk()
    decided = SilenceReview.objects.create(event=desk["event"], actor=desk["mfa"],
                                           status_at_close="no_coverage", decision="dismissed")
    closed = Flag.objects.create(kind="wrong_link", statement=desk["statement"],
                                 status="resolved")

    html = editor_client.get(reverse("review")).content.decode()

    assert items(html, "review") == [str(desk["review"].pk)]
    assert str(decided.pk) not in items(html, "review")
    assert items(html, "flag") == [str(desk["flag"].pk)]
    assert str(closed.pk) not in items(html, "flag")
    assert "Check the Kremlin&#x27;s Telegram" in html


def test_flags_filter_by_event_actor_kind_and_status(editor_client):
    desk = build_desk()
    other_event = f.event(slug="iran-strikes-2026", occurred_at=T0 + timedelta(days=10))
    on_statement = Flag.objects.create(kind="wrong_attribution", statement=desk["statement"])
    elsewhere = Flag.objects.create(kind="notable_silence", event=other_event,
                                    actor=desk["putin"])
    resolved = Flag.objects.create(kind="notable_silence", event=desk["event"],
                                   actor=desk["mfa"], status="resolved")

    def flags(**params):
        response = editor_client.get(reverse("review"), params)
        assert response.status_code == 200
        return set(map(int, items(response.content.decode(), "flag")))

    assert flags() == {desk["flag"].pk, on_statement.pk, elsewhere.pk}
    assert flags(event="iran-strikes-2026") == {elsewhere.pk}
    assert flags(actor="vladimir-putin") == {desk["flag"].pk, elsewhere.pk}
    assert flags(actor="russian-mfa") == {on_statement.pk}  # the statement's speaker
    assert flags(kind="wrong_attribution") == {on_statement.pk}
    assert flags(status="resolved") == {resolved.pk}
    assert flags(status="any", actor="russian-mfa") == {on_statement.pk, resolved.pk}


def test_a_bad_filter_gets_a_message_and_the_open_flags(editor_client):
    desk = build_desk()
    response = editor_client.get(reverse("review"), {"kind": "gossip", "event": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not a kind of flag" in html and "There is no published event" in html
    assert items(html, "flag") == [str(desk["flag"].pk)]


def test_sections_page_independently(editor_client):
    desk = build_desk()
    for hours in range(25):
        f.link(desk["event"], f.statement(desk["mfa"], T0 + timedelta(hours=10 + hours),
                                          title=f"Maduro {hours}"))
    first = editor_client.get(reverse("review")).content.decode()
    section = first.split('id="review-silences"')[0]
    assert len(items(section, "link")) == editorial.QUEUE_PAGE_SIZE
    assert "Page 1 of 2" in section

    second = editor_client.get(reverse("review"), {"links_page": 2}).content.decode()
    assert len(items(second.split('id="review-silences"')[0], "link")) == 26 - 20
    assert items(second, "review") == [str(desk["review"].pk)]  # the other sections stay
    # A page number out of range shows the last page rather than an error.
    assert editor_client.get(reverse("review"), {"links_page": "99x"}).status_code == 200


def test_an_htmx_request_for_one_section_gets_only_that_section(editor_client):
    build_desk()
    response = editor_client.get(reverse("review"), {"kind": "missing_response"},
                                 HTTP_HX_REQUEST="true", HTTP_HX_TARGET="review-flags")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="review-flags"')
    assert "<html" not in html and 'id="review-links"' not in html
    assert "HX-Request" in response["Vary"]


def _fill(n: int):
    desk = build_desk()
    for i in range(n):
        speaker = f.actor(f"speaker-{i}", kind=Actor.Kind.INSTITUTION)
        event = f.event(slug=f"event-{i}", occurred_at=T0 - timedelta(days=i),
                        terms={"en": ["Maduro"]}, expected=[speaker])
        statement = f.statement(speaker, T0 + timedelta(hours=i), title=f"Maduro said {i}",
                                text="About Maduro. " * 40)
        f.link(event, statement, matched_terms=["Maduro"])
        SilenceReview.objects.create(event=event, actor=speaker, status_at_close="silent")
        Flag.objects.create(kind="wrong_link", statement=statement, event=event,
                            created_by=user_in("Researcher", f"reader-{i}"))
        Flag.objects.create(kind="notable_silence", event=event, actor=speaker)
    return desk


@pytest.mark.parametrize("n", [2, 19])
def test_the_queue_takes_the_same_queries_for_a_few_items_or_a_full_page(
        editor_client, django_assert_max_num_queries, n):
    _fill(n)
    # Twelve for the three sections, a constant dozen more to derive each listed silence's
    # status now (so no decision is offered that the evidence no longer bears out) and
    # the hand-added statements awaiting a second editor, three for the link filters.
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = editor_client.get(reverse("review"))
    html = response.content.decode()
    assert len(items(html, "link")) == n + 1
    assert len(items(html, "review")) == n + 1
    assert len(items(html, "flag")) == min(2 * n + 1, editorial.QUEUE_PAGE_SIZE)


@pytest.mark.parametrize("n", [1, 12])
def test_the_timeline_with_flags_takes_the_same_queries(client, django_assert_max_num_queries, n):
    desk = build_desk()
    editor = user_in("Editor")
    for i in range(n):
        statement = f.statement(desk["mfa"], T0 + timedelta(hours=i), title=f"Maduro {i}")
        f.link(desk["event"], statement)
        editorial.flag(kind="wrong_link", note=f"n{i}", user=editor, statement=statement)
        editorial.flag(kind="notable_silence", note=f"p{i}", user=editor, event=desk["event"],
                       actor=desk["putin"])
    editorial.decide_silence(review=desk["review"], decision="notable", user=editor)
    client.force_login(editor)
    # The evidence behind a silence adds a fixed few: the source's rhythm and entry dates,
    # the decision that holds, what the actor published in the window instead.
    with django_assert_max_num_queries(21):
        html = client.get(desk["event"].get_absolute_url()).content.decode()
    assert html.count("⚑ Wrong link") == n
    assert html.count("⚑ Notable silence") == n
    assert "Notable silence</strong>" in html


def test_the_queue_counts_what_waits(editor_client):
    desk = build_desk()
    EventLink.objects.filter(pk=desk["link"].pk).update(status="rejected")
    html = editor_client.get(reverse("review")).content.decode()
    assert "<strong>0</strong> suggested links" in html
    assert "<strong>1</strong> silence</a>" in html
    assert "No suggested link awaits a decision." in html


def test_queue_counts_say_what_waits():
    desk = build_desk()
    Flag.objects.create(kind="wrong_link", statement=desk["statement"], status="dismissed")
    assert editorial.queue_counts() == {"links": 1, "silences": 1, "flags": 1, "statements": 0}


# --- suggested links at working speed -------------------------------------------------------


def _many_links(event, actor, source, n):
    rows = [Statement(source=source, actor=actor, attribution="feed_default", entry_id=f"bulk-{i}",
                      title=f"Maduro bulk {i}", language="ru" if i % 2 else "en",
                      published_at=T0 + timedelta(minutes=i), content_hash=f"h{i}")
            for i in range(n)]
    Statement.objects.bulk_create(rows)
    EventLink.objects.bulk_create(EventLink(event=event, statement=s, matched_terms=["Maduro"])
                                  for s in Statement.objects.filter(entry_id__startswith="bulk-"))


@pytest.mark.parametrize("n", [20, 2000])
def test_two_thousand_suggested_links_take_the_queries_of_twenty_and_page(editor_client, n):
    desk = build_desk()
    _many_links(desk["event"], desk["mfa"], f.source(desk["mfa"]), n)
    editor_client.get(reverse("review"))  # warm up the session and content types
    with CaptureQueriesContext(connection) as counted:
        html = editor_client.get(reverse("review")).content.decode()
    assert len(items(html, "link")) == editorial.QUEUE_PAGE_SIZE
    assert f"<strong>{n + 1}</strong> suggested links" in html
    # Pinned: the same number for 20 and for 2,000 links.
    assert len(counted) == QUEUE_QUERIES, [q["sql"] for q in counted.captured_queries]


QUEUE_QUERIES = 27  # session, user, the sections, their filters, the silences now


def test_suggested_links_filter_by_source_and_language(editor_client):
    desk = build_desk()
    feed = f.source(desk["mfa"], title="MFA in Russian")
    _many_links(desk["event"], desk["mfa"], feed, 6)
    html = editor_client.get(reverse("review"), {"link_source": feed.pk,
                                                 "link_language": "ru"}).content.decode()
    assert len(items(html, "link")) == 3
    bad = editor_client.get(reverse("review"), {"link_language": "Russian"}).content.decode()
    assert "A language is a code like en, ru, es." in bad
    assert len(items(bad, "link")) == 7  # the filter that was not understood is not applied


def test_a_selection_of_links_is_confirmed_at_once(editor_client):
    desk = build_desk()
    _many_links(desk["event"], desk["mfa"], f.source(desk["mfa"]), 3)
    chosen = list(EventLink.objects.filter(statement__entry_id__startswith="bulk-")[:2])
    response = editor_client.post(reverse("review-links-batch"), {
        "link": [link.pk for link in chosen], "action": "confirmed"})
    assert response.status_code == 302
    assert set(EventLink.objects.filter(status="confirmed").values_list("pk", flat=True)) == {
        link.pk for link in chosen}
    refused = editor_client.post(reverse("review-links-batch"), {"action": "confirmed"})
    assert refused.status_code == 400
