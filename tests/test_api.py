"""The JSON API: reads, token-guarded writes, pushed versions, diffs, errors and OpenAPI."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_support import TOKEN, add_story, doc

from tracker import seeds
from tracker.diff import diff_documents
from tracker.record import document_of
from tracker.store import Store

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_list_and_get_stories(store: Store, client: FlaskClient) -> None:
    sid = seeds.install(store)
    data = client.get("/api/stories").json
    assert data["total"] == 1 and data["has_more"] is False
    story = data["stories"][0]
    assert story["id"] == sid and story["version_count"] == 2 and story["developing"] is True
    assert "etag" not in story and "options" not in story
    assert client.get(f"/api/stories/{sid}").json["url"] == seeds.SEED_URL
    found = client.get("/api/stories?q=Pyongyang").json["stories"]
    assert found[0]["id"] == sid and found[0]["match_version"] in (1, 2)


def test_writes_need_a_valid_token(client: FlaskClient, store: Store) -> None:
    body = {"url": "https://news.example/a"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        r = client.post("/api/stories", json=body, headers=headers)
        assert r.status_code == 401
        assert r.json["status"] == 401 and "API token" in r.json["message"]
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert store.count_stories() == 0


def test_create_pause_resume_delete(client: FlaskClient, store: Store) -> None:
    r = client.post(
        "/api/stories",
        json={"url": "https://News.example/a?utm_medium=x", "title": "A"},
        headers=AUTH,
    )
    assert r.status_code == 201 and r.json["created"] is True
    sid = r.json["story"]["id"]
    assert r.json["story"]["url"] == "https://news.example/a"
    again = client.post("/api/stories", json={"url": "https://news.example/a"}, headers=AUTH)
    assert again.status_code == 200 and again.json["created"] is False
    assert client.post(f"/api/stories/{sid}/pause", headers=AUTH).json["state"] == "paused"
    assert store.get_story(sid)["state"] == "paused"
    assert client.post(f"/api/stories/{sid}/resume", headers=AUTH).json["state"] == "active"
    assert client.delete(f"/api/stories/{sid}", headers=AUTH).status_code == 204
    assert store.count_stories() == 0
    assert client.delete(f"/api/stories/{sid}", headers=AUTH).json == {
        "status": 404,
        "message": f"no story with id {sid}",
    }


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "not a JSON object"),
        ({"data": "[1, 2]", "content_type": "application/json"}, 400, "not a JSON object"),
        ({"data": "url=x", "content_type": "application/x-www-form-urlencoded"}, 415, "JSON"),
        ({"json": {"url": 5}}, 400, "'url' is required"),
        ({"json": {"url": "javascript:alert(1)"}}, 422, "only http and https"),
        ({"json": {"url": "https://a.example/", "title": ["x"]}}, 400, "'title'"),
    ],
)
def test_create_story_rejects_bad_bodies(
    client: FlaskClient, kwargs: dict, status: int, words: str
) -> None:
    r = client.post("/api/stories", headers=AUTH, **kwargs)
    assert r.status_code == status
    assert r.json["status"] == status and words in r.json["message"]


def test_push_versions_and_read_them_back(client: FlaskClient, store: Store) -> None:
    sid, _ = store.add_story("https://news.example/pushed")
    url = f"/api/stories/{sid}/versions"
    html = (
        b"<html><head><title>Pushed</title></head><body><article><p>"
        + b"First paragraph words. " * 20
        + b"</p></article></body></html>"
    )
    first = url + "?at=2024-11-10T04:00:00Z"  # versions take their place in time order
    r = client.post(first, data=html, content_type="text/html", headers=AUTH)
    assert r.status_code == 201 and r.json["version"] == 1 and r.json["change"] is None
    same = client.post(url, data=html, content_type="text/html", headers=AUTH)
    assert same.status_code == 200 and same.json["created"] is False
    body = json.dumps({"title": "Pushed", "text": "Second text.\n\nWith two paragraphs."})
    r = client.post(
        url + "?at=2024-11-10T05:00:00Z", data=body, content_type="application/json", headers=AUTH
    )
    assert r.status_code == 201 and r.json["version"] == 2
    assert r.json["change"]["paragraphs_added"] >= 1 and r.json["change"]["summary"]
    versions = client.get(url).json["versions"]
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["fetched_at"] == "2024-11-10T05:00:00Z"
    v2 = client.get(f"{url}/2").json
    assert v2["paragraphs"] == ["Second text.", "With two paragraphs."]
    text = client.get(f"{url}/2/text")
    assert text.mimetype == "text/plain" and text.data == b"Second text.\n\nWith two paragraphs.\n"


@pytest.mark.parametrize(
    ("data", "ctype", "status"),
    [
        (b"", "text/plain", 400),
        (b"   \n", "text/plain", 400),
        (b"{broken", "application/json", 422),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", 422),
        (b"<html></html>", "text/html", 422),
        (b"x" * (6 * 1024 * 1024), "text/plain", 413),
    ],
)
def test_push_rejects_garbage(
    client: FlaskClient, store: Store, data: bytes, ctype: str, status: int
) -> None:
    sid, _ = store.add_story("https://news.example/g")
    r = client.post(f"/api/stories/{sid}/versions", data=data, content_type=ctype, headers=AUTH)
    assert r.status_code == status
    assert r.json["status"] == status and r.json["message"]
    assert store.list_versions(sid) == []


def test_push_needs_token_and_a_story(client: FlaskClient, store: Store) -> None:
    assert (
        client.post("/api/stories/1/versions", data=b"hello", content_type="text/plain").status_code
        == 401
    )
    r = client.post(
        "/api/stories/77/versions", data=b"hello", content_type="text/plain", headers=AUTH
    )
    assert r.status_code == 404
    sid, _ = store.add_story("https://news.example/t")
    r = client.post(f"/api/stories/{sid}/versions?at=yesterday", data=b"hi", headers=AUTH)
    assert r.status_code == 400 and "ISO 8601" in r.json["message"]


def test_diff_is_the_diff_module_structure(client: FlaskClient, store: Store) -> None:
    sid = add_story(
        store,
        "https://news.example/d",
        [doc("Alpha beta.", title="One"), doc("Alpha gamma.", "New.", title="Two"), doc("Z")],
    )
    data = client.get(f"/api/stories/{sid}/diff?from=1&to=2").json
    expected = diff_documents(
        document_of(store.get_version(sid, 1)), document_of(store.get_version(sid, 2))
    ).to_json()
    assert data["from"] == 1 and data["to"] == 2
    assert data["rows"] == json.loads(json.dumps(expected["rows"]))
    assert data["fields"] == json.loads(json.dumps(expected["fields"]))
    assert data["fields"]["title"]["old"] == "One" and data["fields"]["title"]["new"] == "Two"
    assert data["stats"]["paragraphs_added"] == 1
    latest = client.get(f"/api/stories/{sid}/diff").json
    assert (latest["from"], latest["to"]) == (2, 3)
    assert client.get(f"/api/stories/{sid}/diff?from=1&to=9").status_code == 404
    assert client.get(f"/api/stories/{sid}/diff?from=x").json["status"] == 400


def test_changes(client: FlaskClient, store: Store) -> None:
    feed_id, _ = store.add_feed("https://news.example/rss")
    a = add_story(
        store, "https://news.example/a", [doc("one"), doc("two"), doc("three")], feed_id=feed_id
    )
    add_story(store, "https://news.example/b", [doc("x"), doc("y")])
    assert len(client.get("/api/changes").json["changes"]) == 3
    assert len(client.get(f"/api/changes?feed={feed_id}").json["changes"]) == 2
    mine = client.get(f"/api/stories/{a}/changes?limit=1").json["changes"]
    assert len(mine) == 1 and mine[0]["to_version"] == 3
    one = client.get(f"/api/changes/{mine[0]['id']}").json
    assert one["story_id"] == a and one["from_version"] == 2
    assert client.get("/api/changes/9999").status_code == 404
    assert client.get("/api/feeds").json["feeds"][0]["stories"] == 1


def test_changes_by_kind_and_a_kind_there_is_not(client: FlaskClient, store: Store) -> None:
    """A misspelt kind (`headlines`) found nothing and said nothing, like a real empty answer."""
    add_story(store, "https://news.example/a", [doc("one", title="A"), doc("one", title="B")])
    assert len(client.get("/api/changes?kind=headline&kind=edit").json["changes"]) == 1
    assert client.get("/api/changes?kind=revert&kind=").json["changes"] == []
    for bad in ("headlines", "HEADLINE", "x" * 5000, "edit\x00"):
        r = client.get("/api/changes", query_string={"kind": ["headline", bad]})
        assert r.status_code == 400, (bad, r.status_code)
        assert "headline" in r.json["message"] and "typo" in r.json["message"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/nothing", 404),
        ("get", "/api/stories/0", 404),
        ("get", "/api/stories/99999999999999999999", 404),
        ("put", "/api/stories", 405),
        ("get", "/api/stories?limit=0", 400),
        ("get", "/api/stories?state=evil", 400),
        ("get", "/api/stories?offset=-5", 400),
    ],
)
def test_errors_are_json(client: FlaskClient, method: str, path: str, status: int) -> None:
    r = getattr(client, method)(path)
    assert r.status_code == status and r.mimetype == "application/json"
    assert set(r.json) == {"status", "message"} and r.json["status"] == status


def test_openapi_matches_the_routes(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    for path, ops in spec["paths"].items():
        for op in ops.values():
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), path


# ------------------------------------------------------------------ review fixes


@pytest.mark.parametrize("state", ["gone", "archived", "paused"])
def test_resume_checks_a_stopped_story_again(client: FlaskClient, store: Store, state: str) -> None:
    """A gone or archived story has no next check; resuming must give it one, due now."""
    sid, _ = store.add_story("https://news.example/stopped")
    store.update_story(sid, state=state, next_check_at=None, failures=4, last_error="HTTP 410")
    r = client.post(f"/api/stories/{sid}/resume", headers=AUTH)
    assert r.status_code == 200 and r.json["state"] == "active"
    story = store.get_story(sid)
    assert story["next_check_at"] is not None and story["failures"] == 0
    assert sid in [s["id"] for s in store.due_stories(story["next_check_at"])]


@pytest.mark.parametrize(
    "query",
    [
        "/api/stories?limit=¹",
        "/api/stories?page=²",
        "/api/stories?offset=³",
        "/api/stories?feed=²",
        "/api/stories?limit=١٠",
        "/api/changes?feed=²",
        "/api/changes?limit=99999999999999999999999",
        "/api/stories/1/diff?from=²&to=³",
        "/?page=²",
        "/?limit=¹",
        "/manage/?page=²",
    ],
)
def test_unicode_and_huge_digits_are_a_400(client: FlaskClient, store: Store, query: str) -> None:
    add_story(store, "https://news.example/u", [doc("one"), doc("two")])
    from web_support import sign_in

    sign_in(client)
    r = client.get(query)
    assert r.status_code == 400, r.data[:300]
    assert b"whole number" in r.data


@pytest.mark.parametrize("value", ["a\x00b", "\x1b[31mred", "tab\there", "x\x7f", "c1\x85c1"])
def test_control_characters_in_text_arguments_are_a_400(
    client: FlaskClient, store: Store, value: str
) -> None:
    add_story(store, "https://news.example/c", [doc("one")])
    for path in ("/api/stories", "/"):
        for name in ("q", "site"):
            r = client.get(path, query_string={name: value})
            assert r.status_code == 400, (path, name)
            assert b"control characters" in r.data
    assert client.get("/api/stories", query_string={"q": "one"}).status_code == 200


@pytest.mark.parametrize("body", ["[" * 200_000, '{"url":' * 100_000], ids=["list", "object"])
def test_deeply_nested_json_is_a_400(client: FlaskClient, store: Store, body: str) -> None:
    r = client.post("/api/stories", data=body, content_type="application/json", headers=AUTH)
    assert r.status_code == 400 and r.json["status"] == 400
    assert store.count_stories() == 0


def test_database_trouble_never_shows_its_path(tmp_path) -> None:  # noqa: ANN001
    """A 503 says the database is unavailable; the file's location stays in the log."""
    from web_support import make_app

    folder = tmp_path / "private-location"
    folder.mkdir()
    client = make_app(folder).test_client()
    for path in ("/api/stories", "/"):
        r = client.get(path)
        assert r.status_code == 503
        assert b"private-location" not in r.data and str(tmp_path).encode() not in r.data
        assert b"database" in r.data.lower()


