"""/review/: the editors' queue — what it lists, in what order, how it pages and filters,
and that its cost does not grow with the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from actors.models import Actor
from statements.editorial import decisions as editorial
from statements.models import EventLink, Flag, SilenceReview
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
    # the hand-added statements awaiting a second editor.
    with django_assert_max_num_queries(24):
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
    with django_assert_max_num_queries(20):
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
