"""The Apprise channel: Slack, Discord, Telegram, Matrix, ntfy and ~100 more through one URL.

Each service has its own length limit (Apprise knows it per plugin as `body_maxlen`), so the
message is cut per service by `message.brief`, keeping the summary and the diff link. Named
`apprise_channel` so it does not shadow the `apprise` package.
"""

from __future__ import annotations

import logging
import threading

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


def guard(obj: apprise.Apprise, settings: Settings, *, lookup: bool = False) -> None:
    """Refuse targets on private or forbidden addresses (raises netguard.Refused).

    Deny by default: every plugin whose URL names the host it talks to (its templates have a
    `{host}`: json, ntfy, gotify, hassio, mmost, matrix, mailto, ...) has that host, and any
    `smtp_host` it was given, judged by the fetcher's guard. Only plugins whose URLs cannot name
    a host (Discord, Slack, Telegram: a fixed SaaS API) pass unchecked. A URL without a port is
    judged as "the plugin's own port", which only an allow-list entry without a port opens. With
    `lookup`, host names are resolved and every answer judged; Apprise resolves again when it
    sends (no pinning).
    """
    for server in obj:
        # the guard judged this host; a redirect would take the message somewhere it did not
        # (`?redirect=yes` in the subscriber's URL included)
        if hasattr(server, "redirects"):
            server.redirects = False
        given = getattr(server, "port", None)
        port = given if isinstance(given, int) and 0 < given < 65536 else None
        for host in _named_hosts(server):
            netguard.check_host(host, port, settings, lookup=lookup)


def _named_hosts(server: object) -> list[str]:
    """The hosts a configured plugin will connect to that came from the subscriber's URL."""
    templates = getattr(server, "templates", None)
    names_host = not templates or any("{host}" in str(t) for t in templates)
    hosts = []
    smtp = getattr(server, "smtp_host", None)  # mailto's ?smtp=: the host it really talks to
    if isinstance(smtp, str) and smtp.strip():
        hosts.append(smtp.strip())
    host = getattr(server, "host", None)
    if names_host and isinstance(host, str) and host.strip() and host.strip() not in hosts:
        hosts.append(host.strip())
    return hosts


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
        guard(obj, settings, lookup=True)
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
        for server in obj:
            server.socket_connect_timeout = min(timeout, settings.connect_timeout)
            server.socket_read_timeout = timeout
            limit = int(getattr(server, "body_maxlen", 0) or 32768)
            title_limit = int(getattr(server, "title_maxlen", 0) or 0)
            head = title[:title_limit] if title_limit else ""
            room = limit if title_limit else limit - len(title) - 2
            body = message.brief(out.notices, room, out.mode)
            if not title_limit:
                body = f"{title}\n\n{body}"[:limit]
            if not server.notify(body=body, title=head, notify_type=apprise.NotifyType.INFO):
                failed.append(server.url(privacy=True))
    except Exception as exc:  # a plugin bug must fail the attempt, not the worker
        return Outcome(False, error=f"apprise: {type(exc).__name__}: {exc}"[:500])
    finally:
        logger.removeHandler(log)
    if failed:
        reason = "; ".join(log.lines[-3:]) or "the service refused the message"
        return Outcome(False, error=f"{', '.join(failed)}: {reason}"[:500])
    return Outcome(True)
