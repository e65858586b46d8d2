"""The notification commands as a person runs them: clear errors, listing, removal, sending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from notify_support import Inbox, big_edit, new_story

from tracker.cli import main
from tracker.store import Store


def run(db: Path, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], env=env or None)
    return result.exit_code, result.output


def test_subscribe_list_deliver_unsubscribe(
    store: Store, db_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    story_id = new_story(store)
    code, out = run(
        db_path,
        "subscribe",
        str(story_id),
        "--email",
        "me@example.org",
        "--min-words",
        "5",
        "--kind",
        "numbers,headline",
        "--kind",
        "correction",
    )
    assert code == 0, out
    sub = int(out.strip())
    code, out = run(db_path, "subscriptions", "--json")
    (row,) = json.loads(out)
    assert row["id"] == sub and row["kinds"] == ["correction", "headline", "numbers"]
    assert row["min_words"] == 5 and row["scope"] == "story" and row["story_id"] == story_id

    run(db_path, "unsubscribe", str(sub))
    code, out = run(db_path, "subscribe", "--all", "--email", "me@example.org")
    sub = int(out.strip())
    big_edit(store, story_id)
    env = {"TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(port)}
    code, out = run(db_path, "deliver", **env)
    assert code == 0 and out.startswith("1 sent, 0 to retry, 0 dead"), out
    assert len(inbox.messages) == 1
    code, out = run(db_path, "deliveries")
    assert "sent" in out and f"sub {sub}" in out
    code, out = run(db_path, "deliver", **env)
    assert out.startswith("0 sent") and len(inbox.messages) == 1

    code, out = run(db_path, "unsubscribe", str(sub))
    assert code == 0 and f"subscription {sub} removed" in out
    code, out = run(db_path, "subscriptions")
    assert "no subscriptions yet" in out


def test_webhook_subscription_prints_a_generated_secret_once(db_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["--db", str(db_path), "subscribe", "--all", "--webhook", "http://127.0.0.1:9/h"],
        env={"TRACKER_ALLOW_PRIVATE": "1"},
    )
    assert result.exit_code == 0, result.output
    assert "webhook secret" in result.output
    secret = result.output.strip().rsplit(" ", 1)[1]
    assert len(secret) >= 40
    code, out = run(db_path, "subscriptions", "--json")
    assert json.loads(out)[0]["secret"] is True and secret not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all"], "exactly one of --webhook"),
        (["--email", "a@b.org"], "exactly one of STORY, --feed FEED or --all"),
        (["1", "--all", "--email", "a@b.org"], "exactly one of STORY"),
        (["--all", "--email", "a@b.org", "--webhook", "http://x.org/"], "exactly one of"),
        (["--all", "--email", "not-an-address"], "not an email address"),
        (["--all", "--email", "a@b.org\r\nBcc: x@y.org"], "not an email address"),
        (["--all", "--webhook", "http://127.0.0.1:9/h"], "loopback"),
        (["--all", "--webhook", "http://169.254.169.254/latest"], "link-local"),
        (["--all", "--webhook", "file:///etc/passwd"], "not an http(s) URL"),
        (["--all", "--apprise", "nosuch://x"], "does not understand"),
        (["--all", "--apprise", "json://10.0.0.5/x"], "private"),
        (["--all", "--email", "a@b.org", "--secret", "abcdefghij"], "only webhooks are signed"),
        (["--all", "--email", "a@b.org", "--kind", "Not A Kind!"], "is not a change kind"),
        (["--all", "--email", "a@b.org", "--digest", "weekly"], "weekly"),
        (["--all", "--email", "a@b.org", "--min-words", "-3"], "-3"),
        (["999", "--email", "a@b.org"], "no story with id 999"),
        (["--feed", "4", "--email", "a@b.org"], "no feed with id 4"),
    ],
)
def test_subscribe_refuses_bad_input_in_one_line(
    db_path: Path, args: list[str], message: str
) -> None:
    code, out = run(db_path, "subscribe", *args)
    assert code != 0
    assert message in out
    assert "Traceback" not in out


def test_unknown_ids_are_clear_errors(db_path: Path) -> None:
    for args, message in [
        (["unsubscribe", "42"], "no subscription with id 42"),
        (["deliveries", "--retry", "42"], "no delivery with id 42"),
        (["deliveries", "--attempts", "42"], "no delivery with id 42"),
    ]:
        code, out = run(db_path, *args)
        assert code == 1 and message in out, out


def test_subscriptions_hide_tokens_in_targets_like_the_web(db_path: Path) -> None:
    """A Slack-style webhook path or an Apprise token is a credential: never printed."""
    from tracker.notify.targets import shown_target

    hook = "https://hooks.example.org/services/T000/B000/XXXXSECRETTOKEN?key=QUERYSECRET"
    apprise = "ntfy://user:APPRISEPASSWORD@ntfy.example.org/topic"
    for args in (["--webhook", hook], ["--apprise", apprise]):
        code, out = run(db_path, "subscribe", "--all", *args)
        assert code == 0, out
    for extra in ([], ["--json"]):
        code, out = run(db_path, "subscriptions", *extra)
        assert code == 0, out
        for secret in ("XXXXSECRETTOKEN", "QUERYSECRET", "APPRISEPASSWORD", "B000"):
            assert secret not in out
        assert "https://hooks.example.org/services/…" in out
        assert "ntfy.example.org" in out
    assert shown_target("webhook", hook) == "https://hooks.example.org/services/…"
    assert "APPRISEPASSWORD" not in shown_target("apprise", apprise)
    assert shown_target("email", "me@example.org") == "me@example.org"


def test_deliveries_json_hides_tokens_in_targets_too(store: Store, db_path: Path) -> None:
    hook = "https://hooks.example.org/services/T000/B000/XXXXSECRETTOKEN?key=QUERYSECRET"
    story_id = new_story(store)
    assert run(db_path, "subscribe", "--all", "--webhook", hook)[0] == 0
    big_edit(store, story_id)  # one pending delivery to the hook
    code, out = run(db_path, "deliveries", "--json")
    assert code == 0, out
    (row,) = json.loads(out)
    assert row["status"] == "pending" and row["target"] == "https://hooks.example.org/services/…"
    for secret in ("XXXXSECRETTOKEN", "QUERYSECRET", "B000"):
        assert secret not in out
