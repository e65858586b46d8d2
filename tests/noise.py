"""Edited copies of real pages: noise a reader would not call a change, and story edits they would.

Change detection is only as good as its behaviour on real markup, so every edit here is made on
the raw HTML of a corpus page, the way a CMS or an ad server would make it: text and tags are
spliced into the page source, nothing is re-serialised. Article text is located through the
corpus's hand-made article body (the gold text), so story edits land in the real article markup.

NOISE variants change what surrounds the article (clocks, boxes, navigation, scripts, ids and
classes, tokens, ad slots, asset URLs, comment counts): each must keep the fingerprint.
STORY variants change what a reader reads (a word, a digit, a paragraph added or removed, the
headline): each must change it. Edits are chosen with a random generator seeded by the page key,
so every run edits the same places and a failure can be reproduced.
"""

from __future__ import annotations

import html as htmllib
import random
import re
from collections import Counter
from dataclasses import dataclass

from tracker.document import normalize

# One lexical piece of an HTML source: a comment, a raw-text element whole, a tag, or text.
_TOKEN = re.compile(
    r"<!--.*?(?:-->|$)"
    r"|<(script|style|noscript|template|textarea|title)\b[^>]*>.*?(?:</\1\s*>|$)"
    r"|<[!?/]?[a-zA-Z][^>]*>?"
    r"|[^<]+|<",
    re.S | re.I,
)
_ENTITY = re.compile(r"&#?\w+;?")
_WORD = re.compile(r"(?<![\w&#])[^\W\d_]{4,}(?![\w;])")
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’»)]\s*$|[.!?]\s")

NEW_PARAGRAPH = (
    "Officials said on Tuesday that the review would be extended to 12 more districts, "
    "according to a statement released after the meeting."
)


