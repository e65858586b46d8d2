"""Hostile input at every JSON API endpoint and every form, over real HTTP: each bad input is a
4xx with a message, never a 500, and nothing bad is stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from web_support import TOKEN, add_story, browser_session, csrf_of, doc, live, make_app

from tracker.store import Store

AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEEP = "[" * 50_000 + "]" * 50_000
BAD_VALUES: list[Any] = [
    "\ud800",
    "x\udfffy",
    "nul\x00here",
    "a" * 1_000_000,
    12,
    1.5,
    True,
    [],
    {},
    [[[[[[[[[[[["deep"]]]]]]]]]]]],
    {"a": {"b": {"c": 1}}},
    "０",
]
GOOD = {
    "/api/stories": {"url": "https://news.example/b", "title": "A title"},
    "/api/subscriptions": {
        "scope": "story",
        "story_id": 1,
        "channel": "webhook",
        "target": "https://hooks.example/x",
        "secret": "abcdefghij",
        "min_words": 1,
        "kinds": ["any"],
        "developing_only": False,
        "mode": "instant",
    },
}
CASES = [
    (path, name, value) for path, good in GOOD.items() for name in good for value in BAD_VALUES
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    db = tmp_path_factory.mktemp("fuzz") / "tracker.db"
    store = Store(db)
    add_story(store, "https://news.example/a", [doc("One.", title="First")])
    with live(make_app(db, allow_private=True)) as base:
        yield base, store
    store.close()


def _refused(r: requests.Response) -> str:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    message = r.json()["message"]
    assert message and "Traceback" not in message
    return str(message)


@pytest.mark.parametrize(("path", "name", "value"), CASES, ids=lambda v: repr(v)[:20])
def test_json_fields_with_hostile_values(
    site: tuple[str, Store], path: str, name: str, value: Any
) -> None:
    base, store = site
    body = {**GOOD[path], name: value}
    r = requests.post(base + path, json=body, headers=AUTH, timeout=30)
    if r.status_code < 300:  # accepted: then it was a value of the right type, stored as text
        stored = r.json().get("story") or r.json()["subscription"]
        assert "\x00" not in str(stored) and "\ud800" not in str(stored)
        assert isinstance(value, bool | int | str) or (name == "kinds" and value == [])
        return
    _refused(r)


@pytest.mark.parametrize(
    "raw",
    [
        DEEP,
        '{"title": "' + "[" * 5000 + '"}',
        '{"url": ' + "[" * 20_000 + "]" * 20_000 + "}",
        '{"url": "https://news.example/s", "title": "\\ud800"}',
        '{"url": "https://news.example/s", "\\udc00": 1}',
        '{"url": "https://news.example/s", "title": "x\\u0000y"}',
        "[1]",
        "{",
        '{"a": 1e999999}',
    ],
    ids=lambda v: v[:20],
)
@pytest.mark.parametrize("path", ["/api/stories", "/api/subscriptions", "/api/stories/1/versions"])
def test_raw_json_bodies(site: tuple[str, Store], path: str, raw: str) -> None:
    base, store = site
    before = len(store.list_versions(1))
    r = requests.post(
        base + path,
        data=raw.encode(),
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=60,
    )
    _refused(r)
    assert len(store.list_versions(1)) == before


@pytest.mark.parametrize(
    "raw",
    [
        '{"title": "\\ud800", "text": "Body."}',
        '{"text": "Body \\udfff."}',
        '{"paragraphs": ["ok", "\\ud83d"]}',
        '{"text": ' + "[" * 50_000 + "]" * 50_000 + "}",
    ],
    ids=lambda v: v[:20],
)
def test_version_push_with_broken_json_text(site: tuple[str, Store], raw: str) -> None:
    """The issue's 500s: lone surrogates and deep nesting in a version body."""
    base, store = site
    before = len(store.list_versions(1))
    r = requests.post(
        f"{base}/api/stories/1/versions",
        data=raw.encode(),
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=60,
    )
    assert "JSON" in _refused(r)
    assert len(store.list_versions(1)) == before


NEXT = [
    "/x\r\nSet-Cookie: evil=1",
    "/\n",
    "/%0d%0aX-Evil: 1",
    "/\x00",
    "//evil.example/",
    "/\\evil.example",
    "/\t/evil.example",
    "/ /evil.example",
    "https://evil.example/",
    "https:evil.example",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", NEXT, ids=repr)
def test_sign_in_next_never_leaves_the_site_or_breaks(site: tuple[str, Store], target: str) -> None:
    base, _store = site
    http = requests.Session()
    page = http.get(f"{base}/signin", params={"next": target}, timeout=10)
    assert page.status_code == 200
    r = http.post(
        f"{base}/signin",
        params={"next": target},
        data={"password": "correct horse battery", "csrf_token": csrf_of(page.text)},
        timeout=30,
        allow_redirects=False,
    )
    assert r.status_code in (302, 303), r.status_code
    location = r.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location.lower() or location.startswith("/%")
    assert "Set-Cookie: evil" not in str(r.headers) and "X-Evil" not in r.headers


FORMS = {
    "/manage/stories": {"url": "https://news.example/form", "title": "T"},
    "/manage/feeds": {"url": "https://news.example/feed.xml", "title": "F"},
    "/manage/subscriptions": {
        "scope": "all",
        "channel": "email",
        "target": "a@example.org",
        "secret": "",
        "min_words": "0",
        "mode": "instant",
        "kinds": "any",
    },
}
FORM_VALUES = ["nul\x00here", "\r\nX: y", "a" * 300_000, "０", "-1", "\x1b[31m"]


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [(p, n, v) for p, good in FORMS.items() for n in good for v in FORM_VALUES],
    ids=lambda v: repr(v)[:20],
)
def test_form_fields_with_hostile_values(
    site: tuple[str, Store], path: str, name: str, value: str
) -> None:
    base, store = site
    admin = _admin(base)
    token = csrf_of(admin.get(f"{base}/manage/subscriptions/new", timeout=10).text)
    data = {**FORMS[path], name: value, "csrf_token": token}
    r = admin.post(base + path, data=data, timeout=30, allow_redirects=False)
    assert r.status_code < 500, (r.status_code, r.text[:300])
    for story in store.list_stories(limit=1000):
        assert "\x00" not in (story.get("title") or "") and "\x1b" not in (story.get("title") or "")


_ADMINS: dict[str, requests.Session] = {}


def _admin(base: str) -> requests.Session:
    if base not in _ADMINS:
        _ADMINS[base] = browser_session(base)
    return _ADMINS[base]