def test_delete_feed_keeps_its_stories(client: FlaskClient, store: Store) -> None:
    feed_id, _ = store.add_feed("https://news.example/rss")
    sid = add_story(store, "https://news.example/f", [doc("one")], feed_id=feed_id)
    assert client.delete(f"/api/feeds/{feed_id}").status_code == 401
    assert client.delete(f"/api/feeds/{feed_id}", headers=AUTH).status_code == 204
    assert client.get("/api/feeds").json["feeds"] == []
    assert store.get_story(sid)["feed_id"] is None
    r = client.delete(f"/api/feeds/{feed_id}", headers=AUTH)
    assert r.status_code == 404 and r.json["message"] == f"no feed with id {feed_id}"


def test_a_long_diff_comes_in_pages_that_add_up_to_the_whole(
    client: FlaskClient, store: Store
) -> None:
    """A diff response holds at most DIFF_ROWS rows; `next` leads through the rest, and the
    pages together are exactly the whole diff."""
    paras = [f"Paragraph {n} of the long story." for n in range(30)]
    edited = [*paras[:10], "A new paragraph.", *paras[10:20], paras[20] + " Edited.", *paras[21:]]
    sid = add_story(store, "https://news.example/long", [doc(*paras), doc(*edited)])
    whole = client.get(f"/api/stories/{sid}/diff?from=1&to=2").json
    assert whole["rows_total"] == len(whole["rows"]) == 31 and "next" not in whole
    pages, url = [], f"/api/stories/{sid}/diff?from=1&to=2&limit=7"
    while url:
        page = client.get(url).json
        assert len(page["rows"]) <= 7 and page["stats"] == whole["stats"]
        pages += page["rows"]
        url = page.get("next")
    assert pages == whole["rows"]
    assert client.get(f"/api/stories/{sid}/diff?from=1&to=2&offset=30").json["rows"] == [
        whole["rows"][30]
    ]
    assert client.get(f"/api/stories/{sid}/diff?limit=5001").status_code == 400
    assert client.get(f"/api/stories/{sid}/diff?offset=-1").status_code == 400


