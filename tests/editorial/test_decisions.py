"""statements.editorial: the editors' changes, the silence queue, and the history they leave."""

from __future__ import annotations

import io
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from statements.editorial import decisions as editorial
from statements.ingest.linking import link_statements
from statements.models import EventLink, Flag, SilenceReview, Statement
from statements.responses.statuses import event_responses
from statements.tasks import queue_silence_reviews as queue_silence_reviews_task
from tests import factories as f
from tests.scenarios import T0, WINDOW_END, build_desk, build_maduro_scenario, user_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return user_in("Editor")


# --- the silence queue -----------------------------------------------------------------


def queued_pairs():
    return sorted(SilenceReview.objects.values_list("event__slug", "actor__slug",
                                                    "status_at_close"))


def test_a_closed_window_queues_each_silent_or_uncovered_expected_actor_once():
    build_maduro_scenario()
    now = WINDOW_END + timedelta(hours=2)

    assert editorial.queue_silence_reviews(now=now) == 3
    assert queued_pairs() == [
        ("maduro-capture-2026", "belarus", "no_coverage"),
        ("maduro-capture-2026", "vladimir-putin", "silent"),
        ("maduro-capture-2026", "xi-jinping", "no_coverage"),
    ]
    # Run again (the next beat): nothing new, nothing doubled.
    assert editorial.queue_silence_reviews(now=now + timedelta(minutes=10)) == 0
    assert SilenceReview.objects.count() == 3


def test_a_decided_review_is_not_queued_again(editor):
    build_maduro_scenario()
    now = WINDOW_END + timedelta(hours=2)
    editorial.queue_silence_reviews(now=now)
    review = SilenceReview.objects.get(actor__slug="vladimir-putin")
    editorial.decide_silence(review=review, decision="dismissed", user=editor)

    assert editorial.queue_silence_reviews(now=now + timedelta(days=1)) == 0
    assert SilenceReview.objects.get(actor__slug="vladimir-putin").decision == "dismissed"


def test_the_celery_task_queues_through_the_same_function(settings):
    build_maduro_scenario()  # its window closed in January 2026, long before "now"…
    assert queue_silence_reviews_task() == 0  # …so it is history, not news
    recent = f.event(slug="recent", occurred_at=editorial.timezone.now() - timedelta(hours=80),
                     window_hours=72, expected=[f.actor("somebody")])
    assert queue_silence_reviews_task() == 1
    assert queue_silence_reviews_task() == 0
    assert SilenceReview.objects.get().event == recent


@pytest.mark.parametrize("now, why", [
    (WINDOW_END - timedelta(hours=1), "the window is still open"),
    (WINDOW_END + timedelta(days=31), "the window closed more than 30 days ago"),
])
def test_nothing_is_queued_outside_the_recent_past(now, why):
    build_maduro_scenario()
    assert editorial.queue_silence_reviews(now=now) == 0, why


def test_an_archive_can_be_queued_whatever_its_age():
    """`manage.py queue_silences --all`: after importing old events or loading the sample."""
    build_maduro_scenario()
    long_after = WINDOW_END + timedelta(days=300)
    assert editorial.queue_silence_reviews(now=long_after) == 0
    assert editorial.queue_silence_reviews(now=long_after, lookback=None) == 3
    out = io.StringIO()
    call_command("queue_silences", "--all", stdout=out)
    assert out.getvalue().strip() == "0 silences queued for review."


def test_drafts_are_not_queued():
    scenario = build_maduro_scenario()
    scenario["event"].is_published = False
    scenario["event"].save()
    assert editorial.queue_silence_reviews(now=WINDOW_END + timedelta(hours=1)) == 0


def test_queueing_keeps_a_history_row_per_review():
    build_maduro_scenario()
    editorial.queue_silence_reviews(now=WINDOW_END + timedelta(hours=2))
    assert SilenceReview.history.count() == 3
    assert SilenceReview.history.filter(history_user__isnull=False).count() == 0


# --- links -----------------------------------------------------------------


