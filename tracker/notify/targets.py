"""Whether a subscription may be made: the channel's target and the change kinds it filters on.

One set of rules for the CLI, the web forms and the API, so a target refused in one place is
refused everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from tracker import netguard
from tracker.config import Settings
from tracker.summary import KINDS as SUMMARY_KINDS
from tracker.urls import redact

CHANNELS = ("webhook", "email", "apprise")
# Every kind a change can carry: the summary's kinds, "revert" from record, and "any".
KINDS = ("any", *SUMMARY_KINDS, "revert")


class BadTarget(ValueError):
    """The channel cannot send there; the message says why."""


class BadKind(ValueError):
    """Not a change kind; the message lists the kinds there are."""


def check_target(channel: str, target: str, settings: Settings) -> str:
    """The cleaned target if `channel` may send to it, else BadTarget with the reason."""
    try:
        if channel == "webhook":
            from tracker.notify import webhook

            return webhook.check_target(target, settings)
        if channel == "email":
            from tracker.notify import mail

            return mail.check_address(target)
        if channel == "apprise":
            from tracker.notify import apprise_channel

            apprise_channel.guard(apprise_channel.services(target), settings)
            return target.strip()
    except netguard.Refused as exc:
        raise BadTarget(exc.reason) from None
    except ValueError as exc:  # BadWebhookURL, BadAddress, BadAppriseURL
        raise BadTarget(str(exc)) from None
    raise BadTarget(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")


def parse_kinds(values: Iterable[str]) -> list[str]:
    """Kinds given as words or comma lists, checked against the kinds changes carry."""
    kinds: set[str] = set()
    for value in values:
        for kind in value.replace(",", " ").split():
            kind = kind.lower()
            if kind not in KINDS:
                raise BadKind(f"{kind[:40]!r} is not a change kind; use {', '.join(KINDS)}")
            kinds.add(kind)
    return sorted(kinds)


def _hide_apprise(url: str) -> str:
    """Apprise's own privacy form of the URL (tokens and passwords starred), without the
    plugin's default options that Apprise appends as a query."""
    from tracker.notify.apprise_channel import services

    try:
        return ", ".join(server.url(privacy=True).split("?", 1)[0] for server in services(url))
    except Exception:  # an URL stored by an older version that Apprise no longer reads
        return url.split("://", 1)[0] + "://(hidden)"


def shown_target(channel: str, target: str) -> str:
    """The target as it may be shown (web pages, the API, `tracker subscriptions`): a webhook
    URL or an Apprise URL often carries its access token, so that part is hidden."""
    if channel == "webhook":
        return redact(target)
    if channel == "apprise":
        return _hide_apprise(target)
    return target
