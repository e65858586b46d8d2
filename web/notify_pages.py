"""Signed-in pages for notifications: subscriptions (list, create, pause, resume, delete) and
the outbox (deliveries, their attempts, sending a dead one again).

Every change is a POST with a CSRF token (checked in web.security); deleting asks first. The
form and `POST /api/subscriptions` share one set of rules (tracker.notify.subscription).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from tracker.numbers import MAX_ID, whole_number
from tracker.store import Conflict, NotFound, Row, Store
from web import subscriptions as subs
from web.db import get_store, settings
from web.routing import int_arg
from web.security import login_required

bp = Blueprint("notify", __name__, url_prefix="/manage")
FORM_FIELDS = tuple(sorted(subs.FIELDS - {"kinds"}))


def _story_titles(store: Store, rows: list[Row]) -> dict[int, str]:
    titles = {}
    for story_id in {r["story_id"] for r in rows if r.get("story_id")}:
        try:
            story = store.get_story(int(story_id))
        except NotFound:
            continue
        titles[int(story_id)] = story.get("title") or story["url"]
    return titles


@bp.get("/subscriptions")
@login_required
def subscriptions() -> str:
    store = get_store()
    rows = store.list_subscriptions()
    return render_template(
        "manage/subscriptions.html",
        subscriptions=[subs.subscription_json(r) for r in rows],
        stories=_story_titles(store, rows),
        feeds={f["id"]: f.get("title") or f["url"] for f in store.list_feeds()},
    )


def _form_page(values: dict[str, Any], error: str | None = None, status: int = 200) -> Any:
    store = get_store()
    story = None
    story_id = whole_number(values.get("story_id"), 1, MAX_ID)
    if story_id is not None:
        try:
            story = store.get_story(story_id)
        except NotFound:
            story = None
    page = render_template(
        "manage/subscribe.html",
        values=values,
        error=error,
        story=story,
        feeds=store.list_feeds(),
        kind_choices=subs.KIND_CHOICES,
        modes=subs.MODES,
    )
    return page, status


@bp.get("/subscriptions/new")
@login_required
def new_subscription() -> Any:
    story = int_arg("story", None, low=1)
    if story is not None:
        get_store().get_story(story)
    values = {"scope": "story" if story else "all", "story_id": story or "", "channel": "webhook"}
    return _form_page(values)


@bp.post("/subscriptions")
@login_required
def create_subscription() -> Any:
    """Create, then show the result at once (not a redirect): a webhook's secret appears here
    only, so it never travels in a cookie or a URL."""
    values: dict[str, Any] = {name: request.form.get(name, "") for name in FORM_FIELDS}
    values["kinds"] = request.form.getlist("kinds")
    store = get_store()
    try:
        checked = subs.parse(values, settings(), strict=False)
        sub_id = subs.create(store, checked)
    except subs.Invalid as exc:
        values.pop("secret", None)
        return _form_page(values, error=str(exc), status=400)
    return render_template(
        "manage/subscribed.html",
        sub=subs.subscription_json(store.get_subscription(sub_id)),
        secret=checked.secret if checked.secret_generated else None,
    )


def _set_active(sub_id: int, active: bool, message: str) -> Any:
    get_store().update_subscription(sub_id, active=int(active))
    flash(message, "ok")
    return redirect(url_for("notify.subscriptions")), 303


@bp.post("/subscriptions/<id:sub_id>/pause")
@login_required
def pause_subscription(sub_id: int) -> Any:
    return _set_active(
        sub_id, False, f"Subscription {sub_id} paused: its messages wait until it is resumed."
    )


@bp.post("/subscriptions/<id:sub_id>/resume")
@login_required
def resume_subscription(sub_id: int) -> Any:
    return _set_active(sub_id, True, f"Subscription {sub_id} resumed.")


@bp.route("/subscriptions/<id:sub_id>/delete", methods=["GET", "POST"])
@login_required
def delete_subscription(sub_id: int) -> Any:
    """GET asks for confirmation; only the POST from that page deletes."""
    store = get_store()
    row = store.get_subscription(sub_id)
    if request.method != "POST":  # GET and HEAD only ask; HEAD skips CSRF, never acts
        return render_template(
            "manage/subscription_delete.html",
            sub=subs.subscription_json(row),
            stories=_story_titles(store, [row]),
        )
    store.delete_subscription(sub_id)
    flash(f"Deleted subscription {sub_id} and its unsent messages.", "ok")
    return redirect(url_for("notify.subscriptions")), 303


@bp.get("/deliveries")
@login_required
def deliveries() -> str:
    failed = bool(int_arg("failed", 0, low=0, high=1))
    rows = get_store().list_deliveries(failed=failed, limit=200)
    return render_template(
        "manage/deliveries.html",
        deliveries=[subs.delivery_json(r) for r in rows],
        failed=failed,
    )


@bp.get("/deliveries/<id:delivery_id>")
@login_required
def delivery(delivery_id: int) -> str:
    store = get_store()
    row = store.get_delivery(delivery_id)
    sub = store.get_subscription(int(row["subscription_id"]))
    change = store.get_change(int(row["change_id"]))
    return render_template(
        "manage/delivery.html",
        delivery=subs.delivery_json(row),
        sub=subs.subscription_json(sub),
        change=change,
        attempts=[subs.attempt_json(a) for a in store.delivery_attempts(delivery_id)],
    )


@bp.post("/deliveries/<id:delivery_id>/retry")
@login_required
def retry_delivery(delivery_id: int) -> Any:
    try:
        get_store().retry_delivery(delivery_id)
    except Conflict as exc:  # sent, or being sent right now: re-queuing would send it twice
        flash(f"Not queued again: {exc}.", "error")
    else:
        flash(f"Delivery {delivery_id} is queued again and goes out on the next run.", "ok")
    return redirect(url_for("notify.delivery", delivery_id=delivery_id)), 303