@dataclass(frozen=True)
class Segment:
    """A run of text between two tags of the page source, with its place in the source."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Variant:
    """An edited copy of a page: `kind` is "noise" (must not register) or "story" (must)."""

    name: str
    kind: str
    html: str


def text_segments(page: str) -> list[Segment]:
    """Every visible-text run of the body, in source order (scripts, styles, head skipped)."""
    body = re.search(r"<body\b", page, re.I)
    start = body.start() if body else 0
    segments = []
    for match in _TOKEN.finditer(page, start):
        raw = match.group(0)
        if raw.startswith("<") and len(raw) > 1:
            continue
        text = normalize(htmllib.unescape(raw))
        if text:
            segments.append(Segment(match.start(), match.end(), text))
    return segments


def article_segments(page: str, gold: str) -> list[Segment]:
    """Text runs that are whole sentences of the gold article and occur once on the page.

    A run must read like prose (eight words or more, ending a sentence somewhere) so that
    headline lists the gold text happens to include are not mistaken for the article.
    """
    segments = text_segments(page)
    counts = Counter(s.text for s in segments)
    gold_text = normalize(gold)
    return [
        s
        for s in segments
        if counts[s.text] == 1
        and len(s.text.split()) >= 8
        and _SENTENCE_END.search(s.text)
        and s.text in gold_text
    ]


def _outside_entities(raw: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    spans = [m.span() for m in _ENTITY.finditer(raw)]
    return [m for m in pattern.finditer(raw) if not any(a <= m.start() < b for a, b in spans)]


def _splice(page: str, start: int, end: int, new: str) -> str:
    return page[:start] + new + page[end:]


def _paragraph_end(page: str, seg: Segment) -> int:
    """Where the block holding `seg` closes: after its `</p>`, or right after the text."""
    close = re.compile(r"</p\s*>", re.I).search(page, seg.end, seg.end + 3000)
    opener = re.compile(r"<p[\s>]", re.I).search(page, seg.end, close.start() if close else 0)
    if close and not opener:
        return close.end()
    return seg.end


# ---- story edits: each returns the edited page, or None when the page offers no place for it


def edit_word(page: str, seg: Segment, rng: random.Random) -> str | None:
    raw = page[seg.start : seg.end]
    words = _outside_entities(raw, _WORD)
    if not words:
        return None
    word = rng.choice(words)
    new = "meanwhile" if word.group(0).lower() != "meanwhile" else "however"
    return _splice(page, seg.start + word.start(), seg.start + word.end(), new)


def edit_digit(page: str, segments: list[Segment], rng: random.Random) -> str | None:
    with_digits = [s for s in segments if _outside_entities(page[s.start : s.end], _DIGIT)]
    if not with_digits:
        return None
    seg = rng.choice(with_digits)
    digit = rng.choice(_outside_entities(page[seg.start : seg.end], _DIGIT))
    new = str((int(digit.group(0)) + 1) % 10)
    return _splice(page, seg.start + digit.start(), seg.start + digit.end(), new)


def add_paragraph(page: str, seg: Segment, rng: random.Random) -> str | None:
    at = _paragraph_end(page, seg)
    return _splice(page, at, at, f"<p>{NEW_PARAGRAPH}</p>")


def remove_paragraph(page: str, seg: Segment, rng: random.Random) -> str | None:
    """Drop the `<p>` holding `seg` whole; where the text is not in one, drop the text run."""
    opener = None
    for m in re.finditer(r"<p[\s>]", page[max(0, seg.start - 3000) : seg.start], re.I):
        opener = m
    close = re.compile(r"</p\s*>", re.I).search(page, seg.end, seg.end + 3000)
    if opener and close:
        start = max(0, seg.start - 3000) + opener.start()
        inner = page[start : close.end()]
        if len(re.findall(r"<p[\s>]", inner, re.I)) == 1 and len(re.findall(r"</p", inner)) == 1:
            return _splice(page, start, close.end(), "")
    return _splice(page, seg.start, seg.end, "")


_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | re.I)
_RAW_TEXT = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.S | re.I)
_META_TITLE = (
    r"<meta[^>]+(?:property|name)=[\"'](?:og:title|twitter:title)[\"'][^>]*content=\"([^\"]*)",
    r"<meta[^>]+content=\"([^\"]*)\"[^>]*(?:property|name)=[\"'](?:og:title|twitter:title)",
    r"<title\b[^>]*>(.*?)</title",
    r"\"headline\"\s*:\s*\"((?:[^\"\\]|\\.)*)\"",
)


def _plain(raw: str) -> str:
    return normalize(htmllib.unescape(re.sub(r"<[^>]+>", " ", raw)))


def _agrees(a: str, b: str) -> bool:
    """Two titles agree when they share at least half the words of the longer one."""
    wa, wb = set(re.findall(r"\w+", a.casefold())), set(re.findall(r"\w+", b.casefold()))
    return bool(wa and wb) and len(wa & wb) >= 0.5 * max(len(wa), len(wb))


def _masked(page: str) -> str:
    """The page with script, style and template bodies blanked out, offsets kept."""
    return _RAW_TEXT.sub(lambda m: " " * len(m.group(0)), page)


def _metadata_places(page: str) -> list[tuple[int, int]]:
    """Where the page's title tags hold the headline (in the head: an svg has titles too)."""
    body = re.search(r"<body\b", page, re.I)
    head_end = body.start() if body else len(page)
    spans = [m.span(1) for p in _META_TITLE for m in re.finditer(p, page, re.S | re.I)]
    return [s for s in spans if s[1] <= head_end or page[s[0] - 1] == '"']


def headline_of(page: str) -> re.Match[str] | None:
    """The page's visible headline: an `<h1>` that agrees with the page's own title tags."""
    titles = [_plain(page[a:b]) for a, b in _metadata_places(page)]
    for m in _H1.finditer(_masked(page)):
        text = _plain(m.group(1))
        if len(text.split()) >= 2 and any(_agrees(text, t) for t in titles):
            return m
    return None


def _replace_in_text(raw: str, pattern: re.Pattern[str], new: str) -> str:
    """Replace the first match of `pattern` in the text of `raw`, never inside a tag."""
    parts = re.split(r"(<[^>]*>)", raw)
    for i, part in enumerate(parts):
        if not part.startswith("<") and pattern.search(part):
            parts[i] = pattern.sub(new, part, count=1)
            break
    return "".join(parts)


def edit_headline(page: str, rng: random.Random, everywhere: bool) -> str | None:
    """Change one word of the headline: in the `<h1>` only, or also in title and metadata.

    `everywhere` is what a newsroom does (visible headline, `<title>`, og/twitter titles,
    JSON-LD, and any other visible copy of the headline); without it only the `<h1>`
    changes, as when the SEO title is left alone.
    """
    h1 = headline_of(page)
    places = [h1.span(1)] if h1 else []
    if everywhere:
        meta = _metadata_places(page)
        titles = {_plain(page[a:b]) for a, b in meta}
        places += meta + [(s.start, s.end) for s in text_segments(page) if s.text in titles]
    places = [
        p for p in places if not any(q != p and q[0] <= p[0] and p[1] <= q[1] for q in places)
    ]
    if not places:
        return None
    first = page[places[0][0] : places[0][1]]
    words = [
        m.group(0) for part in re.split(r"<[^>]*>", first) for m in _outside_entities(part, _WORD)
    ]
    if not words:
        return None
    word = rng.choice(words)
    pattern = re.compile(rf"(?<![\w&#]){re.escape(word)}(?![\w;])")
    for start, end in sorted(set(places), reverse=True):
        page = page[:start] + _replace_in_text(page[start:end], pattern, "Meanwhile") + page[end:]
    return page


