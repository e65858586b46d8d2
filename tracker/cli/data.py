"""Data in and out: bulk add, imports, exports, backups and the effective settings."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import click

from tracker import backfill, backup, config_doc, imports
from tracker.cli.common import (
    Context,
    emit_json,
    find_story,
    json_option,
    output_option,
    parse_interval,
    pass_ctx,
)
from tracker.exports import gitrepo, jsonl, warc
from tracker.fetch import Fetcher
from tracker.imports.common import Entry, Outcome, add_entries, add_feeds
from tracker.imports.urllist import parse as parse_lines
from tracker.responses import why
from tracker.store import Row, Store, StoreError


def _progress(total: int, label: str) -> Any:
    """A progress bar on standard error when it is a terminal (results go to standard out)."""
    hidden = total < 2 or not sys.stderr.isatty()
    return click.progressbar(
        length=total, label=label, file=sys.stderr, show_pos=True, hidden=hidden
    )


def _report(outcomes: list[Outcome], as_json: bool) -> None:
    if as_json:
        emit_json([o.as_json() for o in outcomes])
    else:
        for outcome in outcomes:
            click.echo(outcome.line())
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    if not as_json and len(outcomes) > 1:
        click.echo(", ".join(f"{n} {status}" for status, n in sorted(counts.items())), err=True)


def _add_all(
    ctx: Context, entries: Iterable[Entry], label: str, js: bool | None = None
) -> list[Outcome]:
    total = len(entries) if isinstance(entries, list) else 0  # a stream has no length
    with ctx.store() as store, _progress(total, label) as bar:
        outcomes = add_entries(
            store, entries, progress=bar.update, budget_ms=ctx.settings.diff_budget_ms
        )
        if js is not None:  # the story's own choice, over the render_js site setting
            for outcome in outcomes:
                if outcome.id is not None:
                    options = dict(store.get_story(outcome.id).get("options") or {})
                    store.update_story(outcome.id, options={**options, "render_js": js})
        return outcomes


@click.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--title", help="A title to show until the first version brings the headline.")
@click.option("--interval", help="Check every INTERVAL (900, 15m, 2h, 1d) instead of adapting.")
@click.option(
    "--js/--no-js",
    default=None,
    help="Render these pages in chromium before reading them (pages that build the article by "
    "script; needs the js extra), or never, whatever the render_js site setting says.",
)
@click.option(
    "--backfill",
    "from_archive",
    is_flag=True,
    help="Also record the stories' past versions from web archives (see `tracker backfill`).",
)
@json_option
@pass_ctx
def add(
    ctx: Context,
    urls: tuple[str, ...],
    title: str | None,
    interval: str | None,
    js: bool | None,
    from_archive: bool,
    as_json: bool,
) -> None:
    """Track the stories at URLS and print their ids ('-' reads one URL a line from stdin).

    URLs are normalised (case, default ports, fragments and tracking parameters such as
    utm_source are dropped), so the same article added twice is tracked once. With one URL,
    --json prints an object; with several (or '-'), a list. Exits 1 if any URL was invalid,
    after adding the others.
    """
    seconds = parse_interval(interval)
    if len(urls) == 1 and urls[0] != "-":
        story_id = _add_one(ctx, urls[0], title, seconds, js, as_json)
        if from_archive:
            _backfill_ids(ctx, [story_id], as_json)
        return
    entries: list[Entry] = []
    for url in urls:
        if url == "-":
            entries += parse_lines(sys.stdin.read()).entries
        else:
            entries.append(Entry(url=url, title=title, interval=seconds))
    for entry in entries:
        entry.interval = seconds
    outcomes = _add_all(ctx, entries, "adding", js)
    _report(outcomes, as_json)
    if from_archive:
        _backfill_ids(ctx, [o.id for o in outcomes if o.status == "added" and o.id], as_json)
    if any(o.status == "invalid" for o in outcomes):
        sys.exit(1)


def _backfill_ids(ctx: Context, ids: list[int], as_json: bool) -> None:
    """After adding: each new story's archived past; a failure is reported, not fatal."""
    with ctx.store() as store, Fetcher(ctx.settings) as fetcher:
        for story_id in ids:
            try:
                _backfill_one(ctx, store, fetcher, store.get_story(story_id), as_json)
            except click.ClickException as exc:
                click.echo(f"backfill skipped: {exc.message}", err=True)


