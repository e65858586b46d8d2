"""The signed unsubscribe link from every notification email, usable without signing in.

GET shows what will stop and a button; POST (the button, or a mail client's RFC 8058 one-click
`List-Unsubscribe=One-Click`) deletes the subscription. The POST carries no CSRF token, since
a mail client cannot have one: the HMAC token in the URL is the proof instead, and it is
checked before anything else, so a wrong one learns nothing and changes nothing.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Blueprint, abort, render_template, request

from tracker.notify.unsubscribe import verify_unsubscribe
from tracker.store import NotFound
from web import subscriptions as subs
from web.db import get_store, settings

bp = Blueprint("unsubscribe", __name__)


@bp.route("/unsubscribe/<id:sub_id>/<token>", methods=["GET", "POST"])
def unsubscribe(sub_id: int, token: str) -> Any:
    if not verify_unsubscribe(settings(), sub_id, token):  # it refuses overlong tokens itself
        abort(403, description="This unsubscribe link is not valid. Use the link from the email.")
    store = get_store()
    try:
        row = store.get_subscription(sub_id)
    except NotFound:
        return _page("done", None)
    if request.method != "POST":  # link scanners send GET and HEAD: those only ask
        return _page("confirm", subs.subscription_json(row))
    with suppress(NotFound):  # two clicks at once: the other one unsubscribed
        store.delete_subscription(sub_id)
    return _page("done", subs.subscription_json(row))


def _page(state: str, sub: dict[str, Any] | None) -> Any:
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    return render_template("unsubscribe.html", state=state, sub=sub), 200, headers