def test_confirming_a_link_records_who_and_when_and_keeps_the_suggestion_as_before(editor):
    desk = build_desk()
    link = editorial.confirm_link(link=desk["link"], user=editor)

    link.refresh_from_db()
    assert (link.status, link.decided_by) == (EventLink.Status.CONFIRMED, editor)
    versions = list(link.history.order_by("history_date", "history_id"))
    assert [(v.status, v.history_user) for v in versions] == [
        ("suggested", None), ("confirmed", editor)]


def test_a_link_the_matcher_bulk_inserted_gets_its_suggested_state_kept_before_a_decision(
        editor):
    """The pipeline inserts links in bulk, without history; the first decision records
    the suggestion first, so before → after and undo work for real suggestions too."""
    desk = build_desk()
    statement = f.statement(desk["putin"], T0 + timedelta(hours=2), title="Putin on Maduro")
    assert link_statements([statement]) == 1
    link = EventLink.objects.get(statement=statement)
    assert link.history.count() == 0

    editorial.reject_link(link=link, user=editor)
    editorial.undo_link_decision(link=link, user=editor)

    link.refresh_from_db()
    assert link.status == "suggested"
    assert [(v.status, v.history_user, v.history_date) for v in
            link.history.order_by("history_date", "history_id")] == [
        ("suggested", None, link.created_at),
        ("rejected", editor, link.history.all()[1].history_date),
        ("suggested", editor, link.history.all()[0].history_date),
    ]


def test_undo_puts_a_confirmed_link_back_to_suggested(editor):
    desk = build_desk()
    link = editorial.confirm_link(link=desk["link"], user=editor)
    version = editorial.version_before_last(link)

    editorial.undo_link_decision(link=link, user=editor, version=version)

    link.refresh_from_db()
    assert (link.status, link.decided_by, link.decided_at) == ("suggested", None, None)
    assert link.history.count() == 3  # suggested, confirmed, suggested again


def test_undo_of_a_stance_change_restores_the_scorers_stance(editor):
    desk = build_desk()
    link = editorial.set_stance(link=desk["link"], stance="condemns", intensity=3, user=editor)
    assert (link.stance, link.intensity, link.stance_by_editor) == ("condemns", 3, True)

    editorial.undo_link_decision(link=link, user=editor)

    link.refresh_from_db()
    assert (link.stance, link.intensity, link.stance_by_editor) == ("concern", 1, False)


def test_undo_without_an_earlier_state_is_refused(editor):
    desk = build_desk()
    with pytest.raises(editorial.EditorialError):
        editorial.undo_link_decision(link=desk["link"], user=editor)


def test_undo_will_not_restore_another_links_version(editor):
    desk = build_desk()
    other = f.link(desk["event"], f.statement(desk["putin"], T0, title="Maduro, again"))
    editorial.confirm_link(link=other, user=editor)
    editorial.confirm_link(link=desk["link"], user=editor)
    foreign = other.history.earliest("history_date").history_id
    with pytest.raises(editorial.EditorialError):
        editorial.undo_link_decision(link=desk["link"], user=editor, version=foreign)


@pytest.mark.parametrize("stance, intensity", [("furious", 2), ("condemns", 4), ("neutral", 2)])
def test_a_stance_that_makes_no_sense_is_refused(editor, stance, intensity):
    desk = build_desk()
    with pytest.raises(editorial.EditorialError):
        editorial.set_stance(link=desk["link"], stance=stance, intensity=intensity, user=editor)
    desk["link"].refresh_from_db()
    assert desk["link"].stance == "concern"


# --- flags -----------------------------------------------------------------


def test_a_flag_needs_a_statement_or_an_actor_for_an_event(editor):
    desk = build_desk()
    with pytest.raises(editorial.EditorialError):
        editorial.flag(kind="notable_silence", note="", user=editor, event=desk["event"])
    made = editorial.flag(kind="wrong_link", note=" off topic ", user=editor,
                          statement=desk["statement"])
    assert (made.note, made.created_by, made.status) == ("off topic", editor, "open")


def test_a_closed_flag_cannot_be_closed_again(editor):
    desk = build_desk()
    editorial.close_flag(flag=desk["flag"], status="resolved", note="added", user=editor)
    with pytest.raises(editorial.EditorialError, match="already resolved"):
        editorial.close_flag(flag=desk["flag"], status="dismissed", note="", user=editor)
    desk["flag"].refresh_from_db()
    assert (desk["flag"].status, desk["flag"].closing_note) == ("resolved", "added")
    assert desk["flag"].history.latest().history_user == editor


