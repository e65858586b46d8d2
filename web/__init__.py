"""The storydiff web site: `create_app(config)` builds a Flask app over one tracker database.

Shaped like Flask's tutorial: an app factory, one blueprint per concern (pages, api, feeds, auth,
manage, notify pages, notify api, unsubscribe), templates and one stylesheet, and no global
state: each request opens its own Store.
Config keys: DATABASE (path), SETTINGS (a tracker.config.Settings), SECRET_KEY, TESTING, and
DIFF_CACHE_SIZE (how many computed diffs to keep in memory; 0 turns the cache off), CHECKS_RUN
(True under `tracker run`, whose scheduler checks stories) and LIVE_POLL_SECONDS.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from tracker.config import Settings
from web import (
    api,
    apidocs,
    auth,
    db,
    errors,
    feeds,
    filters,
    live,
    manage,
    notify_api,
    notify_pages,
    pages,
    routing,
    security,
    session_key,
    status,
    unsubscribe,
)
from web.diffview import DiffCache
from web.proxy import SchemeAwareSessions, TrustedProxies

MAX_BODY_BYTES = 5 * 1024 * 1024


def _secret_key(app: Flask, settings: Settings) -> str:
    """The key that signs session cookies: configured, or kept in a file beside the database
    (never in it: with the key and the stored password hash a copy of the db could forge an
    admin session)."""
    if app.config.get("SECRET_KEY"):
        return str(app.config["SECRET_KEY"])
    if settings.secret_key:
        return settings.secret_key
    return session_key.file_key(app.config["DATABASE"])


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """App factory (as in Flask's tutorial): no global state, everything from `config`."""
    app = Flask(__name__)
    app.config.from_mapping(
        DATABASE="tracker.db",
        SETTINGS=None,
        SECRET_KEY=None,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        DIFF_CACHE_SIZE=256,
        PAGE_SIZE=50,
        CHECKS_RUN=False,
        LIVE_POLL_SECONDS=15,
    )
    if config:
        app.config.update(config)
    settings = app.config["SETTINGS"] or Settings(db=str(app.config["DATABASE"]))
    app.config["SETTINGS"] = settings
    app.config["SECRET_KEY"] = _secret_key(app, settings)
    app.config.update(
        SESSION_COOKIE_NAME="storydiff_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),  # else: per request
        JSON_SORT_KEYS=False,
    )
    app.extensions["storydiff_diffs"] = DiffCache(
        int(app.config["DIFF_CACHE_SIZE"]), settings.diff_budget_ms
    )
    app.session_interface = SchemeAwareSessions()
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies, settings.proxy_hops)
    app.url_map.converters["id"] = routing.IdConverter
    db.init_app(app)
    routing.init_app(app)  # first: later hooks read the query string
    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(notify_pages.bp)
    app.register_blueprint(notify_api.bp)
    app.register_blueprint(unsubscribe.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(live.bp)
    app.register_blueprint(apidocs.bp)
    app.jinja_env.globals.update(checks_run=bool(app.config["CHECKS_RUN"]))
    return app
