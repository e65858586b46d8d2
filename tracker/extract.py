"""Bytes and a content type in, a Document out: the article, not the page around it.

HTML goes through trafilatura (article body plus the page's own metadata); plain text, Markdown
and JSON are passed through with light parsing, for documents pushed in by hand or by API.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from tracker.document import Document, normalize, split_paragraphs, tidy

TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown")
HTML_TYPES = ("text/html", "application/xhtml+xml")
JSON_TYPES = ("application/json",)
KNOWN_TYPES = HTML_TYPES + TEXT_TYPES + JSON_TYPES


class ExtractError(ValueError):
    """The bytes could not be turned into a Document; the message says why."""


def media_type(content_type: str | None) -> str:
    """`text/html; charset=utf-8` -> `text/html`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.I)
    return match.group(1).lower() if match else None


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def decode(body: bytes, content_type: str | None = None) -> str:
    """Decode page bytes: a BOM, then valid UTF-8, then the declared charsets, then detection.

    Valid UTF-8 wins over a declared single-byte charset because servers mislabel pages far
    more often than Latin-1 text happens to be valid UTF-8; UTF-16 is taken from a BOM, the
    declaration, or the zero bytes that ASCII markup leaves in it.
    """
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, errors="replace")
    declared: list[str] = []
    if header := charset_of(content_type):
        declared.append(header)
    if match := _META_CHARSET.search(body[:4096]):
        declared.append(match.group(1).decode("ascii", "ignore").lower())
    head = body[:4096]
    if head.count(0) * 4 > len(head) > 0:
        wide = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        declared.insert(0, wide)
    for enc in declared:
        if enc.startswith(("utf-16", "utf-32")):
            with contextlib.suppress(LookupError, UnicodeDecodeError):
                return body.decode(enc)
    with contextlib.suppress(UnicodeDecodeError):
        return body.decode("utf-8")
    for enc in declared:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return body.decode(enc)
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def _looks_binary(text: str) -> bool:
    """Control characters in more than 1 of 20 characters of the start: not a document."""
    sample = text[:20_000]
    return bool(sample) and len(_BINARY.findall(sample)) * 20 > len(sample)


