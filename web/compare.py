"""Which two versions a comparison means, read the same way by the pages and the API.

Both spellings are accepted everywhere: `a`/`b` (the web's version pickers) and `from`/`to` (the
API's). A version the story does not have is a 404 that says which versions exist, never a
quiet fallback to the latest change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import abort

from tracker.diff import DocumentDiff
from tracker.record import document_of, version_pair
from tracker.store import Row, Store
from tracker.summary import summarize
from web.routing import int_arg


def _either(first: str, second: str) -> int | None:
    one, two = int_arg(first, None, low=1), int_arg(second, None, low=1)
    if one is not None and two is not None and one != two:
        abort(400, description=f"{first} and {second} name the same version: give one of them")
    return one if one is not None else two


def requested_versions() -> tuple[int | None, int | None]:
    """(older, newer) from `a`/`from` and `b`/`to`; either may be missing."""
    return _either("a", "from"), _either("b", "to")


def check_range(story: Row, *numbers: int) -> None:
    """404 with a message naming the versions there are, for a number outside them."""
    count = int(story.get("version_count") or 0)
    for n in numbers:
        if not 1 <= n <= count:
            have = "no versions yet" if count == 0 else f"versions 1 to {count}"
            abort(404, description=f"This story has no version {n}: it has {have}.")


def pair_for(store: Store, story: Row) -> tuple[int, int]:
    """The requested pair, defaults filled in (the latest change), checked against the story."""
    a, b = requested_versions()
    pair = version_pair(store, int(story["id"]), a, b)
    if pair is None:
        abort(404, description="This story has no versions yet, so there is nothing to compare.")
    check_range(story, *pair)
    return pair


# Summaries by the two versions' fingerprints (content never changes under a fingerprint): a
# diff page asked again would otherwise summarise the same two texts on every request.
_SUMMARIES: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_KEEP = 256
_LOCK = threading.Lock()


def summary_of(ddiff: DocumentDiff, old: Row, new: Row) -> dict[str, Any]:
    """Kinds, size and words for any two versions, as the change log has for neighbours."""
    key = (str(old.get("fingerprint")), str(new.get("fingerprint")))
    with _LOCK:
        known = _SUMMARIES.get(key)
        if known is not None:
            _SUMMARIES.move_to_end(key)
            return known
    found = summarize(ddiff, document_of(old), document_of(new))
    result = {
        "kind": found.kind,
        "kinds": list(found.kinds),
        "summary": found.text,
        "size": found.size,
    }
    with _LOCK:
        _SUMMARIES[key] = result
        while len(_SUMMARIES) > _KEEP:
            _SUMMARIES.popitem(last=False)
    return result
