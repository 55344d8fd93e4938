"""Adding a source from the site: test the feed first (nothing stored), then save."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from actors.models import Actor, Alias
from config.celery import app as celery_app
from statements.ingest.preview import preview_feed
from statements.models import FetchAttempt, Source, Statement
from tests import factories as f
from tests.scenarios import login

pytestmark = pytest.mark.django_db

FEEDS = Path(__file__).parent.parent / "feeds"


@pytest.fixture
def speakers():
    mfa = f.actor("russian-mfa", kind=Actor.Kind.INSTITUTION, name="Russian Foreign Ministry")
    zakharova = f.actor("maria-zakharova", name="Maria Zakharova", parent=mfa)
    lavrov = f.actor("sergey-lavrov", name="Sergey Lavrov", parent=mfa)
    Alias.objects.create(actor=zakharova, text="Захарова", lang="ru")
    Alias.objects.create(actor=mfa, text="МИД России", lang="ru")
    return {"mfa": mfa, "zakharova": zakharova, "lavrov": lavrov}


def nothing_stored():
    return not (Source.objects.exists() or Statement.objects.exists()
                or FetchAttempt.objects.exists())


def test_the_preview_reads_the_feed_and_attributes_each_entry_without_storing(
        feed_server, speakers):
    url = feed_server.serve("/feed.xml", FEEDS / "rss20.xml")

    preview = preview_feed(url=url, default_actor=speakers["mfa"], now=timezone.now())

    assert preview.ok and preview.feed.title == "Ministry of Foreign Affairs: News"
    assert [(e.entry.title[:30], e.actor.slug, e.attribution) for e in preview.entries] == [
        ("Foreign Minister Sergey Lavrov", "sergey-lavrov", "name_match"),
        ("Statement on the developments ", "russian-mfa", "feed_default"),
        ("Comment by the Information and", "russian-mfa", "feed_default"),
    ]
    assert preview.entries[0].language == "en"
    assert "<script>" not in preview.entries[0].entry.body_html
    assert nothing_stored()


def test_a_feed_that_cannot_be_read_gives_the_reason(feed_server):
    missing = feed_server.url("/missing.xml")
    not_a_feed = feed_server.serve("/page.html", FEEDS / "not_a_feed.html",
                                   content_type="text/html")

    assert preview_feed(url=missing, default_actor=None, now=timezone.now()).error == \
        "HTTP 404 Not Found"
    assert "Not a readable feed" in preview_feed(
        url=not_a_feed, default_actor=None, now=timezone.now()).error
    assert nothing_stored()


def test_the_preview_is_guarded_like_a_poll(settings, feed_server):
    settings.FEED_ALLOW_PRIVATE_HOSTS = False
    url = feed_server.serve("/feed.xml", FEEDS / "rss20.xml")

    preview = preview_feed(url=url, default_actor=None, now=timezone.now())

    assert preview.error == "Refused: 127.0.0.1 is a loopback address"
    assert feed_server.requests == []


# --- the page ---------------------------------------------------------------------------------


def test_an_admin_tests_a_feed_on_the_page(client, feed_server, speakers):
    url = feed_server.serve("/ru.xml", FEEDS / "ru_utf8.xml")
    login(client, "Admin")

    page = client.post(reverse("source-create"), {"url": url, "actor": speakers["mfa"].pk,
                                                  "action": "preview"})

    html = page.content.decode()
    assert page.status_code == 200 and "<h1>Add a source</h1>" in html
    assert "Preview: МИД России: Новости" in html
    assert "Брифинг официального представителя МИД России М.В.Захаровой" in html
    assert "<strong>Maria Zakharova</strong>" in html and "Speaker named in the title" in html
    assert f'value="{url}"' in html  # the form keeps what was typed, to save it next
    assert nothing_stored()


def test_htmx_gets_only_the_preview_fragment(client, feed_server, speakers):
    url = feed_server.serve("/feed.xml", FEEDS / "rss20.xml")
    login(client, "Admin")

    fragment = client.post(reverse("source-create"), {"url": url, "action": "preview"},
                           headers={"HX-Request": "true"})

    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="feed-preview"')
    assert "<h1>" not in html and "Sergey Lavrov" in html
    assert fragment["Vary"] == "HX-Request, Cookie" or "HX-Request" in fragment["Vary"]


def test_a_bad_address_is_explained_in_the_preview(client):
    login(client, "Admin")
    page = client.post(reverse("source-create"), {"url": "not a url", "action": "preview"},
                       headers={"HX-Request": "true"})
    assert "Fix the address to test the feed" in page.content.decode()


def test_saving_stores_the_source_and_queues_its_first_poll(
        client, feed_server, speakers, eager_tasks, django_capture_on_commit_callbacks):
    url = feed_server.serve("/feed.xml", FEEDS / "rss20.xml")
    login(client, "Admin")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("source-create"), {
            "url": url, "title": "", "actor": speakers["mfa"].pk, "language": "en",
            "is_active": "on", "action": "save"})

    source = Source.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("source-list") + f"#source-{source.pk}"
    assert (source.actor, source.language, source.is_partial) == (speakers["mfa"], "en", False)
    assert source.title == "Ministry of Foreign Affairs: News"  # filled in by the first poll
    assert source.statements.count() == 3
    # Its health shows at once (the sample feed's entries are old: "silent", not failing).
    health = client.get(reverse("source-list")).content.decode()
    row = health[health.index(f'id="source-{source.pk}"'):]
    row = row[:row.index("</tr>")]
    assert '<span class="outcome outcome--ok">Fetched · 3 new of 3</span>' in row


def test_a_feed_already_tracked_is_refused(client, speakers):
    existing = f.source(speakers["mfa"], url="https://mid.example.org/rss", title="MID")
    login(client, "Admin")

    page = client.post(reverse("source-create"), {"url": existing.url, "action": "save"})

    assert "This feed is already a source: “MID”." in page.content.decode()
    assert Source.objects.count() == 1


@pytest.mark.parametrize("role", ["Researcher", "Editor"])
def test_only_admins_add_sources(client, role, feed_server):
    url = feed_server.serve("/feed.xml", FEEDS / "rss20.xml")
    login(client, role)

    assert client.get(reverse("source-create")).status_code == 403
    assert client.post(reverse("source-create"), {"url": url, "action": "save"}).status_code \
        == 403
    assert client.post(reverse("source-create"), {"url": url, "action": "preview"}).status_code \
        == 403
    assert nothing_stored() and feed_server.requests == []


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("source-create"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/sources/new/"
    assert client.post(reverse("source-create"), {"url": "https://x.example.org/f",
                                                  "action": "save"}).status_code == 403
    assert nothing_stored()


def test_the_web_process_only_queues_the_fetch_and_the_page_picks_the_result_up(
        client, feed_server, speakers):
    # With a broker, the preview is a task: the request that asks for it fetches nothing.
    from statements import tasks

    url = feed_server.serve("/feed.xml", FEEDS / "rss20.xml")
    login(client, "Admin")
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # queued on the in-memory broker, not run
    try:
        asked = client.post(reverse("source-create"), {"url": url, "action": "preview"},
                            headers={"HX-Request": "true"})
    finally:
        celery_app.conf.task_always_eager = previous
    html = asked.content.decode()
    assert "A worker is fetching the feed" in html and feed_server.requests == []
    token = html.split("/sources/new/preview/")[1].split("/")[0]
    poll = reverse("source-preview", args=[token])
    assert "A worker is fetching the feed" in client.get(poll, headers={"HX-Request": "true"}
                                                          ).content.decode()

    # What the worker does with the queued task:
    tasks.preview_feed(token=token, url=url, actor_id=speakers["mfa"].pk, language="")

    done = client.get(poll, headers={"HX-Request": "true"}).content.decode()
    assert "Preview: Ministry of Foreign Affairs: News" in done and "Sergey Lavrov" in done
    assert len(feed_server.requests) == 1 and nothing_stored()
    # Another admin cannot read someone else's preview.
    client.force_login(User.objects.create_user("other", password="pw", is_staff=True))
    User.objects.get(username="other").groups.add(Group.objects.get(name="Admin"))
    assert "expired" in client.get(poll, headers={"HX-Request": "true"}).content.decode()