# --- statements -----------------------------------------------------------------


def test_reattributing_makes_the_editor_the_source_of_the_attribution(editor):
    desk = build_desk()
    editorial.reattribute(statement=desk["statement"], actor=desk["putin"], user=editor)

    statement = Statement.objects.get(pk=desk["statement"].pk)
    assert (statement.actor, statement.attribution) == (desk["putin"], "editor")
    entries = editorial.object_history(statement)
    assert entries[0].who == "editor"
    assert [(c.field, c.before, c.after) for c in entries[0].changes] == [
        ("actor", "Russian MFA", "Vladimir Putin"),
        ("attribution", "Feed's default actor", "Set by an editor"),
    ]
    # The status follows at once: Putin has now answered.
    putin = next(r for r in event_responses(event=desk["event"], now=WINDOW_END).responders
                 if r.actor == desk["putin"])
    assert putin.status == "responded"


def test_a_manual_statement_is_stored_in_utc_and_counts_once_a_second_editor_confirms(editor):
    scenario = build_maduro_scenario()
    putin = scenario["actors"]["putin"]
    said_at = T0.astimezone(ZoneInfo("Europe/Moscow")) + timedelta(hours=33)

    statement = editorial.add_manual_statement(
        actor=putin, event=scenario["event"], published_at=said_at, user=editor,
        text="The capture of Maduro is an act of armed aggression.", title="Putin on TV",
        url="https://tv.example/putin", language="en")

    statement.refresh_from_db()
    assert statement.published_at == T0 + timedelta(hours=33)
    assert statement.published_at.utcoffset() == timedelta(0)
    assert (statement.is_manual, statement.source, statement.attribution, statement.added_by) == (
        True, None, "editor", editor)
    assert statement.entry_id.startswith("manual:")
    assert len(statement.content_hash) == 64
    link = statement.links.get(event=scenario["event"])
    assert (link.status, link.method, link.decided_by) == ("confirmed", "editor", editor)
    assert link.stance == "condemns"  # scored from the text: "act of armed aggression"
    assert statement.manual_review == "awaiting_review"

    def putins_status():
        responders = event_responses(event=scenario["event"], now=WINDOW_END).responders
        return next(r for r in responders if r.actor == putin)

    assert putins_status().status != "responded"  # added, awaiting review: counts for nothing
    with pytest.raises(editorial.EditorialError, match="second editor"):
        editorial.confirm_manual_statement(statement=statement, user=editor)

    second = user_in("Editor", "second-editor")
    editorial.confirm_manual_statement(statement=statement, user=second)

    row = putins_status()
    assert (row.status, row.standing) == ("responded", "confirmed")
    history = list(statement.history.order_by("history_date"))
    assert [(h.history_user, h.history_change_reason) for h in history] == [
        (editor, "added, awaiting review"), (second, "confirmed by a second editor")]


def test_a_manual_statement_needs_the_address_where_it_was_published(editor):
    desk = build_desk()
    with pytest.raises(editorial.EditorialError, match="address"):
        editorial.add_manual_statement(actor=desk["putin"], event=desk["event"], user=editor,
                                       text="Words.", published_at=T0 + timedelta(hours=1))
    assert not Statement.objects.filter(is_manual=True).exists()


def test_an_editor_edits_and_withdraws_only_their_own_statement_with_a_reason(editor):
    desk = build_desk()
    statement = editorial.add_manual_statement(
        actor=desk["putin"], event=desk["event"], user=editor, text="Words.",
        url="https://tv.example/1", published_at=T0 + timedelta(hours=1))
    other = user_in("Editor", "other-editor")
    editorial.confirm_manual_statement(statement=statement, user=other)
    with pytest.raises(editorial.EditorialError, match="Only the editor who added"):
        editorial.withdraw_manual_statement(statement=statement, user=other, reason="dup")
    with pytest.raises(editorial.EditorialError, match="Say why"):
        editorial.edit_manual_statement(statement=statement, user=editor, reason=" ",
                                        title="New")

    editorial.edit_manual_statement(statement=statement, user=editor, reason="typo in title",
                                    title="Putin on Rossiya 1")
    assert statement.manual_review == "awaiting_review"  # what changed is reviewed again
    editorial.withdraw_manual_statement(statement=statement, user=editor, reason="misdated")

    statement.refresh_from_db()
    assert statement.manual_review == "withdrawn"
    reasons = list(statement.history.order_by("history_date")
                   .values_list("history_change_reason", flat=True))
    assert reasons[-2:] == ["edited: typo in title", "withdrawn: misdated"]


