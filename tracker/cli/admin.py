"""Commands for running the web site: its admin password, API tokens, and `tracker serve`.

Secrets are read from a prompt or standard input, never from the command line, where they would
land in shell history and in every user's `ps` listing.
"""

from __future__ import annotations

import sys

import click

from tracker import auth
from tracker.cli.common import Context, emit_json, json_option, listen, load_web_app, pass_ctx


@click.command("set-password")
@click.option(
    "--stdin",
    "from_stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@pass_ctx
def set_password(ctx: Context, from_stdin: bool) -> None:
    """Set the admin password for the web site's sign-in (stored as a scrypt hash).

    Prompts twice unless --stdin is given. TRACKER_ADMIN_PASSWORD, if set, also keeps working.
    """
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Admin password", hide_input=True, confirmation_prompt=True, show_default=False
        )
    with ctx.store() as store:
        try:
            auth.set_password(store, password)
        except auth.AuthError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo("admin password set; existing web sessions are signed out", err=True)


@click.command("create-token")
@json_option
@pass_ctx
def create_token(ctx: Context, as_json: bool) -> None:
    """Create a new API token for write calls (Authorization: Bearer TOKEN) and print it once.

    Only its hash is stored, so it cannot be shown again; creating another replaces it.
    """
    with ctx.store() as store:
        token = auth.new_token(store)
    if as_json:
        emit_json({"token": token})
    else:
        click.echo(token)


@click.command()
@click.option("--host", help="Address to listen on (default: the host setting, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: the port setting).")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None, threads: int) -> None:
    """Serve the web site and JSON API (only; no checks run) with waitress."""
    settings = ctx.settings
    with ctx.store() as store:  # a bad --db fails here, once, not on every request
        store.counts()
    app = load_web_app(settings)
    host = host or settings.host
    port = port or settings.port
    click.echo(f"serving storydiff on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    server = listen(app, host, port, threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


COMMANDS: list[click.Command] = [set_password, create_token, serve]
