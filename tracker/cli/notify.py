"""Commands for notifications: subscriptions, and inspecting and running the outbox."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.common import Context, emit_json, find_story, json_option, pass_ctx
from tracker.notify import subscription
from tracker.notify.subscription import attempt_json, delivery_json
from tracker.notify.targets import shown_target
from tracker.store import NotFound, StoreError

# Which option to blame when the shared rules refuse a field.
OPTION_OF = {
    "story_id": "STORY",
    "feed_id": "--feed",
    "secret": "--secret",
    "min_words": "--min-words",
    "kinds": "--kind",
    "mode": "--digest",
    "developing_only": "--developing-only",
}


def _channel(webhook_url: str | None, email: str | None, apprise_url: str | None):
    chosen = [
        (c, t)
        for c, t in (("webhook", webhook_url), ("email", email), ("apprise", apprise_url))
        if t is not None
    ]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --webhook URL, --email ADDR, --apprise URL")
    return chosen[0]


def _checked(ctx: Context, data: dict[str, Any]) -> subscription.Request:
    """The request checked by the rules the web form and the API use."""
    try:
        return subscription.parse(data, ctx.settings)
    except subscription.Invalid as exc:
        hint = f"--{data['channel']}" if exc.field == "target" else OPTION_OF.get(exc.field or "")
        raise click.BadParameter(str(exc), param_hint=hint) from None


@click.command()
@click.argument("story", required=False)
@click.option("--feed", "feed", metavar="FEED", help="Every story of this feed (id or URL).")
@click.option("--all", "everything", is_flag=True, help="Every story tracked now or later.")
@click.option("--webhook", "webhook_url", metavar="URL", help="POST signed JSON to this URL.")
@click.option("--email", metavar="ADDR", help="Send mail (text + HTML word diff) here.")
@click.option("--apprise", "apprise_url", metavar="URL", help="Any Apprise URL (slack://, ...).")
@click.option(
    "--min-words",
    default=0,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="Stay silent unless at least N words were added or removed.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="K",
    help="Only changes of this kind (repeatable): headline, numbers, correction, ... or any. "
    "Without it, every change except typo-level ones.",
)
@click.option("--developing-only", is_flag=True, help="Only while a story is marked developing.")
@click.option(
    "--digest",
    type=click.Choice(["hourly", "daily"]),
    help="Gather changes into one message at the top of each hour / at midnight UTC.",
)
@click.option("--secret", help="Webhook signing secret (default: a random one, printed once).")
@json_option
@pass_ctx
def subscribe(
    ctx: Context,
    story: str | None,
    feed: str | None,
    everything: bool,
    webhook_url: str | None,
    email: str | None,
    apprise_url: str | None,
    min_words: int,
    kinds: tuple[str, ...],
    developing_only: bool,
    digest: str | None,
    secret: str | None,
    as_json: bool,
) -> None:
    """Be told when STORY (or every story of --feed F, or --all) changes.

    \b
    Examples:
      tracker subscribe 12 --webhook https://hooks.example.org/storydiff
      tracker subscribe --all --email me@example.org --min-words 20 --digest daily
      tracker subscribe --feed 3 --apprise 'ntfy://news-alerts' --kind headline
    """
    if sum([story is not None, feed is not None, everything]) != 1:
        raise click.UsageError("give exactly one of STORY, --feed FEED or --all")
    channel, target = _channel(webhook_url, email, apprise_url)
    data: dict[str, Any] = {
        "scope": "story" if story is not None else "feed" if feed is not None else "all",
        "channel": channel,
        "target": target,
        "secret": secret,
        "min_words": min_words,
        "kinds": list(kinds),
        "developing_only": developing_only,
        "mode": digest or "instant",
    }
    if secret == "":
        raise click.BadParameter("give a secret, or leave --secret out", param_hint="--secret")
    with ctx.store() as store:
        if story is not None:
            data["story_id"] = int(find_story(store, story)["id"])
        elif feed is not None:
            try:
                data["feed_id"] = int(store.find_feed(feed)["id"])
            except NotFound as exc:
                raise click.ClickException(str(exc)) from None
        request = _checked(ctx, data)
        try:
            sub_id = subscription.create(store, request)
        except subscription.Invalid as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        emit_json(
            {
                "id": sub_id,
                "channel": request.channel,
                "target": shown_target(request.channel, request.target),
                "secret": request.secret,
            }
        )
        return
    click.echo(sub_id)
    if request.secret_generated:
        shown = request.secret
        click.echo(
            f"webhook secret (shown once; Standard Webhooks format, docs/NOTIFY.md): {shown}",
            err=True,
        )


def _scope(row: dict) -> str:
    if row["scope"] == "story":
        return f"story {row['story_id']}"
    if row["scope"] == "feed":
        return f"feed {row['feed_id']}"
    return "all stories"


@click.command()
@json_option
@pass_ctx
def subscriptions(ctx: Context, as_json: bool) -> None:
    """List subscriptions with their filters (secrets, and the tokens in targets, not shown)."""
    with ctx.store() as store:
        rows = store.list_subscriptions()
    for row in rows:
        row["secret"] = bool(row.get("secret"))
        row["target"] = shown_target(row["channel"], row["target"])
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no subscriptions yet: `tracker subscribe STORY --webhook URL`")
    for r in rows:
        filters = []
        if r["min_words"]:
            filters.append(f">={r['min_words']} words")
        if r["kinds"]:
            filters.append("kinds " + ",".join(r["kinds"]))
        if r["developing_only"]:
            filters.append("developing only")
        state = "" if r["active"] else " (inactive)"
        click.echo(
            f"{r['id']:>5}  {r['channel']:8} {r['target']}  [{_scope(r)}; {r['mode']}"
            f"{'; ' + '; '.join(filters) if filters else ''}]{state}"
        )


@click.command()
@click.argument("ids", nargs=-1, required=True, type=int, metavar="ID...")
@pass_ctx
def unsubscribe(ctx: Context, ids: tuple[int, ...]) -> None:
    """Delete subscriptions (and their undelivered messages)."""
    with ctx.store() as store:
        for sub_id in ids:
            try:
                store.delete_subscription(sub_id)
            except NotFound as exc:
                raise click.ClickException(str(exc)) from None
            click.echo(f"subscription {sub_id} removed")


@click.command()
@click.option("--failed", is_flag=True, help="Only dead deliveries and ones that have failed.")
@click.option("--retry", "retry_id", type=int, metavar="ID", help="Send delivery ID again.")
@click.option("--attempts", "attempts_id", type=int, metavar="ID", help="Every attempt of ID.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def deliveries(
    ctx: Context,
    failed: bool,
    retry_id: int | None,
    attempts_id: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """The outbox: what was sent, what is waiting and what failed (newest first)."""
    with ctx.store() as store:
        try:
            if retry_id is not None:
                store.retry_delivery(retry_id)
                click.echo(f"delivery {retry_id} queued again; it goes out on the next `deliver`")
                return
            if attempts_id is not None:
                store.get_delivery(attempts_id)
                rows = store.delivery_attempts(attempts_id)
                if as_json:
                    emit_json([attempt_json(a) for a in rows])
                    return
                for a in rows:
                    status = "ok" if a["ok"] else "failed"
                    click.echo(
                        f"{a['at']}  {status:6} {a['status'] or '-':>4}  "
                        f"{a['duration_ms'] or 0:>8.1f} ms  {a['error'] or ''}"
                    )
                return
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        rows = store.list_deliveries(failed=failed, limit=limit)
    if as_json:  # targets with their access tokens hidden, as everywhere else
        emit_json([delivery_json(r) for r in rows])
        return
    if not rows:
        click.echo("no failed deliveries" if failed else "no deliveries yet")
    for r in rows:
        when = r["sent_at"] if r["status"] == "sent" else r["next_attempt_at"]
        error = f"  {r['last_error']}" if r["last_error"] and r["status"] != "sent" else ""
        click.echo(
            f"{r['id']:>6}  {r['status']:7} sub {r['subscription_id']:<4} change "
            f"{r['change_id']:<6} tries {r['attempts']}  {when}  {r['channel']}{error}"
        )


@click.command()
@click.option("--limit", default=5000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 64))
@json_option
@pass_ctx
def deliver(ctx: Context, limit: int, workers: int, as_json: bool) -> None:
    """Send every notification that is due now (for cron; `tracker run` does this by itself)."""
    from tracker.notify.outbox import deliver_due

    with ctx.store() as store:
        report = deliver_due(store, ctx.settings, limit=limit, workers=workers)
    if as_json:
        emit_json(report.to_json())
        return
    click.echo(
        f"{report.sent} sent, {report.retrying} to retry, {report.dead} dead "
        f"({report.messages} message(s) for {report.claimed} deliveries)"
    )
    for line in report.errors[:10]:
        click.echo(f"  {line}", err=True)


COMMANDS: list[click.Command] = [subscribe, subscriptions, unsubscribe, deliveries, deliver]
