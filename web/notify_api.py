"""The notification part of the JSON API: subscriptions and the outbox, all behind a token.

Reads need the token too: a subscription's target says where someone's alerts go. Errors are
JSON `{status, message}` like the rest of /api/ (web.errors keys on the path).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify

from tracker.store import Conflict
from web import subscriptions as subs
from web.api import json_body
from web.db import get_store, settings
from web.routing import int_arg
from web.security import token_required

bp = Blueprint("notify_api", __name__, url_prefix="/api")


@bp.get("/subscriptions")
@token_required
def list_subscriptions() -> Response:
    story = int_arg("story", None, low=1)
    rows = get_store().list_subscriptions(story_id=story)
    return jsonify(subscriptions=[subs.subscription_json(r) for r in rows])


@bp.post("/subscriptions")
@token_required
def create_subscription() -> Any:
    """201 with the subscription, and a generated webhook secret in the answer this once."""
    store = get_store()
    try:
        request = subs.parse(json_body(), settings())
        sub_id = subs.create(store, request)
    except subs.Invalid as exc:
        abort(400, description=str(exc))
    body: dict[str, Any] = {"subscription": subs.subscription_json(store.get_subscription(sub_id))}
    if request.secret_generated:
        body["secret"] = request.secret
    return jsonify(body), 201


@bp.get("/subscriptions/<id:sub_id>")
@token_required
def subscription(sub_id: int) -> Response:
    return jsonify(subs.subscription_json(get_store().get_subscription(sub_id)))


@bp.delete("/subscriptions/<id:sub_id>")
@token_required
def delete_subscription(sub_id: int) -> Any:
    get_store().delete_subscription(sub_id)
    return "", 204


def _set_active(sub_id: int, active: bool) -> Response:
    store = get_store()
    store.update_subscription(sub_id, active=int(active))
    return jsonify(subs.subscription_json(store.get_subscription(sub_id)))


@bp.post("/subscriptions/<id:sub_id>/pause")
@token_required
def pause_subscription(sub_id: int) -> Response:
    return _set_active(sub_id, False)


@bp.post("/subscriptions/<id:sub_id>/resume")
@token_required
def resume_subscription(sub_id: int) -> Response:
    return _set_active(sub_id, True)


@bp.get("/deliveries")
@token_required
def deliveries() -> Response:
    failed = int_arg("failed", 0, low=0, high=1)
    limit = int_arg("limit", 100, low=1, high=1000) or 100
    rows = get_store().list_deliveries(failed=bool(failed), limit=limit)
    return jsonify(deliveries=[subs.delivery_json(r) for r in rows])


def _delivery(delivery_id: int) -> dict[str, Any]:
    store = get_store()
    row = store.get_delivery(delivery_id)
    data = subs.delivery_json(row)
    data["attempt_log"] = [subs.attempt_json(a) for a in store.delivery_attempts(delivery_id)]
    return data


@bp.get("/deliveries/<id:delivery_id>")
@token_required
def delivery(delivery_id: int) -> Response:
    return jsonify(_delivery(delivery_id))


@bp.post("/deliveries/<id:delivery_id>/retry")
@token_required
def retry_delivery(delivery_id: int) -> Response:
    """Queue a dead or failing delivery again (409 if it was sent or is being sent now)."""
    try:
        get_store().retry_delivery(delivery_id)
    except Conflict as exc:
        abort(409, description=str(exc))
    return jsonify(_delivery(delivery_id))
