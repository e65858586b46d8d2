"""Email notifications through a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from notify_support import BASE, Inbox, edit, free_port, new_story

from tracker.config import Settings
from tracker.notify.outbox import deliver_due
from tracker.notify.unsubscribe import unsubscribe_token, verify_unsubscribe
from tracker.store import Store


def settings_for(port: int, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "mail_from": "alerts@storydiff.test",
        "base_url": "https://diff.example.org",
        "secret_key": "unsubscribe-signing-key",
    }
    return Settings(**{**values, **extra})


def _edit_headline_and_number(store: Store, story_id: int) -> int:
    paras = [BASE[0], BASE[1].replace("12 million", "19 million"), BASE[2]]
    return edit(store, story_id, paras, title="Harbour budget rises <sharply>")


def test_email_carries_styled_word_diff_and_working_unsubscribe(
    store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(port)
    story_id = new_story(store)
    sub = store.add_subscription(
        scope="story", story_id=story_id, channel="email", target="reader@example.org"
    )
    change_id = _edit_headline_and_number(store, story_id)

    report = deliver_due(store, settings)

    assert (report.sent, report.dead) == (1, 0)
    assert len(inbox.messages) == 1
    envelope, msg = inbox.messages[0]
    assert envelope.rcpt_tos == ["reader@example.org"]
    assert envelope.mail_from == "alerts@storydiff.test"
    assert "Harbour budget rises" in msg["Subject"]
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    # the changed number, inline, styled without a stylesheet
    assert re.search(r'<del style="[^"]*line-through[^"]*">12</del>', html)
    assert re.search(r'<ins style="[^"]*background[^"]*">19</ins>', html)
    assert "<style" not in html
    assert "&lt;sharply&gt;" in html and "<sharply>" not in html  # headline escaped
    assert "[-12-]" in text and "{+19+}" in text
    assert f"https://diff.example.org/stories/{story_id}/diff/1..2" in html
    assert msg["X-Storydiff-Idempotency-Key"] == store.list_deliveries()[0]["idempotency_key"]
    assert msg["X-Storydiff-Idempotency-Key"].startswith(f"storydiff-{sub}-{change_id}-")
    # the unsubscribe link is signed for this subscription and nobody else's
    header = str(msg["List-Unsubscribe"]).strip()
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.fullmatch(r"<https://diff\.example\.org/unsubscribe/(\d+)/([\w-]+)>", header)
    assert found, header
    assert int(found.group(1)) == sub
    assert verify_unsubscribe(settings, sub, found.group(2))
    assert found.group(0)[1:-1] in html and found.group(0)[1:-1] in text
    assert not verify_unsubscribe(settings, sub + 1, found.group(2))
    assert not verify_unsubscribe(settings, sub, found.group(2)[:-2] + "xx")
    assert not verify_unsubscribe(settings.replace(secret_key="other"), sub, found.group(2))
    assert store.get_delivery(store.list_deliveries()[0]["id"])["status"] == "sent"


def test_unsubscribe_tokens_refuse_junk() -> None:
    settings = Settings(secret_key="k")
    token = unsubscribe_token(settings, 7)
    assert verify_unsubscribe(settings, 7, token)
    for junk in ("", "x" * 500, token.upper(), None):
        assert not verify_unsubscribe(settings, 7, junk)  # type: ignore[arg-type]
    assert not verify_unsubscribe(Settings(secret_key=""), 7, token)


def test_smtp_auth_and_refused_login(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="email", target="a@example.org")
    _edit_headline_and_number(store, story_id)

    # aiosmtpd stalls after a failed AUTH, so this attempt ends by timeout: retried, not lost
    wrong = settings_for(port, smtp_user="bot", smtp_password="nope", read_timeout=1.0)
    report = deliver_due(store, wrong)
    assert (report.sent, report.retrying) == (0, 1)
    row = store.list_deliveries()[0]
    assert row["status"] == "pending" and row["last_error"].startswith("SMTP 127.0.0.1")
    assert inbox.messages == []

    right = settings_for(port, smtp_user="bot", smtp_password="s3cret")
    report = deliver_due(store, right, now=row["next_attempt_at"])
    assert report.sent == 1 and len(inbox.messages) == 1


def test_mail_server_down_is_retried_not_lost(store: Store, tmp_path: Path) -> None:
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="email", target="a@example.org")
    _edit_headline_and_number(store, story_id)
    report = deliver_due(store, settings_for(free_port()))
    assert report.retrying == 1
    row = store.list_deliveries()[0]
    assert row["status"] == "pending" and "refused" in row["last_error"].lower()


def test_without_base_url_mail_says_how_to_unsubscribe(
    store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    story_id = new_story(store)
    sub = store.add_subscription(scope="all", channel="email", target="a@example.org")
    _edit_headline_and_number(store, story_id)
    deliver_due(store, settings_for(port, base_url=""))
    msg = inbox.messages[0][1]
    assert msg["List-Unsubscribe"] is None
    assert f"tracker unsubscribe {sub}" in msg.get_body(("plain",)).get_content()


def test_smtp_settings_that_cannot_work_are_retried_not_dead(store: Store) -> None:
    """The operator fixes the settings and the mail goes out: a bad setting is no reason to
    drop subscribers' messages."""
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="email", target="a@example.org")
    _edit_headline_and_number(store, story_id)
    report = deliver_due(store, settings_for(free_port(), smtp_security="tls-please"))
    assert (report.retrying, report.dead) == (1, 0)
    row = store.list_deliveries()[0]
    assert row["status"] == "pending" and "smtp_security must be one of" in row["last_error"]


