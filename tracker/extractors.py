"""Extraction in processes, with a time budget per page: every core, and no page can hang a check.

Reading a page is CPU-bound (libxml2 and trafilatura), so under the GIL a pool of check threads
uses one core. `Extractors` sends each page to a process pool sized to the machine (the
`extract_processes` setting: -1, the default, is one per usable CPU; 0 reads pages in the
check's own thread, without a budget) and gives each page `extract_timeout` seconds: a page that
runs over it (hostile markup: libxml2 is quadratic in one element's attributes) is stopped, its
processes are replaced, and the check fails with a reason.

The processes start lazily, one at a time, as pages need them (a pass of 304s starts none), from
a forkserver that has imported the extraction code once: each process is a fork of a warm
interpreter (a few milliseconds), never a fork of the threaded check process (unsafe with
threads) nor a fresh interpreter per process (spawn: a second of imports each).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tracker.config import Settings
from tracker.document import Document
from tracker.extract import ExtractError, extract

log = logging.getLogger("storydiff.extractors")


def machine_processes() -> int:
    """The CPUs this process may run on (its affinity, not the whole machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def process_count(settings: Settings, override: int | None = None) -> int:
    """How many extraction processes: the override, else the setting (-1: one per CPU)."""
    wanted = settings.extract_processes if override is None else override
    return machine_processes() if wanted < 0 else wanted


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tracker.warm_extract"])
    return ctx


PARENT_POLL_SECONDS = 1.0


def _outlive_no_parent(pid: int) -> None:
    """Run in each extraction process: exit as soon as the process that made the pool is gone.

    A `tracker` killed outright (kill -9, the OOM killer, systemd's final SIGKILL) cannot shut
    its pool down, and its processes would wait for pages forever: each holds the write end of
    its own task queue, and the forkserver lives as long as any of them. So each watches its
    maker from a daemon thread and leaves with it. Ctrl-C reaches the whole process group: the
    tracker stops its pool itself, so here it is ignored (it printed a traceback per process).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    born = _started(pid)

    def watch() -> None:
        while _alive(pid, born):
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None when there is no such
    process; raises OSError where there is no /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except FileNotFoundError:
        return None


def _started(pid: int) -> str | None:
    """When process `pid` started (clock ticks after boot), to tell it from a later process
    given the same pid; None where /proc cannot say."""
    try:
        fields = _stat(pid)
    except OSError:
        return None
    return fields[19] if fields and len(fields) > 19 else None


def _alive(pid: int, born: str | None = None) -> bool:
    """Whether process `pid` (started at `born`, when known) still runs: a zombie, dead but not
    yet reaped, does not, nor does a new process that was given its pid."""
    try:
        fields = _stat(pid)
    except OSError:  # no /proc here: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return born is None or (len(fields) > 19 and fields[19] == born)


def _extract_remote(body: bytes, content_type: str | None, url: str | None) -> Document:
    return extract(body, content_type, url)


def _wait(future: Future[Document], budget: float) -> Document | BaseException:
    """The page's Document, or what stopped it: a timeout, or the loss of its process.
    (ExtractError and other errors from the page itself are raised.)"""
    try:
        return future.result(timeout=budget)
    except (FutureTimeout, BrokenProcessPool, CancelledError) as exc:
        return exc


def _kill(procs: ProcessPoolExecutor) -> None:
    """Stop an extraction pool now, pages half read included."""
    # no public way to stop a worker mid-task before Python 3.14's kill_workers()
    for proc in list((getattr(procs, "_processes", None) or {}).values()):
        proc.kill()
    procs.shutdown(wait=False, cancel_futures=True)


class Extractors:
    """A callable `(body, content_type, url) -> Document` reading pages in `processes` processes.

    Only as many pages are in flight as there are processes, so a page's budget runs only while
    a process reads it, never while it waits behind another; a page that loses its process to
    another page's timeout is sent again, once, with a budget of its own.
    """

    def __init__(self, settings: Settings, processes: int) -> None:
        self.settings = settings
        self.processes = max(1, processes)
        self._procs: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._slots = threading.BoundedSemaphore(self.processes)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise ExtractError("the check pool is closed")
            if self._procs is None:
                self._procs = ProcessPoolExecutor(
                    self.processes,
                    mp_context=_context(),
                    initializer=_outlive_no_parent,
                    initargs=(os.getpid(),),
                )
            return self._procs

    def __call__(self, body: bytes, ctype: str | None, url: str | None) -> Document:
        """Extract in a process, within the `extract_timeout` budget."""
        budget = self.settings.extract_timeout
        for _attempt in range(2):
            with self._slots:
                procs = self._current()
                try:
                    future = procs.submit(_extract_remote, body, ctype, url)
                except (RuntimeError, BrokenProcessPool):  # replaced by another thread just now
                    self._replace(procs)
                    continue
                outcome = _wait(future, budget)
                if isinstance(outcome, Document):
                    return outcome
                if not self._replace(procs):
                    continue  # another page's thread replaced the processes under this one
            if isinstance(outcome, FutureTimeout):
                raise ExtractError(
                    f"reading the page took longer than {budget:g} s, so it was stopped"
                )
            raise ExtractError("the process reading the page stopped")
        raise ExtractError("the page could not be read: its extraction processes were replaced")

    def _replace(self, broken: ProcessPoolExecutor) -> bool:
        """Kill `broken`'s processes (fresh ones start with the next page); False if that was
        already done by another thread (or the pool is closed)."""
        with self._lock:
            if self._procs is not broken:
                return False
            self._procs = None
        _kill(broken)
        log.warning("extraction processes replaced after a page ran over its time budget")
        return True

    def close(self, wait: bool = True) -> None:
        with self._lock:
            self._closed = True
            procs, self._procs = self._procs, None
        if procs is None:
            return
        if wait:
            procs.shutdown(wait=True, cancel_futures=True)
        else:
            _kill(procs)
