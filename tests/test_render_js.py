"""Pages that build their article by script, rendered in Debian's chromium through the guard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from check_support import local
from servers import LocalSite

from tracker.check import Checker
from tracker.store import Store

pytestmark = pytest.mark.browser

SHELL = b"""<!doctype html><html><head><title>Loading...</title>
<script src="/app.js"></script></head>
<body><div id="app">Please enable JavaScript to read this story.</div>
<img src="/pixel.png"></body></html>"""

APP = b"""
document.addEventListener('DOMContentLoaded', async () => {
  const story = await (await fetch('/data.json')).json();
  for (const target of (story.probes || [])) {
    try { await fetch(target, {mode: 'no-cors'}); } catch (e) {}
  }
  if (story.socket) { try { new WebSocket(story.socket); } catch (e) {} }
  document.title = story.headline;
  const article = document.createElement('article');
  const h1 = document.createElement('h1');
  h1.textContent = story.headline;
  article.appendChild(h1);
  for (const text of story.paragraphs) {
    const p = document.createElement('p');
    p.textContent = text;
    article.appendChild(p);
  }
  document.getElementById('app').replaceWith(article);
});
"""

PARAS = [
    "The harbour authority said on Tuesday that the northern quay would reopen next month after "
    "two years of repairs that cost far more than the council had planned.",
    "Engineers found that the old timber piles had rotted through in several places, and the "
    "contractor replaced them with steel, which added 4.2 million euros to the bill.",
    "Fishermen who moved their boats to the southern basin during the works said they were "
    "relieved, though several complained that the new mooring fees were too high.",
]


def story_json(headline: str, paragraphs: list[str], **extra: object) -> bytes:
    return json.dumps({"headline": headline, "paragraphs": paragraphs, **extra}).encode()


@pytest.fixture
def js_site(site: LocalSite) -> LocalSite:
    site.set("/story", SHELL)
    site.set("/app.js", APP, content_type="application/javascript")
    site.set("/pixel.png", b"\x89PNG", content_type="image/png")
    site.set("/data.json", story_json("Quay to reopen", PARAS), content_type="application/json")
    return site


def _settings(db: Path, site: LocalSite, **changes: object):  # noqa: ANN202
    base = {"allow_hosts": (f"127.0.0.1:{site.port}",), "render_timeout": 10.0}
    base.update(changes)
    return local(db, **base)


def test_an_article_built_by_script_is_read_and_its_edits_found(
    store: Store, db_path: Path, js_site: LocalSite
) -> None:
    story_id, _ = store.add_story(js_site.url("/story"), options={"render_js": True})
    plain_id, _ = store.add_story(js_site.url("/story?plain=1"))
    with Checker(_settings(db_path, js_site)) as checker:
        first = checker.check(store, story_id)
        plain = checker.check(store, plain_id)
        assert first.outcome == "new_version", first.error
        version = store.get_version(story_id, 1)
        assert version["title"] == "Quay to reopen"
        assert "4.2 million euros" in version["text"]
        assert "enable JavaScript" not in version["text"]
        # without rendering, the shell is all there is
        assert (
            plain.outcome != "new_version"
            or "4.2 million" not in (store.get_version(plain_id, 1)["text"])
        )
        # the shell does not change, the data does: still a new version
        js_site.set(
            "/data.json",
            story_json("Quay to reopen", [PARAS[0], PARAS[1].replace("4.2", "5.1"), PARAS[2]]),
            content_type="application/json",
        )
        second = checker.check(store, story_id)
    assert second.outcome == "new_version", second.error
    assert "5.1 million euros" in store.get_version(story_id, 2)["text"]
    assert js_site.hits("/pixel.png") == []  # images are never fetched


def test_the_site_setting_turns_rendering_on_for_a_whole_site(
    store: Store, db_path: Path, js_site: LocalSite
) -> None:
    story_id, _ = store.add_story(js_site.url("/story"))
    with Checker(_settings(db_path, js_site, render_js=("127.0.0.1",))) as checker:
        result = checker.check(store, story_id)
    assert result.outcome == "new_version", result.error
    assert "4.2 million euros" in store.get_version(story_id, 1)["text"]


def test_a_script_cannot_reach_a_forbidden_address(
    store: Store, db_path: Path, js_site: LocalSite
) -> None:
    """Only the story's own port on 127.0.0.1 is allowed: another local server, a private
    address and a WebSocket all stay unreached, and the article is still read."""
    with LocalSite() as secret:
        secret.set("/admin", b"secret")
        secret.set("/ws", b"")
        js_site.set(
            "/data.json",
            story_json(
                "Quay to reopen",
                PARAS,
                probes=[secret.url("/admin"), "http://10.0.0.1/x", "http://[::1]:1/y"],
                socket=f"ws://127.0.0.1:{secret.port}/ws",
            ),
            content_type="application/json",
        )
        story_id, _ = store.add_story(js_site.url("/story"), options={"render_js": True})
        with Checker(_settings(db_path, js_site)) as checker:
            result = checker.check(store, story_id)
        assert result.outcome == "new_version", result.error
        assert secret.requests == []
    assert "4.2 million euros" in store.get_version(story_id, 1)["text"]


@pytest.mark.slow
def test_a_page_that_never_finishes_is_stopped_and_the_browser_recovers(
    store: Store, db_path: Path, js_site: LocalSite
) -> None:
    js_site.set("/spin", b"<html><body><script>while (true) {}</script></body></html>")
    spin_id, _ = store.add_story(js_site.url("/spin"), options={"render_js": True})
    good_id, _ = store.add_story(js_site.url("/story"), options={"render_js": True})
    with Checker(_settings(db_path, js_site, render_timeout=2.0)) as checker:
        spun = checker.check(store, spin_id)
        good = checker.check(store, good_id)
    assert spun.outcome == "error" and "could not render" in (spun.error or "")
    assert good.outcome == "new_version", good.error


def test_tracker_add_js_renders_that_story_only(db_path: Path, js_site: LocalSite) -> None:
    from click.testing import CliRunner

    from tracker.cli import main

    env = {"TRACKER_ALLOW_HOSTS": f"127.0.0.1:{js_site.port}", "TRACKER_RESPECT_ROBOTS": "0"}

    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--db", str(db_path), *args], env=env)
        return result.exit_code, result.output

    code, out = cli("add", js_site.url("/story"), "--js", "--json")
    assert code == 0, out
    story_id = json.loads(out)["id"]
    code, out = cli("add", js_site.url("/story?other=1"), "--no-js")
    assert code == 0, out
    code, out = cli("check", "--all", "--json")
    with Store(db_path) as store:
        assert store.get_story(story_id)["options"] == {"render_js": True}
        assert "4.2 million euros" in store.get_version(story_id, 1)["text"]
        other = store.find_story(js_site.url("/story?other=1"))
        assert other["options"] == {"render_js": False}
        assert (
            other["version_count"] == 0
            or "4.2 million" not in store.get_version(other["id"], 1)["text"]
        )
