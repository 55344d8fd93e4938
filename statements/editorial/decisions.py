"""What editors do to the record, and what they read to decide.

Every change is a keyword-only function that saves through the model, so that
django-simple-history keeps each version with who made it and when. The user
is set on the instance (`_history_user`) rather than left to the request
middleware, so a change made by a task, a command or a test is attributed the
same way as one made through a page.

Writes
    confirm_link, reject_link, set_stance, undo_link_decision
    flag, close_flag, reopen_flag
    reattribute, undo_reattribution
    add_manual_statement, confirm_manual_statement, edit_manual_statement,
        withdraw_manual_statement
    decide_silence, record_found_response, undo_silence_decision
    reconcile_silence_reviews (decisions follow the evidence)
    queue_silence_reviews (the periodic task; it reconciles too)

Every undo takes a reason, kept in the history row (who, when, why).

Reads
    review_queue        the three sections of /review/, a page of each
    event_notes         open flags and confirmed silences of one event (the timeline)
    object_history      who changed what, before → after

A decision that cannot be made (a flag already closed, a silence already
decided, a naive datetime) raises EditorialError with a message for the editor,
and changes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import SafeString
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

from actors.models import Actor
from statements.ingest.linking import event_phrases, link_statements
from statements.models import (
    CANDIDATE_TAIL,
    Event,
    EventLink,
    Flag,
    SilenceReview,
    Stance,
    Statement,
)
from statements.responses.statuses import (
    NO_COVERAGE,
    SILENT,
    STATUS_LABELS,
    decision_holds,
    responses_for_events,
)
from statements.text.highlight import mark_spans
from statements.text.stance import score
from statements.text.terms import TermIndex, longest_first
from statements.timeline.labels import hours_between, offset_label, utc_label

# A window that closed longer ago than this is history, not news: the task
# does not queue it. The same span as the late-answer tail of an event's
# candidate range, so "recently closed" is one indexed range query.
SILENCE_LOOKBACK = CANDIDATE_TAIL
SILENCE_STATUSES = (SILENT, NO_COVERAGE)

# The fields an editor changes on each model, shown in its history. Who and
# when are the history row's own, so decided_by/decided_at are not repeated.
LINK_FIELDS = ("status", "stance", "intensity", "stance_by_editor", "method")
FLAG_FIELDS = ("status", "kind", "note", "closing_note")
SILENCE_FIELDS = ("decision", "note", "response")
STATEMENT_FIELDS = ("actor", "attribution", "title", "url", "language", "published_at")


class EditorialError(ValueError):
    """A decision that cannot be made as asked; the message is for the editor."""


class DuplicateStatement(EditorialError):
    def __init__(self, existing: Statement):
        self.existing = existing
        super().__init__(
            f"A statement with this URL is already recorded (statement {existing.pk}); "
            "link that one instead of adding it again."
        )


def _save(instance: models.Model, user: AbstractBaseUser | None, *, reason: str = "",
          **kwargs) -> None:
    instance._history_user = user  # who the history row names
    # Why, in the history row (django-simple-history's change reason holds 100 chars).
    instance._change_reason = reason[:100] if reason else None
    instance.save(**kwargs)


def _need_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise EditorialError("Say why: an undo is kept in the history with its reason.")
    return reason


def _keep_baseline(instance: EventLink | Statement) -> None:
    """Links and fed statements are bulk-inserted by the pipeline, which keeps no
    history; before an editor's first change, record the state as the system
    made it, so the history shows "before" and undo has something to return to."""
    if instance.pk and not instance.history.exists():
        made_at = getattr(instance, "created_at", None) or getattr(instance, "fetched_at", None)
        instance._history_user = None  # made by the pipeline, not by whoever is logged in
        get_history_manager_for_model(type(instance)).bulk_history_create(
            [instance], default_date=made_at)


# --- event links ----------------------------------------------------------------


def confirm_link(*, link: EventLink, user: AbstractBaseUser) -> EventLink:
    return _decide_link(link=link, status=EventLink.Status.CONFIRMED, user=user)


def reject_link(*, link: EventLink, user: AbstractBaseUser) -> EventLink:
    return _decide_link(link=link, status=EventLink.Status.REJECTED, user=user)


def _decide_link(*, link: EventLink, status: str, user: AbstractBaseUser) -> EventLink:
    _keep_baseline(link)
    link.status = status
    link.decided_by = user
    link.decided_at = timezone.now()
    _save(link, user)
    reconcile_silence_reviews(events=[link.event_id])
    return link


def set_stance(
    *, link: EventLink, stance: str, intensity: int, user: AbstractBaseUser
) -> EventLink:
    """The editor's reading of the tone; re-scoring never overwrites it afterwards."""
    if stance not in Stance.values:
        raise EditorialError(f"“{stance}” is not a stance.")
    if not 0 <= intensity <= 3:
        raise EditorialError("Intensity goes from 0 to 3.")
    if stance == Stance.NEUTRAL and intensity:
        raise EditorialError("A neutral statement has intensity 0.")
    _keep_baseline(link)
    link.stance, link.intensity, link.stance_by_editor = stance, intensity, True
    link.decided_by = user
    link.decided_at = timezone.now()
    _save(link, user)
    return link


