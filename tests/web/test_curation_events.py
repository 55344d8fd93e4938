"""Events from the site: the form, a preview of what the terms would link, and the save."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from actors.models import Actor, ActorGroup
from statements.models import Event, EventLink, Tag
from tests import factories as f
from tests.factories import utc
from tests.scenarios import login

pytestmark = pytest.mark.django_db

T0 = utc(2026, 1, 3, 6)


@pytest.fixture
def desk():
    mfa = f.actor("russian-mfa", kind=Actor.Kind.INSTITUTION, name="Russian MFA")
    putin = f.actor("vladimir-putin", name="Vladimir Putin")
    group = ActorGroup.objects.create(slug="p5", name="P5")
    statements = {
        "en": f.statement(mfa, T0 + timedelta(hours=5), title="Statement on Maduro's capture"),
        "ru": f.statement(mfa, T0 + timedelta(hours=8),
                          title="Заявление о ситуации вокруг Венесуэлы"),
        "early": f.statement(mfa, T0 - timedelta(hours=30), title="Maduro meets the press"),
        "late": f.statement(putin, T0 + timedelta(days=20), text="Venezuela must decide"),
        "other": f.statement(mfa, T0 + timedelta(hours=6), title="On trade with India"),
    }
    return {"mfa": mfa, "putin": putin, "group": group, "statements": statements}


def form_data(desk, **changes):
    data = {
        "title": "United States captures Maduro", "slug": "",
        "occurred_at": "2026-01-03T09:00", "timezone": "Europe/Moscow", "window_hours": "72",
        "description": "Caracas, early morning.",
        "terms_en": "Maduro\nVenezuela\n", "terms_ru": "Мадуро\nВенесуэла",
        "new_language": "", "new_terms": "", "tags": "venezuela, us-foreign-policy",
        "expected_actors": [desk["putin"].pk, desk["mfa"].pk],
        "expected_groups": [desk["group"].pk], "is_published": "on", "action": "preview",
    }
    data.update(changes)
    return data


def test_the_new_event_form_offers_terms_per_language(client):
    login(client, "Admin")
    page = client.get(reverse("event-create"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="terms_en"' in html and 'name="terms_ru"' in html and 'name="new_language"' in html


def test_the_preview_lists_what_the_terms_would_match_and_writes_nothing(client, desk):
    login(client, "Admin")

    page = client.post(reverse("event-create"), form_data(desk))

    preview = page.context["preview"]
    assert page.status_code == 200
    assert [row.statement.pk for row in preview.rows] == [
        desk["statements"][k].pk for k in ("en", "ru", "late")]
    assert [row.terms for row in preview.rows] == [["Maduro"], ["Венесуэла"], ["Venezuela"]]
    assert preview.draft.occurred_at == T0  # 09:00 in Moscow is 06:00 UTC
    assert round(preview.rows[0].offset_hours) == 5
    html = page.content.decode()
    assert "What the terms would match" in html and "Statement on Maduro" in html
    assert "2026-01-03 06:00 UTC" in html
    assert not Event.objects.exists() and not EventLink.objects.exists() \
        and not Tag.objects.exists()


def test_htmx_gets_the_preview_fragment_alone(client, desk):
    login(client, "Admin")
    fragment = client.post(reverse("event-create"), form_data(desk),
                           headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="match-preview"') and "<form" not in html


def test_saving_creates_the_event_and_matches_it_once_committed(
        client, desk, eager_tasks, django_capture_on_commit_callbacks):
    login(client, "Admin")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("event-create"), form_data(desk, action="save"))

    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("event-edit", args=["united-states-captures-maduro"])
    assert (event.slug, event.occurred_at, event.window_hours) == (
        "united-states-captures-maduro", T0, 72)
    assert event.terms == {"en": ["Maduro", "Venezuela"], "ru": ["Мадуро", "Венесуэла"]}
    assert sorted(t.slug for t in event.tags.all()) == ["us-foreign-policy", "venezuela"]
    assert set(event.expected_actors.all()) == {desk["putin"], desk["mfa"]}
    assert list(event.expected_groups.all()) == [desk["group"]]
    assert len(callbacks) == 1  # the re-matching, queued after the commit
    assert set(EventLink.objects.values_list("statement_id", flat=True)) == {
        desk["statements"][k].pk for k in ("en", "ru", "late")}


def test_editing_previews_against_the_links_editors_made(client, desk):
    event = f.event(slug="maduro", occurred_at=T0, terms={"en": ["Maduro", "Venezuela"]})
    s = desk["statements"]
    f.link(event, s["en"], status=EventLink.Status.CONFIRMED)
    f.link(event, s["late"])  # an automatic suggestion the new terms drop
    login(client, "Admin")
    data = form_data(desk, terms_en="Maduro", terms_ru="Венесуэла", timezone="UTC",
                     occurred_at="2026-01-03 06:00")

    page = client.post(reverse("event-edit", args=["maduro"]), data)

    preview = page.context["preview"]
    assert [(row.statement.pk, row.link_status) for row in preview.rows] == [
        (s["en"].pk, "confirmed"), (s["ru"].pk, None)]
    assert preview.would_remove == 1
    assert EventLink.objects.count() == 2


def test_changing_terms_rematches_and_keeps_editors_decisions(
        client, desk, eager_tasks, django_capture_on_commit_callbacks):
    event = f.event(slug="maduro", occurred_at=T0, terms={"en": ["Maduro"]})
    s = desk["statements"]
    f.link(event, s["en"], status=EventLink.Status.REJECTED)
    login(client, "Admin")
    data = form_data(desk, timezone="UTC", occurred_at="2026-01-03T06:00",
                     terms_en="Maduro\nIndia", terms_ru="", action="save")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("event-edit", args=["maduro"]), data)

    event.refresh_from_db()
    assert len(callbacks) == 1 and event.slug == "maduro"
    links = dict(EventLink.objects.values_list("statement_id", "status"))
    assert links == {s["en"].pk: "rejected", s["other"].pk: "suggested"}


def test_a_description_only_edit_queues_no_rematching(client, desk,
                                                      django_capture_on_commit_callbacks):
    f.event(slug="maduro", occurred_at=T0, terms={"en": ["Maduro"]})
    login(client, "Admin")
    data = form_data(desk, timezone="UTC", occurred_at="2026-01-03T06:00", terms_en="Maduro",
                     terms_ru="", description="New text", action="save")

    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("event-edit", args=["maduro"]), data)

    assert callbacks == [] and Event.objects.get().description == "New text"


@pytest.mark.parametrize("changes, field, message", [
    ({"occurred_at": "2026-03-29T02:30", "timezone": "Europe/Berlin"}, "occurred_at",
     "does not exist in Europe/Berlin"),
    ({"occurred_at": "2025-10-26T02:30", "timezone": "Europe/Berlin"}, "occurred_at",
     "happens twice in Europe/Berlin"),
    ({"occurred_at": "yesterday"}, "occurred_at", "Enter a date and time"),
    ({"window_hours": "0"}, "window_hours", "greater than or equal to 1"),
    ({"tags": "venezuela, not a slug!"}, "tags", "“slug!” is not a tag slug"),
    ({"new_language": "fa", "new_terms": ""}, "new_terms", "at least one term"),
    ({"new_language": "", "new_terms": "مادورو"}, "new_language", "which language"),
    ({"new_language": "Persian", "new_terms": "مادورو"}, "new_language", "not a language tag"),
])
def test_bad_input_is_explained_and_nothing_is_saved(client, desk, changes, field, message):
    login(client, "Admin")

    page = client.post(reverse("event-create"), form_data(desk, action="save", **changes))

    assert page.status_code == 200
    assert message in " ".join(page.context["form"].errors[field])
    assert not Event.objects.exists()


def test_a_new_language_is_kept_and_shown_as_its_own_textarea(client, desk):
    login(client, "Admin")
    page = client.post(reverse("event-create"),
                       form_data(desk, new_language="fa", new_terms="مادورو"))
    assert page.context["preview"].draft.terms["fa"] == ["مادورو"]

    edit_event = f.event(slug="e", occurred_at=T0, terms={"fa": ["مادورو"]})
    page = client.get(reverse("event-edit", args=[edit_event.slug]))
    assert 'name="terms_fa"' in page.content.decode()


def test_a_taken_slug_is_refused(client, desk):
    f.event(slug="united-states-captures-maduro", occurred_at=T0)
    login(client, "Admin")
    page = client.post(reverse("event-create"), form_data(desk, action="save"))
    assert "exists already" in " ".join(page.context["form"].errors["slug"])
    assert Event.objects.count() == 1


@pytest.mark.parametrize("role", ["Researcher", "Editor"])
def test_only_admins_create_or_edit_events(client, desk, role):
    event = f.event(slug="maduro", occurred_at=T0, terms={"en": ["Maduro"]})
    login(client, role)

    assert client.get(reverse("event-create")).status_code == 403
    assert client.post(reverse("event-create"), form_data(desk, action="save")).status_code == 403
    assert client.post(reverse("event-edit", args=["maduro"]),
                       form_data(desk, action="save", title="Hacked")).status_code == 403
    assert client.get(reverse("curation-home")).status_code == 403
    assert list(Event.objects.values_list("slug", "title")) == [("maduro", event.title)]


def test_anonymous_visitors_are_sent_to_log_in_and_cannot_post(client, desk):
    response = client.get(reverse("event-create"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(reverse("event-create"), form_data(desk, action="save")).status_code == 403
    assert not Event.objects.exists()


def test_the_curation_page_lists_events_with_edit_links(client):
    f.event(slug="maduro", occurred_at=T0, title="Maduro", is_published=False)
    login(client, "Admin")
    html = client.get(reverse("curation-home")).content.decode()
    assert reverse("event-edit", args=["maduro"]) in html and "draft" in html


def test_saving_terms_in_the_django_admin_also_rematches(client, desk,
                                                         django_capture_on_commit_callbacks):
    user = User.objects.create_user("staff-admin", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Admin"))
    client.force_login(user)
    data = {
        "title": "Maduro", "slug": "maduro", "occurred_at_0": "2026-01-03",
        "occurred_at_1": "06:00:00", "window_hours": "72", "description": "",
        "terms": '{"en": ["Maduro"]}', "is_published": "on",
        "created_at_0": "2026-01-01", "created_at_1": "00:00:00",
        "links-TOTAL_FORMS": "0", "links-INITIAL_FORMS": "0",
    }

    with django_capture_on_commit_callbacks() as created:
        response = client.post(reverse("admin:statements_event_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get()
    with django_capture_on_commit_callbacks() as renamed:
        client.post(reverse("admin:statements_event_change", args=[event.pk]),
                    {**data, "title": "Maduro captured"})

    with django_capture_on_commit_callbacks() as retermed:
        client.post(reverse("admin:statements_event_change", args=[event.pk]),
                    {**data, "terms": '{"en": ["Maduro", "Caracas"]}'})

    assert len(created) == 1 and renamed == [] and len(retermed) == 1
