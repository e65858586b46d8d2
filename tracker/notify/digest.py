"""When a digest is due: the next hourly or daily boundary (UTC) after a moment.

A digest subscription's deliveries are queued with `next_attempt_at` set to the boundary, so the
outbox claims all of a period's changes together and sends them as one message.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker import clock

MODES = ("instant", "hourly", "daily")
DIGEST_MODES = ("hourly", "daily")


def next_boundary(mode: str, moment: datetime | None = None) -> str:
    """The first top of the hour (hourly) or UTC midnight (daily) strictly after `moment`."""
    moment = moment or clock.now()
    if mode == "hourly":
        start = moment.replace(minute=0, second=0, microsecond=0)
        return clock.iso(start + timedelta(hours=1))
    if mode == "daily":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return clock.iso(start + timedelta(days=1))
    raise ValueError(f"unknown digest mode {mode!r}; use one of {', '.join(DIGEST_MODES)}")
