"""The demo's newsroom: a real news site on 127.0.0.1 that publishes the seed story and updates it.

`tracker demo` starts one so a newcomer can watch storydiff follow a story without internet: the
story page goes live as version 1 of the seed story, and every `delay` seconds the next version
replaces it, with a new headline where the story moved on. Pages look like a news site's (headline,
byline, published and updated times, a canonical link, an ETag so conditional requests work), and
there is a front page, an RSS feed and a robots.txt, so every path of a real check is exercised.
"""

from __future__ import annotations

import hashlib
import html
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tracker import clock, seeds

NAME = "The Harbour Ledger"
STORY_PATH = "/world/russia-north-korea-treaty"
FEED_PATH = "/feed.xml"
BYLINE = "Harbour Ledger staff, with Reuters"
# Headlines for the seed's versions in order; a later version keeps the last one.
HEADLINES = (
    "Kremlin says North Korea treaty means 'strategic cooperation' in all areas",
    "Putin signs North Korea defence treaty into law",
)
DEFAULT_DELAY = 50.0


class Newsroom:
    """A threaded HTTP server publishing the seed story's versions one after another.

    `delay` is the number of seconds each version stays up before the next one replaces it (the
    last stays for good). `now` is the monotonic clock, replaceable so a test can move time.
    """

    def __init__(
        self,
        *,
        delay: float = DEFAULT_DELAY,
        host: str = "127.0.0.1",
        port: int = 0,
        versions: list[seeds.SeedVersion] | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.versions = versions or seeds.load()
        self.delay = max(0.0, float(delay))
        self._now = now
        self._started = now()
        self._opened = clock.now()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.host = host
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="newsroom", daemon=True
        )
        self._thread.start()

    @property
    def story_url(self) -> str:
        return self.url(STORY_PATH)

    @property
    def feed_url(self) -> str:
        return self.url(FEED_PATH)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def edition(self) -> int:
        """The index of the version on the page now (0 for version 1)."""
        if self.delay <= 0:
            return len(self.versions) - 1
        return min(len(self.versions) - 1, int((self._now() - self._started) // self.delay))

    def seconds_to_next(self) -> float | None:
        """Seconds until the next version goes up, or None once the last one is up."""
        index = self.edition()
        if index >= len(self.versions) - 1:
            return None
        return max(0.0, (index + 1) * self.delay - (self._now() - self._started))

    def went_up(self, index: int) -> datetime:
        """When version `index` was published, on the wall clock."""
        return self._opened + timedelta(seconds=index * self.delay)

    def headline(self, index: int) -> str:
        return HEADLINES[min(index, len(HEADLINES) - 1)]

    def story_page(self, index: int) -> str:
        doc = self.versions[index].document
        headline = html.escape(doc.title or self.headline(index))
        published, updated = self.went_up(0), self.went_up(index)
        paragraphs = "\n".join(f"    <p>{html.escape(p)}</p>" for p in doc.paragraphs)
        stamp = updated.strftime("%d %B %Y, %H:%M UTC")
        first = published.strftime("%d %B %Y, %H:%M UTC")
        updated_line = f" · Updated {stamp}" if index else ""
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{headline} | {NAME}</title>
  <link rel="canonical" href="{self.story_url}">
  <meta property="og:title" content="{headline}">
  <meta name="author" content="{BYLINE}">
  <meta property="article:published_time" content="{clock.iso(published)}">
  <meta property="article:modified_time" content="{clock.iso(updated)}">
</head>
<body>
  <header><a href="/">{NAME}</a>
    <nav><a href="/">World</a> <a href="/">Politics</a> <a href="/">Business</a></nav>
  </header>
  <main>
  <article>
    <h1>{headline}</h1>
    <div class="meta"><span class="byline">By {BYLINE}</span>
      <time datetime="{clock.iso(published)}">Published {first}</time>{updated_line}</div>
{paragraphs}
  </article>
  </main>
  <footer>{NAME} is the storydiff demo newsroom, running on your machine.</footer>
</body>
</html>
"""

    def front_page(self, index: int) -> str:
        headline = html.escape(self.headline(index))
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{NAME}</title>
<link rel="alternate" type="application/rss+xml" href="{FEED_PATH}"></head>
<body><h1>{NAME}</h1>
<p><a href="{STORY_PATH}">{headline}</a></p>
<p>Version {index + 1} of {len(self.versions)} is up.</p></body></html>
"""

    def feed(self, index: int) -> str:
        headline = html.escape(self.headline(index))
        when = format_datetime(self.went_up(index), usegmt=True)
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{NAME}</title><link>{self.url("/")}</link>
<description>Demo newsroom</description>
<item><title>{headline}</title><link>{self.story_url}?utm_source=rss</link>
<guid isPermaLink="false">seed-story</guid><pubDate>{when}</pubDate></item>
</channel></rss>
"""

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Newsroom:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _handler(room: Newsroom) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "HarbourLedger/1.0"

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            index = room.edition()
            path = self.path.split("?", 1)[0]
            pages: dict[str, tuple[str, Callable[[int], str]]] = {
                STORY_PATH: ("text/html; charset=utf-8", room.story_page),
                "/": ("text/html; charset=utf-8", room.front_page),
                FEED_PATH: ("application/rss+xml; charset=utf-8", room.feed),
                "/robots.txt": ("text/plain; charset=utf-8", lambda _: "User-agent: *\nAllow: /\n"),
            }
            if path not in pages:
                self._send(404, "text/plain; charset=utf-8", b"no such page\n", {}, head)
                return
            ctype, render = pages[path]
            body = render(index).encode("utf-8")
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            headers = {
                "ETag": etag,
                "Last-Modified": format_datetime(room.went_up(index), usegmt=True),
                "Cache-Control": "max-age=0, must-revalidate",
            }
            if self.headers.get("If-None-Match") == etag:
                self._send(304, None, b"", headers, head)
                return
            self._send(200, ctype, body, headers, head)

        def _send(
            self, status: int, ctype: str | None, body: bytes, headers: dict[str, str], head: bool
        ) -> None:
            try:
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head and body:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
