"""Commands that run storydiff as a service: the demo (and, with the scheduling issue, `run`)."""

from __future__ import annotations

import click

from tracker import seeds
from tracker.cli.common import Context, emit_json, json_option, pass_ctx
from tracker.cli.stories import log


@click.command()
@json_option
@pass_ctx
def demo(ctx: Context, as_json: bool) -> None:
    """Load the built-in seed story (two versions of a developing wire story) and show its log.

    Loading twice adds nothing. Then try `tracker diff STORY` on the id it prints.
    """
    with ctx.store() as store:
        story_id = seeds.install(store)
    if as_json:
        emit_json({"id": story_id})
        return
    click.echo(f"seed story loaded as story {story_id}\n")
    click.get_current_context().invoke(log, story=str(story_id), as_json=False)


COMMANDS = [demo]
