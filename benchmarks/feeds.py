"""The generated feeds of the ingest benchmarks, and the loopback server that serves them.

Deterministic: the same seed gives the same bytes on every run, so the
project and its peers (feedparser alone, `reader`) read exactly the same
feeds. Half the feeds are English, half Russian; every entry has an HTML body
of 1–3 KB with links, emphasis and a script the sanitiser must drop, and some
entries name the benchmark events' terms or the speakers' aliases.

The server answers ETag validators with 304 (mode "etag"), or ignores them
and sends the same bytes ("ignore"), or sends a body changed by one comment
on every request although no entry changed ("drift").
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The newest entry of every feed; events and search dates are placed around it.
T0 = datetime(2026, 1, 3, 6, tzinfo=UTC)

EN_SENTENCES = (
    "The Foreign Ministry notes with deep concern the developments around Venezuela.",
    "Minister Sergey Lavrov held talks with his counterparts on regional security.",
    "We call on all parties to show restraint and to return to dialogue without delay.",
    "The United States committed an act of armed aggression against a sovereign state.",
    "New sanctions against the country's officials were announced by the Treasury.",
    "The sides discussed trade, energy cooperation and humanitarian assistance.",
    "Such actions are a gross violation of the fundamental norms of international law.",
    "The briefing also covered the situation in the Middle East and in Africa.",
    "President Putin held a telephone conversation with President Maduro.",
    "The delegation welcomed the progress of the negotiations on grain exports.",
    "We strongly condemn the strikes on civilian infrastructure in the region.",
    "The ministry recalls that unilateral sanctions have no basis in international law.",
)
RU_SENTENCES = (
    "Заявление МИД России в связи с событиями вокруг Венесуэлы.",
    "Призываем все стороны к сдержанности и политическому урегулированию.",
    "Министр иностранных дел провел переговоры с коллегами из стран региона.",
    "Москва выражает глубокую обеспокоенность задержанием Николаса Мадуро.",
    "Новые санкции против должностных лиц страны недопустимы.",
    "Стороны обсудили вопросы торгово-экономического сотрудничества.",
    "Подобные действия являются грубым нарушением Устава ООН.",
    "Сергей Лавров провел телефонный разговор с министром иностранных дел Китая.",
    "Решительно осуждаем удары по гражданской инфраструктуре.",
    "Делегация приветствовала прогресс переговоров об экспорте зерна.",
)
EN_TITLES = ("Statement by the Ministry", "Lavrov: on the situation", "Comment on sanctions",
             "Briefing by the spokesperson", "On the talks in Geneva")
RU_TITLES = ("Заявление МИД", "Лавров: о ситуации", "Комментарий о санкциях",
             "Брифинг официального представителя", "О переговорах в Женеве")


@dataclass(frozen=True)
class Feed:
    number: int
    language: str
    body: bytes

    @property
    def path(self) -> str:
        return f"/feed/{self.number}.xml"

    @property
    def etag(self) -> str:
        return f'"bench-{self.number}-v1"'


def _body_html(rng: random.Random, sentences: tuple[str, ...], size: int, n: int) -> str:
    parts: list[str] = []
    length = 0
    while length < size:
        paragraph = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
        if rng.random() < 0.3:
            paragraph += f' <a href="/news/{n}-{length}">{escape(rng.choice(sentences)[:40])}</a>'
        if rng.random() < 0.2:
            paragraph = f"<em>{paragraph}</em>"
        html = f"<p>{paragraph}</p>"
        parts.append(html)
        length += len(html.encode())
    if rng.random() < 0.1:
        parts.append("<script>alert(1)</script>")
    return "".join(parts)


def make_feeds(count: int = 200, entries: int = 100, seed: int = 2026) -> list[Feed]:
    """`count` RSS feeds of `entries` entries: the first half English, the rest Russian."""
    rng = random.Random(seed)
    feeds = []
    for number in range(count):
        russian = number >= count // 2
        sentences = RU_SENTENCES if russian else EN_SENTENCES
        titles = RU_TITLES if russian else EN_TITLES
        language = "ru" if russian else "en"
        items = []
        for i in range(entries):
            published = format_datetime(T0 - timedelta(hours=entries - i, minutes=number))
            body = _body_html(rng, sentences, rng.randint(1_000, 3_000), i)
            title = f"{rng.choice(titles)} ({number}-{i})"
            items.append(
                f"<item><guid isPermaLink=\"false\">urn:bench:{number}:{i}</guid>"
                f"<title>{escape(title)}</title>"
                f"<link>https://bench{number}.invalid/news/{i}</link>"
                f"<pubDate>{published}</pubDate>"
                f"<description><![CDATA[{body}]]></description></item>"
            )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Bench feed {number}</title><link>https://bench{number}.invalid/</link>"
            f"<language>{language}</language>" + "".join(items) + "</channel></rss>\n"
        )
        feeds.append(Feed(number=number, language=language, body=xml.encode()))
    return feeds


class FeedServer:
    """The feeds on 127.0.0.1 in a background thread; `mode` says how validators are treated."""

    def __init__(self, feeds: list[Feed]):
        self.by_path = {feed.path: feed for feed in feeds}
        self.mode = "etag"
        self.requests = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                feed = server.by_path.get(self.path.split("?")[0])
                with server._lock:
                    server.requests += 1
                    serial = server.requests
                if feed is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if server.mode == "etag" and self.headers.get("If-None-Match") == feed.etag:
                    self.send_response(304)
                    self.send_header("ETag", feed.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = feed.body
                if server.mode == "drift":
                    # A build stamp in a comment: the bytes change, no entry does.
                    body = body.replace(b"<channel>", f"<channel><!-- build {serial} -->".encode(),
                                        1)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("ETag", feed.etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, feed: Feed) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{feed.path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
