"""Atom feeds: an actor's statements, an event's statements, confirmed silences, alerts.

Built on django.contrib.syndication with Atom 1.0. Each entry links to our
page for the statement (or the timeline) and names the original URL and the
source in its summary, so a feed reader's item can be cited like a page.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, format_html, linebreaks

from actors.models import Actor
from statements.alerts.delivery import user_for_feed_token
from statements.editorial.decisions import notable_silences_that_hold
from statements.ingest.feedparse import xml_safe_text
from statements.models import Alert, Event, EventLink, Statement
from statements.timeline.labels import hours_between, offset_label

FEED_ITEMS = 50


def _xml_safe(value):
    if isinstance(value, str):
        return xml_safe_text(value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe(item) for item in value)
    return value


class XmlSafeAtom1Feed(Atom1Feed):
    """Atom that drops the characters XML 1.0 forbids instead of answering 500.

    Ingestion strips them since issue 14; statements stored before may still
    carry them, and one such title must not take the whole feed down.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*map(_xml_safe, args), **{k: _xml_safe(v) for k, v in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(_xml_safe, args), **{k: _xml_safe(v) for k, v in kwargs.items()})


class TrackerFeed(Feed):
    feed_type = XmlSafeAtom1Feed
    author_name = "Statement tracker"

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return self.item_pubdate(item)


def statement_summary(statement: Statement, *, before: str = "") -> str:
    """The entry's HTML: the (sanitised) text, then where it came from."""
    if statement.body_html:
        # body_html is sanitised by the ingest pipeline (nh3) before it is stored.
        body = statement.body_html
    else:
        body = linebreaks(escape(statement.body_text))
    where = []
    if statement.source_id:
        where.append(format_html("Source: {}", statement.source.title or statement.source.url))
    else:
        where.append("Added by an editor")
    if statement.url:
        where.append(format_html('<a href="{}">original</a>', statement.url))
    return f"{before}{body}<p>{' · '.join(where)}</p>"


class ActorFeed(TrackerFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Actor, slug=slug)

    def title(self, actor):
        return f"{actor.name}: statements"

    def subtitle(self, actor):
        return f"New statements attributed to {actor.name}, newest first."

    def link(self, actor):
        return actor.get_absolute_url()

    def items(self, actor):
        return (Statement.objects.filter(actor=actor).select_related("actor", "source")
                .defer("raw", "search_vector").order_by("-published_at", "-id")[:FEED_ITEMS])

    def item_title(self, statement):
        return statement.title or str(statement)

    def item_description(self, statement):
        return statement_summary(statement)

    def item_link(self, statement):
        return statement.get_absolute_url()

    def item_author_name(self, statement):
        return statement.actor.name if statement.actor_id else "Unattributed"


class EventFeed(TrackerFeed):
    """Statements linked to the event (suggested or confirmed), newest first."""

    def get_object(self, request, slug):
        return get_object_or_404(Event.objects.published(), slug=slug)

    def title(self, event):
        return f"{event.title}: statements"

    def subtitle(self, event):
        return (f"Statements linked to “{event.title}” (T0 "
                f"{event.occurred_at:%Y-%m-%d %H:%M} UTC), rejected links left out.")

    def link(self, event):
        return event.get_absolute_url()

    def items(self, event):
        return (EventLink.objects.filter(event=event)
                .exclude(status=EventLink.Status.REJECTED)
                .select_related("event", "statement__actor", "statement__source")
                .defer("statement__raw", "statement__search_vector")
                .order_by("-statement__published_at", "-statement_id")[:FEED_ITEMS])

    def item_title(self, link):
        statement = link.statement
        who = statement.actor.name if statement.actor_id else "Unattributed"
        return f"{who}: {statement.title or statement}"

    def item_description(self, link):
        offset = offset_label(hours_between(link.event.occurred_at, link.statement.published_at))
        before = format_html(
            "<p>{} after T0 · {} (intensity {}) · {} link</p>", offset,
            link.get_stance_display(), link.intensity, link.get_status_display().lower())
        return statement_summary(link.statement, before=before)

    def item_link(self, link):
        return link.statement.get_absolute_url()

    def item_author_name(self, link):
        return link.statement.actor.name if link.statement.actor_id else "Unattributed"

    def item_pubdate(self, link):
        return link.statement.published_at


class SilencesFeed(TrackerFeed):
    """Silences an editor confirmed as notable, most recently confirmed first."""

    title = "Confirmed notable silences"
    subtitle = ("Expected actors whose response window closed without a word, "
                "confirmed as notable by an editor.")

    def link(self):
        return reverse("event-list")

    def items(self):
        # Only what the page still shows: a decision the evidence has since
        # contradicted is back in the queue, and its anchor may be gone.
        return notable_silences_that_hold(limit=FEED_ITEMS)

    def item_title(self, review):
        return f"{review.actor.name} silent on “{review.event.title}”"

    def item_description(self, review):
        event = review.event
        parts = [format_html(
            "<p>{} was expected to respond to “{}” (T0 {} UTC, window {} h) and said "
            "nothing by {} UTC. Status when the window closed: {}.</p>",
            review.actor.name, event.title, f"{event.occurred_at:%Y-%m-%d %H:%M}",
            event.window_hours, f"{event.window_ends_at:%Y-%m-%d %H:%M}",
            review.status_at_close.replace("_", " "))]
        if review.note:
            parts.append(format_html("<p>Editor’s note: {}</p>", review.note))
        return "".join(parts)

    def item_link(self, review):
        return f"{review.event.get_absolute_url()}#evidence-{review.actor.slug}"

    def item_author_name(self, review):
        return review.actor.name

    def item_pubdate(self, review):
        return review.decided_at or review.created_at


class AlertsFeed(TrackerFeed):
    """One user's alerts, for a feed reader: the signed token in the URL is the key."""

    def get_object(self, request, token):
        user = user_for_feed_token(token)
        if user is None:
            raise Http404("No such alerts feed.")
        return user

    def title(self, user):
        return f"Alerts for {user.get_username()}"

    def subtitle(self, user):
        return "What your subscriptions on the statement tracker found, newest first."

    def link(self, user):
        return reverse("alerts")

    def items(self, user):
        return (Alert.objects.filter(subscription__user=user)
                .select_related("subscription").order_by("-created_at", "-id")[:FEED_ITEMS])

    def item_title(self, alert):
        return alert.title

    def item_description(self, alert):
        return linebreaks(escape(alert.body))

    def item_link(self, alert):
        return alert.url or reverse("alerts")

    def item_guid(self, alert):
        # Several alerts may point at the same page: each entry has its own id.
        return f"urn:statement-tracker:alert:{alert.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, alert):
        return alert.created_at
