"""Attacks on the running site over real HTTP (waitress on 127.0.0.1, configured as `tracker
serve` does): methods that must not act, sessions that must end, inputs that must not 500."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from web_support import TOKEN, add_story, browser_session, csrf_of, doc, live, make_app

from tracker import auth
from tracker.config import Settings
from tracker.notify.unsubscribe import unsubscribe_token
from tracker.store import NotFound, Store

SECRET = "unsubscribe-signing-key"


@pytest.fixture
def base(db_path: Path) -> Iterator[str]:
    with live(make_app(db_path, secret_key=SECRET, allow_private=True)) as url:
        yield url


def _objects(store: Store) -> tuple[int, int, int]:
    story = add_story(store, "https://news.example/a", [doc("One.")])
    feed, _ = store.add_feed("https://news.example/feed.xml")
    sub = store.add_subscription(scope="story", story_id=story, channel="email", target="a@b.cd")
    return story, feed, sub


def test_head_and_options_never_delete(base: str, store: Store) -> None:
    """HEAD skips the CSRF check like GET; a view that took every non-GET for the confirming
    POST deleted on HEAD with the admin's cookie (issue #10)."""
    story, feed, sub = _objects(store)
    admin = browser_session(base)
    urls = [
        f"/manage/stories/{story}/delete",
        f"/manage/feeds/{feed}/delete",
        f"/manage/subscriptions/{sub}/delete",
        f"/unsubscribe/{sub}/{unsubscribe_token(Settings(secret_key=SECRET), sub)}",
    ]
    for path in urls:
        for method in ("HEAD", "OPTIONS"):
            r = admin.request(method, base + path, timeout=10, allow_redirects=False)
            assert r.status_code < 300, (method, path, r.status_code)
    store.get_story(story)
    store.get_feed(feed)
    store.get_subscription(sub)
    # the confirming POST (with the page's CSRF token) still deletes
    page = admin.get(base + urls[0], timeout=10).text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    admin.post(base + urls[0], data={"csrf_token": token}, timeout=10)
    with pytest.raises(NotFound):
        store.get_story(story)


def test_method_override_headers_are_ignored(base: str, store: Store) -> None:
    story, _feed, sub = _objects(store)
    admin = browser_session(base)
    for header in ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"):
        r = admin.get(
            f"{base}/manage/subscriptions/{sub}/delete",
            headers={header: "POST"},
            timeout=10,
        )
        assert r.status_code == 200
        r = admin.post(f"{base}/api/subscriptions/{sub}", headers={header: "DELETE"}, timeout=10)
        assert r.status_code in (401, 405)
    store.get_subscription(sub)
    store.get_story(story)


def test_every_get_and_post_view_is_known(tmp_path: Path) -> None:
    """Views that answer both GET and POST are where a HEAD can slip into the POST branch; each
    one is covered by test_head_and_options_never_delete (a new one must be added there)."""
    app = make_app(tmp_path / "unused.db", secret_key=SECRET)
    both = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if {"GET", "POST"} <= (rule.methods or set())
    )
    assert both == [
        "auth.signin",
        "manage.delete",
        "manage.delete_feed",
        "notify.delete_subscription",
        "unsubscribe.unsubscribe",
    ]
    writes = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if (rule.methods or set()) - {"GET", "HEAD", "OPTIONS", "POST"}
    )
    assert writes == ["api.delete_feed", "api.delete_story", "notify_api.delete_subscription"]


def _copy(admin: requests.Session) -> requests.Session:
    thief = requests.Session()
    thief.cookies.update(admin.cookies)
    return thief


def _is_admin(http: requests.Session, base: str) -> bool:
    r = http.get(f"{base}/manage/", timeout=10, allow_redirects=False)
    assert r.status_code in (200, 302), r.status_code
    return r.status_code == 200