HOSTILE_TITLES = [
    "=?utf-8?q?x=0D=0AX-Injected:_y?=",  # an encoded word holding CR/LF (issue #10)
    "=?utf-8?b?eA0KWC1JbmplY3RlZDogeQ==?=",  # the same in base64
    "=?utf-8?q?=3D=3Futf-8=3Fq=3Fx=3D0D=3D0AX-Injected:_y=3F=3D?=",  # encoded twice
    "x\r\nX-Injected: y",
    "x\nX-Injected: y",
    "x\u2028X-Injected: y",
    "x\u0085X-Injected: y",
    "x\x00\x1b[31mX-Injected: y",
    "Ünïcödé " * 400 + "X-Injected: y",  # very long: folded, never one 998+ byte line
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_page_titles_never_become_mail_headers(
    store: Store, smtp: tuple[Inbox, int], title: str
) -> None:
    inbox, port = smtp
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="email", target="reader@example.org")
    edit(store, story_id, [BASE[0], BASE[1].replace("12 million", "19 million"), BASE[2]], title)

    assert deliver_due(store, settings_for(port)).sent == 1

    envelope, msg = inbox.messages[0]
    raw_head = envelope.content.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"(?im)^x-injected", raw_head), raw_head[:400]
    assert "X-Injected" not in msg
    assert all(len(line) <= 998 for line in raw_head.split(b"\r\n"))
    subject = str(msg["Subject"])
    assert subject.startswith("Changed: ")
    assert not any(ch in subject for ch in "\r\n\x00\x1b\u2028\u0085")
    assert "=?" not in subject  # no encoded word from the page survives to be decoded again


def test_only_web_addresses_become_links_in_mail(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    story_id = new_story(store, url="javascript:alert(document.domain)//")
    store.add_subscription(scope="all", channel="email", target="reader@example.org")
    _edit_headline_and_number(store, story_id)
    assert deliver_due(store, settings_for(port)).sent == 1
    html = inbox.messages[0][1].get_body(("html",)).get_content()
    assert 'href="javascript:' not in html.lower()
    assert f"https://diff.example.org/stories/{story_id}/diff/1..2" in html
