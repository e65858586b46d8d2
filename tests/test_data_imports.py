"""Bulk add and imports as a user runs them: real files in the peers' formats, real databases."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from data_support import WATCH_B, changedetection_zip

from tracker.cli import main
from tracker.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "data"


def run(db: Path, *args: str, input: str | bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], input=input)
    return result.exit_code, result.output


def run_json(db: Path, *args: str, input: str | None = None) -> list[dict]:
    code, out = run(db, *args, "--json", input=input)
    return json.loads(out[out.index("[") :])


def test_add_many_urls_reports_each_and_is_idempotent(db_path: Path) -> None:
    code, out = run(db_path, "add", "https://news.example/a", "https://news.example/b", "ftp://x")
    assert code == 1  # one URL was invalid; the other two are added all the same
    lines = out.splitlines()
    assert lines[0].startswith("added") and "https://news.example/a" in lines[0]
    assert lines[2].startswith("invalid") and "ftp://x" in lines[2]
    items = run_json(db_path, "add", "https://news.example/b", "https://news.example/c")
    assert [(i["status"], i["id"]) for i in items] == [("exists", 2), ("added", 3)]


def test_add_from_stdin_adds_thousands_in_batches(db_path: Path) -> None:
    urls = "\n".join(f"https://news.example/s/{n}?utm_medium=x" for n in range(1200))
    code, out = run(db_path, "add", "-", input=f"# from a spreadsheet\n{urls}\n\n")
    assert code == 0, out[-300:]
    assert sum(line.startswith("added") for line in out.splitlines()) == 1200
    with Store(db_path) as store:
        assert store.count_stories() == 1200
        assert store.find_story("https://news.example/s/1199")["id"] == 1200
    code, out = run(db_path, "add", "-", input=urls)
    assert sum(line.startswith("exists") for line in out.splitlines()) == 1200


def test_single_add_keeps_its_json_object(db_path: Path) -> None:
    code, out = run(db_path, "add", "https://news.example/one", "--json")
    assert json.loads(out) == {"id": 1, "url": "https://news.example/one", "created": True}
    code, out = run(db_path, "add", "javascript:alert(1)")
    assert code == 1 and "invalid URL" in out


def test_import_plain_list(db_path: Path) -> None:
    items = run_json(db_path, "import", str(FIXTURES / "urls.txt"))
    assert [i["status"] for i in items] == ["added", "added", "invalid", "exists"]
    assert items[1]["url"] == "https://news.example/b"


def test_import_urlwatch_says_what_is_not_carried_over(db_path: Path) -> None:
    items = run_json(db_path, "import", str(FIXTURES / "urls.yaml"))
    by_source = {i["source"]: i for i in items}
    council = by_source["https://news.example/council-budget?utm_source=rss"]
    assert council["status"] == "added" and "filter" in council["reason"]
    assert "navigate" in by_source["https://news.example/live"]["reason"]
    assert by_source["Disk usage"]["status"] == "skipped"
    assert "command" in by_source["Disk usage"]["reason"]
    assert by_source["https://news.example/search"]["status"] == "skipped"
    assert [i["status"] for i in items].count("exists") == 1  # the storm job twice
    with Store(db_path) as store:
        assert store.get_story(council["id"])["title"] == "Council budget story"
        assert store.count_stories() == 3


def test_opml_round_trip(db_path: Path, tmp_path: Path) -> None:
    items = run_json(db_path, "import", str(FIXTURES / "feeds.opml"))
    kinds = sorted((i["kind"], i["status"]) for i in items)
    assert kinds == [("feed", "added"), ("feed", "added"), ("story", "added"), ("story", "skipped")]
    exported = tmp_path / "out.opml"
    code, out = run(db_path, "export", "opml", "-o", str(exported))
    assert code == 0, out
    fresh = tmp_path / "fresh.db"
    again = run_json(fresh, "import", str(exported))
    assert sorted(i["status"] for i in again) == ["added"] * 3
    with Store(db_path) as a, Store(fresh) as b:
        assert [(f["url"], f["title"]) for f in a.list_feeds()] == [
            (f["url"], f["title"]) for f in b.list_feeds()
        ]
        assert [s["url"] for s in a.iter_stories()] == [s["url"] for s in b.iter_stories()]


def test_changedetection_backup_brings_history_as_versions(db_path: Path, tmp_path: Path) -> None:
    backup = changedetection_zip(tmp_path / "changedetection-backup-20261128.zip")
    items = run_json(db_path, "import", str(backup))
    by_url = {i["url"]: i for i in items if i["url"]}
    story = by_url["https://news.example/2026/minister-quits"]
    assert story["status"] == "added" and story["versions"] == 3
    assert "include_filters" in story["reason"]
    assert by_url["https://news.example/weather"]["versions"] == 0
    assert [i["status"] for i in items].count("skipped") == 1  # the watch without a URL
    with Store(db_path) as store:
        row = store.get_story(story["id"])
        assert row["interval"] == 3 * 3600
        versions = store.list_versions(story["id"], with_text=True)
        assert [v["fetched_at"] for v in versions] == [
            "2023-11-14T22:13:20Z",
            "2023-11-14T23:13:20Z",
            "2023-11-15T00:13:20Z",
        ]
        assert versions[1]["text"].endswith("thanked her for her service.")
    again = run_json(db_path, "import", str(backup))
    assert {i["status"] for i in again if i["url"]} == {"exists"}


def test_hostile_changedetection_zip_is_read_safely(db_path: Path, tmp_path: Path) -> None:
    bomb = b"\0" * (30 * 1024 * 1024)
    history = f"1700000000,../../../escaped.txt\n1700000100,bomb.txt\n1700000200,{WATCH_B}.link\n"
    backup = changedetection_zip(
        tmp_path / "evil.zip",
        extra={
            "../../../escaped.txt": b"Escaped\n\nThis text comes from outside the watch folder.",
            f"{WATCH_B}/bomb.txt": bomb,
            f"{WATCH_B}/{WATCH_B}.link": b"/etc/passwd",
            f"{WATCH_B}/history.txt": history.encode(),
        },
    )
    items = run_json(db_path, "import", str(backup))
    weather = next(i for i in items if i["url"] == "https://news.example/weather")
    assert weather["versions"] == 0
    assert "3 snapshot(s) unreadable" in weather["reason"]
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_garbage_imports_fail_with_one_line(db_path: Path, tmp_path: Path) -> None:
    fake = tmp_path / "backup.zip"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    code, out = run(db_path, "import", str(fake))
    assert code == 1 and "not a changedetection.io backup" in out
    bad = tmp_path / "bad.opml"
    bad.write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body>&a;</body>')
    code, out = run(db_path, "import", str(bad))
    assert code in (0, 1) and "Traceback" not in out
    code, out = run(db_path, "import", str(tmp_path / "missing.txt"))
    assert code == 1 and "cannot read" in out


@pytest.mark.parametrize("name", ["deep.jsonl", "deep.yaml", "deep-yaml-map.yaml", "deep.zip"])
def test_a_file_nested_too_deep_is_one_line_not_a_recursion_traceback(
    db_path: Path, tmp_path: Path, name: str
) -> None:
    meta = '{"type": "meta", "format": "storydiff.jsonl"}\n'
    deep = "[" * 100_000 + "]" * 100_000
    file = tmp_path / name
    if name == "deep.zip":
        with zipfile.ZipFile(file, "w") as archive:
            archive.writestr("url-watches.json", deep)
    else:
        file.write_text(
            {
                "deep.jsonl": f"{meta}{deep}\n",
                "deep.yaml": "url: " + "[" * 5_000 + "]" * 5_000 + "\n",
                "deep-yaml-map.yaml": "url:" + " {a:" * 5_000 + "}" * 5_000 + "\n",
            }[name]
        )
    code, out = run(db_path, "import", str(file))
    assert code == 1 and "Traceback" not in out
    assert len(out.strip().splitlines()) == 1, out[-500:]


def test_hostile_text_in_an_import_is_shown_escaped(db_path: Path, tmp_path: Path) -> None:
    """A terminal escape in a URL list is printed as text, not obeyed; a lone surrogate from a
    JSON escape is an invalid URL, printed (lines and --json) instead of raising."""
    listing = tmp_path / "urls.txt"
    listing.write_bytes(b"\x1b]0;owned\x07https://news.example/a\n")
    code, out = run(db_path, "import", str(listing))
    assert "\x1b" not in out and "invalid  \\x1b]0;owned\\x07https://news.example/a" in out
    export = tmp_path / "in.jsonl"
    export.write_text(
        '{"type": "meta", "format": "storydiff.jsonl"}\n'
        '{"type": "story", "url": "https://news.example/\\ud800"}\n'
        '{"type": "story", "url": "https://news.example/b"}\n'
    )
    code, out = run(db_path, "import", str(export))
    assert code == 0 and "Traceback" not in out
    assert "invalid  https://news.example/\\ud800\tURL is not valid UTF-8" in out
    items = run_json(tmp_path / "other.db", "import", str(export))
    assert [(i["status"], i["source"]) for i in items] == [
        ("invalid", "https://news.example/\ud800"),
        ("added", "https://news.example/b"),
    ]


def test_urlwatch_and_list_round_trip_through_jsonl(db_path: Path, tmp_path: Path) -> None:
    run(db_path, "import", str(FIXTURES / "urls.yaml"))
    run(db_path, "import", str(FIXTURES / "urls.txt"))
    out = tmp_path / "all.jsonl"
    assert run(db_path, "export", "jsonl", "-o", str(out))[0] == 0
    fresh = tmp_path / "fresh.db"
    items = run_json(fresh, "import", str(out))
    assert {i["status"] for i in items} == {"added"}
    with Store(db_path) as a, Store(fresh) as b:
        assert [(s["url"], s["title"]) for s in a.iter_stories()] == [
            (s["url"], s["title"]) for s in b.iter_stories()
        ]