def test_a_manual_statement_needs_an_aware_time_and_a_new_url(editor):
    desk = build_desk()
    kwargs = {"actor": desk["putin"], "event": desk["event"], "user": editor, "text": "Words."}
    with pytest.raises(editorial.EditorialError):
        editorial.add_manual_statement(published_at=T0.replace(tzinfo=None), **kwargs)
    first = editorial.add_manual_statement(published_at=T0, url="https://x.example/1", **kwargs)
    with pytest.raises(editorial.DuplicateStatement) as error:
        editorial.add_manual_statement(published_at=T0, url="https://x.example/1", **kwargs)
    assert error.value.existing == first
    assert Statement.objects.filter(is_manual=True).count() == 1


def test_a_response_found_elsewhere_closes_the_review_with_it(editor):
    desk = build_desk()
    statement = editorial.record_found_response(
        review=desk["review"], user=editor, published_at=T0 + timedelta(hours=40),
        text="Putin spoke on Maduro in an interview.", note="Rossiya 1 interview",
        url="https://tv.example/interview")

    review = SilenceReview.objects.get(pk=desk["review"].pk)
    assert (review.decision, review.response, review.decided_by, review.note) == (
        "response_found", statement, editor, "Rossiya 1 interview")
    with pytest.raises(editorial.EditorialError):
        editorial.decide_silence(review=review, decision="notable", user=editor)


def test_a_decided_silence_cannot_get_a_response_added_twice(editor):
    desk = build_desk()
    editorial.decide_silence(review=desk["review"], decision="notable", user=editor, note="x")
    with pytest.raises(editorial.EditorialError):
        editorial.record_found_response(review=desk["review"], user=editor, published_at=T0,
                                        text="words")
    assert not Statement.objects.filter(is_manual=True).exists()


# --- reads -----------------------------------------------------------------


def test_matched_terms_are_marked_in_the_title_and_an_excerpt_of_the_text():
    desk = build_desk()
    desk["event"].terms = {"en": ["Maduro"], "ru": ["Венесуэла"]}
    desk["event"].save()
    statement = desk["statement"]
    statement.title = "On <Maduro> & Венесуэлы"
    statement.body_text = "word " * 200 + "the fate of Maduro " + "word " * 200
    statement.save()

    [item] = editorial.link_items(EventLink.objects.select_related("event", "statement"))

    assert item.title_html == "On &lt;<mark>Maduro</mark>&gt; &amp; <mark>Венесуэлы</mark>"
    assert "<mark>Maduro</mark>" in item.snippet_html
    assert item.snippet_html.startswith("…") and item.snippet_html.endswith("…")
    assert len(item.snippet_html) < editorial.SNIPPET_CHARS + 40


def test_event_notes_gather_open_flags_and_notable_silences(editor):
    desk = build_desk()
    editorial.decide_silence(review=desk["review"], decision="notable", user=editor)
    on_statement = editorial.flag(kind="wrong_link", note="", user=editor,
                                  statement=desk["statement"], event=desk["event"])
    closed = editorial.flag(kind="notable_silence", note="", user=editor, event=desk["event"],
                            actor=desk["putin"])
    editorial.close_flag(flag=closed, status="dismissed", note="", user=editor)

    notes = editorial.event_notes(event=desk["event"], statement_ids=[desk["statement"].pk])

    assert notes.flags_by_actor == {desk["putin"].pk: [desk["flag"]]}
    assert notes.flags_by_statement == {desk["statement"].pk: [on_statement]}
    assert notes.notable_by_actor[desk["putin"].pk].pk == desk["review"].pk


