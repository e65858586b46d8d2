"""Check health where people look (list, story page, API, status page, /metrics), live-update
polling, comparing by either parameter name, and the pages for people about the API and feeds."""

from __future__ import annotations

import re
from pathlib import Path

from check_support import local
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from servers import LocalSite
from web_support import TOKEN, add_story, doc, make_app, sign_in

from tracker.check import Checker
from tracker.store import Store

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _failing_story(store: Store, site: LocalSite, db_path: Path) -> int:
    """A story whose page answers 503 twice in a row, checked for real."""
    site.set("/down", "unavailable", status=503)
    sid, _ = store.add_story(site.url("/down"), title="Harbour bridge")
    with Checker(local(db_path)) as checker:
        checker.check(store, sid)
        checker.check(store, sid)
    return sid


def test_a_failing_check_is_visible_everywhere(
    store: Store, client: FlaskClient, site: LocalSite, db_path: Path
) -> None:
    sid = _failing_story(store, site, db_path)
    quiet = add_story(store, "https://news.example/q", [doc("Calm.", title="Calm story")])
    store.log_check(
        quiet, outcome="unchanged", story_fields={"last_checked_at": "2024-11-10T05:00:00Z"}
    )
    fresh, _ = store.add_story("https://news.example/new", title="Never seen")

    listing = client.get("/").data.decode()
    row = listing[listing.index("Harbour bridge") :].split("</li>")[0]
    assert "state-failing" in row and "2 failed checks" in row and "503" in row
    calm = listing[listing.index("Calm story") :].split("</li>")[0]
    assert "state-quiet" in calm and 'datetime="2024-11-10T05:00:00Z"' in calm
    never = listing[listing.index("Never seen") :].split("</li>")[0]
    assert "never checked" in never and "quiet" not in never

    story = client.get(f"/stories/{sid}").data.decode()
    assert 'id="last-error"' in story and "503" in story
    assert re.search(r'id="failures"[^>]*>2 in a row', story)
    assert 'id="next-check"' in story and "tracker run" in story  # honest under `serve`

    api = client.get(f"/api/stories/{sid}").json
    assert api["failures"] == 2 and "503" in api["last_error"]
    assert api["shown_state"] == "failing" and api["last_checked_at"].endswith("Z")
    assert client.get(f"/api/stories/{fresh}").json["shown_state"] == "never checked"

    failing = client.get("/?state=failing").data.decode()
    assert "Harbour bridge" in failing and "Calm story" not in failing
    unchecked = client.get("/?state=never_checked").data.decode()
    assert "Never seen" in unchecked and "Harbour bridge" not in unchecked

    status = client.get("/status").data.decode()
    assert 'href="/?state=failing"' in status
    assert "2 failed" in status and "503" in status
    report = client.get("/api/status").json
    assert report["stories"]["failing"] == 1 and report["stories"]["never_checked"] == 1
    assert report["checks"]["last_hour"]["error"] == 2
    assert report["errors"]["last_day"][0]["count"] == 2
    assert report["scheduler"]["due"] >= 1 and report["database"]["bytes"] > 0


def test_metrics_are_prometheus_text_and_private_on_a_private_site(
    store: Store, client: FlaskClient, site: LocalSite, db_path: Path
) -> None:
    _failing_story(store, site, db_path)
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    families = {f.name: f for f in text_string_to_metric_families(r.data.decode())}
    states = {s.labels["state"]: s.value for s in families["storydiff_stories"].samples}
    assert states["failing"] == 1
    errors = {s.labels["outcome"]: s.value for s in families["storydiff_checks_last_hour"].samples}
    assert errors["error"] == 2
    assert "storydiff_outbox_dead" in families and "storydiff_database_bytes" in families
    assert "storydiff_scheduler_lag_seconds" in families

    private = make_app(db_path, private=True).test_client()
    for path in ("/metrics", "/live/stories", "/api/status"):
        assert private.get(path).status_code == 401, path
    assert private.get("/status").status_code == 302  # to the sign-in page
    assert private.get("/metrics", headers=AUTH).status_code == 200
    sign_in(private)
    assert private.get("/status").status_code == 200


def test_live_polling_answers_304_until_a_version_arrives(
    store: Store, client: FlaskClient
) -> None:
    sid = add_story(store, "https://news.example/live", [doc("One.", title="Live story")])
    for path in ("/live/stories", f"/live/stories/{sid}"):
        first = client.get(path)
        tag = first.headers["ETag"]
        assert first.status_code == 200 and tag
        assert client.get(path, headers={"If-None-Match": tag}).status_code == 304
    tags = {p: client.get(p).headers["ETag"] for p in ("/live/stories", f"/live/stories/{sid}")}
    add_story(store, "https://news.example/live", [doc("One.", "Two.", title="Live story")])
    for path, tag in tags.items():
        again = client.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 200 and again.headers["ETag"] != tag
    data = client.get(f"/live/stories/{sid}").json
    assert data["version_count"] == 2 and data["latest_diff"] == f"/stories/{sid}/diff/1..2"
    listing = client.get("/live/stories").json
    assert listing["changes"][0] == {
        "story_id": sid,
        "version": 2,
        "title": "Live story",
        "detected_at": listing["changes"][0]["detected_at"],
    }
    assert client.get("/live/stories/999").status_code == 404
    tag = client.get("/live/stories").headers["ETag"]
    store.update_story(sid, state="paused")  # a pause shows in the list too
    assert client.get("/live/stories", headers={"If-None-Match": tag}).status_code == 200


