"""Many stories at once from the web: the manage form's list and the API's batch."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from web_support import TOKEN, csrf_of, make_app, sign_in

from tracker.store import Store

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_manage_form_adds_a_list(db_path: Path, store: Store) -> None:
    admin = make_app(db_path).test_client()
    sign_in(admin)
    token = csrf_of(admin.get("/manage/").data)
    urls = "https://news.example/a\r\n\r\nhttps://news.example/b?utm_source=x\r\nnot a url\r\n"
    r = admin.post(
        "/manage/stories", data={"url": urls, "csrf_token": token}, follow_redirects=True
    )
    page = r.data.decode()
    assert "Added 2 stories; 0 already tracked." in page
    assert "1 addresses could not be tracked: not a url" in page
    assert [s["url"] for s in store.iter_stories()] == [
        "https://news.example/a",
        "https://news.example/b",
    ]


def test_api_batch(client: FlaskClient, store: Store) -> None:
    body = {"urls": ["https://news.example/x", "https://news.example/x#top", "file:///etc/passwd"]}
    r = client.post("/api/stories/batch", json=body, headers=AUTH)
    assert r.status_code == 200
    assert [(x["status"], x["id"]) for x in r.json["results"]] == [
        ("added", 1),
        ("exists", 1),
        ("invalid", None),
    ]
    assert client.post("/api/stories/batch", json=body).status_code == 401
    assert client.post("/api/stories/batch", json={"urls": "x"}, headers=AUTH).status_code == 400
    too_many = {"urls": ["https://news.example/"] * 10_001}
    assert client.post("/api/stories/batch", json=too_many, headers=AUTH).status_code == 413
    assert store.count_stories() == 1
