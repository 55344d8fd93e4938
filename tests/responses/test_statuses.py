"""Response statuses: the six of DESIGN.md, their precedence and their evidence."""

from datetime import timedelta

import pytest

from actors.models import Actor
from statements.models import EventLink, FetchAttempt
from statements.responses.statuses import event_responses, responses_for_events
from tests import factories as f
from tests.factories import utc

pytestmark = pytest.mark.django_db
T0 = utc(2026, 1, 3, 6)
WINDOW_END = T0 + timedelta(hours=72)
AFTER = WINDOW_END + timedelta(days=10)


@pytest.fixture
def russia():
    """The founding case's actors: a state, two bodies, a leader and two spokespeople."""
    state = f.actor("russia", kind=Actor.Kind.STATE, country="RU")
    kremlin = f.actor("kremlin", kind=Actor.Kind.INSTITUTION, parent=state)
    putin = f.actor("vladimir-putin", parent=kremlin)
    peskov = f.actor("dmitry-peskov", parent=kremlin, speaks_for=[putin])
    mfa = f.actor("russian-mfa", kind=Actor.Kind.INSTITUTION, parent=state)
    zakharova = f.actor("maria-zakharova", parent=mfa, speaks_for=[mfa])
    kremlin_feed = f.source(kremlin, title="Kremlin news")
    mfa_feed = f.source(mfa, title="MFA statements")
    return locals()


def status_of(event, slug, now=AFTER):
    responses = event_responses(event=event, now=now)
    (responder,) = [r for r in responses.responders if r.actor.slug == slug]
    return responder


def covered(src, start=T0 - timedelta(days=30), at=AFTER):
    f.fetched(src, at, oldest=start)


def test_an_actor_speaking_exactly_at_t0_responded(russia):
    event = f.event(expected=[russia["mfa"]])
    f.link(event, f.statement(russia["mfa"], T0))
    r = status_of(event, "russian-mfa")
    assert (r.status, r.first_statement_at, r.through) == ("responded", T0, None)


def test_a_statement_at_the_very_end_of_the_window_is_in_time(russia):
    event = f.event(expected=[russia["mfa"]])
    f.link(event, f.statement(russia["mfa"], WINDOW_END))
    assert status_of(event, "russian-mfa").status == "responded"


def test_a_statement_after_the_window_is_a_late_response(russia):
    event = f.event(expected=[russia["putin"]])
    late = T0 + timedelta(days=16)
    f.link(event, f.statement(russia["putin"], T0 - timedelta(hours=2)))  # before T0: not an answer
    f.link(event, f.statement(russia["putin"], late))
    r = status_of(event, "vladimir-putin")
    assert (r.status, r.first_statement_at) == ("responded_late", late)
    assert r.statement_count == 2


def test_a_statement_before_t0_is_not_a_response(russia):
    event = f.event(expected=[russia["mfa"]])
    f.link(event, f.statement(russia["mfa"], T0 - timedelta(minutes=1)))
    covered(russia["mfa_feed"])
    assert status_of(event, "russian-mfa").status == "silent"


def test_a_rejected_link_does_not_count(russia):
    event = f.event(expected=[russia["mfa"]])
    f.link(
        event, f.statement(russia["mfa"], T0 + timedelta(hours=5)), status=EventLink.Status.REJECTED
    )
    covered(russia["mfa_feed"])
    assert status_of(event, "russian-mfa").status == "silent"


def test_a_state_responds_through_its_ministry_and_its_silent_leader_stays_silent(russia):
    event = f.event(expected=[russia["state"], russia["putin"], russia["mfa"]])
    answer = f.link(event, f.statement(russia["mfa"], T0 + timedelta(hours=5)))
    covered(russia["kremlin_feed"])
    responses = event_responses(event=event, now=AFTER)
    by_slug = {r.actor.slug: r for r in responses.responders}
    assert by_slug["russia"].status == "responded"
    assert by_slug["russia"].through.slug == "russian-mfa"
    assert by_slug["russia"].link == answer
    assert responses.latency_hours(by_slug["russia"].first_statement_at) == 5.0
    assert by_slug["russian-mfa"].status == "responded"
    assert by_slug["vladimir-putin"].status == "silent"
    (ladder,) = responses.ladders
    assert ladder.state.slug == "russia"
    assert ladder.first.actor.slug == "russian-mfa"
    assert [r.actor.slug for r in ladder.silent_leaders] == ["vladimir-putin"]


def test_an_institution_responds_through_its_spokesperson(russia):
    event = f.event(expected=[russia["mfa"]])
    f.link(event, f.statement(russia["zakharova"], T0 + timedelta(hours=30)))
    r = status_of(event, "russian-mfa")
    assert (r.status, r.through.slug) == ("responded", "maria-zakharova")


def test_a_person_silent_in_the_window_whose_spokesperson_spoke_is_via_proxy(russia):
    event = f.event(expected=[russia["putin"]])
    f.link(event, f.statement(russia["peskov"], T0 + timedelta(hours=20)))
    f.link(event, f.statement(russia["putin"], T0 + timedelta(days=11)))  # his own words, late
    r = status_of(event, "vladimir-putin")
    assert (r.status, r.through.slug) == ("via_proxy", "dmitry-peskov")
    assert r.first_statement_at == T0 + timedelta(hours=20)