_BINARY = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def sniff(body: bytes, filename: str | None = None) -> str:
    """Guess a media type for bytes given without one (files handed to `tracker ingest`)."""
    name = (filename or "").lower()
    if name.endswith((".html", ".htm", ".xhtml")):
        return "text/html"
    if name.endswith((".md", ".markdown")):
        return "text/markdown"
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".txt"):
        return "text/plain"
    raw = body[:4096]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw.count(0) * 4 > len(raw):
        raw = decode(raw[: len(raw) // 2 * 2]).encode("utf-8", "replace")
    head = raw[:1024].lstrip(b" \t\r\n\xef\xbb\xbf").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in raw.lower():
        return "text/html"
    if head.startswith((b"{",)):
        return "application/json"
    return "text/plain"


def extract(body: bytes, content_type: str | None = None, url: str | None = None) -> Document:
    """Turn fetched or supplied bytes into a Document, or raise ExtractError."""
    if not body.strip():
        raise ExtractError("empty document")
    kind = media_type(content_type) or sniff(body)
    if kind not in KNOWN_TYPES:
        raise ExtractError(
            f"unsupported content type {kind!r} (expected one of {', '.join(KNOWN_TYPES)})"
        )
    text = decode(body, content_type)
    if _looks_binary(text):
        raise ExtractError("binary data, not a document")
    if kind in HTML_TYPES:
        return extract_html(text, url)
    if kind in JSON_TYPES:
        return extract_json(text)
    if kind in ("text/markdown", "text/x-markdown"):
        return extract_markdown(text)
    return Document.from_text(text)


def extract_markdown(text: str) -> Document:
    """A leading `# Heading` is the title; the rest is paragraphs separated by blank lines."""
    lines = text.replace("\r\n", "\n").split("\n")
    title = None
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if match := re.match(r"#\s+(.+?)\s*#*\s*$", line):
            title = match.group(1)
            lines = lines[i + 1 :]
        break
    return Document.build(title=title, paragraphs=split_paragraphs("\n".join(lines)))


_JSON_FIELDS = ("title", "byline", "published", "updated", "canonical_url", "language")


def extract_json(text: str) -> Document:
    """`{"title": ..., "text": ...}` or `{"paragraphs": [...]}`, plus optional metadata fields."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise ExtractError("JSON document must be an object with 'text' or 'paragraphs'")
    meta: dict[str, str | None] = {}
    for key in _JSON_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ExtractError(f"JSON field {key!r} must be a string")
        meta[key] = value
    if "paragraphs" in data:
        paras = data["paragraphs"]
        if not isinstance(paras, list) or not all(isinstance(p, str) for p in paras):
            raise ExtractError("JSON field 'paragraphs' must be a list of strings")
        return Document.build(paragraphs=paras, **meta)
    body = data.get("text")
    if not isinstance(body, str):
        raise ExtractError("JSON document needs a string 'text' or a list 'paragraphs'")
    return Document.build(paragraphs=split_paragraphs(body), **meta)


# Text that labels page furniture rather than saying anything: when one of these is a paragraph
# of its own it is an ad slot, a box heading or a counter, and it changes without the story.
_FURNITURE = re.compile(
    r"^(?:advertisement|advertising|advert|sponsored(?: content)?|ad|anzeige|publicité|publicidad"
    r"|story continues below(?: advertisement)?|continue reading(?: below)?|read more|read next"
    r"|related(?: stories| articles| content| coverage| links)?|more from .{1,40}|see also"
    r"|recommended(?: for you)?|trending(?: now)?"
    r"|share(?: this)?(?: article| story| page)?(?: (?:on|via) [\w ]{1,20})?"
    r"|[\d.,]+[km]?\s*(?:comments?|replies|responses|shares|views|likes)"
    r"|(?:comments?|replies|responses|shares|views|likes)\s*[:(]?\s*[\d.,]+[km]?\)?)$",
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
MAX_HTML_CHARS = 20_000_000


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


def parse_html(text: str) -> Any | None:
    """The page's tree, or None when the text is not HTML (as trafilatura's `load_html`)."""
    from lxml import html as lxml_html
    from trafilatura.utils import is_dubious_html, repair_faulty_html

    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
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
    meta = page_metadata(tree)
    prune_furniture(tree)
    try:
        text = article_text(tree, url)
    except Exception as exc:  # trafilatura raises many kinds on hostile markup
        raise ExtractError(f"could not extract article: {exc.__class__.__name__}") from None
    blocks = block_texts(tree)
    lines = continued_article(blocks, text.split("\n"))
    site = _host(meta.canonical_url or url)
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


def fallback_metadata(tree: Any, url: str | None, meta: PageMeta) -> dict[str, Any]:
    """trafilatura's metadata, read only for a page whose own tags leave a field empty.

    trafilatura finds bylines and dates in the visible page (and through htmldate) where no tag
    carries them, but that search costs as much as a fifth of the whole extraction; two pages in
    three name everything in their tags and skip it.
    """
    if meta.title and meta.byline and meta.published and meta.canonical_url:
        return {}
    from trafilatura.metadata import extract_metadata

    try:
        found = extract_metadata(tree, url, date_config=dict(_DATE_PARAMS), extensive=False)
    except Exception:  # metadata is a bonus: a failure here must not cost the article
        return {}
    return found.as_dict()


_DATE_PARAMS = {"extensive_search": False, "original_date": True}


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


_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")

Blocks = list[tuple[Any, str]]


def block_texts(tree: Any) -> Blocks:
    """Every paragraph-like element of the page with its normal-form text, in document order.

    The steps after trafilatura all match its lines against these; reading them once saves
    each step a pass over the page.
    """
    return [(el, normalize(el.text_content())) for el in tree.iter(*_BLOCKS)]


def _wanted(lines: Sequence[str], shortest: int = 1) -> set[str]:
    return {plain for plain in map(normalize, lines) if len(plain) >= shortest}


def continued_article(blocks: Blocks, lines: list[str]) -> list[str]:
    """trafilatura's lines plus the rest of an article split into sibling chunks.

    Some sites cut the article into several containers of the same kind with ad rails
    between them; trafilatura keeps the first. The container holding most of the extracted
    paragraphs is found, and its twins under the same grandparent (same tag and class) are
    read in document order, so that an edit anywhere in the article is seen.
    """
    wanted = _wanted(lines)
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
    wanted = _wanted(lines)
    teasers = {text for el, text in blocks if text in wanted and _is_teaser(el, site)}
    return [x for x in lines if normalize(x) not in teasers] if teasers else lines


def article_container(blocks: Blocks, lines: Sequence[str]) -> Any | None:
    """The element that directly holds most of the paragraphs trafilatura kept, or None."""
    wanted = _wanted(lines, shortest=2)
    parents: Counter[Any] = Counter()
    for el, text in blocks:
        if text in wanted and el.getparent() is not None:
            parents[el.getparent()] += 1
    if not parents:
        return None
    best = parents.most_common(1)[0][0]
    return None if best.tag in ("html", "body") else best


_CAPTION_CLASS = re.compile(r"caption|credit", re.IGNORECASE)


def _host(url: str | None) -> str:
    """A URL's host without `www.`, lower-cased ("" for a relative link)."""
    match = re.match(r"(?:[a-z][\w+.-]*:)?//([^/?#:]+)", (url or "").strip(), re.IGNORECASE)
    return match.group(1).lower().removeprefix("www.") if match else ""


def _same_site(host: str, site: str) -> bool:
    """Relative links, the site's own host, its subdomains and its parent domain are the site."""
    if not host or not site:
        return True
    return host == site or host.endswith("." + site) or site.endswith("." + host)


def _internal_links(el: Any, site: str) -> set[str]:
    """The other pages of the same site that `el` links to (query and fragment ignored)."""
    out = set()
    for link in el.iter("a"):
        href = (link.get("href") or "").strip()
        if (
            href
            and not href.startswith(("#", "javascript:", "mailto:"))
            and _same_site(_host(href), site)
        ):
            out.add(re.split(r"[?#]", href, maxsplit=1)[0].rstrip("/").lower())
    return out


def _is_teaser(el: Any, site: str) -> bool:
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
        and all(_same_site(_host(a.get("href")), site) for a in links)
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


# Recovered blocks that are not the story: a time stamp or dateline line (it changes on its
# own), markup shown as text by a broken CMS; and what may stand before the first paragraph
# must read as prose, not as a byline or a kicker.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_STAMP = re.compile(
    rf"^(?:(?:published|updated|posted|last updated|modified)\b.{{0,60}}"
    rf"|[^.!?]{{0,40}}\b\d{{1,2}}:\d{{2}}\s*(?:[ap]\.?m\.?)?\s*[A-Z]{{0,4}}"
    rf"|(?:\w+,? )?(?:{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}} {_MONTH},? \d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}).{{0,20}})$",
    re.IGNORECASE,
)
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
        if text in joined or _STAMP.search(text) or _MARKUP.search(text):
            continue
        if unit not in boxes:
            boxes[unit] = unit is not container and len(_internal_links(unit, site)) >= 2
        if not boxes[unit] and not _is_teaser(element, site):
            pending.append(block)
    if not any(inserts.values()):
        return lines
    merged: list[str] = list(inserts.get(-1, []))
    for i, line in enumerate(lines):
        merged.append(line)
        merged.extend(inserts.get(i, []))
    return merged


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
            or _FURNITURE.match(plain)
            or _STAMP.match(plain)
        ):
            continue
        out.append(line)
    return out


