"""Promos and stamps inside the article: newsletter sign-ups, app pitches, "Updated" lines.

Newsrooms place them between the story's paragraphs, under plain tags, and swap them without
touching the story; as text they read like a paragraph, so trafilatura keeps them. Pruned from
the tree before it reads the page:

- a promo: a short block (one paragraph at most, 60 words) that pitches a newsletter, a
  subscription or the app and either links to the site's own pages or sits with a form
  control (an e-mail field, a button) - a paragraph that mentions a newsletter and links
  elsewhere, or has no link at all, is the story's;
- a stamp: an element whose whole text is a labelled time ("Updated 4:45 PM ET", "Published
  Nov. 19, 2019"), wherever it sits, a list item or a table cell included;
- a teaser (a paragraph, list item or heading that is nearly all a link to another page of
  the site) and a box label ("Related:", "Read more", "Advertisement"): trafilatura's lines
  lose them too (`drop_teasers`, `body_paragraphs`), but inside a table cell it runs the whole
  cell into one line, so they must be gone before it reads the page.
"""

from __future__ import annotations

import re
from typing import Any

from tracker.document import tidy
from tracker.extract.furniture import FURNITURE_LABEL
from tracker.extract.recover import internal_links, is_teaser

_PROMO = re.compile(
    r"\b(?:sign(?:ing)?[ -]up|subscribe|subscription|newsletters?|(?:in|into|to) your inbox"
    r"|download (?:our|the) app|get the app|get our app)\b",
    re.IGNORECASE,
)
_STAMP = re.compile(
    r"^(?:published|updated|posted|last updated|modified|first published)\b[^.!?]{0,40}"
    r"(?:\d{1,2}:\d{2}|\b\d{4}\b|\b\d{1,2} (?:hours?|minutes?|days?) ago)[^.!?]{0,20}$",
    re.IGNORECASE,
)
_CONTROLS = ("input", "button", "select", "textarea")
_TEASER_TAGS = ("p", "li", "h2", "h3", "h4", "h5", "h6")
_LABEL_TAGS = ("p", "h2", "h3", "h4", "h5", "h6", "div", "span", "strong", "b", "em")
_PROMO_TAGS = ("p", "div", "section")
_MAX_WORDS = 60


def prune_promos(tree: Any, site: str) -> None:
    """Drop promo blocks, teasers, labels and stamp elements from the page, in place."""
    root = tree.getroottree().getroot()
    doomed = []
    for el in tree.iter(*_CANDIDATES):
        if len(el) > 8:  # many children: a container, not one promo, stamp or label
            continue
        text = el.text_content()
        if len(text) > 600 or not (text := tidy(text)):
            continue
        if (
            _STAMP.match(text)
            or (el.tag in _PROMO_TAGS and _is_promo(el, text, site))
            or (el.tag in _TEASER_TAGS and is_teaser(el, site))
            or (el.tag in _LABEL_TAGS and len(text) < 60 and FURNITURE_LABEL.match(text))
        ):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None and el.getroottree().getroot() is root:
            el.drop_tree()


_CANDIDATES = (
    *{*_PROMO_TAGS, *_TEASER_TAGS, *_LABEL_TAGS},
    "time",
    "small",
    "td",
    "dd",
    "i",
)


def _is_promo(el: Any, text: str, site: str) -> bool:
    if len(text.split()) > _MAX_WORDS or not _PROMO.search(text):
        return False
    if sum(1 for _ in el.iter("p")) > 1 or el.find(".//h1") is not None:
        return False
    parent = el.getparent()
    beside = parent is not None and any(child.tag in _CONTROLS for child in parent)
    has_control = beside or next(el.iter(*_CONTROLS), None) is not None
    return has_control or bool(internal_links(el, site))
