"""The pipeline's share of issue 10: language detected when no one says it, the
text read once for speaker, search and links, offices on the entry's date."""

from datetime import UTC, date, datetime

import pytest

from actors.models import Actor, Alias, Role
from statements.ingest.pipeline import poll_source
from statements.models import EventLink, Source, Statement
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 6, 12, tzinfo=UTC)
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Новости</title><link>https://kremlin.example/</link>
<description>Новости</description>
<item><title>Заявление Президента в связи со взрывом в Тегеране</title>
<link>https://kremlin.example/news/1</link><guid>k-1</guid>
<pubDate>Mon, 05 Jan 2026 18:00:00 +0000</pubDate>
<description>Решительно осуждаем это варварское преступление в Тегеране.</description></item>
<item><title>Поздравление народу Ирана с праздником</title>
<link>https://kremlin.example/news/2</link><guid>k-2</guid>
<pubDate>Mon, 05 Jan 2026 19:00:00 +0000</pubDate>
<description>Президент направил поздравление народу Ирана
и пожелал жителям Тегерана мира.
</description></item>
</channel></rss>"""


def test_a_feed_without_a_language_is_read_as_what_it_is(feed_server):
    russia = f.actor("russia", kind=Actor.Kind.STATE, name="Russia")
    kremlin = f.actor("kremlin", kind=Actor.Kind.INSTITUTION, name="Kremlin", parent=russia)
    putin = f.actor("vladimir-putin", name="Vladimir Putin", parent=kremlin)
    Alias.objects.create(actor=putin, text="Путин")
    Role.objects.create(person=putin, institution=kremlin, title="President",
                        started_on=date(2012, 5, 7), terms={"ru": ["Президент"]})
    event = f.event("tehran", occurred_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
                    window_hours=72, terms={"ru": ["Тегеран"]})
    source = Source.objects.create(url=feed_server.serve("/feed.xml", FEED), actor=kremlin)

    poll_source(source=source, now=NOW)

    statement = Statement.objects.get(entry_id="k-1")
    assert statement.language == "ru"  # detected: neither feed nor source says
    assert (statement.actor, statement.attribution) == (putin, Statement.Attribution.BY_OFFICE)
    assert statement.attribution_note.startswith("by office: Президент, held by Vladimir Putin")
    assert "'тегеран'" in statement.search_vector  # lemmas, written at insert time
    about = EventLink.objects.get(event=event, statement=statement)
    greeting = EventLink.objects.get(event=event, statement__entry_id="k-2")
    assert (about.stance, about.is_mention, greeting.is_mention) == ("condemns", False, True)
    assert list(EventLink.objects.counting().values_list("statement__entry_id", flat=True)) == [
        "k-1"]
