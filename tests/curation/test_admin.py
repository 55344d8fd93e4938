"""The actor admin: search, filters, hierarchy, bulk actions and alias hygiene."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor, ActorGroup, Alias
from statements.curation.hygiene import SHARED, TOO_SHORT, alias_warnings
from tests import factories as f

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:actors_actor_changelist"


@pytest.fixture
def admin_client(client):
    user = User.objects.create_user("curator", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Admin"))
    client.force_login(user)
    return client


def tree():
    russia = f.actor("russia", kind=Actor.Kind.STATE, name="Russia", country="RU")
    mfa = f.actor("russian-mfa", kind=Actor.Kind.INSTITUTION, name="Russian MFA", parent=russia,
                  country="RU")
    lavrov = f.actor("sergey-lavrov", name="Sergey Lavrov", parent=mfa, country="RU")
    zakharova = f.actor("maria-zakharova", name="Maria Zakharova", parent=mfa, country="RU")
    un = f.actor("un", kind=Actor.Kind.ORGANIZATION, name="United Nations")
    for text, lang in (("Lavrov", "en"), ("Лавров", "ru"), ("Lavrov S.", "en")):
        Alias.objects.create(actor=lavrov, text=text, lang=lang)
    return {"russia": russia, "mfa": mfa, "lavrov": lavrov, "zakharova": zakharova, "un": un}


def listed(response):
    return [a.slug for a in response.context["cl"].result_list]


def test_search_covers_aliases_and_lists_each_actor_once(admin_client):
    tree()
    response = admin_client.get(reverse(CHANGELIST), {"q": "lavrov"})
    assert listed(response) == ["sergey-lavrov"]
    response = admin_client.get(reverse(CHANGELIST), {"q": "Лавров"})
    assert listed(response) == ["sergey-lavrov"]


@pytest.mark.parametrize("params, expected", [
    ({"kind__exact": "institution"}, ["russian-mfa"]),
    ({"country__exact": "RU", "kind__exact": "person"}, ["maria-zakharova", "sergey-lavrov"]),
    ({"is_active__exact": "0"}, ["un"]),
])
def test_filters_narrow_the_list(admin_client, params, expected):
    w = tree()
    Actor.objects.filter(pk=w["un"].pk).update(is_active=False)
    assert listed(admin_client.get(reverse(CHANGELIST), params)) == expected


def test_the_parent_filter_and_member_counts_show_the_hierarchy(admin_client):
    w = tree()

    response = admin_client.get(reverse(CHANGELIST), {"parent__id__exact": w["mfa"].pk})

    assert listed(response) == ["maria-zakharova", "sergey-lavrov"]
    html = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert f'href="/admin/actors/actor/?parent__id__exact={w["mfa"].pk}">2</a>' in html


def test_the_list_takes_the_same_queries_for_more_actors(admin_client):
    tree()
    admin_client.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse(CHANGELIST))
    parent = Actor.objects.get(slug="russia")
    for n in range(30):
        child = f.actor(f"extra-{n}", parent=parent)
        Alias.objects.create(actor=child, text=f"Extra {n}", lang="en")

    with CaptureQueriesContext(connection) as many:
        admin_client.get(reverse(CHANGELIST))

    assert len(many) == len(few)


def test_alias_warnings_name_shared_and_too_short_aliases():
    w = tree()
    Alias.objects.create(actor=w["zakharova"], text="Лаврова", lang="ru")  # an inflection
    Alias.objects.create(actor=w["un"], text="UN", lang="en")
    inactive = f.actor("old-lavrov", name="Lavrov", is_active=False)

    with CaptureQueriesContext(connection) as queries:
        warnings = alias_warnings()

    assert len(queries) == 1
    assert [(w_.text, w_.problem) for w_ in warnings[w["zakharova"].pk]] == [("Лаврова", SHARED)]
    assert [(w_.text, w_.problem) for w_ in warnings[w["lavrov"].pk]] == [("Лавров", SHARED)]
    assert str(warnings[w["un"].pk][0]) == \
        "“UN” (en) has fewer than 3 letters: attribution ignores it"
    assert warnings[w["un"].pk][0].problem == TOO_SHORT
    assert inactive.pk not in warnings  # inactive actors are not matched at all


def test_the_list_shows_and_filters_alias_warnings(admin_client):
    w = tree()
    Alias.objects.create(actor=w["un"], text="UN", lang="en")

    response = admin_client.get(reverse(CHANGELIST), {"alias_warnings": "too_short"})

    assert listed(response) == ["un"]
    assert "has fewer than 3 letters" in response.content.decode()


def test_saving_an_actor_warns_about_its_aliases(admin_client):
    w = tree()
    url = reverse("admin:actors_actor_change", args=[w["zakharova"].pk])
    page = admin_client.get(url)
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update({
        "name": "Maria Zakharova", "slug": "maria-zakharova", "kind": "person", "country": "RU",
        "parent": w["mfa"].pk, "is_active": "on", "speaks_for": [],
        "aliases-TOTAL_FORMS": "2", "aliases-INITIAL_FORMS": "0",
        "aliases-0-text": "Lavrov", "aliases-0-lang": "en",
        "aliases-1-text": "МЗ", "aliases-1-lang": "ru",
        "roles-TOTAL_FORMS": "0", "roles-INITIAL_FORMS": "0",
        "positions-TOTAL_FORMS": "0", "positions-INITIAL_FORMS": "0",
        "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0",
    })

    response = admin_client.post(url, data, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert any("“Lavrov” (en) is also a name of Sergey Lavrov" in m for m in messages), messages
    assert any("“МЗ” (ru) has fewer than 3 letters" in m for m in messages)
    assert w["zakharova"].aliases.count() == 2


def test_bulk_deactivate_and_activate(admin_client):
    w = tree()
    pks = [w["lavrov"].pk, w["zakharova"].pk]

    admin_client.post(reverse(CHANGELIST), {"action": "deactivate", "_selected_action": pks})
    assert set(Actor.objects.filter(is_active=False).values_list("slug", flat=True)) == {
        "sergey-lavrov", "maria-zakharova"}

    admin_client.post(reverse(CHANGELIST), {"action": "activate", "_selected_action": pks})
    assert not Actor.objects.filter(is_active=False).exists()


def test_add_to_group_asks_which_group_first(admin_client):
    w = tree()
    p5 = ActorGroup.objects.create(slug="p5", name="P5")
    p5.members.add(w["russia"])
    selected = {"action": "add_to_group", "_selected_action": [w["russia"].pk, w["un"].pk]}

    page = admin_client.post(reverse(CHANGELIST), selected)
    assert page.status_code == 200 and b"Add these 2 actors to a group" in page.content
    assert p5.members.count() == 1

    done = admin_client.post(reverse(CHANGELIST), {**selected, "apply": "1", "group": p5.pk},
                             follow=True)

    assert set(p5.members.values_list("slug", flat=True)) == {"russia", "un"}
    assert "1 actor added to “P5” (1 already in it)." in done.content.decode()


def test_a_researcher_cannot_use_the_actions(client):
    w = tree()
    user = User.objects.create_user("reader", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Researcher"))
    client.force_login(user)

    client.post(reverse(CHANGELIST), {"action": "deactivate",
                                      "_selected_action": [w["lavrov"].pk]})

    assert Actor.objects.get(pk=w["lavrov"].pk).is_active


def test_a_group_lists_its_members_inline_with_a_count(admin_client):
    w = tree()
    p5 = ActorGroup.objects.create(slug="p5", name="P5")
    p5.members.set([w["russia"], w["un"]])

    listing = admin_client.get(reverse("admin:actors_actorgroup_changelist")).content.decode()
    page = admin_client.get(reverse("admin:actors_actorgroup_change", args=[p5.pk]))

    assert f'href="/admin/actors/actor/?groups__id__exact={p5.pk}">2</a>' in listing
    assert page.status_code == 200 and page.context["inline_admin_formsets"][0].formset \
        .queryset.count() == 2


def test_a_sources_admin_page_shows_its_latest_attempts_not_its_whole_log(admin_client):
    from datetime import timedelta

    from statements.models import FetchAttempt

    source = f.source(title="Kremlin news")
    start = f.utc(2026, 1, 1)
    for i in range(25):
        f.fetched(source, start + timedelta(hours=i), outcome=FetchAttempt.Outcome.ERROR,
                  error=f"HTTP 500 on try {i}")

    html = admin_client.get(reverse("admin:statements_source_change", args=[source.pk])
                            ).content.decode()

    assert "Last 20 attempts" in html
    assert "HTTP 500 on try 24" in html and "HTTP 500 on try 5" in html
    assert "HTTP 500 on try 4" not in html
