"""Escaping, safe links, headers, CSRF, sign-in and private mode, probed like an attacker."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from flask.testing import FlaskClient
from web_support import PASSWORD, TOKEN, add_story, csrf_of, doc, make_app, sign_in

from tracker import auth, clock
from tracker.store import Store

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
JS_URL = "javascript:alert(document.cookie)"


@pytest.fixture
def hostile(store: Store) -> int:
    """A story whose every page-derived field carries a payload."""
    sid = add_story(
        store,
        "https://evil.example/story",
        [
            doc(f"Intro {SCRIPT}", "Calm paragraph.", title=f"Headline {SCRIPT}", byline=IMG),
            doc(
                f"Intro {SCRIPT} {IMG}",
                "Calm paragraph.",
                f'<a href="{JS_URL}">click</a>',
                title=f"New {IMG}",
                byline=IMG,
                canonical_url=JS_URL,
            ),
        ],
    )
    store.update_story(sid, canonical_url=JS_URL)
    return sid


def test_payloads_are_escaped_on_every_page(client: FlaskClient, hostile: int) -> None:
    pages = [
        "/",
        "/?q=Intro",
        f"/stories/{hostile}",
        f"/stories/{hostile}/diff/1..2",
        f"/stories/{hostile}/diff/1..2?view=inline",
        f"/stories/{hostile}/versions/2",
        "/feeds/changes.atom",
        f"/feeds/stories/{hostile}.atom",
    ]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        body = r.data.decode()
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        assert 'href="javascript:' not in body.lower(), path
    diff = client.get(f"/stories/{hostile}/diff/1..2").data.decode()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in diff
    assert "onerror=&#34;alert(1)&#34;" in diff


def test_javascript_and_data_urls_never_become_links(store: Store, client: FlaskClient) -> None:
    for url in (JS_URL, " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "java\tscript:alert(1)"):
        sid, _ = store.add_story(url)
        html = client.get(f"/stories/{sid}").data.decode()
        assert 'rel="noopener' not in html  # the address is shown as text only
        assert '<span class="url">' in html
    sid, _ = store.add_story("https://ok.example/a")
    assert 'href="https://ok.example/a"' in client.get(f"/stories/{sid}").data.decode()


def test_security_headers_on_pages_api_and_feeds(store: Store, client: FlaskClient) -> None:
    add_story(store, "https://news.example/h", [doc("a"), doc("b")])
    for path in ("/", "/stories/1", "/api/stories", "/feeds/changes.atom", "/nope"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
    page = client.get("/stories/1/diff/1..2").data.decode()
    assert "<script>" not in page.replace('<script src="/static/app.js" defer></script>', "")
    assert " on" + "click=" not in page and "style=" not in page


def test_forms_need_the_csrf_token(store: Store, client: FlaskClient) -> None:
    sign_in(client)
    r = client.post("/manage/stories", data={"url": "https://news.example/new"})
    assert r.status_code == 400 and b"expired or came from another site" in r.data
    r = client.post("/manage/stories", data={"url": "https://news.example/new", "csrf_token": "x"})
    assert r.status_code == 400
    assert store.count_stories() == 0
    token = csrf_of(client.get("/manage/").data)
    r = client.post(
        "/manage/stories", data={"url": "https://news.example/new", "csrf_token": token}
    )
    assert r.status_code == 303 and store.count_stories() == 1


def test_sign_in_itself_needs_csrf(client: FlaskClient) -> None:
    r = client.post("/signin", data={"password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/manage/").status_code == 302


def test_wrong_passwords_from_one_address_are_slowed_down(store: Store, db_path: Path) -> None:
    app = make_app(db_path)
    client = app.test_client()
    sign_in(client, "wrong password 1")
    assert sign_in(client).status_code == 302  # a success forgets earlier failures
    client.post("/signout", data={"csrf_token": csrf_of(client.get("/signin").data)})
    for n in range(auth.SIGNIN_ATTEMPTS):
        assert sign_in(client, f"wrong password {n}").status_code == 401
    blocked = sign_in(client)  # even the right password is not tried now
    assert blocked.status_code == 429
    assert 890 <= int(blocked.headers["Retry-After"]) <= 900
    assert b"Too many wrong passwords" in blocked.data and b"15 minutes" in blocked.data
    assert client.get("/manage/").status_code == 302
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert sign_in(elsewhere).status_code == 302


def test_the_sign_in_window_slides(store: Store) -> None:
    start = clock.parse("2026-01-01T10:00:00Z")
    for minute in range(auth.SIGNIN_ATTEMPTS):
        assert auth.reserve_signin(store, "10.0.0.1", start + timedelta(minutes=minute)) == 0
    assert auth.reserve_signin(store, "10.0.0.1", start + timedelta(minutes=5)) == 600
    assert auth.reserve_signin(store, "10.0.0.2", start + timedelta(minutes=5)) == 0
    assert auth.reserve_signin(store, "10.0.0.1", start + timedelta(minutes=15, seconds=1)) == 0
    assert auth.reserve_signin(store, "10.0.0.1", start + timedelta(minutes=15, seconds=2)) > 0
    auth.signin_succeeded(store, "10.0.0.1")
    assert auth.reserve_signin(store, "10.0.0.1", start + timedelta(minutes=15, seconds=3)) == 0


def test_guesses_sent_at_once_cannot_all_slip_under_the_limit(db_path: Path) -> None:
    app = make_app(db_path)
    with Store(db_path) as store:  # a stored hash: scrypt makes each check take a while
        auth.set_password(store, "a stored passphrase")
    clients = [app.test_client() for _ in range(12)]
    tokens = [csrf_of(c.get("/signin").data) for c in clients]

    def guess(i: int) -> int:
        data = {"password": f"wrong {i}", "csrf_token": tokens[i]}
        return clients[i].post("/signin", data=data).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(guess, range(12)))
    assert codes.count(401) == auth.SIGNIN_ATTEMPTS
    assert codes.count(429) == 12 - auth.SIGNIN_ATTEMPTS


def test_a_locked_database_does_not_keep_the_admin_out(db_path: Path) -> None:
    app = make_app(db_path, db_timeout=0.2)
    client = app.test_client()
    token = csrf_of(client.get("/signin").data)
    with Store(db_path) as other, other.write():  # another writer holds the lock throughout
        r = client.post("/signin", data={"password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert auth.client_key("2001:db8::1") == auth.client_key("2001:db8::ffff") == "2001:db8::/64"
    assert auth.client_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert auth.client_key("not an address") == "unknown"


def test_get_never_changes_anything(store: Store, client: FlaskClient) -> None:
    sid = add_story(store, "https://news.example/g", [doc("a")])
    sign_in(client)
    assert client.get(f"/manage/stories/{sid}/pause").status_code == 405
    assert client.get("/signout").status_code == 405
    confirm = client.get(f"/manage/stories/{sid}/delete")
    assert b"Delete this story?" in confirm.data
    assert store.get_story(sid)["state"] == "active"
    assert store.count_stories() == 1


def test_sign_in_with_setting_or_stored_hash(store: Store, db_path: Path) -> None:
    client = make_app(db_path).test_client()
    r = sign_in(client, "wrong password")
    assert r.status_code == 401 and b"not right" in r.data
    assert client.get("/manage/").status_code == 302
    assert sign_in(client).status_code == 302
    assert client.get("/manage/").status_code == 200

    stored = make_app(db_path, admin_password="").test_client()
    assert b"No admin password is set" in stored.get("/signin").data
    auth.set_password(store, "a stored passphrase")
    assert sign_in(stored, PASSWORD).status_code == 401
    assert sign_in(stored, "a stored passphrase").status_code == 302
    assert stored.get("/manage/").status_code == 200
    auth.set_password(store, "another passphrase")  # changing it signs every session out
    assert stored.get("/manage/").status_code == 302


def test_sign_in_only_redirects_within_the_site(client: FlaskClient) -> None:
    token = csrf_of(client.get("/signin").data)
    for target, expected in (
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/manage/", "/manage/"),
    ):
        r = client.post("/signin", data={"password": PASSWORD, "csrf_token": token, "next": target})
        assert r.headers["Location"] == expected
        token = csrf_of(client.get("/signin").data)


def test_private_site_needs_sign_in_or_token(store: Store, db_path: Path) -> None:
    add_story(store, "https://news.example/p", [doc("a"), doc("b")])
    client = make_app(db_path, private=True).test_client()
    assert client.get("/").headers["Location"].startswith("/signin")
    assert client.get("/stories/1/diff/1..2").status_code == 302
    r = client.get("/api/stories")
    assert r.status_code == 401 and r.json == {
        "status": 401,
        "message": "this site is private: sign in or send an API token",
    }
    assert client.get("/feeds/changes.atom").status_code == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/api/stories", headers=bearer).json["total"] == 1
    feed = feedparser.parse(client.get("/feeds/changes.atom", headers=bearer).data)
    assert feed.bozo == 0 and len(feed.entries) == 1
    sign_in(client)
    assert client.get("/").status_code == 200
    assert "no-store" in client.get("/").headers["Cache-Control"]


def test_huge_form_body_is_refused(client: FlaskClient) -> None:
    r = client.post("/signin", data={"password": "x" * (6 * 1024 * 1024)})
    assert r.status_code == 413