# What undo restores: the decision, not the matcher's evidence (terms, cues).
_UNDOABLE = ("status", "stance", "intensity", "stance_by_editor", "decided_by_id", "decided_at")


def version_before_last(link: EventLink) -> int | None:
    """The history id of the link's state before its latest change: what undo restores."""
    ids = list(link.history.order_by("-history_date", "-history_id")
               .values_list("history_id", flat=True)[:2])
    return ids[1] if len(ids) == 2 else None


def undo_link_decision(
    *, link: EventLink, user: AbstractBaseUser, version: int | None = None, reason: str = "",
) -> EventLink:
    """Put the link back as it was in `version` (a history id of this link; by
    default the state before its latest change). Undo is itself a change and
    is kept in the history, so it can be undone too."""
    if version is None:
        version = version_before_last(link)
    record = link.history.filter(history_id=version).first() if version else None
    if record is None:
        raise EditorialError("There is no earlier state of this link to go back to.")
    for name in _UNDOABLE:
        setattr(link, name, getattr(record, name))
    _save(link, user, reason=reason)
    reconcile_silence_reviews(events=[link.event_id])
    return link


# --- flags ------------------------------------------------------------------------


def flag(
    *,
    kind: str,
    note: str,
    user: AbstractBaseUser,
    event: Event | None = None,
    actor: Actor | None = None,
    statement: Statement | None = None,
) -> Flag:
    """A note on an (event, actor) pair or on a statement (with its event, if given)."""
    if kind not in Flag.Kind.values:
        raise EditorialError(f"“{kind}” is not a kind of flag.")
    if statement is None and (event is None or actor is None):
        raise EditorialError("A flag is on a statement, or on an actor for an event.")
    made = Flag(kind=kind, note=note.strip(), event=event, actor=actor, statement=statement,
                created_by=user)
    _save(made, user)
    return made


def close_flag(*, flag: Flag, status: str, note: str, user: AbstractBaseUser) -> Flag:
    if status not in (Flag.Status.RESOLVED, Flag.Status.DISMISSED):
        raise EditorialError("A flag is closed as resolved or dismissed.")
    if flag.status != Flag.Status.OPEN:
        raise EditorialError(f"This flag is already {flag.get_status_display().lower()}.")
    flag.status = status
    flag.closing_note = note.strip()
    flag.closed_by = user
    flag.closed_at = timezone.now()
    _save(flag, user)
    return flag


def reopen_flag(*, flag: Flag, user: AbstractBaseUser, reason: str) -> Flag:
    """Undo a flag's closing: it is open again, and the history says who and why."""
    reason = _need_reason(reason)
    if flag.status == Flag.Status.OPEN:
        raise EditorialError("This flag is open already.")
    flag.status = Flag.Status.OPEN
    flag.closed_by, flag.closed_at = None, None
    flag.closing_note = ""
    _save(flag, user, reason=f"reopened: {reason}")
    return flag


# --- statements ---------------------------------------------------------------------


def reattribute(*, statement: Statement, actor: Actor, user: AbstractBaseUser,
                reason: str = "") -> Statement:
    """Say who really spoke. Statuses follow at once: they are derived at read time."""
    if statement.actor_id == actor.pk and statement.attribution == Statement.Attribution.EDITOR:
        return statement
    _keep_baseline(statement)
    statement.actor = actor
    statement.attribution = Statement.Attribution.EDITOR
    _save(statement, user, reason=reason)
    reconcile_silence_reviews(events=_events_of(statement))
    return statement


def undo_reattribution(*, statement: Statement, user: AbstractBaseUser, reason: str
                       ) -> Statement:
    """Give the statement back the speaker (and how it was attributed) it had before
    its latest re-attribution."""
    reason = _need_reason(reason)
    records = list(statement.history.order_by("-history_date", "-history_id")
                   .values_list("actor_id", "attribution"))
    current = (statement.actor_id, statement.attribution)
    earlier = next((r for r in records if r != current), None)
    if earlier is None:
        raise EditorialError("This statement was never re-attributed.")
    statement.actor_id, statement.attribution = earlier
    _save(statement, user, reason=f"undo re-attribution: {reason}")
    reconcile_silence_reviews(events=_events_of(statement))
    return statement


