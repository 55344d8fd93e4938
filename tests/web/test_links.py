"""Every internal link a page shows leads to a route that exists.

Replaces a test that only asserted reverse(): a hard-coded href="/statements/" in
the base template passed it while the page never used the name. Here the pages
themselves are rendered, for the most-privileged role (who sees every control),
and each href and form action that points inside the site must resolve().
"""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse

from tests.scenarios import login

pytestmark = pytest.mark.django_db

LINK = re.compile(r'(?:href|action|hx-get|hx-post)="([^"]*)"')


def internal_paths(html: str) -> set[str]:
    found = set()
    for raw in LINK.findall(html):
        url = urlsplit(raw.replace("&amp;", "&"))
        if url.scheme or url.netloc or not url.path.startswith("/"):
            continue  # external, a fragment (#main) or empty
        if url.path.startswith("/static/"):
            continue  # files, not routes
        found.add(url.path)
    return found


def pages(maduro):
    event, putin = maduro["event"], maduro["actors"]["putin"]
    statement = maduro["links"]["mfa"].statement
    return [
        reverse("home"), reverse("event-list"), event.get_absolute_url(),
        reverse("actor-list"), putin.get_absolute_url(), statement.get_absolute_url(),
        reverse("statement-search"), reverse("matrix"), reverse("source-list"),
        reverse("review"), reverse("curation-home"), reverse("alerts"),
        reverse("login"),
    ]


@pytest.mark.parametrize("role", ["anonymous", "Admin"])
def test_every_internal_link_on_the_pages_resolves(client, maduro, role):
    if role != "anonymous":
        login(client, role)
    checked = set()
    for path in pages(maduro):
        response = client.get(path)
        if response.status_code == 302:
            # The roles' pages send a visitor to log in, the login page sends a logged-in
            # user home; both redirects are tested where they are made.
            assert (role == "anonymous") != (path == reverse("login")), path
            continue
        assert response.status_code == 200, path
        for link in internal_paths(response.content.decode()):
            try:
                resolve(link)
            except Resolver404:
                pytest.fail(f"{path} links to {link}, which is no route")
            checked.add(link)
    # The navigation is among what was checked, so a broken nav link cannot hide.
    assert {reverse("statement-search"), reverse("matrix"), reverse("source-list")} <= checked


def test_the_navigation_is_written_with_url_names_not_paths(settings):
    # Moving an area to another prefix must move its nav link with it.
    base = (settings.BASE_DIR / "templates" / "base.html").read_text()
    assert not re.search(r'(?:href|action)="/', base), "base.html hard-codes a path"


def test_a_hard_coded_broken_link_would_be_caught():
    assert internal_paths('<a href="/no-such-area/">x</a><a href="https://e.org/">y</a>'
                          '<a href="#main">z</a>') == {"/no-such-area/"}
    with pytest.raises(Resolver404):
        resolve("/no-such-area/")
