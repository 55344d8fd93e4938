"""Alerts: subscriptions evaluated in batch, each occurrence delivered once.

`deliver_alerts(*, now)` is what the `send_alerts` Celery task runs every five
minutes. It evaluates every active subscription against what happened
recently, stores one Alert per (subscription, occurrence) and e-mails the new
ones, one message per user and run. The same alerts make each user's personal
Atom feed (`/alerts/<token>/feed.atom`).

What counts as an occurrence, per kind of subscription:

    actor_speaks    a statement by the actor (for a state or an institution, by
                    any of its members), fetched after the subscription was
                    made; narrowed to an event or tag, a statement newly linked
                    to it (suggested or confirmed). Key: the statement.
    still_silent    an expected actor with nothing linked (its own, a member's
                    or a spokesperson's words) N hours after T0: its status is
                    still pending, silent or no coverage. Key: event + actor.
    breaks_silence  a leader (or the chosen actor) that said nothing in the
                    window — silent or uncovered when it closed — and has now
                    spoken on the event: its status became responded_late.
                    Key: event + actor.
    escalation      a later linked statement by the same actor on the same
                    event whose stance is graver (neutral/supports < concern <
                    condemns), or as grave with a higher intensity, than all
                    its earlier ones there. Key: the link.

Only recent occurrences are looked at: those of the last ALERT_LOOKBACK, and for
a subscription never from before it was made (a silence that is still going
on counts as recent while its N hours passed within the lookback).

Once, never twice — also with two runs at the same time:

1. Alerts are inserted in one `bulk_create(ignore_conflicts=True)` per run,
   marked with the run's own `batch` id. The unique constraint on
   (subscription, occurrence_key) lets exactly one insert of an occurrence
   win, whichever run or worker tries; the loser's row is simply not there.
2. A run e-mails only rows that carry its batch id: the rows it inserted, and
   rows it took over from a run whose e-mail failed (a conditional UPDATE
   on `attempted_at`, which two runs cannot both win).
3. A row is marked e-mailed *before* the message goes out and unmarked if
   sending raises: a crash between the two loses an e-mail (the alert stays
   in the feed) rather than sending it twice.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from actors.models import Actor
from statements.models import (
    Alert,
    AlertFeedKey,
    Event,
    EventLink,
    Stance,
    Statement,
    Subscription,
    Tag,
    new_feed_secret,
)
from statements.responses.statuses import (
    NO_COVERAGE,
    PENDING,
    RESPONDED_LATE,
    SILENT,
    ActorGraph,
    responses_for_events,
)
from statements.timeline.labels import hours_between, offset_label, utc_label

logger = logging.getLogger(__name__)

ALERT_LOOKBACK = timedelta(days=7)
# A failed e-mail is tried again by a later run after this long, for this long.
RETRY_AFTER = timedelta(minutes=15)
GIVE_UP_AFTER = timedelta(days=2)
MAX_SUBSCRIPTIONS_PER_USER = 50
FEED_SALT = "statements.alerts.feed"

# How grave a stance is, for "escalation": supporting an event is not graver than
# staying neutral about it; concern is, and condemnation more so.
STANCE_GRAVITY = {Stance.NEUTRAL: 0, Stance.SUPPORTS: 0, Stance.CONCERN: 1, Stance.CONDEMNS: 2}


@dataclass(frozen=True)
class Occurrence:
    key: str
    occurred_at: datetime
    title: str
    body: str
    url: str


def deliver_alerts(*, now: datetime) -> int:
    """Evaluate every active subscription, store new alerts once and e-mail them.

    Returns how many alerts this run created (a concurrent run's are not counted).
    """
    subscriptions = list(
        Subscription.objects.filter(active=True, user__is_active=True)
        .select_related("actor", "event", "tag", "user")
    )
    found: dict[tuple[int, str], tuple[Subscription, Occurrence]] = {}
    if subscriptions:
        graph = ActorGraph.load()
        by_kind: dict[str, list[Subscription]] = defaultdict(list)
        for subscription in subscriptions:
            by_kind[subscription.kind].append(subscription)
        pairs = [
            *_actor_speaks(by_kind[Subscription.Kind.ACTOR_SPEAKS], now=now, graph=graph),
            *_silences(by_kind[Subscription.Kind.STILL_SILENT],
                       by_kind[Subscription.Kind.BREAKS_SILENCE], now=now, graph=graph),
            *_escalations(by_kind[Subscription.Kind.ESCALATION], now=now, graph=graph),
        ]
        for subscription, occurrence in pairs:
            found.setdefault((subscription.pk, occurrence.key), (subscription, occurrence))

    batch = uuid.uuid4()
    created = _store(found, batch=batch, now=now)
    _email(batch=batch, now=now)
    return created


# --- evaluating -------------------------------------------------------------------


def _since(subscription: Subscription, now: datetime) -> datetime:
    return max(subscription.created_at, now - ALERT_LOOKBACK)


def _subject_ids(subscription: Subscription, graph: ActorGraph) -> set[int] | None:
    """Whose words count as the subscribed actor's (None: anyone's)."""
    if not subscription.actor_id:
        return None
    return graph.own_speakers(subscription.actor_id)


def _about(subscription: Subscription, event: Event, tag_ids: set[int]) -> bool:
    """Whether an event is one the subscription is narrowed to (if it is)."""
    if subscription.event_id and subscription.event_id != event.pk:
        return False
    return not subscription.tag_id or subscription.tag_id in tag_ids


def _actor_speaks(subscriptions: list[Subscription], *, now, graph):
    if not subscriptions:
        return []
    earliest = min(_since(s, now) for s in subscriptions)
    anywhere = [s for s in subscriptions if s.actor_id and not (s.event_id or s.tag_id)]
    narrowed = [s for s in subscriptions if s.event_id or s.tag_id]
    results = []

    if anywhere:
        speakers = set().union(*(_subject_ids(s, graph) for s in anywhere))
        statements = (Statement.objects.filter(actor_id__in=speakers, fetched_at__gt=earliest,
                                               fetched_at__lte=now)
                      .select_related("actor", "source").defer("raw", "body_html",
                                                               "search_vector"))
        for statement in statements:
            for subscription in anywhere:
                if (statement.actor_id in _subject_ids(subscription, graph)
                        and statement.fetched_at > _since(subscription, now)):
                    results.append((subscription, _spoke(statement, statement.fetched_at)))

    if narrowed:
        # About an event is a matter of its link, which may come after the fetch
        # (an editor's link, a re-match): the link's creation is the moment.
        links = (EventLink.objects.filter(created_at__gt=earliest, created_at__lte=now,
                                          event__is_published=True)
                 .exclude(status=EventLink.Status.REJECTED)
                 .select_related("event", "statement__actor", "statement__source")
                 .prefetch_related("event__tags")
                 .defer("statement__raw", "statement__body_html", "statement__search_vector"))
        event_ids = {s.event_id for s in narrowed if s.event_id}
        tag_ids = {s.tag_id for s in narrowed if s.tag_id}
        links = links.filter(Q(event_id__in=event_ids) | Q(event__tags__in=tag_ids)).distinct()
        for link in links:
            event_tags = {t.pk for t in link.event.tags.all()}
            for subscription in narrowed:
                subjects = _subject_ids(subscription, graph)
                if (_about(subscription, link.event, event_tags)
                        and (subjects is None or link.statement.actor_id in subjects)
                        and link.created_at > _since(subscription, now)):
                    results.append((subscription, _spoke(link.statement, link.created_at,
                                                         event=link.event)))
    return results


def _spoke(statement: Statement, moment: datetime, *, event: Event | None = None) -> Occurrence:
    who = statement.actor.name if statement.actor_id else "An unattributed source"
    title = f"{who} spoke" + (f" on “{event.title}”" if event else "")
    title += f": {statement.title or statement}"
    lines = [f"Published {utc_label(statement.published_at)}"
             + (f" ({offset_label(hours_between(event.occurred_at, statement.published_at))}"
                " after T0)" if event else "")]
    if statement.source_id:
        lines.append(f"Source: {statement.source.title or statement.source.url}")
    if statement.url:
        lines.append(f"Original: {statement.url}")
    if statement.body_text:
        text = " ".join(statement.body_text.split())
        lines.append(text[:400] + ("…" if len(text) > 400 else ""))
    return Occurrence(key=f"statement:{statement.pk}", occurred_at=moment, title=title[:500],
                      body="\n".join(lines), url=statement.get_absolute_url())


def _silences(still_silent: list[Subscription], breaks: list[Subscription], *, now, graph):
    """Both kinds read the statuses of recent events: one batched derivation for both."""
    if not still_silent and not breaks:
        return []
    events: dict[int, Event] = {}
    if still_silent:
        longest = max(s.hours for s in still_silent)
        shortest = min(s.hours for s in still_silent)
        for event in Event.objects.published().filter(
                occurred_at__gt=now - ALERT_LOOKBACK - timedelta(hours=longest),
                occurred_at__lte=now - timedelta(hours=shortest)).prefetch_related("tags"):
            events[event.pk] = event
    if breaks:
        earliest = min(_since(s, now) for s in breaks)
        recent = (EventLink.objects.filter(created_at__gt=earliest, created_at__lte=now)
                  .exclude(status=EventLink.Status.REJECTED).values("event_id"))
        for event in Event.objects.published().filter(pk__in=recent).prefetch_related("tags"):
            events[event.pk] = event
    responses = responses_for_events(events=events.values(), now=now)

    results = []
    for event in events.values():
        tag_ids = {t.pk for t in event.tags.all()}
        responders = [r for r in responses[event.pk].responders if r.expected]
        for subscription in still_silent:
            threshold = event.occurred_at + timedelta(hours=subscription.hours)
            if not (now - ALERT_LOOKBACK < threshold <= now
                    and _about(subscription, event, tag_ids)):
                continue
            for responder in responders:
                if subscription.actor_id and responder.actor.pk != subscription.actor_id:
                    continue
                if responder.status in (PENDING, SILENT, NO_COVERAGE):
                    results.append((subscription, _still_silent(event, responder, subscription,
                                                                threshold)))
        for subscription in breaks:
            if not _about(subscription, event, tag_ids):
                continue
            for responder in responders:
                if responder.status != RESPONDED_LATE:
                    continue
                if subscription.actor_id:
                    if responder.actor.pk != subscription.actor_id:
                        continue
                elif not graph.is_leader(responder.actor.pk):
                    continue
                if responder.link.created_at > _since(subscription, now):
                    results.append((subscription, _broke_silence(event, responder)))
    return results


def _still_silent(event, responder, subscription, threshold) -> Occurrence:
    actor = responder.actor
    if responder.status == NO_COVERAGE:
        evidence = ("Our watched feeds do not cover the whole window, so this may be a gap "
                    "in our data rather than a silence.")
    elif responder.status == SILENT:
        evidence = "The window has closed, and its watched feeds cover it: a silence."
    else:
        evidence = f"The response window is open until {utc_label(event.window_ends_at)}."
    return Occurrence(
        key=f"silent:{event.pk}:{actor.pk}",
        occurred_at=threshold,
        title=f"{actor.name} still silent {subscription.hours} h after “{event.title}”"[:500],
        body=(f"T0 {utc_label(event.occurred_at)}. Nothing by {actor.name}, its members or "
              f"spokespeople is linked to the event. {evidence}"),
        url=f"{event.get_absolute_url()}#status",
    )


def _broke_silence(event, responder) -> Occurrence:
    actor, statement = responder.actor, responder.link.statement
    through = f" through {responder.through.name}" if responder.through else ""
    latency = offset_label(hours_between(event.occurred_at, statement.published_at))
    return Occurrence(
        key=f"breaks:{event.pk}:{actor.pk}",
        occurred_at=responder.link.created_at,
        title=f"{actor.name} spoke on “{event.title}” after the window closed"[:500],
        body=(f"{actor.name} said nothing in the {event.window_hours}-hour window, then "
              f"spoke{through} at {latency} after T0 ({utc_label(statement.published_at)}): "
              f"{statement.title or statement}"),
        url=statement.get_absolute_url(),
    )


def _gravity(link: EventLink) -> tuple[int, int]:
    return STANCE_GRAVITY.get(link.stance, 0), link.intensity


def _escalations(subscriptions: list[Subscription], *, now, graph):
    if not subscriptions:
        return []
    earliest = min(_since(s, now) for s in subscriptions)
    counting = (EventLink.objects.exclude(status=EventLink.Status.REJECTED)
                .filter(event__is_published=True, statement__actor__isnull=False))
    new = list(counting.filter(created_at__gt=earliest, created_at__lte=now)
               .values_list("event_id", "statement__actor_id").distinct())
    if not new:
        return []
    pairs = set(new)
    history: dict[tuple[int, int], list[EventLink]] = defaultdict(list)
    links = (counting.filter(event_id__in={e for e, _ in pairs},
                             statement__actor_id__in={a for _, a in pairs})
             .select_related("event", "statement__actor")
             .prefetch_related("event__tags")
             .defer("statement__raw", "statement__body_html", "statement__search_vector")
             .order_by("statement__published_at", "statement_id"))
    for link in links:
        pair = (link.event_id, link.statement.actor_id)
        if pair in pairs:
            history[pair].append(link)

    results = []
    for links in history.values():
        for i, link in enumerate(links):
            if i == 0 or link.created_at <= earliest:
                continue
            before = max(links[:i], key=_gravity)
            if _gravity(link) <= _gravity(before):
                continue
            tag_ids = {t.pk for t in link.event.tags.all()}
            for subscription in subscriptions:
                subjects = _subject_ids(subscription, graph)
                if (_about(subscription, link.event, tag_ids)
                        and (subjects is None or link.statement.actor_id in subjects)
                        and link.created_at > _since(subscription, now)):
                    results.append((subscription, _escalated(link, before)))
    return results


def _escalated(link: EventLink, before: EventLink) -> Occurrence:
    actor, event, statement = link.statement.actor, link.event, link.statement
    return Occurrence(
        key=f"escalation:{link.pk}",
        occurred_at=link.created_at,
        title=(f"{actor.name} escalates on “{event.title}”: "
               f"{before.get_stance_display().lower()} {before.intensity} → "
               f"{link.get_stance_display().lower()} {link.intensity}")[:500],
        body=(f"Before: {before.statement.title or before.statement} "
              f"({utc_label(before.statement.published_at)}).\n"
              f"Now: {statement.title or statement} ({utc_label(statement.published_at)})"
              + (f"; cue words: {', '.join(link.cues)}" if link.cues else "") + "."),
        url=statement.get_absolute_url(),
    )


# --- storing and sending ------------------------------------------------------------


def _store(found: dict, *, batch: uuid.UUID, now: datetime) -> int:
    if not found:
        return 0
    # A fixed order: two runs inserting the same rows take their locks in the same order.
    rows = [
        Alert(subscription=subscription, occurrence_key=occurrence.key,
              occurred_at=occurrence.occurred_at, created_at=now,
              title=" ".join(occurrence.title.split())[:500],
              body=occurrence.body, url=occurrence.url, batch=batch, attempted_at=now)
        for (_, _), (subscription, occurrence) in sorted(found.items(), key=lambda kv: kv[0])
    ]
    Alert.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return Alert.objects.filter(batch=batch).count()


def _email(*, batch: uuid.UUID, now: datetime) -> int:
    """E-mail the rows this run holds, one message per user; returns messages sent."""
    with_address = Q(subscription__user__email__gt="")
    # Take over alerts whose e-mail failed in an earlier run (never ones being sent now:
    # those were attempted within RETRY_AFTER).
    Alert.objects.filter(with_address, emailed_at__isnull=True,
                         attempted_at__lt=now - RETRY_AFTER,
                         created_at__gte=now - GIVE_UP_AFTER).update(batch=batch,
                                                                     attempted_at=now)
    alerts = list(Alert.objects.filter(with_address, batch=batch, emailed_at__isnull=True)
                  .select_related("subscription__user").order_by("created_at", "id"))
    if not alerts:
        return 0
    Alert.objects.filter(pk__in=[a.pk for a in alerts], emailed_at__isnull=True).update(
        emailed_at=now)

    by_user: dict[int, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_user[alert.subscription.user_id].append(alert)
    # Each message links the user's feed: its key, for all users in one query each way.
    AlertFeedKey.objects.bulk_create(
        [AlertFeedKey(user_id=user_id) for user_id in by_user], ignore_conflicts=True
    )
    keys = {k.user_id: k for k in AlertFeedKey.objects.filter(user_id__in=list(by_user))}
    for user_alerts in by_user.values():
        user = user_alerts[0].subscription.user
        user._alert_feed_key_cache = keys.get(user.pk)
    sent = 0
    connection = get_connection()
    for user_alerts in by_user.values():
        user = user_alerts[0].subscription.user
        try:
            _message(user, user_alerts, connection).send()
            sent += 1
        except Exception:  # one bad address or a mail server hiccup must not stop the others
            logger.exception("Could not e-mail %d alert(s) to user #%s", len(user_alerts),
                             user.pk)
            Alert.objects.filter(pk__in=[a.pk for a in user_alerts]).update(
                emailed_at=None, attempted_at=now)
    return sent


def site_url() -> str:
    return settings.SITE_URL


def _message(user, alerts: list[Alert], connection) -> EmailMessage:
    base = site_url()
    if len(alerts) == 1:
        subject = f"[Statement tracker] {alerts[0].title}"
    else:
        subject = f"[Statement tracker] {len(alerts)} new alerts"
    parts = []
    for alert in alerts:
        parts.append(f"{alert.title}\n{alert.body}\n{base}{alert.url}")
    parts.append(
        "—\nYour subscriptions: {base}{alerts_page}\nThe same alerts as an Atom feed: "
        "{base}{feed}".format(base=base, alerts_page=reverse("alerts"),
                              feed=reverse("alerts-feed", args=[feed_token(user)])))
    # A title may hold line breaks; a header must not.
    subject = " ".join(subject.split())[:250]
    return EmailMessage(subject=subject, body="\n\n".join(parts),
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
                        connection=connection)


# --- the personal feed ------------------------------------------------------------------


def feed_token(user) -> str:
    """The key to the personal Atom feed (no login for feed readers): the user id
    and a digest of the user's feed secret and password hash, signed. Rotating
    the secret (rotate_feed_token) or changing the password revokes it."""
    return signing.Signer(salt=FEED_SALT).sign(f"{user.pk}.{_feed_digest(user)}")


def user_for_feed_token(token: str):
    try:
        user_id, _, digest = signing.Signer(salt=FEED_SALT).unsign(token).partition(".")
    except signing.BadSignature:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not constant_time_compare(digest, _feed_digest(user)):
        return None
    return user


def rotate_feed_token(user) -> str:
    """A new feed address for this user; every earlier one stops working."""
    AlertFeedKey.objects.update_or_create(
        user=user, defaults={"secret": new_feed_secret(), "rotated_at": timezone.now()}
    )
    return feed_token(user)


def _feed_digest(user) -> str:
    key = getattr(user, "_alert_feed_key_cache", None)
    if key is None:
        key, _ = AlertFeedKey.objects.get_or_create(user=user)
    return salted_hmac(FEED_SALT, f"{key.secret}:{user.password}").hexdigest()[:24]


# --- subscribing ------------------------------------------------------------------------


class SubscriptionForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=Subscription.Kind.choices, label="Tell me when",
                             initial=Subscription.Kind.ACTOR_SPEAKS)
    actor = forms.ModelChoiceField(
        queryset=Actor.objects.order_by("name"), required=False, empty_label="Any actor",
        help_text="For a state or an institution, its members' words count too.")
    event = forms.ModelChoiceField(
        queryset=Event.objects.published().order_by("-occurred_at"), required=False,
        empty_label="Any event")
    tag = forms.ModelChoiceField(queryset=Tag.objects.order_by("slug"), required=False,
                                 empty_label="Any tag", label="Event tag")
    hours = forms.IntegerField(
        min_value=1, max_value=24 * 365, required=False, label="Hours after T0",
        help_text="For “still silent”: how long after the event a silence is worth an alert.")

    class Meta:
        model = Subscription
        fields = ["kind", "actor", "event", "tag", "hours"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == Subscription.Kind.ACTOR_SPEAKS and not (
                cleaned.get("actor") or cleaned.get("event") or cleaned.get("tag")):
            raise forms.ValidationError(
                "Choose an actor, an event or a tag: “anyone, on anything” would be every "
                "statement we store.")
        if kind == Subscription.Kind.STILL_SILENT and not cleaned.get("hours"):
            self.add_error("hours", "Say after how many hours a silence is worth an alert.")
        elif kind != Subscription.Kind.STILL_SILENT:
            cleaned["hours"] = None
        if (self.user is not None and Subscription.objects.filter(user=self.user).count()
                >= MAX_SUBSCRIPTIONS_PER_USER):
            raise forms.ValidationError(
                f"You have {MAX_SUBSCRIPTIONS_PER_USER} subscriptions already: delete one "
                "first.")
        return cleaned



def subscribe(*, user, form: SubscriptionForm) -> Subscription:
    """Store a validated subscription for `user`."""
    subscription = form.save(commit=False)
    subscription.user = user
    subscription.save()
    return subscription


def user_alerts(user, *, limit: int = 30) -> list[Alert]:
    return list(Alert.objects.filter(subscription__user=user)
                .select_related("subscription").order_by("-created_at", "-id")[:limit])


def user_subscriptions(user) -> list[Subscription]:
    return list(Subscription.objects.filter(user=user)
                .select_related("actor", "event", "tag").order_by("-created_at", "-id"))
