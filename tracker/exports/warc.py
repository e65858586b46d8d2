"""WARC files of the raw pages storydiff archived (`archive_raw`, and every backfilled
capture), for web-archive tools (pywb, ReplayWeb.page, warcio itself).

Each version with a raw page becomes a `response` record for the story's URL, dated when the
version was seen, preceded by one `warcinfo` record. warcio writes the records (gzip per
record, the usual `.warc.gz`): it is Webrecorder's WARC library, used by pywb, so what it
writes replays there.
"""

from __future__ import annotations

from io import BytesIO
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tracker import __version__, clock
from tracker.store import Store


def export(store: Store, output: BinaryIO, *, gzip: bool = True) -> int:
    """Write every archived raw page as WARC records to `output`; returns how many."""
    writer = WARCWriter(output, gzip=gzip)
    info = {
        "software": f"storydiff {__version__}",
        "format": "WARC File Format 1.1",
        "description": "raw pages of story versions, exported by storydiff",
    }
    writer.write_record(writer.create_warcinfo_record("storydiff.warc.gz", info))
    count = 0
    for story in store.iter_stories():
        for version in store.list_versions(story["id"]):
            if not version.get("has_raw"):
                continue
            found = store.raw_page(story["id"], version["number"])
            if found is None:
                continue
            body, kind = found
            headers = StatusAndHeaders(
                "200 OK",
                [
                    ("Content-Type", kind or "application/octet-stream"),
                    ("Content-Length", str(len(body))),
                ],
                protocol="HTTP/1.1",
            )
            capture = store.capture_of(version)
            warc_headers = {
                "WARC-Date": clock.parse(version["fetched_at"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "WARC-Storydiff-Story": str(story["id"]),
                "WARC-Storydiff-Version": str(version["number"]),
            }
            if capture:
                warc_headers["WARC-Refers-To-Target-URI"] = capture["archive_url"]
            record = writer.create_warc_record(
                story["url"],
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=headers,
                warc_headers_dict=warc_headers,
            )
            writer.write_record(record)
            count += 1
    return count
