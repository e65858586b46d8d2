"""Webhooks verified by a receiver no one here wrote: the `standardwebhooks` package."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from notify_support import Hook, big_edit, new_story, running, standard_verify

from tracker.cli import main
from tracker.config import Settings
from tracker.notify.outbox import deliver_due
from tracker.store import Store

SETTINGS = Settings(allow_private=True, read_timeout=2.0, connect_timeout=2.0)


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    env = {"TRACKER_ALLOW_PRIVATE": "1"}
    result = CliRunner().invoke(main, ["--db", str(db), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_generated_secret_is_standard_and_both_signatures_verify(
    store: Store, db_path: Path
) -> None:
    story_id = new_story(store)
    with running(Hook()) as hook:
        code, out, err = cli(db_path, "subscribe", str(story_id), "--webhook", hook.url())
        assert code == 0, err
        secret = err.rsplit(":", 1)[1].strip()
        assert secret.startswith("whsec_"), err
        hook.secret = secret
        big_edit(store, story_id)
        assert deliver_due(store, SETTINGS).sent == 1
    (call,) = hook.calls
    assert call.standard_verified and call.verified
    assert call.headers["webhook-id"] == call.key
    assert call.headers["webhook-timestamp"] == call.headers["X-Storydiff-Timestamp"]
    assert call.headers["webhook-signature"].startswith("v1,")
    # a receiver holding another secret, or a tampered body, is refused by the library
    assert not standard_verify("whsec_" + "A" * 44, call.body, call.headers)
    assert not standard_verify(secret, call.body.replace(b"Harbour", b"Harb0ur"), call.headers)


def test_plain_secret_verifies_as_its_utf8_bytes(store: Store) -> None:
    story_id = new_story(store)
    with running(Hook(secret="an old-style sécret")) as hook:
        store.add_subscription(
            scope="all", channel="webhook", target=hook.url(), secret=hook.secret
        )
        big_edit(store, story_id)
        assert deliver_due(store, SETTINGS).sent == 1
    (call,) = hook.calls
    assert call.standard_verified and call.verified


def test_a_whsec_secret_that_is_not_base64_is_refused(store: Store, db_path: Path) -> None:
    story_id = new_story(store)
    code, _, err = cli(
        db_path,
        "subscribe",
        str(story_id),
        "--webhook",
        "https://hooks.example/x",
        "--secret",
        "whsec_not*base64!",
    )
    assert code != 0 and "whsec_" in err and "base64" in err
    assert store.list_subscriptions() == []