def test_history_names_the_user_and_the_change():
    desk = build_desk()
    someone = User.objects.create_user("zakharova-desk")
    editorial.close_flag(flag=desk["flag"], status="dismissed", note="not needed", user=someone)
    [closed, created] = editorial.object_history(Flag.objects.get())
    assert (closed.who, closed.action) == ("zakharova-desk", "changed")
    assert [(c.field, c.before, c.after) for c in closed.changes] == [
        ("status", "Open", "Dismissed"), ("closing note", "—", "not needed")]
    assert closed.when.tzinfo is not None and closed.when.utcoffset() == UTC.utcoffset(None)
    assert created.action == "created"


# --- decisions follow the evidence; everything undoable with a reason ---------------


def test_a_notable_silence_contradicted_by_a_new_link_is_reopened_with_the_reason(editor):
    desk = build_desk()
    editorial.decide_silence(review=desk["review"], decision="notable", user=editor)
    answer = f.statement(desk["putin"], T0 + timedelta(hours=20), title="Putin on Maduro")
    link = f.link(desk["event"], answer)

    editorial.confirm_link(link=link, user=editor)

    review = SilenceReview.objects.get(pk=desk["review"].pk)
    assert review.decision == "pending"
    assert "Vladimir Putin responded: “Putin on Maduro”" in review.reopened_reason
    assert "(it was: confirmed notable silence)" in review.reopened_reason
    assert review.history.first().history_change_reason.startswith("Reopened automatically")


def test_the_periodic_task_reopens_what_ingestion_contradicted(editor):
    desk = build_desk()
    editorial.decide_silence(review=desk["review"], decision="notable", user=editor)
    # Ingestion makes a suggested link about the event: no editor action follows.
    f.link(desk["event"], f.statement(desk["putin"], T0 + timedelta(hours=3),
                                      title="Putin on Maduro"), relevance=1.0)

    editorial.queue_silence_reviews(now=WINDOW_END + timedelta(days=2))

    assert SilenceReview.objects.get(pk=desk["review"].pk).decision == "pending"


def test_no_notable_silence_on_no_coverage(editor):
    desk = build_desk()
    desk["putin"].sources.update(is_partial=True)  # the only feed vouches for nothing
    with pytest.raises(editorial.EditorialError, match="no coverage"):
        editorial.decide_silence(review=desk["review"], decision="notable", user=editor)
    assert editorial.allowed_decisions("no_coverage") == ("dismissed", "response_found")
    editorial.decide_silence(review=desk["review"], decision="dismissed", user=editor)


def test_a_silence_decision_is_undone_with_a_reason_and_kept_in_the_history(editor):
    desk = build_desk()
    editorial.decide_silence(review=desk["review"], decision="notable", user=editor)
    with pytest.raises(editorial.EditorialError, match="Say why"):
        editorial.undo_silence_decision(review=desk["review"], user=editor, reason="")

    editorial.undo_silence_decision(review=desk["review"], user=editor,
                                    reason="the Kremlin feed was down that week")

    review = SilenceReview.objects.get(pk=desk["review"].pk)
    assert review.decision == "pending"
    assert review.reopened_reason.startswith("Undone by editor: the Kremlin feed was down")
    latest = review.history.first()
    assert (latest.history_user, latest.decision) == (editor, "pending")


def test_a_closed_flag_reopens_with_a_reason(editor):
    desk = build_desk()
    editorial.close_flag(flag=desk["flag"], status="resolved", note="found it", user=editor)
    editorial.reopen_flag(flag=desk["flag"], user=editor, reason="the link was wrong")
    desk["flag"].refresh_from_db()
    assert desk["flag"].status == "open"
    assert desk["flag"].history.first().history_change_reason == "reopened: the link was wrong"


def test_a_reattribution_is_undone_with_a_reason(editor):
    desk = build_desk()
    statement = desk["statement"]
    editorial.reattribute(statement=statement, actor=desk["putin"], user=editor)
    editorial.undo_reattribution(statement=statement, user=editor, reason="it was the ministry")
    statement.refresh_from_db()
    assert (statement.actor, statement.attribution) == (desk["mfa"], "feed_default")