def test_own_words_in_the_window_beat_a_proxy(russia):
    event = f.event(expected=[russia["putin"]])
    f.link(event, f.statement(russia["peskov"], T0 + timedelta(hours=1)))
    f.link(event, f.statement(russia["putin"], T0 + timedelta(hours=30)))
    r = status_of(event, "vladimir-putin")
    assert (r.status, r.through) == ("responded", None)


def test_a_body_does_not_answer_through_a_spokesperson_of_someone_else(russia):
    # Peskov speaks for Putin, not for the Foreign Ministry.
    event = f.event(expected=[russia["mfa"]])
    f.link(event, f.statement(russia["peskov"], T0 + timedelta(hours=1)))
    assert status_of(event, "russian-mfa").status == "no_coverage"


def test_nothing_yet_while_the_window_is_open_is_pending(russia):
    event = f.event(expected=[russia["putin"]])
    assert status_of(event, "vladimir-putin", now=T0 + timedelta(hours=10)).status == "pending"


def test_a_closed_window_without_any_source_is_no_coverage(russia):
    lonely = f.actor("nobody-watches")
    event = f.event(expected=[lonely])
    r = status_of(event, "nobody-watches")
    assert (r.status, r.evidence) == ("no_coverage", [])


def test_silence_needs_a_source_that_covers_the_whole_window(russia):
    event = f.event(expected=[russia["putin"]])
    src = russia["kremlin_feed"]
    # Fetched fine before the event, failing during it, back long after with a short feed.
    f.fetched(src, T0 - timedelta(hours=1), oldest=T0 - timedelta(days=5))
    f.fetched(src, T0 + timedelta(hours=20), outcome=FetchAttempt.Outcome.ERROR, error="HTTP 500")
    f.fetched(src, T0 + timedelta(days=8), oldest=T0 + timedelta(days=6))
    r = status_of(event, "vladimir-putin")
    assert r.status == "no_coverage"
    (evidence,) = r.evidence
    assert evidence.source == src and not evidence.covers
    assert [(g.start, g.end) for g in evidence.gaps] == [(T0, WINDOW_END)]


def test_a_feed_that_kept_answering_304_through_the_window_proves_silence(russia):
    event = f.event(expected=[russia["putin"]])
    src = russia["kremlin_feed"]
    f.fetched(src, T0 - timedelta(hours=1), oldest=T0 - timedelta(days=5))
    for hours in range(0, 80, 8):
        f.fetched(src, T0 + timedelta(hours=hours), outcome=FetchAttempt.Outcome.NOT_MODIFIED)
    r = status_of(event, "vladimir-putin")
    assert r.status == "silent"
    assert r.evidence[0].covers and r.evidence[0].spans[0].start == T0


def test_a_partial_source_vouches_for_nothing(russia):
    event = f.event(expected=[russia["mfa"]])
    src = russia["mfa_feed"]
    src.is_partial = True
    src.save()
    covered(src)
    assert status_of(event, "russian-mfa").status == "no_coverage"


def test_an_actor_is_covered_by_its_ancestors_feed(russia):
    event = f.event(expected=[russia["zakharova"]])
    covered(russia["mfa_feed"])
    assert status_of(event, "maria-zakharova").status == "silent"


def test_unexpected_actors_with_linked_statements_are_listed_as_not_expected(russia):
    event = f.event(expected=[russia["putin"]])
    f.link(event, f.statement(russia["zakharova"], T0 + timedelta(hours=3)))
    responses = event_responses(event=event, now=AFTER)
    by_slug = {r.actor.slug: r for r in responses.responders}
    assert by_slug["maria-zakharova"].expected is False
    assert by_slug["maria-zakharova"].status == "responded"
    assert responses.expected_count == 1


def test_group_members_are_expected(russia):
    from actors.models import ActorGroup

    group = ActorGroup.objects.create(slug="russian-leadership", name="Russian leadership")
    group.members.set([russia["putin"], russia["mfa"]])
    event = f.event(expected=[])
    event.expected_groups.set([group])
    responses = event_responses(event=event, now=AFTER)
    assert {r.actor.slug for r in responses.responders if r.expected} == {
        "vladimir-putin",
        "russian-mfa",
    }


def test_statuses_for_many_events_take_a_constant_number_of_queries(
    russia, django_assert_max_num_queries
):
    def make(n):
        events = []
        for i in range(n):
            event = f.event(
                slug=f"event-{n}-{i}",
                occurred_at=T0 + timedelta(days=i),
                expected=[russia["state"], russia["putin"], russia["mfa"]],
            )
            f.link(event, f.statement(russia["zakharova"], T0 + timedelta(days=i, hours=2)))
            f.link(event, f.statement(russia["peskov"], T0 + timedelta(days=i, hours=3)))
            events.append(event)
        return events

    covered(russia["kremlin_feed"])
    few, many = make(1), make(8)
    with django_assert_max_num_queries(8) as few_queries:
        responses_for_events(events=few, now=AFTER)
    with django_assert_max_num_queries(8) as many_queries:
        result = responses_for_events(events=many, now=AFTER)
    assert len(few_queries.captured_queries) == len(many_queries.captured_queries)
    assert all(r.counts["responded"] == 2 for r in result.values())
