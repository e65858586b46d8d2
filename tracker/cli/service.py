"""Commands that run storydiff as a service: check now, run the scheduler and site, feeds, demo."""

from __future__ import annotations

import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import as_completed
from contextlib import contextmanager, suppress
from functools import partial
from types import FrameType
from typing import Any

import click

from tracker import clock, feeds, logs, seeds
from tracker.check import OUTCOMES, CheckResult
from tracker.cli.common import (
    Context,
    emit_json,
    json_option,
    listen,
    load_web_app,
    parse_interval,
    pass_ctx,
)
from tracker.cli.stories import log
from tracker.config import Settings
from tracker.fetch import Fetcher, FetchError
from tracker.interval import human
from tracker.newsroom import DEFAULT_DELAY, Newsroom
from tracker.notify.outbox import deliver_job
from tracker.pool import CheckPool
from tracker.schedule import Scheduler
from tracker.store import NotFound, Row, Store, Unwritable
from tracker.urls import BadURL, redact, site

SUMMARY_WORDS = {
    "unchanged": ("unchanged", "unchanged"),
    "not_modified": ("not modified", "not modified"),
    "new_version": ("new version", "new versions"),
    "blocked": ("blocked", "blocked"),
    "error": ("error", "errors"),
    "gone": ("gone", "gone"),
}


# --------------------------------------------------------------------------- tracker check


def _pick_stories(
    store: Store, refs: tuple[str, ...], every: bool, due: bool, settings: Settings
) -> list[int]:
    if sum([bool(refs), every, due]) != 1:
        raise click.UsageError("name the STORIES to check, or use --all or --due (one of them)")
    if every:
        total = store.count_stories(state="active")
        return [r["id"] for r in store.list_stories(state="active", sort="added", limit=total)]
    if due:
        fetcher = Fetcher(settings)
        try:
            for feed in store.due_feeds(clock.iso(), limit=1000):
                _poll_quietly(store, feed, fetcher)
        finally:
            fetcher.close()
        return [r["id"] for r in store.due_stories(clock.iso(), limit=1_000_000)]
    ids: list[int] = []
    for ref in refs:
        try:
            row = store.find_story(ref)
        except NotFound as exc:
            raise click.ClickException(str(exc)) from None
        if row["id"] not in ids:
            ids.append(row["id"])
    return ids


def _poll_quietly(store: Store, feed: Row, fetcher: Fetcher) -> None:
    """Poll one due feed; a failure is one line on stderr (and noted on the feed), never a
    traceback that would stop the stories from being checked."""
    try:
        result = feeds.poll(store, feed["id"], fetcher)
    except (feeds.FeedError, FetchError) as exc:
        click.echo(f"feed {feed['id']}: poll failed: {getattr(exc, 'reason', exc)}", err=True)
        return
    except Exception as exc:  # a bug in one feed's poll must not stop the others
        result = feeds.record_internal_error(store, feed["id"], exc)
    if result.error:
        click.echo(f"feed {feed['id']}: poll failed: {result.error}", err=True)