def _events_of(statement: Statement) -> list[int]:
    return list(EventLink.objects.filter(statement=statement).values_list("event_id", flat=True))


def add_manual_statement(
    *,
    actor: Actor,
    event: Event,
    published_at: datetime,
    text: str,
    user: AbstractBaseUser,
    url: str = "",
    title: str = "",
    language: str = "",
    stance: str = "",
    intensity: int | None = None,
) -> Statement:
    """A response found outside the feeds (a TV interview, a Telegram post).

    Evidence like any other: it needs the address where it was published. It is
    stored marked manual and linked to the event as the editor's claim, but it
    changes a public status only once a second editor has confirmed it
    (confirm_manual_statement); until then it shows as "added, awaiting review".
    The stance is scored from the text unless the editor gives one. It is also
    offered as a suggestion to other events it mentions, as a fed statement is.
    """
    if timezone.is_naive(published_at):
        raise EditorialError("Give the time with its timezone.")
    if not text.strip():
        raise EditorialError("Give the words of the statement.")
    if not url.strip():
        raise EditorialError(
            "Give the address where the statement was published: a hand-added statement "
            "is evidence, and a reader must be able to check it.")
    url = url.strip()
    if url:
        existing = Statement.objects.filter(url=url).first()
        if existing is not None:
            raise DuplicateStatement(existing)
    text, title = text.strip(), title.strip()
    scored = score(f"{title}\n{text}")
    if stance:
        chosen_stance = stance
        chosen_intensity = intensity if intensity is not None else scored.intensity
        if stance == Stance.NEUTRAL:
            chosen_intensity = 0
    else:
        chosen_stance, chosen_intensity = scored.stance, scored.intensity
    terms = TermIndex([(event.pk, event_phrases(event.terms))]).find(f"{title}\n{text}")
    now = timezone.now()
    with transaction.atomic():
        statement = Statement(
            source=None,
            actor=actor,
            attribution=Statement.Attribution.EDITOR,
            entry_id=f"manual:{uuid.uuid4()}",
            url=url,
            title=title,
            body_text=text,
            language=language,
            published_at=published_at.astimezone(UTC),
            fetched_at=now,
            content_hash=hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
            raw={"added_by": user.get_username(), "added_at": now.isoformat()},
            is_manual=True,
            added_by=user,
            manual_review=Statement.ManualReview.AWAITING,
        )
        _save(statement, user, reason="added, awaiting review")
        link = EventLink(
            event=event,
            statement=statement,
            method=EventLink.Method.EDITOR,
            status=EventLink.Status.CONFIRMED,
            matched_terms=terms.get(event.pk, []),
            stance=chosen_stance,
            intensity=chosen_intensity,
            cues=list(scored.cues),
            stance_by_editor=bool(stance),
            decided_by=user,
            decided_at=now,
        )
        _save(link, user)
        link_statements([statement])
    return statement


def confirm_manual_statement(*, statement: Statement, user: AbstractBaseUser) -> Statement:
    """A second editor vouches for a hand-added statement: from now on it counts."""
    if not statement.is_manual:
        raise EditorialError("Only a hand-added statement waits for a second editor.")
    if statement.manual_review != Statement.ManualReview.AWAITING:
        raise EditorialError(
            f"This statement is not awaiting review: {statement.get_manual_review_display()}.")
    if statement.added_by_id == user.pk or _last_editor_id(statement) == user.pk:
        raise EditorialError("A second editor must confirm it: not the one who added or "
                             "last edited it.")
    statement.manual_review = Statement.ManualReview.CONFIRMED
    statement.reviewed_by, statement.reviewed_at = user, timezone.now()
    _save(statement, user, reason="confirmed by a second editor")
    reconcile_silence_reviews(events=_events_of(statement))
    return statement


def _last_editor_id(statement: Statement) -> int | None:
    record = statement.history.order_by("-history_date", "-history_id").first()
    return record.history_user_id if record else None


def _own_manual(statement: Statement, user: AbstractBaseUser) -> None:
    if not statement.is_manual:
        raise EditorialError("Only a hand-added statement can be edited or withdrawn here.")
    if statement.added_by_id != user.pk:
        raise EditorialError("Only the editor who added this statement can change it.")


