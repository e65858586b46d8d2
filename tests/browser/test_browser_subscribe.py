"""Subscribing to a story through the form in a real browser, then pausing it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import Live, shot
from playwright.sync_api import expect
from web_support import PASSWORD

pytestmark = pytest.mark.browser


def test_subscribe_to_a_story_through_the_form(page: Any, live: Live) -> None:
    story = live.ids["three"]
    page.goto(f"{live.url}/signin")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live.url}/stories/{story}")
    page.locator("#subscribe-link").click()
    expect(page).to_have_url(re.compile(rf"/manage/subscriptions/new\?story={story}$"))
    expect(page.locator("#scope-story")).to_be_checked()
    expect(page.locator("#subscribe-form")).to_contain_text("Vote lost")
    page.locator("#channel").select_option("email")
    page.locator("#target").fill("not an address")
    page.locator("#subscribe").click()
    expect(page.locator("#form-error")).to_contain_text("not an email address")
    page.locator("#target").fill("reader@example.org")
    page.locator("#kind-headline").check()
    page.locator("#min-words").fill("3")
    page.locator("#mode").select_option("daily")
    shot(page, "subscribe-form")
    page.locator("#subscribe").click()
    expect(page.locator("#subscribed")).to_contain_text("email to reader@example.org, daily")
    page.get_by_role("link", name="All subscriptions").click()
    row = page.locator("tr", has_text="reader@example.org")
    expect(row).to_contain_text("≥ 3 words; kinds: headline")
    expect(row.locator(".state")).to_have_text("active")
    row.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_contain_text("paused")
    expect(page.locator("tr", has_text="reader@example.org").locator(".state")).to_have_text(
        "paused"
    )
    shot(page, "subscriptions")
