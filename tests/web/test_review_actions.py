"""The editors' actions through their endpoints: htmx gets the fragment it swaps in
place, a plain form post is sent back where it came from, bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from statements.models import EventLink, Flag, SilenceReview, Statement
from tests import factories as f
from tests.scenarios import build_desk, client_for, user_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def desk():
    return build_desk()


@pytest.fixture
def editor():
    return client_for("Editor")


def is_fragment(html: str) -> bool:
    return "<html" not in html and "site-header" not in html


# --- links -----------------------------------------------------------------


def test_confirming_by_htmx_returns_the_decision_fragment_with_an_undo(editor, desk):
    link = desk["link"]
    response = editor.post(reverse("review-link-confirm", args=[link.pk]), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert is_fragment(html)
    assert html.lstrip().startswith(f'<div class="decision" id="link-{link.pk}"')
    assert 'data-status="confirmed"' in html and ">Undo</button>" in html
    baseline = link.history.earliest("history_date").history_id
    assert f'name="version" value="{baseline}"' in html
    assert EventLink.objects.get().status == "confirmed"


def test_confirming_by_a_plain_form_redirects_back_to_the_page(editor, desk):
    next_url = desk["event"].get_absolute_url() + "?stance=concern"
    response = editor.post(reverse("review-link-confirm", args=[desk["link"].pk]),
                           {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert EventLink.objects.get().status == "confirmed"


def test_a_next_pointing_elsewhere_is_ignored(editor, desk):
    response = editor.post(reverse("review-link-reject", args=[desk["link"].pk]),
                           {"next": "https://evil.example/phish"})
    assert response["Location"] == reverse("review")


def test_undo_by_htmx_restores_the_suggestion(editor, desk):
    link = desk["link"]
    editor.post(reverse("review-link-reject", args=[link.pk]), **HTMX)
    baseline = link.history.earliest("history_date").history_id

    response = editor.post(reverse("review-link-undo", args=[link.pk]), {"version": baseline},
                           **HTMX)

    html = response.content.decode()
    assert 'data-status="suggested"' in html and ">Undo</button>" not in html
    assert ">Confirm</button>" in html and ">Reject</button>" in html
    assert EventLink.objects.get().status == "suggested"


def test_changing_the_stance_by_htmx_marks_it_as_the_editors(editor, desk):
    response = editor.post(reverse("review-link-stance", args=[desk["link"].pk]),
                           {"stance": "condemns", "intensity": "3"}, **HTMX)
    assert "stance set by an editor" in response.content.decode()
    link = EventLink.objects.get()
    assert (link.stance, link.intensity, link.stance_by_editor, link.status) == (
        "condemns", 3, True, "suggested")


def test_a_bad_stance_gets_a_message_and_changes_nothing(editor, desk):
    response = editor.post(reverse("review-link-stance", args=[desk["link"].pk]),
                           {"stance": "neutral", "intensity": "2"}, **HTMX)
    assert "A neutral statement has intensity 0." in response.content.decode()
    assert EventLink.objects.get().stance == "concern"
    plain = editor.post(reverse("review-link-stance", args=[desk["link"].pk]),
                        {"stance": "furious", "intensity": "1"})
    assert plain.status_code == 400
    assert "<html" in plain.content.decode()
    assert EventLink.objects.get().history.count() == 1  # only its creation


def test_an_unknown_link_is_not_found(editor):
    assert editor.post(reverse("review-link-confirm", args=[999]), **HTMX).status_code == 404


# --- flags -----------------------------------------------------------------


def test_flagging_a_silence_from_the_timeline_returns_the_actors_notes(editor, desk):
    response = editor.post(reverse("review-flag-new"), {
        "kind": "notable_silence", "event": desk["event"].slug, "actor": desk["putin"].slug,
        "note": "Putin silent again, as on Iran"}, **HTMX)

    html = response.content.decode()
    assert is_fragment(html)
    assert html.lstrip().startswith(f'<div class="notes" id="notes-{desk["event"].pk}-'
                                    f'{desk["putin"].pk}"')
    assert "⚑ Notable silence" in html and "Putin silent again, as on Iran" in html
    assert "⚑ Response missing from our data" in html  # the flag that was already open
    made = Flag.objects.get(kind="notable_silence")
    assert (made.event, made.actor, made.statement, made.created_by.username) == (
        desk["event"], desk["putin"], None, "editor")


def test_flagging_a_statement_returns_the_statements_notes(editor, desk):
    response = editor.post(reverse("review-flag-new"), {
        "kind": "wrong_attribution", "statement": desk["statement"].pk,
        "event": desk["event"].slug, "note": "Zakharova said it"}, **HTMX)
    html = response.content.decode()
    assert f'id="stmt-notes-{desk["statement"].pk}-{desk["event"].pk}"' in html
    assert "Zakharova said it" in html
    assert Flag.objects.get(kind="wrong_attribution").statement == desk["statement"]


def test_a_flag_without_a_target_or_kind_is_refused(editor, desk):
    response = editor.post(reverse("review-flag-new"), {"kind": "notable_silence",
                                                        "event": desk["event"].slug})
    assert response.status_code == 400
    response = editor.post(reverse("review-flag-new"), {
        "kind": "gossip", "event": desk["event"].slug, "actor": desk["putin"].slug}, **HTMX)
    assert "is not one of the available choices" in response.content.decode()
    assert Flag.objects.count() == 1


def test_resolving_a_flag_by_htmx_shows_who_closed_it(editor, desk):
    response = editor.post(reverse("review-flag-close", args=[desk["flag"].pk]),
                           {"status": "resolved", "note": "added the Telegram post"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="queue-item flag-item" id="flag-{desk["flag"].pk}"')
    assert "resolved by editor" in html and "added the Telegram post" in html
    assert ">Resolve</button>" not in html


def test_closing_a_closed_flag_says_so_and_keeps_the_first_decision(editor, desk):
    editor.post(reverse("review-flag-close", args=[desk["flag"].pk]), {"status": "dismissed"})
    response = editor.post(reverse("review-flag-close", args=[desk["flag"].pk]),
                           {"status": "resolved", "note": "late"})
    assert response.status_code == 409
    assert "already dismissed" in response.content.decode()
    assert Flag.objects.get().status == "dismissed"


# --- silences -----------------------------------------------------------------


def test_confirming_a_notable_silence_by_htmx(editor, desk):
    response = editor.post(reverse("review-silence-decide", args=[desk["review"].pk]),
                           {"decision": "notable", "note": "as in 2019"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<li class="queue-item silence-item"')
    assert "Confirmed notable silence" in html and "as in 2019" in html
    review = SilenceReview.objects.get()
    assert (review.decision, review.decided_by.username) == ("notable", "editor")
    # …and the timeline shows it beside the actor.
    timeline = editor.get(desk["event"].get_absolute_url()).content.decode()
    notes = timeline.split(f'id="notes-{desk["event"].pk}-{desk["putin"].pk}"')[1][:600]
    assert "Notable silence</strong>" in notes and "as in 2019" in notes


def test_a_response_found_elsewhere_is_recorded_and_closes_the_review(editor, desk):
    url = reverse("review-silence-response", args=[desk["review"].pk])
    form = editor.get(url)
    assert form.status_code == 200 and "Vladimir Putin" in form.content.decode()

    response = editor.post(url, {
        "published_at": "2026-01-04 18:00", "tz": "Europe/Moscow",
        "url": "https://t.me/kremlin/1", "title": "Putin on Venezuela",
        "text": "Putin called the capture of Maduro unacceptable.", "language": "ru",
        "stance": "condemns", "intensity": "2", "note": "Telegram"})

    statement = Statement.objects.get(is_manual=True)
    assert response.status_code == 302 and response["Location"] == statement.get_absolute_url()
    assert statement.published_at == f.utc(2026, 1, 4, 15)  # 18:00 in Moscow is 15:00 UTC
    assert (statement.actor, statement.language) == (desk["putin"], "ru")
    link = statement.links.get()
    assert (link.event, link.status, link.stance, link.intensity, link.stance_by_editor) == (
        desk["event"], "confirmed", "condemns", 2, True)
    review = SilenceReview.objects.get()
    assert (review.decision, review.response, review.note) == ("response_found", statement,
                                                               "Telegram")
    assert editor.get(url).status_code == 409  # already reviewed


@pytest.mark.parametrize("when, message", [
    ("yesterday at noon", "Write the time as YYYY-MM-DD HH:MM"),
    ("2026-02-30 10:00", "is not a real date and time"),
    ("2999-01-01 10:00 +00:00", "That time is in the future."),
])
def test_a_bad_time_gets_a_message_and_nothing_is_stored(editor, desk, when, message):
    response = editor.post(reverse("review-statement-new"), {
        "actor": "vladimir-putin", "event": desk["event"].slug, "published_at": when,
        "tz": "UTC", "text": "Words."})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Statement.objects.filter(is_manual=True).exists()


def test_adding_a_statement_by_hand_takes_an_offset_and_prefills_from_the_timeline(editor, desk):
    form = editor.get(reverse("review-statement-new"),
                      {"event": desk["event"].slug, "actor": "vladimir-putin"}).content.decode()
    assert 'value="vladimir-putin" selected' in form
    assert f'value="{desk["event"].slug}" selected' in form

    response = editor.post(reverse("review-statement-new"), {
        "actor": "vladimir-putin", "event": desk["event"].slug,
        "published_at": "2026-01-04 15:00 +03:00", "tz": "America/Caracas",
        "text": "An interview on Maduro.", "language": "en", "url": "https://tv.example/1"})

    statement = Statement.objects.get(is_manual=True)
    assert response["Location"] == statement.get_absolute_url()
    assert statement.published_at == f.utc(2026, 1, 4, 12)  # the offset wins over the zone
    page = editor.get(statement.get_absolute_url()).content.decode()
    assert "Added by hand by an editor (editor)" in page


def test_the_same_url_twice_points_to_the_first_statement(editor, desk):
    data = {"actor": "vladimir-putin", "event": desk["event"].slug,
            "published_at": "2026-01-04 15:00Z", "text": "Words.", "url": "https://x.example/a"}
    editor.post(reverse("review-statement-new"), data)
    response = editor.post(reverse("review-statement-new"), data)
    first = Statement.objects.get(is_manual=True)
    assert response.status_code == 400
    assert f'href="{first.get_absolute_url()}"' in response.content.decode()


# --- statements -----------------------------------------------------------------


def test_reattributing_from_the_statement_page(editor, desk):
    url = reverse("statement-reattribute", args=[desk["statement"].pk])
    page = editor.get(desk["statement"].get_absolute_url()).content.decode()
    assert f'hx-get="{url}"' in page  # the form is loaded into the page for editors

    fragment = editor.get(url, **HTMX).content.decode()
    assert is_fragment(fragment) and 'value="russian-mfa" selected' in fragment

    response = editor.post(url, {"actor": "vladimir-putin"})
    assert response["Location"] == desk["statement"].get_absolute_url()
    statement = Statement.objects.get(pk=desk["statement"].pk)
    assert (statement.actor, statement.attribution) == (desk["putin"], "editor")


def test_reattributing_to_nobody_known_is_refused(editor, desk):
    url = reverse("statement-reattribute", args=[desk["statement"].pk])
    response = editor.post(url, {"actor": "nobody"})
    assert response.status_code == 400 and "There is no actor" in response.content.decode()
    assert Statement.objects.get(pk=desk["statement"].pk).actor == desk["mfa"]


# --- history -----------------------------------------------------------------


def test_the_history_shows_who_changed_what(editor, desk):
    editor.post(reverse("review-link-confirm", args=[desk["link"].pk]))
    editor.post(reverse("review-link-stance", args=[desk["link"].pk]),
                {"stance": "condemns", "intensity": "2"})

    fragment = editor.get(reverse("review-history", args=["link", desk["link"].pk]),
                          **HTMX).content.decode()
    assert is_fragment(fragment)
    assert fragment.count('<strong class="who">editor</strong>') == 2
    assert "<del>Suggested</del> → <ins>Confirmed</ins>" in fragment
    assert "<del>Concern</del> → <ins>Condemns</ins>" in fragment
    assert '<strong class="who">the system</strong> created' in fragment

    page = editor.get(reverse("review-history", args=["link", desk["link"].pk]))
    assert "<html" in page.content.decode()


def test_the_statement_history_includes_its_links(editor, desk):
    editor.post(reverse("review-link-reject", args=[desk["link"].pk]))
    editor.post(reverse("statement-reattribute", args=[desk["statement"].pk]),
                {"actor": "vladimir-putin"})
    html = editor.get(reverse("review-history", args=["statement", desk["statement"].pk]),
                      **HTMX).content.decode()
    assert "<del>Russian MFA</del> → <ins>Vladimir Putin</ins>" in html
    assert "link to “United States captures Maduro”" in html
    assert "<del>Suggested</del> → <ins>Rejected</ins>" in html


def test_an_unknown_history_is_not_found(editor, desk):
    assert editor.get(reverse("review-history", args=["user", 1])).status_code == 404
    assert editor.get(reverse("review-history", args=["flag", 999])).status_code == 404


def test_a_window_closed_long_ago_still_accepts_a_late_found_response(editor, desk):
    """Editors fix the record of old events too: nothing limits a manual statement in time."""
    SilenceReview.objects.filter(pk=desk["review"].pk).update(
        created_at=desk["event"].occurred_at + timedelta(days=400))
    response = editor.post(reverse("review-silence-response", args=[desk["review"].pk]), {
        "published_at": "2026-01-05 09:00 UTC", "text": "Words on Maduro.",
        "url": "https://tv.example/2"})
    assert response.status_code == 302


def test_a_hand_added_statement_needs_its_address_and_changes_nothing_without_it(editor, desk):
    response = editor.post(reverse("review-statement-new"), {
        "actor": "vladimir-putin", "event": desk["event"].slug,
        "published_at": "2026-01-04 15:00Z", "text": "Words."})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Statement.objects.filter(is_manual=True).exists()


def test_a_second_editor_confirms_a_hand_added_statement_from_the_queue(editor, desk, client):
    """The queue keeps it apart until an editor other than its author confirms it."""
    editor.post(reverse("review-statement-new"), {
        "actor": "vladimir-putin", "event": desk["event"].slug, "url": "https://tv.example/3",
        "published_at": "2026-01-04 15:00Z", "text": "Words on Maduro."})
    statement = Statement.objects.get(is_manual=True)
    queue = editor.get(reverse("review")).content.decode()
    assert f'id="manual-{statement.pk}"' in queue
    assert "You added it: a second editor must confirm it." in queue
    assert editor.post(reverse("review-statement-confirm", args=[statement.pk])).status_code == 409

    client.force_login(user_in("Editor", "second"))
    assert client.post(reverse("review-statement-confirm", args=[statement.pk])).status_code == 302
    statement.refresh_from_db()
    assert statement.manual_review == "confirmed"


def test_an_undo_without_a_reason_is_refused_and_changes_nothing(editor, desk):
    SilenceReview.objects.filter(pk=desk["review"].pk).update(decision="notable")
    response = editor.post(reverse("review-silence-undo", args=[desk["review"].pk]),
                           {"reason": ""})
    assert response.status_code == 400
    assert SilenceReview.objects.get(pk=desk["review"].pk).decision == "notable"
    response = editor.post(reverse("review-silence-undo", args=[desk["review"].pk]),
                           {"reason": "feed was down"})
    assert response.status_code == 302
    assert SilenceReview.objects.get(pk=desk["review"].pk).decision == "pending"
