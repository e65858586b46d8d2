"""The story's timeline as SVG geometry: one mark per version, bar height by change size, and
the dates under it (drawn as HTML so they stay legible when the SVG shrinks on a phone).

Computed here, drawn by the story template as inline SVG (no script, no external image), so it
works without JavaScript and under a strict Content-Security-Policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from tracker import clock
from tracker.store import Row

WIDTH, HEIGHT, PAD, BASE = 720, 80, 16, 72


@dataclass
class Mark:
    number: int
    x: float
    height: float
    at: str
    size: int | None
    summary: str | None
    kind: str | None


@dataclass
class Timeline:
    marks: list[Mark]
    start: str
    end: str
    ticks: list[str]
    width: int = WIDTH
    height: int = HEIGHT
    base: int = BASE


def build(versions: list[Row], changes: list[Row]) -> Timeline | None:
    """Place each version on a time axis; changes get a bar whose height grows with √size."""
    if not versions:
        return None
    by_version = {int(c["to_version"]): c for c in changes}
    times = []
    for v in versions:
        try:
            times.append(clock.parse(v["fetched_at"]).timestamp())
        except (TypeError, ValueError):
            times.append(float(len(times)))
    first, last = min(times), max(times)
    span = last - first
    biggest = max((int(c.get("size") or 0) for c in changes), default=0) or 1
    usable = WIDTH - 2 * PAD
    marks = []
    for i, (version, t) in enumerate(zip(versions, times, strict=True)):
        if span > 0:
            x = PAD + usable * (t - first) / span
        else:
            x = PAD + (usable * i / (len(versions) - 1) if len(versions) > 1 else usable / 2)
        change = by_version.get(int(version["number"]))
        size = int(change.get("size") or 0) if change else None
        height = 6 + (BASE - PAD - 6) * math.sqrt((size or 0) / biggest) if change else 4
        marks.append(
            Mark(
                number=int(version["number"]),
                x=round(x, 1),
                height=round(height, 1),
                at=version["fetched_at"],
                size=size,
                summary=change.get("summary") if change else None,
                kind=change.get("kind") if change else None,
            )
        )
    start, end = versions[0]["fetched_at"], versions[-1]["fetched_at"]
    ticks = [start]
    if span > 0:
        ticks += [clock.iso(datetime.fromtimestamp(first + span / 2, UTC)), end]
    elif len(versions) > 1:
        ticks.append(end)
    return Timeline(marks, start, end, ticks)
