"""Signed-in management: add stories and feeds, pause, resume, delete with confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
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


def test_add_feed(admin: FlaskClient, store: Store) -> None:
    r = post(admin, "/manage/feeds", url="https://news.example/rss.xml", title="News")
    assert b"Feed added" in r.data and b"News" in r.data
    assert store.list_feeds()[0]["url"] == "https://news.example/rss.xml"


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
