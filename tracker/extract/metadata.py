"""What the page says about itself: headline, byline, dates, canonical URL, language."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tracker.document import tidy


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


def _page_title(tree: Any) -> Any | None:
    """The page's `<title>`: in the head, or where a broken head left it (not an svg's)."""
    found = tree.find(".//head/title")
    if found is not None:
        return found
    for el in tree.iter("title"):
        if not any(a.tag in ("svg", "symbol") for a in el.iterancestors()):
            return el
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
    title_el = _page_title(tree)
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
