"""Discover stories from sitemaps: a site's robots.txt, sitemap indexes, Google News sitemaps.

Most news sites publish a news sitemap (articles of the last two days, each with its title and
publication date), often more complete than their RSS. A sitemap is followed like a feed: each
poll tracks the articles not seen yet. Everything here is hostile input:

- XML is read with defusedxml (no DTDs, no entities: no billion laughs, no external files);
- a `.gz` sitemap is inflated with a cap on its size (no gzip bombs);
- an index is followed at most `MAX_DEPTH` levels deep, `MAX_CHILDREN` children per poll (the
  newest first, by `lastmod`), and never twice in one poll (no loops);
- at most `MAX_URLS` entries are read from one document, and only http(s) links on the sitemap's
  own site are kept, so a sitemap cannot make storydiff track someone else's pages;
- every fetch goes through the same guarded, polite `Fetcher` as story pages.

Which entries are taken: a news sitemap's articles published in the last `RECENT_DAYS` days (all
of them when they carry no date), and from an ordinary sitemap only URLs whose `lastmod` is that
recent: a site's whole archive is never imported.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from tracker import clock
from tracker.fetch import Fetcher, FetchError
from tracker.urls import BadURL, normalize, site

MAX_DEPTH = 3
MAX_CHILDREN = 20
MAX_URLS = 50_000
MAX_INFLATED = 50 * 1024 * 1024
RECENT_DAYS = 3
NS_SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NS_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


class SitemapError(Exception):
    """The document is no usable sitemap or robots.txt; the message says why in words."""


@dataclass
class Found:
    """What a sitemap (and what it leads to) lists: (url, title) newest first, and a name."""

    title: str | None
    entries: list[tuple[str, str | None]] = field(default_factory=list)
    fetched: int = 0  # documents asked for in this poll (failed ones too), the first included


def looks_like(body: bytes, url: str, content_type: str | None) -> bool:
    """Is this a sitemap or robots.txt rather than an RSS/Atom feed?"""
    if urlsplit(url).path.lower() == "/robots.txt":
        return True
    if body[:2] == b"\x1f\x8b":
        return True
    head = body[:2048].lstrip().lower()
    return b"<urlset" in head or b"<sitemapindex" in head


def read(fetcher: Fetcher, url: str, body: bytes, now: datetime | None = None) -> Found:
    """Everything `url` (already fetched as `body`) lists, following indexes within the caps."""
    moment = now or clock.now()
    home = site(url)
    found = Found(title=f"{home} (sitemap)", fetched=1)
    dated: list[tuple[str, str, str | None]] = []  # (when, url, title)
    seen: set[str] = {url}
    _walk(fetcher, url, body, 0, seen, dated, found, home, moment)
    dated.sort(key=lambda item: item[0], reverse=True)
    urls: set[str] = set()
    for _when, link, title in dated:
        if link not in urls:
            urls.add(link)
            found.entries.append((link, title))
    return found


def _walk(
    fetcher: Fetcher,
    url: str,
    body: bytes,
    depth: int,
    seen: set[str],
    dated: list[tuple[str, str, str | None]],
    found: Found,
    home: str,
    moment: datetime,
) -> None:
    if urlsplit(url).path.lower() == "/robots.txt":
        children = [(link, "") for link in _robots_sitemaps(body, url)]
        if not children:
            raise SitemapError(f"{url} names no sitemap (no 'Sitemap:' line)")
    else:
        root = _parse(_inflate(body, url), url)
        tag = root.tag.removeprefix(NS_SITEMAP)
        if tag == "urlset":
            _take_urls(root, url, dated, home, moment)
            return
        if tag != "sitemapindex":
            raise SitemapError(f"{url} is not a sitemap (its root element is <{tag[:40]}>)")
        children = _index_children(root, url)
    if depth >= MAX_DEPTH:
        return
    children.sort(key=lambda item: item[1], reverse=True)  # newest lastmod first
    for link, _lastmod in children:
        if found.fetched > MAX_CHILDREN or link in seen:
            continue
        seen.add(link)
        found.fetched += 1  # counted before asking: 50,000 children that fail are no way around
        try:
            page = fetcher.get(link)
        except FetchError:
            continue  # one child that fails does not hide the others
        try:
            _walk(fetcher, link, page.body, depth + 1, seen, dated, found, home, moment)
        except SitemapError:
            continue


def _robots_sitemaps(body: bytes, url: str) -> list[str]:
    links = []
    for line in body[: 512 * 1024].decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            link = _clean(value.strip(), url)
            if link:
                links.append(link)
    return links[: MAX_CHILDREN * 5]


def _inflate(body: bytes, url: str) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_INFLATED)
    except zlib.error:
        raise SitemapError(f"{url} is not valid gzip") from None
    if inflater.unconsumed_tail:
        raise SitemapError(f"{url} inflates past {MAX_INFLATED // (1024 * 1024)} MB: refused")
    return data


def _parse(data: bytes, url: str) -> Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise SitemapError(f"{url} declares a DTD or entities: refused") from None
    except Exception as exc:  # expat's ParseError and friends: all mean the same to a reader
        raise SitemapError(f"{url} is not well-formed XML ({exc.__class__.__name__})") from None


def _text(element: Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _index_children(root: Element, url: str) -> list[tuple[str, str]]:
    children = []
    for item in root.findall(f"{NS_SITEMAP}sitemap")[:MAX_URLS]:
        link = _clean(_text(item, f"{NS_SITEMAP}loc"), url)
        if link:
            children.append((link, _text(item, f"{NS_SITEMAP}lastmod")))
    return children


def _take_urls(
    root: Element,
    url: str,
    dated: list[tuple[str, str, str | None]],
    home: str,
    moment: datetime,
) -> None:
    since = moment - timedelta(days=RECENT_DAYS)
    for item in root.findall(f"{NS_SITEMAP}url")[:MAX_URLS]:
        link = _clean(_text(item, f"{NS_SITEMAP}loc"), url)
        if not link or site(link) not in (home, site(url)):
            continue  # a sitemap speaks only for its own site
        news = item.find(f"{NS_NEWS}news")
        when_text = (
            _text(news, f"{NS_NEWS}publication_date")
            if news is not None
            else _text(item, f"{NS_SITEMAP}lastmod")
        )
        when = _when(when_text)
        if when is None and news is None:
            continue  # an ordinary sitemap's undated URL: maybe the whole archive
        if when is not None and when < since:
            continue
        title = _text(news, f"{NS_NEWS}title")[:500] or None
        dated.append((clock.iso(when) if when else "", link, title))


def _when(text: str) -> datetime | None:
    """A W3C date or datetime (2026-11-29, 2026-11-29T08:15:00+01:00) in UTC, or None."""
    if not text or len(text) > 40:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is past the last day Python can hold
        return None


def _clean(link: str, base: str) -> str | None:
    if not link or len(link) > 2048:
        return None
    try:
        return normalize(urljoin(base, link))
    except (BadURL, ValueError):
        return None
