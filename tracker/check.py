"""Check one story end to end: fetch, extract, record a new version, log the check, plan the next.

A check never raises for anything the network or the page does: a refusal, a timeout, a 404 or
a page that cannot be read all end as a logged check with a reason a person can read, stored on
the story (`last_error`), and a next check time that backs off. The version (with its change and
outbox rows) and the check's log row land in one transaction, so a check stopped half-way leaves
no trace and is simply done again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from tracker import browser, clock, interval
from tracker.baseline import Baseline, like_with_like
from tracker.config import Settings
from tracker.document import Document
from tracker.extract import (
    HTML_TYPES,
    ExtractError,
    decode,
    extract,
    extractor_identity,
    media_type,
)
from tracker.extract.walls import Wall, detect_wall
from tracker.fetch import Fetcher, FetchError, FetchResult
from tracker.record import document_of, rebaseline, record
from tracker.store import NotFound, Row, Store
from tracker.urls import BadURL, normalize, redact, site

log = logging.getLogger("storydiff.check")

OUTCOMES = ("unchanged", "not_modified", "new_version", "blocked", "error", "gone")
GONE_STATUSES = frozenset({404, 410})

Extractor = Callable[[bytes, str | None, str | None], Document]


@dataclass(frozen=True)
class Observation:
    """What fetching and reading a page saw, before anything is written: the page (None when
    the fetch failed), the bytes that were read (as fetched or rendered; None for a 304 or an
    unchanged body), its Document and the extractor's identity, or why it failed."""

    page: FetchResult | None = None
    doc: Document | None = None
    reason: str | None = None
    status: int | None = None
    retry_after: float | None = None
    body: bytes | None = None
    content_type: str | None = None
    rendered: bool = False
    identity: str | None = None
    wall: Wall | None = None  # the failed fetch's page was a wall (a challenge served as a 403)


