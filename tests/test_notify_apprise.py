"""Apprise delivering to a local json:// endpoint (the generic JSON plugin) on 127.0.0.1."""

from __future__ import annotations

import json

from notify_support import big_edit, new_story
from servers import LocalSite, Response

from tracker.config import Settings
from tracker.notify.outbox import deliver_due
from tracker.store import Store

SETTINGS = Settings(allow_private=True, base_url="https://diff.example.org", read_timeout=2.0)


def _json_url(site: LocalSite, path: str = "/notify") -> str:
    return f"json://127.0.0.1:{site.port}{path}"


def test_apprise_json_endpoint_gets_summary_and_link(store: Store, site: LocalSite) -> None:
    site.set("/notify", "ok", content_type="text/plain")
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="apprise", target=_json_url(site))
    big_edit(store, story_id)
    report = deliver_due(store, SETTINGS)
    assert (report.sent, report.dead, report.retrying) == (1, 0, 0)
    (hit,) = site.hits("/notify")
    data = json.loads(hit.body)
    assert data["title"].startswith("Changed: Harbour budget")
    assert data["message"].startswith("Harbour budget:")
    assert "{+15+}" in data["message"]  # the word diff, as text
    assert (
        data["message"].rstrip().endswith(f"https://diff.example.org/stories/{story_id}/diff/1..2")
    )


def test_apprise_failure_is_retried_with_the_reason(store: Store, site: LocalSite) -> None:
    site.set("/notify", "down", status=500, content_type="text/plain")
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="apprise", target=_json_url(site))
    big_edit(store, story_id)
    report = deliver_due(store, SETTINGS)
    assert report.retrying == 1
    (row,) = store.list_deliveries()
    assert row["status"] == "pending" and "500" in row["last_error"]
    site.route("/notify", lambda _req: Response(200, b"ok", "text/plain"))
    assert deliver_due(store, SETTINGS, now=row["next_attempt_at"]).sent == 1
    assert len(site.hits("/notify")) == 2


def test_apprise_private_host_refused_without_opt_in(store: Store, site: LocalSite) -> None:
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="apprise", target=_json_url(site))
    big_edit(store, story_id)
    report = deliver_due(store, SETTINGS.replace(allow_private=False))
    assert report.dead == 1 and site.requests == []
    assert "loopback" in store.list_deliveries()[0]["last_error"]


def test_unknown_apprise_scheme_is_dead_with_a_clear_reason(store: Store) -> None:
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="apprise", target="nosuchservice://x/y")
    big_edit(store, story_id)
    assert deliver_due(store, SETTINGS).dead == 1
    assert "does not understand 'nosuchservice'" in store.list_deliveries()[0]["last_error"]


def test_every_self_hosted_plugin_passes_the_guard(store: Store, site: LocalSite) -> None:
    """ntfy, gotify, mattermost, mailto...: every allowed plugin whose URL names a host is
    guarded."""
    site.set("*", "ok", content_type="text/plain")
    story_id = new_story(store)
    port = site.port
    for target in (
        f"ntfy://127.0.0.1:{port}/topic",
        f"gotify://127.0.0.1:{port}/abcdefghijklmnop",
        f"mmost://127.0.0.1:{port}/abcdefghijklmnopqrstuvwxyz",
        f"mailto://user:pass@example.org?smtp=127.0.0.1&port={port}",
        f"xml://127.0.0.1:{port}/x",
        f"form://127.0.0.1:{port}/x",
    ):
        store.add_subscription(scope="all", channel="apprise", target=target)
    big_edit(store, story_id)
    report = deliver_due(store, SETTINGS.replace(allow_private=False))
    assert report.dead == 6 and site.requests == []
    assert all("loopback" in row["last_error"] for row in store.list_deliveries())


def test_allowed_self_hosted_ntfy_is_sent(store: Store, site: LocalSite) -> None:
    site.set("*", '{"id":"x"}', content_type="application/json")
    story_id = new_story(store)
    store.add_subscription(
        scope="all", channel="apprise", target=f"ntfy://127.0.0.1:{site.port}/topic"
    )
    big_edit(store, story_id)
    allowed = SETTINGS.replace(allow_private=False, allow_hosts=("127.0.0.1",))
    assert deliver_due(store, allowed).sent == 1
    (hit,) = site.requests
    assert hit.method == "POST" and "Harbour budget" in hit.body.decode("utf-8", "replace")


def test_a_port_scoped_allow_entry_opens_only_that_port_to_apprise(
    store: Store, site: LocalSite
) -> None:
    """An entry with a port opens that port; a plugin that picks its own port (80 or 443 for
    json://, gotify://) when the URL names none is refused unless the entry has no port."""
    site.set("/notify", "ok", content_type="text/plain")
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="apprise", target=_json_url(site))
    for target in ("json://127.0.0.1/x", "gotify://127.0.0.1/abcdefghijklmnop"):
        store.add_subscription(scope="all", channel="apprise", target=target)
    big_edit(store, story_id)
    opened = (f"127.0.0.1:{site.port}", "127.0.0.1:8080")  # not what the plugins pick
    report = deliver_due(store, SETTINGS.replace(allow_private=False, allow_hosts=opened))
    assert (report.sent, report.dead) == (1, 2)
    assert len(site.hits("/notify")) == 1
    refused = [r["last_error"] for r in store.list_deliveries() if r["status"] == "dead"]
    assert len(refused) == 2
    assert all("not the one its client picks" in error for error in refused), refused


def test_apprise_does_not_follow_a_redirect_past_the_guard(store: Store, site: LocalSite) -> None:
    """The guard judged the URL's host; a 3xx (say, to a cloud metadata address) is not
    followed, even when the subscriber's URL asks for redirects."""
    site.set("/notify", "", status=302, headers={"Location": site.url("/inside")})
    site.set("/inside", "ok", content_type="text/plain")
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="apprise", target=_json_url(site) + "?redirect=yes")
    big_edit(store, story_id)
    report = deliver_due(store, SETTINGS)
    assert report.sent == 0
    assert len(site.hits("/notify")) == 1 and site.hits("/inside") == []
