"""The email channel: multipart text + HTML over SMTP (plain, STARTTLS or SSL), with unsubscribe.

Named `mail` so it does not shadow the standard library's `email` package.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from tracker.config import Settings
from tracker.notify import message
from tracker.notify.channel import Outcome, Outgoing
from tracker.notify.unsubscribe import unsubscribe_url

SECURITY = ("none", "starttls", "ssl")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


class BadAddress(ValueError):
    """Not a single plain email address."""


def check_address(address: str) -> str:
    """The address itself if it is one plain address (no names, lists or header tricks)."""
    text = (address or "").strip()
    if any(ch in text for ch in "\r\n\0") or len(text) > 254:
        raise BadAddress(f"{address!r} is not an email address")
    _name, addr = parseaddr(text)
    if addr != text or not _ADDRESS.match(addr):
        raise BadAddress(f"{address!r} is not an email address (use name@example.org)")
    return addr


def compose(out: Outgoing, settings: Settings) -> EmailMessage:
    """The message: text and HTML alternatives, List-Unsubscribe (one-click) when signable."""
    unsubscribe = unsubscribe_url(settings, out.subscription_id)
    msg = EmailMessage()
    msg["Subject"] = message.subject(out.notices, out.mode)
    msg["From"] = formataddr(("storydiff", settings.mail_from))
    msg["To"] = out.target
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = settings.mail_from.rpartition("@")[2] or "storydiff.localhost"
    msg["Message-ID"] = make_msgid(idstring=out.key, domain=domain)
    msg["X-Storydiff-Idempotency-Key"] = out.key
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = message.text_body(out.notices, unsubscribe)
    if not unsubscribe:
        text += f"\n--\nTo stop these emails: tracker unsubscribe {out.subscription_id}\n"
    msg.set_content(text)
    msg.add_alternative(message.html_body(out.notices, unsubscribe, out.mode), subtype="html")
    return msg


class MailConfigError(Exception):
    """The SMTP settings cannot work as given; retried, since the operator can fix them."""


def _connect(settings: Settings, timeout: float) -> smtplib.SMTP:
    security = settings.smtp_security.lower()
    if security not in SECURITY:
        raise MailConfigError(f"smtp_security must be one of {', '.join(SECURITY)}")
    context = ssl.create_default_context()
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        if security == "starttls":
            smtp.starttls(context=context)
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password)
    return smtp


def send(
    out: Outgoing, settings: Settings, *, fetcher: object = None, timeout: float = 30.0
) -> Outcome:
    """Send one message; SMTP and network failures come back as a failed Outcome, not raised."""
    try:
        to = check_address(out.target)
    except BadAddress as exc:
        return Outcome(False, error=str(exc), permanent=True)
    try:
        msg = compose(out, settings)
    except ValueError as exc:
        return Outcome(False, error=str(exc), permanent=True)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with _connect(settings, timeout) as smtp:
            smtp.send_message(msg, from_addr=settings.mail_from, to_addrs=[to])
    except (MailConfigError, ValueError, OverflowError) as exc:
        # The operator's settings, not the message: retried, so fixing them delivers it.
        reason = str(exc) or type(exc).__name__
        return Outcome(False, error=f"SMTP {where}: configuration: {reason}"[:500])
    except smtplib.SMTPResponseException as exc:
        detail = exc.smtp_error.decode("utf-8", "replace") if exc.smtp_error else ""
        return Outcome(False, status=exc.smtp_code, error=f"SMTP {exc.smtp_code}: {detail}"[:500])
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(False, error=f"recipient refused: {exc.recipients}"[:500])
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        return Outcome(False, error=f"SMTP {where}: {reason}"[:500])
    return Outcome(True, status=250)
