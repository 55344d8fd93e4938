"""Shared test scenarios: the worlds several test modules build, written once.

Plain builders (call them inside a test, or a browser test's server thread) and,
in tests/conftest.py, the same worlds as fixtures (`maduro`, `desk`). No test module
imports another test module: what two of them share lives here.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import importlib
import io
import itertools
import re
import socket
from datetime import timedelta

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

import statements.tasks  # noqa: F401  (registers the tasks load_sample queues)
from actors.models import Actor, ActorGroup, Alias, Role
from statements.ingest.pipeline import poll_source
from statements.models import (
    EventLink,
    FetchAttempt,
    Flag,
    SilenceReview,
    Source,
    Statement,
    Tag,
)
from tests import factories as f
from tests.factories import utc

T0 = utc(2026, 1, 3, 6)
WINDOW_END = T0 + timedelta(hours=72)
AFTER = WINDOW_END + timedelta(days=30)
PASSWORD = "a long and correct horse battery"
Kind = Actor.Kind
_seq = itertools.count(1)


# --- the founding case -----------------------------------------------------------------


def build_maduro_scenario():
    """The founding case, condensed: Russia answers through its Foreign Ministry within
    hours, Putin stays silent although the Kremlin's feed covers the window, Cuba
    condemns at once, Iran answers days late, and nobody watches Xi or Belarus well
    enough to call them silent."""
    a = {}
    a["russia"] = f.actor("russia", kind=Kind.STATE, country="RU")
    a["kremlin"] = f.actor("kremlin", name="Presidential Executive Office",
                           kind=Kind.INSTITUTION, parent=a["russia"])
    a["putin"] = f.actor("vladimir-putin", name="Vladimir Putin", parent=a["kremlin"])
    a["peskov"] = f.actor("dmitry-peskov", name="Dmitry Peskov", parent=a["kremlin"],
                          speaks_for=[a["putin"]])
    a["mfa"] = f.actor("russian-mfa", name="Russian Ministry of Foreign Affairs",
                       kind=Kind.INSTITUTION, parent=a["russia"])
    a["zakharova"] = f.actor("maria-zakharova", name="Maria Zakharova", parent=a["mfa"],
                             speaks_for=[a["mfa"]])
    a["cuba"] = f.actor("cuba", kind=Kind.STATE, country="CU")
    a["iran"] = f.actor("iran-mfa", name="Iranian Foreign Ministry", kind=Kind.INSTITUTION,
                        country="IR")
    a["china"] = f.actor("china", kind=Kind.STATE, country="CN")
    a["xi"] = f.actor("xi-jinping", name="Xi Jinping", parent=a["china"])
    a["belarus"] = f.actor("belarus", kind=Kind.STATE, country="BY")
    a["un"] = f.actor("un-secretary-general", name="UN Secretary-General",
                      kind=Kind.ORGANIZATION)
    Role.objects.create(person=a["putin"], institution=a["kremlin"], title="President of Russia")

    allies = ActorGroup.objects.create(slug="russia-and-allies", name="Russia and allies")
    allies.members.set([a["russia"], a["putin"], a["cuba"], a["belarus"]])

    feeds = {
        "kremlin": f.source(a["kremlin"], title="Kremlin news", url="https://kremlin.example/rss"),
        "mfa": f.source(a["mfa"], title="MFA statements", url="https://mid.example/rss"),
        "cuba": f.source(a["cuba"], title="Cuban government", url="https://cuba.example/rss"),
        "iran": f.source(a["iran"], title="Iran MFA", url="https://iran.example/rss"),
        "belarus": f.source(a["belarus"], title="Belarus MFA", url="https://by.example/rss"),
        "un": f.source(a["un"], title="UN press", url="https://un.example/rss"),
    }
    for key in ("kremlin", "mfa", "iran", "un"):
        f.fetched(feeds[key], AFTER, oldest=T0 - timedelta(days=30))
    # Belarus: fetched before the event, then failing until well after the window.
    f.fetched(feeds["belarus"], T0 + timedelta(hours=10), oldest=T0 - timedelta(days=5))
    f.fetched(feeds["belarus"], T0 + timedelta(hours=30), outcome=FetchAttempt.Outcome.ERROR,
              error="HTTP 503")

    event = f.event(
        slug="maduro-capture-2026", title="United States captures Nicolás Maduro",
        occurred_at=T0, window_hours=72,
        description="US forces seize Venezuela's president and fly him to New York.",
        expected=[a["russia"], a["putin"], a["mfa"], a["cuba"], a["iran"], a["xi"],
                  a["belarus"], a["un"]],
    )
    event.tags.set([Tag.objects.create(slug="venezuela"), Tag.objects.create(slug="us")])

    def said(key, hours, title, stance="neutral", intensity=0, status="suggested", **kw):
        by = a[key]
        source = kw.pop("source", feeds.get(key) or feeds.get({"zakharova": "mfa"}.get(key, "")))
        stmt = f.statement(by, T0 + timedelta(hours=hours), source=source, title=title)
        stmt.url = f"https://news.example/{key}/{stmt.pk}"
        stmt.save(update_fields=["url"])
        return f.link(event, stmt, status=status, stance=stance, intensity=intensity,
                      cues=kw.get("cues", []), matched_terms=kw.get("terms", ["Venezuela"]))

    links = {
        "warning": said("mfa", -3, "On the situation around Venezuela", "concern", 1,
                        terms=["Venezuela"]),
        "mfa": said("mfa", 5.5, "Statement on the US armed aggression against Venezuela",
                    "condemns", 2, status="confirmed",
                    cues=["armed aggression", "condemnable"], terms=["Venezuela", "Maduro"]),
        "cuba": said("cuba", 2, "Cuba denounces state terrorism against Venezuela",
                     "condemns", 3, cues=["state terrorism"]),
        "un": said("un", 20, "Secretary-General deeply alarmed by events in Venezuela",
                   "concern", 1, cues=["deeply alarmed"]),
        "zakharova": said("zakharova", 30, "Briefing: Zakharova on Venezuela", "concern", 1),
        "mfa_later": said("mfa", 100, "On preserving the sovereignty of Venezuela",
                          "concern", 1, cues=["sovereignty"]),
        "iran": said("iran", 16 * 24, "Iran condemns the abduction of President Maduro",
                     "condemns", 2),
        "rejected": said("kremlin", 8, "Putin meets the governor of Kursk region",
                         status=EventLink.Status.REJECTED, terms=["Venezuela"]),
    }
    return {"event": event, "actors": a, "feeds": feeds, "links": links, "group": allies}


def text_of(html):
    """The visible text, whitespace collapsed, to assert what a reader sees."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(a|strong|em|span|time)\b[^>]*>", "", html)  # inline: no gap
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- people and roles ------------------------------------------------------------------


