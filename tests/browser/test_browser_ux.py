"""Issue 13 in a real browser, at 1366x900 and 390x844: every page fits the screen and passes
axe-core, check health and live updates show without a reload, times are local, the diff opens
inline on a phone, and the API and feeds have pages for people."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    DESKTOP,
    MOBILE,
    axe_source,
    axe_violations,
    overflow,
    shot,
)
from check_support import FIRST, SECOND, local
from check_support import page as article
from playwright.sync_api import expect
from servers import LocalSite
from web_support import PASSWORD, add_story, doc, make_app

from tracker import seeds
from tracker.check import Checker
from tracker.config import Settings
from tracker.notify.unsubscribe import unsubscribe_token
from tracker.store import Store

pytestmark = pytest.mark.browser
SIZES = {"desktop": DESKTOP, "mobile": MOBILE}
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
SECRET = "a-secret-key-for-unsubscribe-links-0123456789"


@dataclass
class Site:
    url: str
    db: Path
    news: LocalSite
    ids: dict[str, int]

    def check(self, story_id: int) -> None:
        with Store(self.db) as store, Checker(local(self.db)) as checker:
            checker.check(store, story_id)


def _fill(store: Store, news: LocalSite) -> dict[str, int]:
    para = [f"Paragraph {i} of the council report, which nobody changed." for i in range(8)]
    ids = {
        "seed": seeds.install(store),
        "three": add_story(
            store,
            "https://news.example/three",
            [
                doc(*para, "The vote was close.", title="Council votes"),
                doc(*para, "The vote was very close.", "Recount ordered.", title="Council votes"),
                doc("Breaking.", *para, "The vote was lost.", title="Vote lost"),
            ],
        ),
    }
    # a subscription to everything before the next change, so it leaves a delivery in the outbox
    ids["sub"] = store.add_subscription(
        scope="all", channel="webhook", target="https://hooks.example.org/all"
    )
    ids |= {
        "numbers": add_story(
            store,
            "https://news.example/numbers",
            [
                doc("Costs rose 20 percent this year, the council said.", title="Costs"),
                doc("Costs rose 23 percent this year, the council said.", title="Costs"),
            ],
        ),
    }
    news.set("/watched", article("Bridge to close", *FIRST))
    ids["watched"], _ = store.add_story(news.url("/watched"), title="Bridge to close")
    ids["feed"], _ = store.add_feed("https://news.example/rss.xml", title="Harbour wire")
    ids["delivery"] = int(store.list_deliveries()[0]["id"])
    store.add_subscription(
        scope="story",
        story_id=ids["three"],
        channel="webhook",
        target="https://hooks.example.org/storydiff/with/a/rather/long/path?token=abcdef123456",
        kinds=["headline", "numbers"],
        min_words=3,
    )
    store.add_subscription(
        scope="feed",
        feed_id=ids["feed"],
        channel="email",
        target="reader@example.org",
        mode="daily",
    )
    return ids


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import waitress

    db = tmp_path_factory.mktemp("ux") / "tracker.db"
    with LocalSite() as news:
        with Store(db) as store:
            ids = _fill(store, news)
        app = make_app(db, allow_hosts=("127.0.0.1",), respect_robots=False, LIVE_POLL_SECONDS=1)
        server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield Site(f"http://127.0.0.1:{server.effective_port}", db, news, ids)
        finally:
            server.close()
            thread.join(timeout=5)


def unsubscribe_path(sub_id: int) -> str:
    return f"/unsubscribe/{sub_id}/{unsubscribe_token(Settings(secret_key=SECRET), sub_id)}"


def _context(browser: Any, size: dict[str, int], **options: Any) -> Any:
    context = browser.new_context(viewport=size, locale="en-GB", **options)
    context.add_init_script(path=str(axe_source()))
    context.set_default_timeout(10_000)
    return context


def _sign_in(page: Any, url: str) -> None:
    page.goto(f"{url}/signin")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Manage")).to_be_visible()


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_every_page_fits_the_screen_and_passes_axe(browser: Any, site: Site, size: str) -> None:
    three, seed = site.ids["three"], site.ids["seed"]
    public = {
        "stories": "/",
        "search": "/?q=vote",
        "no-match": "/?state=archived",
        "story": f"/stories/{three}",
        "seed-story": f"/stories/{seed}",
        "diff-side": f"/stories/{three}/diff/1..2?view=side",
        "diff-inline": f"/stories/{three}/diff/1..3?view=inline",
        "diff-fields": f"/stories/{three}/diff/2..3?view=side",
        "version": f"/stories/{seed}/versions/1",
        "status": "/status",
        "api-docs": "/api/docs",
        "feeds": "/feeds/",
        "signin": "/signin",
        "not-found": "/stories/999999",
        "unsubscribe": unsubscribe_path(site.ids["sub"]),
    }
    private = {
        "manage": "/manage/",
        "subscriptions": "/manage/subscriptions",
        "subscribe-form": f"/manage/subscriptions/new?story={three}",
        "deliveries": "/manage/deliveries",
        "delivery": f"/manage/deliveries/{site.ids['delivery']}",
        "delete-story": f"/manage/stories/{three}/delete",
        "delete-feed": f"/manage/feeds/{site.ids['feed']}/delete",
        "delete-subscription": f"/manage/subscriptions/{site.ids['sub']}/delete",
    }
    context = _context(browser, SIZES[size])
    page = context.new_page()
    problems: list[str] = []
    try:
        for group in (public, private):
            if group is private:
                _sign_in(page, site.url)
            for name, path in group.items():
                page.goto(site.url + path)
                page.wait_for_load_state("load")
                wide = overflow(page)
                if wide > 0:
                    problems.append(f"{name}: {wide} px wider than the {size} screen")
                problems += [f"{name}: {v}" for v in axe_violations(page)]
                text = page.locator("main").inner_text()
                if name != "api-docs" and ISO.search(text):  # the API page shows the format
                    problems.append(f"{name}: a raw ISO time for readers: {ISO.search(text)[0]}")
                shot(page, f"{name}-{size}")
    finally:
        context.close()
    assert problems == []


def test_phone_reads_the_diff_inline_with_text_on_the_first_screen(
    browser: Any, site: Site
) -> None:
    context = _context(browser, MOBILE)
    page = context.new_page()
    try:
        page.goto(f"{site.url}/stories/{site.ids['numbers']}/diff/1..2")
        expect(page).to_have_url(re.compile(r"view=inline"))
        expect(page.locator(".diff.inline")).to_be_visible()
        first = page.locator(".diff del, .diff ins").first.bounding_box()
        assert first is not None and first["y"] + first["height"] <= MOBILE["height"]
        # a deleted "20" and an inserted "23" keep a visible gap: never "2023"
        gap = page.evaluate(
            "(() => { const d = document.querySelector('.diff del + ins');"
            "const a = d.previousElementSibling.getBoundingClientRect();"
            "return d.getBoundingClientRect().left - a.right; })()"
        )
        assert gap >= 3
        # the "edited" tag sits on its own paragraph, not above a gap like the one before
        tag_gap = page.evaluate(
            "(() => { const l = document.querySelector('.diff .row.changed .rowlabel');"
            "return l.nextElementSibling.getBoundingClientRect().top"
            " - l.getBoundingClientRect().bottom; })()"
        )
        assert tag_gap <= 6
        page.get_by_role("link", name="Side by side").click()
        expect(page.locator(".diff.side")).to_be_visible()  # an explicit choice is kept
        page.goto(f"{site.url}/stories/{site.ids['three']}/diff/2..3?view=side")
        lines = page.evaluate(
            "(() => { const th = [...document.querySelectorAll('.fields th[scope=row]')]"
            ".find(t => t.textContent.trim() === 'Headline'); if (!th) return 0;"
            "const r = document.createRange(); r.selectNodeContents(th);"
            "return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; })()"
        )
        assert lines == 1  # "Headline" on one line, not "He/adl/ine"
    finally:
        context.close()


def test_times_are_local_with_iso_in_the_tooltip(browser: Any, site: Site) -> None:
    context = _context(browser, DESKTOP, timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        page.goto(f"{site.url}/stories/{site.ids['three']}/versions/1")
        seen = page.locator("dd time").first
        expect(seen).to_have_attribute("title", "2024-11-10T01:00:00Z")
        expect(seen).to_contain_text("10:00")  # 01:00 UTC is 10:00 in Tokyo
        expect(seen).to_contain_text("ago")
        assert "UTC" not in seen.inner_text()
        page.goto(f"{site.url}/stories/{site.ids['three']}")
        first = page.locator("#pick-a option[value='1']")
        expect(first).to_have_text(re.compile(r"^version 1 · .*10:00"))
    finally:
        context.close()


def test_timeline_has_a_legend_and_readable_dates_on_a_phone(browser: Any, site: Site) -> None:
    context = _context(browser, MOBILE)
    page = context.new_page()
    try:
        page.goto(f"{site.url}/stories/{site.ids['three']}")
        expect(page.locator(".timeline .legend")).to_contain_text("headline or correction")
        ticks = page.locator(".timeline .ticks span")
        expect(ticks).to_have_count(3)
        size = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.timeline .ticks')).fontSize)"
        )
        assert size >= 11
        expect(page.locator(".timeline svg a")).to_have_count(3)
    finally:
        context.close()


def test_a_check_failure_and_a_new_version_appear_without_reload(browser: Any, site: Site) -> None:
    watched = site.ids["watched"]
    context = _context(browser, DESKTOP)
    story, listing = context.new_page(), context.new_page()
    try:
        story.goto(f"{site.url}/stories/{watched}")
        expect(story.locator("#story-meta .state")).to_have_text("never checked")
        listing.goto(f"{site.url}/")
        row = listing.locator(f'[data-story="{watched}"]')
        expect(row.locator(".state")).to_have_text("never checked")

        site.check(watched)  # version 1
        expect(story.locator("#live-status")).to_contain_text("Version 1 just arrived")
        expect(story.locator(".timeline .first")).to_have_count(1)  # the timeline appears
        expect(story.locator("#story-meta .state")).to_have_text("quiet")

        site.news.set("/watched", "down for maintenance", status=503)
        site.check(watched)
        expect(story.locator("#story-meta .state")).to_contain_text("failing")
        expect(story.locator("#last-error")).to_contain_text("503")
        expect(story.locator("#live-status")).to_contain_text("1 failed check")
        expect(row.locator(".state")).to_contain_text("1 failed check")
        shot(story, "live-failing-story")

        site.news.set("/watched", article("Bridge to close for six months", *SECOND))
        site.check(watched)
        expect(story.locator("#live-status")).to_contain_text("Version 2 just arrived")
        expect(story.get_by_role("link", name="See what changed")).to_have_attribute(
            "href", f"/stories/{watched}/diff/1..2"
        )
        expect(story.locator("#story-meta .state")).not_to_contain_text("failing")
        expect(listing.locator("#live-status")).to_contain_text(
            "Version 2 of “Bridge to close for six months” just arrived"
        )
        expect(listing.locator(f'[data-story="{watched}"] .latest')).to_contain_text("+")
        shot(listing, "live-list")
    finally:
        context.close()


def test_list_says_what_changed_and_sorts_by_activity(browser: Any, site: Site) -> None:
    context = _context(browser, DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{site.url}/")
        row = page.locator(f'[data-story="{site.ids["numbers"]}"]')
        expect(row.locator(".kind").first).to_be_visible()
        expect(row.locator(".words")).to_contain_text("+1")
        expect(row.locator(".words")).to_contain_text("−1")
        row.get_by_role("link", name=re.compile("^latest diff")).click()
        expect(page).to_have_url(re.compile(rf"/stories/{site.ids['numbers']}/diff/1\.\.2"))
        page.goto(f"{site.url}/")
        page.get_by_role("link", name="activity (most versions)").click()
        expect(page).to_have_url(re.compile(r"sort=versions"))
        first = page.locator("[data-story]").first
        expect(first).to_have_attribute("data-story", str(site.ids["three"]))
    finally:
        context.close()


def test_people_get_pages_for_the_api_and_the_feeds(browser: Any, site: Site) -> None:
    context = _context(browser, MOBILE)
    page = context.new_page()
    try:
        page.goto(f"{site.url}/")
        page.get_by_role("link", name="Feeds", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Atom feeds")
        expect(page.locator("#feed-all")).to_contain_text("/feeds/changes.atom")
        page.get_by_role("link", name="JSON API").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("The JSON API")
        expect(page.locator("#get--api-stories-story_id-diff")).to_contain_text("from")
        page.goto(f"{site.url}/stories/{site.ids['three']}/diff?a=1&b=99")
        expect(page.locator("main")).to_contain_text("has no version 99: it has versions 1 to 3")
    finally:
        context.close()
