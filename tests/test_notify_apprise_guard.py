"""Apprise targets that would reach addresses the SSRF guard never judged (issue #10): refused
when subscribing (CLI, form and API share one rule) and again at delivery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from netguard_support import FakeDNS
from notify_support import big_edit, new_story
from servers import LocalSite
from web_support import TOKEN, browser_session, csrf_of, live, make_app

from tracker.config import Settings
from tracker.notify.outbox import deliver_due
from tracker.notify.targets import BadTarget, check_target
from tracker.store import Store

NSEC = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
ZULIP_TOKEN = "a" * 32
GUARDED = Settings(base_url="https://diff.example.org", read_timeout=2.0, connect_timeout=2.0)


def attacks(port: int) -> dict[str, str]:
    """Each URL makes Apprise contact 127.0.0.1:port by a path other than the URL's host."""
    return {
        "nostr relay in the query": f"nostr://{NSEC}?relay=ws://127.0.0.1:{port}/",
        "zulip user part smuggling a host": f"zulip://bot@127.0.0.1:{port}@org/{ZULIP_TOKEN}",
        "discord template fetched from a URL": (
            f"discord://1234/abcdefg?template=http://127.0.0.1:{port}/t.json"
        ),
        "slack template read from a key file": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkd?template=file:///etc/passwd",
        "a second URL in the same text": f"json://hooks.example.org/x, nostr://{NSEC}?relay=ws://127.0.0.1:{port}/",
        "home assistant (not vetted)": "hassio://hass.example.org/long-lived-token",
    }


@pytest.mark.parametrize("name", list(attacks(1)))
def test_subscribing_refuses_plugins_whose_addresses_cannot_be_checked(name: str) -> None:
    with pytest.raises(BadTarget) as refused:
        check_target("apprise", attacks(8999)[name], GUARDED)
    message = str(refused.value)
    assert "not allowed" in message or "fetch a file or URL" in message, message


def test_allowed_plugins_still_subscribe() -> None:
    for url in (
        "json://hooks.example.org/x",
        "ntfy://newsdesk-alerts",
        "ntfys://ntfy.example.org/topic",
        "gotify://gotify.example.org/abcdefghijklmnop",
        "mmost://chat.example.org/abcdefghijklmnopqrstuvwxyz",
        "mailto://user:pass@example.org",
        "discord://1234/abcdefg",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7",
    ):
        assert check_target("apprise", url, GUARDED) == url


def test_cli_form_and_api_refuse_the_same_target(db_path: Path, store: Store) -> None:
    target = attacks(8999)["nostr relay in the query"]
    cli = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db_path), "subscribe", "--all"]
        + ["--apprise", target],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode != 0 and "not allowed" in cli.stderr and "Traceback" not in cli.stderr
    with live(make_app(db_path)) as base:
        api = requests.post(
            f"{base}/api/subscriptions",
            json={"scope": "all", "channel": "apprise", "target": target},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert api.status_code == 400 and "not allowed" in api.json()["message"]
        admin = browser_session(base)
        page = admin.get(f"{base}/manage/subscriptions/new", timeout=10).text
        form = admin.post(
            f"{base}/manage/subscriptions",
            data={"scope": "all", "channel": "apprise", "target": target, "mode": "instant"}
            | {"csrf_token": csrf_of(page)},
            timeout=30,
        )
        assert form.status_code == 400 and "not allowed" in form.text
    assert store.list_subscriptions() == []


def test_stored_targets_are_refused_again_at_delivery(
    store: Store, site: LocalSite, dns: FakeDNS
) -> None:
    """Subscriptions made before this rule (or written into the database) never send."""
    site.set("*", "ok", content_type="text/plain")
    story_id = new_story(store)
    urls = attacks(site.port)
    for url in urls.values():
        store.add_subscription(scope="all", channel="apprise", target=url)
    big_edit(store, story_id)
    report = deliver_due(store, GUARDED)
    assert report.dead == len(urls) and report.sent == 0
    assert site.requests == []
    for row in store.list_deliveries():
        assert "not allowed" in row["last_error"] or "fetch a file" in row["last_error"]


def test_names_that_resolve_to_loopback_are_refused_at_delivery(
    store: Store, site: LocalSite, dns: FakeDNS
) -> None:
    """Self-hosted names and the fixed SaaS hosts alike: every DNS answer is judged."""
    site.set("*", "ok", content_type="text/plain")
    dns.set("hooks.example.org", ["127.0.0.1"])
    dns.set("ntfy.example.org", ["8.8.8.8", "127.0.0.1"])
    dns.set("discord.com", ["127.0.0.1"])
    story_id = new_story(store)
    for url in (
        f"json://hooks.example.org:{site.port}/x",
        "ntfy://ntfy.example.org/topic",
        "discord://1234/abcdefg",
    ):
        store.add_subscription(scope="all", channel="apprise", target=url)
    big_edit(store, story_id)
    report = deliver_due(store, GUARDED)
    assert report.dead == 3 and site.requests == []
    for row in store.list_deliveries():
        assert "resolves to 127.0.0.1, a loopback address" in row["last_error"], row
