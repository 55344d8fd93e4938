"""The record is self-consistent under any sequence of editorial actions.

A hypothesis rule-based state machine drives random sequences of ingests (a
statement on the event, in or out of the window), link confirmations,
rejections and undos, re-attributions and their undos, hand-added statements
(added, confirmed by a second editor, withdrawn), silence reviews, decisions
and their undos. After every step it checks that the timeline JSON, the event
page, the matrix, the profile record, the queue and the silences Atom feed
agree with each other and with the derived statuses:

- JSON status == page row status == matrix cell == profile record == derived;
- standing "decision" only where a decision holds for the status shown;
- a notable mark (page) and an Atom item only for a silence that is silent now,
  and the Atom item's anchor exists on the page;
- the queue offers "Confirm notable silence" only on rows silent now.

Bounded (settings below) so that it runs in CI in well under two minutes.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from actors.models import Actor
from statements.editorial import decisions as editorial
from statements.models import EventLink, SilenceReview, Statement
from statements.research.matrix import actor_event_matrix
from statements.responses.statuses import decision_holds, event_responses
from statements.timeline.selector import actor_record
from tests import factories as f
from tests.scenarios import user_in

T0 = f.utc(2026, 3, 10, 6)
OFFSETS = st.sampled_from([-30, 2, 30, 70, 100])  # hours from T0: before, in, late
ROW = re.compile(r'data-actor="([\w-]+)" data-status="(\w+)"')


class EditorialRecord(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.n = 0

    @initialize()
    def world(self):
        self.putin = f.actor("vladimir-putin", name="Vladimir Putin")
        self.mfa = f.actor("russian-mfa", name="Russian MFA", kind=Actor.Kind.INSTITUTION)
        self.actors = [self.putin, self.mfa]
        self.event = f.event(slug="port-strike", title="Strike on a port", occurred_at=T0,
                             expected=self.actors)
        for actor in self.actors:
            feed = f.source(actor, title=f"{actor.name} feed")
            f.fetched(feed, T0 + timedelta(days=20), oldest=T0 - timedelta(days=20))
        self.feeds = {a.pk: a.sources.get() for a in self.actors}
        self.editors = [user_in("Editor", "ed-a"), user_in("Editor", "ed-b")]
        self.reader, self.desk = Client(), Client()
        self.desk.force_login(self.editors[0])

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    # --- helpers -------------------------------------------------------------------

    def links(self):
        return list(EventLink.objects.filter(event=self.event).select_related("statement")
                    .order_by("pk"))

    def _try(self, action):
        try:
            action()
        except editorial.EditorialError:
            pass  # refused with a message, nothing changed: that is allowed

    # --- rules ----------------------------------------------------------------------

    @rule(who=st.integers(0, 1), hours=OFFSETS, about=st.booleans())
    def ingest(self, who, hours, about):
        actor = self.actors[who]
        self.n += 1
        statement = f.statement(actor, T0 + timedelta(hours=hours), source=self.feeds[actor.pk],
                                title=f"Entry {self.n}")
        f.link(self.event, statement, relevance=1.0 if about else 0.1)

    @precondition(lambda self: SilenceReview.objects.filter(decision="notable").exists())
    @rule(hours=st.sampled_from([2, 30]), confirm=st.booleans())
    def contradict_a_notable_silence(self, hours, confirm):
        """New evidence on an actor whose silence was confirmed: from ingestion (no
        editorial action follows) or confirmed by an editor."""
        review = SilenceReview.objects.filter(decision="notable").select_related("actor").first()
        self.n += 1
        statement = f.statement(review.actor, T0 + timedelta(hours=hours),
                                source=self.feeds[review.actor_id], title=f"Entry {self.n}")
        link = f.link(self.event, statement, relevance=1.0)
        if confirm:
            editorial.confirm_link(link=link, user=self.editors[0])

    @precondition(lambda self: EventLink.objects.exists())
    @rule(i=st.integers(0, 20), what=st.sampled_from(["confirm", "reject", "undo"]),
          editor=st.integers(0, 1))
    def decide_link(self, i, what, editor):
        links = self.links()
        link, user = links[i % len(links)], self.editors[editor]
        if what == "confirm":
            editorial.confirm_link(link=link, user=user)
        elif what == "reject":
            editorial.reject_link(link=link, user=user)
        else:
            self._try(lambda: editorial.undo_link_decision(link=link, user=user, reason="undo"))

    @precondition(lambda self: Statement.objects.filter(is_manual=False).exists())
    @rule(i=st.integers(0, 20), who=st.integers(0, 1), undo=st.booleans())
    def reattribute(self, i, who, undo):
        statements = list(Statement.objects.filter(is_manual=False).order_by("pk"))
        statement = statements[i % len(statements)]
        if undo:
            self._try(lambda: editorial.undo_reattribution(
                statement=statement, user=self.editors[0], reason="it was the other"))
        else:
            editorial.reattribute(statement=statement, actor=self.actors[who],
                                  user=self.editors[0])

    @rule(who=st.integers(0, 1), hours=OFFSETS)
    def add_by_hand(self, who, hours):
        self.n += 1
        self._try(lambda: editorial.add_manual_statement(
            actor=self.actors[who], event=self.event, user=self.editors[0],
            url=f"https://tv.example/{self.n}", published_at=T0 + timedelta(hours=hours),
            text=f"Words {self.n}"))

    @precondition(lambda self: Statement.objects.filter(is_manual=True).exists())
    @rule(i=st.integers(0, 20), what=st.sampled_from(["confirm", "withdraw"]),
          editor=st.integers(0, 1))
    def review_by_hand(self, i, what, editor):
        manual = list(Statement.objects.filter(is_manual=True).order_by("pk"))
        statement, user = manual[i % len(manual)], self.editors[editor]
        if what == "confirm":
            self._try(lambda: editorial.confirm_manual_statement(statement=statement, user=user))
        else:
            self._try(lambda: editorial.withdraw_manual_statement(
                statement=statement, user=user, reason="misdated"))

    @rule()
    def queue_silences(self):
        editorial.queue_silence_reviews(now=timezone.now(), lookback=None)

    @rule(who=st.integers(0, 1))
    def confirm_a_silence(self, who):
        """An editor reads the queue and confirms a silence as notable (when allowed)."""
        editorial.queue_silence_reviews(now=timezone.now(), lookback=None)
        review = SilenceReview.objects.filter(actor=self.actors[who]).select_related(
            "event", "actor").first()
        if review is not None and review.decision == "pending":
            self._try(lambda: editorial.decide_silence(review=review, decision="notable",
                                                       user=self.editors[1]))

    @precondition(lambda self: SilenceReview.objects.exists())
    @rule(i=st.integers(0, 3), decision=st.sampled_from(["notable", "notable", "dismissed",
                                                         "answered", "undo"]))
    def decide_silence(self, i, decision):
        reviews = list(SilenceReview.objects.select_related("event", "actor").order_by("pk"))
        review = reviews[i % len(reviews)]
        if decision == "undo":
            self._try(lambda: editorial.undo_silence_decision(
                review=review, user=self.editors[1], reason="second look"))
        else:
            self._try(lambda: editorial.decide_silence(review=review, decision=decision,
                                                       user=self.editors[1]))

    # --- the invariant -----------------------------------------------------------------

    @invariant()
    def every_view_agrees(self):
        if not hasattr(self, "event"):
            return
        now = timezone.now()
        derived = {r.actor.slug: r for r in event_responses(event=self.event, now=now).responders}

        payload = self.reader.get(reverse("event-timeline-json", args=[self.event.slug])).json()
        json_rows = {r["actor"]["slug"]: r for r in payload["responders"]}
        assert {s: r["status"] for s, r in json_rows.items()} == {
            s: r.status for s, r in derived.items()}

        page = self.reader.get(self.event.get_absolute_url()).content.decode()
        assert dict(ROW.findall(page)) == {s: r.status for s, r in derived.items()}

        matrix = actor_event_matrix(group=None, tag=None, now=now)
        cells = {row.actor.slug: row.cells[0].status for row in matrix.rows}
        assert cells == {s: r.status for s, r in derived.items() if r.expected}
        for actor in self.actors:
            (record,) = actor_record(actor=actor, now=now)
            assert record.responder.status == derived[actor.slug].status

        holding = set()
        for review in SilenceReview.objects.select_related("actor"):
            row = derived.get(review.actor.slug)
            if row and review.decision == "notable" and decision_holds("notable", row.status):
                holding.add(review.actor.slug)
        for slug, row in json_rows.items():
            if row["standing"] == "decision":
                assert derived[slug].decision is not None
                assert decision_holds(derived[slug].decision.decision, row["status"])

        atom = self.reader.get(reverse("silences-feed")).content.decode()
        in_feed = set(re.findall(r"#evidence-([\w-]+)", atom))
        assert in_feed == holding
        for slug in in_feed:
            assert f'id="evidence-{slug}"' in page

        queue = self.desk.get(reverse("review")).content.decode()
        for item in re.findall(r'<li class="queue-item silence-item".*?</li>', queue, re.S):
            now_status = re.search(r'data-status-now="(\w+)"', item)
            if "Confirm notable silence" in item:
                assert now_status and now_status.group(1) == "silent"


@pytest.mark.django_db
def test_every_view_of_the_record_agrees_after_any_sequence_of_actions():
    run_state_machine_as_test(EditorialRecord, settings=settings(
        max_examples=8, stateful_step_count=8, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