def edit_manual_statement(
    *, statement: Statement, user: AbstractBaseUser, reason: str, url: str | None = None,
    title: str | None = None, text: str | None = None, published_at: datetime | None = None,
) -> Statement:
    """An editor corrects their own hand-added statement. What changed goes back to
    a second editor: a confirmed statement is awaiting review again."""
    _own_manual(statement, user)
    reason = _need_reason(reason)
    if statement.is_withdrawn:
        raise EditorialError("This statement was withdrawn; add it again instead.")
    if url is not None and not url.strip():
        raise EditorialError("A hand-added statement keeps the address where it was published.")
    if published_at is not None and timezone.is_naive(published_at):
        raise EditorialError("Give the time with its timezone.")
    if url is not None:
        statement.url = url.strip()
    if title is not None:
        statement.title = title.strip()
    if text is not None:
        if not text.strip():
            raise EditorialError("Give the words of the statement.")
        statement.body_text = text.strip()
    if published_at is not None:
        statement.published_at = published_at.astimezone(UTC)
    statement.content_hash = hashlib.sha256(
        f"{statement.title}\n{statement.body_text}".encode()).hexdigest()
    statement.manual_review = Statement.ManualReview.AWAITING
    statement.reviewed_by, statement.reviewed_at = None, None
    _save(statement, user, reason=f"edited: {reason}")
    reconcile_silence_reviews(events=_events_of(statement))
    return statement


def withdraw_manual_statement(*, statement: Statement, user: AbstractBaseUser, reason: str
                              ) -> Statement:
    """The undo of adding a statement: it stays on record (and in the history) but
    counts for nothing."""
    _own_manual(statement, user)
    reason = _need_reason(reason)
    if statement.is_withdrawn:
        raise EditorialError("This statement is withdrawn already.")
    statement.manual_review = Statement.ManualReview.WITHDRAWN
    _save(statement, user, reason=f"withdrawn: {reason}")
    reconcile_silence_reviews(events=_events_of(statement))
    return statement


def manual_awaiting_review() -> models.QuerySet[Statement]:
    return (Statement.objects.filter(is_manual=True,
                                     manual_review=Statement.ManualReview.AWAITING)
            .select_related("actor", "added_by")
            .prefetch_related("links__event")
            .order_by("-fetched_at", "-pk"))


# --- silences -----------------------------------------------------------------------


def queue_silence_reviews(*, now: datetime, lookback: timedelta | None = SILENCE_LOOKBACK) -> int:
    """Queue, once, each expected actor of a published event whose window has
    closed (within `lookback`; None for any time) while its status is silent or
    no_coverage.

    Idempotent at the database: a pair already queued — whatever its decision —
    is skipped, and one queued by a concurrent run is absorbed by the unique
    constraint. Returns how many reviews this run created.
    """
    candidates = Event.objects.published().filter(occurred_at__lte=now).order_by()
    if lookback is not None:
        # candidate_until is the window's end plus CANDIDATE_TAIL: an indexed bound.
        candidates = candidates.filter(candidate_until__gte=now - lookback + CANDIDATE_TAIL)
    events = [e for e in candidates
              if e.window_ends_at <= now
              and (lookback is None or e.window_ends_at >= now - lookback)]
    if not events:
        return 0
    responses = responses_for_events(events=events, now=now)
    queued = set(
        SilenceReview.objects.filter(event__in=events).values_list("event_id", "actor_id")
    )
    new = [
        SilenceReview(event=event, actor=responder.actor, status_at_close=responder.status,
                      created_at=now)
        for event in events
        for responder in responses[event.pk].responders
        if responder.expected
        and responder.status in SILENCE_STATUSES
        and (event.pk, responder.actor.pk) not in queued
    ]
    # Decisions follow the evidence that arrived since (new links from ingestion).
    reconcile_silence_reviews(events=[e.pk for e in events], now=now)
    if not new:
        return 0
    created = bulk_create_with_history(new, SilenceReview, ignore_conflicts=True,
                                       default_date=now)
    return len(created)


def current_status(review: SilenceReview, *, now: datetime | None = None):
    """The responder row a review is about, derived now (None if the actor is no
    longer among the event's responders)."""
    responses = responses_for_events(events=[review.event], now=now or timezone.now())
    return next((r for r in responses[review.event_id].responders
                 if r.actor.pk == review.actor_id), None)


def allowed_decisions(status: str | None) -> tuple[str, ...]:
    """What the queue may offer for a review whose row has `status` now: never
    "notable" on no_coverage or on an actor who has since responded."""
    if status == SILENT:
        return (SilenceReview.Decision.NOTABLE, SilenceReview.Decision.DISMISSED,
                SilenceReview.Decision.RESPONSE_FOUND)
    if status == NO_COVERAGE:
        return (SilenceReview.Decision.DISMISSED, SilenceReview.Decision.RESPONSE_FOUND)
    if status in (None, "pending"):
        return ()
    return (SilenceReview.Decision.ANSWERED,)  # the actor has answered since


