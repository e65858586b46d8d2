"""What every command shares: the open store, settings, JSON output and one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import click

from tracker import config
from tracker.record import backfill
from tracker.store import NotFound, Row, Store, StoreError, translate_errors


@dataclass
class Context:
    db_path: str
    config_path: str | None = None
    _settings: config.Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            try:
                self._settings = config.load(self.config_path).replace(db=self.db_path)
            except config.ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._settings

    @contextmanager
    def store(self) -> Iterator[Store]:
        """Open the database, turning every store failure into a one-line error and exit 1."""
        try:
            store = Store(
                self.db_path, timeout=self.settings.db_timeout, progress=MigrationProgress()
            )
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            with translate_errors(self.db_path):
                if store.changes_missing_stats(limit=1):
                    backfill(store)
                yield store
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            store.close()


class MigrationProgress:
    """A long migration's progress on stderr: one updating line on a terminal, otherwise a line
    every tenth of the way, so no command opening an old database sits there silently."""

    def __init__(self) -> None:
        self.shown: tuple[str, int] | None = None

    def __call__(self, what: str, done: int, total: int) -> None:
        if total <= 1 and done:
            return
        share = 100 * done // max(total, 1)
        line = f"{what}: {done:,} of {total:,} ({share}%)" if total > 1 else f"{what}…"
        if sys.stderr.isatty():
            click.echo(f"\r{line}", nl=done >= total, err=True)
        elif self.shown != (what, share // 10):
            self.shown = (what, share // 10)
            click.echo(line, err=True)


pass_ctx = click.make_pass_decorator(Context)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
output_option = click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write to FILE instead of standard output.",
)


def listen(app: Any, host: str, port: int, threads: int) -> Any:
    """The waitress server for `app` on host:port, or a one-line error when it cannot listen."""
    from tracker import serving

    try:
        return serving.create_server(app, host, port, threads)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None


def emit_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if not text.isascii():  # a lone surrogate (text from a file that is not UTF-8) as \udXXX
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    click.echo(text)


def find_story(store: Store, ref: str) -> Row:
    try:
        return store.find_story(ref)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None


def use_color() -> bool:
    return sys.stdout.isatty()


def load_web_app(settings: Any, checks_run: bool = False) -> Any:
    """The WSGI app registered under the `storydiff.web` entry point (the `web` package).

    tracker/ never imports web/: the web app plugs itself in, the way Flask and Datasette
    plugins do, so the core runs and tests without it.
    """
    found = entry_points(group="storydiff.web")
    if not found:
        raise click.ClickException("the web app is not installed (pip install -e .)")
    factory = next(iter(found)).load()
    # CHECKS_RUN tells the pages whether this process checks stories (`tracker run`) or only
    # serves them (`tracker serve`), so they never promise a check that will not happen.
    return factory({"SETTINGS": settings, "DATABASE": settings.db, "CHECKS_RUN": checks_run})


def parse_interval(value: str | None) -> int | None:
    """'90', '90s', '15m', '2h', '1d' -> seconds."""
    if value is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = value.strip().lower()
    try:
        if text and text[-1] in units:
            seconds = int(float(text[:-1]) * units[text[-1]])
        else:
            seconds = int(text)
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{value!r} is not a duration like 900, 15m, 2h or 1d") from None
    if not 60 <= seconds <= 365 * 86400:
        raise click.BadParameter("interval must be between 1 minute and 365 days")
    return seconds