def ensure_roles() -> None:
    """The role groups come from a data migration; a transactional test (the browser's)
    flushes the tables after it runs, so later tests re-create them the same way."""
    if Group.objects.filter(name="Editor").exists():
        return
    roles = importlib.import_module("statements.migrations.0003_roles")
    # create_roles clears models_module on the app configs it is given (fine on a
    # migration's frozen state, not on the live registry): put them back afterwards.
    saved = {config.label: config.models_module for config in apps.get_app_configs()}
    try:
        roles.create_roles(apps, None)
    finally:
        for config in apps.get_app_configs():
            config.models_module = saved[config.label]


def user_in(role: str, username: str | None = None) -> User:
    """A user holding one of the role groups of migration 0003 (Admins are also staff)."""
    ensure_roles()
    user = User.objects.create_user(username or role.lower(), password=PASSWORD,
                                    is_staff=role == "Admin")
    user.groups.add(Group.objects.get(name=role))
    return user


def client_for(role: str, **kwargs) -> Client:
    client = Client(**kwargs)
    if role != "anonymous":
        client.force_login(user_in(role))
    return client


def build_desk():
    """One closed event with a suggested link, an open flag and a silence awaiting review."""
    putin = f.actor("vladimir-putin", name="Vladimir Putin")
    mfa = f.actor("russian-mfa", name="Russian MFA", kind=Actor.Kind.INSTITUTION)
    event = f.event(slug="maduro-capture-2026", title="United States captures Maduro",
                    occurred_at=T0, expected=[putin, mfa], terms={"en": ["Maduro"]})
    statement = f.statement(mfa, T0 + timedelta(hours=5), title="Statement on Maduro")
    link = f.link(event, statement, stance="concern", intensity=1, matched_terms=["Maduro"])
    flag = Flag.objects.create(kind=Flag.Kind.MISSING_RESPONSE, event=event, actor=putin,
                               note="Check the Kremlin's Telegram")
    # Putin's own feed vouches for the window, so his silence is one an editor can confirm.
    f.fetched(f.source(putin, title="Kremlin news"), T0 + timedelta(days=10),
              oldest=T0 - timedelta(days=30))
    review = SilenceReview.objects.create(event=event, actor=putin, status_at_close="silent")
    return {"putin": putin, "mfa": mfa, "event": event, "statement": statement, "link": link,
            "flag": flag, "review": review}


def login(client: Client, role: str, username: str | None = None) -> User:
    """Log an existing test client in as a new user holding `role`."""
    user = user_in(role, username)
    client.force_login(user)
    return user


# --- search: five statements in two languages ------------------------------------------


