"""The `tracker` command: parse, call the core, print. No logic of its own.

Commands are grouped by concern in sibling modules (stories, ...); each registers itself on
`main` below. Every command takes the global `--db`; data commands take `--json`.
"""

from __future__ import annotations

import os

import click

from tracker import __version__
from tracker.cli import admin, data, notify, queue, service, status, storage, stories
from tracker.cli.common import Context
from tracker.urls import is_utf8


class _Tracker(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse an argument that is not UTF-8 (a byte Python keeps as a lone surrogate, which
        SQLite, JSON and URL quoting all raise on), unless it names a file that exists."""
        for arg in args:
            if not is_utf8(arg) and not os.path.exists(arg):
                raise click.ClickException(f"argument {arg[:80]!r} is not valid UTF-8")
        return super().parse_args(ctx, args)


@click.group(
    cls=_Tracker, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--db",
    "db_path",
    envvar="TRACKER_DB",
    default="tracker.db",
    show_default=True,
    metavar="PATH",
    help="SQLite file holding every story and version (env TRACKER_DB). Created if missing.",
)
@click.option(
    "--config",
    "config_path",
    envvar="TRACKER_CONFIG",
    metavar="FILE",
    help="TOML file of settings (env TRACKER_CONFIG); TRACKER_* variables override it.",
)
@click.version_option(__version__, prog_name="storydiff")
@click.pass_context
def main(ctx: click.Context, db_path: str, config_path: str | None) -> None:
    """Follow how news stories change: every version, word-level diffs, change logs.

    \b
    Quick tour:
      tracker demo                 load the built-in seed story
      tracker stories              list tracked stories
      tracker status               are checks working? errors, lag, outbox
      tracker log 1                versions and changes of story 1, newest first
      tracker diff 1               what changed in its latest version
      tracker ingest 1 new.html    record a version from a file

    STORY arguments accept a numeric id or the story's URL.
    """
    ctx.obj = Context(db_path=db_path, config_path=config_path)


for command in [
    *stories.COMMANDS,
    *data.COMMANDS,
    *service.COMMANDS,
    *notify.COMMANDS,
    *admin.COMMANDS,
    *status.COMMANDS,
    *storage.COMMANDS,
    *queue.COMMANDS,
]:
    main.add_command(command)
