"""OPML, the outline format feed readers import and export.

Outlines with an `xmlUrl` are feeds (followed, so their new articles become stories); outlines
of type "link" with a `url` are single stories. The export writes both, so a round trip keeps
everything. lxml reads it without DTDs, entities or network access (no billion laughs, no XXE).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from xml.sax.saxutils import quoteattr

from lxml import etree

from tracker import clock
from tracker.imports.common import BadImport, Entry, Outcome, Parsed
from tracker.store import Row


def parse(data: bytes) -> Parsed:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BadImport(f"not valid OPML (XML): {exc}") from None
    if root is None or root.tag != "opml":
        raise BadImport("not OPML: the document does not start with <opml>")
    parsed = Parsed()
    for node in root.iter("outline"):
        title = node.get("title") or node.get("text")
        if node.get("xmlUrl"):
            parsed.feeds.append(Entry(url=node.get("xmlUrl", ""), title=title))
        elif node.get("url") or node.get("htmlUrl"):
            url = node.get("url") or node.get("htmlUrl") or ""
            parsed.entries.append(Entry(url=url, title=title))
        elif not len(node):
            parsed.skipped.append(
                Outcome((title or "outline")[:300], "skipped", reason="outline without a URL")
            )
    return parsed


def export(feeds: Iterable[Row], stories: Iterable[Row]) -> Iterator[str]:
    """OPML 2.0 text, a piece at a time: feeds, then stories as links."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n<head>\n'
    yield f"  <title>storydiff</title>\n  <dateCreated>{clock.iso()}</dateCreated>\n"
    yield '</head>\n<body>\n  <outline text="Feeds">\n'
    for feed in feeds:
        text = quoteattr(feed.get("title") or feed["url"])
        yield f'    <outline type="rss" text={text} xmlUrl={quoteattr(feed["url"])}/>\n'
    yield '  </outline>\n  <outline text="Stories">\n'
    for story in stories:
        text = quoteattr(story.get("title") or story["url"])
        yield f'    <outline type="link" text={text} url={quoteattr(story["url"])}/>\n'
    yield "  </outline>\n</body>\n</opml>\n"
