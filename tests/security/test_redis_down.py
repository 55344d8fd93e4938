"""With Redis down the site keeps serving reads and logins, and every action that
needs the broker says plainly that it did not happen, changing nothing.

The test starts its own redis-server on a free port (never the shared one), points
the cache and the Celery broker at it, stops it, and uses the site as people do.
Before: logins answered 500 (the throttle lived in that cache), "Poll now" failed
after pushing the next poll 15 minutes out, "Save source" reported an error
although the source was saved.
"""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from config.celery import app as celery_app
from statements.models import Source
from tests import factories
from tests.scenarios import PASSWORD, login, user_in
from tests.security.hostile import OwnRedis

pytestmark = pytest.mark.django_db


def _forget_connections():
    # Celery caches the connection pool and, apart from it, the producer pool built
    # on it: an earlier test's producers would still publish to the shared Redis.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def own_redis(settings):
    server = OwnRedis()
    server.start()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": server.url}
    }
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=server.url, task_always_eager=False)
    _forget_connections()
    yield server
    celery_app.conf.update(**saved)
    _forget_connections()
    if server.process.poll() is None:
        server.stop()


def test_reads_and_logins_work_with_redis_down(own_redis, client):
    factories.event("redis-down-event")
    user_in("Editor")
    own_redis.stop()

    for path in ["/", "/events/", "/events/redis-down-event/", "/actors/", "/statements/",
                 "/matrix/", "/sources/"]:
        assert client.get(path).status_code == 200, path

    client = Client(REMOTE_ADDR="198.51.100.20")
    wrong = client.post("/accounts/login/", {"username": "editor", "password": "nope"})
    assert wrong.status_code == 200
    right = client.post("/accounts/login/", {"username": "editor", "password": PASSWORD})
    assert right.status_code == 302
    assert client.get("/review/").status_code == 200
    # The throttle still counts (in the database): five failures still lock.
    other = Client(REMOTE_ADDR="198.51.100.21")
    for _ in range(5):
        other.post("/accounts/login/", {"username": "editor", "password": "nope"})
    locked = other.post("/accounts/login/", {"username": "editor", "password": PASSWORD})
    assert locked.status_code == 429


def test_poll_now_with_redis_down_says_so_and_changes_nothing(own_redis, client):
    source = factories.source(None, title="Some feed")
    due_at = timezone.now() - timedelta(minutes=1)
    Source.objects.filter(pk=source.pk).update(next_poll_at=due_at)
    login(client, "Admin")
    own_redis.stop()

    started = time.monotonic()
    page = client.post(f"/sources/{source.pk}/poll/", follow=True)

    assert page.status_code == 200
    assert time.monotonic() - started < 10
    html = page.content.decode()
    assert (
        "The task queue is unreachable: “Some feed” was not polled and nothing was changed"
    ) in html
    source.refresh_from_db()
    assert source.next_poll_at == due_at  # not pushed out for a poll that never ran

    own_redis.start()
    _forget_connections()
    page = client.post(f"/sources/{source.pk}/poll/", follow=True)
    assert "Poll of “Some feed” queued" in page.content.decode()
    assert own_redis.queued() == 1


def test_save_source_with_redis_down_saves_and_says_so_without_an_error(
    own_redis, client, feed_server
):
    login(client, "Admin")
    own_redis.stop()

    response = client.post("/sources/new/", {
        "url": feed_server.url("/feed.xml"), "title": "Saved anyway", "language": "en",
        "is_active": "on", "action": "save"}, follow=True)

    assert response.status_code == 200
    source = Source.objects.get(title="Saved anyway")
    assert source.next_poll_at is None or source.next_poll_at <= timezone.now()  # still due
    html = response.content.decode()
    assert "Source “Saved anyway” added" in html
    assert "notice--error" not in html
