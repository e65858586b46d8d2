"""Time as storydiff stores it: UTC, ISO 8601 with `Z`, to the second: text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None = None) -> str:
    """Format a moment (default: now) the way every table stores it."""
    moment = moment or now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(FORMAT)


def parse(text: str) -> datetime:
    """Read an ISO 8601 timestamp (`Z`, an offset, or naive meaning UTC); ValueError if not one."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is past the last moment Python holds
        raise ValueError(f"{text!r} is out of range") from None


def normalize(text: str) -> str:
    """Any accepted timestamp spelling in, the stored spelling out."""
    return iso(parse(text))


def later(seconds: float, start: datetime | None = None) -> str:
    return iso((start or now()) + timedelta(seconds=seconds))