@dataclass(frozen=True)
class CheckResult:
    """What one check found. `version` is the story's current version number after the check."""

    story_id: int
    outcome: str
    status: int | None = None
    version: int | None = None
    change_id: int | None = None
    error: str | None = None
    duration_ms: float = 0.0
    next_check_at: str | None = None
    state: str = "active"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Checker:
    """Checks stories with one shared Fetcher; safe to call from many threads, one Store each.

    `extractor` turns page bytes into a Document (default: `tracker.extract.extract`; a pool of
    processes can be plugged in to use every core). `conditional=False` sends plain GETs and
    always extracts, for benchmarks and for a story whose server lies about ETags.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
        conditional: bool = True,
    ) -> None:
        self.settings = settings
        self._own_fetcher = fetcher is None
        self.fetcher = fetcher or Fetcher(settings)
        self.extractor: Extractor = extractor or extract
        self.conditional = conditional
        self._renderer: browser.Browser | None = None
        self._renderer_lock = threading.Lock()

    def close(self) -> None:
        if self._own_fetcher:
            self.fetcher.close()
        if self._renderer is not None:
            self._renderer.close()

    def _browser(self) -> browser.Browser:
        """The chromium pool for pages that need JavaScript, started on first use."""
        with self._renderer_lock:
            if self._renderer is None:
                self._renderer = browser.Browser(self.settings)
            return self._renderer

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self, store: Store, story_id: int, now: datetime | None = None) -> CheckResult:
        """Check the story now; the outcome is logged in `checks` and returned."""
        started = time.monotonic()
        moment = now or clock.now()
        try:
            story = store.get_story(story_id)
        except NotFound:  # deleted after it was handed to this check
            return _removed(story_id, "error", None, started)
        return self.conclude(store, story, moment, started, self.observe(story))

    def observe(self, story: Row) -> Observation:
        """Fetch and read the story's page; nothing is written (a queue worker runs only this)."""
        options = story.get("options") or {}
        js = browser.wanted(story, self.settings)
        # a page built by scripts can change while its HTML shell does not: no shortcuts
        conditional = self.conditional and not js
        walls: dict[FetchError, Wall | None] = {}  # by identity: a wall page is read once

        def wall_of(exc: FetchError) -> Wall | None:
            if exc not in walls:
                walls[exc] = _error_wall(story, exc)
            return walls[exc]

        try:
            page = self.fetcher.get(
                story["url"],
                etag=story.get("etag") if conditional else None,
                last_modified=story.get("last_modified") if conditional else None,
                previous_hash=story.get("body_hash") if conditional else None,
                respect_robots=options.get("respect_robots"),
                final=lambda exc: wall_of(exc) is not None,
            )
        except FetchError as exc:
            wall = wall_of(exc)
            reason = f"blocked by {wall.reason} ({exc.reason})" if wall else exc.reason
            return Observation(
                reason=reason, status=exc.status, retry_after=exc.retry_after, wall=wall
            )
        if page.not_modified or page.unchanged_body:
            return Observation(page=page)
        body, content_type = page.body, page.content_type or None
        if js:
            try:
                body = self._browser().render(page.final_url, page.body, content_type).html
            except browser.RenderError as exc:
                reason = f"could not render the page at {page.final_url}: {exc}"
                return Observation(reason=reason, status=page.status)
            content_type = "text/html; charset=utf-8"
        read = Observation(page, body=body, content_type=content_type, rendered=js)
        try:
            doc = self.extractor(body, content_type, page.final_url)
        except ExtractError as exc:
            reason = f"could not read the page at {page.final_url}: {exc}"
            return replace(read, reason=reason, status=page.status)
        return replace(read, doc=doc, identity=extractor_identity())

    def conclude(
        self, store: Store, story: Row, moment: datetime, started: float, seen: Observation
    ) -> CheckResult:
        """Write what `observe` saw of `story` (as read before the fetch): a version, a wall or
        a failure, the check's log row and the next check time, in one transaction."""
        page = seen.page
        if page is None:
            reason = seen.reason or "the check saw nothing"
            outcome = "blocked" if seen.wall else "error"
            return self._failed(
                store, story, moment, started, reason, seen.status, seen.retry_after, outcome
            )
        if seen.body is None:
            outcome = "not_modified" if page.not_modified else "unchanged"
            return self._finish(store, story, moment, started, page, outcome)
        latest = store.latest_version(story["id"]) if story.get("version_count") else None
        if wall := _wall(
            story, seen.body, seen.content_type, seen.doc, latest, final_url=page.final_url
        ):
            return self._blocked(store, story, moment, started, page, wall)
        if seen.doc is None:
            reason = seen.reason or "the page could not be read"
            return self._failed(store, story, moment, started, reason, page.status)
        identity = seen.identity or extractor_identity()
        # a rendered page's archive is its HTML shell, which says nothing of the article
        reread = None if seen.rendered else self.extractor
        base = like_with_like(store, latest, seen.doc, identity, reread, page.final_url)
        return self._finish(
            store, story, moment, started, page, "new_version", seen.doc, identity, base
        )

    def _blocked(
        self,
        store: Store,
        story: Row,
        moment: datetime,
        started: float,
        page: FetchResult,
        wall: Wall,
    ) -> CheckResult:
        """A wall stood in front of the story: a failed check of its own kind, no version."""
        reason = f"blocked by {wall.reason} (at {page.final_url})"
        return self._failed(
            store, story, moment, started, reason, page.status, None, outcome="blocked"
        )

    def _finish(
        self,
        store: Store,
        story: Row,
        moment: datetime,
        started: float,
        page: FetchResult,
        outcome: str,
        doc: Document | None = None,
        identity: str | None = None,
        base: Baseline | None = None,
    ) -> CheckResult:
        at = clock.iso(moment)
        fields: dict[str, Any] = {"last_checked_at": at, "failures": 0, "last_error": None}
        if not page.not_modified:
            fields.update(etag=page.etag, last_modified=page.last_modified)
        elif page.etag or page.last_modified:
            fields.update(etag=page.etag or story.get("etag"))
            fields.update(last_modified=page.last_modified or story.get("last_modified"))
        if doc is not None:
            fields["body_hash"] = page.body_hash
            canonical = _canonical(doc, page, story["url"])
            if canonical and canonical != story.get("canonical_url"):
                fields["canonical_url"] = canonical
        version = story.get("version_count") or None
        change_id = None
        developing = bool(story.get("developing"))
        with store.write():
            current = _same_story(store, story)  # paused or removed meanwhile: keep that decision
            if current is None:
                return _removed(story["id"], outcome, page.status, started)
            if base is not None:
                rebaseline(
                    store,
                    story["id"],
                    base.doc,
                    base.note,
                    fetched_at=at,
                    raw=base.raw if self.settings.archive_raw else None,
                    raw_type=base.raw_type,
                    extractor=identity,
                )
            if doc is not None:
                raw = page.body if self.settings.archive_raw else None
                done = record(
                    store,
                    story["id"],
                    doc,
                    fetched_at=at,
                    raw=raw,
                    raw_type=media_type(page.content_type) or None if raw else None,
                    budget_ms=self.settings.diff_budget_ms,
                    extractor=identity,
                )
                version, change_id = done.number, done.change_id
                if not done.created:
                    outcome = "unchanged"
                elif done.developing is not None:  # record() judged the new text's markers
                    developing = done.developing
            changed = outcome == "new_version"
            nxt = interval.plan(
                story, moment, changed=changed, settings=self.settings, developing=developing
            )
            state = _settle(story, current, nxt.state)
            fields["next_check_at"] = nxt.next_check_at
            if state != current.get("state"):
                fields["state"] = state
            duration = _ms(started)
            store.log_check(
                story["id"],
                outcome=outcome,
                at=at,
                status=page.status,
                duration_ms=duration,
                keep=self.settings.checks_retention,
                story_fields=fields,
            )
        return CheckResult(
            story_id=story["id"],
            outcome=outcome,
            status=page.status,
            version=version,
            change_id=change_id,
            duration_ms=duration,
            next_check_at=nxt.next_check_at,
            state=state,
        )

    def _failed(
        self,
        store: Store,
        story: Row,
        moment: datetime,
        started: float,
        reason: str,
        status: int | None,
        retry_after: float | None = None,
        outcome: str = "error",
    ) -> CheckResult:
        at = clock.iso(moment)
        failures = int(story.get("failures") or 0) + 1
        state = story.get("state") or "active"
        if status in GONE_STATUSES and self._gone_streak(store, story) + 1 >= max(
            1, self.settings.gone_after_failures
        ):
            outcome, state = "gone", "gone"
            reason = f"{reason}; marked gone after {failures} checks in a row"
        nxt = interval.plan(
            story,
            moment,
            changed=False,
            settings=self.settings,
            failures=failures,
            retry_after=retry_after,
        )
        if nxt.state == "archived" and state != "gone":
            state = "archived"
        fields: dict[str, Any] = {"last_checked_at": at, "failures": failures, "last_error": reason}
        duration = _ms(started)
        with store.write():
            current = _same_story(store, story)  # paused or removed meanwhile: keep that decision
            if current is None:
                return _removed(story["id"], outcome, status, started)
            state = _settle(story, current, state)
            if state != current.get("state"):
                fields["state"] = state
            next_at = None if state in ("gone", "archived") else nxt.next_check_at
            fields["next_check_at"] = next_at
            store.log_check(
                story["id"],
                outcome=outcome,
                at=at,
                status=status,
                duration_ms=duration,
                error=reason,
                keep=self.settings.checks_retention,
                story_fields=fields,
            )
        return CheckResult(
            story_id=story["id"],
            outcome=outcome,
            status=status,
            version=story.get("version_count") or None,
            error=reason,
            duration_ms=duration,
            next_check_at=next_at,
            state=state,
        )

    def _gone_streak(self, store: Store, story: Row) -> int:
        """How many of the latest checks in a row answered 404 or 410."""
        streak = 0
        for row in store.list_checks(story["id"], limit=max(1, self.settings.gone_after_failures)):
            if row.get("status") not in GONE_STATUSES:
                break
            streak += 1
        return streak


