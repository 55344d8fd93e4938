"""Alerts: the four kinds of subscription, delivery once per occurrence (across runs, and
across two runs at the same time), e-mail through Django's mail framework, the page."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

from actors.models import Actor
from statements.alerts.delivery import deliver_alerts
from statements.models import Alert, Statement, Subscription, Tag
from tests import factories as f
from tests.factories import utc

T0 = utc(2026, 1, 3, 6)
BEFORE = T0 - timedelta(days=1)
Kind = Subscription.Kind


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def build_world():
    """Russia, its Kremlin with Putin (Peskov speaks for him) and its Foreign Ministry;
    the capture of Maduro at T0, expected of Russia, Putin and the ministry; the Kremlin's
    feed vouches for the whole window."""
    russia = f.actor("russia", kind=Actor.Kind.STATE)
    kremlin = f.actor("kremlin", name="Presidential Executive Office",
                      kind=Actor.Kind.INSTITUTION, parent=russia)
    putin = f.actor("vladimir-putin", name="Vladimir Putin", parent=kremlin)
    f.actor("dmitry-peskov", name="Dmitry Peskov", parent=kremlin, speaks_for=[putin])
    mfa = f.actor("russian-mfa", name="Russian Foreign Ministry", kind=Actor.Kind.INSTITUTION,
                  parent=russia)
    feeds = {"kremlin": f.source(putin, title="Kremlin"), "mfa": f.source(mfa, title="MID")}
    for feed in feeds.values():
        f.fetched(feed, T0 + timedelta(days=40), oldest=T0 - timedelta(days=30))
    event = f.event(slug="maduro-capture-2026", title="US captures Maduro", occurred_at=T0,
                    expected=[russia, putin, mfa])
    venezuela = Tag.objects.create(slug="venezuela")
    event.tags.set([venezuela])
    return {"russia": russia, "kremlin": kremlin, "putin": putin, "mfa": mfa,
            "feeds": feeds, "event": event, "venezuela": venezuela}


def speak(actor, at, title, *, event=None, stance="neutral", intensity=0, source=None):
    """A statement fetched when it was published, linked to `event` at that moment."""
    statement = f.statement(actor, at, source=source, title=title)
    Statement.objects.filter(pk=statement.pk).update(fetched_at=at)
    if event is not None:
        f.link(event, statement, stance=stance, intensity=intensity, created_at=at)
    return statement


def user(name="researcher", email="researcher@example.org"):
    return get_user_model().objects.create_user(name, email, "a-long-password-1")


def subscribe(who, kind, created_at=BEFORE, **fields):
    return Subscription.objects.create(user=who, kind=kind, created_at=created_at, **fields)


def keys(subscription):
    return sorted(subscription.alerts.values_list("occurrence_key", flat=True))


@pytest.fixture
def world(db):
    return build_world()


# --- what counts as an occurrence -----------------------------------------------------------


def test_an_actor_speaking_is_alerted_once_by_email(world):
    reader = user()
    subscription = subscribe(reader, Kind.ACTOR_SPEAKS, actor=world["russia"])
    speak(world["mfa"], BEFORE - timedelta(hours=1), "Said before the subscription")
    said = speak(world["mfa"], T0 + timedelta(hours=5), "Statement on the US aggression")

    assert deliver_alerts(now=T0 + timedelta(hours=6)) == 1
    assert keys(subscription) == [f"statement:{said.pk}"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["researcher@example.org"]
    assert message.subject == ("[Statement tracker] Russian Foreign Ministry spoke: "
                               "Statement on the US aggression")
    assert f"/statements/{said.pk}/" in message.body and "/alerts/" in message.body
    assert Alert.objects.get().emailed_at == T0 + timedelta(hours=6)

    # Later runs find the same occurrence again and deliver nothing.
    assert deliver_alerts(now=T0 + timedelta(hours=6)) == 0
    assert deliver_alerts(now=T0 + timedelta(hours=7)) == 0
    assert len(mail.outbox) == 1 and Alert.objects.count() == 1


def test_an_actor_speaking_about_an_event_or_a_topic(world):
    reader = user()
    on_event = subscribe(reader, Kind.ACTOR_SPEAKS, actor=world["mfa"], event=world["event"])
    on_topic = subscribe(reader, Kind.ACTOR_SPEAKS, tag=world["venezuela"])
    on_other = subscribe(reader, Kind.ACTOR_SPEAKS, actor=world["mfa"],
                         tag=Tag.objects.create(slug="syria"))
    speak(world["mfa"], T0 + timedelta(hours=2), "On trade with Brazil")  # not linked
    linked = speak(world["mfa"], T0 + timedelta(hours=5), "On Venezuela", event=world["event"],
                   stance="condemns", intensity=2)
    assert deliver_alerts(now=T0 + timedelta(hours=6)) == 2
    assert keys(on_event) == keys(on_topic) == [f"statement:{linked.pk}"]
    assert keys(on_other) == []
    alert = on_event.alerts.get()
    assert alert.title == "Russian Foreign Ministry spoke on “US captures Maduro”: On Venezuela"
    assert "(+5.0 h after T0)" in alert.body
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "[Statement tracker] 2 new alerts"


def test_an_expected_actor_still_silent_n_hours_after_the_event(world):
    reader = user()
    subscription = subscribe(reader, Kind.STILL_SILENT, hours=24)
    speak(world["mfa"], T0 + timedelta(hours=5), "On Venezuela", event=world["event"])
    assert deliver_alerts(now=T0 + timedelta(hours=23)) == 0
    # Putin has said nothing; Russia answered through its ministry.
    assert deliver_alerts(now=T0 + timedelta(hours=25)) == 1
    putin = world["putin"]
    assert keys(subscription) == [f"silent:{world['event'].pk}:{putin.pk}"]
    alert = subscription.alerts.get()
    assert alert.title == "Vladimir Putin still silent 24 h after “US captures Maduro”"
    assert "window is open until 2026-01-06 06:00 UTC" in alert.body
    assert alert.url == "/events/maduro-capture-2026/#status"
    assert deliver_alerts(now=T0 + timedelta(hours=80)) == 0  # still silent: not again


def test_a_silence_that_ended_before_the_threshold_is_not_alerted(world):
    subscription = subscribe(user(), Kind.STILL_SILENT, hours=48, actor=world["putin"])
    speak(world["putin"], T0 + timedelta(hours=30), "Putin on Venezuela", event=world["event"])
    assert deliver_alerts(now=T0 + timedelta(hours=49)) == 0
    assert keys(subscription) == []


def test_a_leader_finally_speaking_after_a_silence(world):
    reader = user()
    any_leader = subscribe(reader, Kind.BREAKS_SILENCE)
    the_ministry = subscribe(reader, Kind.BREAKS_SILENCE, actor=world["mfa"])
    late = speak(world["putin"], T0 + timedelta(hours=100), "Putin comments on Venezuela",
                 event=world["event"], stance="concern", intensity=1)
    assert deliver_alerts(now=T0 + timedelta(hours=101)) == 1
    alert = any_leader.alerts.get()
    assert alert.occurrence_key == f"breaks:{world['event'].pk}:{world['putin'].pk}"
    assert alert.title == ("Vladimir Putin spoke on “US captures Maduro” after the window "
                           "closed")
    assert "said nothing in the 72-hour window, then spoke at +100.0 h (4.2 d)" in alert.body
    assert alert.url == f"/statements/{late.pk}/"
    # The Kremlin answered late too (through Putin), but it is not a leader.
    assert keys(the_ministry) == []
    assert deliver_alerts(now=T0 + timedelta(hours=120)) == 0


def test_speaking_in_the_window_is_no_broken_silence(world):
    subscription = subscribe(user(), Kind.BREAKS_SILENCE, actor=world["putin"])
    speak(world["putin"], T0 + timedelta(hours=10), "In time", event=world["event"])
    speak(world["putin"], T0 + timedelta(hours=100), "Again, late", event=world["event"])
    assert deliver_alerts(now=T0 + timedelta(hours=101)) == 0
    assert keys(subscription) == []


def test_a_stance_escalating(world):
    subscription = subscribe(user(), Kind.ESCALATION, event=world["event"])
    speak(world["mfa"], T0 + timedelta(hours=5), "Concerned", event=world["event"],
          stance="concern", intensity=1)
    assert deliver_alerts(now=T0 + timedelta(hours=6)) == 0  # a first word escalates nothing
    graver = speak(world["mfa"], T0 + timedelta(hours=30), "Condemns", event=world["event"],
                   stance="condemns", intensity=1)
    speak(world["mfa"], T0 + timedelta(hours=40), "Calmer", event=world["event"],
          stance="neutral", intensity=0)
    sharper = speak(world["mfa"], T0 + timedelta(hours=50), "Condemns harder",
                    event=world["event"], stance="condemns", intensity=3)
    # Another actor's milder word after the ministry's is not the ministry escalating.
    speak(world["putin"], T0 + timedelta(hours=51), "Mild", event=world["event"],
          stance="concern", intensity=1)
    assert deliver_alerts(now=T0 + timedelta(hours=52)) == 2
    links = {link.statement_id: link.pk for link in world["event"].links.all()}
    assert keys(subscription) == sorted([f"escalation:{links[graver.pk]}",
                                         f"escalation:{links[sharper.pk]}"])
    titles = sorted(subscription.alerts.values_list("title", flat=True))
    assert titles == [
        "Russian Foreign Ministry escalates on “US captures Maduro”: concern 1 → condemns 1",
        "Russian Foreign Ministry escalates on “US captures Maduro”: condemns 1 → condemns 3",
    ]


def test_paused_subscriptions_and_inactive_users_get_nothing(world):
    paused = subscribe(user(), Kind.ACTOR_SPEAKS, actor=world["mfa"])
    paused.active = False
    paused.save()
    gone = user("gone", "gone@example.org")
    gone.is_active = False
    gone.save()
    subscribe(gone, Kind.ACTOR_SPEAKS, actor=world["mfa"])
    speak(world["mfa"], T0, "Something")
    assert deliver_alerts(now=T0 + timedelta(hours=1)) == 0
    assert not mail.outbox


def test_a_user_without_an_email_address_gets_the_feed_only(world):
    subscription = subscribe(user("quiet", ""), Kind.ACTOR_SPEAKS, actor=world["mfa"])
    speak(world["mfa"], T0, "Something")
    assert deliver_alerts(now=T0 + timedelta(hours=1)) == 1
    assert subscription.alerts.get().emailed_at is None and not mail.outbox
    assert deliver_alerts(now=T0 + timedelta(hours=2)) == 0 and not mail.outbox


# --- once, never twice ---------------------------------------------------------------------


def test_a_failed_email_is_tried_again_later_and_sent_once(world, settings):
    subscribe(user(), Kind.ACTOR_SPEAKS, actor=world["mfa"])
    speak(world["mfa"], T0, "Something")
    now = T0 + timedelta(hours=1)
    settings.EMAIL_BACKEND = "tests.alerts.test_delivery.FailingBackend"
    assert deliver_alerts(now=now) == 1
    alert = Alert.objects.get()
    assert alert.emailed_at is None and alert.attempted_at == now
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    deliver_alerts(now=now + timedelta(minutes=5))
    assert not mail.outbox  # too soon: it may still be on its way
    deliver_alerts(now=now + timedelta(minutes=20))
    assert len(mail.outbox) == 1 and "Something" in mail.outbox[0].subject
    deliver_alerts(now=now + timedelta(minutes=40))
    assert len(mail.outbox) == 1


def subscribe_to_everything(reader, world):
    subscribe(reader, Kind.ACTOR_SPEAKS, actor=world["russia"])
    subscribe(reader, Kind.ACTOR_SPEAKS, actor=world["mfa"], tag=world["venezuela"])
    subscribe(reader, Kind.STILL_SILENT, hours=24)
    subscribe(reader, Kind.BREAKS_SILENCE)
    subscribe(reader, Kind.ESCALATION)


def _busy_world(world, users=3):
    readers = [user(f"r{i}", f"r{i}@example.org") for i in range(users)]
    for reader in readers:
        subscribe_to_everything(reader, world)
    for i in range(20):
        speak(world["mfa"], T0 + timedelta(hours=1 + i), f"Note {i}", event=world["event"],
              stance="concern" if i < 10 else "condemns", intensity=i % 4)
    return readers


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_deliver_each_occurrence_once():
    world = build_world()
    readers = _busy_world(world)
    now = T0 + timedelta(hours=30)
    start = threading.Barrier(2)
    created, errors = [], []

    def run():
        try:
            start.wait()
            created.append(deliver_alerts(now=now))
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    # Per reader: 20 statements (twice: by Russia, and by its ministry on the topic),
    # Putin silent after 24 h, and the escalations.
    total = Alert.objects.count()
    assert total == sum(created) and total >= len(readers) * 41
    assert Alert.objects.filter(emailed_at__isnull=True).count() == 0
    # Each reader got each alert in exactly one message.
    delivered = {}
    for message in mail.outbox:
        for line in message.body.split("\n\n")[:-1]:
            delivered.setdefault(message.to[0], []).append(line.split("\n")[0])
    for reader in readers:
        titles = delivered[reader.email]
        assert len(titles) == len(set(titles)) == Alert.objects.filter(
            subscription__user=reader).count()
    assert deliver_alerts(now=now) == 0


@pytest.mark.django_db
def test_delivery_takes_the_same_queries_for_few_or_many_subscriptions(
        world, django_assert_max_num_queries):
    def run(now):
        with django_assert_max_num_queries(40) as queries:
            deliver_alerts(now=now)
        return len(queries.captured_queries)

    _busy_world(world, users=1)
    few = run(T0 + timedelta(hours=30))
    for i in range(8):
        subscribe_to_everything(user(f"more{i}", f"more{i}@example.org"), world)
    speak(world["mfa"], T0 + timedelta(hours=31), "More", event=world["event"],
          stance="condemns", intensity=3)
    assert run(T0 + timedelta(hours=50)) == few


def test_the_celery_task_delivers(db):
    from django.utils import timezone

    from statements.tasks import send_alerts

    world = build_world()
    subscribe(user(), Kind.ACTOR_SPEAKS, actor=world["mfa"],
              created_at=timezone.now() - timedelta(hours=1))
    f.statement(world["mfa"], timezone.now(), title="Just now")
    assert send_alerts() == 1
    assert len(mail.outbox) == 1


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_alerts_page_needs_a_login(client):
    response = client.get("/alerts/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_user_subscribes_pauses_and_deletes(client, world):
    reader = user()
    client.force_login(reader)
    response = client.post("/alerts/", {"kind": "actor_speaks", "actor": world["putin"].pk,
                                        "tag": world["venezuela"].pk})
    assert response.status_code == 302
    subscription = Subscription.objects.get(user=reader)
    assert subscription.describe() == "Vladimir Putin speaks on #venezuela"
    page = client.get("/alerts/").content.decode()
    assert "Vladimir Putin speaks on #venezuela" in page and "Subscribed:" in page
    assert "/feed.atom" in page
    client.post(f"/alerts/{subscription.pk}/toggle/")
    subscription.refresh_from_db()
    assert not subscription.active
    client.post(f"/alerts/{subscription.pk}/delete/")
    assert not Subscription.objects.exists()


def test_the_form_explains_what_is_missing(client, world):
    client.force_login(user())
    html = client.post("/alerts/", {"kind": "actor_speaks"}).content.decode()
    assert "Choose an actor, an event or a tag" in html
    html = client.post("/alerts/", {"kind": "still_silent"}).content.decode()
    assert "Say after how many hours a silence is worth an alert." in html
    assert not Subscription.objects.exists()


def test_nobody_changes_anothers_subscriptions(client, world):
    owner = user("owner", "owner@example.org")
    subscription = subscribe(owner, Kind.ACTOR_SPEAKS, actor=world["mfa"])
    client.force_login(user("other", "other@example.org"))
    assert client.post(f"/alerts/{subscription.pk}/delete/").status_code == 404
    assert client.post(f"/alerts/{subscription.pk}/toggle/").status_code == 404
    assert client.get(f"/alerts/{subscription.pk}/delete/").status_code == 405
    assert Subscription.objects.get().active
