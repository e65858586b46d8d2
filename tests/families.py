"""The harder variant families: the failure classes still seen on real pages, each made worse.

tests/noise.py makes the first families (clocks, chrome, markup, an ad slot, word and digit
edits). These are the classes that still broke change detection on real pages, as families of
their own so each is counted apart:

- `noise:attr-churn`: generated class and id names (emotion, styled-components, CSS modules,
  nanoid, Vue's `data-v-`) re-rolled per request, letters and digits alike, and drawn so that
  the new names often hold fragments an extractor reads as furniture ("bar", "meta", "nav",
  "share", "-ad-", "hidden"...), which is what turns churn into a change of what is extracted;
- `noise:promos`: a newsletter promo, a "related" list and a teaser block placed inside the
  article body, under plain tags with no telling class name;
- `noise:in-list`: an "Updated" stamp and an ad label spliced inside an article list item and
  table cell;
- `story:headline-visible`: the `<h1>` and `<title>` rewritten while og:title and JSON-LD
  keep the old headline (the visible headline wins);
- `story:digit-short`: a digit changed in a short line of the article (a fact box line, a list
  item, a table cell, a caption-less figure line) that an extractor might drop;
- `story:list-item` and `story:table-cell`: a word changed inside an article list or table.
"""

from __future__ import annotations

import random
import re
from collections import Counter

from noise import (
    _DIGIT,
    _WORD,
    Segment,
    Variant,
    _masked,
    _outside_entities,
    _paragraph_end,
    _plain,
    _splice,
    article_segments,
    headline_of,
    text_segments,
)
from noise import variants as base_variants

from tracker.document import normalize

_FRAGMENTS = ("bar", "yin", "meta", "menu", "nav", "tags", "slide", "Share", "ad", "hidden")
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_MIXED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _hash(rng: random.Random, n: int, alphabet: str = _ALNUM, digit: bool = True) -> str:
    """A generated name's hash, often with a furniture fragment inside (never at its ends)."""
    chars = [rng.choice(alphabet) for _ in range(n)]
    if digit:
        chars[rng.randrange(1, n - 1)] = rng.choice("0123456789")
    text = "".join(chars)
    if rng.random() < 0.4:
        at = rng.randrange(1, n - 1)
        text = text[:at] + rng.choice(_FRAGMENTS) + text[at:]
    return text


# Names as CSS-in-JS, CSS modules and id generators make them: the part that changes per build
# or per request is the hash.
_GENERATED = re.compile(
    r"\b(css|sc|jsx|svelte|emotion)-([A-Za-z0-9]{4,12})\b"  # emotion, styled-components, ...
    r"|\b([A-Za-z]+_[A-Za-z]+__)([A-Za-z0-9_-]{5})\b"  # CSS modules: Name_local__hash
    r"|\b([A-Za-z][\w-]*?[-_]?)(\d[\w]*)\b"  # anything ending in digits: ember123, id-42a
)


def _churn_value(value: str, rng: random.Random) -> str:
    def reroll(m: re.Match[str]) -> str:
        if m.group(1):
            mixed = m.group(1) == "sc"
            return f"{m.group(1)}-{_hash(rng, 6, _MIXED if mixed else _ALNUM, not mixed)}"
        if m.group(3):
            return m.group(3) + _hash(rng, 5, _MIXED + "0123456789")
        return m.group(5) + _hash(rng, max(3, len(m.group(6))), _ALNUM)

    return _GENERATED.sub(reroll, value)


def noise_attr_churn(page: str, segments: list[Segment], rng: random.Random) -> str:
    """Every generated name re-rolled, article blocks given per-request names of their own."""
    page = re.sub(
        r"(<[a-zA-Z][^<>]*?\s(?:class|id)=\")([^\"]*)\"",
        lambda m: m.group(1) + _churn_value(m.group(2), rng) + '"',
        page,
    )
    # Per-request names on the article's own blocks (React keys, A/B buckets, Vue scopes).
    for seg in sorted(segments, key=lambda s: -s.start):
        start = max(0, seg.start - 2000)
        openers = list(re.finditer(r"<p\b([^>]*)>", page[start : seg.start], re.I))
        if not openers or re.search(r"</?p\b", page[start + openers[-1].end() : seg.start], re.I):
            continue  # not directly in a paragraph of its own
        opener = openers[-1]
        attrs = opener.group(1)
        names = f"sc-{_hash(rng, 6, _MIXED, False)} para-{_hash(rng, 5)}"
        if re.search(r"\sclass=\"", attrs):
            attrs = re.sub(r"(\sclass=\")", rf"\g<1>{names} ", attrs, count=1)
        else:
            attrs += f' class="{names}"'
        if not re.search(r"\sid=", attrs):
            attrs += f' id="p-{_hash(rng, 10, _MIXED + "0123456789-_")}"'
        attrs += f" data-v-{_hash(rng, 8, '0123456789abcdef')}"
        page = _splice(page, start + opener.start(), start + opener.end(), f"<p{attrs}>")
    return page