def record_internal_error(
    store: Store, settings: Settings, story_id: int, exc: BaseException, now: datetime | None = None
) -> CheckResult:
    """Log a check that crashed on a bug, with a backed-off next time, so it is not retried
    on every dispatcher tick."""
    moment = now or clock.now()
    try:
        story = store.get_story(story_id)
    except NotFound:
        return _removed(story_id, "error", None, time.monotonic())
    failures = int(story.get("failures") or 0) + 1
    reason = f"internal error while checking: {exc.__class__.__name__}: {exc}"
    nxt = interval.plan(story, moment, changed=False, settings=settings, failures=failures)
    store.log_check(
        story_id,
        outcome="error",
        at=clock.iso(moment),
        error=reason,
        keep=settings.checks_retention,
        story_fields={
            "failures": failures,
            "last_error": reason,
            "next_check_at": nxt.next_check_at,
            "last_checked_at": clock.iso(moment),
        },
    )
    return CheckResult(story_id, "error", error=reason, next_check_at=nxt.next_check_at)


def _same_story(store: Store, fetched_for: Row) -> Row | None:
    """The story as it is now, or None when it was removed while its page was fetched.

    Ids are never reused (AUTOINCREMENT), yet a database restored from a copy or edited by
    hand could give the id to another story: the URL and the moment it was added must match
    too, or the page fetched for the old story would become the new one's version.
    """
    try:
        current = store.get_story(fetched_for["id"])
    except NotFound:
        return None
    if (current["url"], current["added_at"]) != (fetched_for["url"], fetched_for["added_at"]):
        log.warning(
            "story %s was replaced by %s while %s was fetched: the check's result is dropped",
            fetched_for["id"],
            redact(current["url"]),
            redact(fetched_for["url"]),
        )
        return None
    return current


