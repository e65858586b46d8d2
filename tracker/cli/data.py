"""Data in and out: bulk add, imports, exports, backups and the effective settings."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import click

from tracker import imports
from tracker.cli.common import Context, emit_json, json_option, parse_interval, pass_ctx
from tracker.imports.common import Entry, Outcome, add_entries, add_feeds
from tracker.imports.urllist import parse as parse_lines


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
    entries = list(entries)
    with ctx.store() as store, _progress(len(entries), label) as bar:
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
@json_option
@pass_ctx
def add(
    ctx: Context,
    urls: tuple[str, ...],
    title: str | None,
    interval: str | None,
    js: bool | None,
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
        _add_one(ctx, urls[0], title, seconds, js, as_json)
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
    if any(o.status == "invalid" for o in outcomes):
        sys.exit(1)


def _add_one(
    ctx: Context, url: str, title: str | None, seconds: int | None, js: bool | None, as_json: bool
) -> None:
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
    finally:
        parsed.close()
    _report([*outcomes, *parsed.skipped], as_json)


@click.group()
def export() -> None:
    """Write stories, versions and changes out for other tools."""


@export.command("opml")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write to FILE instead of standard output.",
)
@pass_ctx
def export_opml(ctx: Context, output: Any) -> None:
    """Feeds followed and stories tracked, as OPML 2.0 (feed readers, `tracker import`)."""
    from tracker.imports import opml

    with ctx.store() as store:
        for piece in opml.export(store.list_feeds(), store.iter_stories()):
            output.write(piece)


COMMANDS = [add, import_, export]
