"""The `tracker` command as a user runs it: real database files, real files, clear errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main
from tracker.seeds import SEED_URL


def run(db: Path, *args: str, input: str | bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], input=input)
    return result.exit_code, result.output


def test_demo_load_then_log_shows_two_versions(db_path: Path) -> None:
    code, out = run(db_path, "demo", "--load-only")
    assert code == 0, out
    code, out = run(db_path, "log", SEED_URL)
    assert code == 0, out
    assert out.index("v2") < out.index("v1")  # newest first
    assert "first version" in out
    code, data = run(db_path, "log", "1", "--json")
    entries = json.loads(data)["versions"]
    assert [e["number"] for e in entries] == [2, 1]
    assert entries[0]["change"]["paragraphs_added"] >= 5
    assert entries[1]["change"] is None


def test_demo_twice_adds_nothing(db_path: Path) -> None:
    run(db_path, "demo", "--load-only")
    run(db_path, "demo", "--load-only")
    code, out = run(db_path, "stories", "--json")
    stories = json.loads(out)
    assert len(stories) == 1 and stories[0]["version_count"] == 2


def test_diff_shows_new_top_section_as_added(db_path: Path) -> None:
    run(db_path, "demo", "--load-only")
    code, out = run(db_path, "diff", "1")
    assert code == 0, out
    assert "{+Russia entered into a strategic partnership" in out
    assert "{+Reuters -+}" in out
    assert "[-" not in out  # the earlier dispatch is kept whole, shown as context
    assert "Russia said on Tuesday that a treaty" in out
    code, out = run(db_path, "diff", "1", "--context", "5")
    assert "(More to come)" in out and "[-" not in out


def test_show_prints_a_version(db_path: Path) -> None:
    run(db_path, "demo", "--load-only")
    code, out = run(db_path, "show", "1", "1")
    assert code == 0
    assert "Kremlin spokesman Dmitry Peskov" in out
    assert "strategic partnership with North Korea after" not in out
    code, out = run(db_path, "show", "1", "--json")
    assert json.loads(out)["number"] == 2


def test_add_then_ingest_files_and_stdin(db_path: Path, tmp_path: Path) -> None:
    code, out = run(db_path, "add", "https://News.Example:443/story?utm_source=x#top")
    assert code == 0 and out.strip() == "1"
    code, out = run(db_path, "add", "https://news.example/story")
    assert out.startswith("1") and "already tracked" in out
    one = tmp_path / "one.html"
    one.write_text(
        "<html><head><title>Minister quits</title></head><body><article><h1>Minister quits</h1>"
        "<p>The minister resigned on Monday after a long dispute over the budget plans.</p>"
        "<p>Officials said a successor would be named within days, according to sources.</p>"
        "</article></body></html>"
    )
    two = tmp_path / "two.md"
    two.write_text("# Minister quits\n\nThe minister resigned on Tuesday.\n")
    code, out = run(db_path, "ingest", "1", str(one), str(two), "--at", "2024-05-01T10:00:00+02:00")
    assert code == 0, out
    assert "version 1" in out and "version 2" in out
    code, out = run(
        db_path,
        "ingest",
        "1",
        "-",
        "--content-type",
        "text/markdown",
        input="# Minister quits\n\nThe minister resigned on Tuesday.\n",
    )
    assert "unchanged (still version 2)" in out
    code, out = run(db_path, "log", "1", "--json")
    versions = json.loads(out)["versions"]
    assert versions[-1]["fetched_at"] == "2024-05-01T08:00:00Z"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "javascript:alert(1)"], "only http and https"),
        (["add", "http://"], "no host"),
        (["add", "https://user:pw@news.example/"], "user name"),
        (["add", "https://news.example/", "--interval", "soon"], "not a duration"),
        (["add", "https://news.example/", "--interval", "1e400s"], "not a duration"),
        (["log", "²"], "no story with id or URL"),
        (["log", "42"], "no story with id 42"),
        (["show", "1", "9"], "has no version 9"),
        (["diff", "1", "1", "7"], "has no version 7"),
        (["ingest", "1", "/no/such/file.html"], "cannot read /no/such/file.html"),
        (["ingest", "1", "-", "--at", "yesterday"], "not an ISO 8601 time"),
        (["ingest", "1", "-", "--at", "9999-12-31T23:59:59-01:00"], "not an ISO 8601 time"),
        (["ingest", "1", "-", "--content-type", "image/png"], "unsupported content type"),
        (["ingest", "1", "-", "--content-type", "application/json"], "not valid JSON"),
    ],
)
def test_bad_input_is_one_clear_line_and_nothing_changes(
    db_path: Path, args: list[str], message: str
) -> None:
    run(db_path, "demo", "--load-only")
    before = _dump(db_path)
    code, out = run(db_path, *args, input="{not json")
    assert code != 0
    assert message in out
    assert "Traceback" not in out
    assert _dump(db_path) == before


@pytest.mark.parametrize(
    "args",
    [
        [b"add", b"https://a.example/\xff"],
        [b"add", b"https://a.example/", b"--title", b"caf\xe9"],
        [b"log", b"\xff"],
    ],
)
def test_an_argument_that_is_not_utf8_is_one_line(db_path: Path, args: list[bytes]) -> None:
    """A byte that is not UTF-8 reaches Python as a lone surrogate: URL quoting, SQLite and
    printing all raised on it."""
    run(db_path, "demo", "--load-only")
    before = _dump(db_path)
    proc = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db_path), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith("is not valid UTF-8"), proc.stderr
    assert _dump(db_path) == before


def test_not_a_database_file(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"\x00garbage" * 512)
    code, out = run(bogus, "stories")
    assert code == 1 and "not a storydiff database" in out
    assert bogus.read_bytes() == b"\x00garbage" * 512


def test_locked_database(db_path: Path) -> None:
    run(db_path, "demo", "--load-only")
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tracker", "--db", str(db_path), "add", "https://a.example/"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"TRACKER_DB_TIMEOUT": "0.5", "PATH": "/usr/bin:/bin"},
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 1
    assert "locked" in proc.stderr and "Traceback" not in proc.stderr


def test_python_dash_m_and_help_teaches(db_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tracker", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    for command in ("add", "ingest", "stories", "log", "show", "diff", "demo"):
        assert command in proc.stdout
    code, out = run(db_path, "ingest", "--help")
    assert "'-' reads standard input" in " ".join(out.split())


def _dump(path: Path) -> list[object]:
    """Every row of every table (the contentless search index through its shadow tables: FTS5
    cannot scan it, so `iterdump` cannot either)."""
    conn = sqlite3.connect(path)
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        rows = [
            (name, row)
            for kind, name, sql in schema
            if kind == "table" and not (sql or "").startswith("CREATE VIRTUAL TABLE")
            for row in conn.execute(f'SELECT * FROM "{name}"')
        ]
        return [*schema, *rows]
    finally:
        conn.close()


def test_pause_resume_remove(db_path: Path) -> None:
    run(db_path, "add", "https://news.example/one")
    code, out = run(db_path, "pause", "1", "--json")
    assert code == 0 and json.loads(out) == [{"id": 1, "state": "paused"}]
    code, out = run(db_path, "stories", "--state", "paused", "--json")
    assert [s["id"] for s in json.loads(out)] == [1]
    run(db_path, "resume", "https://news.example/one")
    code, out = run(db_path, "stories", "--state", "active", "--json")
    assert [s["id"] for s in json.loads(out)] == [1]
    code, out = run(db_path, "remove", "1", input="n\n")
    assert code == 1 and "Aborted" in out
    code, out = run(db_path, "remove", "1", "--yes")
    assert code == 0
    code, out = run(db_path, "stories", "--json")
    assert json.loads(out) == []


def test_diff_formats(db_path: Path, tmp_path: Path) -> None:
    run(db_path, "add", "https://news.example/n")
    one, two = tmp_path / "1.txt", tmp_path / "2.txt"
    one.write_text("Officials said 11,000 troops were sent.\n\nThe talks ended.\n")
    two.write_text("Officials said 12,000 troops were sent.\n\nThe talks ended.\n")
    run(db_path, "ingest", "1", str(one), str(two))
    code, out = run(db_path, "diff", "1", "--format", "side-by-side", "--width", "80")
    assert code == 0
    old_line = next(line for line in out.splitlines() if "troops" in line)
    left, right = old_line.split("│")
    assert "[-11,000-]" in left and "{+12,000+}" in right
    code, out = run(db_path, "diff", "1", "--format", "json")
    data = json.loads(out)
    changed = [r for r in data["rows"] if r["kind"] == "changed"]
    assert [op["text"] for op in changed[0]["ops"] if op["op"] != "equal"] == ["11,000", "12,000"]
    code, out = run(db_path, "diff", "1", "1", "2", "--format", "unified")
    assert "-Officials said 11,000" in out and "+Officials said 12,000" in out
    code, out = run(db_path, "log", "1", "--json")
    change = json.loads(out)["versions"][0]["change"]
    assert change["kind"] == "numbers" and "11,000" in change["summary"]
