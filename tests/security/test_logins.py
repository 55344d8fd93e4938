"""One throttle for every login path, keyed so an attacker cannot lock a real user out.

django-axes counts failures in the database per (user name, client address) and
per address. /admin/login/ used to have no throttle at all, and the right password
logged in there while the account was locked on the site's login.
"""

import pytest
from django.test import Client

from tests.scenarios import PASSWORD, user_in

pytestmark = pytest.mark.django_db

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def site_login(address, password, username="admin"):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def admin_login(address, password, username="admin"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    return client, response


def test_the_admin_login_is_throttled():
    user_in("Admin")
    for _ in range(4):
        assert admin_login(ATTACKER, "guess")[1].status_code == 200
    assert admin_login(ATTACKER, "guess")[1].status_code == 429

    client, right = admin_login(ATTACKER, PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_on_the_site_lock_the_admin_login_too_and_back():
    user_in("Admin")
    for _ in range(3):
        site_login(ATTACKER, "guess")
    for _ in range(2):
        admin_login(ATTACKER, "guess")
    # One count for both paths: the fifth failure, wherever, locks both.
    assert admin_login(ATTACKER, PASSWORD)[1].status_code == 429
    assert site_login(ATTACKER, PASSWORD)[1].status_code == 429


def test_an_attacker_failing_with_a_users_name_does_not_lock_the_user_out():
    user_in("Admin")
    for _ in range(10):
        site_login(ATTACKER, "guess")
        admin_login(ATTACKER, "guess")

    client, response = site_login(OWNER, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
    assert admin_login(OWNER, PASSWORD)[1].status_code == 302


def test_the_lockout_page_is_the_sites_and_says_when_to_try_again():
    user_in("Admin")
    for _ in range(5):
        admin_login(ATTACKER, "guess")
    response = admin_login(ATTACKER, PASSWORD)[1]
    html = response.content.decode()
    assert "Too many failed attempts to log in. Try again in 15 minutes." in html
    assert 'class="site-header"' in html
