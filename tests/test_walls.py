"""Walls are not versions: consent walls, paywall teasers, bot challenges, sign-in pages and soft
404s served in place of a story are logged as blocked checks; real articles about them are not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from check_support import local
from click.testing import CliRunner
from servers import LocalSite
from walls_support import ARTICLE, NOT_WALLS, PAYWALLS, WALLS, article

from tracker import clock
from tracker.check import Checker, CheckResult
from tracker.cli import main
from tracker.document import Document
from tracker.extract import extract
from tracker.extract.walls import detect_wall
from tracker.fetch import Fetcher
from tracker.queue import wire
from tracker.store import Store


def _doc(html: str) -> Document:
    return extract(html.encode(), "text/html; charset=utf-8", "http://127.0.0.1/story")


@pytest.fixture
def checker(db_path: Path) -> Iterator[Checker]:
    with Checker(local(db_path)) as c:
        yield c


def _wall_after_the_story(
    store: Store, site: LocalSite, checker: Checker, html: str, status: int = 200
) -> tuple[int, CheckResult]:
    """A story recorded once, then checked while its page is the wall `html` (with `status`)."""
    site.set("/story", article())
    story_id, _ = store.add_story(site.url("/story"))
    assert checker.check(store, story_id).outcome == "new_version"
    site.set("/story", html, status=status)
    return story_id, checker.check(store, story_id)


@pytest.mark.parametrize(("name", "html", "kind"), WALLS, ids=[w[0] for w in WALLS])
def test_a_wall_in_place_of_the_story_is_a_blocked_check_not_a_version(
    name: str, html: str, kind: str, store: Store, site: LocalSite, checker: Checker, db_path: Path
) -> None:
    story_id, blocked = _wall_after_the_story(store, site, checker, html)
    assert blocked.outcome == "blocked", (name, blocked)
    assert blocked.version == 1
    story = store.get_story(story_id)
    assert story["version_count"] == 1 and store.list_changes(story_id=story_id) == []
    assert story["failures"] == 1 and story["last_error"].startswith("blocked by ")
    assert detect_wall(html, None).kind == kind  # type: ignore[union-attr]
    out = CliRunner().invoke(main, ["--db", str(db_path), "log", str(story_id)]).output
    assert "check health: 1 failed check(s) in a row" in out and "blocked: blocked by" in out
    site.set("/story", article())  # the wall lifts: the same story, nothing to announce
    back = checker.check(store, story_id)
    assert back.outcome == "unchanged" and store.get_story(story_id)["failures"] == 0


@pytest.mark.parametrize(("name", "html", "kind"), WALLS, ids=[w[0] for w in WALLS])
def test_a_wall_on_the_first_check_records_nothing(
    name: str, html: str, kind: str, store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/story", html)
    story_id, _ = store.add_story(site.url("/story"))
    result = checker.check(store, story_id)
    assert result.outcome == "blocked", (name, result)
    assert store.get_story(story_id)["version_count"] == 0


@pytest.mark.parametrize(("name", "html"), PAYWALLS, ids=[p[0] for p in PAYWALLS])
def test_a_paywall_teaser_after_the_full_story_is_blocked(
    name: str, html: str, store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/story", article())
    story_id, _ = store.add_story(site.url("/story"))
    checker.check(store, story_id)
    site.set("/story", html)
    result = checker.check(store, story_id)
    assert result.outcome == "blocked" and "paywall" in (result.error or ""), result
    assert store.latest_version(story_id)["text"].count("\n\n") == len(ARTICLE) - 1


def test_a_redirect_from_the_story_to_the_front_page_is_a_soft_404(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/news/2019/bridge", article())
    story_id, _ = store.add_story(site.url("/news/2019/bridge"))
    checker.check(store, story_id)
    site.set("/", article("The Harbour Times", ("Top stories of the day.",)))
    site.set("/news/2019/bridge", b"", status=301, headers={"Location": "/"})
    result = checker.check(store, story_id)
    assert result.outcome == "blocked" and "front page" in (result.error or ""), result


@pytest.mark.parametrize(("name", "html"), NOT_WALLS, ids=[n[0] for n in NOT_WALLS])
def test_articles_about_cookies_subscriptions_404s_and_javascript_are_recorded(
    name: str, html: str, store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/story", html)
    story_id, _ = store.add_story(site.url("/story"))
    first = checker.check(store, story_id)
    assert first.outcome == "new_version", (name, first)
    edited = html.replace("</p>", " More to follow.</p>", 1)
    site.set("/story", edited)
    assert checker.check(store, story_id).outcome == "new_version"
    assert detect_wall(html, _doc(html), _doc(edited)) is None


@pytest.mark.parametrize(("name", "html"), [NOT_WALLS[0], WALLS[0][:2]])
def test_only_short_pages_are_read_for_walls(name: str, html: str) -> None:
    """A check decodes the page once more for walls only when its article is short: an
    article's word count already says it is no wall."""
    reads: list[int] = []

    def page() -> str:
        reads.append(1)
        return html

    doc = _doc(html)
    detect_wall(page, doc)
    assert len(reads) == (doc.word_count < 120), name


