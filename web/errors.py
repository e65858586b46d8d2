"""Every failure as something a person or a program can read: JSON under /api/, a page elsewhere.

Store errors become 404 (no such thing), 409 (a state that forbids it) or 503 (database busy or
unusable: the detail, which names the database file, goes to the log only); anything unexpected
is a plain 500 page without a traceback.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import (
    Conflict,
    HTTPException,
    InternalServerError,
    NotFound,
    ServiceUnavailable,
)

from tracker.store import Conflict as StoreConflict
from tracker.store import NotFound as StoreNotFound
from tracker.store import StoreError

MESSAGES = {
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    413: "The request body is too large.",
    500: "Something went wrong on our side. The error has been logged.",
}


UNAVAILABLE = "The database is busy or unavailable; please try again in a moment."


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _message(exc: HTTPException) -> str:
    default = type(exc).description
    if exc.description and exc.description != default:
        return str(exc.description)
    return MESSAGES.get(exc.code or 500, exc.name)


def render_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    message = _message(exc)
    headers = dict(exc.get_headers()) if status in (401, 405) else {}
    headers.pop("Content-Type", None)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="storydiff"'
    if wants_json():
        response = jsonify(status=status, message=message)
        response.status_code = status
        response.headers.update(headers)
        return response
    if request_ctx.url_adapter is None:  # a Host that binds no URLs: the page template needs them
        return f"{exc.name}: {message}\n", status, {**headers, "Content-Type": "text/plain"}
    body = render_template("error.html", status=status, title=exc.name, message=message)
    return body, status, headers


def _store_not_found(exc: StoreNotFound) -> Any:
    return render_error(NotFound(description=str(exc)))


def _store_conflict(exc: StoreConflict) -> Any:
    return render_error(Conflict(description=str(exc)))


def _store_error(exc: StoreError) -> Any:
    current_app.logger.warning("store error: %s", exc)
    return render_error(ServiceUnavailable(description=UNAVAILABLE))


def _unexpected(exc: InternalServerError) -> Any:
    return render_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(StoreNotFound, _store_not_found)
    app.register_error_handler(StoreConflict, _store_conflict)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(InternalServerError, _unexpected)
