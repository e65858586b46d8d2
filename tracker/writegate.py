"""Hold checks while the database cannot be written (disk full, read-only), resume by itself.

Without it a full disk turns every dispatcher tick into a check that fetches a page, fails to
record it and logs a traceback, forever. With it the first failure pauses checks and says so
once; after a wait (doubling, up to `longest`) one check is let through as a trial, and the
first check that writes again resumes everything and says so once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

log = logging.getLogger("storydiff.schedule")


def _say(level: int, message: str, *args: object) -> None:
    """Log when a service set logging up (`tracker run`); `tracker check` prints each story's
    error itself and runs nothing on a schedule, so a line about pausing would be wrong there."""
    if logging.getLogger().handlers:
        log.log(level, message, *args)


class WriteGate:
    """Open while writes work; shut after an Unwritable error until a trial write succeeds."""

    def __init__(
        self,
        first: float = 2.0,
        longest: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first = first
        self.longest = longest
        self.clock = clock
        self._lock = threading.Lock()
        self._shut = False
        self._wait = first
        self._retry_at = 0.0

    @property
    def shut(self) -> bool:
        with self._lock:
            return self._shut

    def failed(self, reason: object) -> None:
        """A write failed because the database cannot take writes now."""
        with self._lock:
            if not self._shut:
                self._shut, self._wait = True, self.first
                _say(
                    logging.ERROR,
                    "%s: checks and deliveries are paused; a check is tried again every %g s "
                    "or less until writing works",
                    reason,
                    self.longest,
                )
            else:
                self._wait = min(self.longest, self._wait * 2)
            self._retry_at = self.clock() + self._wait

    def succeeded(self) -> None:
        """A write went through."""
        with self._lock:
            if self._shut:
                self._shut = False
                _say(
                    logging.WARNING,
                    "the database can be written again: checks and deliveries resumed",
                )

    def room(self, wanted: int) -> int:
        """How many checks may start now: all when open; one trial when shut and its time has
        come (no other until that trial reports), else none."""
        with self._lock:
            if not self._shut:
                return wanted
            if wanted <= 0 or self.clock() < self._retry_at:
                return 0
            self._retry_at = math.inf  # the trial's outcome sets the next time
            return 1

    def untried(self) -> None:
        """The trial granted by `room` did not start (nothing was due): try again next time."""
        with self._lock:
            if self._shut and self._retry_at == math.inf:
                self._retry_at = self.clock()
