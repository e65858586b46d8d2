"""Text trafilatura left out of the article put back, and recirculation teasers taken out."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tracker.document import normalize, tidy
from tracker.extract.blocks import STAMP, Blocks, line_set

# Tags that start a new block of text: text under one of them (and not under a deeper one)
# reads as one paragraph.
_BLOCK_TAGS = {
    "address",
    "article",
    "blockquote",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
    "br",
}


def drop_teasers(blocks: Blocks, lines: list[str], site: str) -> list[str]:
    """trafilatura's lines without teasers: a paragraph that is nearly all a link to another
    page of the same site ("RELATED: ...", "CLICK HERE TO GET THE APP") is recirculation a
    newsroom swaps without touching the story."""
    wanted = line_set(lines) | {_unbulleted(x) for x in lines}
    teasers = {text for el, text in blocks if text in wanted and is_teaser(el, site)}
    if not teasers:
        return lines
    return [x for x in lines if normalize(x) not in teasers and _unbulleted(x) not in teasers]


def _unbulleted(line: str) -> str:
    """A line without the "- " trafilatura puts before a list item."""
    plain = normalize(line)
    return plain[2:] if plain.startswith("- ") else plain


def article_container(blocks: Blocks, lines: Sequence[str]) -> Any | None:
    """The element that directly holds most of the paragraphs trafilatura kept, or None."""
    wanted = line_set(lines, shortest=2)
    parents: Counter[Any] = Counter()
    for el, text in blocks:
        if text in wanted and el.getparent() is not None:
            parents[el.getparent()] += 1
    if not parents:
        return None
    best = parents.most_common(1)[0][0]
    return None if best.tag in ("html", "body") else best


_CAPTION_CLASS = re.compile(r"caption|credit", re.IGNORECASE)


def host(url: str | None) -> str:
    """A URL's host without `www.`, lower-cased ("" for a relative link)."""
    match = re.match(r"(?:[a-z][\w+.-]*:)?//([^/?#:]+)", (url or "").strip(), re.IGNORECASE)
    return match.group(1).lower().removeprefix("www.") if match else ""


def _same_site(name: str, site: str) -> bool:
    """Relative links, the site's own host, its subdomains and its parent domain are the site."""
    if not name or not site:
        return True
    return name == site or name.endswith("." + site) or site.endswith("." + name)


def internal_links(el: Any, site: str) -> set[str]:
    """The other pages of the same site that `el` links to (query and fragment ignored)."""
    out = set()
    for link in el.iter("a"):
        href = (link.get("href") or "").strip()
        if (
            href
            and not href.startswith(("#", "javascript:", "mailto:"))
            and _same_site(host(href), site)
        ):
            out.add(re.split(r"[?#]", href, maxsplit=1)[0].rstrip("/").lower())
    return out


def is_teaser(el: Any, site: str) -> bool:
    """A block that is nearly all a link to another page of the same site: recirculation.

    A paragraph that is one link to another site (a sponsor's tool, a shop) is part of
    what the article says; a headline pointing to the site's next story is not.
    """
    text = len(tidy(el.text_content()))
    links = [a for a in el.iter("a") if tidy(a.text_content())]
    linked = sum(len(tidy(a.text_content())) for a in links)
    return (
        bool(links)
        and linked * 10 >= text * 8
        and all(_same_site(host(a.get("href")), site) for a in links)
    )


def _text_blocks(container: Any) -> list[tuple[str, Any, Any]]:
    """The readable text of `container` as (block, owner, unit) in document order.

    A new block starts at every block-level element, so a video title, a product line or a
    link paragraph is a block of its own; `owner` is the block-level element the text is
    directly in, `unit` the child of `container` it sits in. Photo captions are left out,
    as readers and the benchmark's annotators leave them out.
    """
    blocks: list[tuple[str, Any, Any]] = []
    current: list[str] = []
    owners = [container]

    def flush(unit: Any) -> None:
        text = tidy("".join(current))
        if text:
            blocks.append((text, owners[-1], unit))
        current.clear()

    def walk(el: Any, unit: Any, video: bool) -> None:
        if not isinstance(el.tag, str) or el.tag in _SKIPPED_TAGS:
            return
        names = f"{el.get('class', '')} {el.get('id', '')}"
        video = video or "video" in names.lower()
        if not video and (el.tag in ("figure", "figcaption") or _CAPTION_CLASS.search(names)):
            return
        block = el.tag in _BLOCK_TAGS
        if block:
            flush(unit)
            owners.append(el)
        if el.text:
            current.append(el.text)
        for child in el:
            walk(child, unit, video)
            if child.tail:
                current.append(child.tail)
        if block:
            flush(unit)
            owners.pop()

    if container.text:
        current.append(container.text)
    for child in container:
        flush(container)
        walk(child, child, False)
        flush(child)
        if child.tail:
            current.append(child.tail)
    flush(container)
    return blocks


# Recovered blocks that are not the story: markup shown as text by a broken CMS; and what may
# stand before the first paragraph must read as prose, not as a byline or a kicker.
_MARKUP = re.compile(r"&(?:amp;)?lt;|</?[a-z][\w-]*(?:\s+[\w-]+=|\s*/?>)", re.IGNORECASE)
_PROSE = re.compile(r"[.!?…\"”’»)]$")

_SKIPPED_TAGS = {"script", "style", "header", "h1", "button", "select", "option", "svg"}


def recover_blocks(blocks: Blocks, lines: list[str], site: str = "") -> list[str]:
    """trafilatura's lines plus the text blocks of the article it left out.

    trafilatura drops video titles, product boxes and paragraphs that are mostly a link even
    when they sit among the article's paragraphs (furniture has already been pruned by then).
    An edit there is an edit to the story, so each such block of the element holding the
    paragraphs is put back where it stands: after the extracted line before it on the page.
    Left out: blocks after the last extracted line (where boxes and sign-offs gather),
    blocks before the first one unless they read as prose (bylines, kickers), time stamps,
    and recirculation: a block that is all a link to the site's own pages, or a box linking
    to several of them (`drop_teasers` takes such lines out of trafilatura's own output).
    """
    container = article_container(blocks, lines)
    if container is None:
        return lines
    plain = [normalize(x) for x in lines]
    joined = " ".join(plain)
    inserts: dict[int, list[str]] = {}
    cursor = -1
    pending: list[str] = []
    boxes: dict[Any, bool] = {}
    for block, element, unit in _text_blocks(container):
        text = normalize(block)
        if not text:
            continue
        start = max(cursor, 0)
        hit = next((i for i in range(start, len(plain)) if text in plain[i]), None)
        if hit is None and any(text in plain[i] for i in range(start)):
            continue
        if hit is not None:
            if cursor < 0:
                pending = [p for p in pending if _PROSE.search(p) and len(p.split()) >= 6]
            inserts.setdefault(cursor, []).extend(pending)
            pending = []
            cursor = hit
            continue
        if text in joined or STAMP.search(text) or _MARKUP.search(text):
            continue
        if unit not in boxes:
            boxes[unit] = unit is not container and len(internal_links(unit, site)) >= 2
        if not boxes[unit] and not is_teaser(element, site):
            pending.append(block)
    if not any(inserts.values()):
        return lines
    merged: list[str] = list(inserts.get(-1, []))
    for i, line in enumerate(lines):
        merged.append(line)
        merged.extend(inserts.get(i, []))
    return merged
