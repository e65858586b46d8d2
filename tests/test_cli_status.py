"""`tracker status` and the check health in `tracker stories`: the CLI says what the web says."""

from __future__ import annotations

import json
from pathlib import Path

from check_support import local
from click.testing import CliRunner
from servers import LocalSite

from tracker.check import Checker
from tracker.cli import main
from tracker.store import Store


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


def test_status_and_stories_show_failing_checks(db_path: Path, site: LocalSite) -> None:
    site.set("/down", "unavailable", status=503)
    with Store(db_path) as store:
        sid, _ = store.add_story(site.url("/down"), title="Harbour bridge")
        store.add_story("https://news.example/never", title="Never seen")
        with Checker(local(db_path)) as checker:
            for _ in range(3):
                checker.check(store, sid)
    code, out = run(db_path, "stories")
    assert code == 0
    assert "failing" in out and "3 failed checks in a row" in out and "503" in out
    assert "never checked" in out
    code, out = run(db_path, "stories", "--state", "failing")
    assert "Harbour bridge" in out and "Never seen" not in out
    code, out = run(db_path, "stories", "--json")
    rows = {r["title"]: r for r in json.loads(out)}
    assert rows["Harbour bridge"]["failures"] == 3
    assert rows["Harbour bridge"]["shown_state"] == "failing"
    assert rows["Never seen"]["shown_state"] == "never checked"

    code, out = run(db_path, "status")
    assert code == 0
    assert "failing 1" in out and "never checked 1" in out
    assert "checks in the last hour: 3 (3 failed" in out and "3 x " in out and "503" in out
    assert "outbox: 0 waiting, 0 dead" in out and "database:" in out
    code, out = run(db_path, "status", "--json")
    report = json.loads(out)
    assert report["checks"]["last_day"]["error"] == 3
    assert report["errors"]["last_hour"][0]["stories"] == 1
    assert report["scheduler"]["due"] >= 1


def test_empty_states_and_lookups_by_any_spelling_of_the_url(db_path: Path) -> None:
    code, out = run(db_path, "stories", "--state", "paused")
    assert code == 0 and "no stories yet" in out
    code, out = run(db_path, "add", "https://News.example/a?utm_source=x")
    assert code == 0
    code, out = run(db_path, "stories", "--state", "paused")
    assert "no paused stories" in out and "no stories yet" not in out
    code, out = run(db_path, "log", "https://news.example/a?utm_source=mail&utm_medium=x")
    assert code == 0 and "https://news.example/a" in out
    code, out = run(db_path, "pause", "HTTPS://NEWS.EXAMPLE:443/a#top")
    assert code == 0, out