def reconcile_silence_reviews(*, events: Iterable[int] | None = None,
                              now: datetime | None = None) -> list[SilenceReview]:
    """Decisions follow the evidence. For the reviews of `events` (all, when None):

    - a decision the derived status contradicts (a notable silence after a new
      link, a hand-added statement confirmed, a re-attribution, or a feed found
      quiet) goes back to the queue, with the reason;
    - a review still waiting whose actor has since answered is closed as
      answered, and reopens by the same rule if that answer stops counting.

    Returns the reviews it changed; each change is in their history.
    """
    now = now or timezone.now()
    reviews = SilenceReview.objects.select_related("event", "actor", "response")
    if events is not None:
        ids = set(events)
        if not ids:
            return []
        reviews = reviews.filter(event_id__in=ids)
    reviews = list(reviews)
    if not reviews:
        return []
    responses = responses_for_events(events={r.event_id: r.event for r in reviews}.values(),
                                     now=now)
    Decision = SilenceReview.Decision
    changed = []
    for review in reviews:
        responder = next((r for r in responses[review.event_id].responders
                          if r.actor.pk == review.actor_id), None)
        if responder is None or responder.status == "pending":
            continue
        status, silent = responder.status, responder.status in SILENCE_STATUSES
        if review.decision == Decision.PENDING:
            # One that came back with a reason waits for an editor to read it.
            if not silent and not review.reopened_reason:
                review.decision, review.decided_by, review.decided_at = Decision.ANSWERED, None, now
                review.note = _what_contradicts(responder)
                review.reopened_reason = ""
                _save(review, None, reason="closed automatically: answered since")
                changed.append(review)
            continue
        if review.decision == Decision.RESPONSE_FOUND:
            holds = not silent or bool(review.response and review.response.awaiting_review)
            why = "the response recorded for it no longer counts"
        elif review.decision == Decision.ANSWERED:
            holds, why = not silent, "the answer that closed it no longer counts"
        else:
            holds, why = decision_holds(review.decision, status), _what_contradicts(responder)
        if not holds:
            _reopen(review, f"Reopened automatically on {now:%Y-%m-%d %H:%M} UTC: {why}", now)
            changed.append(review)
    return changed


def _reopen(review: SilenceReview, reason: str, now: datetime,
            user: AbstractBaseUser | None = None) -> None:
    was = review.get_decision_display().lower()
    review.decision = SilenceReview.Decision.PENDING
    review.decided_by, review.decided_at = None, None
    review.reopened_reason = f"{reason} (it was: {was})"
    _save(review, user, reason=reason)


def _what_contradicts(responder) -> str:
    actor = responder.actor.name
    if responder.link is not None:
        statement = responder.link.statement
        through = f" through {responder.through.name}" if responder.through else ""
        return (f"{actor} {STATUS_LABELS[responder.status].lower()}{through}: "
                f"“{str(statement)[:120]}” ({statement.published_at:%Y-%m-%d %H:%M} UTC, "
                f"statement {statement.pk})")
    if responder.status == NO_COVERAGE:
        reasons = "; ".join(responder.quiet_reasons)
        return "no source vouches for the whole window any more" + (
            f" ({reasons})" if reasons else "")
    return f"{actor} is now {STATUS_LABELS[responder.status].lower()}"


def notable_silences_that_hold(*, limit: int, now: datetime | None = None
                               ) -> list[SilenceReview]:
    """Confirmed notable silences of published events that the derived status still
    bears out (the Atom feed of silences), most recently decided first."""
    reviews = list(SilenceReview.objects.filter(decision=SilenceReview.Decision.NOTABLE,
                                                event__is_published=True)
                   .select_related("event", "actor", "decided_by")
                   .order_by("-decided_at", "-id")[:limit])
    with_current_status(reviews, now=now)
    return [r for r in reviews
            if r.current is not None and decision_holds(r.decision, r.current.status)]


def undo_silence_decision(*, review: SilenceReview, user: AbstractBaseUser, reason: str
                          ) -> SilenceReview:
    """Put a decided silence back in the queue, saying who and why."""
    reason = _need_reason(reason)
    if review.decision == SilenceReview.Decision.PENDING:
        raise EditorialError("This silence is awaiting review already.")
    _reopen(review, f"Undone by {user.get_username()}: {reason}", timezone.now(), user)
    return review


def decide_silence(
    *, review: SilenceReview, decision: str, user: AbstractBaseUser, note: str = ""
) -> SilenceReview:
    """Confirm a silence as notable, dismiss it, or close it as answered since; only
    a decision that matches the status derived now (a response found goes through
    record_found_response, which also records the response)."""
    if decision not in (SilenceReview.Decision.NOTABLE, SilenceReview.Decision.DISMISSED,
                        SilenceReview.Decision.ANSWERED):
        raise EditorialError("A silence is confirmed as notable, dismissed, or closed as "
                             "answered since.")
    responder = current_status(review)
    status = responder.status if responder else None
    if decision not in allowed_decisions(status):
        label = STATUS_LABELS.get(status, "not among the responders").lower()
        raise EditorialError(
            f"{review.actor.name} is now “{label}” on this event: "
            f"“{SilenceReview.Decision(decision).label.lower()}” no longer matches the evidence.")
    return _decide_silence(review=review, decision=decision, user=user, note=note)


