"""Linking statements to events: suggestions from terms, and re-matching that spares editors."""

from datetime import timedelta

import pytest

from statements.ingest.linking import RematchResult, link_statements, rematch_event
from statements.models import EventLink, Stance, Statement
from tests import factories as f
from tests.factories import utc

pytestmark = pytest.mark.django_db
T0 = utc(2026, 1, 3, 6)
MADURO_TERMS = {"en": ["Maduro", "Venezuela"], "ru": ["Мадуро", "Венесуэла"]}
MFA_ON_MADURO = (
    "This morning, the United States committed an act of armed aggression against Venezuela. "
    "This is deeply concerning and condemnable."
)


@pytest.fixture
def maduro():
    return f.event("maduro-capture-2026", occurred_at=T0, window_hours=72, terms=MADURO_TERMS)


@pytest.fixture
def mfa():
    return f.actor("russian-mfa")


def said(by, at, title="", text=""):
    return f.statement(by, at, title=title, text=text)


def as_seen(link):
    return (link.status, link.method, link.matched_terms, link.stance)


def links_of(event):
    return {
        link.statement_id: link
        for link in EventLink.objects.filter(event=event).order_by("statement_id")
    }


def test_statement_inside_the_range_mentioning_a_term_is_suggested(maduro, mfa):
    statement = said(mfa, T0 + timedelta(hours=5), title="Statement", text=MFA_ON_MADURO)

    assert link_statements([statement]) == 1

    link = EventLink.objects.get(event=maduro, statement=statement)
    assert (link.status, link.method) == (EventLink.Status.SUGGESTED, EventLink.Method.AUTO)
    assert link.matched_terms == ["Venezuela"]
    assert (link.stance, link.intensity) == (Stance.CONDEMNS, 2)
    assert link.cues == ["act of armed aggression", "deeply concerning", "condemnable"]


def test_statement_before_the_candidate_range_is_not_linked(maduro, mfa):
    early = said(mfa, maduro.candidate_from - timedelta(minutes=1), text="Maduro in Caracas")

    assert link_statements([early]) == 0
    assert not EventLink.objects.exists()


def test_statement_at_the_edges_of_the_range_is_linked(maduro, mfa):
    first = said(mfa, maduro.candidate_from, text="Maduro")
    last = said(mfa, maduro.candidate_until, text="Maduro")

    assert link_statements([first, last]) == 2


def test_late_answer_within_thirty_days_is_linked_and_later_is_not(maduro, mfa):
    late = said(mfa, maduro.window_ends_at + timedelta(days=29), text="On Venezuela")
    too_late = said(mfa, maduro.candidate_until + timedelta(hours=1), text="On Venezuela")

    assert link_statements([late, too_late]) == 1
    assert set(links_of(maduro)) == {late.pk}


def test_statement_without_any_term_is_not_linked(maduro, mfa):
    statement = said(mfa, T0 + timedelta(hours=1), title="On the situation in Syria")

    assert link_statements([statement]) == 0


def test_russian_inflected_term_matches(maduro, mfa):
    statement = said(
        mfa, T0 + timedelta(hours=3), title="Заявление МИД России в связи с событиями в Венесуэле"
    )

    link_statements([statement])

    assert EventLink.objects.get(statement=statement).matched_terms == ["Венесуэла"]


def test_matched_terms_are_the_events_terms_in_order_of_appearance(maduro, mfa):
    statement = said(
        mfa,
        T0 + timedelta(hours=3),
        title="Venezuelan crisis",
        text="Maduro was flown to New York. Венесуэле, Мадуро, Venezuela.",
    )

    link_statements([statement])

    link = EventLink.objects.get(statement=statement)
    assert link.matched_terms == ["Venezuela", "Maduro", "Венесуэла", "Мадуро"]


def test_each_event_is_matched_within_its_own_range(maduro, mfa):
    iran = f.event("iran-2026", occurred_at=T0 + timedelta(days=10), terms={"en": ["Iran"]})
    # Inside both candidate ranges, mentioning only Iran.
    statement = said(mfa, T0 + timedelta(days=10, hours=2), text="Iran and its neighbours")

    assert link_statements([statement]) == 1
    assert EventLink.objects.get().event == iran