def _wall(
    story: Row,
    body: bytes,
    content_type: str | None,
    doc: Document | None = None,
    previous: Row | None = None,
    *,
    final_url: str | None = None,
) -> Wall | None:
    """The wall an HTML page (as fetched, or as rendered, or an error page) is instead of the
    story (see tracker.extract.walls), or None."""
    if media_type(content_type) not in HTML_TYPES and content_type:
        return None
    return detect_wall(
        lambda: decode(body, content_type),
        doc,
        document_of(previous) if previous else None,
        url=story["url"],
        final_url=final_url,
    )


def _error_wall(story: Row, exc: FetchError) -> Wall | None:
    """The wall an error page is (a bot challenge answered with 403 or 503, a sign-in page
    with 401...), or None. Not for 404 and 410, which say the story is gone."""
    if exc.kind != "http" or not exc.body or exc.status in GONE_STATUSES:
        return None
    wall = _wall(story, exc.body, exc.content_type)
    return wall if wall is not None and wall.kind != "not_found" else None


def _removed(story_id: int, outcome: str, status: int | None, started: float) -> CheckResult:
    """The story was deleted while it was being checked: nothing is written."""
    return CheckResult(
        story_id=story_id,
        outcome="error" if outcome == "new_version" else outcome,
        status=status,
        error="the story was removed while it was being checked",
        duration_ms=_ms(started),
        state="removed",
    )


def _settle(before: Row, current: Row, decided: str) -> str:
    """The state to keep after a check: the check's own transitions (gone, archived) only when
    nobody changed the state while the page was fetched; otherwise the state as it is now."""
    now_state = str(current.get("state") or "active")
    if now_state != str(before.get("state") or "active"):
        return now_state
    return decided if decided in ("gone", "archived") else now_state


def _canonical(doc: Document, page: FetchResult, url: str) -> str | None:
    """The URL the page says it lives at (or where the redirects ended), normalised.

    A rel=canonical on another site is ignored: any page could otherwise claim a URL tracked
    as another story, and checks would then be merged or refused under the wrong address.
    """
    fetched = (url, page.final_url)
    if doc.canonical_url and any(_same_site(doc.canonical_url, f) for f in fetched if f):
        try:
            return normalize(doc.canonical_url)
        except BadURL:
            pass
    if page.redirects and page.final_url:
        try:
            return normalize(page.final_url)
        except BadURL:
            return None
    return None


def _same_site(a: str, b: str) -> bool:
    """Same host, ignoring a leading `www.` and letter case."""
    try:
        one = site(a)
        return bool(one) and one == site(b)
    except ValueError:
        return False


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
