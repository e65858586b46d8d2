"""Commands that register stories, record versions and show what changed."""

from __future__ import annotations

import shutil
import sys

import click

from tracker import clock, render
from tracker.cli.common import (
    Context,
    emit_json,
    find_story,
    json_option,
    pass_ctx,
    use_color,
)
from tracker.diff import diff_documents
from tracker.extract import ExtractError, extract, sniff
from tracker.health import health, shown_state
from tracker.record import document_of, record, version_pair
from tracker.store import NotFound

MAX_INGEST_BYTES = 50 * 1024 * 1024


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@click.command()
@click.argument("story")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--at", "at", help="When these versions were seen (ISO 8601); default now.")
@click.option(
    "--content-type",
    help="Media type of the files: text/html, text/plain, text/markdown or application/json. "
    "Default: guessed from each file's name and content.",
)
@json_option
@pass_ctx
def ingest(
    ctx: Context,
    story: str,
    files: tuple[str, ...],
    at: str | None,
    content_type: str | None,
    as_json: bool,
) -> None:
    """Record versions of STORY from FILES, in the order given ('-' reads standard input).

    Each file is extracted like a fetched page; a file whose text equals the current version
    records nothing. Use it for documents that are not on the web, for imports and for tests.
    """
    when = None
    if at:
        try:
            when = clock.normalize(at)
        except ValueError:
            raise click.BadParameter(f"{at!r} is not an ISO 8601 time", param_hint="--at") from None
    documents = []
    for name in files:
        try:
            if name == "-":
                body = sys.stdin.buffer.read(MAX_INGEST_BYTES + 1)
            else:
                with open(name, "rb") as handle:
                    body = handle.read(MAX_INGEST_BYTES + 1)
        except OSError as exc:
            raise click.ClickException(f"cannot read {name}: {exc.strerror}") from None
        if len(body) > MAX_INGEST_BYTES:
            raise click.ClickException(f"{name} is larger than {MAX_INGEST_BYTES // 2**20} MB")
        kind = content_type or sniff(body, None if name == "-" else name)
        try:
            documents.append((name, extract(body, kind), body, kind))
        except ExtractError as exc:
            raise click.ClickException(f"{name}: {exc}") from None
    results = []
    with ctx.store() as store:
        row = find_story(store, story)
        for name, doc, _body, _kind in documents:
            done = record(
                store, row["id"], doc, fetched_at=when, budget_ms=ctx.settings.diff_budget_ms
            )
            results.append(
                {
                    "file": name,
                    "version": done.number,
                    "created": done.created,
                    "reverts_to": done.reverts_to,
                }
            )
    if as_json:
        emit_json(results)
        return
    for item in results:
        if not item["created"]:
            click.echo(f"{item['file']}: unchanged (still version {item['version']})")
        elif item["reverts_to"]:
            click.echo(
                f"{item['file']}: version {item['version']} "
                f"(reverts to version {item['reverts_to']})"
            )
        else:
            click.echo(f"{item['file']}: version {item['version']}")