def test_a_copied_cookie_dies_with_sign_out(base: str) -> None:
    admin = browser_session(base)
    thief = _copy(admin)
    assert _is_admin(thief, base)
    page = admin.get(f"{base}/manage/", timeout=10).text
    r = admin.post(f"{base}/signout", data={"csrf_token": csrf_of(page)}, timeout=10)
    assert r.status_code == 200 and "Signed out" in r.text
    assert not _is_admin(thief, base)
    assert not _is_admin(admin, base)
    other = browser_session(base)  # signing in again works, with a new session
    assert _is_admin(other, base) and not _is_admin(thief, base)


def test_a_new_password_ends_every_session(base: str, store: Store) -> None:
    first, second = browser_session(base), browser_session(base)
    thief = _copy(first)
    auth.set_password(store, "a brand new password")
    for http in (first, second, thief):
        assert not _is_admin(http, base)
    assert _is_admin(browser_session(base, "a brand new password"), base)


def _long_story(store: Store, paragraphs: int, every: int) -> int:
    paras = [f"Paragraph {i} says the harbour budget is {i} million." for i in range(paragraphs)]
    edited = [p + " Updated." if i % every == 0 else p for i, p in enumerate(paras)]
    return add_story(store, "https://news.example/long", [doc(*paras), doc(*edited)])


def test_a_huge_diff_is_split_into_parts(base: str, store: Store) -> None:
    """Thousands of changes: each part of the page is bounded, and the parts cover them all
    (a 60k-paragraph story made a 39 MB page, issue #10)."""
    story = _long_story(store, 6000, 2)
    first = requests.get(f"{base}/stories/{story}/diff/1..2", timeout=120)
    assert first.status_code == 200
    assert len(first.content) < 1_000_000
    parts = int(first.text.split("part 1 of ", 1)[1].split(",", 1)[0])
    assert parts > 1 and 'id="change-1"' in first.text
    last = requests.get(f"{base}/stories/{story}/diff/1..2?view=inline&page={parts}", timeout=60)
    assert last.status_code == 200 and len(last.content) < 1_000_000
    assert 'id="change-3000"' in last.text and 'id="change-3001"' not in last.text
    assert "← part" in last.text


def test_long_unchanged_runs_are_counted_not_rendered(base: str, store: Store) -> None:
    story = _long_story(store, 3000, 2999)  # paragraphs 0 and 2999 change, 2998 in between do not
    page = requests.get(f"{base}/stories/{story}/diff/1..2", timeout=120).text
    assert "2996 unchanged paragraphs" in page  # the run less one paragraph of context each side
    assert "Paragraph 1500 says" not in page
    assert 'id="change-2"' in page and "part 1 of" not in page


def _raw_get(base: str, path: str, host: str) -> bytes:
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_with_a_base_url_no_link_follows_the_host_header(db_path: Path, store: Store) -> None:
    """A forged Host header must not put another site into feed or API links (shared caches
    would hand them to everyone)."""
    add_story(store, "https://news.example/a", [doc("One."), doc("Two.")])
    app = make_app(db_path, base_url="https://diff.example.org")
    with live(app) as base:
        for path in ("/feeds/changes.atom", "/api/openapi.json"):
            answer = _raw_get(base, path, "evil.example")
            assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
            assert b"evil.example" not in answer and b"https://diff.example.org" in answer


def test_answers_to_token_holders_are_never_cached(base: str) -> None:
    r = requests.get(
        f"{base}/api/subscriptions", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]
    admin = browser_session(base)
    assert "no-store" in admin.get(f"{base}/manage/", timeout=10).headers["Cache-Control"]


def test_static_files_stay_inside_their_folder(base: str) -> None:
    for path in (
        "/static/../tracker.db",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e%5c%2e%2e%5cetc%5cpasswd",
    ):
        answer = _raw_get(base, path, "127.0.0.1")
        assert answer.split(b"\r\n", 1)[0] in (
            b"HTTP/1.1 404 NOT FOUND",
            b"HTTP/1.1 400 BAD REQUEST",
        )
        assert b"root:" not in answer and b"SQLite format" not in answer
        assert b"X-Frame-Options: DENY" in answer and b"frame-ancestors 'none'" in answer


