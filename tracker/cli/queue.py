"""`tracker worker`: checks for a `tracker run --queue` on this or any other machine."""

from __future__ import annotations

import os

import click

from tracker import logs
from tracker.cli.common import Context, pass_ctx
from tracker.cli.service import _stop_signals
from tracker.extractors import process_count
from tracker.queue.broker import QueueUnavailable


@click.command("worker")
@click.option(
    "--queue",
    "queue_url",
    envvar="TRACKER_QUEUE",
    required=True,
    metavar="REDIS_URL",
    help="The Redis the run process hands out check jobs on (env TRACKER_QUEUE).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Jobs at once (fetches; pages are read in the extraction processes).",
)
@pass_ctx
def worker(ctx: Context, queue_url: str, threads: int) -> None:
    """Fetch and read pages for `tracker run --queue REDIS_URL`, until Ctrl-C or SIGTERM.

    A worker needs no database: each job carries the story's URL and validators, and the result
    (the page's Document, or why it failed) goes back to the run process, which records it.
    Start as many as you like, on any machine that reaches Redis and the sites; they share the
    per-host politeness limits. Needs the queue extra: pip install 'storydiff[queue]'.

    \b
    Example:
      tracker worker --queue redis://10.0.0.5:6379/0 --threads 16
    """
    settings = ctx.settings
    logs.setup(settings.log_level)
    from tracker.queue.worker import CheckWorker

    try:
        side = CheckWorker(settings, queue_url, threads)
    except QueueUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    with _stop_signals() as stopped:
        try:
            side.start()
            click.echo(
                f"worker {os.getpid()} ready: {threads} threads, "
                f"{process_count(settings)} extraction processes; Ctrl-C stops",
                err=True,
            )
            stopped.wait()
        except SystemExit:
            pass
        finally:
            click.echo("stopping: finishing the jobs in hand", err=True)
            side.stop()
    click.echo(f"stopped after {side.done} jobs", err=True)


COMMANDS = [worker]
