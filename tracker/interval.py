"""When a story is checked next: the adaptive interval policy, below both check.py and schedule.py.

The interval follows how alive a story is. News stories change most in their first hours and then
settle, so the interval grows with the time since the story last changed (`TIERS`); a story that
still carries a developing marker ("(More to come)", "UPDATE:", live blogs; see markers.py) is
checked every few minutes; a change resets the clock. NewsDiffs' fixed ladder (`NEWSDIFFS`) is
the baseline: this ladder checks more often in the first hours, when edits happen, and less
after, for fewer requests in total (docs/SCHEDULING.md has the numbers). A per-story `interval`
wins over the ladder; failures back off exponentially; a story quiet for
`archive_after_days` is archived and no longer polled.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tracker import clock
from tracker.config import Settings
from tracker.fetch import RETRY_AFTER_CAP

MINUTE, HOUR, DAY = 60, 3600, 86400
# (quiet for less than this many seconds, check every this many seconds)
TIERS: tuple[tuple[float, int], ...] = (
    (15 * MINUTE, 5 * MINUTE),
    (HOUR, 10 * MINUTE),
    (3 * HOUR, 15 * MINUTE),
    (12 * HOUR, 45 * MINUTE),
    (DAY, 2 * HOUR),
    (3 * DAY, 6 * HOUR),
    (7 * DAY, 12 * HOUR),
    (30 * DAY, 2 * DAY),
    (float("inf"), 7 * DAY),
)
NEWSDIFFS: tuple[tuple[float, int], ...] = (
    (3 * HOUR, 15 * MINUTE),
    (DAY, HOUR),
    (7 * DAY, 3 * HOUR),
    (30 * DAY, 3 * DAY),
    (float("inf"), 30 * DAY),
)
DEVELOPING_INTERVAL = 10 * MINUTE
DEVELOPING_FOR = 2 * DAY  # a marker left on a page quiet for longer stops counting
FAILURE_CAP = DAY
JITTER = 0.1


@dataclass(frozen=True)
class Plan:
    """The next check: when (None once the story is no longer polled), in what state, and why."""

    next_check_at: str | None
    interval: int
    state: str
    reason: str


def ladder_interval(quiet_for: float, tiers: tuple[tuple[float, int], ...] = TIERS) -> int:
    """The ladder's interval for a story that has not changed for `quiet_for` seconds."""
    for limit, every in tiers:
        if quiet_for < limit:
            return every
    return tiers[-1][1]


def quiet_for(story: Mapping[str, Any], now: datetime, changed: bool) -> float:
    """Seconds since the story last changed (or was added, if it never has)."""
    if changed:
        return 0.0
    since = story.get("last_changed_at") or story.get("added_at")
    if not since:
        return 0.0
    try:
        return max(0.0, (now - clock.parse(since)).total_seconds())
    except ValueError:
        return 0.0


def next_interval(
    story: Mapping[str, Any],
    now: datetime,
    changed: bool,
    *,
    settings: Settings | None = None,
    developing: bool | None = None,
    failures: int = 0,
    retry_after: float | None = None,
) -> int:
    """Seconds until the next check, without jitter (see `plan` for the whole decision)."""
    seconds, _ = _decide(
        story, now, changed, settings or Settings(), developing, failures, retry_after
    )
    return seconds


def _decide(
    story: Mapping[str, Any],
    now: datetime,
    changed: bool,
    settings: Settings,
    developing: bool | None,
    failures: int,
    retry_after: float | None,
) -> tuple[int, str]:
    quiet = quiet_for(story, now, changed)
    live = bool(story.get("developing")) if developing is None else developing
    override = story.get("interval")
    if override:
        seconds, why = max(1, int(override)), f"set to every {human(int(override))}"
    else:
        seconds = ladder_interval(quiet)
        why = f"quiet for {human(quiet)}" if quiet else "just changed"
        if live and quiet < DEVELOPING_FOR and seconds > DEVELOPING_INTERVAL:
            seconds, why = DEVELOPING_INTERVAL, "developing story"
        seconds = min(max(seconds, settings.min_interval), settings.max_interval)
    if failures > 0:
        backed = seconds * 2 ** min(failures, 16)
        seconds = int(min(backed, max(seconds, FAILURE_CAP)))
        why = f"{failures} failed check{'s' if failures != 1 else ''} in a row"
    retry_after = _bounded(retry_after)
    if retry_after and retry_after > seconds:
        seconds, why = int(retry_after + 0.999), f"the server asked to wait {human(retry_after)}"
    return seconds, why


def plan(
    story: Mapping[str, Any],
    now: datetime,
    *,
    changed: bool,
    settings: Settings,
    developing: bool | None = None,
    failures: int = 0,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> Plan:
    """The next check for `story` after a check at `now`: interval with jitter, or archiving."""
    quiet = quiet_for(story, now, changed)
    archive_after = settings.archive_after_days * DAY
    if archive_after > 0 and quiet >= archive_after:
        return Plan(None, 0, "archived", f"no change for {human(quiet)}: archived")
    retry_after = _bounded(retry_after)
    seconds, why = _decide(story, now, changed, settings, developing, failures, retry_after)
    jittered = seconds * (1 + JITTER * (2 * rng() - 1))
    if retry_after:
        jittered = max(jittered, retry_after)
    state = str(story.get("state") or "active")
    return Plan(clock.iso(now + timedelta(seconds=jittered)), seconds, state, why)


def _bounded(retry_after: float | None) -> float | None:
    """A server's wait, at most RETRY_AFTER_CAP (NaN and negatives count as none)."""
    if retry_after is None or not retry_after > 0:
        return None
    return min(retry_after, RETRY_AFTER_CAP)


def human(seconds: float) -> str:
    """90 -> '1 min', 7200 -> '2 h', 172800 -> '2 d'."""
    seconds = float(seconds)
    if seconds < MINUTE:
        return f"{seconds:.0f} s"
    if seconds < HOUR:
        return f"{seconds / MINUTE:.0f} min"
    if seconds < DAY:
        return f"{seconds / HOUR:.0f} h"
    return f"{seconds / DAY:.0f} d"
