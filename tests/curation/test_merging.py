"""Merging two actors: everything moves to the survivor, nothing is lost or doubled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.urls import reverse

from actors.models import Actor, ActorGroup, Alias, Role
from statements.curation.merging import MergeError, merge_actors
from statements.models import Event, EventLink, Flag, SilenceReview, Source, Statement
from tests import factories as f
from tests.factories import utc

pytestmark = pytest.mark.django_db

T0 = utc(2026, 1, 3, 6)


def build():
    """Putin twice (an import typo), each with a share of the world's references."""
    russia = f.actor("russia", kind=Actor.Kind.STATE, name="Russia")
    kremlin = f.actor("kremlin", kind=Actor.Kind.INSTITUTION, parent=russia)
    putin = f.actor("vladimir-putin", name="Vladimir Putin", parent=kremlin)
    twin = f.actor("putin-v", name="Putin V.V.", parent=russia, wikidata_id="Q7747",
                   description="President of Russia")
    peskov = f.actor("dmitry-peskov", speaks_for=[twin])
    aide = f.actor("aide", parent=twin)
    Alias.objects.create(actor=putin, text="Putin", lang="en")
    Alias.objects.create(actor=twin, text="putin", lang="en")  # same, other case: dropped
    Alias.objects.create(actor=twin, text="Путин", lang="ru")  # moves
    twin.speaks_for.set([russia])
    Role.objects.create(person=putin, institution=kremlin, title="President")
    Role.objects.create(person=twin, institution=kremlin, title="President")  # a twin role
    Role.objects.create(person=twin, institution=russia, title="Head of state")
    Role.objects.create(person=aide, institution=twin, title="Aide")
    src = f.source(twin)
    event = f.event(slug="maduro", occurred_at=T0, expected=[twin], terms={"en": ["Maduro"]})
    other_event = f.event(slug="assad", occurred_at=T0 - timedelta(days=400))
    s1 = f.statement(twin, T0 + timedelta(hours=3), source=src, title="On Maduro")
    s2 = f.statement(putin, T0 + timedelta(hours=4), title="Also on Maduro")
    f.link(event, s1)
    f.link(event, s2)
    Flag.objects.create(kind=Flag.Kind.NOTABLE_SILENCE, event=event, actor=twin)
    SilenceReview.objects.create(event=event, actor=putin, status_at_close="silent")
    SilenceReview.objects.create(event=event, actor=twin, status_at_close="silent",
                                 decision=SilenceReview.Decision.NOTABLE)
    SilenceReview.objects.create(event=other_event, actor=twin, status_at_close="no_coverage")
    p5 = ActorGroup.objects.create(slug="p5", name="P5")
    allies = ActorGroup.objects.create(slug="allies", name="Allies")
    p5.members.set([putin, twin])
    allies.members.set([twin])
    return locals()


def counts():
    return {
        "statements": Statement.objects.count(),
        "links": EventLink.objects.count(),
        "flags": Flag.objects.count(),
        "sources": Source.objects.count(),
        "events": Event.objects.count(),
    }


def test_everything_moves_to_the_survivor_and_the_duplicate_is_gone():
    w = build()
    before = counts()

    report = merge_actors(survivor=w["putin"], duplicate=w["twin"])

    putin = Actor.objects.get(pk=w["putin"].pk)
    assert not Actor.objects.filter(pk=w["twin"].pk).exists()
    assert counts() == before  # nothing lost
    assert set(Statement.objects.values_list("actor__slug", flat=True)) == {"vladimir-putin"}
    assert Source.objects.get().actor == putin
    assert Flag.objects.get().actor == putin
    assert sorted((a.text, a.lang) for a in putin.aliases.all()) == [
        ("Putin", "en"), ("Putin V.V.", ""), ("Путин", "ru")]
    assert sorted(g.slug for g in putin.groups.all()) == ["allies", "p5"]
    assert list(w["event"].expected_actors.all()) == [putin]
    assert list(putin.speaks_for.all()) == [w["russia"]]
    assert list(w["peskov"].speaks_for.all()) == [putin]
    assert Actor.objects.get(slug="aide").parent == putin
    assert putin.parent == w["kremlin"]  # the survivor keeps its own place
    assert (putin.wikidata_id, putin.description) == ("Q7747", "President of Russia")
    # One President role survives; the twin's other role and the aide's now point at Putin.
    assert sorted(Role.objects.values_list("person__slug", "institution__slug", "title")) == [
        ("aide", "vladimir-putin", "Aide"),
        ("vladimir-putin", "kremlin", "President"),
        ("vladimir-putin", "russia", "Head of state")]
    reviews = {r.event.slug: r.decision for r in SilenceReview.objects.filter(actor=putin)}
    assert reviews == {"maduro": "notable", "assad": "pending"}  # the decided review wins
    assert report.moved["statements"] == 1 and report.dropped["aliases"] == 1
    assert report.dropped["silence reviews"] == 1 and report.dropped["roles"] == 1


