"""Page furniture (navigation, boxes, ad slots, counters, hidden parts), pruned first."""

from __future__ import annotations

import functools
import re
from typing import Any

from lxml import etree

# Text that labels page furniture rather than saying anything: when one of these is a paragraph
# of its own it is an ad slot, a box heading or a counter, and it changes without the story.
FURNITURE_LABEL = re.compile(
    r"^(?:advertisement|advertising|advert|sponsored(?: content)?|ad|anzeige|publicité|publicidad"
    r"|story continues below(?: advertisement)?|continue reading(?: below)?|read more|read next"
    r"|related(?: stories| articles| content| coverage| links)?|more from .{1,40}|see also"
    r"|recommended(?: for you)?|trending(?: now)?"
    r"|share(?: this)?(?: article| story| page)?(?: (?:on|via) [\w ]{1,20})?"
    r"|[\d.,]+[km]?\s*(?:comments?|replies|responses|shares|views|likes)"
    r"|(?:comments?|replies|responses|shares|views|likes)\s*[:(]?\s*[\d.,]+[km]?\)?)\s*:?$",
    re.IGNORECASE,
)

# Elements that hold page furniture wherever they sit: by tag, by being hidden, or by a class or
# id word. Pruned before trafilatura sees the page, unless they hold much of the page's text.
_FURNITURE_TAGS = {"nav", "aside", "footer", "form", "dialog", "menu", "noscript", "template"}
_FURNITURE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|advert\w*|adslot|adunit|dfp|gpt|sponsor\w*"
    r"|related\w*|recirc\w*|outbrain|taboola|newsletter\w*|\w*sign-?up\w*|breadcrumbs?"
    r"|comments?|comment[_-]\w*|comments[_-]\w*|share\w*|social\w*)(?:$|[\s_-])",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?:left|top|text-indent)\s*:\s*-\d{3,}px",
    re.IGNORECASE,
)
# Ad slots named by their attributes rather than their classes (`data-ad-unit`, `data-adslot`,
# Google's `data-google-query-id`) or labelled for screen readers.
_AD_ATTRIBUTE = re.compile(
    r"(?:^| )data-(?:ad|ads|adunit|adslot|ad-\w+|google-query-id|dfp\w*)(?: |$)"
)
_AD_LABEL = re.compile(r"\b(?:advertisement|advert|sponsored|ad)\b", re.IGNORECASE)


def _text_length(el: Any) -> int:
    """Characters of readable text under `el` (script and style bodies do not count)."""
    return sum(len(t.strip()) for t in _READABLE(el))


_READABLE = etree.XPath(
    "descendant-or-self::text()[not(ancestor::script) and not(ancestor::style)]",
    smart_strings=False,
)


def prune_furniture(tree: Any) -> None:
    """Drop navigation, boxes, ad slots, counters and hidden parts from the page, in place.

    An element that holds a fifth or more of the page's text is never dropped: a class name
    alone must not be able to take the article with it.
    """
    body = tree.find(".//body")
    total = _text_length(body if body is not None else tree)
    doomed = [el for el in tree.iter(etree.Element) if _is_furniture(el)]
    root = tree.getroottree().getroot()
    for el in doomed:
        if el.getparent() is None or el.tag in ("html", "body"):
            continue
        if el.getroottree().getroot() is not root:
            continue  # inside a part already dropped: measuring it again would change nothing
        # All text, script bodies and blank runs included, bounds the readable text from above
        # and costs far less to count: only a part that might be big is measured exactly.
        if _ALL_TEXT_LENGTH(el) * 5 >= total and _text_length(el) * 5 >= total:
            continue
        el.drop_tree()


_ALL_TEXT_LENGTH = etree.XPath("string-length(.)")


def _furniture_name(value: str) -> bool:
    """A class or id value naming furniture. Short values are remembered (a page repeats its
    class values many times over); a long one, rare and hostile, is not kept."""
    return _furniture_words(value) if len(value) <= 200 else bool(_FURNITURE_CLASS.search(value))


@functools.lru_cache(maxsize=4096)
def _furniture_words(value: str) -> bool:
    return bool(_FURNITURE_CLASS.search(value))


def _is_furniture(el: Any) -> bool:
    """Page furniture by tag, by being hidden, by class or id word, or as a labelled ad slot."""
    if el.tag in _FURNITURE_TAGS:
        return True
    names = el.keys()
    if not names:
        return False
    get = el.get
    return bool(
        "hidden" in names
        or get("aria-hidden") == "true"
        or ("style" in names and _HIDDEN_STYLE.search(get("style")))
        or (
            ("class" in names or "id" in names)
            and (_furniture_name(get("class", "")) or _furniture_name(get("id", "")))
            and el.find(".//blockquote") is None
        )
        or ("aria-label" in names and _AD_LABEL.search(get("aria-label")))
        or _AD_ATTRIBUTE.search(" ".join(names))
    )
