"""Fixtures in the peers' own formats, built where a text file cannot hold them (zips)."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import brotli

WATCH_A = "3f8b0c1e-6f2a-4d7e-9a51-0b6c2d1e4f70"
WATCH_B = "a1c2e3f4-0000-4abc-8def-123456789abc"
SNAPSHOTS_A = [
    (1700000000, "Minister quits\n\nThe minister resigned on Monday after a budget dispute."),
    (
        1700003600,
        "Minister quits\n\nThe minister resigned on Monday after a long budget dispute.\n\n"
        "The prime minister thanked her for her service.",
    ),
    (
        1700007200,
        "Minister quits\n\nThe minister resigned on Monday after a long budget dispute.\n\n"
        "The prime minister thanked her for her service and named a successor on Tuesday.",
    ),
]


def changedetection_zip(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    """A changedetection.io backup as its backups blueprint writes one: url-watches.json,
    secret.txt, url-list.txt, and per watch <uuid>/history.txt ("<epoch>,<file>" lines) with
    snapshot files (.txt, or .txt.br when brotli-compressed)."""
    index = {
        "settings": {"application": {"base_url": None}},
        "watching": {
            WATCH_A: {
                "uuid": WATCH_A,
                "url": "https://news.example/2026/minister-quits",
                "title": "Minister quits",
                "paused": False,
                "processor": "text_json_diff",
                "include_filters": ["article"],
                "time_between_check": {"weeks": None, "days": None, "hours": 3, "minutes": None},
            },
            WATCH_B: {"uuid": WATCH_B, "url": "https://news.example/weather", "title": None},
            "c0ffee00-0000-4000-8000-000000000000": {"title": "no url here"},
        },
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("url-watches.json", json.dumps(index))
        z.writestr("secret.txt", "not-a-real-secret")
        z.writestr("url-list.txt", "https://news.example/2026/minister-quits\r\n")
        lines = []
        for n, (stamp, text) in enumerate(SNAPSHOTS_A):
            name = f"{n:032x}.txt"
            if n == 1:
                z.writestr(f"{WATCH_A}/{name}.br", brotli.compress(text.encode()))
                lines.append(f"{stamp},{name}.br")
            else:
                z.writestr(f"{WATCH_A}/{name}", text)
                # older releases wrote absolute paths into history.txt
                lines.append(
                    f"{stamp},/datastore/{WATCH_A}/{name}" if n == 2 else f"{stamp},{name}"
                )
        z.writestr(f"{WATCH_A}/history.txt", "\n".join(lines) + "\n")
        for name, data in (extra or {}).items():
            info = zipfile.ZipInfo(name)
            if name.endswith(".link"):
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path
