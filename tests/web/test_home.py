"""The home page's researcher tools: the search box, the links to the matrix, the API and
the feeds, and for editors the size of their queue."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from statements.models import EventLink, Flag, SilenceReview
from tests.scenarios import build_maduro_scenario, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def maduro():
    return build_maduro_scenario()


def test_home_offers_search_and_the_research_tools(client, maduro):
    html = client.get("/").content.decode()
    assert 'action="/statements/"' in html and 'name="q"' in html
    for href in ("/matrix/", "/api/", "/silences/feed.atom"):
        assert f'href="{href}"' in html
    assert 'href="/matrix/?tag=venezuela"' in html  # an event's topic, compared
    assert "data-queue-size" not in html  # not an editor


def test_an_editor_sees_the_size_of_the_queue(client, maduro):
    editor = get_user_model().objects.create_user("editor", "e@example.org", "x")
    editor.groups.add(Group.objects.get(name="Editor"))
    a, event = maduro["actors"], maduro["event"]
    SilenceReview.objects.create(event=event, actor=a["putin"], status_at_close="silent")
    SilenceReview.objects.create(event=event, actor=a["xi"], status_at_close="no_coverage",
                                 decision=SilenceReview.Decision.DISMISSED)
    Flag.objects.create(kind=Flag.Kind.WRONG_LINK, statement=maduro["links"]["un"].statement)
    suggested = EventLink.objects.filter(status=EventLink.Status.SUGGESTED).count()
    client.force_login(editor)
    html = client.get("/").content.decode()
    size = int(re.search(r'data-queue-size="(\d+)"', html).group(1))
    assert size == suggested + 1 + 1
    assert f"{size} items wait in the editors’ queue" in text_of(html)
