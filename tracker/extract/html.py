"""HTML pages: parse once, prune, let trafilatura find the body, then repair what it missed."""

from __future__ import annotations

import re
import threading
from typing import Any

from lxml import etree

from tracker.document import Document
from tracker.extract.blocks import block_texts, body_paragraphs, continued_article
from tracker.extract.content import ExtractError
from tracker.extract.furniture import prune_furniture
from tracker.extract.metadata import fallback_metadata, page_metadata
from tracker.extract.names import steady_names
from tracker.extract.promos import prune_promos
from tracker.extract.recover import drop_teasers, host, recover_blocks

MAX_HTML_CHARS = 20_000_000
MAX_ATTRIBUTES = 1_000  # per tag; the article needs a handful
MAX_ELEMENTS = 100_000
"""The most elements a page may have: news pages have a few thousand (the corpus at most about
3,200 tags), and extraction's time grows with them (1.6 million took about 70 s)."""
# A start tag 2,000 characters long (a quoted value counting as one) may hold 1,000 attributes.
_LONG_TAG = re.compile(r"""<[A-Za-z](?:[^<>"']|"[^"]*"|'[^']*'){2000}""")
_TAG = re.compile(r"""<[A-Za-z](?:[^<>"']+|"[^"]*"|'[^']*')*""")
_PART = re.compile(r"""\s[^\s"'=<>/]|"[^"]*"|'[^']*'""")


def _parser() -> Any:
    """This thread's HTML parser: trafilatura's settings, with element classes chosen in C.

    lxml.html's own parser asks a Python method for the class of every element Python touches,
    a tenth of the whole extraction. The price is lxml's form-element classes, which nothing
    here uses. One per thread, because a shared parser is locked while it parses.
    """
    parser = getattr(_PARSERS, "parser", None)
    if parser is not None:
        return parser
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    _PARSERS.parser = parser
    return parser


_PARSERS = threading.local()


def cap_attributes(text: str) -> str:
    """Cut every start tag after its MAX_ATTRIBUTES-th attribute.

    libxml2 compares each attribute of a tag with all the ones before it: one tag of 200,000
    attributes (2 MB) kept a check parsing for minutes. What looks like such a tag inside a
    script is cut as well; extraction drops scripts anyway.
    """
    pieces: list[str] = []
    done = 0
    for long in _LONG_TAG.finditer(text):
        if long.start() < done:
            continue
        tag = _TAG.match(text, long.start())
        end = tag.end() if tag else long.end()
        parts = _PART.finditer(text, long.start(), end)
        names = (part for part in parts if part.group()[0] not in "'\"")  # not quoted values
        for count, name in enumerate(names, 1):
            if count > MAX_ATTRIBUTES:
                pieces += [text[done : name.start()], ">"]
                done = name.start()
                break
    return "".join(pieces) + text[done:] if pieces else text


def parse_html(text: str) -> Any | None:
    """The page's tree, or None when the text is not HTML (as trafilatura's `load_html`)."""
    from lxml import html as lxml_html
    from trafilatura.utils import is_dubious_html, repair_faulty_html

    beginning = text[:50].lower()
    text = cap_attributes(repair_faulty_html(text, beginning))
    parser = _parser()
    try:
        tree = lxml_html.fromstring(text, parser=parser)
    except ValueError:  # a str that declares its encoding: lxml wants bytes
        tree = None
    except etree.ParserError:  # "Document is empty": markup without a single element
        return None
    if tree is None or len(tree) < 1:
        try:
            tree = lxml_html.fromstring(text.encode("utf-8", "surrogatepass"), parser=parser)
        except etree.ParserError:
            return None
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def extract_html(html: str, url: str | None = None) -> Document:
    """The article of an HTML page: metadata from the page's own tags, body via trafilatura.

    The body is the part that decides "did it change?", so it is extracted with settings that
    give the same answer for the same article whatever surrounds it: no duplicate cache, no
    language or size heuristics that depend on other calls, page furniture pruned first and
    furniture labels dropped after.
    """
    if not html.strip():
        raise ExtractError("empty page")
    if len(html) > MAX_HTML_CHARS:
        raise ExtractError(f"page too large ({len(html) // 1_000_000} MB of markup)")
    try:
        tree = parse_html(html)
    except Exception as exc:  # lxml raises many kinds on hostile markup
        raise ExtractError(f"could not parse page: {exc.__class__.__name__}") from None
    if tree is None:
        raise ExtractError("not an HTML page")
    if any(n > MAX_ELEMENTS for n, _ in enumerate(tree.iter(), 1)):
        raise ExtractError(f"page has more than {MAX_ELEMENTS:,} elements")
    meta = page_metadata(tree)
    site = host(meta.canonical_url or url)
    steady_names(tree)
    prune_furniture(tree)
    prune_promos(tree, site)
    try:
        text = article_text(tree, url)
    except Exception as exc:  # trafilatura raises many kinds on hostile markup
        raise ExtractError(f"could not extract article: {exc.__class__.__name__}") from None
    blocks = block_texts(tree)
    lines = continued_article(blocks, text.split("\n"))
    lines = recover_blocks(blocks, drop_teasers(blocks, lines, site), site)
    found = fallback_metadata(tree, url, meta)  # last: it may clean the tree it reads
    title = meta.title or found.get("title")
    paragraphs = body_paragraphs(lines, title, meta.headlines)
    if not paragraphs and not title:
        raise ExtractError("no article text found on the page")
    return Document.build(
        title=title,
        byline=meta.byline or found.get("author"),
        published=meta.published or found.get("date"),
        updated=meta.updated,
        canonical_url=meta.canonical_url or found.get("url") or url,
        language=meta.language,
        paragraphs=paragraphs,
    )


def article_text(tree: Any, url: str | None) -> str:
    """trafilatura's article text, one paragraph per line ("" when it finds none).

    Fast mode first: without the readability and jusText comparison it is 3 ms per page cheaper
    and on the corpus slightly better. But when its own extractor comes up short, fast mode
    settles for the whole page's text (menus, tag clouds, archive counts: a false version with
    every new post on the site); then the full cascade runs, comparison included.
    """
    import trafilatura

    options: dict[str, Any] = {
        "url": url,
        "with_metadata": False,  # the page's own tags first: see fallback_metadata
        "include_comments": False,
        "include_tables": True,
        "include_images": False,
        "deduplicate": False,
        "favor_precision": False,
    }
    result = trafilatura.bare_extraction(tree, fast=True, **options)
    if result is None or not result.text or _whole_page(result.body):
        result = trafilatura.bare_extraction(tree, fast=False, **options)
    return (result.text or "") if result is not None else ""


def _whole_page(body: Any) -> bool:
    """trafilatura's last resort, the page's text in one paragraph, line after line."""
    return (
        body is not None and len(body) == 1 and body[0].tag == "p" and "\n" in (body[0].text or "")
    )
