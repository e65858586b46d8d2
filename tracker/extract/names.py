"""Generated class and id names taken out of the page before anything reads them.

CSS-in-JS libraries, CSS modules and id generators name elements with hashes that change with
every build or even every request (`css-1q2w3e`, `sc-bdVaJa kEzbMf`, `Article_body__3xYz1`,
`V1StGXR8_Z5jdHi6B-myT`). trafilatura and the furniture pruning both read class and id names,
by substring too (trafilatura drops elements whose class contains "bar", "meta" or "nav"), so
a hash that happens to spell one would change what is extracted from one request to the next.
A name is kept only where it reads as words (all lower-case letters, Capitalised or camelCase
words, short capitals, and numbers, which are dropped): one part with letters and digits mixed
or an irregular mix of cases makes the whole name generated (a nanoid's `p-Gmenu_YX8Zl5S1`
must not keep its "menu"), except for a CSS module's hash after `__`, which goes alone; and
whatever follows the prefix of a library that always hashes (`css-`, `sc-`, `jsx-`...) goes.
Elsewhere an all-lower-case hash cannot be told from a word and is kept (hash alphabets make
that rare); `sidebar1` goes whole, which costs little: such names are rare, and the tag and
hidden-ness rules still apply to them.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lxml import etree

_SPLIT = re.compile(r"([-_]+)")
_WORDLIKE = re.compile(r"[a-z]+|[A-Z]{2,5}|[A-Z]?[a-z]{2,}(?:[A-Z][a-z]{2,})*")
_ATTRIBUTES = ("class", "id")
# Libraries whose names are a prefix and a hash: what follows the prefix is always generated.
_HASH_PREFIXES = frozenset({"css", "sc", "jsx", "svelte", "emotion", "astro", "tw"})


@functools.lru_cache(maxsize=8192)
def steady(value: str) -> str:
    """A class or id value with its generated parts left out ("" when nothing is left)."""
    return " ".join(t for t in map(_steady_token, value.split()) if t)


def _steady_token(token: str) -> str:
    parts = _SPLIT.split(token)  # part, separator, part, ...
    if len(parts) >= 3 and parts[-2] == "__" and _hashed(parts[-1]):
        parts = parts[:-2]  # a CSS module: its words, then `__` and the hash
    if parts[0] in _HASH_PREFIXES and len(parts) >= 3:
        return parts[0]  # css-1q2w3e, sc-bdVaJa: the rest is generated
    if any(_hashed(part) for part in parts[::2]):
        return ""  # one generated part makes the whole name generated (nanoid, ember123)
    kept: list[str] = []
    for i in range(0, len(parts), 2):
        if parts[i] and not parts[i].isdigit():
            kept.append((parts[i - 1] if kept else "") + parts[i])
    return "".join(kept)


def _hashed(part: str) -> bool:
    """A part that is not a word or a number: letters mixed with digits, or irregular case."""
    return bool(part) and not part.isdigit() and not _WORDLIKE.fullmatch(part)


def steady_names(tree: Any) -> None:
    """Rewrite every class and id of the page to its steady part, in place."""
    for el in _NAMED(tree):
        for name in _ATTRIBUTES:
            value = el.get(name)
            if value is None:
                continue
            new = steady(value[:500])
            if new != value:
                if new:
                    el.set(name, new)
                else:
                    del el.attrib[name]


_NAMED = etree.XPath("descendant-or-self::*[@class or @id]")
