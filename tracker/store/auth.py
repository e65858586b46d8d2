"""Secrets (hashed passwords and tokens) and the sign-in limit."""

from __future__ import annotations

import sqlite3

from tracker import clock
from tracker.store.base import (
    StoreBase,
    StoreError,
    _explain,
)


class AuthMixin(StoreBase):
    # -- secrets (hashed passwords and tokens)

    def set_secret(self, name: str, value: str) -> None:
        with self.write():
            self.conn.execute(
                "INSERT INTO secrets (name, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                [name, value, clock.iso()],
            )

    def get_secret(self, name: str) -> str | None:
        row = self._one("SELECT value FROM secrets WHERE name = ?", [name])
        return row["value"] if row else None

    # -- failed sign-ins

    def reserve_signin_attempt(
        self, client: str, *, at: str, since: str, limit: int
    ) -> list[str] | None:
        """Count `client`'s failed sign-ins since `since`. Under `limit`, log this attempt as one
        more (`clear_signin_failures` takes it back when it succeeds) and return None; otherwise
        return the failures' times, oldest first.

        Counting and logging are one transaction, so guesses sent at the same moment cannot
        all find the count under the limit. Failures older than `since` are deleted here.
        """
        try:
            with self.write():
                self.conn.execute("DELETE FROM signin_failures WHERE at < ?", [since])
                rows = self.conn.execute(
                    "SELECT at FROM signin_failures WHERE client = ? AND at >= ? ORDER BY at",
                    [client, since],
                ).fetchall()
                if len(rows) >= limit:
                    return [row[0] for row in rows]
                self.conn.execute(
                    "INSERT INTO signin_failures (client, at) VALUES (?, ?)", [client, at]
                )
                return None
        except sqlite3.DatabaseError as exc:  # read-only file, or a lock held past the timeout
            raise StoreError(_explain(exc, self.path)) from None

    def clear_signin_failures(self, client: str) -> None:
        try:
            with self.write():
                self.conn.execute("DELETE FROM signin_failures WHERE client = ?", [client])
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(exc, self.path)) from None
