"""A git repository of the stories' history, the NewsDiffs / diffengine way researchers know:
one file per story (`stories/<hundred>/<id>.md`: headline, then the text), one commit per
version, dated when the version was seen, with the change summary as the message. `git log -p`,
`git blame` and every git tool then work on the news.

Commits are written by `git fast-import` (one process, no working tree, no index), in the order
the versions were seen across all stories, streamed: memory stays flat whatever the size.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

from tracker import clock
from tracker.store import Row, Store

AUTHOR = "storydiff <storydiff@localhost>"


class GitError(RuntimeError):
    """git is missing or refused the export; the message says which."""


def story_file(story_id: int) -> str:
    """`stories/<hundred>/<id>.md`: git rewrites every tree on a changed file's path at each
    commit, so a hundred files a folder keeps each commit's work small however many stories."""
    return f"stories/{story_id - story_id % 100}/{story_id}.md"


def render(version: Row, story: Row) -> bytes:
    """The file for one version: headline, source and metadata lines, then the text."""
    title = version.get("title") or story.get("title") or story["url"]
    head = [f"# {title}", "", f"<{story['url']}>"]
    for key in ("byline", "published", "updated"):
        if version.get(key):
            head.append(f"{key}: {version[key]}")
    return ("\n".join(head) + "\n\n" + (version.get("text") or "") + "\n").encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _message(store: Store, story: Row, number: int, at: str) -> str:
    title = story.get("title") or story["url"]
    if number == 1:
        first = f"story {story['id']}: first version: {title}"
    else:
        change = store.get_change_between(story["id"], number)
        summary = (change or {}).get("summary") or "edited"
        first = f"story {story['id']} v{number}: {summary}"
    first = " ".join(first.split())[:200]
    return f"{first}\n\nStory: {story['url']}\nVersion: {number}\nSeen: {at}\n"


def stream(store: Store, branch: str = "main") -> Iterator[bytes]:
    """The fast-import command stream, in two passes that each read a story's history once.

    First every file version as a blob, story by story (a story's versions are decoded
    together); then one commit per version in the order they were seen across all stories,
    naming its blob by mark. Only a number per story is kept in memory: blob marks are
    `first[story] + number`.
    """
    first: dict[int, int] = {}
    stories: dict[int, Row] = {}
    mark = 0
    for story in store.iter_stories():
        story_id = int(story["id"])
        stories[story_id] = {"id": story_id, "url": story["url"], "title": story["title"]}
        first[story_id] = mark
        for version in store.list_versions(story_id, with_text=True):
            mark = first[story_id] + int(version["number"])
            yield b"blob\nmark :%d\n" % mark + _data(render(version, stories[story_id]))
    previous = None
    for story_id, number, at in store.iter_version_keys(by_time=True):
        mark += 1
        when = int(clock.parse(at).timestamp())
        out = [
            f"commit refs/heads/{branch}\n".encode(),
            b"mark :%d\n" % mark,
            f"committer {AUTHOR} {when} +0000\n".encode(),
            _data(_message(store, stories[story_id], number, at).encode()),
        ]
        if previous is not None:
            out.append(b"from :%d\n" % previous)
        out.append(f"M 100644 :{first[story_id] + number} {story_file(story_id)}\n".encode())
        previous = mark
        yield b"".join(out)


def export(store: Store, target: Path, branch: str = "main") -> int:
    """Write the repository at `target` (a new or empty folder); returns the commits written."""
    if target.exists() and any(target.iterdir()):
        raise GitError(f"{target} is not empty; give a new folder")
    target.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["git", "init", "-q", "-b", branch, str(target)], check=True, capture_output=True
        )
        proc = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--done"],
            cwd=target,
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (apt-get install git)") from None
    except subprocess.CalledProcessError as exc:
        raise GitError(f"git init failed: {exc.stderr.decode(errors='replace').strip()}") from None
    assert proc.stdin is not None
    count = 0
    try:
        for chunk in stream(store, branch):
            proc.stdin.write(chunk)
            count += chunk.startswith(b"commit ")
        proc.stdin.write(b"done\n")
        proc.stdin.close()
    except BrokenPipeError:
        pass
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise GitError(f"git fast-import failed: {err.strip()[:500]}")
    if count:
        subprocess.run(["git", "checkout", "-q", branch], cwd=target, check=False)
    return count