# ---- noise edits: each returns the edited page


def _insert_after_tag(page: str, tag: str, new: str) -> str | None:
    m = re.search(rf"<{tag}\b[^>]*>", page, re.I)
    return _splice(page, m.end(), m.end(), new) if m else None


def _insert_before_close(page: str, tag: str, new: str) -> str | None:
    closes = list(re.finditer(rf"</{tag}\s*>", page, re.I))
    return _splice(page, closes[-1].start(), closes[-1].start(), new) if closes else None


def _add_footer(page: str, inner: str) -> str:
    """A site footer holding `inner`, for pages that have none (every site has one)."""
    footer = f'<footer class="site-footer">{inner}</footer>'
    return _insert_before_close(page, "body", footer) or page + footer


def _token(rng: random.Random, n: int = 32) -> str:
    return "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(n))


def _clock(rng: random.Random) -> str:
    return f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d} {rng.choice(['AM', 'PM'])} ET"


def noise_clocks(page: str, rng: random.Random) -> str:
    """Clocks in the masthead and footer, bumped "modified" stamps in metadata and JSON-LD."""
    bar = f'<div class="masthead-clock">Tuesday, November 19, 2019 · {_clock(rng)}</div>'
    page = (
        _insert_after_tag(page, "header", bar)
        or _insert_after_tag(page, "body", f'<header class="masthead">{bar}</header>')
        or page
    )
    foot = f'<p class="generated">Page generated at {_clock(rng)} · Weather 14°C</p>'
    page = _insert_before_close(page, "footer", foot) or _add_footer(page, foot)
    stamp = f"2019-11-2{rng.randint(0, 9)}T{rng.randint(10, 23)}:{rng.randint(10, 59)}:00Z"
    page = re.sub(r"(\"dateModified\"\s*:\s*\")[^\"]*", rf"\g<1>{stamp}", page)
    page = re.sub(
        r"(<meta[^>]+(?:article:modified_time|og:updated_time)[\"'][^>]*content=\")[^\"]*",
        rf"\g<1>{stamp}",
        page,
    )
    return page


def noise_chrome(page: str, rng: random.Random) -> str:
    """New navigation entries, new footer text, a comment count and a related-stories box."""
    nav = '<ul class="nav-extra"><li><a href="/podcasts">Podcasts</a></li>'
    nav += f'<li><a href="/live">Live: markets at {_clock(rng)}</a></li></ul>'
    page = (
        _insert_after_tag(page, "nav", nav)
        or _insert_after_tag(page, "body", f'<nav class="site-nav">{nav}</nav>')
        or page
    )
    foot = f"<p>© 20{rng.randint(30, 39)} Example Media Group. Build {_token(rng, 7)}.</p>"
    page = _insert_before_close(page, "footer", foot) or _add_footer(page, foot)
    count = f'<a class="comment-count" href="#comments">{rng.randint(2, 900)} Comments</a>'
    h1_close = re.search(r"</h1\s*>", page, re.I)
    if h1_close:
        page = _splice(page, h1_close.end(), h1_close.end(), count)
    box = (
        '<div class="related-stories"><h3>More from News</h3><ul>'
        + "".join(
            f'<li><a href="/news/story-{rng.randint(1000, 9999)}">{title}</a></li>'
            for title in (
                "Council approves new budget after long debate",
                "Storm warning issued for the coast this weekend",
                "Local team wins the regional championship",
            )
        )
        + "</ul></div>"
    )
    footer = page.lower().rfind("<footer")
    if footer >= 0:
        return _splice(page, footer, footer, box)
    return _add_footer(page, box)


