"""The named actor rules on ActorGraph: each is the one truth its callers share."""

from datetime import date, timedelta

import pytest

from actors.graph import ActorGraph
from actors.models import Actor, Role
from statements.models import EventLink
from statements.responses.statuses import RESPONDED, VIA_PROXY, event_responses
from tests.factories import actor, event, link, statement, utc

pytestmark = pytest.mark.django_db

STATE, INSTITUTION = Actor.Kind.STATE, Actor.Kind.INSTITUTION


@pytest.fixture
def russia():
    state = actor("russia", kind=STATE)
    kremlin = actor("kremlin", kind=INSTITUTION, parent=state)
    putin = actor("putin", parent=kremlin)
    peskov = actor("peskov", parent=kremlin, speaks_for=[putin])
    mfa = actor("mfa", kind=INSTITUTION, parent=state)
    zakharova = actor("zakharova", parent=mfa)
    return {a.slug: a for a in (state, kremlin, putin, peskov, mfa, zakharova)}


def ids(found, world):
    by_pk = {a.pk: slug for slug, a in world.items()}
    return {by_pk[pk] for pk in found}


def test_a_persons_own_words_are_only_their_own(russia):
    graph = ActorGraph.load()
    assert ids(graph.own_speakers(russia["putin"].pk), russia) == {"putin"}


def test_a_bodys_own_words_include_every_member_below_it(russia):
    graph = ActorGraph.load()
    assert ids(graph.own_speakers(russia["russia"].pk), russia) == set(russia)
    assert ids(graph.own_speakers(russia["mfa"].pk), russia) == {"mfa", "zakharova"}


def test_an_actor_the_graph_does_not_know_speaks_only_for_itself():
    assert ActorGraph.load().own_speakers(999_999) == {999_999}


def test_speaks_for_makes_a_spokesperson(russia):
    graph = ActorGraph.load()
    assert ids(graph.spokespeople_of(russia["putin"].pk), russia) == {"peskov"}
    assert graph.is_spokesperson(russia["peskov"].pk)
    assert not graph.is_spokesperson(russia["putin"].pk)


@pytest.mark.smoke  # the UNION must work on SQLite too (make run)
def test_a_spokesperson_role_makes_a_spokesperson_only_while_it_is_held(russia):
    Role.objects.create(person=russia["zakharova"], institution=russia["mfa"],
                        title="Spokesperson", is_spokesperson=True,
                        started_on=date(2015, 8, 10), ended_on=date(2020, 1, 1))
    graph = ActorGraph.load()
    mfa, zakharova = russia["mfa"].pk, russia["zakharova"].pk
    assert ids(graph.spokespeople_of(mfa, on=date(2019, 5, 1)), russia) == {"zakharova"}
    assert graph.spokespeople_of(mfa, on=date(2021, 5, 1)) == set()
    assert graph.is_spokesperson(zakharova, on=date(2019, 5, 1))
    assert not graph.is_spokesperson(zakharova, on=date(2014, 5, 1))


def test_a_role_without_the_spokesperson_mark_speaks_for_nobody(russia):
    Role.objects.create(person=russia["zakharova"], institution=russia["mfa"], title="Director")
    graph = ActorGraph.load()
    assert graph.spokespeople_of(russia["mfa"].pk) == set()
    assert not graph.is_spokesperson(russia["zakharova"].pk)


def test_a_persons_voices_add_their_spokespeople_a_bodys_do_not(russia):
    graph = ActorGraph.load()
    assert ids(graph.voices(russia["putin"].pk), russia) == {"putin", "peskov"}
    assert ids(graph.voices(russia["mfa"].pk), russia) == {"mfa", "zakharova"}


def test_feeds_that_speak_for_an_actor_are_its_own_its_members_and_its_bodies(russia):
    graph = ActorGraph.load()
    assert ids(graph.source_owners(russia["kremlin"].pk), russia) == {
        "kremlin", "putin", "peskov", "russia"}
    assert ids(graph.source_owners(russia["zakharova"].pk), russia) == {
        "zakharova", "mfa", "russia"}


@pytest.mark.smoke  # the UNION must work on SQLite too (make run)
def test_the_graph_loads_in_two_queries(russia, django_assert_num_queries):
    Role.objects.create(person=russia["zakharova"], institution=russia["mfa"],
                        title="Spokesperson", is_spokesperson=True)
    with django_assert_num_queries(2):
        graph = ActorGraph.load()
    assert graph.spokespeople_of(russia["mfa"].pk)


def leader_after_aide_spoke(**role_dates):
    """A leader whose aide holds a press-secretary Role (dated as given) and spoke 2 h
    after T0: the leader's row on the event."""
    leader, aide = actor("leader"), actor("aide")
    t0 = utc(2026, 1, 3, 6)
    Role.objects.create(person=aide, institution=leader, title="Press secretary",
                        is_spokesperson=True, **role_dates)
    ev = event(occurred_at=t0, expected=[leader])
    link(ev, statement(aide, t0 + timedelta(hours=2)), status=EventLink.Status.CONFIRMED)
    responses = event_responses(event=ev, now=t0 + timedelta(days=9))
    return next(r for r in responses.responders if r.actor == leader), aide


@pytest.mark.smoke  # the UNION must work on SQLite too (make run)
def test_a_spokesperson_by_role_makes_a_person_via_proxy_on_the_event_day():
    # One truth: a Role marked is_spokesperson counts for via_proxy as speaks_for does.
    responder, aide = leader_after_aide_spoke(started_on=date(2025, 1, 1))
    assert (responder.status, responder.through) == (VIA_PROXY, aide)



def test_a_role_that_ended_before_the_event_does_not_make_a_proxy():
    responder, _ = leader_after_aide_spoke(ended_on=date(2025, 1, 1))
    assert responder.status not in (VIA_PROXY, RESPONDED)
