"""The page's paragraph-like blocks, articles split into sibling chunks, and label lines."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tracker.document import normalize, tidy
from tracker.extract.furniture import FURNITURE_LABEL

_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")

Blocks = list[tuple[Any, str]]


def block_texts(tree: Any) -> Blocks:
    """Every paragraph-like element of the page with its normal-form text, in document order.

    The steps after trafilatura all match its lines against these; reading them once saves
    each step a pass over the page.
    """
    return [(el, normalize(el.text_content())) for el in tree.iter(*_BLOCKS)]


def line_set(lines: Sequence[str], shortest: int = 1) -> set[str]:
    return {plain for plain in map(normalize, lines) if len(plain) >= shortest}


def continued_article(blocks: Blocks, lines: list[str]) -> list[str]:
    """trafilatura's lines plus the rest of an article split into sibling chunks.

    Some sites cut the article into several containers of the same kind with ad rails
    between them; trafilatura keeps the first. The container holding most of the extracted
    paragraphs is found, and its twins under the same grandparent (same tag and class) are
    read in document order, so that an edit anywhere in the article is seen.
    """
    wanted = line_set(lines)
    if not wanted:
        return lines
    parents: Counter[Any] = Counter()
    for el, text in blocks:
        if text in wanted and el.getparent() is not None:
            parents[el.getparent()] += 1
    if not parents:
        return lines
    main = parents.most_common(1)[0][0]
    grand = main.getparent()
    if grand is None or grand.getparent() is None:
        return lines
    twins = [
        el
        for el in grand.getparent().iter(main.tag)
        if _stable_class(el) == _stable_class(main)
        and el.getparent() is not None
        and el.getparent().getparent() is grand.getparent()
    ]
    if len(twins) < 2 or main not in twins:
        return lines
    before: list[str] = []
    after: list[str] = []
    for twin in twins:
        if twin is main:
            continue
        target = before if twins.index(twin) < twins.index(main) else after
        target += [t for t in _block_texts(twin) if normalize(t) not in wanted]
    return before + lines + after


# A line that is only a time stamp or a dateline: it changes on its own, never a story line.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
STAMP = re.compile(
    rf"^(?:(?:published|updated|posted|last updated|modified)\b.{{0,60}}"
    rf"|[^.!?]{{0,40}}\b\d{{1,2}}:\d{{2}}\s*(?:[ap]\.?m\.?)?\s*[A-Z]{{0,4}}"
    rf"|(?:\w+,? )?(?:{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}} {_MONTH},? \d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}).{{0,20}})$",
    re.IGNORECASE,
)


def _stable_class(el: Any) -> str:
    """An element's class names without generated ones (those carry digits and change)."""
    return " ".join(sorted(c for c in el.get("class", "").split() if not re.search(r"\d", c)))


def _block_texts(container: Any) -> list[str]:
    """The text of each outermost paragraph-like element under `container`, in order."""
    out = []
    for block in container.iter(*_BLOCKS):
        nested = False
        for ancestor in block.iterancestors():
            if ancestor is container:
                break
            if ancestor.tag in _BLOCKS:
                nested = True
                break
        if not nested and (text := tidy(block.text_content())):
            out.append(text)
    return out


def body_paragraphs(lines: list[str], title: str | None, headlines: Sequence[str]) -> list[str]:
    """trafilatura's lines without the headline repeated and without furniture labels."""
    repeated = {normalize(h).casefold() for h in (title, *headlines) if h}
    out = []
    for line in lines:
        plain = normalize(line)
        if (
            not plain
            or plain.casefold() in repeated
            or FURNITURE_LABEL.match(plain)
            or STAMP.match(plain)
        ):
            continue
        out.append(line)
    return out