@contextmanager
def _progress(count: int, quiet: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on a terminal (stderr), nothing when piped or printing JSON."""
    if quiet or count < 2 or not sys.stderr.isatty():
        yield lambda: None
        return
    with click.progressbar(length=count, label="checking", file=sys.stderr) as bar:
        yield lambda: bar.update(1)


def _line(result: CheckResult) -> str | None:
    if result.outcome == "new_version" and result.version == 1:
        return f"story {result.story_id}: first version recorded"
    if result.outcome == "new_version":
        return f"story {result.story_id}: new version {result.version}"
    if result.outcome in ("blocked", "error", "gone"):
        return f"story {result.story_id}: {result.outcome}: {result.error}"
    return None


@click.command("check")
@click.argument("stories", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Check every active story.")
@click.option(
    "--due",
    is_flag=True,
    help="Poll due feeds, then check the stories whose time has come: one pass of the "
    "scheduler, for cron.",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), help="Checks at once (default: the workers setting)."
)
@json_option
@pass_ctx
def check_command(
    ctx: Context,
    stories: tuple[str, ...],
    every: bool,
    due: bool,
    workers: int | None,
    as_json: bool,
) -> None:
    """Check STORIES now (ids or URLs), every active story (--all) or the due ones (--due).

    Each check fetches the page (conditionally: an unchanged page costs one short request),
    extracts the article and records a version when it changed. Prints new versions and errors
    as they come, then a summary. Exits 1 only when every check failed (the network or the
    database is likely down); a single failing story is reported, not fatal.

    \b
    Examples:
      tracker check 3                check story 3
      tracker check --all --json     check everything, results for a script
      tracker check --due            one scheduler pass (from cron, without `tracker run`)
    """
    settings = ctx.settings
    with ctx.store() as store:
        ids = _pick_stories(store, stories, every, due, settings)
    if not ids:
        if as_json:
            emit_json({"summary": {"checked": 0}, "results": []})
        else:
            click.echo("nothing to check")
        return
    pool = CheckPool(settings, workers=min(workers or settings.workers, len(ids)))
    results: list[CheckResult] = []
    try:
        futures = [pool.submit_story(i) for i in ids]
        with _progress(len(ids), as_json) as advance:
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                advance()
                line = _line(result)
                if line and not as_json:
                    click.echo(line)
    finally:
        pool.close()
    counts = Counter(r.outcome for r in results)
    summary = {"checked": len(results), **{o: counts.get(o, 0) for o in OUTCOMES}}
    if as_json:
        results.sort(key=lambda r: ids.index(r.story_id))
        emit_json({"summary": summary, "results": [r.to_json() for r in results]})
    else:
        parts = [
            f"{summary[o]} {SUMMARY_WORDS[o][summary[o] != 1]}"
            for o in OUTCOMES
            if o not in ("gone", "blocked") or summary[o]
        ]
        click.echo(f"checked {len(results)}: " + ", ".join(parts))
    if counts.get("error", 0) == len(results):
        sys.exit(1)


# --------------------------------------------------------------------------- feeds


@click.command("add-feed")
@click.argument("url")
@click.option("--interval", help="Poll every INTERVAL (900, 15m, 2h, 1d); default 15 minutes.")
@json_option
@pass_ctx
def add_feed(ctx: Context, url: str, interval: str | None, as_json: bool) -> None:
    """Follow the RSS or Atom feed at URL: every poll tracks its new entries as stories.

    The feed is fetched and read first, so a mistyped URL or a web page is refused without
    being saved. Entry links are normalised and matched against tracked URLs and canonical
    URLs, so an article already tracked (even with ?utm_source=... on it) is not added twice.
    `tracker run` polls feeds on its own; `tracker check --due` polls due ones.
    """
    seconds = parse_interval(interval)
    settings = ctx.settings
    with ctx.store() as store, Fetcher(settings) as fetcher:
        try:
            feed_id, created, result = feeds.follow(store, url, fetcher, interval=seconds)
        except BadURL as exc:
            raise click.ClickException(f"invalid URL {url!r}: {exc}") from None
        except feeds.FeedError as exc:
            raise click.ClickException(f"cannot follow {redact(url)}: {exc}") from None
        except FetchError as exc:
            raise click.ClickException(f"cannot follow {redact(url)}: {exc.reason}") from None
        feed = store.get_feed(feed_id)
    if as_json:
        emit_json({"id": feed_id, "url": feed["url"], "created": created, **result.to_json()})
        return
    name = feed["title"] or feed["url"]
    state = "following" if created else "already following"
    click.echo(f"feed {feed_id}: {state} {name}")
    if result.error:
        click.echo(f"  this poll failed: {result.error}")
    else:
        click.echo(f"  {result.entries} entries, {len(result.added)} new stories")


@click.command("feeds")
@json_option
@pass_ctx
def list_feeds(ctx: Context, as_json: bool) -> None:
    """List followed feeds with their story counts, last poll and last error."""
    with ctx.store() as store:
        rows = store.list_feeds()
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no feeds yet: tracker add-feed URL")
        return
    for row in rows:
        checked = row["last_checked_at"] or "never"
        click.echo(
            f"{row['id']:>4}  {row['state']:<7} {row['stories']:>5} stories  "
            f"polled {checked}  {row['title'] or row['url']}"
        )
        if row["last_error"]:
            click.echo(f"      last error: {row['last_error']}")


# --------------------------------------------------------------------------- run and demo


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """Ctrl-C and SIGTERM end the serving loop once; a second one is ignored while we stop."""
    stopped = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stopped.is_set():
            return
        stopped.set()
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopped
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _serve(
    settings: Settings,
    scheduler: Scheduler,
    host: str,
    port: int,
    threads: int,
    web: bool,
    announce: Callable[[], None],
) -> None:
    """Run the scheduler (and the web app on waitress) until Ctrl-C or SIGTERM, then stop
    cleanly: no new checks, running checks finish, every store closes."""
    server: Any = None
    if web:
        server = listen(load_web_app(settings, checks_run=True), host, port, threads)
    scheduler.add_periodic("outbox", partial(deliver_job, settings), settings.outbox_interval)
    with _stop_signals() as stopped:
        try:
            spread = scheduler.start()
            if spread:
                click.echo(f"{spread} overdue stories spread over the next minutes", err=True)
            announce()
            if server is not None:
                server.run()
            else:
                stopped.wait()
        except SystemExit:
            pass
        finally:
            click.echo("stopping: waiting for running checks to finish", err=True)
            if server is not None:
                server.close()
            scheduler.stop(wait=True)
    click.echo("stopped", err=True)


def _report(result: CheckResult) -> None:
    line = _line(result)
    if line:
        click.echo(f"{clock.iso()}  {line}", err=True)


def _logging(settings: Settings) -> None:
    logs.setup(settings.log_level)


def _scheduler(settings: Settings, queue_url: str | None, processes: int | None) -> Scheduler:
    if not queue_url:
        return Scheduler(settings, extract_processes=processes, on_result=_report)
    from tracker.queue.broker import QueueUnavailable
    from tracker.queue.recorder import QueuePool

    try:
        pool = QueuePool(settings, queue_url, on_result=_report)
    except QueueUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    return Scheduler(settings, pool=pool)  # type: ignore[arg-type]


@click.command("run")
@click.option("--host", help="Address the web site listens on (default: the host setting).")
@click.option("--port", type=click.IntRange(1, 65535), help="Its port (default: 8000).")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--no-web", is_flag=True, help="Only run the scheduler, no web site.")
@click.option(
    "--extract-processes",
    type=click.IntRange(0, 256),
    help="Read pages in this many processes (default: the extract_processes setting, one per "
    "CPU; 0 reads them in the check threads, with no time budget).",
)
@click.option(
    "--queue",
    "queue_url",
    envvar="TRACKER_QUEUE",
    metavar="REDIS_URL",
    help="Hand checks to `tracker worker` processes through this Redis (the queue extra); this "
    "process schedules and records.",
)
@pass_ctx
def run(
    ctx: Context,
    host: str | None,
    port: int | None,
    threads: int,
    no_web: bool,
    extract_processes: int | None,
    queue_url: str | None,
) -> None:
    """Follow every story on its own schedule and serve the web site, in one process.

    Checks run in a pool of `workers` threads (setting); each story's next check time is kept
    in the database, so a restart carries on where it stopped, and stories found overdue are
    spread over a few minutes instead of all fetched at once. Ctrl-C or SIGTERM stops cleanly:
    no new checks start, running ones finish, nothing is left half-written.
    """
    _logging(ctx.settings)
    settings = ctx.settings
    with ctx.store() as store:
        counts = store.counts()
        try:
            store.check_writable()
        except Unwritable as exc:
            raise click.ClickException(f"cannot run: {exc}; tracker run must write") from None
    host = host or settings.host
    port = port or settings.port
    scheduler = _scheduler(settings, queue_url, extract_processes)

    def announce() -> None:
        where = "no web site" if no_web else f"http://{host}:{port}/"
        if queue_url:
            where += "; checks go to the workers on the queue"
        click.echo(
            f"storydiff is following {counts['stories']} stories and {counts['feeds']} feeds "
            f"({where}); Ctrl-C stops",
            err=True,
        )

    _serve(settings, scheduler, host, port, threads, not no_web, announce)


@click.command()
@click.option(
    "--load-only", is_flag=True, help="Only load the seed story and show its log; no servers."
)
@click.option("--host", help="Address of the web site (default: the host setting, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port of the web site (default 8000).")
@click.option(
    "--newsroom-port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port of the demo newsroom on 127.0.0.1 (default: any free port).",
)
@click.option(
    "--delay",
    type=click.FloatRange(0.5, 3600),
    default=DEFAULT_DELAY,
    show_default=True,
    help="Seconds before the newsroom publishes the next version.",
)
@click.option(
    "--interval",
    type=click.IntRange(1, 3600),
    default=10,
    show_default=True,
    help="Check the newsroom's story every INTERVAL seconds.",
)
@json_option
@pass_ctx
def demo(
    ctx: Context,
    load_only: bool,
    host: str | None,
    port: int | None,
    newsroom_port: int,
    delay: float,
    interval: int,
    as_json: bool,
) -> None:
    """Watch storydiff follow a story as it changes, on your machine, without internet.

    Loads the built-in seed story (two versions of a developing wire story), starts a small
    local newsroom on 127.0.0.1 that publishes the same story as a web page and updates it
    after --delay seconds, tracks that page every --interval seconds, and serves the web site.
    Open the address it prints and watch the second version and its diff appear within a
    minute or two. Ctrl-C stops; the demo story is then paused.

    --load-only (or --json) only loads the seed story and prints its log; loading twice adds
    nothing. Then try `tracker diff STORY` on the id it prints.
    """
    with ctx.store() as store:
        seed_id = seeds.install(store)
    if load_only or as_json:
        if as_json:
            emit_json({"id": seed_id})
            return
        click.echo(f"seed story loaded as story {seed_id}\n")
        click.get_current_context().invoke(log, story=str(seed_id), as_json=False)
        return
    _logging(ctx.settings)
    base = ctx.settings
    host = host or base.host
    port = port or base.port
    try:
        room = Newsroom(delay=delay, port=newsroom_port)
    except OSError as exc:
        raise click.ClickException(
            f"cannot start the newsroom on port {newsroom_port}: {exc.strerror or exc}"
        ) from None
    # the newsroom's port, and nothing else on this machine, is let past the SSRF guard
    settings = base.replace(allow_hosts=(*base.allow_hosts, f"127.0.0.1:{room.port}"))
    story_id: int | None = None
    try:
        with ctx.store() as store:
            story_id = _track_newsroom(store, room, interval)
        scheduler = Scheduler(settings, on_result=_report)

        def announce() -> None:
            nxt = room.seconds_to_next()
            coming = f"version 2 in {human(nxt)}" if nxt is not None else "all versions are up"
            click.echo(
                "\nstorydiff demo\n"
                f"  newsroom   {room.url('/')}   (version 1 is up; {coming})\n"
                f"  storydiff  http://{host}:{port}/   <- open this\n"
                f"             http://{host}:{port}/stories/{story_id}   the newsroom story\n"
                f"             http://{host}:{port}/stories/{seed_id}   the seed story\n"
                f"  The newsroom story is checked every {interval} s; watch it change.\n"
                "  Ctrl-C stops.\n",
                err=True,
            )

        _serve(settings, scheduler, host, port, 4, True, announce)
    finally:
        room.close()
        if story_id is not None:
            with ctx.store() as store, suppress(NotFound, click.ClickException):
                store.update_story(story_id, state="paused", next_check_at=None)


def _track_newsroom(store: Store, room: Newsroom, interval: int) -> int:
    """Track the newsroom's story page (again, when this port was used before), due now."""
    url = room.story_url
    story_id, created = store.add_story(
        url, title="Demo newsroom story", interval=interval, site=site(url)
    )
    if not created:
        store.update_story(
            story_id, state="active", interval=interval, next_check_at=clock.iso(), failures=0
        )
    return story_id


COMMANDS = [demo, check_command, run, add_feed, list_feeds]
