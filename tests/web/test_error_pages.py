"""Refusals and missing pages speak in the site's own layout."""

import pytest

from tests.scenarios import user_in

pytestmark = pytest.mark.django_db


def test_a_refused_change_says_nothing_was_changed_in_the_site_layout(client):
    client.force_login(user_in("Researcher"))
    response = client.get("/review/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Nothing was changed." in html and 'class="site-header"' in html


def test_an_unknown_event_is_a_404_in_the_site_layout(client):
    response = client.get("/events/no-such-event/")
    assert response.status_code == 404
    assert "There is no page at this address." in response.content.decode()