def search_said(by, title, text="", *, language="en", when=None, source=None) -> Statement:
    n = next(_seq)
    return Statement.objects.create(
        source=source, actor=by, attribution=Statement.Attribution.FEED_DEFAULT,
        entry_id=f"search-{n}", url=f"https://news.example/{n}", title=title, body_text=text,
        language=language, published_at=when or T0 + timedelta(hours=n),
        content_hash=hashlib.sha256(f"search-{n}".encode()).hexdigest(),
    )


def build_world_for_browser():
    """Five statements for the browser test: sanctions and Maduro in both languages."""
    mfa = f.actor("russian-mfa", name="Russian Foreign Ministry", kind=Kind.INSTITUTION)
    maduro = f.actor("nicolas-maduro", name="Nicolás Maduro")
    Alias.objects.create(actor=maduro, text="Maduro", lang="en")
    Alias.objects.create(actor=maduro, text="Мадуро", lang="ru")
    return [
        search_said(mfa, "О санкциях", "Новые санкции против Каракаса недопустимы.", language="ru"),
        search_said(mfa, "On sanctions", "Sanctions against Caracas are unacceptable."),
        search_said(mfa, "О задержании Мадуро", "Задержание Николаса Мадуро.", language="ru"),
        search_said(mfa, "On the capture of Maduro", "The capture of Nicolas Maduro."),
        search_said(mfa, "On economic issues", "Growth and budgets."),
    ]


# --- the demo's sample ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_sample_on_a_free_port(settings) -> str:
    """The demo's sample through the real pipeline, its feeds on a free port (8000 is the
    developer's, and load_sample refuses a busy one). Returns the feeds' base URL."""
    settings.SAMPLE_FEEDS_BASE_URL = f"http://127.0.0.1:{free_port()}/sample-feeds/"
    call_command("load_sample", stdout=io.StringIO())
    return settings.SAMPLE_FEEDS_BASE_URL


# --- evidence (issue 11): feeds that freeze, a date of 1900, a live silence ----------------

EVIDENCE_T0 = utc(2026, 3, 10, 6)
T0_E = EVIDENCE_T0


def _daily(src, by, first, last, what="Meeting on economic issues"):
    day = first
    while day <= last:
        f.statement(by, day.replace(hour=9), source=src, title=f"{what} ({day:%-d %b})")
        day += timedelta(days=1)


def build_evidence_world(feed_server):
    """The issue 11 scenario: a frozen feed, a live one, a feed with an entry dated 1900."""
    putin = f.actor("vladimir-putin", name="Vladimir Putin")
    lavrov = f.actor("sergey-lavrov", name="Sergey Lavrov")
    mfa = f.actor("russian-mfa", name="Russian MFA", kind=Actor.Kind.INSTITUTION)
    event = f.event(slug="port-strike", title="Strike on a port", occurred_at=T0_E,
                    expected=[putin, lavrov, mfa], terms={"en": ["port"]})

    # Kremlin: daily until 3 March, then the CMS answers 200 with the same list for weeks.
    kremlin = f.source(putin, title="Kremlin news")
    _daily(kremlin, putin, utc(2026, 1, 20), utc(2026, 3, 3))
    for day in range(20):
        f.fetched(kremlin, utc(2026, 3, 3, 12) + timedelta(days=day), oldest=utc(2026, 2, 1, 9))
    Source.objects.filter(pk=kremlin.pk).update(last_attempt_at=utc(2026, 3, 22, 12))

    # Lavrov's feed is alive: he spoke of other things every day of the window.
    lavrov_feed = f.source(lavrov, title="Lavrov's remarks")
    _daily(lavrov_feed, lavrov, utc(2026, 2, 1), utc(2026, 3, 30), what="Talks with Laos")
    f.fetched(lavrov_feed, utc(2026, 3, 30, 12), oldest=utc(2026, 2, 1, 9))

    # The MFA feed, polled once for real: one entry dated 1900 next to two of March.
    items = "".join(
        f"<item><guid>mfa-{n}</guid><title>Briefing {n}</title><pubDate>{when}</pubDate></item>"
        for n, when in enumerate(["Mon, 01 Jan 1900 00:00:00 GMT",
                                  "Sun, 15 Mar 2026 09:00:00 GMT",
                                  "Sat, 14 Mar 2026 09:00:00 GMT"]))
    mfa_feed = f.source(mfa, title="MFA briefings", created_at=utc(2026, 1, 1),
                        url=feed_server.serve("/mfa.xml", f"<rss version='2.0'><channel>"
                                              f"<title>MFA</title>{items}</channel></rss>"))
    poll_source(source=mfa_feed, now=utc(2026, 3, 15, 12))

    return {"event": event, "putin": putin, "lavrov": lavrov, "mfa": mfa}