def _decide_silence(*, review, decision, user, note="", response=None) -> SilenceReview:
    if review.decision != SilenceReview.Decision.PENDING:
        raise EditorialError(
            f"This silence was already reviewed: {review.get_decision_display().lower()}.")
    review.decision = decision
    review.note = note.strip()
    review.response = response
    review.decided_by = user
    review.decided_at = timezone.now()
    review.reopened_reason = ""
    _save(review, user)
    return review


def record_found_response(
    *,
    review: SilenceReview,
    user: AbstractBaseUser,
    published_at: datetime,
    text: str,
    url: str = "",
    title: str = "",
    language: str = "",
    stance: str = "",
    intensity: int | None = None,
    note: str = "",
) -> Statement:
    """The actor did answer, somewhere we do not watch: record the answer as a
    manual statement on the event and close the review with it."""
    if review.decision != SilenceReview.Decision.PENDING:
        raise EditorialError(
            f"This silence was already reviewed: {review.get_decision_display().lower()}.")
    with transaction.atomic():
        statement = add_manual_statement(
            actor=review.actor, event=review.event, published_at=published_at, text=text,
            user=user, url=url, title=title, language=language, stance=stance,
            intensity=intensity,
        )
        _decide_silence(review=review, decision=SilenceReview.Decision.RESPONSE_FOUND,
                        user=user, note=note, response=statement)
    return statement


# --- reads: the queue ------------------------------------------------------------------

QUEUE_PAGE_SIZE = 20
SNIPPET_CHARS = 320


@dataclass
class LinkItem:
    """A suggested link in the queue, with its matched terms marked in the text."""

    link: EventLink
    title_html: SafeString
    snippet_html: SafeString

    @property
    def statement(self) -> Statement:
        return self.link.statement

    @property
    def offset_hours(self) -> float:
        return hours_between(self.link.event.occurred_at, self.link.statement.published_at)

    @property
    def offset_label(self) -> str:
        """'+5.5 h from T0', '−3.0 h from T0' (a real minus sign)."""
        return f"{offset_label(self.offset_hours)} from T0"


@dataclass
class ReviewQueue:
    links: Page
    link_items: list[LinkItem]
    silences: Page
    flags: Page
    pending_links: int
    pending_silences: int
    manual: Page | None = None  # hand-added statements awaiting a second editor

    @property
    def pending_manual(self) -> int:
        return self.manual.paginator.count if self.manual is not None else 0