def noise_in_article(page: str, segments: list[Segment], rng: random.Random) -> str:
    """An ad slot between two article paragraphs and a "read more" box after the last one."""
    if not segments:
        return page
    ad = (
        f'<div class="ad-slot" id="div-gpt-ad-{rng.randint(10**9, 10**10)}" '
        'data-ad-unit="/1234/news/article"><span class="ad-label">Advertisement</span></div>'
    )
    box = (
        '<div class="related-links"><h4>Read more</h4><ul>'
        f'<li><a href="/news/{rng.randint(1000, 9999)}">Five things to know this week</a></li>'
        "</ul></div>"
    )
    last = _paragraph_end(page, segments[-1])
    page = _splice(page, last, last, box)
    at = _paragraph_end(page, segments[len(segments) // 2])
    return _splice(page, at, at, ad)


def _regenerate(names: str, rng: random.Random) -> str:
    """Generated class and id names (`css-1q2w3e`, `ember123`, `jsx-2117794680`) re-rolled."""
    return re.sub(
        r"[\w-]*\d[\w-]*",
        lambda m: re.sub(r"\d", lambda _d: str(rng.randint(0, 9)), m.group(0)),
        names,
    )


def noise_markup(page: str, rng: random.Random) -> str:
    """Regenerated ids and classes, page-state classes, new script bodies, fresh CSRF tokens
    and nonces, new asset versions."""
    page = re.sub(
        r"(<[a-zA-Z][^<>]*?\s(?:class|id)=\")([^\"]*)\"",
        lambda m: m.group(1) + _regenerate(m.group(2), rng) + '"',
        page,
    )
    state = f"js-loaded session-{_token(rng, 6).lower()}"
    for tag in ("body", "html"):
        m = re.search(rf"<{tag}\b[^>]*>", _masked(page), re.I)
        if m:
            attrs = re.sub(r"\bclass=\"", f'class="{state} ', m.group(0), count=1)
            if attrs == m.group(0):
                attrs = f'<{tag} class="{state}"' + m.group(0)[len(tag) + 1 :]
            page = _splice(page, m.start(), m.end(), attrs)
    page = re.sub(
        r"(<script\b(?![^>]*\bsrc=)(?![^>]*ld\+json)[^>]*>)",
        rf"\g<1>window.__rev='{_token(rng)}';",
        page,
        flags=re.I,
    )
    page = re.sub(
        r"(<input\b[^>]*type=[\"']hidden[\"'][^>]*\bvalue=[\"'])[^\"']*",
        rf"\g<1>{_token(rng)}",
        page,
        flags=re.I,
    )
    page = re.sub(r"<script\b", f'<script nonce="{_token(rng, 16)}"', page, flags=re.I)
    meta = f'<meta name="csrf-token" content="{_token(rng)}">'
    page = _insert_after_tag(page, "head", meta) or page
    form = (
        '<form action="/newsletter" method="post">'
        f'<input type="hidden" name="csrf_token" value="{_token(rng)}"></form>'
    )
    page = _insert_before_close(page, "body", form) or page
    return re.sub(
        r"((?:src|href)=[\"'][^\"'?#\s]+\.(?:js|css|png|jpe?g|gif|svg|webp|woff2?))(\?[^\"']*)?",
        rf"\g<1>?v={_token(rng, 10)}",
        page,
        flags=re.I,
    )


def variants(page: str, gold: str, key: str) -> list[Variant]:
    """The noise and story variants of one page (story ones only where the page allows them).

    Each variant draws from its own generator, seeded by page key and variant name, so adding
    or dropping one variant never moves the edits of another.
    """

    def rng(name: str) -> random.Random:
        return random.Random(f"{key}:{name}")

    segments = article_segments(page, gold)
    out = [
        Variant("noise:clocks", "noise", noise_clocks(page, rng("clocks"))),
        Variant("noise:chrome", "noise", noise_chrome(page, rng("chrome"))),
        Variant("noise:markup", "noise", noise_markup(page, rng("markup"))),
    ]
    if segments:
        inside = noise_in_article(page, segments, rng("in-article"))
        out.append(Variant("noise:in-article", "noise", inside))
        every = rng("all")
        combined = noise_markup(noise_chrome(noise_clocks(page, every), every), every)
        combined = noise_in_article(combined, article_segments(combined, gold), every)
        out.append(Variant("noise:all", "noise", combined))
    story: list[tuple[str, str | None]] = [
        ("story:headline", edit_headline(page, rng("headline"), everywhere=True)),
        ("story:headline-h1", edit_headline(page, rng("headline-h1"), everywhere=False)),
        ("story:digit", edit_digit(page, segments, rng("digit"))),
    ]
    if segments:
        word, added, removed = rng("word"), rng("added"), rng("removed")
        story += [
            ("story:word", edit_word(page, word.choice(segments), word)),
            ("story:paragraph-added", add_paragraph(page, added.choice(segments), added)),
            ("story:paragraph-removed", remove_paragraph(page, removed.choice(segments), removed)),
        ]
    out += [Variant(name, "story", html) for name, html in story if html is not None]
    return out
