"""Personal alert-feed addresses can be revoked one user at a time: on request,
and whenever the user's password changes. Before, the token was the user id
signed with the site's key, valid for ever unless SECRET_KEY changed for all."""

import pytest
from django.test import Client

from statements.alerts.delivery import feed_token
from tests.scenarios import PASSWORD, user_in

pytestmark = pytest.mark.django_db


def feed(token):
    return Client().get(f"/alerts/{token}/feed.atom").status_code


def test_a_new_address_on_request_revokes_the_old_one_for_that_user_only():
    alice, bob = user_in("Researcher", "alice"), user_in("Researcher", "bob")
    old_alice, old_bob = feed_token(alice), feed_token(bob)
    assert feed(old_alice) == feed(old_bob) == 200
    client = Client()
    client.force_login(alice)

    response = client.post("/alerts/feed-address/new/")

    assert response.status_code == 302
    assert feed(old_alice) == 404
    assert feed(feed_token(alice)) == 200
    assert feed(old_bob) == 200
    page = client.get("/alerts/").content.decode()
    assert feed_token(alice) in page and old_alice not in page


def test_a_password_change_revokes_the_address():
    alice = user_in("Researcher", "alice")
    old = feed_token(alice)

    alice.set_password(PASSWORD + " and more")
    alice.save()

    assert feed(old) == 404
    assert feed(feed_token(alice)) == 200


def test_a_new_address_needs_a_post_from_the_user():
    alice = user_in("Researcher", "alice")
    client = Client()
    client.force_login(alice)
    assert client.get("/alerts/feed-address/new/").status_code == 405
    anonymous = Client().post("/alerts/feed-address/new/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
