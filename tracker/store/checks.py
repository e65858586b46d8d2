"""The check log: one row per fetch, what it found."""

from __future__ import annotations

from typing import Any

from tracker import clock
from tracker.store.base import (
    Row,
    StoreBase,
)


class ChecksMixin(StoreBase):
    # -- checks

    def log_check(
        self,
        story_id: int,
        *,
        outcome: str,
        at: str | None = None,
        status: int | None = None,
        duration_ms: float | None = None,
        error: str | None = None,
        keep: int = 200,
        story_fields: dict[str, Any] | None = None,
    ) -> None:
        """Log one check (keeping the newest `keep` per story) and update the story in one go."""
        at = at or clock.iso()
        with self.write():
            self.conn.execute(
                "INSERT INTO checks (story_id, at, status, outcome, duration_ms, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [story_id, at, status, outcome, duration_ms, error],
            )
            self.conn.execute(
                "DELETE FROM checks WHERE story_id = ? AND id <= (SELECT id FROM checks "
                "WHERE story_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                [story_id, story_id, int(keep)],
            )
            if story_fields:
                self.update_story(story_id, **story_fields)

    def list_checks(self, story_id: int, limit: int = 50) -> list[Row]:
        return self._all(
            "SELECT * FROM checks WHERE story_id = ? ORDER BY id DESC LIMIT ?", [story_id, limit]
        )
