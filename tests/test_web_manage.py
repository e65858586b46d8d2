"""Signed-in management: add stories and feeds, pause, resume, delete with confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from servers import LocalSite
from web_support import add_story, csrf_of, doc, make_app, sign_in

from tracker.store import NotFound, Store


@pytest.fixture
def admin(db_path: Path) -> FlaskClient:
    client = make_app(db_path).test_client()
    sign_in(client)
    return client


def post(client: FlaskClient, path: str, **data: str):  # noqa: ANN201
    token = csrf_of(client.get("/manage/").data)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)


def test_manage_needs_sign_in(db_path: Path) -> None:
    client = make_app(db_path).test_client()
    r = client.get("/manage/")
    assert r.status_code == 302 and r.headers["Location"] == "/signin?next=/manage/"


def test_add_story_normalises_and_shows_it(admin: FlaskClient, store: Store) -> None:
    r = post(admin, "/manage/stories", url="HTTPS://News.Example/a?utm_source=x&id=3", title="Hi")
    assert r.status_code == 200 and b"Story added" in r.data
    story = store.find_story("https://news.example/a?id=3")
    assert story["title"] == "Hi" and story["site"] == "news.example"
    again = post(admin, "/manage/stories", url="https://news.example/a?id=3")
    assert b"already tracked" in again.data and store.count_stories() == 1


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.example/", "", "http://"])
def test_add_story_rejects_bad_urls(admin: FlaskClient, store: Store, url: str) -> None:
    r = post(admin, "/manage/stories", url=url)
    assert b"Cannot track that address" in r.data
    assert store.count_stories() == 0


RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour news</title>'
    "<item><title>A</title><link>{link}</link></item></channel></rss>"
)


def test_add_feed_checks_it_like_the_command(db_path: Path, store: Store, site: LocalSite) -> None:
    """The form fetches and reads the feed first, as `tracker add-feed` does: an unreachable
    address or a web page is refused with the reason, and nothing is saved."""
    admin = make_app(db_path, allow_hosts=("127.0.0.1",), respect_robots=False).test_client()
    sign_in(admin)
    site.set("/page", "<html><body><p>Not a feed</p></body></html>", content_type="text/html")
    refused = post(admin, "/manage/feeds", url=site.url("/page"))
    assert b"Cannot follow" in refused.data and store.list_feeds() == []
    gone = post(admin, "/manage/feeds", url=site.url("/missing"))
    assert b"Cannot follow" in gone.data and b"404" in gone.data and store.list_feeds() == []
    site.set("/rss", RSS.format(link=site.url("/a")), content_type="application/rss+xml")
    r = post(admin, "/manage/feeds", url=site.url("/rss"), title="News")
    assert b"Feed added: 1 entries, 1 new stories" in r.data and b"News" in r.data
    assert store.list_feeds()[0]["url"] == site.url("/rss")


def test_messages_are_true_to_the_running_mode(db_path: Path, store: Store) -> None:
    """Under `tracker serve` nothing checks stories: never promise "checked shortly" there."""
    served = make_app(db_path).test_client()
    sign_in(served)
    r = post(served, "/manage/stories", url="https://news.example/served")
    assert b"checked shortly" not in r.data and b"does not check stories" in r.data
    running = make_app(db_path, CHECKS_RUN=True).test_client()
    sign_in(running)
    r = post(running, "/manage/stories", url="https://news.example/running")
    assert b"will be checked within a minute" in r.data


def test_pause_resume_delete(admin: FlaskClient, store: Store) -> None:
    sid = add_story(store, "https://news.example/d", [doc("a"), doc("b")])
    post(admin, f"/manage/stories/{sid}/pause")
    assert store.get_story(sid)["state"] == "paused"
    assert b"Resume" in admin.get(f"/stories/{sid}").data
    post(admin, f"/manage/stories/{sid}/resume", back="story")
    assert store.get_story(sid)["state"] == "active"
    confirm = admin.get(f"/manage/stories/{sid}/delete").data.decode()
    assert "2 versions" in confirm and 'id="confirm-delete"' in confirm
    r = post(admin, f"/manage/stories/{sid}/delete")
    assert b"Deleted story" in r.data
    with pytest.raises(NotFound):
        store.get_story(sid)
    assert post(admin, f"/manage/stories/{sid}/pause").status_code == 404


def test_sign_out(admin: FlaskClient) -> None:
    r = post(admin, "/signout")
    assert b"Signed out" in r.data
    assert admin.get("/manage/").status_code == 302


def test_resuming_a_gone_story_puts_it_back_in_the_queue(admin: FlaskClient, store: Store) -> None:
    sid = add_story(store, "https://news.example/gone", [doc("a")])
    store.update_story(sid, state="gone", next_check_at=None, failures=5, last_error="HTTP 410")
    r = post(admin, f"/manage/stories/{sid}/resume", back="story")
    assert r.status_code == 200 and b"Story resumed" in r.data
    story = store.get_story(sid)
    assert story["state"] == "active" and story["failures"] == 0 and story["next_check_at"]
    assert sid in [s["id"] for s in store.due_stories(story["next_check_at"])]


def test_remove_a_feed_after_confirming(admin: FlaskClient, store: Store) -> None:
    feed_id, _ = store.add_feed("https://news.example/rss.xml", title="Wire")
    sid = add_story(store, "https://news.example/w", [doc("a")], feed_id=feed_id)
    index = admin.get("/manage/").data.decode()
    assert f'href="/manage/feeds/{feed_id}/delete" id="delete-feed-{feed_id}"' in index
    confirm = admin.get(f"/manage/feeds/{feed_id}/delete").data.decode()
    assert "Wire" in confirm and 'id="confirm-delete-feed"' in confirm
    assert store.get_feed(feed_id)  # asking changed nothing
    r = post(admin, f"/manage/feeds/{feed_id}/delete")
    assert r.status_code == 200 and b"Stopped following feed" in r.data
    assert store.list_feeds() == [] and store.get_story(sid)["feed_id"] is None
    assert post(admin, f"/manage/feeds/{feed_id}/delete").status_code == 404


def test_removing_a_feed_needs_sign_in_and_csrf(db_path: Path, store: Store) -> None:
    feed_id, _ = store.add_feed("https://news.example/rss.xml")
    client = make_app(db_path).test_client()
    assert client.post(f"/manage/feeds/{feed_id}/delete").status_code in (302, 400)
    sign_in(client)
    assert client.post(f"/manage/feeds/{feed_id}/delete").status_code == 400
    assert store.get_feed(feed_id)
