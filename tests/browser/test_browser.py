"""The site in a real browser: reading a diff, keyboard moves, comparing, signing in, and payloads
that must stay inert."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import PAYLOAD, Live, shot
from playwright.sync_api import expect
from web_support import PASSWORD

pytestmark = pytest.mark.browser


def test_seed_story_diff_views_and_keyboard(page: Any, live: Live) -> None:
    page.goto(live.url + "/")
    shot(page, "stories")
    page.get_by_role("link", name=re.compile("Russia–North Korea treaty")).first.click()
    expect(page.get_by_role("heading", name="Change log")).to_be_visible()
    shot(page, "story")
    page.get_by_role("link", name="1 → 2").click()
    expect(page).to_have_url(re.compile(r"/diff/1\.\.2$"))
    expect(page.locator(".diff.side")).to_be_visible()
    expect(page.locator(".sides .older")).to_contain_text("version 1")
    expect(page.locator(".sides .newer")).to_contain_text("version 2")
    shot(page, "diff-side")
    page.locator("#view-inline").click()
    expect(page.locator(".diff.inline")).to_be_visible()
    expect(page.locator(".diff ins").first).to_be_visible()
    shot(page, "diff-inline")
    page.locator("#view-side").click()
    expect(page.locator(".diff.side")).to_be_visible()

    total = page.locator("[data-change]").count()
    assert total >= 2
    page.locator("h1").click()
    page.keyboard.press("j")
    expect(page.locator("#change-pos")).to_have_text(f"Change 1 of {total}")
    expect(page.locator("#change-1")).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator("#change-2")).to_be_focused()
    expect(page).to_have_url(re.compile("#change-2$"))
    page.keyboard.press("k")
    expect(page.locator("#change-1")).to_be_focused()
    page.get_by_role("link", name=re.compile("Next change")).click()
    expect(page.locator("#change-pos")).to_have_text(f"Change 2 of {total}")


def test_compare_two_chosen_versions_and_unfold(page: Any, live: Live) -> None:
    page.goto(f"{live.url}/stories/{live.ids['three']}")
    page.locator("#pick-a").select_option("1")
    page.locator("#pick-b").select_option("3")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(rf"/stories/{live.ids['three']}/diff/1\.\.3$"))
    expect(page.locator(".fields")).to_contain_text("Vote lost")
    folded = page.locator("details.unchanged").first
    expect(folded.locator("summary")).to_contain_text("unchanged paragraphs")
    hidden = folded.locator(".row").first
    expect(hidden).to_be_hidden()
    folded.locator("summary").click()
    expect(hidden).to_be_visible()
    shot(page, "diff-compare")


def test_sign_in_and_add_a_story(page: Any, live: Live) -> None:
    page.goto(live.url + "/manage/")
    expect(page).to_have_url(re.compile("/signin"))
    page.locator("#password").fill("not it at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile("/manage/$"))
    shot(page, "manage")
    page.locator("#story-url").fill("https://news.example/browser-added?utm_source=x")
    page.locator("#story-title").fill("Added from the browser")
    page.locator("#add-story").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Added from the browser")
    expect(page.get_by_role("status")).to_contain_text("Story added")
    expect(page.get_by_role("link", name="https://news.example/browser-added")).to_be_visible()


def test_payloads_do_not_execute(page: Any, live: Live) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sid = live.ids["hostile"]
    for path in (
        "/",
        f"/stories/{sid}",
        f"/stories/{sid}/diff/1..2",
        f"/stories/{sid}/diff/1..2?view=inline",
        f"/stories/{sid}/versions/2",
        "/?q=Calm",
    ):
        page.goto(live.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("document.querySelectorAll('main script, main img').length") == 0
        hrefs = page.evaluate(
            "[...document.querySelectorAll('a[href]')]"
            ".map(a => new URL(a.getAttribute('href'), location.href).href)"
        )
        assert not [h for h in hrefs if not h.startswith(("http://", "https://"))], path
    page.goto(f"{live.url}/stories/{sid}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Evil {PAYLOAD}")
    shot(page, "hostile-story")
    page.goto(f"{live.url}/stories/{sid}/diff/1..2")
    page.get_by_text("javascript:alert(1)").first.dispatch_event("click")
    page.keyboard.press("j")
    assert page.dialogs == [] and errors == []
