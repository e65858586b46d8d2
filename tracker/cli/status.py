"""`tracker status`: is the tracker healthy? Stories by state, checks and errors, lag, outbox."""

from __future__ import annotations

import click

from tracker.cli.common import Context, emit_json, json_option, pass_ctx


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _checks(counts: dict[str, int], failed: int) -> str:
    total = sum(counts.values())
    if not total:
        return "none"
    parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return f"{total} ({failed} failed: {parts})"


@click.command("status")
@json_option
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """Show whether checks work: stories by state, checks and errors in the last hour and day
    (errors grouped by reason), scheduler lag, the outbox backlog and dead letters, and the
    database size. The same figures as the web's /status page and /metrics."""
    with ctx.store() as store:
        report = store.status_report()
    if as_json:
        emit_json(report)
        return
    stories = report["stories"]
    click.echo(f"stories: {sum(stories.values())}")
    click.echo("  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in stories.items()))
    for span in ("last_hour", "last_day"):
        counts = _checks(report["checks"][span], report["failed"][span])
        click.echo(f"checks in the {span.replace('_', ' ')}: {counts}")
        for reason in report["errors"][span]:
            click.echo(
                f"    {reason['count']:>4} x {reason['reason']} "
                f"({reason['stories']} stories, last {reason['last_at']})"
            )
    sched = report["scheduler"]
    click.echo(
        f"scheduler: {sched['due']} due, lag {sched['lag_seconds']:.0f} s, "
        f"last check {sched['last_check_at'] or 'never'}"
    )
    outbox = report["outbox"]
    click.echo(f"outbox: {outbox['backlog']} waiting, {outbox['dead']} dead, {outbox['sent']} sent")
    db = report["database"]
    click.echo(
        f"database: {_size(db['bytes'])}, {db['versions']} versions, {db['changes']} changes"
    )


COMMANDS = [status]