def _add_one(
    ctx: Context, url: str, title: str | None, seconds: int | None, js: bool | None, as_json: bool
) -> int:
    outcome = _add_all(ctx, [Entry(url=url, title=title, interval=seconds)], "adding", js)[0]
    if outcome.status == "invalid":
        raise click.ClickException(f"invalid URL {url!r}: {outcome.reason}")
    created = outcome.status == "added"
    if as_json:
        emit_json({"id": outcome.id, "url": outcome.url, "created": created})
    elif created:
        click.echo(outcome.id)
    else:
        click.echo(f"{outcome.id}\t(already tracked)")
    return int(outcome.id or 0)


@click.command("import")
@click.argument("file", type=click.Path(allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(imports.FORMATS),
    help="urls: one URL a line; opml: feeds and links; urlwatch: urls.yaml; changedetection: "
    "its backup zip. Default: guessed from the name and content.",
)
@json_option
@pass_ctx
def import_(ctx: Context, file: str, fmt: str | None, as_json: bool) -> None:
    """Add the stories (and feeds) in FILE, with any history it holds as versions.

    Prints one line per entry: added, exists, invalid or skipped, and why (what was not
    carried over). Importing the same file again adds nothing.
    """
    try:
        fmt, parsed = imports.read(file, fmt)
    except imports.BadImport as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with ctx.store() as store:
            outcomes = add_feeds(store, parsed.feeds)
        outcomes += _add_all(ctx, parsed.entries, f"importing {fmt}")
    except imports.BadImport as exc:  # a stream (JSON Lines) can turn out bad midway
        raise click.ClickException(f"{exc} (entries before it were imported)") from None
    finally:
        parsed.close()
    _report([*outcomes, *parsed.skipped], as_json)


@click.group()
def export() -> None:
    """Write stories, versions and changes out for other tools."""


@export.command("opml")
@output_option
@pass_ctx
def export_opml(ctx: Context, output: Any) -> None:
    """Feeds followed and stories tracked, as OPML 2.0 (feed readers, `tracker import`)."""
    from tracker.imports import opml

    with ctx.store() as store, _written(output):
        for piece in opml.export(store.list_feeds(), store.iter_stories()):
            output.write(piece)


@export.command("jsonl")
@output_option
@click.option("--no-text", is_flag=True, help="Leave the versions' text out (metadata only).")
@pass_ctx
def export_jsonl(ctx: Context, output: Any, no_text: bool) -> None:
    """Stories, versions and changes as JSON Lines (schema: docs/DATA.md), streamed."""
    with ctx.store() as store, _written(output):
        for line in jsonl.export(store, with_text=not no_text):
            output.write(line)


@contextmanager
def _written(output: Any) -> Iterator[None]:
    """A write that fails (a full disk) is one line: flushed and closed here, not at exit."""
    try:
        yield
        output.flush()
    except OSError as exc:
        with suppress(OSError):
            output.close()
        raise click.ClickException(f"cannot write {output.name}: {why(exc)}") from None


@export.command("git")
@click.argument("folder", type=click.Path(file_okay=False))
@pass_ctx
def export_git(ctx: Context, folder: str) -> None:
    """A git repository in FOLDER: one file per story, one commit per version, dated."""
    with ctx.store() as store:
        try:
            count = gitrepo.export(store, Path(folder))
        except gitrepo.GitError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{count} commits written to {folder}")


@export.command("warc")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@pass_ctx
def export_warc(ctx: Context, file: str) -> None:
    """The archived raw pages (archive_raw, backfilled captures) as a .warc.gz FILE."""
    with ctx.store() as store:
        if file == "-":
            count = warc.export(store, sys.stdout.buffer)
        else:
            try:
                with open(file, "wb") as handle:
                    count = warc.export(store, handle)
            except OSError as exc:
                raise click.ClickException(f"cannot write {file}: {exc.strerror}") from None
    click.echo(f"{count} records written", err=True)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@json_option
@pass_ctx
def backup_(ctx: Context, file: str, force: bool, as_json: bool) -> None:
    """Copy the database to FILE, safely while `tracker run` writes, and check the copy."""
    try:
        counts = backup.backup(ctx.db_path, file, force=force)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    _backup_report("backed up to", file, counts, as_json)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace the database if it already exists.")
@json_option
@pass_ctx
def restore(ctx: Context, file: str, force: bool, as_json: bool) -> None:
    """Replace the database with the backup FILE, once FILE passes the integrity check.

    Stop `tracker run` first: a running tracker would keep writing to the replaced database.
    """
    try:
        counts = backup.restore(file, ctx.db_path, force=force)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    _backup_report(f"restored {ctx.db_path} from", file, counts, as_json)


def _backup_report(verb: str, file: str, counts: dict[str, int], as_json: bool) -> None:
    if as_json:
        emit_json({"file": file, **counts})
    else:
        click.echo(
            f"{verb} {file}: {counts['stories']} stories, {counts['versions']} versions, "
            f"{counts['changes']} changes (integrity ok)"
        )


@click.command("backfill")
@click.argument("stories", nargs=-1, required=True)
@json_option
@pass_ctx
def backfill_(ctx: Context, stories: tuple[str, ...], as_json: bool) -> None:
    """Record STORIES' past versions from web archives (the Wayback Machine by default).

    Distinct captures of each story's URL are fetched politely and recorded in time order,
    marked with their archive URL; captures already recorded are not fetched again. The
    archive is chosen by the archive_cdx_url / archive_timemap_url settings.
    """
    results = []
    with ctx.store() as store, Fetcher(ctx.settings) as fetcher:
        rows = [find_story(store, ref) for ref in stories]
        for row in rows:
            results.append(_backfill_one(ctx, store, fetcher, row, as_json))
    if as_json:
        emit_json([r.as_json() for r in results])
    if any(r.failed for r in results):
        sys.exit(1)


def _backfill_one(ctx: Context, store: Store, fetcher: Fetcher, row: Row, quiet: bool) -> Any:
    def say(capture: backfill.Capture) -> None:
        if not quiet:
            click.echo(f"  fetching {capture.captured_at}  {capture.archive_url}", err=True)

    try:
        result = backfill.backfill(store, fetcher, ctx.settings, row, progress=say)
    except backfill.BackfillError as exc:
        raise click.ClickException(f"story {row['id']}: {exc}") from None
    if not quiet:
        click.echo(
            f"story {row['id']}: {result.found} captures in the archive, "
            f"{len(result.recorded)} recorded as versions, {result.unchanged} unchanged, "
            f"{len(result.failed)} failed"
        )
        for item in result.failed:
            click.echo(f"  failed {item['archive_url']}: {item['reason']}")
    return result


@click.command("config")
@click.option(
    "--example",
    is_flag=True,
    help="Print the example config file, every setting "
    "commented at its default (docs/config.example.toml).",
)
@json_option
@pass_ctx
def config_(ctx: Context, example: bool, as_json: bool) -> None:
    """Print the settings in force (defaults, --config file, TRACKER_* variables), secrets masked.

    Settings that differ from their default are marked `# set`.
    """
    if example:
        click.echo(config_doc.example(), nl=False)
        return
    settings = ctx.settings
    shown = config_doc.effective(settings)
    if as_json:
        emit_json(shown)
        return
    changed = config_doc.changed(settings)
    for name, value in shown.items():
        mark = "  # set" if name in changed else ""
        click.echo(f"{name} = {json.dumps(value, ensure_ascii=False)}{mark}")


COMMANDS = [add, import_, export, backup_, restore, backfill_, config_]