@click.command("stories")
@click.option(
    "--state",
    type=click.Choice(["active", "paused", "gone", "archived", "developing", "failing"]),
    help="Only these; failing: active stories whose last check failed.",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def list_stories(ctx: Context, state: str | None, limit: int, as_json: bool) -> None:
    """List tracked stories, most recently changed first, with their check health.

    Each line shows the state as the checks see it (never checked, failing, developing, quiet,
    paused, gone, archived), the version count, the last change, when it was last checked and,
    for a failing story, how many checks in a row failed and why.
    """
    with ctx.store() as store:
        rows = store.list_stories(state=state, limit=limit)
        empty = not rows and (state is None or store.count_stories() == 0)
    if as_json:
        emit_json([{**r, **health(r)} for r in rows])
        return
    if not rows:
        if empty:
            click.echo("no stories yet: `tracker add URL` or `tracker demo`")
        else:
            click.echo(f"no {state} stories (`tracker stories` lists them all)")
        return
    for r in rows:
        checked = r["last_checked_at"] or "never"
        click.echo(
            f"{r['id']:>5}  {shown_state(r):<13}  v{r['version_count']:<3}  "
            f"{r['last_changed_at'] or '-':20}  {r['title'] or r['url']}"
        )
        line = f"       last check {checked}"
        if r["state"] == "active" and r["next_check_at"]:
            line += f", next {r['next_check_at']}"
        click.echo(line)
        if int(r["failures"] or 0):
            failed = plural(r["failures"], "failed check")
            click.echo(f"       {failed} in a row: {r['last_error']}")


@click.command()
@click.argument("story")
@json_option
@pass_ctx
def log(ctx: Context, story: str, as_json: bool) -> None:
    """Show STORY's versions and the change between each, newest first, after the story's
    check health (failed checks in a row, the last reason, recent blocked or failed checks)."""
    with ctx.store() as store:
        row = find_story(store, story)
        versions = store.list_versions(row["id"])
        changes = {c["to_version"]: c for c in store.list_changes(story_id=row["id"], limit=10_000)}
        problems = [c for c in store.list_checks(row["id"], limit=50) if c["error"]][:5]
    entries = []
    for v in reversed(versions):
        entries.append({**v, "change": changes.get(v["number"])})
    if as_json:
        emit_json({"story": row, "versions": entries, "problem_checks": problems})
        return
    click.echo(f"{row['title'] or row['url']}\n{row['url']}\n")
    if row["failures"]:
        click.echo(f"check health: {row['failures']} failed check(s) in a row")
        click.echo(f"    last: {row['last_error']}")
    for c in problems:
        click.echo(f"{c['at']}  {c['outcome']}: {c['error']}")
    if row["failures"] or problems:
        click.echo()
    for v in entries:
        extra = f"  (reverts to v{v['reverts_to']})" if v["reverts_to"] else ""
        click.echo(f"v{v['number']}  {v['fetched_at']}{extra}")
        change = v["change"]
        if v.get("note"):
            click.echo(f"    not announced: {v['note']}")
        elif change:
            click.echo(
                f"    {change['kind']}: +{change['words_added']} -{change['words_removed']} words"
                f"  {change['summary'] or ''}"
            )
        else:
            click.echo("    first version")


@click.command()
@click.argument("story")
@click.argument("version", required=False, type=int)
@json_option
@pass_ctx
def show(ctx: Context, story: str, version: int | None, as_json: bool) -> None:
    """Print the text of STORY at VERSION (default: the latest)."""
    with ctx.store() as store:
        row = find_story(store, story)
        try:
            v = (
                store.get_version(row["id"], version)
                if version
                else store.latest_version(row["id"])
            )
        except NotFound as exc:
            raise click.ClickException(str(exc)) from None
    if v is None:
        raise click.ClickException(f"story {row['id']} has no versions yet")
    if as_json:
        emit_json(v)
        return
    click.echo(f"# {v['title'] or row['title'] or row['url']}")
    meta = [f"version {v['number']} of story {row['id']}", f"seen {v['fetched_at']}"]
    meta += [f"{k} {v[k]}" for k in ("byline", "published", "updated") if v.get(k)]
    click.echo("  ·  ".join(meta) + "\n")
    click.echo(v["text"])


@click.command()
@click.argument("story")
@click.argument("old", required=False, type=int)
@click.argument("new", required=False, type=int)
@click.option(
    "--format",
    "fmt",
    default="inline",
    show_default=True,
    type=click.Choice(["inline", "side-by-side", "unified", "json"]),
    help="inline: word diff (coloured on a terminal, {+added+} [-removed-] otherwise); "
    "side-by-side: two columns; unified: a patch, one paragraph per line; json: the structure.",
)
@click.option(
    "--width",
    type=click.IntRange(40, 1000),
    help="Columns for --format side-by-side (default: the terminal's width).",
)
@click.option(
    "--context",
    default=1,
    show_default=True,
    type=click.IntRange(0, 1000),
    help="Unchanged paragraphs shown around each change.",
)
@pass_ctx
def diff(
    ctx: Context,
    story: str,
    old: int | None,
    new: int | None,
    fmt: str,
    width: int | None,
    context: int,
) -> None:
    """Show what changed in STORY between versions OLD and NEW.

    With no versions, the latest change; with one, that version against the latest.
    """
    with ctx.store() as store:
        row = find_story(store, story)
        pair = version_pair(store, row["id"], old, new)
        if pair is None:
            raise click.ClickException(f"story {row['id']} has no versions yet")
        old, new = pair
        try:
            a = document_of(store.get_version(row["id"], old))
            b = document_of(store.get_version(row["id"], new))
        except NotFound as exc:
            raise click.ClickException(str(exc)) from None
    result = diff_documents(a, b, budget_ms=ctx.settings.diff_budget_ms)
    if fmt == "json":
        click.echo(render.to_json(result))
    elif fmt == "unified":
        click.echo(render.unified(result, f"v{old}", f"v{new}", context), nl=False)
    elif fmt == "side-by-side":
        columns = width or shutil.get_terminal_size((100, 24)).columns
        click.echo(f"story {row['id']}: version {old} (left) -> {new} (right)\n")
        text = render.side_by_side_text(result, width=columns, color=use_color(), context=context)
        click.echo(text, nl=False)
    else:
        click.echo(f"story {row['id']}: version {old} -> {new}\n")
        click.echo(render.terminal(result, color=use_color(), context=context), nl=False)


def _set_state(ctx: Context, stories: tuple[str, ...], state: str, as_json: bool) -> None:
    changed = []
    with ctx.store() as store:
        rows = [find_story(store, ref) for ref in stories]
        for row in rows:
            if state == "active":
                store.resume_story(row["id"])
            else:
                store.update_story(row["id"], state=state)
            changed.append({"id": row["id"], "state": state})
    if as_json:
        emit_json(changed)
    else:
        for item in changed:
            click.echo(f"story {item['id']}: {item['state']}")


@click.command()
@click.argument("stories", nargs=-1, required=True)
@json_option
@pass_ctx
def pause(ctx: Context, stories: tuple[str, ...], as_json: bool) -> None:
    """Stop checking STORIES (their versions are kept). `tracker resume` undoes it."""
    _set_state(ctx, stories, "paused", as_json)


@click.command()
@click.argument("stories", nargs=-1, required=True)
@json_option
@pass_ctx
def resume(ctx: Context, stories: tuple[str, ...], as_json: bool) -> None:
    """Check STORIES again (paused, gone or archived ones), starting now."""
    _set_state(ctx, stories, "active", as_json)


@click.command()
@click.argument("story")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def remove(ctx: Context, story: str, yes: bool) -> None:
    """Delete STORY with all its versions, changes and subscriptions. This cannot be undone."""
    with ctx.store() as store:
        row = find_story(store, story)
        if not yes:
            click.confirm(
                f"Delete story {row['id']} ({row['title'] or row['url']}) and its "
                f"{row['version_count']} versions?",
                abort=True,
            )
        store.delete_story(row["id"])
    click.echo(f"story {row['id']} deleted")


COMMANDS = [ingest, list_stories, log, show, diff, pause, resume, remove]