def test_api_writes_ignore_the_admin_cookie(base: str, store: Store) -> None:
    """CSRF through the JSON API: a signed-in browser's cookie opens no API write."""
    admin = browser_session(base)
    for kwargs in (
        {"json": {"url": "https://csrf.example/a"}},
        {"data": "url=https://csrf.example/a", "headers": {"Content-Type": "text/plain"}},
    ):
        assert admin.post(f"{base}/api/stories", timeout=10, **kwargs).status_code == 401
    assert all("csrf.example" not in s["url"] for s in store.list_stories(limit=100))


def test_every_form_post_needs_the_csrf_token(db_path: Path, store: Store) -> None:
    """Every POST outside the token API and the signed unsubscribe link, found from the URL
    map so a new one cannot be forgotten: with the admin's cookie but no token, 400 and no
    change."""
    _objects(store)
    app = make_app(db_path, secret_key=SECRET, allow_private=True)
    posts = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set())
        and not rule.rule.startswith("/api/")
        and rule.endpoint not in ("unsubscribe.unsubscribe", "static")
    ]
    assert len(posts) >= 10
    with live(app) as base:
        admin = browser_session(base)
        for rule in posts:
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<id:{arg}>", "1")
            r = admin.post(base + path, data={"url": "https://csrf.example/x"}, timeout=10)
            assert r.status_code == 400 and "expired" in r.text, (path, r.status_code)
        assert _is_admin(admin, base)  # not even sign-out went through
    store.get_story(1)
    store.get_subscription(1)
    assert all("csrf.example" not in s["url"] for s in store.list_stories(limit=100))


def _raw_head(base: str, target: bytes, headers: bytes = b"Host: x\r\n") -> bytes:
    """The whole answer to a GET of `target` with `headers`, sent byte for byte."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\n" + headers + b"Connection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("private", [False, True])
def test_a_query_string_that_is_not_utf8_is_a_400(db_path: Path, private: bool) -> None:
    """waitress hands a target starting with // to the app with its query bytes undecoded (as
    other WSGI servers do for every target): a byte that is not UTF-8 is a 400, not a 500."""
    with live(make_app(db_path, private=private, allow_private=True)) as base:
        for target in (
            b"//?q=\xff",
            b"//api/stories?limit=\xfe",
            b"//api/changes?kind=\xc3",
            b"//signin?next=\xff",
            b"//stories/1?view=\xff",
        ):
            answer = _raw_head(base, target)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400"), (target, answer[:200])
            assert b"X-Frame-Options: DENY" in head and b"UTF-8" in body, answer[:300]


@pytest.mark.parametrize("private", [False, True])
def test_a_host_that_is_no_host_name_is_a_400(db_path: Path, private: bool) -> None:
    """A Host with a label over 63 characters or an empty one cannot be bound for links: the
    error page itself then had no URLs to build and the answer was a 500."""
    with live(make_app(db_path, private=private, allow_private=True)) as base:
        for host in (b"a" * 64, b"a..b", b"."):
            for path in (b"/", b"/signin", b"/feeds/changes.atom", b"/api/stories"):
                answer = _raw_head(base, path, b"Host: " + host + b"\r\n")
                head, _, body = answer.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 400"), (host, path, answer[:200])
                assert b"Host" in body and b"X-Frame-Options: DENY" in head, answer[:400]


def test_forwarded_host_and_prefix_from_a_proxy_are_checked(db_path: Path) -> None:
    """What a trusted proxy forwards is still input: a host that is no host name, or a prefix
    that is no path, is a 400 naming the header, not a 500."""
    app = make_app(db_path, trusted_proxies=("127.0.0.1",), allow_private=True)
    with live(app) as base:
        for header in (
            b"X-Forwarded-Host: " + b"a" * 64,
            b"X-Forwarded-Prefix: x:y:z",
            b"X-Forwarded-Prefix: evil.example:99999999999",
        ):
            for path in (b"/feeds/changes.atom", b"/api/openapi.json", b"/feeds/", b"/"):
                answer = _raw_head(base, path, b"Host: x\r\n" + header + b"\r\n")
                head, _, body = answer.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 400"), (header, path, answer[:200])
                assert header.split(b":")[0].split(b"-")[-1] in body, answer[:400]