_PROMOS = (
    # A newsletter promo under plain tags, with its form.
    "<div><p><strong>Get the Morning Briefing.</strong> The day's top stories, sent to your inbox "
    'every weekday morning. <a href="/newsletters/morning">Sign up here.</a></p>'
    '<input type="email" placeholder="Your email"><button>Subscribe</button></div>',
    # A "related" list with a heading, under a bare ul.
    "<p><strong>Related:</strong></p><ul>"
    '<li><a href="/news/2019/11/council-budget-vote">Council approves budget after a long '
    "night of debate over the new transit plan</a></li>"
    '<li><a href="/news/2019/11/storm-warning">Storm warning issued for the coast as the '
    "weekend approaches</a></li></ul>",
    # A teaser block: a linked headline and its standfirst.
    '<div><h3><a href="/news/2019/11/bridge-repairs">Bridge repairs to close the river '
    'crossing for three weeks</a></h3><p><a href="/news/2019/11/bridge-repairs">Drivers are '
    "told to expect long delays on both banks as crews begin work on Monday.</a></p></div>",
    # A "Read more" line pointing to another story of the site.
    '<p><em>Read more: <a href="/news/2019/11/school-closures">Why three schools will close '
    "at the end of the year, and what parents can do about it</a></em></p>",
)


def _clean_end(page: str, seg: Segment) -> int | None:
    """After the `</p>` that closes the paragraph holding `seg`, or None when it is not one."""
    at = _paragraph_end(page, seg)
    return at if at != seg.end else None


def noise_promos(page: str, segments: list[Segment], rng: random.Random) -> str:
    """Promos, related lists and teasers placed between the article's paragraphs."""
    ends = sorted({at for s in segments[:-1] if (at := _clean_end(page, s)) is not None})
    if not ends:
        return page
    promos = list(_PROMOS)
    rng.shuffle(promos)
    picks = sorted(rng.sample(ends, min(len(promos), len(ends))))
    for at, promo in reversed(list(zip(picks, promos, strict=False))):
        page = _splice(page, at, at, promo)
    return page


_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>")
# Where a short line is not the story even when the gold text has it: links (tag lists, related
# titles), captions, page chrome, stamps and bylines.
_NOT_STORY_TAGS = {
    "a",
    "figcaption",
    "figure",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "menu",
    "button",
    "label",
    "select",
    "time",
    "small",
    "h1",
}
_NOT_STORY_NAMES = re.compile(
    r"menu|nav|tag|related|caption|credit|footer|breadcrumb|share|social|sidebar|widget|promo"
    r"|newsletter|comment|byline|author|meta|date|time|pub|recirc|more",
    re.I,
)


def _ancestry(page: str) -> dict[int, tuple[tuple[int, str, str], ...]]:
    """For each text run's start, its open elements (id, tag, attributes), outermost first."""
    masked = _masked(page)
    stack: list[tuple[int, str, str]] = []
    out: dict[int, tuple[tuple[int, str, str], ...]] = {}
    runs = iter(text_segments(page))
    run = next(runs, None)
    for n, m in enumerate(_TAG_TOKEN.finditer(masked)):
        while run is not None and run.start < m.start():
            out[run.start] = tuple(stack)
            run = next(runs, None)
        closing, tag, attrs = m.group(1), m.group(2).lower(), m.group(3)
        if closing:
            names = [t for _, t, _ in stack]
            if tag in names:
                del stack[len(names) - 1 - names[::-1].index(tag) :]
        elif tag not in _VOID and not attrs.rstrip().endswith("/"):
            stack.append((n, tag, attrs))
    return out


def story_lines(page: str, gold: str, tag: str | None = None) -> list[Segment]:
    """Short text runs of the article itself: in the gold text, inside an element that also
    holds the article's prose paragraphs, and not in a link, caption, chrome, stamp or byline;
    with `tag`, only runs directly in an `<li>` or `<td>`."""
    gold_text = normalize(gold)
    ancestry = _ancestry(page)
    prose = article_segments(page, gold)
    containers = {stack[-2][0] for s in prose if len(stack := ancestry.get(s.start, ())) >= 2}
    out = []
    for seg in text_segments(page):
        stack = ancestry.get(seg.start, ())
        if (
            len(seg.text) < 8
            or seg.text not in gold_text
            or not stack
            or (tag is not None and stack[-1][1] != tag)
            or not any(e[0] in containers for e in stack)
            or any(t in _NOT_STORY_TAGS or _NOT_STORY_NAMES.search(a) for _, t, a in stack)
            or _BARE_STAMP.match(seg.text)
        ):
            continue
        out.append(seg)
    return out


_BARE_STAMP = re.compile(
    r"^\(?(?:published|updated|posted|modified|\d{1,2}:\d{2}|\w+,? \w+\.? \d{1,2},? \d{4})",
    re.I,
)


