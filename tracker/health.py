"""A story's check health in words: one rule for the web list, the story page, the API and the CLI.

A story whose checks all fail must not read "developing", and one never checked must not read
"quiet": what the page says comes from what the checks found, not only from the stored state.
"""

from __future__ import annotations

from typing import Any

from tracker.store import Row

HEALTH_FIELDS = ("last_checked_at", "next_check_at", "last_error", "failures")


def shown_state(story: Row) -> str:
    """never checked, failing, developing, quiet, paused, gone or archived."""
    state = story.get("state") or "active"
    if state != "active":
        return state
    if not story.get("last_checked_at") and not int(story.get("version_count") or 0):
        return "never checked"
    if int(story.get("failures") or 0) > 0:
        return "failing"
    return "developing" if story.get("developing") else "quiet"


def health(story: Row) -> dict[str, Any]:
    """The check figures the API and `tracker stories --json` report for a story."""
    return {
        "shown_state": shown_state(story),
        "last_checked_at": story.get("last_checked_at"),
        "next_check_at": story.get("next_check_at") if story.get("state") == "active" else None,
        "last_error": story.get("last_error"),
        "failures": int(story.get("failures") or 0),
    }
