"""Figures about the tracker itself: are checks running, failing, falling behind?

One place for the status page, `tracker status` and the Prometheus `/metrics` endpoint, so the
three always agree. Every query here is an aggregate over an index (checks by time, stories by
state, deliveries by status), so asking every few seconds stays cheap at 10,000 stories.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from tracker import clock
from tracker.store.base import Row, StoreBase, _decode_change

# Story states as a reader sees them: "active" splits by what the checks found.
STATUS_STATES = ("developing", "quiet", "never_checked", "failing", "paused", "gone", "archived")
# Checks that found no article: an error, a page gone, or a wall (consent, paywall, bot check).
FAILED_OUTCOMES = ("error", "gone", "blocked")
TOP_REASONS = 10


_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s)]+", re.IGNORECASE)
_ADDRESS = re.compile(r"\[[0-9a-f:]+\](?::\d+)?|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", re.I)
_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*(?::\d+)?\b", re.IGNORECASE)


def reason_of(error: str) -> str:
    """A failure's reason without the addresses it names: what several stories can share."""
    text = _URL.sub("…", error or "")
    text = _ADDRESS.sub("…", text)
    return _HOST.sub("…", text)


class StatusMixin(StoreBase):
    # -- status

    def stories_by_state(self) -> dict[str, int]:
        """How many stories are in each reader-facing state (every state named, zeros too).

        An active story that was never checked is `never_checked`, one whose last check failed
        is `failing`; only the rest are `developing` or `quiet`.
        """
        rows = self._all(
            "SELECT CASE WHEN state != 'active' THEN state "
            "WHEN last_checked_at IS NULL AND version_count = 0 THEN 'never_checked' "
            "WHEN failures > 0 THEN 'failing' "
            "WHEN developing = 1 THEN 'developing' ELSE 'quiet' END AS shown, count(*) AS n "
            "FROM stories GROUP BY shown"
        )
        found = {r["shown"]: int(r["n"]) for r in rows}
        return {state: found.get(state, 0) for state in STATUS_STATES}

    def check_counts(self, since: str) -> dict[str, int]:
        """Checks logged at or after `since`, by outcome."""
        rows = self._all(
            "SELECT outcome, count(*) AS n FROM checks WHERE at >= ? GROUP BY outcome", [since]
        )
        return {r["outcome"]: int(r["n"]) for r in rows}

    def error_reasons(self, since: str, limit: int = TOP_REASONS) -> list[Row]:
        """The most frequent failure reasons since `since`: reason, count, stories, last seen,
        and one example. Addresses and host names are taken out of the reason, so sixteen
        stories whose hosts cannot be resolved are one line, not sixteen."""
        rows = self._all(
            "SELECT coalesce(error, outcome) AS error, story_id, count(*) AS n, max(at) AS last_at "
            f"FROM checks WHERE at >= ? AND outcome IN {FAILED_OUTCOMES} "
            "GROUP BY error, story_id ORDER BY n DESC LIMIT 5000",
            [since],
        )
        merged: dict[str, Row] = {}
        for r in rows:
            reason = reason_of(r["error"])
            found = merged.setdefault(
                reason,
                {"reason": reason, "count": 0, "stories": set(), "last_at": "", "example": ""},
            )
            found["count"] += int(r["n"])
            found["stories"].add(r["story_id"])
            if r["last_at"] > found["last_at"]:
                found["last_at"], found["example"] = r["last_at"], r["error"]
        ranked = sorted(merged.values(), key=lambda m: (-m["count"], m["reason"]))[:limit]
        return [{**m, "stories": len(m["stories"])} for m in ranked]

    def scheduler_lag(self, now: str) -> dict[str, Any]:
        """How far behind the checks are: the most overdue active story and how many are due."""
        row = self._one(
            "SELECT min(next_check_at) AS oldest, count(*) AS due FROM stories "
            "WHERE state = 'active' AND next_check_at <= ?",
            [now],
        )
        oldest = row["oldest"] if row else None
        lag = 0.0
        if oldest:
            try:
                lag = max(0.0, (clock.parse(now) - clock.parse(oldest)).total_seconds())
            except ValueError:
                lag = 0.0
        last = self._one("SELECT max(at) AS at FROM checks")
        return {
            "due": int(row["due"]) if row else 0,
            "oldest_due_at": oldest,
            "lag_seconds": lag,
            "last_check_at": last["at"] if last else None,
        }

    def outbox_figures(self) -> dict[str, Any]:
        """Deliveries waiting (pending or being sent), dead ones, and the oldest waiting one."""
        rows = self._all("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        by = {r["status"]: int(r["n"]) for r in rows}
        oldest = self._one(
            "SELECT min(created_at) AS at FROM deliveries WHERE status IN ('pending', 'sending')"
        )
        return {
            "backlog": by.get("pending", 0) + by.get("sending", 0),
            "dead": by.get("dead", 0),
            "sent": by.get("sent", 0),
            "oldest_waiting_at": oldest["at"] if oldest else None,
        }

    def database_bytes(self) -> int:
        """The database file plus its write-ahead log, as the disk sees them."""
        if self.path == ":memory:":
            row = self.conn.execute("PRAGMA page_count").fetchone()
            size = self.conn.execute("PRAGMA page_size").fetchone()
            return int(row[0]) * int(size[0])
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(self.path + suffix)
            except OSError:
                continue
        return total

    def status_report(self, now: str | None = None) -> dict[str, Any]:
        """Everything the status page, `tracker status` and `/metrics` show, in one dict."""
        now = now or clock.iso()
        moment = clock.parse(now)
        hour = clock.iso(moment - timedelta(hours=1))
        day = clock.iso(moment - timedelta(days=1))
        checks = {"last_hour": self.check_counts(hour), "last_day": self.check_counts(day)}
        return {
            "now": now,
            "stories": self.stories_by_state(),
            "checks": checks,
            "failed": {
                span: sum(checks[span].get(o, 0) for o in FAILED_OUTCOMES) for span in checks
            },
            "errors": {
                "last_hour": self.error_reasons(hour),
                "last_day": self.error_reasons(day),
            },
            "scheduler": self.scheduler_lag(now),
            "outbox": self.outbox_figures(),
            "database": {"bytes": self.database_bytes(), **self.counts()},
        }

    def latest_changes(self, story_ids: list[int]) -> dict[int, Row]:
        """Each listed story's newest change (kinds, words added and removed), in one query."""
        ids = [int(i) for i in story_ids][:1000]
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = self._all(
            "SELECT c.story_id, c.from_version, c.to_version, c.detected_at, c.kind, c.kinds, "
            "c.summary, c.size, c.words_added, c.words_removed FROM changes c "
            f"JOIN stories s ON s.id = c.story_id WHERE c.story_id IN ({marks}) "
            "AND c.to_version = s.version_count",
            ids,
        )
        return {int(r["story_id"]): _decode_change(r) for r in rows}

    def live_stamp(self, story_id: int | None = None) -> str:
        """A short token that changes whenever a reader's view could: a new version, a check,
        a story added, removed, paused or resumed. Cheap (primary-key maxima and one row)."""
        if story_id is not None:
            row = self._one(
                "SELECT version_count, last_checked_at, failures, state, developing, title "
                "FROM stories WHERE id = ?",
                [story_id],
            )
            return "missing" if row is None else "|".join(str(v) for v in row.values())
        row = self._one(
            "SELECT (SELECT max(id) FROM versions) AS v, (SELECT max(id) FROM checks) AS c, "
            "(SELECT max(id) FROM stories) AS s, (SELECT count(*) FROM stories) AS n, "
            "(SELECT count(*) || ':' || total(id) FROM stories WHERE state != 'active') AS st"
        )
        return "|".join(str(v) for v in (row or {}).values())
