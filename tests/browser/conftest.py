"""A real server and a real browser: the app on waitress on 127.0.0.1, driven by chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import PAYLOAD, Live
from web_support import add_story, doc, make_app

from tracker import seeds
from tracker.store import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _fill(store: Store) -> dict[str, int]:
    para = [f"Paragraph {i} of the council report, which nobody changed." for i in range(8)]
    return {
        "seed": seeds.install(store),
        "three": add_story(
            store,
            "https://news.example/three",
            [
                doc(*para, "The vote was close.", title="Council votes"),
                doc(*para, "The vote was very close.", "Recount ordered.", title="Council votes"),
                doc(
                    "Breaking.", *para, "The vote was lost.", "Recount ordered.", title="Vote lost"
                ),
            ],
        ),
        "hostile": add_story(
            store,
            "https://evil.example/x",
            [
                doc(f"Calm {PAYLOAD}", title=f"Evil {PAYLOAD}"),
                doc(
                    f"Calm {PAYLOAD}",
                    "<a href=\"javascript:alert('link')\">javascript:alert(1)</a>",
                    title=f"Evil {PAYLOAD}",
                    canonical_url="javascript:alert('canon')",
                ),
            ],
        ),
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import waitress

    db = tmp_path_factory.mktemp("web") / "tracker.db"
    with Store(db) as store:
        ids = _fill(store)
        store.update_story(ids["hostile"], canonical_url="javascript:alert('story')")
    server: Any = waitress.create_server(make_app(db), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.effective_port}", ids)
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One chromium for the whole session (each test gets its own context, which is cheap)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/system-deps installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live: Live) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()
