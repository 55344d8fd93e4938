"""Logging in and out in the site's own layout, the throttle on password guessing,
and login-only reading when PUBLIC_READING is off."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from django.urls import reverse

from statements.web import access
from tests.scenarios import PASSWORD, user_in

pytestmark = pytest.mark.django_db

READING_MIDDLEWARE = "statements.web.access.ReadingAccessMiddleware"
_addresses = itertools.count(1)


def _new_address() -> str:
    n = next(_addresses)
    return f"198.51.{n // 250}.{n % 250 + 1}"


@pytest.fixture
def addresses():
    """Client addresses of their own per test (axes keeps its counts in the database,
    which each test rolls back; distinct addresses keep the tests readable)."""
    return _new_address


@pytest.fixture
def address(addresses):
    return addresses()


def log_in(address, username="editor", password=PASSWORD, **extra):
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password,
                                              **extra})
    return client, response


def test_the_login_page_is_in_the_sites_layout():
    html = Client().get(reverse("login")).content.decode()
    assert 'class="site-header"' in html
    assert '<form method="post" action="/accounts/login/"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_an_editor_logs_in_goes_where_they_were_going_and_logs_out(address):
    user_in("Editor")
    client, response = log_in(address, next="/review/")
    assert response.status_code == 302 and response["Location"] == "/review/"
    assert "Log out" in client.get("/review/").content.decode()

    assert client.get(reverse("logout")).status_code == 405  # only a POST logs out
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get("/review/").status_code == 302  # back to the login page


def test_a_next_to_another_site_is_ignored(address):
    user_in("Editor")
    _, response = log_in(address, next="https://evil.example/")
    assert response["Location"] == reverse("home")


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(address):
    user_in("Editor")
    client, response = log_in(address, password="wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_username_and_address_even_against_the_right_password(addresses):
    address, another = addresses(), addresses()
    user_in("Editor")
    for _ in range(access.LOGIN_FAILURE_LIMIT - 1):
        assert log_in(address, password="guess")[1].status_code == 200
    _, fifth = log_in(address, password="guess")
    assert fifth.status_code == 429
    assert "Too many failed attempts to log in. Try again in 15 minutes." in (
        fifth.content.decode())

    client, right = log_in(address)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    # Only from this address: failing with someone's name cannot lock them out.
    assert log_in(another)[1].status_code == 302


def test_an_address_guessing_many_usernames_is_locked(address):
    user_in("Editor")
    for n in range(access.LOGIN_FAILURE_LIMIT):
        log_in(address, username=f"someone-{n}", password="guess")
    _, response = log_in(address)  # a right password, from the locked address
    assert response.status_code == 429


def test_a_success_starts_the_usernames_count_again(addresses):
    first, second = addresses(), addresses()
    user_in("Editor")
    for _ in range(access.LOGIN_FAILURE_LIMIT - 1):
        log_in(first, password="guess")
    assert log_in(first)[1].status_code == 302
    # From another address the username has its whole allowance again.
    for _ in range(access.LOGIN_FAILURE_LIMIT - 1):
        assert log_in(second, password="guess")[1].status_code == 200
    assert log_in(second)[1].status_code == 302


def test_the_lockout_message_rounds_up_to_whole_minutes():
    assert access.lockout_message(61).endswith("Try again in 2 minutes.")
    assert access.lockout_message(5).endswith("Try again in 1 minute.")


# --- login-only reading -------------------------------------------------------------------------


def test_the_settings_install_the_reading_middleware(settings):
    assert READING_MIDDLEWARE in settings.MIDDLEWARE
    assert settings.MIDDLEWARE.index(READING_MIDDLEWARE) > settings.MIDDLEWARE.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware")


@pytest.fixture
def reading_middleware(settings):
    if READING_MIDDLEWARE not in settings.MIDDLEWARE:
        auth = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:auth + 1], READING_MIDDLEWARE,
                               *settings.MIDDLEWARE[auth + 1:]]
    return settings


@pytest.mark.parametrize("path", ["/", "/events/", "/actors/"])
def test_reading_is_public_by_default(reading_middleware, client, path):
    reading_middleware.PUBLIC_READING = True
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/", "/events/", "/actors/"])
def test_with_public_reading_off_a_visitor_is_sent_to_log_in(reading_middleware, client, path):
    reading_middleware.PUBLIC_READING = False
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


def test_with_public_reading_off_the_login_page_and_health_check_stay_open(
        reading_middleware, client):
    reading_middleware.PUBLIC_READING = False
    assert client.get(reverse("login")).status_code == 200
    # healthz answers 200 or raises (no 503 exists): the test database is up, so 200.
    health = client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"ok": True})


def test_with_public_reading_off_a_researcher_reads(reading_middleware, client):
    reading_middleware.PUBLIC_READING = False
    client.force_login(user_in("Researcher"))
    assert client.get("/events/").status_code == 200
