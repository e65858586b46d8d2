"""What every channel is handed and what it answers: one message out, one attempt's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker.notify.message import Notice


@dataclass
class Outgoing:
    """One message for one subscription: a single change, or a digest of several."""

    subscription_id: int
    channel: str
    target: str
    secret: str | None
    mode: str
    key: str
    notices: list[Notice]
    delivery_ids: list[int] = field(default_factory=list)


@dataclass
class Outcome:
    """How an attempt went. `permanent` failures are not retried (a refused or invalid target)."""

    ok: bool
    status: int | None = None
    error: str | None = None
    permanent: bool = False
    retry_after: float | None = None