def test_no_row_points_at_the_deleted_actor():
    w = build()
    gone = w["twin"].pk

    merge_actors(survivor=w["putin"], duplicate=w["twin"])

    tables = {
        "actors_alias": "actor_id", "actors_role": "person_id",
        "statements_statement": "actor_id", "statements_flag": "actor_id",
        "statements_silencereview": "actor_id", "statements_source": "actor_id",
        "actors_actorgroup_members": "actor_id", "statements_event_expected_actors": "actor_id",
        "actors_actor_speaks_for": "from_actor_id", "actors_actor": "parent_id",
    }
    with connection.cursor() as cursor:
        for table, column in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} = %s", [gone])
            assert cursor.fetchone()[0] == 0, table
        cursor.execute("SELECT count(*) FROM actors_role WHERE institution_id = %s", [gone])
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM actors_actor_speaks_for WHERE to_actor_id = %s",
                       [gone])
        assert cursor.fetchone()[0] == 0


def test_history_keeps_both_actors_with_the_reason():
    w = build()
    admin = User.objects.create_user("boss")

    merge_actors(survivor=w["putin"], duplicate=w["twin"], user=admin)

    deleted = Actor.history.filter(id=w["twin"].pk).latest("history_date")
    assert deleted.history_type == "-"
    assert deleted.history_change_reason == "Merged into Vladimir Putin (vladimir-putin)"
    assert deleted.history_user == admin
    kept = Actor.history.filter(id=w["putin"].pk).latest("history_date")
    assert kept.history_change_reason == "Merged Putin V.V. (putin-v) into this actor"
    moved = Statement.history.filter(id=Statement.objects.get(title="On Maduro").pk).latest(
        "history_date")
    assert moved.history_change_reason == "Merged putin-v into vladimir-putin"


def test_the_survivor_takes_the_place_of_a_duplicate_that_was_its_parent():
    parent = f.actor("mfa", kind=Actor.Kind.INSTITUTION, name="MFA")
    child = f.actor("mfa-2", kind=Actor.Kind.INSTITUTION, name="Russian MFA", parent=parent)
    sibling = f.actor("dept", kind=Actor.Kind.INSTITUTION, parent=parent)

    merge_actors(survivor=child, duplicate=parent)

    child.refresh_from_db()
    sibling.refresh_from_db()
    assert child.parent is None and sibling.parent == child


def test_a_duplicate_higher_up_the_tree_is_refused_and_nothing_changes():
    top = f.actor("top", kind=Actor.Kind.STATE)
    middle = f.actor("middle", kind=Actor.Kind.INSTITUTION, parent=top)
    bottom = f.actor("bottom", parent=middle)
    f.statement(top, T0)

    with pytest.raises(MergeError, match="is an ancestor of"):
        merge_actors(survivor=bottom, duplicate=top)

    assert Actor.objects.count() == 3 and Statement.objects.get().actor == top


def test_an_actor_cannot_be_merged_with_itself():
    putin = f.actor("vladimir-putin")
    with pytest.raises(MergeError):
        merge_actors(survivor=putin, duplicate=putin)


# --- the admin action ---------------------------------------------------------------------


def staff(role):
    user = User.objects.create_user(role.lower(), password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_the_admin_action_asks_for_the_survivor_then_merges(client):
    w = build()
    client.force_login(staff("Admin"))
    url = reverse("admin:actors_actor_changelist")
    selected = {"action": "merge", "_selected_action": [w["putin"].pk, w["twin"].pk]}

    page = client.post(url, selected)

    assert page.status_code == 200 and b"Choose the actor that stays" in page.content
    assert Actor.objects.filter(pk=w["twin"].pk).exists()

    done = client.post(url, {**selected, "apply": "1", "survivor": w["putin"].pk}, follow=True)

    assert not Actor.objects.filter(pk=w["twin"].pk).exists()
    assert "Merged Putin V.V. (putin-v) into Vladimir Putin" in done.content.decode()


def test_the_admin_action_wants_exactly_two_actors(client):
    w = build()
    client.force_login(staff("Admin"))
    response = client.post(reverse("admin:actors_actor_changelist"), {
        "action": "merge", "_selected_action": [w["putin"].pk, w["twin"].pk, w["aide"].pk]},
        follow=True)
    assert "Select exactly two actors to merge." in response.content.decode()
    assert Actor.objects.filter(pk__in=[w["putin"].pk, w["twin"].pk, w["aide"].pk]).count() == 3


def test_an_editor_is_not_offered_the_merge_and_a_crafted_post_merges_nothing(client):
    w = build()
    client.force_login(staff("Editor"))
    url = reverse("admin:actors_actor_changelist")

    listing = client.get(url)
    response = client.post(url, {
        "action": "merge", "_selected_action": [w["putin"].pk, w["twin"].pk], "apply": "1",
        "survivor": w["putin"].pk})

    assert listing.status_code == 200 and b'value="merge"' not in listing.content
    assert response.status_code == 200  # the list again, with "no action selected"
    assert Actor.objects.filter(pk=w["twin"].pk).exists()
    assert Statement.objects.filter(actor=w["twin"]).count() == 1
