"""Log lines that read well in a terminal and in journald: one line per event, with its level.

Under systemd (which sets JOURNAL_STREAM for a service whose output goes to the journal) each line
starts with the syslog priority in angle brackets (`<4>` for a warning), which journald turns into
the entry's level, and carries no timestamp of its own, since the journal adds one. Elsewhere a
line is `time LEVEL logger: message`. Newlines inside a message are escaped so that one event
never becomes several entries.
"""

from __future__ import annotations

import logging
import os

LEVELS = ("debug", "info", "warning", "error")
_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class OneLine(logging.Formatter):
    """A formatter that keeps each record on one line (tracebacks included)."""

    def __init__(self, journald: bool):
        fmt = (
            "%(name)s: %(message)s"
            if journald
            else "%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        super().__init__(fmt)
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record).replace("\r", "\\r").replace("\n", " | ")
        if self.journald:
            return f"<{_PRIORITY.get(record.levelno, 6)}>{text}"
        return text


def under_journald(env: dict[str, str] | None = None) -> bool:
    return bool((os.environ if env is None else env).get("JOURNAL_STREAM"))


def setup(level: str = "warning") -> None:
    """Send every storydiff logger's records to stderr, one line each."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLine(under_journald()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.WARNING))
