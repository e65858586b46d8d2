"""Upgrades never record a false version: `tracker check` run by an upgraded extractor on a real
database, against a local page that did not change, announces nothing and says why in the log.

The upgrade is a subprocess whose extraction version is raised and whose extraction drops a
sign-off line the earlier one kept, as a real upgrade changes what some pages yield.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from servers import LocalSite, Request, Response

from tracker.extract import EXTRACTION_VERSION

PARAGRAPHS = [
    "The council voted on Tuesday to close the old harbour bridge for repairs next spring.",
    "Engineers said the work would take at least four months and cost about 2 million euros.",
    "A ferry will run every twenty minutes while the bridge is closed to traffic.",
    "Follow us on Mastodon for more harbour news.",
]

UPGRADED = """
import sys
import tracker.extract as extract
import tracker.extract.html as html
if sys.argv[1] == "bump":
    extract.EXTRACTION_VERSION += 1
keep = html.body_paragraphs
html.body_paragraphs = lambda *a: [p for p in keep(*a) if not p.startswith("Follow us")]
from tracker.cli import main
main(sys.argv[2:], prog_name="tracker")
"""


def _serve(site: LocalSite, paragraphs: list[str]) -> None:
    """The story page, with a fresh nonce in every response as real pages have (so the bytes
    differ each time and every check extracts)."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    served = iter(range(1_000_000))

    def handler(_req: Request) -> Response:
        page = (
            f"<html><head><title>Bridge to close</title><script nonce='n{next(served)}'>"
            "</script></head><body><article>"
            f"<h1>Bridge to close</h1>{body}</article></body></html>"
        )
        return Response(body=page.encode())

    site.route("/story", handler)


def _tracker(db: Path, *args: str, upgrade: str | None = None, archive: bool = True) -> Any:
    env = {
        **os.environ,
        "TRACKER_ALLOW_HOSTS": "127.0.0.1",
        "TRACKER_RESPECT_ROBOTS": "0",
        "TRACKER_PER_HOST_GAP": "0",
        "TRACKER_RETRIES": "0",
        "TRACKER_ARCHIVE_RAW": "1" if archive else "0",
        # the upgrade is simulated by patching this interpreter, so pages are read in it
        # (extraction processes would run the code as installed)
        "TRACKER_EXTRACT_PROCESSES": "0",
    }
    command = ["-c", UPGRADED, upgrade] if upgrade else ["-m", "tracker"]
    proc = subprocess.run(
        [sys.executable, *command, "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if "--json" in args else proc.stdout


def _changes(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM changes").fetchone()[0]


def _versions(db: Path) -> list[dict[str, Any]]:
    return _tracker(db, "log", "1", "--json")["versions"]


@pytest.fixture
def story(db_path: Path, site: LocalSite, request: pytest.FixtureRequest) -> Path:
    """Story 1, checked once by the running extractor (archiving its page unless the test's
    `archive` parameter says not)."""
    archive = getattr(request, "param", True)
    _serve(site, PARAGRAPHS)
    _tracker(db_path, "add", site.url("/story"))
    first = _tracker(db_path, "check", "1", "--json", archive=archive)["results"][0]
    assert first["outcome"] == "new_version"
    return db_path


@pytest.mark.parametrize(
    ("story", "archive"),
    [(True, True), (False, False)],
    ids=["archived", "not-archived"],
    indirect=["story"],
)
def test_an_upgrade_on_an_unchanged_page_announces_nothing_and_says_so(
    story: Path, archive: bool
) -> None:
    result = _tracker(story, "check", "1", "--json", upgrade="bump", archive=archive)
    assert result["results"][0]["outcome"] == "unchanged"
    assert _changes(story) == 0
    latest, first = _versions(story)
    assert first["extractor"] is None or first["extractor"].startswith("storydiff-extract ")
    assert latest["extractor"].startswith(f"storydiff-extract {EXTRACTION_VERSION + 1};")
    assert latest["note"].startswith("re-baselined: extraction changed")
    assert ("was read again" if archive else "was not archived") in latest["note"]
    log = _tracker(story, "log", "1")
    assert "re-baselined: extraction changed" in log and "not announced" in log
    again = _tracker(story, "check", "1", "--json", upgrade="bump", archive=archive)
    assert again["results"][0]["outcome"] == "unchanged" and len(_versions(story)) == 2


def test_an_edit_made_during_the_upgrade_is_announced_alone(story: Path, site: LocalSite) -> None:
    edited = [PARAGRAPHS[0].replace("spring", "winter"), *PARAGRAPHS[1:]]
    _serve(site, edited)
    result = _tracker(story, "check", "1", "--json", upgrade="bump")
    assert result["results"][0]["outcome"] == "new_version"
    versions = _versions(story)
    assert [v["number"] for v in versions] == [3, 2, 1]
    assert versions[1]["note"] and versions[0]["note"] is None
    change = versions[0]["change"]
    assert change["from_version"] == 2 and _changes(story) == 1
    assert (change["words_added"], change["words_removed"]) == (1, 1)  # spring -> winter only


def test_without_the_identity_the_same_upgrade_records_a_false_version(story: Path) -> None:
    """The control: the changed extraction under the old identity is a (false) new version."""
    result = _tracker(story, "check", "1", "--json", upgrade="same")
    assert result["results"][0]["outcome"] == "new_version" and _changes(story) == 1
