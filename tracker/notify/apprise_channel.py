"""The Apprise channel: Slack, Discord, Telegram, Matrix, ntfy and ~100 more through one URL.

Each service has its own length limit (Apprise knows it per plugin as `body_maxlen`), so the
message is cut per service by `message.brief`, keeping the summary and the diff link. Named
`apprise_channel` so it does not shadow the `apprise` package.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import apprise

from tracker import netguard
from tracker.config import Settings
from tracker.notify import message
from tracker.notify.channel import Outcome, Outgoing


class BadAppriseURL(ValueError):
    """Apprise does not recognise the URL."""


def services(url: str) -> apprise.Apprise:
    """The Apprise object for one URL, or BadAppriseURL with the reason."""
    text = (url or "").strip()
    if not text or any(ch in text for ch in "\r\n\0"):
        raise BadAppriseURL(f"{url!r} is not an Apprise URL")
    obj = apprise.Apprise(asset=apprise.AppriseAsset(http_redirects=False))
    if not obj.add(text) or len(obj) == 0:
        raise BadAppriseURL(
            f"Apprise does not understand {text.split('://', 1)[0]!r} URLs "
            "(see https://github.com/caronc/apprise/wiki)"
        )
    return obj


# The Apprise plugins storydiff sends through, each with the hosts it connects to, read from
# the plugins' source (Apprise 2.3). A plugin is allowed only when every address it will contact
# is known before sending, so that the SSRF guard can judge each one: its URL's own host, or a
# fixed public API. Plugins that take addresses from elsewhere (a Nostr relay in the query, a
# Zulip organisation spliced into a host name, key files or templates fetched from a URL, DNS
# service discovery, ...) are refused. docs/NOTIFY.md lists the allowed schemes.
_OWN_HOST = {
    "NotifyJSON": "json, jsons",
    "NotifyXML": "xml, xmls",
    "NotifyForm": "form, forms",
    "NotifyGotify": "gotify, gotifys",
    "NotifyMattermost": "mmost, mmosts",
}
_FIXED: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {
    "NotifyDiscord": ("discord", (("discord.com", 443),)),
    "NotifySlack": (
        "slack",
        (("hooks.slack.com", 443), ("hooks.slack-gov.com", 443), ("slack.com", 443)),
    ),
    "NotifyTelegram": ("tgram", (("api.telegram.org", 443),)),
}
ALLOWED_SCHEMES = (
    "json, jsons, xml, xmls, form, forms, ntfy, ntfys, gotify, gotifys, mmost, mmosts, "
    "mailto, mailtos, discord, slack, tgram"
)


def contacts(server: object) -> list[tuple[str, netguard.Port]]:
    """Every (host, port) this configured plugin will connect to; netguard.Refused when
    storydiff cannot know them all (a plugin off the allow-list, or a template or attachment
    it would fetch). Port None: the plugin picks its own."""
    kind = type(server).__name__
    scheme = str(server.url(privacy=True)).split("://", 1)[0]  # type: ignore[attr-defined]
    for name, value in vars(server).items():
        if isinstance(value, apprise.AppriseAttachment) and len(value):
            raise netguard.Refused(
                f"refused: this {scheme}:// URL makes Apprise fetch a file or URL "
                f"({name}=...), which storydiff does not allow"
            )
    given = getattr(server, "port", None)
    port = given if isinstance(given, int) and 0 < given < 65536 else None
    host = str(getattr(server, "host", "") or "").strip()
    if kind in _OWN_HOST:
        return [(host, port)]
    if kind == "NotifyNtfy":
        return [("ntfy.sh", 443)] if getattr(server, "mode", "") == "cloud" else [(host, port)]
    if kind == "NotifyEmail":
        return [(str(getattr(server, "smtp_host", "") or host).strip(), port)]
    if kind in _FIXED:
        return list(_FIXED[kind][1])
    raise netguard.Refused(
        f"refused: Apprise {scheme}:// URLs are not allowed: storydiff sends only through "
        f"services whose every address it can check ({ALLOWED_SCHEMES}); see docs/NOTIFY.md"
    )


def guard(obj: apprise.Apprise, settings: Settings, *, lookup: bool = False) -> netguard.Pins:
    """Refuse targets storydiff cannot vouch for (raises netguard.Refused).

    Every plugin behind the URL must be on the allow-list, and every host it will contact
    passes the fetcher's guard: as written at subscribe time, and with `lookup` (before each
    send) resolved, every DNS answer judged. Returns what `send` pins the plugins to: for each
    (host, port) the judged addresses (empty without `lookup`). HTTP redirects are switched
    off, since a redirect would take the message somewhere the guard did not judge
    (`?redirect=yes` in the URL included).
    """
    every = []
    for server in obj:  # every plugin judged before any DNS lookup is made
        if hasattr(server, "redirects"):
            server.redirects = False
        every.extend(contacts(server))
    pins: dict[tuple[str, netguard.Port], list[str]] = {}
    for host, port in every:
        if not host:
            raise netguard.Refused("bad URL: it names no host", kind="bad_url")
        if not lookup:
            netguard.check_host(host, port, settings)
            continue
        name, addresses = netguard.judged(host, port, settings)
        known = pins.setdefault((name, port), [])
        known.extend(a for a in addresses if a not in known)
    return pins


class _ThreadLog(logging.Handler):
    """Collects Apprise's warnings from this thread only (sends run in a pool)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


def send(
    out: Outgoing, settings: Settings, *, fetcher: object = None, timeout: float = 30.0
) -> Outcome:
    """Notify every service behind the URL, each with a message cut to its own limit."""
    try:
        obj = services(out.target)
        pins = guard(obj, settings, lookup=True)
    except BadAppriseURL as exc:
        return Outcome(False, error=str(exc), permanent=True)
    except netguard.Refused as exc:
        return Outcome(False, error=exc.reason, permanent=exc.kind != "dns")
    title = message.subject(out.notices, out.mode)
    log = _ThreadLog()
    logger = logging.getLogger("apprise")
    logger.addHandler(log)
    failed = []
    try:
        with netguard.pinned(pins) as refusals:  # Apprise resolves again: to the judged only
            for server in obj:
                if not _notify(server, out, title, settings, timeout):
                    failed.append(server.url(privacy=True))
    except Exception as exc:  # a plugin bug must fail the attempt, not the worker
        return Outcome(False, error=f"apprise: {type(exc).__name__}: {exc}"[:500])
    finally:
        logger.removeHandler(log)
    if failed:
        reason = "; ".join(refusals[-1:] or log.lines[-3:]) or "the service refused the message"
        return Outcome(
            False, error=f"{', '.join(failed)}: {reason}"[:500], permanent=bool(refusals)
        )
    return Outcome(True)


def _notify(server: Any, out: Outgoing, title: str, settings: Settings, timeout: float) -> bool:
    """One plugin's send, with the message cut to its limits."""
    server.socket_connect_timeout = min(timeout, settings.connect_timeout)
    server.socket_read_timeout = timeout
    limit = int(getattr(server, "body_maxlen", 0) or 32768)
    title_limit = int(getattr(server, "title_maxlen", 0) or 0)
    head = title[:title_limit] if title_limit else ""
    room = limit if title_limit else limit - len(title) - 2
    body = message.brief(out.notices, room, out.mode)
    if not title_limit:
        body = f"{title}\n\n{body}"[:limit]
    return bool(server.notify(body=body, title=head, notify_type=apprise.NotifyType.INFO))