def test_either_parameter_name_and_out_of_range_versions(store: Store, client: FlaskClient) -> None:
    sid = add_story(
        store,
        "https://news.example/v",
        [doc("Alpha.", title="V"), doc("Alpha beta.", title="V"), doc("Gamma.", title="V2")],
    )
    by_web = client.get(f"/api/stories/{sid}/diff?a=1&b=3").json
    by_api = client.get(f"/api/stories/{sid}/diff?from=1&to=3").json
    assert (by_web["from"], by_web["to"]) == (1, 3) and by_web == by_api
    r = client.get(f"/api/stories/{sid}/diff?a=1&b=99")
    assert r.status_code == 404 and "no version 99" in r.json["message"]
    assert "versions 1 to 3" in r.json["message"]
    assert client.get(f"/api/stories/{sid}/diff?a=1&from=2").status_code == 400
    assert client.get(f"/stories/{sid}/diff?from=1&to=3").headers["Location"].endswith("/diff/1..3")
    missing = client.get(f"/stories/{sid}/diff?a=1&b=99")
    assert missing.status_code == 404 and b"no version 99" in missing.data
    assert client.get(f"/stories/{sid}/diff/1..99").status_code == 404
    wide = client.get(f"/stories/{sid}/diff/1..3").data.decode()
    assert 'id="diff-summary"' in wide and "Across 2 versions" in wide and "kind-" in wide


def test_api_and_feed_pages_for_people(store: Store, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    for path in ("/api/", "/api/docs"):
        r = client.get(path)
        assert r.status_code == 200 and r.mimetype == "text/html"
        html = r.data.decode()
        for route, ops in spec["paths"].items():
            for method in ops:
                assert f'>{method.upper()}</code> <code class="path">{route}</code>' in html
    assert "cdn" not in client.get("/api/").data.decode().lower()
    feeds = client.get("/feeds/").data.decode()
    assert "/feeds/changes.atom" in feeds and "feed reader" in feeds
    sid, _ = store.add_story("https://news.example/f", title="Followed")
    story = client.get(f"/stories/{sid}").data.decode()
    assert f'href="/feeds/?story={sid}"' in story  # a page for people, not raw XML
    page = client.get(f"/feeds/?story={sid}").data.decode()
    assert f"/feeds/stories/{sid}.atom" in page and "Followed" in page
    assert client.get("/feeds/?story=999").status_code == 404
    nav = client.get("/").data.decode()
    assert 'href="/feeds/">Feeds<' in nav and 'href="/status">Status<' in nav


def test_times_carry_iso_and_local_hints(store: Store, client: FlaskClient) -> None:
    sid = add_story(
        store,
        "https://news.example/t",
        [doc("One.", title="T", published="2019-11-19T00:37:03.000Z"), doc("Two.", title="T")],
    )
    version = client.get(f"/stories/{sid}/versions/1").data.decode()
    assert '<time datetime="2019-11-19T00:37:03Z" title="2019-11-19T00:37:03Z">' in version
    assert ">2019-11-19T00:37:03.000Z<" not in version
    story = client.get(f"/stories/{sid}").data.decode()
    assert 'datetime="2024-11-10T02:00:00Z"' in story


def test_empty_states_say_what_to_do(db_path: Path, store: Store) -> None:
    client = make_app(db_path).test_client()
    first = client.get("/").data.decode()
    assert "No stories are tracked yet" in first and "tracker add URL" in first
    assert "No stories match" not in first
    store.add_story("https://news.example/x")
    none_paused = client.get("/?state=paused").data.decode()
    assert "No stories match these filters" in none_paused and 'href="/"' in none_paused


def test_blocked_checks_count_as_failed(store: Store, client: FlaskClient) -> None:
    """A wall (consent page, paywall, bot check) found no article: the status says it failed."""
    sid, _ = store.add_story("https://news.example/wall")
    store.log_check(sid, outcome="blocked", error="blocked by a consent wall")
    report = client.get("/api/status").json
    assert report["failed"]["last_hour"] == 1
    assert report["errors"]["last_hour"][0]["reason"] == "blocked by a consent wall"
    assert "1 failed" in client.get("/status").data.decode()


def test_failures_are_grouped_by_reason_without_their_addresses(
    store: Store, client: FlaskClient
) -> None:
    """Sixteen stories on hosts that cannot be resolved are one reason, not sixteen."""
    for i in range(3):
        sid, _ = store.add_story(f"https://site{i}.example/a")
        store.log_check(sid, outcome="error", error=f"cannot resolve host site{i}.example: gone")
    other, _ = store.add_story("https://b.example/x")
    store.log_check(other, outcome="error", error="https://b.example/x answered 503 Unavailable")
    reasons = client.get("/api/status").json["errors"]["last_hour"]
    assert [(r["reason"], r["count"], r["stories"]) for r in reasons] == [
        ("cannot resolve host …: gone", 3, 3),
        ("… answered 503 Unavailable", 1, 1),
    ]
    assert reasons[0]["example"].startswith("cannot resolve host site")