def test_draft_events_are_not_matched_on_ingestion(mfa):
    draft = f.event("draft", occurred_at=T0, terms=MADURO_TERMS, is_published=False)
    statement = said(mfa, T0 + timedelta(hours=1), text="Maduro")

    assert link_statements([statement]) == 0
    assert not draft.links.exists()


def test_linking_again_changes_nothing(maduro, mfa):
    statement = said(mfa, T0 + timedelta(hours=1), text="Maduro")
    link_statements([statement])

    assert link_statements([statement]) == 0
    assert EventLink.objects.count() == 1


def test_rejected_link_is_not_suggested_again(maduro, mfa):
    statement = said(mfa, T0 + timedelta(hours=1), text="Maduro")
    f.link(maduro, statement, status=EventLink.Status.REJECTED)

    assert link_statements([statement]) == 0
    assert EventLink.objects.get().status == EventLink.Status.REJECTED


def test_linking_takes_three_queries_whatever_the_batch(maduro, mfa, django_assert_num_queries):
    for n in range(5):
        f.event(f"other-{n}", occurred_at=T0, terms={"en": [f"Place{n}"]})
    one = [said(mfa, T0, text="Maduro and Place0")]
    many = [said(mfa, T0 + timedelta(hours=n), text=f"Maduro, Place{n % 5}") for n in range(30)]

    with django_assert_num_queries(3):
        assert link_statements(one) == 2
    with django_assert_num_queries(3):
        assert link_statements(many) == 60


