"""Commands over the whole archive: search every version ever seen, and finish a migration."""

from __future__ import annotations

import click

from tracker.cli.common import Context, emit_json, json_option, pass_ctx, use_color
from tracker.store import SNIPPET_END, SNIPPET_START, Row, query_notes

SEARCH_FIELDS = ("id", "url", "title", "site", "state", "version_count", "last_changed_at")


def search_json(row: Row) -> dict:
    data = {k: row.get(k) for k in SEARCH_FIELDS}
    data.update(
        entered=row["entered"],
        left=row["left"],
        present=row["present"],
        complete=row["complete"],
        match_version=row["match_version"],
        match_snippet=row["match_snippet"].replace(SNIPPET_START, "").replace(SNIPPET_END, ""),
    )
    return data


def spans(row: Row) -> str:
    """'v2–v5, v7–now': when the query was in the story."""
    parts = []
    for i, start in enumerate(row["entered"]):
        end = row["left"][i] if i < len(row["left"]) else None
        parts.append(
            f"v{start}–{f'v{end - 1}' if end else 'now'}" if end != start + 1 else f"v{start}"
        )
    return ", ".join(parts)


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--site", help="Only stories of this site (and its subdomains), e.g. example.com.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def search(
    ctx: Context, query: tuple[str, ...], site: str | None, limit: int, page: int, as_json: bool
) -> None:
    """Find stories whose text ever held QUERY, and when it entered and left.

    \b
    QUERY is words (all in one sentence or the headline), "quoted phrases",
    prefixes of 3 letters or more (elect*) and OR / NOT in capitals between
    them. Every version counts, including text a later version removed.
    Newest match first. Parts that cannot be taken as typed get a note on
    stderr. Put -- before a query that starts with a dash.

    \b
    tracker search '"ceasefire talks"' --site example.com
    tracker search 'elect* NOT poll' --json
    """
    for note in query_notes(" ".join(query)):
        click.echo(f"note: {note}", err=True)
    with ctx.store() as store:
        rows = store.search(" ".join(query), site=site, limit=limit, offset=(page - 1) * limit)
    if as_json:
        emit_json([search_json(r) for r in rows])
        return
    if not rows:
        click.echo("nothing found", err=True)
        return
    bold, plain = ("\x1b[1m", "\x1b[0m") if use_color() else ("[", "]")
    for r in rows:
        snippet = r["match_snippet"].replace(SNIPPET_START, bold).replace(SNIPPET_END, plain)
        click.echo(f"{r['id']:>5}  {r['title'] or r['url']}")
        click.echo(f"       {spans(r)}{'' if r['complete'] else ' (and more)'}")
        click.echo(f"       v{r['match_version']}: {snippet}")


@click.command()
@json_option
@pass_ctx
def migrate(ctx: Context, as_json: bool) -> None:
    """Bring the database up to date now, showing progress (any command would do it first).

    Upgrading a large archive from an older release compacts every version in batches; a run
    interrupted at any point (even kill -9) loses nothing and the next run carries on. Pages
    left free (by a run killed just before it closed) are given back to the disk.
    """
    with ctx.store() as store:
        store.reclaim()
        counts = {"schema_version": store.schema_version, **store.counts()}
    if as_json:
        emit_json(counts)
    else:
        click.echo(
            f"schema version {counts['schema_version']}: {counts['stories']} stories, "
            f"{counts['versions']} versions"
        )


COMMANDS: list[click.Command] = [search, migrate]
