"""One Store per request, opened on first use and closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g

from tracker.config import Settings
from tracker.store import Store


def settings() -> Settings:
    return current_app.config["SETTINGS"]


def get_store() -> Store:
    """The request's Store (a SQLite connection is meant for one thread: never share it)."""
    if "store" not in g:
        g.store = Store(current_app.config["DATABASE"], timeout=settings().db_timeout)
    return g.store


def close_store(_exc: BaseException | None = None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_store)