def test_a_story_cut_to_a_short_note_without_any_wall_marker_is_a_version(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    """A newsroom that withdraws a story leaves a short note: that is news, not a wall."""
    site.set("/story", article())
    story_id, _ = store.add_story(site.url("/story"))
    checker.check(store, story_id)
    note = ("This story has been removed while we check some of its claims.",)
    site.set("/story", article(paragraphs=note))
    assert checker.check(store, story_id).outcome == "new_version"


# A wall is often served with an error status: Cloudflare's challenge as 403 or 503, a sign-in
# page as 401, a rate limiter's page as 429.
ERROR_WALLS = [
    (n, h, k, (403, 503, 401, 429)[i % 4]) for i, (n, h, k) in enumerate(WALLS) if k != "not_found"
]


@pytest.mark.parametrize(
    ("name", "html", "kind", "status"), ERROR_WALLS, ids=[w[0] for w in ERROR_WALLS]
)
def test_a_wall_served_with_an_error_status_is_a_blocked_check(
    name: str, html: str, kind: str, status: int, store: Store, site: LocalSite, checker: Checker
) -> None:
    story_id, blocked = _wall_after_the_story(store, site, checker, html, status)
    assert (blocked.outcome, blocked.status, blocked.version) == ("blocked", status, 1), name
    story = store.get_story(story_id)
    assert (
        story["last_error"].startswith("blocked by ")
        and f"answered {status}" in (story["last_error"])
    )
    assert story["failures"] == 1 and story["state"] == "active"
    assert store.list_checks(story_id)[0]["outcome"] == "blocked"
    site.set("/story", article())
    assert checker.check(store, story_id).outcome == "unchanged"


@pytest.mark.parametrize(
    ("wall", "status"),
    [("cloudflare-just-a-moment", 503), ("datadome", 429), ("login-interstitial", 503)],
)
def test_a_wall_served_with_a_retryable_status_is_asked_once_and_a_plain_503_is_retried(
    store: Store, site: LocalSite, db_path: Path, wall: str, status: int
) -> None:
    """Asking a bot challenge again brings the same challenge (and looks more like a bot):
    a wall served with a retryable status (503, or 429 with no Retry-After) is not retried.
    A 503 that is no wall still is."""
    slept: list[float] = []
    settings = local(db_path, retries=2)
    with Checker(settings, fetcher=Fetcher(settings, sleep=slept.append)) as checker:
        site.set("/wall", _wall_page(wall), status=status)
        wall_id, _ = store.add_story(site.url("/wall"))
        assert checker.check(store, wall_id).outcome == "blocked"
        assert len(site.hits("/wall")) == 1 and slept == []
        site.set("/busy", "<html><body><h1>Service Unavailable</h1></body></html>", status=503)
        busy_id, _ = store.add_story(site.url("/busy"))
        assert checker.check(store, busy_id).outcome == "error"
        assert len(site.hits("/busy")) == 3 and len(slept) == 2


def test_an_error_page_that_is_no_wall_stays_an_error(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/story", "<html><body><h1>Forbidden</h1></body></html>", status=403)
    story_id, _ = store.add_story(site.url("/story"))
    assert checker.check(store, story_id).outcome == "error"
    not_found = next(h for n, h, k in WALLS if k == "not_found")
    site.set("/story", not_found, status=404)  # a real 404 says gone, not blocked
    result = checker.check(store, story_id)
    assert result.outcome in ("error", "gone") and result.status == 404


def test_a_queue_worker_reports_the_wall_of_an_error_page(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    name, html, kind = WALLS[0]
    site.set("/story", html, status=403)
    story_id, _ = store.add_story(site.url("/story"))
    seen = checker.observe(store.get_story(story_id))
    back = wire.observation_from_wire(wire.observation_to_wire(seen))
    assert back.wall == seen.wall and seen.wall is not None and seen.wall.kind == kind
    result = checker.conclude(store, store.get_story(story_id), clock.now(), 0.0, back)
    assert result.outcome == "blocked"


def _wall_page(name: str) -> str:
    return next(h for n, h, k in WALLS if n == name)


# Harder error pages: other statuses, charsets declared only in a meta tag, bodies that are not
# UTF-8, no Content-Type at all.
ODD_ERROR_WALLS = [
    ("451", 451, _wall_page("akamai-access-denied").encode(), "text/html"),
    ("406-access-denied", 406, _wall_page("akamai-access-denied").encode(), "text/html"),
    (
        "cp1252-meta-charset",
        403,
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>"
        "<title>Accès refusé</title></head><body><p>Request unsuccessful. Incapsula incident "
        "ID: 123000450099</p></body></html>".encode("cp1252"),
        "text/html",
    ),
    (
        "utf-16-no-charset",
        503,
        "\ufeff" + _wall_page("akamai-access-denied"),
        "text/html",
    ),
    ("no-content-type", 403, _wall_page("akamai-access-denied").encode(), None),
]


@pytest.mark.parametrize(
    ("name", "status", "body", "content_type"), ODD_ERROR_WALLS, ids=[w[0] for w in ODD_ERROR_WALLS]
)
def test_a_wall_on_an_odd_error_page_is_named_too(
    name: str,
    status: int,
    body: bytes | str,
    content_type: str | None,
    store: Store,
    site: LocalSite,
    checker: Checker,
) -> None:
    data = body.encode("utf-16-le") if isinstance(body, str) else body
    site.set("/story", data, status=status, content_type=content_type)
    story_id, _ = store.add_story(site.url("/story"))
    blocked = checker.check(store, story_id)
    assert (blocked.outcome, blocked.status) == ("blocked", status), blocked
    assert store.get_story(story_id)["last_error"].startswith("blocked by a bot challenge")
