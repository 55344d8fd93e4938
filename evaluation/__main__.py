"""Run the evaluation set through the pipeline and print precision and recall.

    DATABASE_URL=postgres://… python -m evaluation [--json evaluation/results.json]

Attribution: an entry is right when its stored actor is the labelled speaker
(precision over entries given an actor, recall over all entries). Links: a
predicted link is one above the relevance threshold (not a mention);
the gold links are the labelled `about` events. Translations: the labelled
`translation_of` pairs, and a check that counting() counts each pair once.
Stance: over gold links that were predicted, the share with the labelled stance.
Statuses: the share of
labelled (event, actor) statuses that event_responses derives.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
from datetime import UTC, date, datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"attribution": 0.98, "links_precision": 0.95, "links_recall": 0.95, "stance": 0.90,
           "statuses": 1.0}


def render(feed: dict, base: str) -> bytes:
    """An RSS 2.0 document such as press offices publish."""
    items = []
    for entry in feed["entries"]:
        published = datetime.fromisoformat(entry["published"].replace("Z", "+00:00"))
        link = entry.get("link") or f"{base}{feed['path']}/{entry['id']}"
        body = "".join(f"<p>{escape(p)}</p>" for p in entry["body"].split("\n\n"))
        items.append(
            f"<item><title>{escape(entry['title'])}</title><link>{escape(link)}</link>"
            f"<guid isPermaLink=\"false\">{escape(entry['id'])}</guid>"
            f"<pubDate>{format_datetime(published)}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(feed['title'])}</title><link>{base}{feed['path']}</link>"
        f"<language>{feed['language']}</language><description>{escape(feed['title'])}"
        f"</description>{''.join(items)}</channel></rss>"
    ).encode()


class _Server:
    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                body = bodies.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def load_world(data: dict):
    from actors.models import Actor, Alias, Role
    from statements.models import Event

    actors = {}
    for row in data["actors"]:
        actors[row["slug"]] = Actor.objects.create(
            slug=row["slug"], name=row["name"], kind=row["kind"],
            parent=actors.get(row.get("parent")))
        for alias in row.get("aliases", []):
            Alias.objects.create(actor=actors[row["slug"]], text=alias)
    for row in data["actors"]:
        for principal in row.get("speaks_for", []):
            actors[row["slug"]].speaks_for.add(actors[principal])
    for row in data["roles"]:
        Role.objects.create(
            person=actors[row["person"]], institution=actors.get(row["institution"]),
            title=row["title"], terms=row.get("terms", {}),
            is_spokesperson=row.get("is_spokesperson", False),
            started_on=date.fromisoformat(row["from"]) if row.get("from") else None,
            ended_on=date.fromisoformat(row["to"]) if row.get("to") else None)
    events = {}
    for row in data["events"]:
        event = Event.objects.create(
            slug=row["slug"], title=row["title"], window_hours=row["window_hours"],
            occurred_at=datetime.fromisoformat(row["occurred_at"].replace("Z", "+00:00")),
            terms=row["terms"])
        event.expected_actors.set([actors[s] for s in row["expected"]])
        events[row["slug"]] = event
    return actors, events


def ratio(hit: int, total: int) -> float:
    return hit / total if total else 1.0


def evaluate(data: dict) -> tuple[dict, list[str]]:
    from django.utils import timezone

    from statements.ingest.pipeline import poll_source
    from statements.models import EventLink, Source, Statement
    from statements.responses.statuses import event_responses

    actors, events = load_world(data)
    server = _Server()
    for feed in data["feeds"]:
        server.bodies[feed["path"]] = render(feed, server.base)
        source = Source.objects.create(url=server.base + feed["path"],
                                       actor=actors[feed["actor"]])
        poll_source(source=source)
    server.httpd.shutdown()

    stored = {s.entry_id: s for s in Statement.objects.select_related("actor")}
    mistakes: list[str] = []
    right = attributed = total = 0
    gold_links, predicted = set(), set()
    stance_right = stance_total = 0
    all_links = {(link.statement.entry_id, link.event.slug): link for link in
                 EventLink.objects.select_related("statement", "event")}
    # The judgement under test: links above the relevance threshold ("about it").
    counting = {key: link for key, link in all_links.items() if not link.is_mention}
    # What counts toward statuses: each statement once, its translations through it.
    counted = {(link.statement.entry_id, link.event.slug) for link in
               EventLink.objects.counting().select_related("statement", "event")}
    for feed in data["feeds"]:
        for entry in feed["entries"]:
            total += 1
            statement = stored.get(entry["id"])
            actor = statement.actor.slug if statement and statement.actor else None
            attributed += actor is not None
            if actor == entry["speaker"]:
                right += 1
            else:
                mistakes.append(f"speaker {entry['id']} {entry['title'][:60]!r}: "
                                f"{actor} ≠ {entry['speaker']} ({statement.attribution_note})")
            for slug, stance in entry.get("about", {}).items():
                gold_links.add((entry["id"], slug))
                link = counting.get((entry["id"], slug))
                if link is None:
                    seen = all_links.get((entry["id"], slug))
                    why = (f"relevance {seen.relevance}: {seen.relevance_evidence.get('why')}"
                           if seen else "no link")
                    mistakes.append(f"missed link {entry['id']} → {slug} ({why})")
                    continue
                stance_total += 1
                if link.stance == stance:
                    stance_right += 1
                else:
                    mistakes.append(f"stance {entry['id']} → {slug}: {link.stance} ≠ {stance} "
                                    f"(cues {link.cues})")
    for key, link in counting.items():
        predicted.add(key)
        if key not in gold_links:
            mistakes.append(f"extra link {key[0]} → {key[1]} (relevance {link.relevance}: "
                            f"{link.relevance_evidence.get('why')})")

    status_right = status_total = 0
    now = timezone.now()
    for slug, expected in data["statuses"].items():
        responses = event_responses(event=events[slug], now=now)
        derived = {r.actor.slug: r.status for r in responses.responders}
        for actor_slug, status in expected.items():
            status_total += 1
            if derived.get(actor_slug) == status:
                status_right += 1
            else:
                mistakes.append(f"status {slug}/{actor_slug}: {derived.get(actor_slug)} ≠ {status}")

    gold_pairs = {(e["id"], e["translation_of"]) for feed in data["feeds"]
                  for e in feed["entries"] if e.get("translation_of")}
    by_pk = {s.pk: s for s in stored.values()}
    found_pairs = {(s.entry_id, by_pk[s.translation_of_id].entry_id)
                   for s in stored.values() if s.translation_of_id}
    for translation, original in gold_pairs:
        for slug in events:
            both = {(translation, slug), (original, slug)} & counted
            if len(both) > 1:
                mistakes.append(f"counted twice: {translation} and {original} on {slug}")
    for pair in gold_pairs - found_pairs:
        mistakes.append(f"missed translation {pair[0]} of {pair[1]}")
    for pair in found_pairs - gold_pairs:
        mistakes.append(f"extra translation {pair[0]} of {pair[1]}")

    true_links = len(predicted & gold_links)
    figures = {
        "entries": total,
        "attribution": ratio(right, total),
        "attribution_precision": ratio(right, attributed),
        "links_precision": ratio(true_links, len(predicted)),
        "links_recall": ratio(true_links, len(gold_links)),
        "links_gold": len(gold_links),
        "stance": ratio(stance_right, stance_total),
        "statuses": ratio(status_right, status_total),
        "translations_precision": ratio(len(found_pairs & gold_pairs), len(found_pairs)),
        "translations_recall": ratio(len(found_pairs & gold_pairs), len(gold_pairs)),
        "statuses_total": status_total,
    }
    return figures, mistakes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["FEED_ALLOW_PRIVATE_HOSTS"] = "1"
    os.environ.pop("REDIS_URL", None)  # tasks run eagerly: no broker needed
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # A database of its own, apart from the test suite's test_<name>.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"eval_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        data = json.loads((HERE / "dataset.json").read_text())
        figures, mistakes = evaluate(data)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"evaluation set: {figures['entries']} entries, {figures['links_gold']} labelled links, "
          f"{figures['statuses_total']} statuses — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'figure':<24}{'measured':>10}{'target':>10}  pass")
    failed = False
    for name, target in TARGETS.items():
        value = figures[name]
        ok = value >= target
        failed |= not ok
        print(f"{name:<24}{value:>10.1%}{target:>10.0%}  {'yes' if ok else 'NO'}")
    for name in ("attribution_precision", "translations_precision", "translations_recall"):
        print(f"{name.replace('_', ' '):<24}{figures[name]:>10.1%}")
    if mistakes:
        print("\nmistakes:")
        for line in mistakes:
            print(f"  {line}")
    if args.json:
        args.json.write_text(json.dumps({"date": datetime.now(UTC).isoformat(timespec="seconds"),
                                         "machine": f"{os.cpu_count()} cores, Python "
                                                    f"{platform.python_version()}",
                                         **figures}, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