def test_ids_in_paths_are_ascii_digits_only(client: FlaskClient, store: Store) -> None:
    """`/api/stories/１` (a fullwidth 1) or `١` (Arabic-Indic) named story 1: one story at many
    addresses, and a DELETE that a proxy rule on `/api/stories/1` would not see."""
    sid = add_story(store, "https://news.example/a", [doc("One."), doc("Two.")])
    assert sid == 1
    for one in ("%EF%BC%91", "%D9%A1", "%F0%9D%9F%8F"):
        for path in (f"/api/stories/{one}", f"/stories/{one}", f"/api/stories/1/versions/{one}"):
            assert client.get(path).status_code == 404, path
        assert client.get(f"/stories/1/diff/{one}..2").status_code == 404
        assert client.delete(f"/api/stories/{one}", headers=AUTH).status_code == 404
    assert store.get_story(sid)["version_count"] == 2
    assert client.get("/api/stories/1").status_code == 200


def test_a_headline_of_megabytes_is_stored_cut_and_other_page_lines_dropped(
    client: FlaskClient, store: Store
) -> None:
    """A page's og:title, or a pushed JSON title, of megabytes would be shown whole on every
    list, page and feed: headlines and bylines are cut at 300 characters."""
    sid, _ = store.add_story("https://news.example/long-title")
    url = f"/api/stories/{sid}/versions"
    huge = "Breaking " * 100_000
    body = json.dumps({"title": huge, "byline": "By " + "x" * 5000, "text": "Some text here."})
    r = client.post(url, data=body, content_type="application/json", headers=AUTH)
    assert r.status_code == 201
    html = (
        f'<html lang="{"en" * 50_000}"><head><meta property="og:title" content="{huge}">'
        f'<title>{huge}</title><link rel="canonical" href="https://news.example/{"a" * 10**5}">'
        f'<meta property="article:published_time" content="{"2024-01-01" * 10**4}"></head>'
        "<body><article><p>" + "Other words of the story. " * 20 + "</p></article></body></html>"
    )
    r = client.post(url, data=html.encode(), content_type="text/html", headers=AUTH)
    assert r.status_code == 201
    for number in (1, 2):
        version = store.get_version(sid, number)
        assert 0 < len(version["title"]) <= 300 and version["title"].startswith("Breaking")
    assert len(store.get_version(sid, 1)["byline"]) <= 300
    second = store.get_version(sid, 2)  # the page's own dates, language and URL: dropped
    assert second["published"] is None and len(second["canonical_url"] or "") <= 2048
    page = client.get("/").data
    assert len(page) < 100_000
