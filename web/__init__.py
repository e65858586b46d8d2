"""The storydiff web site: `create_app(config)` builds a Flask app over one tracker database."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """App factory (as in Flask's tutorial): no global state, everything from `config`."""
    app = Flask(__name__)
    app.config.from_mapping(DATABASE="tracker.db")
    if config:
        app.config.update(config)
    return app