def test_unsaved_statements_are_skipped(maduro, mfa, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert link_statements([Statement(title="Maduro", published_at=T0)]) == 0


# --- Re-matching an event after its terms change -------------------------------------------


def test_rematch_after_adding_a_term_suggests_the_new_matches(maduro, mfa):
    caracas = said(mfa, T0 + timedelta(hours=2), text="Strikes on Caracas")
    maduro.terms = {**MADURO_TERMS, "en": ["Maduro", "Venezuela", "Caracas"]}
    maduro.save()

    result = rematch_event(maduro)

    assert result == RematchResult(added=1, removed=0, updated=0)
    assert links_of(maduro)[caracas.pk].matched_terms == ["Caracas"]


def test_rematch_after_removing_a_term_deletes_its_suggestions(maduro, mfa):
    about_maduro = said(mfa, T0 + timedelta(hours=1), text="Maduro was captured")
    about_both = said(mfa, T0 + timedelta(hours=2), text="Maduro of Venezuela")
    link_statements([about_maduro, about_both])
    maduro.terms = {"en": ["Venezuela"]}
    maduro.save()

    result = rematch_event(maduro)

    assert result == RematchResult(added=0, removed=1, updated=1)
    assert {pk: link.matched_terms for pk, link in links_of(maduro).items()} == {
        about_both.pk: ["Venezuela"]
    }


def test_rematch_leaves_editors_decisions_alone(maduro, mfa):
    confirmed = said(mfa, T0 + timedelta(hours=1), text="Maduro")
    rejected = said(mfa, T0 + timedelta(hours=2), text="Venezuela")
    by_editor = said(mfa, T0 + timedelta(hours=3), text="A statement found by hand")
    f.link(maduro, confirmed, status=EventLink.Status.CONFIRMED, matched_terms=["Maduro"])
    f.link(maduro, rejected, status=EventLink.Status.REJECTED, matched_terms=[])
    f.link(maduro, by_editor, method=EventLink.Method.EDITOR, stance=Stance.SUPPORTS)
    maduro.terms = {"en": ["Venezuela", "hand"]}
    maduro.save()

    result = rematch_event(maduro)

    assert result == RematchResult()
    assert {pk: as_seen(link) for pk, link in links_of(maduro).items()} == {
        confirmed.pk: ("confirmed", "auto", ["Maduro"], "neutral"),
        rejected.pk: ("rejected", "auto", [], "neutral"),
        by_editor.pk: ("suggested", "editor", [], "supports"),
    }


def test_rematch_refreshes_stance_unless_an_editor_set_it(maduro, mfa):
    scored = said(mfa, T0 + timedelta(hours=1), text=MFA_ON_MADURO)
    kept = said(mfa, T0 + timedelta(hours=2), text=MFA_ON_MADURO)
    f.link(maduro, scored, matched_terms=["Venezuela"], stance=Stance.NEUTRAL)
    f.link(maduro, kept, matched_terms=["Venezuela"], stance=Stance.CONCERN, intensity=1,
           stance_by_editor=True)  # fmt: skip

    result = rematch_event(maduro)

    # Both get their relevance; only the one the editor did not score gets a new stance.
    assert result == RematchResult(added=0, removed=0, updated=2)
    links = links_of(maduro)
    assert (links[scored.pk].stance, links[scored.pk].intensity) == (Stance.CONDEMNS, 2)
    assert (links[kept.pk].stance, links[kept.pk].intensity) == (Stance.CONCERN, 1)


def test_rematch_drops_suggestions_that_left_the_moved_range(maduro, mfa):
    before_move = said(mfa, T0 + timedelta(hours=1), text="Maduro")
    link_statements([before_move])
    maduro.occurred_at = T0 + timedelta(days=60)
    maduro.save()

    assert rematch_event(maduro) == RematchResult(added=0, removed=1, updated=0)
    assert not EventLink.objects.exists()


def test_rematch_twice_changes_nothing_the_second_time(maduro, mfa):
    said(mfa, T0 + timedelta(hours=1), text="Maduro")
    said(mfa, T0 + timedelta(hours=2), text="Venezuela")

    assert rematch_event(maduro) == RematchResult(added=2)
    assert rematch_event(maduro) == RematchResult()


def test_rematch_works_on_a_draft_so_terms_can_be_previewed(mfa):
    draft = f.event("draft", occurred_at=T0, terms=MADURO_TERMS, is_published=False)
    said(mfa, T0 + timedelta(hours=1), text="Maduro")

    assert rematch_event(draft) == RematchResult(added=1)


# --- issue 10: aboutness and stance per link -----------------------------------------


def test_a_statement_about_the_event_counts_and_a_greeting_naming_the_country_does_not(
    maduro, mfa
):
    about = said(mfa, T0 + timedelta(hours=2), title="Statement by the Foreign Ministry",
                 text=MFA_ON_MADURO)
    greeting = said(mfa, T0 + timedelta(hours=3),
                    title="Congratulations to the people of Venezuela on Independence Day",
                    text="We wish the friendly people of Venezuela peace and prosperity.")
    link_statements([about, greeting])
    links = links_of(maduro)
    assert not links[about.pk].is_mention
    assert links[greeting.pk].is_mention and links[greeting.pk].relevance_evidence["greeting"]
    counting = set(EventLink.objects.counting().values_list("statement_id", flat=True))
    assert counting == {about.pk}


def test_a_topic_in_a_list_is_a_mention(maduro, mfa):
    listed = said(mfa, T0 + timedelta(hours=2), title="Talks with the Foreign Minister of India",
                  text="The ministers discussed bilateral trade. They also touched on Syria, "
                       "Venezuela, Libya and Yemen. The next round will be held in Delhi.")
    link_statements([listed])
    link = EventLink.objects.get(statement=listed)
    assert link.is_mention and link.relevance_evidence["listed"] == 1


def test_a_confirmed_mention_counts_and_a_rejected_link_never(maduro, mfa):
    listed = said(mfa, T0 + timedelta(hours=2), title="Talks",
                  text="They discussed Syria, Venezuela, Libya and Yemen.")
    link_statements([listed])
    link = EventLink.objects.get(statement=listed)
    assert not EventLink.objects.counting().exists()
    link.status = EventLink.Status.CONFIRMED
    link.save()
    assert EventLink.objects.counting().count() == 1 and link.counts_toward_status


def test_each_event_gets_the_stance_of_its_own_passage(maduro, mfa):
    sudan = f.event("sudan-2026", occurred_at=T0, window_hours=72, terms={"en": ["Sudan"]})
    briefing = said(mfa, T0 + timedelta(hours=4), title="Briefing by the spokeswoman",
                    text="On Venezuela. We strongly condemn the act of aggression against "
                         "Venezuela and its president.\n\nOn Sudan. We welcome the ceasefire "
                         "agreed in Sudan and support the talks in Jeddah.")
    link_statements([briefing])
    assert EventLink.objects.get(event=maduro).stance == Stance.CONDEMNS
    assert EventLink.objects.get(event=sudan).stance == Stance.SUPPORTS