def noise_in_list(page: str, gold: str, rng: random.Random) -> str | None:
    """An "Updated" stamp and an ad label inside an article list item and table cell."""
    cells = story_lines(page, gold, "li") + story_lines(page, gold, "td")
    if not cells:
        return None
    picks = sorted(rng.sample(cells, min(2, len(cells))), key=lambda s: -s.end)
    for n, seg in enumerate(picks):
        inside = (
            f'<span class="updated">Updated {rng.randint(1, 12)}:{rng.randint(10, 59)} PM ET</span>'
            if n == 0
            else '<span class="ad-label">Advertisement</span>'
        )
        page = _splice(page, seg.end, seg.end, inside)
    return page


def edit_in_cell(page: str, gold: str, tag: str, rng: random.Random) -> str | None:
    """One word changed in an article list item or table cell."""
    cells = [s for s in story_lines(page, gold, tag) if len(s.text.split()) >= 3]
    cells = [s for s in cells if _outside_entities(page[s.start : s.end], _WORD)]
    if not cells:
        return None
    seg = rng.choice(cells)
    word = rng.choice(_outside_entities(page[seg.start : seg.end], _WORD))
    new = "meanwhile" if word.group(0).lower() != "meanwhile" else "however"
    return _splice(page, seg.start + word.start(), seg.start + word.end(), new)


def edit_short_digit(page: str, gold: str, rng: random.Random) -> str | None:
    """A digit changed in a short article line (not prose: fact boxes, lists, cells, labels)."""
    prose = {s.start for s in article_segments(page, gold)}
    counts = Counter(s.text for s in text_segments(page))
    short = [
        s
        for s in story_lines(page, gold)
        if s.start not in prose
        and counts[s.text] == 1
        and normalize(gold).count(s.text) == 1
        and _outside_entities(page[s.start : s.end], _DIGIT)
    ]
    if not short:
        return None
    seg = rng.choice(short)
    digit = rng.choice(_outside_entities(page[seg.start : seg.end], _DIGIT))
    new = str((int(digit.group(0)) + 1) % 10)
    return _splice(page, seg.start + digit.start(), seg.start + digit.end(), new)


_NEW_HEADLINE = "Officials Reverse Course Hours After Announcing Sweeping Plan"


def edit_visible_headline(page: str) -> str | None:
    """The `<h1>` and `<title>` rewritten whole; og:title, twitter:title and JSON-LD kept."""
    h1 = headline_of(page)
    if h1 is None:
        return None
    old = _plain(h1.group(1))
    # Every other visible copy of the headline (a sticky header, a share bar) changes with it.
    for seg in reversed(text_segments(page)):
        if seg.text == old and not (h1.start(1) <= seg.start < h1.end(1)):
            page = _splice(page, seg.start, seg.end, _NEW_HEADLINE)
    h1 = headline_of(page)
    if h1 is None:
        return None
    start, end = h1.span(1)
    inner = page[start:end]
    # Keep the h1's inner tags (links, spans), replace its text.
    parts = re.split(r"(<[^>]*>)", inner)
    texts = [i for i, p in enumerate(parts) if not p.startswith("<") and p.strip()]
    if not texts:
        return None
    for i in texts:
        parts[i] = ""
    parts[texts[0]] = _NEW_HEADLINE
    page = page[:start] + "".join(parts) + page[end:]
    title = re.search(r"<title\b[^>]*>(.*?)</title", page, re.S | re.I)
    if title:  # the page's own title comes first; an svg's titles come later
        suffix = re.search(r"\s[|–—-]\s.*$", title.group(1), re.S)
        new = _NEW_HEADLINE + (suffix.group(0) if suffix else "")
        page = _splice(page, title.start(1), title.end(1), new)
    return page


def variants(page: str, gold: str, key: str) -> list[Variant]:
    """tests/noise.py's variants plus the harder families (each with its own generator)."""

    def rng(name: str) -> random.Random:
        return random.Random(f"{key}:{name}")

    out = base_variants(page, gold, key)
    segments = article_segments(page, gold)
    out.append(Variant("noise:attr-churn", "noise", noise_attr_churn(page, segments, rng("churn"))))
    promos = noise_promos(page, segments, rng("promos"))
    if promos != page:
        out.append(Variant("noise:promos", "noise", promos))
    extra: list[tuple[str, str, str | None]] = [
        ("noise:in-list", "noise", noise_in_list(page, gold, rng("in-list"))),
        ("story:headline-visible", "story", edit_visible_headline(page)),
        ("story:digit-short", "story", edit_short_digit(page, gold, rng("digit-short"))),
        ("story:list-item", "story", edit_in_cell(page, gold, "li", rng("list-item"))),
        ("story:table-cell", "story", edit_in_cell(page, gold, "td", rng("table-cell"))),
    ]
    out += [Variant(name, kind, html) for name, kind, html in extra if html is not None]
    return out
