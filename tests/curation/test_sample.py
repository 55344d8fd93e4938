"""load_sample: the demo's data set and feeds, ingested through the real pipeline."""

import io
import re
import subprocess
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from actors.models import Actor
from statements.curation.datasets import parse_time, validate_dataset
from statements.curation.sample import CANONICAL_BASE_URL, sample_dataset, serve_sample_feeds
from statements.ingest.feedparse import parse_feed
from statements.models import Event, EventLink, FetchAttempt, Source, Stance, Statement
from statements.responses.statuses import event_responses
from tests.feedserver import feed_server  # noqa: F401 (a fixture)
from tests.scenarios import free_port

pytestmark = pytest.mark.django_db

FEED_FILES = sorted(p.name for p in django_settings.SAMPLE_FEEDS_DIR.glob("*.xml"))


@pytest.fixture
def base_url(settings):
    # Port 8000 belongs to the developer's server; the sample moves to a free port.
    settings.SAMPLE_FEEDS_BASE_URL = f"http://127.0.0.1:{free_port()}/sample-feeds/"
    return settings.SAMPLE_FEEDS_BASE_URL


def load(**options) -> str:
    out = io.StringIO()
    call_command("load_sample", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def loaded(base_url):
    return load()


def feed_body(name) -> bytes:
    return (django_settings.SAMPLE_FEEDS_DIR / name).read_bytes()


def statement(source_file, title_part) -> Statement:
    return Statement.objects.select_related("actor").get(
        source__url__endswith="/" + source_file, title__contains=title_part
    )


def linked_to(event_slug, **filters):
    return EventLink.objects.filter(event__slug=event_slug, **filters).select_related(
        "statement__actor", "statement__source"
    )


def responder(event_slug, actor_slug):
    responses = event_responses(event=Event.objects.get(slug=event_slug), now=timezone.now())
    (found,) = [r for r in responses.responders if r.actor.slug == actor_slug]
    return found


@pytest.mark.smoke
def test_the_sample_data_set_is_valid_and_names_its_feeds_by_the_canonical_address():
    data = sample_dataset(base_url=CANONICAL_BASE_URL)
    validated = validate_dataset(data)
    assert len(validated.actors) >= 12
    assert {e.slug for e in validated.events} == {
        "venezuela-crisis-2019", "kazakhstan-unrest-2022", "assad-fall-2024",
        "iran-crackdown-2026", "maduro-capture-2026"}
    served = {s.url.removeprefix(CANONICAL_BASE_URL) for s in validated.sources}
    assert served == set(FEED_FILES)


@pytest.mark.smoke
def test_every_complete_sample_feed_reaches_back_before_every_event():
    # A successful fetch vouches for [oldest listed entry, fetch time]: for a
    # silence to be provable, each feed must list entries older than every window.
    data = sample_dataset(base_url=CANONICAL_BASE_URL)
    earliest = min(parse_time(e["occurred_at"]) for e in data["events"]) - timedelta(hours=24)
    for source in data["sources"]:
        name = source["url"].removeprefix(CANONICAL_BASE_URL)
        feed = parse_feed(feed_body(name), content_type="application/xml",
                          fetched_at=timezone.now())
        assert not feed.warning, (name, feed.warning)
        assert min(e.published_at for e in feed.entries) < earliest, name


def test_load_sample_refuses_while_private_hosts_are_refused(settings, base_url):
    settings.FEED_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(CommandError, match="FEED_ALLOW_PRIVATE_HOSTS=1"):
        load()
    assert not Actor.objects.exists()


def test_it_stores_every_entry_of_every_sample_feed(loaded, base_url):
    for name in FEED_FILES:
        source = Source.objects.get(url=base_url + name)
        listed = len(re.findall(rb"<(?:item|entry)[\s>]", feed_body(name)))
        (attempt,) = source.attempts.all()
        assert (attempt.outcome, attempt.http_status) == (FetchAttempt.Outcome.OK, 200), name
        assert attempt.entries_seen == attempt.entries_new == listed, name
        assert source.statements.count() == listed, name
    assert "Sample loaded." in loaded
    assert f"{Statement.objects.count()} statements stored" in loaded



def test_feed_times_are_stored_in_utc_and_windows_1251_is_read(loaded):
    call = statement("kremlin-ru.xml", "Телефонный разговор с Президентом Венесуэлы")
    assert call.published_at == datetime(2019, 1, 24, 16, 30, tzinfo=UTC)  # 19:30 +03:00
    assert "деструктивное вмешательство извне" in call.body_text
    us = statement("state-department.xml", "On the Apprehension of Nicolás Maduro")
    assert us.published_at == datetime(2026, 1, 3, 15, 0, tzinfo=UTC)  # 10:00 -05:00


def test_speakers_named_in_titles_are_attributed(loaded):
    briefing = statement("mid-ru.xml", "М.В.Захаровой, Москва, 14 января 2026 года")
    assert (briefing.actor.slug, briefing.attribution) == ("maria-zakharova", "name_match")
    lavrov = statement("mid-ru.xml", "С.В.Лаврова в ходе пресс-конференции по итогам деятельности "
                                     "российской дипломатии в 2025 году")
    assert lavrov.actor.slug == "sergey-lavrov"
    peskov = statement("kremlin-en.xml", "Dmitry Peskov's comments on Syria")
    assert peskov.actor.slug == "dmitry-peskov"
    # A leader named as the other party of a call is not its speaker.
    call = statement("kremlin-en.xml", "Telephone conversation with President of Venezuela")
    assert (call.actor.slug, call.attribution) == ("vladimir-putin", "feed_default")


def test_the_foreign_ministry_condemned_the_capture_of_maduro_the_same_day(loaded):
    (english,) = linked_to("maduro-capture-2026", statement__source__url__endswith="/mid-en.xml",
                           statement__published_at__date="2026-01-03")
    assert english.statement.actor.slug == "russian-mfa"
    assert english.statement.published_at == datetime(2026, 1, 3, 8, 40, tzinfo=UTC)
    assert english.stance == Stance.CONDEMNS and 1 <= english.intensity <= 2
    assert "act of armed aggression" in english.cues
    (russian,) = linked_to("maduro-capture-2026", statement__source__url__endswith="/mid-ru.xml",
                           statement__published_at__date="2026-01-03")
    assert "Сегодня утром США совершили акт вооружённой агрессии" in russian.statement.body_text
    assert russian.stance == Stance.CONDEMNS and 1 <= russian.intensity <= 2

    mfa = responder("maduro-capture-2026", "russian-mfa")
    assert (mfa.status, mfa.first_statement_at.date().isoformat()) == ("responded", "2026-01-03")
    russia = responder("maduro-capture-2026", "russia")
    assert (russia.status, russia.through.slug) == ("responded", "russian-mfa")


def test_putin_is_silent_on_maduro_and_the_kremlin_feed_proves_it(loaded):
    kremlin_feeds = linked_to("maduro-capture-2026", statement__source__url__contains="/kremlin-")
    assert not kremlin_feeds.exists()
    assert not linked_to("maduro-capture-2026", statement__actor__slug="dmitry-peskov").exists()
    putin = responder("maduro-capture-2026", "vladimir-putin")
    assert putin.status == "silent"
    covering = [e.source.url.rsplit("/", 1)[-1] for e in putin.evidence if e.covers]
    assert sorted(covering) == ["kremlin-en.xml", "kremlin-ru.xml"]


def test_the_founding_pattern_across_events(loaded):
    assert responder("venezuela-crisis-2019", "vladimir-putin").status == "responded"
    assert responder("kazakhstan-unrest-2022", "vladimir-putin").status == "responded"
    via = responder("assad-fall-2024", "vladimir-putin")
    assert (via.status, via.through.slug) == ("via_proxy", "dmitry-peskov")
    assert responder("iran-crackdown-2026", "vladimir-putin").status == "responded_late"
    # The Chinese feed is curated: where it says nothing, nothing can be claimed.
    assert responder("assad-fall-2024", "china").status == "no_coverage"
    assert responder("maduro-capture-2026", "china").status == "responded"


def test_peskov_spoke_on_assad_the_day_after(loaded):
    links = linked_to("assad-fall-2024", statement__actor__slug="dmitry-peskov")
    assert {link.statement.source.url.rsplit("/", 1)[-1] for link in links} == {
        "kremlin-en.xml", "kremlin-ru.xml"}
    assert {link.statement.published_at.date().isoformat() for link in links} == {"2024-12-09"}
    late = linked_to("assad-fall-2024", statement__actor__slug="vladimir-putin")
    assert {link.statement.published_at.date().isoformat() for link in late} == {"2024-12-19"}


def test_loading_twice_changes_nothing(loaded):
    statements, links = Statement.objects.count(), EventLink.objects.count()

    again = load()

    assert "Imported dataset.json: 0 created, 0 updated, 39 unchanged" in again
    assert "(0 new this run)" in again and f"{links} event links (0 new this run)" in again
    assert (Statement.objects.count(), EventLink.objects.count()) == (statements, links)
    second_polls = FetchAttempt.objects.filter(outcome=FetchAttempt.Outcome.NOT_MODIFIED)
    assert second_polls.count() == len(FEED_FILES)


def test_a_busy_port_is_refused_with_the_way_out_and_nothing_is_polled(base_url):
    # Even a server that serves the very same files: load_sample cannot know that,
    # and must not compute statuses from whatever answers there.
    port = base_url.split(":")[2].split("/")[0]
    with serve_sample_feeds(base_url=base_url) as how:
        assert how == "temporary server"
        with pytest.raises(CommandError) as refused:
            load()
    message = str(refused.value)
    assert f"Port {port} on 127.0.0.1 is already in use" in message
    assert f"make run PORT={int(port) + 1}" in message
    # Refused before anything is imported or polled.
    assert Actor.objects.count() == Source.objects.count() == 0
    assert FetchAttempt.objects.count() == Statement.objects.count() == 0


def test_a_port_taken_by_another_program_is_refused_too(settings, feed_server):  # noqa: F811
    settings.SAMPLE_FEEDS_BASE_URL = feed_server.url("/sample-feeds/")
    with pytest.raises(CommandError, match=r"is already in use"):
        load()
    assert FetchAttempt.objects.count() == 0


def test_it_serves_and_polls_the_feeds_on_the_port_it_is_given(loaded, base_url):
    assert f"Feeds served by the temporary server at {base_url}" in loaded
    urls = set(Source.objects.filter(url__contains="/sample-feeds/").values_list("url", flat=True))
    assert urls and all(url.startswith(base_url) for url in urls)


@pytest.mark.smoke
def test_make_run_moves_the_site_and_its_sample_feeds_to_port(tmp_path):
    # The demo and its feeds share one port, so PORT must reach both commands.
    plan = subprocess.run(["make", "-n", "run", "PORT=8765"], cwd=django_settings.BASE_DIR,
                          capture_output=True, text=True, check=True).stdout
    load_line = next(line for line in plan.splitlines() if "load_sample" in line)
    serve_line = next(line for line in plan.splitlines() if "runserver" in line)
    assert "SAMPLE_FEEDS_BASE_URL=http://127.0.0.1:8765/sample-feeds/" in load_line
    assert "FEED_ALLOW_PRIVATE_HOSTS=1" in load_line
    assert serve_line.rstrip().endswith("runserver 127.0.0.1:8765")
    assert "SAMPLE_FEEDS_BASE_URL=http://127.0.0.1:8765/sample-feeds/" in serve_line


def test_the_temporary_server_serves_only_the_feed_files(base_url):
    with serve_sample_feeds(base_url=base_url):
        ok = httpx.get(base_url + "mid-en.xml")
        not_modified = httpx.get(base_url + "mid-en.xml",
                                 headers={"If-Modified-Since": ok.headers["Last-Modified"]})
        outside = httpx.get(base_url + "..%2Fdataset.json")
        listing = httpx.get(base_url)
    assert (ok.status_code, ok.headers["Content-Type"]) == (200, "application/xml")
    assert not_modified.status_code == 304
    assert outside.status_code == listing.status_code == 404
