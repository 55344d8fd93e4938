"""The load test's feed server: the sample feeds, and live feeds that keep publishing.

/sample-feeds/<file> serves sample/feeds/<file>; /live/<n>.xml is an RSS feed whose
newest entry changes every 5 seconds (20 entries listed), so each poll during the
run has something new for the worker to store.
"""

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent.parent / "sample" / "feeds"


def live_feed(n: int) -> bytes:
    now = int(time.time()) // 5
    items = "".join(
        f"<item><guid>live-{n}-{tick}</guid><title>Live statement {tick} on sanctions</title>"
        f"<description>Feed {n} says something about sanctions, tick {tick}.</description>"
        f"<pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(tick * 5))}</pubDate>"
        "</item>"
        for tick in range(now, now - 20, -1)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Live {n}</title>'
            f"<link>http://127.0.0.1/live/{n}</link>{items}</channel></rss>").encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path.startswith("/live/") and self.path.endswith(".xml"):
            body = live_feed(int(self.path[6:-4] or 0))
        elif self.path.startswith("/sample-feeds/") and (SAMPLE / self.path[14:]).is_file():
            body = (SAMPLE / self.path[14:]).read_bytes()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