@dataclass(frozen=True)
class PageMeta:
    """What the page says about itself in its own tags: `<h1>`, `<meta>`, JSON-LD, `<link>`."""

    title: str | None = None
    headlines: tuple[str, ...] = ()
    byline: str | None = None
    published: str | None = None
    updated: str | None = None
    canonical_url: str | None = None
    language: str | None = None


_ARTICLE_TYPES = re.compile(r"article|posting|report|newsarticle|webpage|creativework", re.I)


def _json_ld(tree: Any) -> list[dict[str, Any]]:
    """The JSON-LD objects of the page, flattened out of lists and `@graph`, articles first."""
    found: list[dict[str, Any]] = []

    def walk(node: Any, depth: int = 0) -> None:
        if depth > 6:
            return
        if isinstance(node, list):
            for item in node:
                walk(item, depth + 1)
        elif isinstance(node, dict):
            found.append(node)
            walk(node.get("@graph"), depth + 1)

    for script in tree.iterfind(".//script[@type]"):
        if "ld+json" not in script.get("type", "").lower() or not script.text:
            continue
        try:
            walk(json.loads(script.text))
        except (ValueError, RecursionError):
            continue

    def is_article(obj: dict[str, Any]) -> bool:
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        return any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds)

    return sorted(found, key=lambda obj: not (is_article(obj) and "headline" in obj))


