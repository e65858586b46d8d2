"""Pages that need JavaScript: rendered in headless chromium, every request through the guard.

Some sites send an empty shell and build the article in the browser. For a story or site that
asks for it, the page fetched by the ordinary `Fetcher` is loaded in Debian's chromium (driven by
Playwright, the optional `js` extra) and the HTML the scripts leave behind goes to extraction as
usual. Chromium never touches the network itself:

- every request the page makes is intercepted (Playwright routing) and, when it is a GET for a
  document, script, stylesheet, XHR or fetch, made by storydiff's own guarded `Fetcher` (SSRF
  guard with pinned addresses, size caps, timeouts); anything the guard refuses, any other
  method, and every image, media file and font is aborted;
- chromium is started with a proxy that does not exist, so a request that escaped routing (a
  WebSocket, say) fails instead of going out;
- the main document is the one already fetched (unconditionally: a page built by scripts can
  change while its HTML shell does not);
- a wall-clock budget (`render_timeout`) bounds each page, and at most `render_contexts` pages
  are open at once, each in its own fresh browser context (no cookies or storage shared).

One browser runs in a background thread with its own event loop, started on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from tracker.config import Settings
from tracker.fetch import Fetcher, FetchError
from tracker.urls import site

BLOCKED_TYPES = frozenset({"image", "media", "font", "imageset", "texttrack", "manifest"})
FETCHED_TYPES = frozenset({"document", "script", "stylesheet", "xhr", "fetch", "other"})
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--proxy-server=http://127.0.0.1:9",  # nothing listens: unrouted traffic cannot leave
]


class RenderError(Exception):
    """The page could not be rendered; the message says why in words."""


def wanted(story: dict[str, Any], settings: Settings) -> bool:
    """Does this story's page need JavaScript? Its own option, else the site list."""
    options = story.get("options") or {}
    if "render_js" in options:
        return bool(options["render_js"])
    return bool(settings.render_js) and site(story.get("url") or "") in settings.render_js


@dataclass
class Rendered:
    """The HTML after scripts ran, and what the page tried that the guard stopped."""

    html: bytes
    refused: list[str] = field(default_factory=list)


class Browser:
    """A bounded pool of chromium contexts behind one background event loop."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # sub-requests of one page: no politeness gap or retries, the same guard and caps
        self.fetcher = Fetcher(
            settings.replace(per_host_gap=0.0, retries=0, total_timeout=settings.render_timeout)
        )
        self._slots = threading.BoundedSemaphore(settings.render_contexts)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Any = None
        self._browser: Any = None

    def render(self, url: str, body: bytes, content_type: str | None) -> Rendered:
        """Load `body` (already fetched from `url`) in chromium and return the HTML it builds."""
        budget = self.settings.render_timeout
        with self._slots:
            loop = self._start()
            future = asyncio.run_coroutine_threadsafe(self._render(url, body, content_type), loop)
            try:
                return future.result(timeout=budget + 10)
            except FutureTimeout:
                future.cancel()
                raise RenderError(f"rendering took longer than {budget:g} s") from None

    def close(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=15)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(15)
        self.fetcher.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inside the event loop thread

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="storydiff-browser", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _launch(self) -> Any:
        if self._browser is not None:
            return self._browser
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise RenderError(
                "JavaScript rendering needs Playwright: pip install 'storydiff[js]' "
                "and Debian's chromium"
            ) from None
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.settings.browser_path, args=LAUNCH_ARGS
            )
        except Exception as exc:
            raise RenderError(
                f"cannot start chromium at {self.settings.browser_path}: "
                f"{str(exc).splitlines()[0][:200]}"
            ) from None
        return self._browser

    async def _shutdown(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = None

    async def _render(self, url: str, body: bytes, content_type: str | None) -> Rendered:
        browser = await self._launch()
        context = await browser.new_context(
            user_agent=self.settings.user_agent,
            service_workers="block",
            accept_downloads=False,
            java_script_enabled=True,
        )
        refused: list[str] = []
        served_main = False

        async def handle(route: Any) -> None:
            nonlocal served_main
            request = route.request
            if request.url == url and request.is_navigation_request() and not served_main:
                served_main = True
                await route.fulfill(status=200, body=body, content_type=content_type or "text/html")
                return
            if request.resource_type in BLOCKED_TYPES or request.method != "GET":
                await route.abort("blockedbyclient")
                return
            if request.resource_type not in FETCHED_TYPES:
                await route.abort("blockedbyclient")
                return
            try:
                got = await asyncio.to_thread(self.fetcher.get, request.url)
            except FetchError as exc:
                if exc.kind in ("refused", "bad_url", "dns"):
                    refused.append(f"{request.url}: {exc.reason}")
                await route.abort("failed")
                return
            await route.fulfill(
                status=got.status,
                body=got.body,
                content_type=got.content_type or "application/octet-stream",
            )

        try:
            await context.route("**/*", handle)
            page = await context.new_page()
            budget_ms = self.settings.render_timeout * 1000
            try:
                await page.goto(url, wait_until="load", timeout=budget_ms)
                with contextlib.suppress(Exception):  # quiet network is a hint, not a must
                    await page.wait_for_load_state("networkidle", timeout=min(budget_ms, 5000))
                html = await page.content()
            except Exception as exc:
                first = str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__
                raise RenderError(f"chromium could not load the page: {first}") from None
        finally:
            with contextlib.suppress(Exception):
                await context.close()
        return Rendered(html.encode("utf-8"), refused)
