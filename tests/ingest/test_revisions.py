"""Edits and removals: what a researcher sees when official texts change or vanish."""

from datetime import timedelta

import pytest
from django.utils import timezone

from statements.ingest import revisions
from statements.ingest.archive import import_archive, parse_mapping
from statements.ingest.pipeline import poll_source
from statements.models import Statement
from tests import factories as f

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _no_host_spacing(settings):
    # Every feed and page here lives on 127.0.0.1: polite spacing would only add sleeps.
    settings.FEED_HOST_SPACING_SECONDS = 0
BASE = f.utc(2026, 3, 10, 9)


def rss(items) -> str:
    """items: (guid, days before BASE, title, text)."""
    body = ""
    for guid, days, title, text, *link in items:
        url = link[0] if link else f"https://mid.example.org/{guid}"
        body += (
            f"<item><guid>{guid}</guid><title>{title}</title><link>{url}</link>"
            f"<pubDate>{(BASE - days * DAY).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>{text}</description></item>"
        )
    return f'<rss version="2.0"><channel><title>MFA</title>{body}</channel></rss>'


ORIGINAL = [
    ("a", 0, "Briefing", "The ministry condemns the strikes."),
    ("b", 1, "Comment on Venezuela", "We call for restraint by all sides."),
    ("c", 2, "Statement", "An older text."),
]


def poll(source, feed_server, items, at):
    feed_server.serve("/mfa.xml", rss(items))
    return poll_source(source=source, now=at)


def test_an_entry_served_again_with_other_content_keeps_every_version(feed_server, db):
    source = f.source(url=feed_server.url("/mfa.xml"))
    poll(source, feed_server, ORIGINAL, BASE)
    edited = [ORIGINAL[0], ("b", 1, "Comment on Venezuela",
                            "We call for restraint by the United States."), ORIGINAL[2]]

    attempt = poll(source, feed_server, edited, BASE + timedelta(hours=5))

    statement = Statement.objects.get(source=source, entry_id="b")
    # The stored text is the first version; the edit is a revision, dated.
    assert statement.body_text == "We call for restraint by all sides."
    assert statement.edited_at == BASE + timedelta(hours=5)
    [revision] = statement.revisions.all()
    assert revision.body_text == "We call for restraint by the United States."
    assert "1 stored entry has changed in the feed since" in attempt.warning
    assert revisions.word_diff(statement.body_text, revision.body_text) == (
        "We call for restraint by <del>all sides.</del> <ins>the United States.</ins>"
    )

    # The same edited version again, then the original again: nothing new to keep.
    poll(source, feed_server, edited + [("d", 0, "New", "x")], BASE + timedelta(hours=6))
    poll(source, feed_server, ORIGINAL + [("d", 0, "New", "x")], BASE + timedelta(hours=7))
    assert statement.revisions.count() == 1
    # A third version is kept too.
    third = [("b", 1, "Comment on Venezuela (updated)", "We demand restraint.")]
    poll(source, feed_server, [ORIGINAL[0], *third, ORIGINAL[2]], BASE + timedelta(hours=8))
    assert list(statement.revisions.values_list("title", flat=True)) == [
        "Comment on Venezuela", "Comment on Venezuela (updated)"]
    assert Statement.objects.filter(source=source).count() == 4


def test_an_entry_dropped_between_listed_neighbours_is_no_longer_listed(feed_server, db):
    source = f.source(url=feed_server.url("/mfa.xml"))
    poll(source, feed_server, ORIGINAL, BASE)

    poll(source, feed_server, [ORIGINAL[0], ORIGINAL[2]], BASE + timedelta(hours=1))

    unlisted = dict(Statement.objects.filter(source=source).values_list("entry_id", "unlisted_at"))
    assert unlisted == {"a": None, "b": BASE + timedelta(hours=1), "c": None}

    # Pushed off the end by newer entries is not a removal.
    newer = [("d", -1, "Newer", "x"), ("e", -0.5, "Newest", "y"), ORIGINAL[0]]
    poll(source, feed_server, newer, BASE + timedelta(hours=2))
    assert Statement.objects.get(source=source, entry_id="c").unlisted_at is None

    # Listed again: no longer a candidate removal.
    poll(source, feed_server, [*newer, ORIGINAL[1]], BASE + timedelta(hours=3))
    assert Statement.objects.get(source=source, entry_id="b").unlisted_at is None


def test_the_statements_own_address_confirms_a_removal(feed_server, db, settings):
    settings.REMOVAL_RECHECK_INTERVAL = timedelta(hours=24)
    source = f.source(url=feed_server.url("/mfa.xml"), site_url=feed_server.url("/"))
    items = [
        ("gone", 0, "Gone", "x", feed_server.url("/news/gone")),
        ("moved", 1, "Moved", "y", feed_server.url("/news/2026/moved")),
        ("still", 2, "Still there", "z", feed_server.url("/news/still")),
        ("flaky", 3, "Flaky", "w", feed_server.url("/news/flaky")),
        ("old", 4, "Old", "v", feed_server.url("/news/old")),
    ]
    poll(source, feed_server, items, BASE)
    poll(source, feed_server, [items[0], items[4]], BASE + timedelta(hours=1))
    Statement.objects.filter(entry_id="gone").update(unlisted_at=BASE)
    feed_server.serve("/news/gone", "gone", status=410, content_type="text/html")
    feed_server.redirect("/news/2026/moved", "/news", status=302)
    feed_server.serve("/news", "<html>all news</html>", content_type="text/html")
    feed_server.serve("/news/still", "<html>still here</html>", content_type="text/html")
    feed_server.serve("/news/flaky", "oops", status=500, content_type="text/html")
    now = timezone.now()

    checks = revisions.recheck_removals(now=now, limit=10)

    by_id = {Statement.objects.get(pk=c.statement_id).entry_id: c.removed for c in checks}
    assert by_id == {"gone": True, "moved": True, "still": False, "flaky": False}
    removed = Statement.objects.get(entry_id="gone")
    assert removed.removed_at == now and removed.body_text == "x"
    # Politely: a statement checked today is not fetched again today.
    requests_before = len(feed_server.requests)
    assert revisions.recheck_removals(now=now + timedelta(hours=1)) == []
    assert len(feed_server.requests) == requests_before
    later = revisions.recheck_removals(now=now + timedelta(hours=25), limit=1)
    assert len(later) == 1



def test_rows_imported_from_an_archive_file_are_never_taken_for_unlisted(feed_server, db,
                                                                          tmp_path):
    source = f.source(url=feed_server.url("/mfa.xml"))
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        '{"id": "corpus-1", "date": "2026-03-09T03:00:00Z", "title": "From the corpus"}\n'
    )
    import_archive(path=path, source=source, mapping=parse_mapping("id=id,date=date,title=title"))

    poll(source, feed_server, ORIGINAL, BASE)
    poll(source, feed_server, ORIGINAL, BASE + timedelta(hours=1))

    assert Statement.objects.get(entry_id="corpus-1").unlisted_at is None