def _names(value: Any) -> list[str]:
    """Author names out of JSON-LD's string / object / list forms."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _similar(a: str, b: str) -> bool:
    """Two titles agree when they share half the words of the longer (site names are short)."""
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) >= 0.5 * max(len(wa), len(wb))


def _first(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and tidy(value):
            return tidy(value)
    return None


def page_metadata(tree: Any) -> PageMeta:
    """Headline, byline, dates, canonical URL and language, from the page's own markup.

    The headline is the visible `<h1>` that agrees with the page's metadata title (a reader
    sees the `<h1>`, and a newsroom that rewrites only it has still changed the headline);
    without one, the JSON-LD headline, `og:title`, `twitter:title`, then `<title>`.
    """
    meta: dict[str, str] = {}
    for el in tree.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key and key not in meta and el.get("content"):
            meta[key] = el.get("content")
    items: dict[str, str] = {}
    for el in tree.iterfind(".//*[@itemprop]"):
        key = el.get("itemprop", "").lower()
        value = el.get("content") or el.get("datetime") or el.text_content()
        if key not in items and value and value.strip():
            items[key] = value
    ld = _json_ld(tree)
    ld_article = ld[0] if ld else {}
    title_el = tree.find(".//head/title")
    meta_titles = [
        t
        for t in (
            _first(ld_article.get("headline")),
            _first(meta.get("og:title")),
            _first(meta.get("twitter:title")),
            _first(title_el.text_content() if title_el is not None else None),
        )
        if t
    ]
    h1s = [tidy(h.text_content()) for h in tree.iterfind(".//body//h1")]
    h1s = [h for h in h1s if len(h.split()) >= 2]
    title = next((h for h in h1s if any(_similar(h, m) for m in meta_titles)), None)
    title = title or (meta_titles[0] if meta_titles else None) or (h1s[0] if h1s else None)
    authors = _names(ld_article.get("author"))
    byline = ", ".join(dict.fromkeys(tidy(a) for a in authors if tidy(a))) or _first(
        meta.get("author"), meta.get("byl"), meta.get("sailthru.author"), items.get("author")
    )
    if byline and re.match(r"https?://", byline):
        byline = None
    canonical = None
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in link.get("rel", "").lower().split() and link.get("href"):
            canonical = link.get("href").strip()
            break
    html_el = tree if tree.tag == "html" else tree.getroottree().getroot()
    return PageMeta(
        title=title,
        headlines=tuple(
            dict.fromkeys(
                [*(h for h in h1s if any(_similar(h, m) for m in meta_titles)), *meta_titles]
            )
        ),
        byline=byline,
        published=_first(
            ld_article.get("datePublished"),
            meta.get("article:published_time"),
            items.get("datepublished"),
            meta.get("date"),
            meta.get("pubdate"),
        ),
        updated=_first(
            ld_article.get("dateModified"),
            meta.get("article:modified_time"),
            meta.get("og:updated_time"),
            items.get("datemodified"),
            meta.get("last-modified"),
        ),
        canonical_url=canonical or _first(meta.get("og:url")),
        language=_first(html_el.get("lang"), meta.get("content-language"), meta.get("og:locale")),
    )
