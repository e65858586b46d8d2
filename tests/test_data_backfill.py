"""Backfill from web archives against a local server speaking the Wayback CDX API, the
replay (`id_`) URLs and a Memento TimeMap: no test reaches the internet."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from check_support import local, page
from click.testing import CliRunner
from servers import LocalSite, Request, Response
from warcio.archiveiterator import ArchiveIterator

from tracker.backfill import backfill
from tracker.cli import main
from tracker.document import Document
from tracker.fetch import Fetcher
from tracker.record import record
from tracker.store import Store

URL = "https://news.example/2020/quake"
PAGES = {
    "20200101093000": page("Quake", "A strong earthquake struck the coast on Monday morning."),
    "20200102120000": page(
        "Quake", "A strong earthquake struck the coast on Monday morning, 12 people were hurt."
    ),
    "20200103120000": page(
        "Quake", "A strong earthquake struck the coast on Monday morning, 12 people were hurt."
    ),
}
CDX = [
    ["timestamp", "original", "statuscode", "digest"],
    ["20200101093000", URL, "200", "AAAA"],
    ["20200101100000", URL, "404", "ZZZZ"],
    ["20200102120000", URL, "200", "BBBB"],
    ["20200103120000", URL, "200", "BBBB"],  # the same capture again: fetched once
]


class Archive:
    """A tiny web archive: /cdx answers the CDX API, /timemap/link/<url> a TimeMap, and
    /web/<timestamp>id_/<url> the capture as it was."""

    def __init__(self, site: LocalSite) -> None:
        self.site = site
        site.route("*", self.serve)

    def serve(self, req: Request) -> Response:
        path = urlsplit(req.path).path
        if path == "/cdx":
            query = parse_qs(urlsplit(req.path).query)
            assert query["url"] == [URL] and query["output"] == ["json"]
            return Response(body=json.dumps(CDX).encode(), content_type="application/json")
        if path.startswith("/timemap/link/"):
            links = [f'<{URL}>; rel="original"']
            for stamp in ("20200101093000", "20200102120000"):
                when = f"{stamp[6:8]} Jan 2020 {stamp[8:10]}:{stamp[10:12]}:{stamp[12:]} GMT"
                links.append(
                    f'<{self.site.url(f"/web/{stamp}id_/{URL}")}>; rel="memento"; '
                    f'datetime="Thu, {when}"'
                )
            return Response(body=",\n".join(links).encode(), content_type="application/link-format")
        if path.startswith("/web/"):
            stamp = path.split("/")[2].removesuffix("id_")
            return Response(body=PAGES[stamp])
        return Response(404, b"no", "text/plain")

    def captures_fetched(self) -> list[str]:
        return [r.path for r in self.site.requests if r.path.startswith("/web/")]


def settings_for(site: LocalSite, db: Path, **more: object):  # noqa: ANN201
    return local(
        db,
        archive_cdx_url=site.url("/cdx"),
        archive_replay_url=site.url("/web/{timestamp}id_/{url}"),
        **more,
    )


def test_backfill_records_distinct_captures_in_time_order(
    site: LocalSite, db_path: Path, tmp_path: Path
) -> None:
    archive = Archive(site)
    settings = settings_for(site, db_path)
    with Store(db_path) as store, Fetcher(settings) as fetcher:
        sid, _ = store.add_story(URL)
        now = Document.build(title="Quake", paragraphs=["The death toll rose to three on Friday."])
        record(store, sid, now, fetched_at="2026-01-01T00:00:00Z")
        result = backfill(store, fetcher, settings, store.get_story(sid))
        assert result.found == 3 and len(result.recorded) == 2 and not result.failed
        versions = store.list_versions(sid, with_text=True)
        assert [(v["number"], v["fetched_at"]) for v in versions] == [
            (1, "2020-01-01T09:30:00Z"),
            (2, "2020-01-02T12:00:00Z"),
            (3, "2026-01-01T00:00:00Z"),
        ]
        assert "12 people were hurt" in versions[1]["text"]
        assert store.latest_version(sid)["text"] == now.text
        assert store.capture_of(versions[0])["archive_url"] == site.url(
            f"/web/20200101093000id_/{URL}"
        )
        assert store.capture_of(versions[2]) is None
        assert len(archive.captures_fetched()) == 2
        again = backfill(store, fetcher, settings, store.get_story(sid))
        assert again.recorded == [] and len(archive.captures_fetched()) == 2  # nothing refetched
    # the captures are in the JSON Lines export and, with their pages, in the WARC export
    env = {"TRACKER_ALLOW_HOSTS": "127.0.0.1"}
    out = CliRunner().invoke(main, ["--db", str(db_path), "export", "jsonl"], env=env).output
    archived = [json.loads(x)["archived"] for x in out.splitlines() if '"version"' in x]
    assert [a and a["captured_at"] for a in archived] == [
        "2020-01-01T09:30:00Z",
        "2020-01-02T12:00:00Z",
        None,
    ]
    warc = tmp_path / "captures.warc.gz"
    CliRunner().invoke(main, ["--db", str(db_path), "export", "warc", str(warc)], env=env)
    with warc.open("rb") as handle:
        bodies = [
            r.content_stream().read() for r in ArchiveIterator(handle) if r.rec_type == "response"
        ]
    assert bodies == [PAGES["20200101093000"], PAGES["20200102120000"]]


def test_add_with_backfill_through_a_timemap(site: LocalSite, db_path: Path) -> None:
    archive = Archive(site)
    env = {
        "TRACKER_ALLOW_HOSTS": "127.0.0.1",
        "TRACKER_RESPECT_ROBOTS": "0",
        "TRACKER_PER_HOST_GAP": "0",
        "TRACKER_ARCHIVE_TIMEMAP_URL": site.url("/timemap/link/{url}"),
    }
    result = CliRunner().invoke(main, ["--db", str(db_path), "add", URL, "--backfill"], env=env)
    assert result.exit_code == 0, result.output
    assert "2 recorded as versions" in result.output
    assert len(archive.captures_fetched()) == 2
    with Store(db_path) as store:
        versions = store.list_versions(1)
        assert [v["fetched_at"] for v in versions] == [
            "2020-01-01T09:30:00Z",
            "2020-01-02T12:00:00Z",
        ]


@pytest.mark.parametrize("nonsense", [b"[not json", b"[" * 100_000 + b"]" * 100_000])
def test_an_archive_that_answers_nonsense_is_one_line(
    site: LocalSite, db_path: Path, nonsense: bytes
) -> None:
    site.set("/cdx", body=nonsense, content_type="application/json")
    env = {
        "TRACKER_ALLOW_HOSTS": "127.0.0.1",
        "TRACKER_RESPECT_ROBOTS": "0",
        "TRACKER_ARCHIVE_CDX_URL": site.url("/cdx"),
    }
    CliRunner().invoke(main, ["--db", str(db_path), "add", URL])
    result = CliRunner().invoke(main, ["--db", str(db_path), "backfill", "1"], env=env)
    assert result.exit_code == 1 and result.output.strip() == (
        "Error: story 1: the CDX answer is not valid JSON"
    )
    env.pop("TRACKER_ALLOW_HOSTS")  # the archive is a local address: the guard refuses it
    result = CliRunner().invoke(main, ["--db", str(db_path), "backfill", "1"], env=env)
    assert result.exit_code == 1 and "could not be read" in result.output