def highlight(text: str, index: TermIndex, *, key, limit: int | None = None) -> SafeString:
    """`text` escaped, with every match of `key`'s terms wrapped in <mark>. With a
    `limit`, an excerpt of about that many characters around the first match."""
    matches = [m for m in longest_first(index.matches(text)) if m.key == key] if text else []
    start, end = 0, len(text)
    if limit is not None and len(text) > limit:
        first = matches[0].start if matches else 0
        start = max(0, first - limit // 3)
        end = min(len(text), start + limit)
        # Cut at spaces, so no word is shown halved.
        if start and (space := text.find(" ", start, first or None)) != -1:
            start = space + 1
        if end < len(text) and (space := text.rfind(" ", start, end)) > start:
            end = space
    return mark_spans(
        text, [(m.start, m.end) for m in matches], start=start, end=end,
        before="…" if start else "", after="…" if end < len(text) else "",
    )


def link_items(links: Iterable[EventLink]) -> list[LinkItem]:
    items, indexes = [], {}
    for link in links:
        if link.event_id not in indexes:
            indexes[link.event_id] = TermIndex([(link.event_id, event_phrases(link.event.terms))])
        index = indexes[link.event_id]
        statement = link.statement
        items.append(LinkItem(
            link=link,
            title_html=highlight(statement.title or str(statement), index, key=link.event_id),
            snippet_html=highlight(statement.body_text, index, key=link.event_id,
                                   limit=SNIPPET_CHARS),
        ))
    return items


@dataclass(frozen=True)
class FlagFilters:
    event: Event | None = None
    actor: Actor | None = None
    kind: str = ""
    status: str = Flag.Status.OPEN  # "" = any

    def apply(self, flags: models.QuerySet[Flag]) -> models.QuerySet[Flag]:
        if self.event is not None:
            flags = flags.filter(Q(event=self.event) | Q(statement__links__event=self.event))
        if self.actor is not None:
            flags = flags.filter(Q(actor=self.actor) | Q(statement__actor=self.actor))
        if self.kind:
            flags = flags.filter(kind=self.kind)
        if self.status:
            flags = flags.filter(status=self.status)
        return flags.distinct()


@dataclass(frozen=True)
class LinkFilters:
    """The queue's filters for suggested links: by event, speaker, source and language."""

    event: Event | None = None
    actor: Actor | None = None
    source: object | None = None  # a Source
    language: str = ""

    def apply(self, links: models.QuerySet[EventLink]) -> models.QuerySet[EventLink]:
        if self.event is not None:
            links = links.filter(event=self.event)
        if self.actor is not None:
            links = links.filter(statement__actor=self.actor)
        if self.source is not None:
            links = links.filter(statement__source=self.source)
        if self.language:
            links = links.filter(statement__language__istartswith=self.language)
        return links


def decide_links(*, links: Iterable[EventLink], status: str, user: AbstractBaseUser) -> int:
    """Confirm or reject a selection of suggested links at once; each is in its
    history, and the silences of their events are reconciled once at the end."""
    if status not in (EventLink.Status.CONFIRMED, EventLink.Status.REJECTED):
        raise EditorialError("A selection is confirmed or rejected.")
    links = list(links)
    now = timezone.now()
    with transaction.atomic():
        for link in links:
            _keep_baseline(link)
            link.status, link.decided_by, link.decided_at = status, user, now
            _save(link, user, reason="batch decision")
        reconcile_silence_reviews(events={link.event_id for link in links})
    return len(links)


def suggested_links(filters: LinkFilters | None = None) -> models.QuerySet[EventLink]:
    return (filters or LinkFilters()).apply(
        EventLink.objects.filter(status=EventLink.Status.SUGGESTED, event__is_published=True)
        .select_related("event", "statement__actor", "statement__source")
        .order_by("-statement__published_at", "-pk")
    )


def pending_silences() -> models.QuerySet[SilenceReview]:
    return (
        SilenceReview.objects.filter(decision=SilenceReview.Decision.PENDING)
        .select_related("event", "actor")
        .order_by("-event__occurred_at", "actor__name")
    )


def flags_for_queue(filters: FlagFilters) -> models.QuerySet[Flag]:
    return filters.apply(
        Flag.objects.select_related(
            "event", "actor", "statement__actor", "created_by", "closed_by"
        ).order_by("-created_at", "-pk")
    )


def review_queue(
    *, filters: FlagFilters, link_filters: LinkFilters | None = None,
    links_page: int | str = 1, silences_page: int | str = 1,
    flags_page: int | str = 1, manual_page: int | str = 1, per_page: int = QUEUE_PAGE_SIZE,
) -> ReviewQueue:
    """The editors' queue, a page of each section, in a number of queries that
    does not grow with the page size."""
    links = Paginator(suggested_links(link_filters), per_page).get_page(links_page)
    silences = Paginator(pending_silences(), per_page).get_page(silences_page)
    flags = Paginator(flags_for_queue(filters), per_page).get_page(flags_page)
    manual = Paginator(manual_awaiting_review(), per_page).get_page(manual_page)
    with_current_status(list(silences.object_list))
    return ReviewQueue(
        links=links,
        link_items=link_items(links.object_list),
        silences=silences,
        flags=flags,
        pending_links=links.paginator.count,
        pending_silences=silences.paginator.count,
        manual=manual,
    )


def with_current_status(reviews: list[SilenceReview], *, now: datetime | None = None) -> None:
    """Give each review the row it is about as derived now (`review.current`) and the
    decisions that still match it (`review.allowed`): what the queue may offer.
    A constant number of queries for a page of reviews."""
    if not reviews:
        return
    events = {r.event_id: r.event for r in reviews}
    responses = responses_for_events(events=events.values(), now=now or timezone.now())
    for review in reviews:
        review.current = next((r for r in responses[review.event_id].responders
                               if r.actor.pk == review.actor_id), None)
        review.allowed = allowed_decisions(review.current.status if review.current else None)


def queue_counts() -> dict[str, int]:
    """What waits for the editors, for the home page and the nav: three counts."""
    return {
        "links": suggested_links().count(),
        "silences": pending_silences().count(),
        "flags": Flag.objects.filter(status=Flag.Status.OPEN).count(),
        "statements": manual_awaiting_review().count(),
    }


# --- reads: notes beside the timeline ---------------------------------------------------


@dataclass
class EventNotes:
    """Editors' notes on one event, keyed for the timeline's rows and statements."""

    flags_by_actor: dict[int, list[Flag]] = field(default_factory=dict)
    flags_by_statement: dict[int, list[Flag]] = field(default_factory=dict)
    notable_by_actor: dict[int, SilenceReview] = field(default_factory=dict)


def event_notes(*, event: Event, statement_ids: Iterable[int] = ()) -> EventNotes:
    """Open flags on the event's (event, actor) pairs and on its statements, and
    the silences confirmed as notable: two queries, whatever the size of the event."""
    notes = EventNotes(defaultdict(list), defaultdict(list))
    flags = Flag.objects.filter(
        Q(event=event, actor__isnull=False) | Q(statement_id__in=list(statement_ids)),
        status=Flag.Status.OPEN,
    ).select_related("created_by").order_by("created_at", "pk")
    for item in flags:
        if item.statement_id:
            notes.flags_by_statement[item.statement_id].append(item)
        else:
            notes.flags_by_actor[item.actor_id].append(item)
    for review in SilenceReview.objects.filter(
        event=event, decision=SilenceReview.Decision.NOTABLE
    ).select_related("decided_by"):
        notes.notable_by_actor[review.actor_id] = review
    notes.flags_by_actor = dict(notes.flags_by_actor)
    notes.flags_by_statement = dict(notes.flags_by_statement)
    return notes


# --- reads: history -------------------------------------------------------------------------


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    when: datetime
    who: str  # the user's name, or "the system" for automatic changes
    action: str  # created, changed, deleted
    subject: str  # what changed, when a history spans several objects
    changes: list[Change]


def _display(record, name: str, labels: dict[str, dict]) -> str:
    model_field = record._meta.get_field(name)
    value = getattr(record, model_field.attname)
    if value is None or value == "":
        return "—"
    if name in labels:
        return labels[name].get(value, f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return utc_label(value)
    return str(value)


def history_entries(
    records: Sequence, *, fields: Sequence[str], subject: str = "",
    labels: dict[str, dict] | None = None,
) -> list[HistoryEntry]:
    """One object's history rows (oldest first) as who/when/what changed, newest first.

    What changed between two rows is django-simple-history's own ``diff_against``;
    this only puts the changed fields in the order given and in words.
    """
    labels = labels or {}
    entries, previous = [], None
    for record in records:
        action = {"+": "created", "~": "changed", "-": "deleted"}[record.history_type]
        changes = []
        if previous is None:
            changed = [name for name in fields if _display(record, name, labels) != "—"]
        else:
            delta = record.diff_against(previous, included_fields=fields)
            changed = [name for name in fields if name in set(delta.changed_fields)]
        for name in changed:
            after = _display(record, name, labels)
            before = "" if previous is None else _display(previous, name, labels)
            if before != after:  # None and "" both read "—": not a change to a reader
                changes.append(Change(name.replace("_", " "), before, after))
        if previous is None or changes or action != "changed":
            who = record.history_user.get_username() if record.history_user else "the system"
            entries.append(HistoryEntry(when=record.history_date, who=who, action=action,
                                        subject=subject, changes=changes))
        previous = record
    entries.reverse()
    return entries


def _ordered(history_qs):
    return list(history_qs.select_related("history_user").order_by("history_date", "history_id"))


def object_history(obj: models.Model) -> list[HistoryEntry]:
    """The history shown beside a link, a flag, a silence review or a statement.

    A statement's history includes its links' (the decisions on what it is
    about), each row saying which event it concerns. A constant number of
    queries per object.
    """
    if isinstance(obj, EventLink):
        return history_entries(_ordered(obj.history.all()), fields=LINK_FIELDS)
    if isinstance(obj, Flag):
        return history_entries(_ordered(obj.history.all()), fields=FLAG_FIELDS)
    if isinstance(obj, SilenceReview):
        responses = {obj.response_id: f"statement {obj.response_id}"} if obj.response_id else {}
        return history_entries(_ordered(obj.history.all()), fields=SILENCE_FIELDS,
                               labels={"response": responses})
    if isinstance(obj, Statement):
        records = _ordered(obj.history.all())
        actor_ids = {r.actor_id for r in records if r.actor_id}
        actor_names = dict(Actor.objects.filter(pk__in=actor_ids).values_list("pk", "name"))
        entries = history_entries(records, fields=STATEMENT_FIELDS, subject="statement",
                                  labels={"actor": actor_names})
        link_records = _ordered(EventLink.history.filter(statement_id=obj.pk))
        titles = dict(Event.objects.filter(
            pk__in={r.event_id for r in link_records}).values_list("pk", "title"))
        by_link = defaultdict(list)
        for record in link_records:
            by_link[record.id].append(record)
        for records_of_link in by_link.values():
            title = titles.get(records_of_link[0].event_id, "a deleted event")
            entries += history_entries(records_of_link, fields=LINK_FIELDS,
                                       subject=f"link to “{title}”")
        entries.sort(key=lambda e: e.when, reverse=True)
        return entries
    raise TypeError(f"No editorial history for {type(obj).__name__}")
