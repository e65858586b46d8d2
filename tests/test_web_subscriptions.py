"""Notifications on the web: subscription pages and API, the outbox views, and the signed
unsubscribe link, against real receivers (an HTTP hook and aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from notify_support import BASE, Hook, Inbox, big_edit, edit, free_port, new_story, running
from web_support import TOKEN, csrf_of, make_app, sign_in

from tracker.config import Settings
from tracker.notify.outbox import deliver_due
from tracker.notify.unsubscribe import unsubscribe_token
from tracker.store import NotFound, Store
from web import subscriptions as subs

AUTH = {"Authorization": f"Bearer {TOKEN}"}
UNSUB_KEY = "unsubscribe-signing-key"
SETTINGS = {
    "allow_private": True,
    "secret_key": UNSUB_KEY,
    "base_url": "https://diff.example.org",
    "delivery_max_attempts": 1,
}


@pytest.fixture
def app(db_path: Path) -> Flask:
    return make_app(db_path, **SETTINGS)


@pytest.fixture
def settings(app: Flask) -> Settings:
    return app.config["SETTINGS"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    c = app.test_client()
    sign_in(c)
    return c


def _form(client: FlaskClient, path: str, **data: Any) -> Any:
    token = csrf_of(client.get("/manage/subscriptions/new").data)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)


def _api_subscribe(client: FlaskClient, **body: Any) -> Any:
    return client.post("/api/subscriptions", json=body, headers=AUTH)


def _dead_delivery(store: Store, settings: Settings) -> tuple[int, int]:
    """A webhook to a port nobody listens on: refused, so dead after its one allowed attempt."""
    story = new_story(store)
    sub = store.add_subscription(
        scope="story", story_id=story, channel="webhook", target=f"http://127.0.0.1:{free_port()}/"
    )
    big_edit(store, story)
    report = deliver_due(store, settings)
    assert report.dead == 1
    return sub, int(store.list_deliveries()[0]["id"])


# ------------------------------------------------------------------ pages


def test_pages_need_sign_in_and_story_page_offers_subscribe(
    client: FlaskClient, admin: FlaskClient, store: Store
) -> None:
    story = new_story(store)
    for path in ("/manage/subscriptions", "/manage/subscriptions/new", "/manage/deliveries"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/signin?next=")
    assert client.post("/manage/subscriptions", data={"scope": "all"}).status_code == 400
    assert b"subscribe-link" not in client.get(f"/stories/{story}").data
    page = admin.get(f"/stories/{story}").data.decode()
    assert f'href="/manage/subscriptions/new?story={story}" id="subscribe-link"' in page
    form = admin.get(f"/manage/subscriptions/new?story={story}").data.decode()
    assert "Harbour budget" in form and f'value="{story}"' in form
    assert admin.get("/manage/subscriptions/new?story=999").status_code == 404


def test_create_through_form_shows_secret_once_and_hides_it_after(
    admin: FlaskClient, store: Store
) -> None:
    story = new_story(store)
    r = _form(
        admin,
        "/manage/subscriptions",
        scope="story",
        story_id=str(story),
        channel="webhook",
        target="https://hooks.example.org/services/T0/B0/tok3n?key=zzz",
        min_words="5",
        kinds=["headline", "numbers"],
        developing_only="1",
        mode="hourly",
    )
    page = r.data.decode()
    assert r.status_code == 200 and "Subscription 1 created" in page
    row = store.get_subscription(1)
    assert (row["scope"], row["story_id"], row["channel"], row["mode"]) == (
        "story",
        story,
        "webhook",
        "hourly",
    )
    assert (row["min_words"], row["kinds"], row["developing_only"]) == (
        5,
        ["headline", "numbers"],
        1,
    )
    secret = re.search(r'id="webhook-secret">([^<]+)<', page)
    assert secret and secret.group(1) == row["secret"] and len(row["secret"]) >= 32
    listing = admin.get("/manage/subscriptions").data.decode()
    assert "https://hooks.example.org/services/…" in listing
    assert "tok3n" not in listing and "zzz" not in listing and row["secret"] not in listing
    assert "≥ 5 words; kinds: headline, numbers; developing only" in listing
    assert "Harbour budget" in listing and "hourly" in listing


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channel": "webhook", "target": "javascript:alert(1)"}, "not an http(s) URL"),
        ({"channel": "email", "target": "a@b.example\r\nBcc: x@y.example"}, "not an email"),
        ({"channel": "apprise", "target": "nosuch://x"}, "does not understand"),
        ({"channel": "email", "target": "a@b.example", "kinds": ["drop;table"]}, "change kind"),
        ({"channel": "email", "target": "a@b.example", "mode": "weekly"}, "'mode' must be"),
        ({"channel": "email", "target": "a@b.example", "min_words": "-3"}, "min_words"),
        ({"channel": "email", "target": "a@b.example", "secret": "abcdefghij"}, "only for"),
        ({"channel": "sms", "target": "123"}, "'channel' must be"),
    ],
)
def test_form_refuses_bad_input_and_keeps_it(
    admin: FlaskClient, store: Store, fields: dict[str, Any], message: str
) -> None:
    r = _form(admin, "/manage/subscriptions", scope="all", **fields)
    assert r.status_code == 400
    page = html.unescape(r.data.decode())
    assert 'id="form-error"' in page and message in page
    assert store.list_subscriptions() == []


def test_private_addresses_need_the_same_opt_in_as_fetching(db_path: Path, store: Store) -> None:
    guarded = make_app(db_path).test_client()
    for target in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://[::1]/"):
        r = guarded.post(
            "/api/subscriptions",
            json={"scope": "all", "channel": "webhook", "target": target},
            headers=AUTH,
        )
        assert r.status_code == 400 and "refused" in r.json["message"], target
    r = guarded.post(
        "/api/subscriptions",
        json={"scope": "all", "channel": "apprise", "target": "json://127.0.0.1:9/x"},
        headers=AUTH,
    )
    assert r.status_code == 400 and "loopback" in r.json["message"]
    assert store.list_subscriptions() == []


def test_form_without_csrf_changes_nothing(admin: FlaskClient, store: Store) -> None:
    data = {"scope": "all", "channel": "email", "target": "a@example.org"}
    r = admin.post("/manage/subscriptions", data=data)
    assert r.status_code == 400 and store.list_subscriptions() == []


def test_pause_resume_and_delete_with_confirmation(admin: FlaskClient, store: Store) -> None:
    sub = store.add_subscription(scope="all", channel="email", target="reader@example.org")
    r = _form(admin, f"/manage/subscriptions/{sub}/pause")
    assert "paused" in r.data.decode() and store.get_subscription(sub)["active"] == 0
    assert 'action="/manage/subscriptions/1/resume"' in r.data.decode()
    _form(admin, f"/manage/subscriptions/{sub}/resume")
    assert store.get_subscription(sub)["active"] == 1
    confirm = admin.get(f"/manage/subscriptions/{sub}/delete").data.decode()
    assert "reader@example.org" in confirm and 'id="confirm-delete"' in confirm
    assert store.get_subscription(sub)  # asking changed nothing
    r = _form(admin, f"/manage/subscriptions/{sub}/delete")
    assert f"Deleted subscription {sub}" in r.data.decode()
    with pytest.raises(NotFound):
        store.get_subscription(sub)
    assert _form(admin, f"/manage/subscriptions/{sub}/pause").status_code == 404


def test_deliveries_pages_attempts_and_send_again(
    admin: FlaskClient, store: Store, settings: Settings
) -> None:
    _sub, delivery = _dead_delivery(store, settings)
    failed = admin.get("/manage/deliveries?failed=1").data.decode()
    assert f'id="delivery-{delivery}"' in failed and "dead" in failed and "Send again" in failed
    detail = admin.get(f"/manage/deliveries/{delivery}").data.decode()
    assert "refused" in detail.lower() and "failed" in detail and "version 1 → 2" in detail
    assert admin.get("/manage/deliveries?failed=2").status_code == 400
    r = _form(admin, f"/manage/deliveries/{delivery}/retry")
    assert "queued again" in r.data.decode()
    row = store.get_delivery(delivery)
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert admin.get("/manage/deliveries/999").status_code == 404


# ------------------------------------------------------------------ API


API_CALLS = [
    ("get", "/api/subscriptions"),
    ("post", "/api/subscriptions"),
    ("get", "/api/subscriptions/1"),
    ("delete", "/api/subscriptions/1"),
    ("post", "/api/subscriptions/1/pause"),
    ("post", "/api/subscriptions/1/resume"),
    ("get", "/api/deliveries"),
    ("get", "/api/deliveries/1"),
    ("post", "/api/deliveries/1/retry"),
]


@pytest.mark.parametrize(("method", "path"), API_CALLS)
def test_api_needs_a_token_for_reads_too(
    client: FlaskClient, store: Store, method: str, path: str
) -> None:
    store.add_subscription(scope="all", channel="email", target="private@example.org")
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = getattr(client, method)(path, headers=headers)
        assert r.status_code == 401 and r.json["status"] == 401
        assert "private@example.org" not in r.get_data(as_text=True)
    assert store.get_subscription(1)["active"] == 1


def test_api_subscription_lifecycle(client: FlaskClient, store: Store) -> None:
    story = new_story(store)
    r = _api_subscribe(
        client,
        scope="story",
        story_id=story,
        channel="apprise",
        target="json://user:hunter2@127.0.0.1:9/notify",
        kinds=["headline"],
        mode="daily",
    )
    assert r.status_code == 201, r.json
    sub = r.json["subscription"]
    assert "secret" not in r.json  # only webhooks are signed
    assert sub["target"] == "json://user:****@127.0.0.1:9/notify"
    assert (sub["scope"], sub["story_id"], sub["kinds"], sub["mode"]) == (
        "story",
        story,
        ["headline"],
        "daily",
    )
    other = _api_subscribe(client, scope="all", channel="email", target="b@example.org").json
    listed = client.get("/api/subscriptions", headers=AUTH).json["subscriptions"]
    assert [s["id"] for s in listed] == [sub["id"], other["subscription"]["id"]]
    assert all("secret" not in s for s in listed)
    mine = client.get(f"/api/subscriptions?story={story}", headers=AUTH).json["subscriptions"]
    assert [s["id"] for s in mine] == [sub["id"]]
    paused = client.post(f"/api/subscriptions/{sub['id']}/pause", headers=AUTH).json
    assert paused["active"] is False and store.get_subscription(sub["id"])["active"] == 0
    resumed = client.post(f"/api/subscriptions/{sub['id']}/resume", headers=AUTH).json
    assert resumed["active"] is True
    assert client.get(f"/api/subscriptions/{sub['id']}", headers=AUTH).json == resumed
    own = _api_subscribe(
        client, scope="all", channel="webhook", target="https://x.example/h", secret="mine-12345"
    )
    assert own.status_code == 201 and "secret" not in own.json
    assert own.json["subscription"]["signed"] is True
    assert store.get_subscription(own.json["subscription"]["id"])["secret"] == "mine-12345"
    assert client.delete(f"/api/subscriptions/{sub['id']}", headers=AUTH).status_code == 204
    gone = client.get(f"/api/subscriptions/{sub['id']}", headers=AUTH)
    assert gone.status_code == 404 and gone.json["message"].startswith("no subscription")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "not a JSON object"),
        ("all", "not a JSON object"),
        ({"scope": "all", "channel": "email"}, "'target' is required"),
        ({"scope": "story", "channel": "email", "target": "a@b.example"}, "story_id"),
        ({"scope": "story", "story_id": True, "channel": "email", "target": "a@b.ex"}, "story_id"),
        ({"scope": "story", "story_id": 1.5, "channel": "email", "target": "a@b.ex"}, "story_id"),
        ({"scope": "story", "story_id": 10**30, "channel": "email", "target": "a@b.ex"}, "1 to"),
        ({"scope": "story", "story_id": 777, "channel": "email", "target": "a@b.ex"}, "no story"),
        ({"scope": "feed", "feed_id": 3, "channel": "email", "target": "a@b.ex"}, "no feed"),
        ({"scope": ["all"], "channel": "email", "target": "a@b.ex"}, "'scope' must be"),
        ({"scope": "all", "channel": "email", "target": {"a": 1}}, "'target' is required"),
        ({"scope": "all", "channel": "email", "target": "a@b.ex", "kinds": "x" * 500}, "at most"),
        ({"scope": "all", "channel": "email", "target": "a@b.ex", "kinds": [1]}, "list of"),
        ({"scope": "all", "channel": "email", "target": "a@b.ex", "developing_only": 2}, "true"),
        ({"scope": "all", "channel": "email", "target": "a@b.ex", "admin": True}, "unknown"),
        (
            {"scope": "all", "channel": "webhook", "target": "http://x.example/" + "a" * 3000},
            "2048",
        ),
        (
            {"scope": "all", "channel": "webhook", "target": "https://x.example/", "secret": "s"},
            "8",
        ),
    ],
)
def test_api_refuses_hostile_bodies(
    client: FlaskClient, store: Store, body: Any, message: str
) -> None:
    r = client.post("/api/subscriptions", json=body, headers=AUTH)
    assert r.status_code == 400, r.json
    assert r.json["status"] == 400 and message in r.json["message"]
    assert store.list_subscriptions() == []


def test_api_refuses_non_json_and_broken_json(client: FlaskClient, store: Store) -> None:
    r = client.post("/api/subscriptions", data="scope=all", headers=AUTH)
    assert r.status_code == 415 and r.json["status"] == 415
    r = client.post(
        "/api/subscriptions", data="{not json", content_type="application/json", headers=AUTH
    )
    assert r.status_code == 400 and r.json["message"] == "the body is not a JSON object"
    assert store.list_subscriptions() == []


def test_api_deliveries_failed_filter_and_retry(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    _sub, dead = _dead_delivery(store, settings)
    failed = client.get("/api/deliveries?failed=1", headers=AUTH).json["deliveries"]
    assert [d["id"] for d in failed] == [dead] and failed[0]["status"] == "dead"
    one = client.get(f"/api/deliveries/{dead}", headers=AUTH).json
    assert one["attempt_log"][0]["ok"] is False and "refused" in one["last_error"].lower()
    assert client.get("/api/deliveries?failed=yes", headers=AUTH).status_code == 400
    retried = client.post(f"/api/deliveries/{dead}/retry", headers=AUTH).json
    assert (retried["status"], retried["attempts"]) == ("pending", 0)
    assert client.get("/api/deliveries?failed=1", headers=AUTH).json["deliveries"][0]["id"] == dead
    assert client.post("/api/deliveries/99/retry", headers=AUTH).status_code == 404


def test_end_to_end_webhook_through_the_api(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    """Subscribe by API, record a change, deliver to a real receiver, see it in the outbox."""
    story = new_story(store)
    with running(Hook()) as hook:
        r = _api_subscribe(
            client, scope="story", story_id=story, channel="webhook", target=hook.url("/in/abc")
        )
        assert r.status_code == 201
        sub_id, secret = r.json["subscription"]["id"], r.json["secret"]
        assert r.json["subscription"]["target"] == f"http://127.0.0.1:{hook.port}/in/…"
        hook.secret = secret  # the receiver verifies with the secret the API handed out
        change = big_edit(store, story)
        report = deliver_due(store, settings)
    assert (report.sent, report.dead) == (1, 0)
    assert len(hook.calls) == 1 and hook.calls[0].verified
    payload = hook.calls[0].json()
    assert hook.calls[0].key == store.list_deliveries()[0]["idempotency_key"]
    assert hook.calls[0].key.startswith(f"storydiff-{sub_id}-{change}-")
    assert payload["event"] == "story.changed" and payload["story"]["id"] == story
    listed = client.get("/api/deliveries", headers=AUTH).json["deliveries"]
    assert len(listed) == 1
    d = listed[0]
    assert (d["subscription_id"], d["change_id"], d["status"], d["attempts"]) == (
        sub_id,
        change,
        "sent",
        1,
    )
    assert d["sent_at"] and d["idempotency_key"] == hook.calls[0].key
    assert client.get("/api/deliveries?failed=1", headers=AUTH).json["deliveries"] == []
    sent = client.post(f"/api/deliveries/{d['id']}/retry", headers=AUTH)
    assert sent.status_code == 409 and "already sent" in sent.json["message"]


# ------------------------------------------------------------------ unsubscribe


def test_unsubscribe_link_from_a_real_email_works_one_click(
    client: FlaskClient, store: Store, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    mail_settings = settings.replace(
        smtp_host="127.0.0.1", smtp_port=port, mail_from="alerts@storydiff.test"
    )
    story = new_story(store)
    sub = store.add_subscription(
        scope="story", story_id=story, channel="email", target="reader@example.org"
    )
    big_edit(store, story)
    assert deliver_due(store, mail_settings).sent == 1
    msg = inbox.messages[0][1]
    header = str(msg["List-Unsubscribe"]).strip()
    found = re.fullmatch(r"<https://diff\.example\.org(/unsubscribe/\d+/[\w=-]+)>", header)
    assert found, header
    path = found.group(1)
    assert path in msg.get_body(("html",)).get_content()

    page = client.get(path)
    assert page.status_code == 200 and b"reader@example.org" in page.data
    assert b'id="confirm-unsubscribe"' in page.data and b"csrf_token" not in page.data
    assert store.get_subscription(sub)["active"] == 1  # looking changes nothing

    # RFC 8058: the mail client POSTs this body, with no cookie and no CSRF token
    r = client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 200 and b"You are unsubscribed" in r.data
    with pytest.raises(NotFound):
        store.get_subscription(sub)
    edit(store, story, [*BASE, "A second, quite different paragraph was added by the editors."])
    assert deliver_due(store, mail_settings).claimed == 0 and len(inbox.messages) == 1
    again = client.post(path)
    assert again.status_code == 200 and b"no longer exists" in again.data


def test_unsubscribe_refuses_tampered_tokens_and_changes_nothing(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    mine = store.add_subscription(scope="all", channel="email", target="a@example.org")
    other = store.add_subscription(scope="all", channel="email", target="b@example.org")
    token = unsubscribe_token(settings, mine)
    for path in (
        f"/unsubscribe/{other}/{token}",  # someone else's subscription with my token
        f"/unsubscribe/{mine}/{token[:-2]}xx",
        f"/unsubscribe/{mine}/{'A' * 300}",
        f"/unsubscribe/{mine}/{unsubscribe_token(settings.replace(secret_key='guess'), mine)}",
    ):
        for method in ("get", "post"):
            r = getattr(client, method)(path)
            assert r.status_code == 403, path
            assert b"not valid" in r.data and b"a@example.org" not in r.data
    assert client.get(f"/unsubscribe/0/{token}").status_code == 404
    assert client.get(f"/unsubscribe/{10**20}/{token}").status_code == 404
    assert len(store.list_subscriptions()) == 2


def test_unsubscribe_works_on_a_private_site_and_not_without_a_key(
    db_path: Path, store: Store
) -> None:
    sub = store.add_subscription(scope="all", channel="email", target="a@example.org")
    private = make_app(db_path, **{**SETTINGS, "private": True}).test_client()
    path = f"/unsubscribe/{sub}/{unsubscribe_token(Settings(secret_key=UNSUB_KEY), sub)}"
    assert private.get("/").status_code == 302  # the rest of the site needs sign-in
    assert private.get(path).status_code == 200
    keyless = make_app(db_path, **{**SETTINGS, "secret_key": ""}).test_client()
    assert keyless.post(path).status_code == 403
    assert store.get_subscription(sub)
    assert private.post(path).status_code == 200
    with pytest.raises(NotFound):
        store.get_subscription(sub)


# ------------------------------------------------------------------ review fixes


def test_retry_while_a_worker_is_sending_is_refused_not_a_503(
    client: FlaskClient, admin: FlaskClient, store: Store, settings: Settings
) -> None:
    """A delivery a worker holds (a live lease) is not queued again: that would send it twice."""
    _sub, delivery = _dead_delivery(store, settings)
    store.retry_delivery(delivery, now="2000-01-01T00:00:00Z")
    (held,) = store.claim_deliveries("2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z")
    assert held["id"] == delivery
    r = client.post(f"/api/deliveries/{delivery}/retry", headers=AUTH)
    assert r.status_code == 409 and "being sent" in r.json["message"]
    page = _form(admin, f"/manage/deliveries/{delivery}/retry")
    text = html.unescape(page.data.decode())
    assert page.status_code == 200 and "Not queued again" in text and "being sent" in text
    assert store.get_delivery(delivery)["status"] == "sending"


@pytest.mark.parametrize("story_id", ["²", "١", "9" * 30, "-1", "1.0"])
def test_odd_story_ids_in_a_request_are_a_400(
    client: FlaskClient, admin: FlaskClient, store: Store, story_id: str
) -> None:
    new_story(store)
    body = {"scope": "story", "story_id": story_id, "channel": "email", "target": "a@b.ex"}
    r = _api_subscribe(client, **body)
    assert r.status_code == 400 and "'story_id' must be a whole number" in r.json["message"]
    page = _form(admin, "/manage/subscriptions", **body)
    assert page.status_code == 400 and "must be a whole number" in html.unescape(page.text)
    assert admin.get(f"/manage/subscriptions/new?story={story_id}").status_code in (400, 404)
    assert store.list_subscriptions() == []


def test_deeply_nested_json_is_a_400(client: FlaskClient, store: Store) -> None:
    for body in ("[" * 200_000, '{"a":' * 200_000):
        r = client.post(
            "/api/subscriptions", data=body, content_type="application/json", headers=AUTH
        )
        assert r.status_code == 400 and r.json["status"] == 400
    assert store.list_subscriptions() == []


def test_form_offers_every_change_kind_the_core_knows() -> None:
    from tracker.notify.targets import KINDS

    assert subs.KIND_CHOICES == KINDS


def test_form_lists_every_kind_and_accepts_each(admin: FlaskClient, store: Store) -> None:
    from tracker.notify.targets import KINDS

    form = admin.get("/manage/subscriptions/new").data.decode()
    for kind in KINDS:
        assert f'id="kind-{kind}"' in form
    r = _form(
        admin,
        "/manage/subscriptions",
        scope="all",
        channel="email",
        target="a@b.ex",
        kinds=list(KINDS),
    )
    assert r.status_code == 200, r.text
    assert store.list_subscriptions()[0]["kinds"] == sorted(KINDS)


@pytest.mark.parametrize(
    ("body", "cli"),
    [
        ({"secret": "short"}, ["--secret", "short"]),
        ({"secret": "x" * 201}, ["--secret", "x" * 201]),
        ({"kinds": ["bogus"]}, ["--kind", "bogus"]),
    ],
)
def test_web_and_cli_refuse_with_the_same_words(
    client: FlaskClient, store: Store, db_path: Path, body: dict[str, Any], cli: list[str]
) -> None:
    """`tracker subscribe`, the form and the API share one rule book, so one message."""
    from click.testing import CliRunner

    from tracker.cli import main

    hook = "http://127.0.0.1:9/h"
    r = _api_subscribe(client, scope="all", channel="webhook", target=hook, **body)
    assert r.status_code == 400
    args = ["--db", str(db_path), "subscribe", "--all", "--webhook", hook, *cli]
    result = CliRunner().invoke(main, args, env={"TRACKER_ALLOW_PRIVATE": "1"})
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert r.json["message"] in " ".join(result.output.split())
    assert store.list_subscriptions() == []
