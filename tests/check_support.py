"""A story page the checks can read, two versions of its text, and Settings for a local site."""

from __future__ import annotations

from pathlib import Path

from tracker.config import Settings


def local(db: Path, **changes: object) -> Settings:
    base: dict[str, object] = {
        "db": str(db),
        "allow_hosts": ("127.0.0.1",),
        "per_host_gap": 0.0,
        "retries": 0,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "respect_robots": False,
    }
    base.update(changes)
    return Settings(**base)  # type: ignore[arg-type]


def page(headline: str, *paragraphs: str, canonical: str | None = None) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{headline}</title>{link}</head><body><article>"
        f"<h1>{headline}</h1>{body}</article></body></html>"
    ).encode()


FIRST = (
    "The council voted on Tuesday to close the old harbour bridge for repairs next spring.",
    "Engineers said the work would take at least four months and cost about 2 million euros.",
)
SECOND = (
    "The council voted on Tuesday to close the old harbour bridge for repairs next winter.",
    "Engineers said the work would take at least six months and cost about 3 million euros.",
    "A ferry will run every twenty minutes while the bridge is closed.",
)


def slow_page(tags: int = 1000) -> bytes:
    """A page libxml2 takes seconds to parse (about 9 ms a tag): tags of 999 attributes each,
    each attribute compared with all before it in its tag (a tag is cut at 1,000, so one tag
    of 150,000 is no longer slow)."""
    div = "<div " + " ".join(f"a{i}=x" for i in range(999)) + ">hi</div>"
    return f"<html><body>{div * tags}<p>{' '.join(FIRST)}</p></body></html>".encode()
