"""Checking one story against a real local site: versions, 304s, gone pages, refusals, archives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from check_support import FIRST, SECOND, local, page
from corpus import corpus_keys, corpus_page, require_corpus
from servers import LocalSite, Request, Response

from tracker import clock
from tracker.check import Checker, CheckResult, record_internal_error
from tracker.config import Settings
from tracker.document import Document
from tracker.extract import extract
from tracker.store import Store


class Counting:
    """The real extractor, counting how often a check needed it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, body: bytes, ctype: str | None, url: str | None) -> Document:
        self.calls += 1
        return extract(body, ctype, url)


@pytest.fixture
def checker(db_path: Path) -> Iterator[Checker]:
    with Checker(local(db_path), extractor=Counting()) as c:
        yield c


def test_records_v1_then_v2_when_the_page_changes(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/story", page("Bridge to close", *FIRST))
    story_id, _ = store.add_story(site.url("/story"))
    first = checker.check(store, story_id)
    assert (first.outcome, first.version, first.status) == ("new_version", 1, 200)
    again = checker.check(store, story_id)
    assert again.outcome == "unchanged" and again.version == 1
    site.set("/story", page("Bridge to close for six months", *SECOND))
    second = checker.check(store, story_id)
    assert second.outcome == "new_version" and second.version == 2
    assert second.change_id is not None
    change = store.get_change(second.change_id)
    assert change["kind"] == "headline"
    assert "“four months” → “six months”" in change["summary"]
    assert "1 paragraph added" in change["summary"]
    story = store.get_story(story_id)
    assert story["title"] == "Bridge to close for six months"
    assert story["version_count"] == 2 and story["last_error"] is None
    outcomes = [c["outcome"] for c in store.list_checks(story_id)]
    assert outcomes == ["new_version", "unchanged", "new_version"]
    assert all(c["duration_ms"] is not None for c in store.list_checks(story_id))


def test_same_bytes_skip_extraction(store: Store, site: LocalSite, checker: Checker) -> None:
    site.set("/story", page("Bridge to close", *FIRST))
    story_id, _ = store.add_story(site.url("/story"))
    checker.check(store, story_id)
    result = checker.check(store, story_id)
    assert result.outcome == "unchanged"
    assert checker.extractor.calls == 1  # type: ignore[attr-defined]


def test_304_is_not_modified_without_extraction(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    body = page("Bridge to close", *FIRST)

    def handler(req: Request) -> Response:
        if req.headers.get("If-None-Match") == '"v1"':
            return Response(304, b"", None, {"ETag": '"v1"'})
        return Response(200, body, headers={"ETag": '"v1"'})

    site.route("/story", handler)
    story_id, _ = store.add_story(site.url("/story"))
    assert checker.check(store, story_id).outcome == "new_version"
    result = checker.check(store, story_id)
    assert (result.outcome, result.status, result.version) == ("not_modified", 304, 1)
    assert checker.extractor.calls == 1  # type: ignore[attr-defined]
    assert site.hits("/story")[-1].headers.get("If-None-Match") == '"v1"'
    assert store.get_story(story_id)["etag"] == '"v1"'


def test_unconditional_checker_sends_no_validators(store: Store, site: LocalSite) -> None:
    site.set("/story", page("Bridge", *FIRST), headers={"ETag": '"x"'})
    story_id, _ = store.add_story(site.url("/story"))
    with Checker(local(Path(store.path)), conditional=False) as plain:
        plain.check(store, story_id)
        assert plain.check(store, story_id).outcome == "unchanged"
    assert "If-None-Match" not in site.hits("/story")[-1].headers


@pytest.mark.parametrize("status", [404, 410])
def test_repeated_404_or_410_marks_the_story_gone(
    store: Store, site: LocalSite, checker: Checker, status: int
) -> None:
    site.set("/story", page("Bridge to close", *FIRST))
    story_id, _ = store.add_story(site.url("/story"))
    checker.check(store, story_id)
    site.set("/story", b"missing", status=status, content_type="text/plain")
    results = [checker.check(store, story_id) for _ in range(3)]
    assert [r.outcome for r in results] == ["error", "error", "gone"]
    story = store.get_story(story_id)
    assert story["state"] == "gone" and story["next_check_at"] is None
    assert str(status) in story["last_error"] and "gone" in story["last_error"]
    assert story["version_count"] == 1  # the versions are kept
    assert [r["id"] for r in store.due_stories(clock.later(10 * 86400))] == []


def test_a_success_between_404s_resets_the_count(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    story_id, _ = store.add_story(site.url("/story"))
    site.set("/story", b"missing", status=404, content_type="text/plain")
    checker.check(store, story_id)
    checker.check(store, story_id)
    site.set("/story", page("Bridge to close", *FIRST))
    assert checker.check(store, story_id).outcome == "new_version"
    site.set("/story", b"missing", status=404, content_type="text/plain")
    assert checker.check(store, story_id).outcome == "error"
    assert store.get_story(story_id)["state"] == "active"


def test_refused_address_is_recorded_with_its_reason(
    store: Store, site: LocalSite, db_path: Path
) -> None:
    site.set("/story", page("Bridge", *FIRST))
    story_id, _ = store.add_story(site.url("/story"))
    with Checker(Settings(db=str(db_path))) as guarded:
        result = guarded.check(store, story_id)
    assert result.outcome == "error"
    assert "loopback" in (result.error or "")
    story = store.get_story(story_id)
    assert "loopback" in story["last_error"] and story["failures"] == 1
    assert story["version_count"] == 0
    assert site.hits("/story") == []  # refused before any connection
    check = store.list_checks(story_id)[0]
    assert check["outcome"] == "error" and "loopback" in check["error"]


def test_failures_back_off_and_success_resets(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/story", b"oops", status=500, content_type="text/plain")
    story_id, _ = store.add_story(site.url("/story"))
    waits = []
    for _ in range(3):
        now = clock.now()
        result = checker.check(store, story_id, now=now)
        waits.append((clock.parse(result.next_check_at or "") - now).total_seconds())
    assert waits[0] < waits[1] < waits[2]
    assert store.get_story(story_id)["failures"] == 3
    site.set("/story", page("Bridge", *FIRST))
    checker.check(store, story_id)
    story = store.get_story(story_id)
    assert story["failures"] == 0 and story["last_error"] is None


def test_retry_after_is_honoured(store: Store, site: LocalSite, checker: Checker) -> None:
    site.set("/story", b"slow down", status=429, headers={"Retry-After": "7200"})
    story_id, _ = store.add_story(site.url("/story"), interval=60)
    now = clock.now()
    result = checker.check(store, story_id, now=now)
    assert result.outcome == "error" and result.status == 429
    assert clock.parse(result.next_check_at or "") >= now + timedelta(seconds=7200)


def test_unreadable_page_is_an_error_and_retried(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/story", b"\x89PNG\r\n", content_type="image/png")
    story_id, _ = store.add_story(site.url("/story"))
    result = checker.check(store, story_id)
    assert result.outcome == "error" and "image/png" in (result.error or "")
    site.set("/story", page("Bridge", *FIRST))
    assert checker.check(store, story_id).outcome == "new_version"


def test_canonical_url_is_recorded(store: Store, site: LocalSite, checker: Checker) -> None:
    site.set("/story", page("Bridge", *FIRST, canonical=site.url("/bridge#top")))
    story_id, _ = store.add_story(site.url("/story?utm_source=x"))
    checker.check(store, story_id)
    story = store.get_story(story_id)
    assert story["canonical_url"] == site.url("/bridge")
    assert store.find_story_by_urls([site.url("/bridge")])["id"] == story_id


def test_canonical_url_on_another_site_is_ignored(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    """A page must not claim the URL of a story tracked elsewhere."""
    victim, _ = store.add_story("https://news.example/bridge")
    site.set("/story", page("Bridge", *FIRST, canonical="https://News.example/bridge"))
    story_id, _ = store.add_story(site.url("/story"))
    assert checker.check(store, story_id).outcome == "new_version"
    assert store.get_story(story_id)["canonical_url"] is None
    assert store.find_story_by_urls(["https://news.example/bridge"])["id"] == victim


@pytest.mark.parametrize("status", [200, 500])
def test_pausing_during_a_check_is_kept(
    store: Store, site: LocalSite, checker: Checker, db_path: Path, status: int
) -> None:
    """The person's pause lands while the page is being fetched; the check must not undo it."""
    story_id, _ = store.add_story(site.url("/story"))

    def pause_then_answer(_req: Request) -> Response:
        with Store(db_path) as other:
            other.update_story(story_id, state="paused")
        return Response(status, page("Bridge", *FIRST) if status == 200 else b"down")

    site.route("/story", pause_then_answer)
    result = checker.check(store, story_id)
    assert result.outcome == ("new_version" if status == 200 else "error")
    assert store.get_story(story_id)["state"] == "paused" and result.state == "paused"
    assert [s["id"] for s in store.due_stories("2100-01-01T00:00:00Z")] == []


def test_story_removed_during_a_check_stays_removed(
    store: Store, site: LocalSite, checker: Checker, db_path: Path
) -> None:
    story_id, _ = store.add_story(site.url("/story"))

    def remove_then_answer(_req: Request) -> Response:
        with Store(db_path) as other:
            other.delete_story(story_id)
        return Response(200, page("Bridge", *FIRST))

    site.route("/story", remove_then_answer)
    result = checker.check(store, story_id)
    assert result.outcome == "error" and "removed" in (result.error or "")
    assert store.count_stories() == 0 and store.list_checks(story_id) == []


def test_gone_is_not_written_over_a_pause_made_during_the_check(
    store: Store, site: LocalSite, db_path: Path
) -> None:
    story_id, _ = store.add_story(site.url("/story"))

    def pause_then_404(_req: Request) -> Response:
        with Store(db_path) as other:
            other.update_story(story_id, state="paused")
        return Response(404, b"missing", "text/plain")

    site.route("/story", pause_then_404)
    with Checker(local(db_path, gone_after_failures=1)) as checker:
        result = checker.check(store, story_id)
    assert result.outcome == "gone"
    assert store.get_story(story_id)["state"] == "paused"


def test_raw_page_is_archived_when_asked(store: Store, site: LocalSite, db_path: Path) -> None:
    body = page("Bridge", *FIRST)
    site.set("/story", body)
    story_id, _ = store.add_story(site.url("/story"))
    with Checker(local(db_path, archive_raw=True)) as archiving:
        archiving.check(store, story_id)
    assert store.raw_page(story_id, 1) == (body, "text/html")
    version = store.get_version(story_id, 1)  # read back without the blob, flagged instead
    assert version["has_raw"] and "raw" not in version


def test_developing_marker_sets_the_flag_and_a_short_interval(
    store: Store, site: LocalSite, checker: Checker
) -> None:
    site.set("/story", page("Quake hits coast", *FIRST, "(More to come)"))
    story_id, _ = store.add_story(site.url("/story"))
    now = clock.now()
    result = checker.check(store, story_id, now=now)
    assert store.get_story(story_id)["developing"] == 1
    wait = (clock.parse(result.next_check_at or "") - now).total_seconds()
    assert wait <= 5.5 * 60  # just changed and developing: the shortest step


def test_long_quiet_story_is_archived(store: Store, site: LocalSite, checker: Checker) -> None:
    site.set("/story", page("Bridge", *FIRST))
    long_ago = clock.iso(clock.now() - timedelta(days=200))
    story_id, _ = store.add_story(site.url("/story"), now=long_ago)
    checker.check(store, story_id)  # version 1 is a change: the clock restarts
    later = clock.now() + timedelta(days=120)
    result = checker.check(store, story_id, now=later)
    assert result.state == "archived" and result.next_check_at is None
    assert store.get_story(story_id)["state"] == "archived"


def test_corpus_pages_through_a_check(store: Store, site: LocalSite, checker: Checker) -> None:
    require_corpus()
    keys = corpus_keys()[:3]
    results: list[CheckResult] = []
    for key in keys:
        site.set(f"/{key}", corpus_page(key))
        story_id, _ = store.add_story(site.url(f"/{key}"))
        results.append(checker.check(store, story_id))
    assert [r.outcome for r in results] == ["new_version"] * 3
    assert all(store.latest_version(r.story_id)["text"] for r in results)


def test_a_story_deleted_before_its_check_starts_is_reported_not_crashed(
    db_path: Path, site: LocalSite
) -> None:
    site.set("/gone-soon", page("Bridge", *FIRST))
    with Store(db_path) as store:
        story_id, _ = store.add_story(site.url("/gone-soon"))
        store.delete_story(story_id)
        with Checker(local(db_path)) as checker:
            result = checker.check(store, story_id)
        assert record_internal_error(store, local(db_path), story_id, RuntimeError("x")).state == (
            "removed"
        )
    assert result.state == "removed" and "removed" in (result.error or "")
    assert site.requests == []
