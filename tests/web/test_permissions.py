"""Who may change what: every editorial action × every role, by the server's answer
and by what the database holds afterwards. A researcher cannot change anything,
whether through the pages or by a crafted POST."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from statements.models import EventLink, Flag, SilenceReview, Statement
from tests.scenarios import PASSWORD, build_desk, client_for, user_in

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "Researcher", "Editor", "Admin")


def snapshot() -> dict:
    """Everything an editorial action could change, history included."""
    return {
        "links": list(EventLink.objects.order_by("pk").values_list(
            "pk", "status", "stance", "intensity", "stance_by_editor", "decided_by")),
        "flags": list(Flag.objects.order_by("pk").values_list(
            "pk", "status", "closing_note", "closed_by")),
        "reviews": list(SilenceReview.objects.order_by("pk").values_list(
            "pk", "decision", "note", "response")),
        "statements": list(Statement.objects.order_by("pk").values_list(
            "pk", "actor", "attribution", "is_manual")),
        "history": [EventLink.history.count(), Flag.history.count(),
                    SilenceReview.history.count(), Statement.history.count()],
    }


@dataclass
class Action:
    name: str
    method: str
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    # What the permitted roles get: a redirect after a change, or a page.
    allowed_status: int = 302
    page: bool = False  # a page an anonymous visitor is sent to log in for


def manual_statement(desk):
    return {"actor": "vladimir-putin", "event": "maduro-capture-2026",
            "published_at": "2026-01-04 15:00 +03:00", "tz": "UTC",
            "url": "https://t.me/example/1", "title": "Putin on Venezuela",
            "text": "Putin told a TV channel the capture of Maduro was unacceptable.",
            "language": "en", "stance": "", "intensity": ""}


ACTIONS = [
    Action("open the queue", "get", lambda d: reverse("review"), lambda d: {}, 200, page=True),
    Action("confirm a link", "post",
           lambda d: reverse("review-link-confirm", args=[d["link"].pk]), lambda d: {}),
    Action("reject a link", "post",
           lambda d: reverse("review-link-reject", args=[d["link"].pk]), lambda d: {}),
    Action("set a stance", "post",
           lambda d: reverse("review-link-stance", args=[d["link"].pk]),
           lambda d: {"stance": "condemns", "intensity": "3"}),
    Action("flag a pair", "post", lambda d: reverse("review-flag-new"),
           lambda d: {"kind": "notable_silence", "event": d["event"].slug,
                      "actor": d["putin"].slug, "note": "Silent again"}),
    Action("flag a statement", "post", lambda d: reverse("review-flag-new"),
           lambda d: {"kind": "wrong_attribution", "statement": d["statement"].pk}),
    Action("resolve a flag", "post",
           lambda d: reverse("review-flag-close", args=[d["flag"].pk]),
           lambda d: {"status": "resolved", "note": "found it"}),
    Action("confirm a silence", "post",
           lambda d: reverse("review-silence-decide", args=[d["review"].pk]),
           lambda d: {"decision": "notable"}),
    Action("record a response found elsewhere", "post",
           lambda d: reverse("review-silence-response", args=[d["review"].pk]),
           lambda d: {k: v for k, v in manual_statement(d).items()
                      if k not in ("actor", "event")}),
    Action("open the manual statement form", "get", lambda d: reverse("review-statement-new"),
           lambda d: {}, 200, page=True),
    Action("add a statement by hand", "post", lambda d: reverse("review-statement-new"),
           manual_statement),
    Action("re-attribute a statement", "post",
           lambda d: reverse("statement-reattribute", args=[d["statement"].pk]),
           lambda d: {"actor": "vladimir-putin"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_each_role_may_do_exactly_what_its_group_allows(role, action):
    desk = build_desk()
    client = client_for(role)
    before = snapshot()

    response = getattr(client, action.method)(action.url(desk), action.data(desk))

    if role in ("Editor", "Admin"):
        assert response.status_code == action.allowed_status, response.content[:500]
        if action.method == "post":
            assert snapshot() != before, "a permitted change changed nothing"
        return
    if role == "anonymous" and action.page:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == 403
    assert snapshot() == before


def test_undo_is_refused_to_a_researcher_and_nothing_changes():
    desk = build_desk()
    editor = Client()
    editor.force_login(user_in("Editor"))
    editor.post(reverse("review-link-confirm", args=[desk["link"].pk]))
    baseline = desk["link"].history.earliest("history_date").history_id
    before = snapshot()

    response = client_for("Researcher").post(
        reverse("review-link-undo", args=[desk["link"].pk]), {"version": baseline})

    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", ["anonymous", "Researcher"])
def test_an_htmx_action_is_refused_with_403_not_a_redirect(role):
    desk = build_desk()
    response = client_for(role).post(reverse("review-link-confirm", args=[desk["link"].pk]),
                                     HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert EventLink.objects.get().status == EventLink.Status.SUGGESTED


def test_actions_refuse_get():
    desk = build_desk()
    client = client_for("Editor")
    response = client.get(reverse("review-link-confirm", args=[desk["link"].pk]))
    assert response.status_code == 405
    assert EventLink.objects.get().status == EventLink.Status.SUGGESTED


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("Researcher", 200),
                                          ("Editor", 200), ("Admin", 200)])
def test_the_history_is_shown_to_the_roles_only(role, status):
    desk = build_desk()
    response = client_for(role).get(reverse("review-history", args=["flag", desk["flag"].pk]))
    assert response.status_code == status


def test_the_researcher_sees_no_editing_controls_on_the_timeline_or_the_statement():
    desk = build_desk()
    client = client_for("Researcher")
    timeline = client.get(desk["event"].get_absolute_url()).content.decode()
    statement = client.get(desk["statement"].get_absolute_url()).content.decode()
    for html in (timeline, statement):
        assert "review/links/" not in html
        assert "Flag…" not in html and "Flag this statement" not in html
        assert "/attribution/" not in html
    # …while the open flag is there for every reader.
    assert "Response missing from our data" in timeline


def test_an_anonymous_reader_sees_open_flags_but_not_who_raised_them():
    desk = build_desk()
    desk["flag"].created_by = user_in("Editor", "desk-editor-7")
    desk["flag"].save()
    timeline = Client().get(desk["event"].get_absolute_url()).content.decode()
    assert "Response missing from our data" in timeline
    assert "desk-editor-7" not in timeline
    assert "desk-editor-7" in client_for("Researcher").get(
        desk["event"].get_absolute_url()).content.decode()


def test_an_editor_sees_the_controls_on_the_timeline():
    desk = build_desk()
    html = client_for("Editor").get(desk["event"].get_absolute_url()).content.decode()
    assert reverse("review-link-confirm", args=[desk["link"].pk]) in html
    assert f'id="notes-{desk["event"].pk}-{desk["putin"].pk}"' in html


# --- CSRF --------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_with_it_works():
    desk = build_desk()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_in("Editor"))
    url = reverse("review-link-confirm", args=[desk["link"].pk])

    refused = client.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    assert EventLink.objects.get().status == EventLink.Status.SUGGESTED

    # The page sets the cookie and puts the token in hx-headers, as a browser would send it.
    page = client.get(reverse("review"))
    token = str(page.context["csrf_token"])
    assert f'"X-CSRFToken": "{token}"' in page.content.decode()
    accepted = client.post(url, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
    assert EventLink.objects.get().status == EventLink.Status.CONFIRMED


def test_the_login_form_needs_the_csrf_token_too():
    user_in("Editor")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "editor", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
