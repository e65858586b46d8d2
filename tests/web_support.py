"""Helpers for the web tests: an app over a real SQLite file, sign-in, CSRF tokens, stories."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient

from tracker import clock, serving
from tracker.config import Settings
from tracker.document import Document
from tracker.record import record
from tracker.store import Store
from web import create_app

PASSWORD = "correct horse battery"
TOKEN = "test-token-5d1f0c2b9a8e7"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(db_path: Path, **settings: Any) -> Flask:
    """The app over `db_path`; lower-case keywords are Settings, upper-case ones app config."""
    config = {k: settings.pop(k) for k in list(settings) if k.isupper()}
    base = {"admin_password": PASSWORD, "api_token": TOKEN, **settings}
    return create_app(
        {
            "DATABASE": str(db_path),
            "SETTINGS": Settings(db=str(db_path), **base),
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
            **config,
        }
    )


def csrf_of(html: str | bytes) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    match = _CSRF.search(text)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(client: FlaskClient, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/signin").data)
    return client.post("/signin", data={"password": password, "csrf_token": token})


def add_story(
    store: Store,
    url: str,
    versions: list[Document],
    *,
    start_hour: int = 1,
    **fields: Any,
) -> int:
    """A story with the given versions recorded an hour apart (on 2024-11-10)."""
    story_id, _ = store.add_story(url, site=url.split("/")[2], **fields)
    for i, doc in enumerate(versions):
        at = clock.iso(datetime(2024, 11, 10, tzinfo=UTC) + timedelta(hours=start_hour + i))
        record(store, story_id, doc, fetched_at=at)
    return story_id


def doc(*paragraphs: str, title: str | None = None, **meta: Any) -> Document:
    return Document.build(title=title, paragraphs=paragraphs, **meta)


@contextmanager
def live(app: Flask) -> Iterator[str]:
    """`app` served over real HTTP on 127.0.0.1 by waitress, configured as `tracker serve` does
    (tracker.serving); yields the base URL."""
    server = serving.create_server(app, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        server.close()


def browser_session(base: str, password: str = PASSWORD) -> requests.Session:
    """A requests session signed in as the admin over real HTTP."""
    http = requests.Session()
    token = csrf_of(http.get(f"{base}/signin", timeout=10).text)
    r = http.post(f"{base}/signin", data={"password": password, "csrf_token": token}, timeout=30)
    assert r.status_code == 200 and "Sign out" in r.text, r.text[:300]
    return http
